/* instream: gzip (one and several members) and zstd (one and several frames)
 * come back byte for byte from a file and from a pipe; a flipped byte, a bad
 * CRC, a cut stream are errors; a stop half-way and a signal do not hang. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "archive/instream.h"
#include "tap.h"
#include "base/util.h"

struct buf {
	unsigned char *p;
	size_t len;
};

/* every buffer made here, freed at the end */
static void *pool[32];
static size_t pool_n;

static void *pooled(size_t n)
{
	void *p = xmalloc(n);
	if (pool_n < ARRAY_SIZE(pool))
		pool[pool_n++] = p;
	return p;
}

static struct buf gz(const unsigned char *in, size_t len)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	struct buf o = { pooled(deflateBound(&s, len) + 64), 0 };
	s.next_in = (unsigned char *)in;
	s.avail_in = len;
	s.next_out = o.p;
	s.avail_out = deflateBound(&s, len) + 64;
	deflate(&s, Z_FINISH);
	o.len = s.total_out;
	deflateEnd(&s);
	return o;
}

static struct buf zst(const unsigned char *in, size_t len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	struct buf o = { pooled(ZSTD_compressBound(len)), 0 };
	o.len = ZSTD_compress2(c, o.p, ZSTD_compressBound(len), in, len);
	ZSTD_freeCCtx(c);
	return o;
}

static struct buf cat(struct buf a, struct buf b)
{
	struct buf o = { pooled(a.len + b.len + 1), a.len + b.len };
	memcpy(o.p, a.p, a.len);
	if (b.len)
		memcpy(o.p + a.len, b.p, b.len);
	return o;
}

/* An fd holding data: a memfd, or a pipe fed by a child in small pieces. */
static int source(const struct buf *b, bool pipe_, pid_t *child)
{
	*child = -1;
	if (!pipe_) {
		int fd = memfd_create("instream", 0);
		if (write_all(fd, b->p, b->len) < 0)
			return -1;
		lseek(fd, 0, SEEK_SET);
		return fd;
	}
	int p[2];
	if (pipe(p) < 0)
		return -1;
	*child = fork();
	if (*child == 0) {
		close(p[0]);
		for (size_t off = 0; off < b->len; off += 3000)
			if (write_all(p[1], b->p + off, b->len - off < 3000 ? b->len - off : 3000) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

/* Reads all: 0 with the data equal to want, else -1 (err gets the message). */
static int read_back(const struct buf *data, bool pipe_, const struct buf *want, char *err, size_t errlen,
		     enum instream_codec *codec)
{
	pid_t child;
	int fd = source(data, pipe_, &child);
	struct instream *s;
	box_err_t e = NULL;
	int ret = -1;
	snprintf(err, errlen, "-");
	if (instream_open(fd, "test", NULL, &s, &e) < 0) {
		box_error_release(&e);
		close(fd);
		return -1;
	}
	if (codec)
		*codec = instream_codec(s);
	struct buf got = { xmalloc(want->len + 1), 0 };
	const void *p;
	ssize_t n;
	bool same = true;
	while ((n = instream_read(s, &p)) > 0) {
		if (got.len + (size_t)n > want->len || memcmp(want->p + got.len, p, (size_t)n))
			same = false;
		else
			memcpy(got.p + got.len, p, (size_t)n);
		got.len += (size_t)n;
	}
	if (n < 0)
		snprintf(err, errlen, "%s", instream_error(s));
	else if (same && got.len == want->len)
		ret = 0;
	instream_free(s);
	close(fd);
	if (child > 0)
		waitpid(child, NULL, 0);
	free(got.p);
	return ret;
}

static volatile sig_atomic_t flag;

static void on_alarm(int sig)
{
	flag = sig;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	size_t len = 3 * 1024 * 1024 + 4321;
	struct buf in = { pooled(len), len };
	unsigned x = 7;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		in.p[i] = (i / 8192) % 2 ? (unsigned char)(x >> 16) : "boxes import "[i % 13];
	}
	char err[256];
	enum instream_codec codec;

	struct buf g = gz(in.p, in.len), z = zst(in.p, in.len);
	for (int pipe_ = 0; pipe_ < 2; pipe_++) {
		const char *how = pipe_ ? "from a pipe" : "from a file";
		tap_ok(read_back(&in, pipe_, &in, err, sizeof(err), &codec) == 0 && codec == INSTREAM_RAW,
		       "plain data passes through, %s", how);
		tap_ok(read_back(&g, pipe_, &in, err, sizeof(err), &codec) == 0 && codec == INSTREAM_GZIP,
		       "gzip is inflated, %s", how);
		tap_ok(read_back(&z, pipe_, &in, err, sizeof(err), &codec) == 0 && codec == INSTREAM_ZSTD,
		       "zstd is decompressed, %s", how);
	}

	struct buf half = { in.p, len / 2 }, rest = { in.p + len / 2, len - len / 2 };
	struct buf g2 = cat(gz(half.p, half.len), gz(rest.p, rest.len));
	tap_ok(read_back(&g2, false, &in, err, sizeof(err), NULL) == 0, "two gzip members: both");
	struct buf z2 = cat(zst(half.p, half.len), zst(rest.p, rest.len));
	tap_ok(read_back(&z2, true, &in, err, sizeof(err), NULL) == 0, "two zstd frames: both");
	struct buf junk = { (unsigned char *)"trailing junk", 13 };
	struct buf gj = cat(g, junk);
	tap_ok(read_back(&gj, false, &in, err, sizeof(err), NULL) == 0, "bytes after the gzip stream are ignored");

	struct buf bad = cat(g, (struct buf){ NULL, 0 });
	bad.p[bad.len - 6] ^= 0x55; /* the CRC-32 in the trailer */
	tap_ok(read_back(&bad, false, &in, err, sizeof(err), NULL) < 0 && strstr(err, "incorrect data check"),
	       "gzip: a wrong CRC is an error (%s)", err);
	bad = cat(g, (struct buf){ NULL, 0 });
	bad.p[bad.len / 2] ^= 0x55;
	tap_ok(read_back(&bad, true, &in, err, sizeof(err), NULL) < 0 && strstr(err, "corrupt gzip"),
	       "gzip: a flipped byte is an error (%s)", err);
	bad = (struct buf){ g.p, g.len - 5 };
	tap_ok(read_back(&bad, false, &in, err, sizeof(err), NULL) < 0 && strstr(err, "truncated gzip"),
	       "gzip: a cut trailer is an error (%s)", err);
	bad = (struct buf){ g.p, g.len / 3 };
	tap_ok(read_back(&bad, true, &in, err, sizeof(err), NULL) < 0 && strstr(err, "truncated gzip"),
	       "gzip: a stream cut in the middle is an error (%s)", err);
	bad = cat(z, (struct buf){ NULL, 0 });
	bad.p[bad.len - 2] ^= 0x55; /* the content checksum */
	tap_ok(read_back(&bad, false, &in, err, sizeof(err), NULL) < 0 && strstr(err, "corrupt zstd"),
	       "zstd: a wrong checksum is an error (%s)", err);
	bad = (struct buf){ z.p, z.len / 2 };
	tap_ok(read_back(&bad, true, &in, err, sizeof(err), NULL) < 0 && strstr(err, "truncated zstd"),
	       "zstd: a cut stream is an error (%s)", err);

	/* a writer that sends the start and then stalls: free and the flag return */
	int p[2];
	if (pipe(p) == 0) {
		pid_t w = fork();
		if (w == 0) {
			close(p[0]);
			if (write_all(p[1], g.p, g.len / 4) == 0)
				pause();
			_exit(0);
		}
		struct instream *s;
		box_err_t e = NULL;
		if (instream_open(p[0], "stall", &flag, &s, &e) == 0) {
			const void *b;
			ssize_t n;
			signal(SIGALRM, on_alarm); /* as import's SIGINT handler would */
			alarm(1);
			while ((n = instream_read(s, &b)) > 0)
				;
			tap_ok(n < 0 && errno == EINTR, "a stalled input ends with EINTR once the flag is set");
			uint64_t t0 = now_ms();
			instream_free(s);
			tap_ok(now_ms() - t0 < 1000, "instream_free stops a decoder blocked on a stalled pipe");
		} else {
			box_error_release(&e);
			tap_ok(0, "opening the stalled pipe");
		}
		close(p[0]);
		close(p[1]);
		kill(w, SIGKILL);
		waitpid(w, NULL, 0);
	}
	for (size_t i = 0; i < pool_n; i++)
		free(pool[i]);
	return tap_done();
}
