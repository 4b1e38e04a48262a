#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/notes.h"

const char *box_progname = "box";

static int sink_fd = STDERR_FILENO;
static bool sink_timestamps;

static int error_vset(box_err_t *err, int status, int errnum, const char *fmt, va_list ap)
{
	if (!err || *err) /* the first error wins; later ones are consequences */
		return -1;
	struct box_error *e = xmalloc(sizeof(*e));
	e->errnum = errnum;
	e->status = status;
	if (vasprintf(&e->msg, fmt, ap) < 0)
		oom();
	*err = e;
	return -1;
}

int box_error(box_err_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, BOX_EXIT_FAIL, errnum, fmt, ap);
	va_end(ap);
	return errnum > 0 ? -errnum : -1;
}

int box_error_timeout(box_err_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, BOX_EXIT_FAIL, 0, fmt, ap);
	va_end(ap);
	return -ETIMEDOUT;
}

int box_usage_error(box_err_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(err, BOX_EXIT_USAGE, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int box_error_wrap(box_err_t *err, const char *fmt, ...)
{
	if (!err || !*err)
		return -1;
	char *prefix = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		oom();
	va_end(ap);
	char *msg = xasprintf("%s: %s", prefix, (*err)->msg);
	free(prefix);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

char *box_error_text(box_err_t err)
{
	if (!err)
		return xstrdup("");
	if (err->errnum)
		return xasprintf("%s: %s", err->msg, strerror(err->errnum));
	return xstrdup(err->msg);
}

void box_error_release(box_err_t *err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int box_error_report(box_err_t *err)
{
	if (!err || !*err)
		return 0;
	int status = (*err)->status ? (*err)->status : BOX_EXIT_FAIL;
	char *text = box_error_text(*err);
	dprintf(sink_fd, "%s: %s\n", box_progname, text);
	free(text);
	box_error_release(err);
	return status;
}

/* log_hold(): the lines said while no sink is set, and the warnings among
 * them (bodies only), each capped: a start says a few lines at most */
#define HELD_MAX 16384
static bool holding;
static char *held, *held_warn;
static size_t held_len, held_warn_len;

static void held_add(char **buf, size_t *len, const char *text)
{
	size_t n = strlen(text);
	if (*len + n > HELD_MAX)
		return;
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, text, n + 1);
	*len += n;
}

static void write_fd(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void log_set_sink(int fd, bool timestamps)
{
	sink_fd = fd;
	sink_timestamps = timestamps;
	if (!holding)
		return;
	holding = false;
	if (held)
		write_fd(fd, held, held_len);
	free(held);
	held = NULL;
	held_len = 0;
}

void log_hold(bool timestamps)
{
	free(held);
	free(held_warn);
	held = held_warn = NULL;
	held_len = held_warn_len = 0;
	sink_fd = -1;
	sink_timestamps = timestamps;
	holding = true;
}

char *log_held_warnings(void)
{
	return held_warn ? xstrdup(held_warn) : NULL;
}

static void log_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char stamp[64] = "";
	if (sink_timestamps) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	}
	char *body = NULL;
	if (vasprintf(&body, fmt, ap) < 0)
		return;
	if (holding) {
		char *line = xasprintf("%s%s: %s%s\n", stamp, box_progname, prefix, body);
		held_add(&held, &held_len, line);
		free(line);
		if (*prefix) {
			held_add(&held_warn, &held_warn_len, body);
			held_add(&held_warn, &held_warn_len, "\n");
		}
	} else {
		dprintf(sink_fd, "%s%s: %s%s\n", stamp, box_progname, prefix, body);
	}
	free(body);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

void log_warn_ignored(box_err_t *err, const char *fmt, ...)
{
	if (!*err)
		return;
	char *what = NULL, *text = box_error_text(*err);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		oom();
	va_end(ap);
	box_warn("%s: %s, ignoring", what, text);
	free(what);
	free(text);
	box_error_release(err);
}

void box_trace(const char *fmt, ...)
{
	static int fd = -2;
	if (fd == -2) {
		const char *path = getenv("BOX_TRACE");
		fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	}
	if (fd < 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[256];
	int n = snprintf(line, sizeof(line), "%lld.%06ld %d ", (long long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write: lines of several processes do not interleave (O_APPEND) */
	ssize_t w = write(fd, line, (size_t)n);
	(void)w;
}
