/* The capped, rate-limited console log (logfile.h). */
#include "runtime/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"

#define BURST (LOGFILE_RATE / 4)

struct logfile {
	char *path;
	int fd;
	uint64_t max;	 /* 0: no cap */
	uint64_t tokens; /* bytes that may be read now */
	uint64_t at_ms;	 /* when tokens was last filled */
};

static int open_fd(const char *path, box_err_t *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return box_error(err, errno, "opening the log %s", path);
	return fd;
}

int logfile_open(const char *path, uint64_t max_bytes, struct logfile **out, box_err_t *err)
{
	int fd = open_fd(path, err);
	if (fd < 0)
		return -1;
	struct logfile *l = xzalloc(sizeof(*l));
	l->path = xstrdup(path);
	l->fd = fd;
	l->max = max_bytes == BOX_UNLIMITED ? 0 : max_bytes;
	l->tokens = BURST;
	l->at_ms = now_ms();
	log_set_sink(fd, true);
	*out = l;
	return 0;
}

/* NAME.log -> NAME.log.1 and a new NAME.log; on a failure the old file
 * goes on (and stays over the cap) rather than losing output. */
static void rotate(struct logfile *l)
{
	cleanup_free char *old = xasprintf("%s.1", l->path);
	if (rename(l->path, old) < 0)
		return;
	box_err_t e = NULL;
	int fd = open_fd(l->path, &e);
	if (fd < 0) {
		box_error_release(&e);
		return;
	}
	close(l->fd);
	l->fd = fd;
	log_set_sink(fd, true);
}

void logfile_write(struct logfile *l, const void *buf, size_t n)
{
	if (l->max) {
		off_t end = lseek(l->fd, 0, SEEK_END);
		if (end > 0 && (uint64_t)end + n > l->max)
			rotate(l);
	}
	write_all(l->fd, buf, n);
	l->tokens = n < l->tokens ? l->tokens - n : 0;
}

int logfile_wait_ms(struct logfile *l)
{
	uint64_t now = now_ms();
	uint64_t add = (now - l->at_ms) * LOGFILE_RATE / 1000;
	if (add) {
		l->tokens = l->tokens + add > BURST ? BURST : l->tokens + add;
		l->at_ms = now;
	}
	if (l->tokens > 0)
		return 0;
	/* until a 64th of the burst is back: few wake-ups, small pauses */
	return (int)((BURST / 64) * 1000 / LOGFILE_RATE) + 1;
}
