/* A tiny TAP producer for unit tests: `ok N - name` / `not ok N - name`.
 * tests/run counts the lines into the "N passed, N failed" summary. */
#ifndef BOX_TAP_H
#define BOX_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* Compares two strings; prints both when they differ. */
#define tap_streq(got, want, ...)                                                                                      \
	do {                                                                                                           \
		const char *_g = (got), *_w = (want);                                                                  \
		if (!tap_ok(_g && _w && !strcmp(_g, _w), __VA_ARGS__))                                                 \
			printf("#   got:  %s\n#   want: %s\n", _g ? _g : "(null)", _w ? _w : "(null)");                \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
