/* Parallel gzip, as pigz does it: blocks of BLOCK bytes deflated by worker
 * threads (raw deflate, the previous DICT bytes of input as dictionary,
 * Z_SYNC_FLUSH so each block ends on a byte boundary, Z_FINISH on the last),
 * written in order between one gzip header and one trailer whose CRC is
 * combined with crc32_combine(). The writer thread keeps at most
 * 2 * threads + 2 blocks in flight, so memory stays bounded (~ a few MiB). */
#include "archive/pgzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/util.h"

#define BLOCK (128 * 1024)
#define DICT (32 * 1024)

struct job {
	struct job *next_work, *next_order;
	unsigned char *in;
	size_t in_len;
	unsigned char *dict;
	size_t dict_len;
	unsigned char *out;
	size_t out_len;
	uLong crc;
	bool last, done;
	int zerr; /* zlib error, 0 = fine */
};

struct pgzip {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	pthread_t *threads;
	int nthreads;
	bool stop;
	struct job *work_head, *work_tail;   /* waiting for a worker */
	struct job *order_head, *order_tail; /* submitted, not yet written, in stream order */
	size_t in_flight, max_in_flight;

	unsigned char *cur; /* block being filled */
	size_t cur_len;
	unsigned char tail[DICT]; /* last DICT bytes of the input submitted so far */
	size_t tail_len;

	int level;
	uLong crc;
	uint64_t total_in;
	unsigned long long out_bytes;
	bool header_done, failed, finished;
	pgzip_sink_fn sink;
	void *sink_data;
	int fd;
};

static int fd_sink(void *data, const void *buf, size_t len)
{
	struct pgzip *z = data;
	return write_all(z->fd, buf, len) < 0 ? -1 : 0;
}

static void compress_job(z_stream *s, struct job *j)
{
	j->crc = crc32(0L, j->in, j->in_len);
	if (deflateReset(s) != Z_OK || (j->dict_len && deflateSetDictionary(s, j->dict, j->dict_len) != Z_OK)) {
		j->zerr = Z_STREAM_ERROR;
		return;
	}
	size_t cap = deflateBound(s, j->in_len) + 64;
	j->out = xmalloc(cap);
	s->next_in = j->in;
	s->avail_in = j->in_len;
	s->next_out = j->out;
	s->avail_out = cap;
	int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;
	for (;;) {
		int r = deflate(s, flush);
		if (r == Z_STREAM_ERROR) {
			j->zerr = r;
			return;
		}
		if (j->last ? r == Z_STREAM_END : (s->avail_in == 0 && s->avail_out > 0))
			break;
		/* out of room (cannot happen with deflateBound, but be safe) */
		size_t used = cap - s->avail_out;
		cap *= 2;
		j->out = xrealloc(j->out, cap);
		s->next_out = j->out + used;
		s->avail_out = cap - used;
	}
	j->out_len = cap - s->avail_out;
}

static void *worker(void *arg)
{
	struct pgzip *z = arg;
	z_stream s;
	memset(&s, 0, sizeof(s));
	bool ok = deflateInit2(&s, z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (!z->stop && !z->work_head)
			pthread_cond_wait(&z->work_cv, &z->mu);
		if (z->stop)
			break;
		struct job *j = z->work_head;
		z->work_head = j->next_work;
		if (!z->work_head)
			z->work_tail = NULL;
		pthread_mutex_unlock(&z->mu);
		if (ok)
			compress_job(&s, j);
		else
			j->zerr = Z_MEM_ERROR;
		pthread_mutex_lock(&z->mu);
		j->done = true;
		pthread_cond_broadcast(&z->done_cv);
	}
	pthread_mutex_unlock(&z->mu);
	if (ok)
		deflateEnd(&s);
	return NULL;
}

struct pgzip *pgzip_new(int level, int threads, pgzip_sink_fn sink, void *sink_data)
{
	struct pgzip *z = xzalloc(sizeof(*z));
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (int)n : 1;
	}
	if (threads > 64)
		threads = 64;
	z->level = level < 1 || level > 9 ? 6 : level;
	z->sink = sink;
	z->sink_data = sink_data;
	z->crc = crc32(0L, Z_NULL, 0);
	z->max_in_flight = 2 * (size_t)threads + 2;
	z->cur = xmalloc(BLOCK);
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->work_cv, NULL);
	pthread_cond_init(&z->done_cv, NULL);
	z->threads = xzalloc(sizeof(pthread_t) * (size_t)threads);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&z->threads[i], NULL, worker, z) != 0)
			break;
		z->nthreads++;
	}
	return z;
}

struct pgzip *pgzip_new_fd(int level, int threads, int fd)
{
	struct pgzip *z = pgzip_new(level, threads, fd_sink, NULL);
	z->sink_data = z;
	z->fd = fd;
	return z;
}

static int emit(struct pgzip *z, const void *buf, size_t len, box_err_t *err)
{
	if (z->sink(z->sink_data, buf, len) < 0) {
		z->failed = true;
		return box_error(err, errno, "writing the compressed stream");
	}
	z->out_bytes += len;
	return 0;
}

static int write_header(struct pgzip *z, box_err_t *err)
{
	/* magic, deflate, no flags, no mtime (reproducible), xfl 0, OS unix */
	static const unsigned char h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	z->header_done = true;
	return emit(z, h, sizeof(h), err);
}

/* Writes every finished job at the head of the order list; with `wait`, waits
 * for the head until fewer than max_in_flight (or none, wait_all) remain. */
static int drain(struct pgzip *z, bool wait_all, box_err_t *err)
{
	for (;;) {
		pthread_mutex_lock(&z->mu);
		struct job *j = z->order_head;
		if (!j) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		bool must = wait_all || z->in_flight >= z->max_in_flight;
		while (!j->done && must)
			pthread_cond_wait(&z->done_cv, &z->mu);
		if (!j->done) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		z->order_head = j->next_order;
		if (!z->order_head)
			z->order_tail = NULL;
		z->in_flight--;
		pthread_mutex_unlock(&z->mu);

		int r = 0;
		if (j->zerr) {
			z->failed = true;
			r = box_error(err, ENOMEM, "deflate failed (zlib error %d)", j->zerr);
		} else {
			z->crc = crc32_combine(z->crc, j->crc, (z_off_t)j->in_len);
			r = emit(z, j->out, j->out_len, err);
		}
		free(j->in);
		free(j->dict);
		free(j->out);
		free(j);
		if (r < 0)
			return -1;
	}
}

static int submit(struct pgzip *z, bool last, box_err_t *err)
{
	if (!z->header_done && write_header(z, err) < 0)
		return -1;
	struct job *j = xzalloc(sizeof(*j));
	j->in = z->cur;
	j->in_len = z->cur_len;
	j->last = last;
	if (z->tail_len) {
		j->dict = xmalloc(z->tail_len);
		memcpy(j->dict, z->tail, z->tail_len);
		j->dict_len = z->tail_len;
	}
	/* the next block's dictionary: the last DICT bytes of all input so far */
	if (j->in_len >= DICT) {
		memcpy(z->tail, j->in + j->in_len - DICT, DICT);
		z->tail_len = DICT;
	} else if (j->in_len) {
		size_t keep = z->tail_len + j->in_len > DICT ? DICT - j->in_len : z->tail_len;
		memmove(z->tail, z->tail + z->tail_len - keep, keep);
		memcpy(z->tail + keep, j->in, j->in_len);
		z->tail_len = keep + j->in_len;
	}
	z->total_in += j->in_len;
	z->cur = last ? NULL : xmalloc(BLOCK);
	z->cur_len = 0;

	if (z->nthreads == 0) { /* no thread could be started: do it here */
		z_stream s;
		memset(&s, 0, sizeof(s));
		if (deflateInit2(&s, z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			j->zerr = Z_MEM_ERROR;
		else {
			compress_job(&s, j);
			deflateEnd(&s);
		}
		j->done = true;
	}
	pthread_mutex_lock(&z->mu);
	if (!j->done) {
		if (z->work_tail)
			z->work_tail->next_work = j;
		else
			z->work_head = j;
		z->work_tail = j;
		pthread_cond_signal(&z->work_cv);
	}
	if (z->order_tail)
		z->order_tail->next_order = j;
	else
		z->order_head = j;
	z->order_tail = j;
	z->in_flight++;
	pthread_mutex_unlock(&z->mu);
	return drain(z, false, err);
}

int pgzip_write(struct pgzip *z, const void *buf, size_t len, box_err_t *err)
{
	if (z->failed || z->finished)
		return box_error(err, EIO, "gzip stream already %s", z->failed ? "failed" : "finished");
	const unsigned char *p = buf;
	while (len) {
		size_t n = BLOCK - z->cur_len < len ? BLOCK - z->cur_len : len;
		memcpy(z->cur + z->cur_len, p, n);
		z->cur_len += n;
		p += n;
		len -= n;
		if (z->cur_len == BLOCK && submit(z, false, err) < 0)
			return -1;
	}
	return 0;
}

int pgzip_finish(struct pgzip *z, box_err_t *err)
{
	if (z->failed || z->finished)
		return box_error(err, EIO, "gzip stream already %s", z->failed ? "failed" : "finished");
	if (submit(z, true, err) < 0 || drain(z, true, err) < 0)
		return -1;
	z->finished = true;
	unsigned char t[8];
	uint32_t isize = (uint32_t)z->total_in;
	for (int i = 0; i < 4; i++) {
		t[i] = (unsigned char)(z->crc >> (8 * i));
		t[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	return emit(z, t, sizeof(t), err);
}

void pgzip_free(struct pgzip *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->mu);
	z->stop = true;
	pthread_cond_broadcast(&z->work_cv);
	pthread_mutex_unlock(&z->mu);
	for (int i = 0; i < z->nthreads; i++)
		pthread_join(z->threads[i], NULL);
	for (struct job *j = z->order_head, *n; j; j = n) {
		n = j->next_order;
		free(j->in);
		free(j->dict);
		free(j->out);
		free(j);
	}
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->work_cv);
	pthread_cond_destroy(&z->done_cv);
	free(z->threads);
	free(z->cur);
	free(z);
}
