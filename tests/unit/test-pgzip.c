/* pgzip: the output is one standard gzip stream that zlib inflates back to the
 * input, for empty input, one byte, block boundaries and megabytes of mixed data. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "archive/pgzip.h"
#include "tap.h"
#include "base/util.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int to_buf(void *data, const void *b, size_t len)
{
	struct buf *o = data;
	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, b, len);
	o->len += len;
	return 0;
}

static int roundtrip(const unsigned char *in, size_t len, size_t chunk, int threads)
{
	struct buf o = { 0 };
	box_err_t err = NULL;
	struct pgzip *z = pgzip_new(6, threads, to_buf, &o);
	int ok = 1;
	for (size_t off = 0; off < len && ok; off += chunk)
		ok = pgzip_write(z, in + off, len - off < chunk ? len - off : chunk, &err) == 0;
	ok = ok && pgzip_finish(z, &err) == 0;
	pgzip_free(z);
	box_error_release(&err);
	if (!ok)
		return 0;
	/* one member: inflate with the gzip wrapper must end exactly at the end */
	unsigned char *back = xmalloc(len + 1);
	z_stream s;
	memset(&s, 0, sizeof(s));
	inflateInit2(&s, 16 + 15);
	s.next_in = o.p;
	s.avail_in = o.len;
	s.next_out = back;
	s.avail_out = len + 1;
	int r = inflate(&s, Z_FINISH);
	ok = r == Z_STREAM_END && s.total_out == len && s.avail_in == 0 && !memcmp(back, in, len);
	inflateEnd(&s);
	free(back);
	free(o.p);
	return ok;
}

int main(void)
{
	size_t big = 5 * 1024 * 1024 + 12345;
	unsigned char *in = xmalloc(big);
	unsigned x = 1;
	for (size_t i = 0; i < big; i++) {
		/* compressible text with some noise, and a run of zeros */
		x = x * 1103515245 + 12345;
		in[i] = (i / 4096) % 3 == 0 ? (unsigned char)(x >> 16) : (i % 5000 < 100 ? 0 : "boxes "[i % 6]);
	}
	tap_ok(roundtrip(in, 0, 1, 2), "empty input gives a valid empty gzip stream");
	tap_ok(roundtrip(in, 1, 1, 2), "one byte");
	tap_ok(roundtrip(in, 128 * 1024, 10240, 2), "exactly one block");
	tap_ok(roundtrip(in, 128 * 1024 + 1, 10240, 2), "one block and one byte");
	tap_ok(roundtrip(in, big, 10240, 2), "5 MiB in 10 KiB writes, 2 threads");
	tap_ok(roundtrip(in, big, 3 * 1024 * 1024, 4), "5 MiB in 3 MiB writes, 4 threads");
	tap_ok(roundtrip(in, big, 65536, 1), "5 MiB, 1 thread");
	free(in);
	return tap_done();
}
