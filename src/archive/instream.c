/* instream: raw input -> (decoder thread: zlib / libzstd) -> a ring of NBUF
 * output blocks -> instream_read(). The consumer holds one block at a time
 * (libarchive keeps the pointer until its next read), the decoder fills the
 * others; a full ring blocks the decoder, an empty one the consumer. */
#include "archive/instream.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"

#define NBUF 4
#define OUTBUF (1 << 20)
#define INBUF (256 << 10)
#define SNIFF 6

struct instream {
	int fd;
	char *label;
	enum instream_codec codec;
	const volatile sig_atomic_t *interrupted;

	/* raw input: the sniffed bytes first; owned by the decoder once it runs */
	unsigned char *in;
	size_t in_len, in_pos;
	bool in_eof;

	pthread_t thread;
	bool thread_started;
	int wakefd; /* written by instream_free: a decoder blocked on a pipe wakes up */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[NBUF];
	size_t len[NBUF];
	unsigned head, count; /* count: full blocks, the one the consumer holds included */
	bool held, done, stop;
	int err_no;    /* the decoder's error, with done */
	char *err_msg; /* its text */
	char *msg;     /* what instream_error() returns */
};

static void set_msg(struct instream *s, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(struct instream *s, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(s->msg);
	if (vasprintf(&s->msg, fmt, ap) < 0)
		oom();
	va_end(ap);
	errno = e;
}

/* ---- decoder thread ---- */

static void fail(struct instream *s, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct instream *s, int e, const char *fmt, ...)
{
	va_list ap;
	char *m;
	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		oom();
	va_end(ap);
	pthread_mutex_lock(&s->mu);
	if (!s->err_msg) {
		s->err_msg = m;
		s->err_no = e;
	} else {
		free(m);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Refills s->in: bytes read, 0 at the end, -1 on an error or a stop. */
static ssize_t fill_in(struct instream *s)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->wakefd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			fail(s, errno, "waiting for %s", s->label);
			return -1;
		}
		if (p[1].revents || __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
			return -1;
		if (!p[0].revents)
			continue;
		ssize_t n = read(s->fd, s->in, INBUF);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			fail(s, errno, "reading %s", s->label);
			return -1;
		}
		s->in_pos = 0;
		s->in_len = (size_t)n;
		if (n == 0)
			s->in_eof = true;
		return n;
	}
}

/* A free block to decode into, or NULL when stopped. */
static unsigned char *take_slot(struct instream *s)
{
	pthread_mutex_lock(&s->mu);
	while (!s->stop && s->count >= NBUF)
		pthread_cond_wait(&s->cv, &s->mu);
	unsigned char *b = s->stop ? NULL : s->buf[(s->head + s->count) % NBUF];
	pthread_mutex_unlock(&s->mu);
	return b;
}

static void publish(struct instream *s, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&s->mu);
	s->len[(s->head + s->count) % NBUF] = len;
	s->count++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* One or more gzip members (pigz and `cat a.gz b.gz` write several); zlib's
 * gzip wrapper checks each member's CRC-32 and length. */
static void run_gzip(struct instream *s)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		oom();
	z.next_in = s->in + s->in_pos;
	z.avail_in = (uInt)(s->in_len - s->in_pos);
	unsigned char *out = NULL;
	for (;;) {
		if (!out) {
			if (!(out = take_slot(s)))
				goto out;
			z.next_out = out;
			z.avail_out = OUTBUF;
		}
		if (z.avail_in == 0 && !s->in_eof) {
			if (fill_in(s) < 0)
				goto out;
			z.next_in = s->in;
			z.avail_in = (uInt)s->in_len;
		}
		int r = inflate(&z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			/* another member follows, or the end */
			if (z.avail_in == 0 && !s->in_eof) {
				if (fill_in(s) < 0)
					goto out;
				z.next_in = s->in;
				z.avail_in = (uInt)s->in_len;
			}
			if (z.avail_in == 0)
				break;
			if (z.next_in[0] != 0x1f) {
				/* what gzip -d calls "trailing garbage ignored": the
				 * members before it were whole and checked */
				break;
			}
			if (inflateReset(&z) != Z_OK) {
				fail(s, 0, "gzip: %s", z.msg ? z.msg : "reset failed");
				goto out;
			}
			continue;
		}
		if (r == Z_BUF_ERROR && z.avail_in == 0 && s->in_eof) {
			fail(s, 0, "truncated gzip data (the stream ends before its end marker)");
			goto out;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			if (r == Z_MEM_ERROR)
				oom();
			fail(s, 0, "corrupt gzip data (%s)", z.msg ? z.msg : "inflate failed");
			goto out;
		}
		if (z.avail_out == 0) {
			publish(s, OUTBUF);
			out = NULL;
		}
	}
	if (out)
		publish(s, OUTBUF - z.avail_out);
out:
	inflateEnd(&z);
}

/* One or more zstd frames; libzstd checks a frame's checksum when it has one
 * (ours and zstd(1)'s do). */
static void run_zstd(struct instream *s)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		oom();
	ZSTD_inBuffer ib = { s->in + s->in_pos, s->in_len - s->in_pos, 0 };
	ZSTD_outBuffer ob = { NULL, OUTBUF, 0 };
	size_t last = 1; /* non-zero: inside a frame */
	bool flushing = false;
	for (;;) {
		if (!ob.dst) {
			if (!(ob.dst = take_slot(s)))
				goto out;
			ob.pos = 0;
		}
		if (ib.pos == ib.size && !s->in_eof) {
			if (fill_in(s) < 0)
				goto out;
			ib = (ZSTD_inBuffer){ s->in, s->in_len, 0 };
		}
		if (ib.pos == ib.size && s->in_eof && !flushing)
			break;
		size_t r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r)) {
			fail(s, 0, "corrupt zstd data (%s)", ZSTD_getErrorName(r));
			goto out;
		}
		last = r;
		/* a full output block: libzstd may hold more for it */
		flushing = ob.pos == ob.size;
		if (ob.pos == ob.size) {
			publish(s, ob.pos);
			ob.dst = NULL;
		}
	}
	if (last != 0) {
		fail(s, 0, "truncated zstd data (the stream ends inside a frame)");
		goto out;
	}
	if (ob.dst)
		publish(s, ob.pos);
out:
	ZSTD_freeDCtx(d);
}

static void *decoder(void *arg)
{
	struct instream *s = arg;
	if (s->codec == INSTREAM_GZIP)
		run_gzip(s);
	else
		run_zstd(s);
	pthread_mutex_lock(&s->mu);
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- consumer ---- */

/* What the input is when it is none of the formats boxes reads, told from
 * its magic number, so that the message says it instead of libarchive's
 * "Unrecognized archive format" (or a decoder's complaint). */
static const char *unsupported(const unsigned char *m, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} known[] = {
		{ "\x04\x22\x4d\x18", 4, "lz4-compressed" },
		{ "\x02\x21\x4c\x18", 4, "lz4-compressed (legacy format)" },
		{ "LZIP", 4, "lzip-compressed" },
		{ "\x89LZO", 4, "lzop-compressed" },
		{ "\x1f\x9d", 2, "compress(1)-compressed (.Z)" },
		{ "PK\x03\x04", 4, "a zip archive" },
		{ "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
		{ "Rar!", 4, "a RAR archive" },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (n >= known[i].len && !memcmp(m, known[i].magic, known[i].len))
			return known[i].what;
	return NULL;
}

int instream_open(int fd, const char *label, const volatile sig_atomic_t *interrupted, struct instream **out,
		  box_err_t *err)
{
	struct instream *s = xzalloc(sizeof(*s));
	s->fd = fd;
	s->label = xstrdup(label);
	s->interrupted = interrupted;
	s->wakefd = -1;
	s->in = xmalloc(INBUF);
	*out = NULL;
	/* enough bytes for the longest magic number (a pipe may give fewer) */
	while (s->in_len < SNIFF) {
		ssize_t n = read(fd, s->in + s->in_len, INBUF - s->in_len);
		if (n < 0 && errno == EINTR && !(interrupted && *interrupted))
			continue;
		if (n < 0) {
			box_error(err, errno, "reading %s", label);
			instream_free(s);
			return -1;
		}
		if (n == 0) {
			s->in_eof = true;
			break;
		}
		s->in_len += (size_t)n;
	}
	const unsigned char *m = s->in;
	/* zstd and lz4 share the skippable frame (pzstd starts with one): the
	 * frame after it says which, when the first read holds it */
	size_t skip = 0;
	while (skip + 8 <= s->in_len && (m[skip] & 0xf0) == 0x50 && m[skip + 1] == 0x2a && m[skip + 2] == 0x4d &&
	       m[skip + 3] == 0x18) {
		uint32_t len = (uint32_t)m[skip + 4] | (uint32_t)m[skip + 5] << 8 | (uint32_t)m[skip + 6] << 16 |
			       (uint32_t)m[skip + 7] << 24;
		if (len > s->in_len - skip - 8)
			break;
		skip += 8 + len;
	}
	bool skippable =
	    skip > 0 || (s->in_len >= 4 && (m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18);
	const char *other = unsupported(m + skip, s->in_len - skip);
	if (other) {
		box_error(err, 0,
			  "%s is %s, which boxes does not read: a tar archive, plain or compressed with gzip, zstd, "
			  "xz, lzma or bzip2 (repack it, e.g. as .tar.zst)",
			  label, other);
		instream_free(s);
		return -1;
	}
	if (s->in_len >= 3 && m[0] == 0x1f && m[1] == 0x8b && m[2] == 8)
		s->codec = INSTREAM_GZIP;
	else if ((s->in_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) || skippable)
		s->codec = INSTREAM_ZSTD;
	if (s->codec == INSTREAM_RAW) {
		*out = s;
		return 0;
	}

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wakefd < 0) {
		box_error(err, errno, "%s: eventfd", label);
		instream_free(s);
		return -1;
	}
	for (int i = 0; i < NBUF; i++)
		s->buf[i] = xmalloc(OUTBUF);
	/* signals go to the main thread, which checks `interrupted` */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&s->thread, NULL, decoder, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		box_error(err, r, "%s: starting the decompression thread", label);
		instream_free(s);
		return -1;
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

enum instream_codec instream_codec(const struct instream *s)
{
	return s->codec;
}

const char *instream_error(const struct instream *s)
{
	return s->msg ? s->msg : "no error";
}

static bool is_interrupted(const struct instream *s)
{
	return s->interrupted && *s->interrupted;
}

static ssize_t read_raw(struct instream *s, const void **buf)
{
	if (s->in_pos < s->in_len) {
		*buf = s->in + s->in_pos;
		size_t n = s->in_len - s->in_pos;
		s->in_pos = s->in_len;
		return (ssize_t)n;
	}
	if (s->in_eof)
		return 0;
	for (;;) {
		if (is_interrupted(s)) {
			set_msg(s, EINTR, "interrupted");
			return -1;
		}
		ssize_t n = read(s->fd, s->in, INBUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			set_msg(s, e, "reading %s", s->label);
			return -1;
		}
		s->in_pos = s->in_len = (size_t)n;
		*buf = s->in;
		return n;
	}
}

ssize_t instream_read(struct instream *s, const void **buf)
{
	if (s->codec == INSTREAM_RAW)
		return read_raw(s, buf);
	pthread_mutex_lock(&s->mu);
	if (s->held) {
		s->head = (s->head + 1) % NBUF;
		s->count--;
		s->held = false;
		pthread_cond_broadcast(&s->cv);
	}
	while (!s->count && !s->done) {
		if (is_interrupted(s)) {
			pthread_mutex_unlock(&s->mu);
			set_msg(s, EINTR, "interrupted");
			return -1;
		}
		/* a timed wait: a signal does not end pthread_cond_wait */
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100 * 1000 * 1000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &t);
	}
	if (s->count) {
		s->held = true;
		*buf = s->buf[s->head];
		ssize_t n = (ssize_t)s->len[s->head];
		pthread_mutex_unlock(&s->mu);
		return n;
	}
	int e = s->err_no;
	char *m = s->err_msg ? xstrdup(s->err_msg) : NULL;
	pthread_mutex_unlock(&s->mu);
	if (m) {
		set_msg(s, e, "%s", m);
		free(m);
		return -1;
	}
	return 0;
}

void instream_free(struct instream *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		uint64_t one = 1;
		if (write(s->wakefd, &one, sizeof(one)) < 0) {
			/* a full eventfd counter: the decoder is woken already */
		}
		pthread_join(s->thread, NULL);
	}
	if (s->codec != INSTREAM_RAW) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
	}
	if (s->wakefd >= 0)
		close(s->wakefd);
	for (int i = 0; i < NBUF; i++)
		free(s->buf[i]);
	free(s->in);
	free(s->label);
	free(s->err_msg);
	free(s->msg);
	free(s);
}
