/* Warnings and notes of library code. Code below cmd/ does not print:
 * what a caller should hear besides an error (a limit this kernel cannot
 * apply, a leftover removed, what an import left out, how long a step
 * took, a progress line) goes to box_warn(), box_note() or box_progress(),
 * which hand the text to the sink
 * the program installed. `box` installs cmd_note_sink (cmd/common.c:
 * "box: warning: TEXT", "box: TEXT" and the progress as it is on stderr, or in the container's
 * log once the supervisor redirects log.h's output); with no sink the
 * notes are dropped (unit tests, fuzz targets).
 *
 *   if (!has_swap_accounting)
 *           box_warn("swap: the kernel has no swap accounting: not limited");
 */
#ifndef BOX_NOTES_H
#define BOX_NOTES_H

/* PROGRESS: a line of a long operation's progress, printed as it is
 * (it starts with '\r' to overwrite the last, and ends with '\n' once). */
enum box_note_kind { BOX_NOTE_INFO, BOX_NOTE_WARN, BOX_NOTE_PROGRESS };

typedef void (*box_note_sink_fn)(enum box_note_kind kind, const char *text);

/* NULL: notes are dropped. */
void box_note_set_sink(box_note_sink_fn fn);
void box_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void box_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void box_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
