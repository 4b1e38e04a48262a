#include "base/notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static box_note_sink_fn sink;

void box_note_set_sink(box_note_sink_fn fn)
{
	sink = fn;
}

static void vnote(enum box_note_kind kind, const char *fmt, va_list ap)
{
	char *text = NULL;
	if (!sink || vasprintf(&text, fmt, ap) < 0)
		return;
	sink(kind, text);
	free(text);
}

void box_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(BOX_NOTE_WARN, fmt, ap);
	va_end(ap);
}

void box_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(BOX_NOTE_INFO, fmt, ap);
	va_end(ap);
}

void box_progress(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(BOX_NOTE_PROGRESS, fmt, ap);
	va_end(ap);
}
