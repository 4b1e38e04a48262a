/* One error channel: a failure is described once, where it happens, context is
 * prefixed on the way up, and the command's main prints it once (crun style).
 *
 *   if (mkdir(p, 0700) < 0)
 *           return box_error(err, errno, "creating %s", p);
 *   ...
 *   if (storage_create(..., err) < 0)
 *           return box_error_wrap(err, "container %s", name);
 *
 * The exit status travels with the error: BOX_EXIT_FAIL (1) for an operation
 * that failed, BOX_EXIT_USAGE (2) for bad usage or a bad config. */
#ifndef BOX_LOG_H
#define BOX_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum {
	BOX_EXIT_OK = 0,
	BOX_EXIT_FAIL = 1,
	BOX_EXIT_USAGE = 2,
};

struct box_error {
	int errnum; /* errno of the first failure, 0 if none */
	int status; /* exit status the command should end with */
	char *msg;
};
typedef struct box_error *box_err_t;

/* Sets *err (if not already set: the first error wins) and returns
 * -errnum, or -1 when errnum is 0 (no errno text is appended then; -1 is
 * also -EPERM: a caller branching on -EPERM knows its callee gives every
 * failure an errno). So a
 * function that ends with `return box_error(err, errno, ...)` returns
 * -errno, and a caller that must tell one failure from another branches on
 * that (`if (r == -EWOULDBLOCK)`), never on the error's text or fields; a
 * function in between passes the value on (`return r`, not `return -1`). */
int box_error(box_err_t *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A timeout whose message says what did not happen in time: set with
 * errnum 0 (no ": Connection timed out" after a sentence that already said
 * so), and returns -ETIMEDOUT for the caller that branches on it. */
int box_error_timeout(box_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same as box_error, with exit status 2: bad usage or bad config. */
int box_usage_error(box_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes "CONTEXT: " to the message of *err and returns -1 (a caller
 * that passes a -errno on wraps first, then returns it). */
int box_error_wrap(box_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The full text: "msg: strerror(errnum)" (caller frees). */
char *box_error_text(box_err_t err);
/* Prints "box: <text>" to stderr (or the log sink), returns the exit status and
 * releases the error. Safe on NULL (returns 0). */
int box_error_report(box_err_t *err);
void box_error_release(box_err_t *err);

/* Messages that are not errors, printed by cmd/ and the supervisor only
 * (library code hands them to base/notes.h, whose sink prints them here).
 * They go to stderr, or to the fd set with log_set_sink() (the supervisor
 * writes to the container's log file with a timestamp). */
void log_set_sink(int fd, bool timestamps);
/* No sink yet (the supervisor before its log file is open, which is off
 * the start's serial path): the lines are kept, up to 16 KiB, and written
 * to the fd that the next log_set_sink() sets, ahead of the rest (what an
 * earlier hold kept is forgotten). */
void log_hold(bool timestamps);
/* The warnings said while held, one a line without prefix (for a failed
 * start's report to `box start`); NULL when none. Caller frees. */
char *log_held_warnings(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failed cleanup after a first error, which stays the one reported:
 * box_warn("WHAT: <the error's text>, ignoring") (base/notes.h); releases
 * *err (NULL: no error, nothing said). */
void log_warn_ignored(box_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* BOX_TRACE=FILE: each process of a command appends "SECONDS PID WHAT"
 * lines to FILE (CLOCK_REALTIME with microseconds, comparable with bash's
 * $EPOCHREALTIME), to measure the phases of a start or a stop without
 * strace's distortion. Unset (the default), it costs one getenv. */
void box_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program name used as message prefix ("box"). */
extern const char *box_progname;

#endif
