/* Read-ahead input for tarballs (gunzip.h): one producer thread, a ring of
 * SLOTS buffers of SLOT_SIZE bytes, one consumer (libarchive's read
 * callback). The consumer holds one slot between its calls (libarchive reads
 * the buffer until it asks for the next one); the producer fills the others.
 * The thread waits for a free slot on a condition variable and for input in
 * poll() together with an eventfd, so that gunzip_free() stops it at once even
 * when it waits on an idle pipe. */
#include "gunzip.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zlib.h>

#include "util.h"

#define SLOTS 4
#define SLOT_SIZE (1 << 20)
#define IN_SIZE (256 << 10)

enum fill { FILL_MORE, FILL_END, FILL_ERROR, FILL_STOPPED };

struct gunzip {
	int fd, stopfd;
	bool gzip, started;
	pthread_t thread;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned head, filled; /* the consumer's next slot; slots filled, not yet released */
	bool held;             /* the consumer holds slot `head` until its next call */
	bool done, stop;
	int errnum;
	char *msg;

	/* the producer's own: input not consumed yet is z.next_in/z.avail_in */
	unsigned char *in;
	bool in_eof, member_end;
	z_stream z;
};

static void fail(struct gunzip *g, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct gunzip *g, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&g->msg, fmt, ap) < 0)
		oom();
	va_end(ap);
	g->errnum = errnum;
}

/* read(2) that gives up when gunzip_free() asks: n, 0 at the end, or FILL_*. */
static ssize_t read_in(struct gunzip *g, void *buf, size_t cap, enum fill *why)
{
	struct pollfd p[2] = { { .fd = g->fd, .events = POLLIN }, { .fd = g->stopfd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(g, errno, "waiting for input");
			*why = FILL_ERROR;
			return -1;
		}
		if (p[1].revents) {
			*why = FILL_STOPPED;
			return -1;
		}
		ssize_t n = read(g->fd, buf, cap);
		if (n >= 0)
			return n;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		fail(g, errno, "reading");
		*why = FILL_ERROR;
		return -1;
	}
}

static enum fill fill_plain(struct gunzip *g, unsigned char *out, size_t *len)
{
	enum fill why = FILL_MORE;
	if (g->z.avail_in) {
		/* what gunzip_start() read to look at the magic */
		*len = g->z.avail_in;
		memcpy(out, g->z.next_in, *len);
		g->z.avail_in = 0;
		return g->in_eof ? FILL_END : FILL_MORE;
	}
	ssize_t n = read_in(g, out, SLOT_SIZE, &why);
	if (n < 0)
		return why;
	*len = (size_t)n;
	return n == 0 ? FILL_END : FILL_MORE;
}

/* Keeps what is left of the input and reads more after it. */
static enum fill refill(struct gunzip *g)
{
	enum fill why = FILL_MORE;
	memmove(g->in, g->z.next_in, g->z.avail_in);
	ssize_t n = read_in(g, g->in + g->z.avail_in, IN_SIZE - g->z.avail_in, &why);
	if (n < 0)
		return why;
	if (n == 0)
		g->in_eof = true;
	g->z.next_in = g->in;
	g->z.avail_in += (uInt)n;
	return FILL_MORE;
}

static enum fill fill_gzip(struct gunzip *g, unsigned char *out, size_t *len)
{
	enum fill r = FILL_MORE;
	g->z.next_out = out;
	g->z.avail_out = SLOT_SIZE;
	while (g->z.avail_out > 0 && r == FILL_MORE) {
		if (g->member_end) {
			/* another member follows (gzip -d treats them as one stream), or the end */
			if (g->z.avail_in < 2 && !g->in_eof) {
				r = refill(g);
				continue;
			}
			if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f || g->z.next_in[1] != 0x8b) {
				r = FILL_END;
				break;
			}
			inflateReset(&g->z);
			g->member_end = false;
		}
		if (g->z.avail_in == 0) {
			if (g->in_eof) {
				fail(g, 0, "the gzip data ends early: the file is truncated");
				r = FILL_ERROR;
				break;
			}
			r = refill(g);
			continue;
		}
		int zr = inflate(&g->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			g->member_end = true;
		} else if (zr == Z_MEM_ERROR) {
			oom();
		} else if (zr != Z_OK) {
			/* Z_DATA_ERROR (also a CRC-32 or length mismatch in the trailer),
			 * or no progress with input and room left: damaged either way */
			const char *m = g->z.msg ? g->z.msg : "invalid data";
			fail(g, 0, "damaged gzip data (%s%s)", m,
			     !strcmp(m, "incorrect data check")	    ? ": the CRC-32 of the content does not match"
			     : !strcmp(m, "incorrect length check") ? ": the length of the content does not match"
								    : "");
			r = FILL_ERROR;
		}
	}
	*len = SLOT_SIZE - g->z.avail_out;
	return r;
}

static void *producer(void *arg)
{
	struct gunzip *g = arg;
	for (;;) {
		pthread_mutex_lock(&g->mu);
		while (g->filled == SLOTS && !g->stop)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop) {
			pthread_mutex_unlock(&g->mu);
			return NULL;
		}
		/* not counted in `filled`: the consumer never touches it */
		unsigned i = (g->head + g->filled) % SLOTS;
		pthread_mutex_unlock(&g->mu);

		size_t len = 0;
		enum fill r = g->gzip ? fill_gzip(g, g->slot[i], &len) : fill_plain(g, g->slot[i], &len);

		pthread_mutex_lock(&g->mu);
		if (len) {
			g->len[i] = len;
			g->filled++;
		}
		if (r != FILL_MORE)
			g->done = true;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		if (r != FILL_MORE)
			return NULL;
	}
}

struct gunzip *gunzip_start(int fd, box_err_t *err)
{
	struct gunzip *g = xzalloc(sizeof(*g));
	g->fd = fd;
	g->stopfd = eventfd(0, EFD_CLOEXEC);
	g->in = xmalloc(IN_SIZE);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if (g->stopfd < 0) {
		box_error(err, errno, "eventfd");
		goto fail;
	}
	/* the magic: at least two bytes, or the end */
	size_t n = 0;
	while (n < 2) {
		ssize_t r = read(fd, g->in + n, IN_SIZE - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			box_error(err, errno, "reading");
			goto fail;
		}
		if (r == 0) {
			g->in_eof = true;
			break;
		}
		n += (size_t)r;
	}
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)n;
	g->gzip = n >= 2 && g->in[0] == 0x1f && g->in[1] == 0x8b;
	if (g->gzip && inflateInit2(&g->z, 15 + 16) != Z_OK) /* 16: gzip wrapper, trailer checked */
		oom();
	for (int i = 0; i < SLOTS; i++)
		g->slot[i] = xmalloc(SLOT_SIZE);
	int e = pthread_create(&g->thread, NULL, producer, g);
	if (e) {
		box_error(err, e, "starting the reader thread");
		goto fail;
	}
	g->started = true;
	return g;
fail:
	gunzip_free(g);
	return NULL;
}

bool gunzip_is_gzip(const struct gunzip *g)
{
	return g->gzip;
}

ssize_t gunzip_read(struct gunzip *g, const void **buf)
{
	ssize_t n = 0;
	pthread_mutex_lock(&g->mu);
	if (g->held) {
		g->head = (g->head + 1) % SLOTS;
		g->filled--;
		g->held = false;
		pthread_cond_broadcast(&g->cv);
	}
	while (!g->filled && !g->done)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->filled) {
		*buf = g->slot[g->head];
		n = (ssize_t)g->len[g->head];
		g->held = true;
	} else if (g->msg) {
		n = -1;
	}
	pthread_mutex_unlock(&g->mu);
	return n;
}

const char *gunzip_error(const struct gunzip *g)
{
	return g->msg ? g->msg : "no error";
}

int gunzip_errnum(const struct gunzip *g)
{
	return g->errnum;
}

void gunzip_free(struct gunzip *g)
{
	if (!g)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = true;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		uint64_t one = 1;
		if (write(g->stopfd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only on overflow: it is readable then anyway */
		}
		pthread_join(g->thread, NULL);
	}
	if (g->gzip)
		inflateEnd(&g->z);
	for (int i = 0; i < SLOTS; i++)
		free(g->slot[i]);
	free(g->in);
	free(g->msg);
	if (g->stopfd >= 0)
		close(g->stopfd);
	if (g->fd >= 0)
		close(g->fd);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}
