/* gunzip: the read-ahead input of template extraction gives back exactly what
 * was gzipped (one member, several members, from a file and from a pipe in
 * small pieces), passes anything else through, ignores bytes after the last
 * member, and fails on a truncated stream and on a CRC-32 or length that does
 * not match the trailer (which libarchive's own gzip filter lets through).
 * gunzip_free stops the thread mid-stream, also while it waits on an idle pipe.
 * Through archive_extract_file: libarchive frees our input exactly once when
 * the open fails (the ASan build checks leaks and double frees). */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "archive.h"
#include "gunzip.h"
#include "tap.h"
#include "util.h"

struct buf {
	unsigned char *p;
	size_t len;
};

static struct buf gz(const unsigned char *in, size_t len)
{
	struct buf o = { xmalloc(len + len / 100 + 1024), 0 };
	z_stream s;
	memset(&s, 0, sizeof(s));
	deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	s.next_in = (unsigned char *)in;
	s.avail_in = (uInt)len;
	s.next_out = o.p;
	s.avail_out = (uInt)(len + len / 100 + 1024);
	deflate(&s, Z_FINISH);
	o.len = s.total_out;
	deflateEnd(&s);
	return o;
}

static void cat(struct buf *a, const void *p, size_t len)
{
	a->p = xrealloc(a->p, a->len + len);
	memcpy(a->p + a->len, p, len);
	a->len += len;
}

/* A file holding `data`, opened for reading. */
static int file_of(const struct buf *data)
{
	char path[] = "/tmp/test-gunzip.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	if (write_all(fd, data->p, data->len) < 0)
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

struct feeder {
	int fd;
	const struct buf *data;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	/* odd small pieces: the reader must not assume full reads */
	for (size_t off = 0; off < f->data->len;) {
		size_t n = f->data->len - off < 777 ? f->data->len - off : 777;
		if (write_all(f->fd, f->data->p + off, n) < 0)
			break;
		off += n;
	}
	close(f->fd);
	return NULL;
}

/* Reads everything; 1 when it equals `want` and ends cleanly, and sets
 * *msg to the error text (NULL when none). */
static int read_all_of(struct gunzip *g, const unsigned char *want, size_t want_len, char **msg)
{
	struct buf got = { NULL, 0 };
	const void *p;
	ssize_t n;
	*msg = NULL;
	while ((n = gunzip_read(g, &p)) > 0)
		cat(&got, p, (size_t)n);
	if (n < 0)
		*msg = xstrdup(gunzip_error(g));
	int same = n == 0 && got.len == want_len && (!want_len || !memcmp(got.p, want, want_len));
	free(got.p);
	return same;
}

static int from_file(const struct buf *data, const unsigned char *want, size_t want_len, char **msg)
{
	box_err_t err = NULL;
	struct gunzip *g = gunzip_start(file_of(data), &err);
	if (!g) {
		box_error_release(&err);
		return 0;
	}
	int r = read_all_of(g, want, want_len, msg);
	gunzip_free(g);
	return r;
}

int main(void)
{
	size_t big = 3 * 1024 * 1024 + 4321;
	unsigned char *in = xmalloc(big);
	unsigned x = 7;
	for (size_t i = 0; i < big; i++) {
		x = x * 1103515245 + 12345;
		in[i] = (i / 8192) % 2 ? (unsigned char)(x >> 16) : "template "[i % 9];
	}
	char *msg;
	struct buf one = gz(in, big);

	tap_ok(from_file(&one, in, big, &msg) && !msg, "one gzip member from a file: the content back");
	free(msg);

	{
		int p[2];
		if (pipe(p) < 0)
			abort();
		struct feeder f = { p[1], &one };
		pthread_t t;
		pthread_create(&t, NULL, feed, &f);
		box_err_t err = NULL;
		struct gunzip *g = gunzip_start(p[0], &err);
		tap_ok(g && gunzip_is_gzip(g), "from a pipe in 777-byte pieces: seen as gzip");
		tap_ok(g && read_all_of(g, in, big, &msg), "... and the content back");
		free(msg);
		gunzip_free(g);
		pthread_join(t, NULL);
	}

	struct buf two = gz(in, big / 2);
	struct buf rest = gz(in + big / 2, big - big / 2);
	cat(&two, rest.p, rest.len);
	tap_ok(from_file(&two, in, big, &msg), "two members are one stream (gzip -d)");
	free(msg);

	struct buf trail = gz(in, 1000);
	cat(&trail, "junk\n", 5);
	tap_ok(from_file(&trail, in, 1000, &msg), "bytes after the last member are ignored");
	free(msg);

	struct buf cut = { xmalloc(one.len), one.len / 2 };
	memcpy(cut.p, one.p, cut.len);
	tap_ok(!from_file(&cut, in, big, &msg) && msg && strstr(msg, "truncated"), "a truncated stream fails");
	tap_streq(msg, "the gzip data ends early: the file is truncated", "... saying so");
	free(msg);
	cut.len = one.len - 4; /* the length field of the trailer missing */
	tap_ok(!from_file(&cut, in, big, &msg) && msg, "a stream without its last 4 bytes fails");
	free(msg);

	struct buf crc = { xmalloc(one.len), one.len };
	memcpy(crc.p, one.p, one.len);
	crc.p[crc.len - 8] ^= 0x55;
	tap_ok(!from_file(&crc, in, big, &msg) && msg && strstr(msg, "CRC-32"), "a wrong CRC-32 in the trailer fails");
	tap_streq(msg, "damaged gzip data (incorrect data check: the CRC-32 of the content does not match)",
		  "... saying so");
	free(msg);
	memcpy(crc.p, one.p, one.len);
	crc.p[crc.len - 1] ^= 0x01;
	tap_ok(!from_file(&crc, in, big, &msg) && msg && strstr(msg, "length"), "a wrong length in the trailer fails");
	free(msg);

	struct buf plain = { xmalloc(big), big };
	memcpy(plain.p, in, big);
	{
		box_err_t err = NULL;
		struct gunzip *g = gunzip_start(file_of(&plain), &err);
		tap_ok(g && !gunzip_is_gzip(g), "other data is not taken for gzip");
		tap_ok(g && read_all_of(g, in, big, &msg), "... and passes through unchanged");
		free(msg);
		gunzip_free(g);
	}
	struct buf none = { NULL, 0 };
	tap_ok(from_file(&none, NULL, 0, &msg) && !msg, "empty input: the end at once");
	free(msg);
	struct buf onebyte = { (unsigned char *)"\x1f", 1 };
	tap_ok(from_file(&onebyte, (const unsigned char *)"\x1f", 1, &msg), "one byte passes through");
	free(msg);

	{
		box_err_t err = NULL;
		struct gunzip *g = gunzip_start(file_of(&one), &err);
		const void *p;
		tap_ok(g && gunzip_read(g, &p) > 0, "stopping mid-stream: a first piece");
		gunzip_free(g); /* the thread is blocked on full slots: must return */
		tap_ok(1, "... gunzip_free returns with the thread waiting for room");
	}
	{
		int p[2];
		if (pipe(p) < 0)
			abort();
		if (write_all(p[1], one.p, 100) < 0)
			abort();
		box_err_t err = NULL;
		struct gunzip *g = gunzip_start(p[0], &err);
		gunzip_free(g); /* the thread waits in poll() on a pipe nobody writes */
		tap_ok(g != NULL, "gunzip_free returns with the thread waiting on an idle pipe");
		close(p[1]);
	}
	{
		char dir[] = "/tmp/test-gunzip-x.XXXXXX", path[64];
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s.gz", dir);
		struct buf text = gz((const unsigned char *)"not a tar at all\n", 17);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write_all(fd, text.p, text.len) < 0)
			abort();
		close(fd);
		box_err_t err = NULL;
		int r = archive_extract_file(path, dir, NULL, &err);
		char *t = err ? box_error_text(err) : NULL;
		tap_ok(r < 0 && t && strstr(t, "is not a tarball"), "gzipped text through archive_extract_file: not a tarball");
		free(t);
		box_error_release(&err);
		fd = open(path, O_WRONLY | O_TRUNC);
		if (fd < 0 || write_all(fd, one.p, one.len / 3) < 0)
			abort();
		close(fd);
		r = archive_extract_file(path, dir, NULL, &err);
		tap_ok(r < 0, "a truncated non-tar gzip through archive_extract_file fails");
		box_error_release(&err);
		unlink(path);
		rmdir(dir);
		free(text.p);
	}
	free(one.p);
	free(two.p);
	free(rest.p);
	free(trail.p);
	free(cut.p);
	free(crc.p);
	free(plain.p);
	free(in);
	return tap_done();
}
