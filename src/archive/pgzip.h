/* A parallel gzip writer (pigz's approach, with zlib itself): the input is cut
 * into 128 KiB blocks that worker threads deflate at once, each primed with the
 * previous 32 KiB as dictionary and ended with a sync flush, so their outputs
 * concatenate into one standard single-member gzip stream (`gzip -t`, any
 * `tar xzf`). The CRC of the whole is combined from the blocks' CRCs.
 *
 * Output goes in order to a sink function (a file descriptor by default). */
#ifndef BOX_PGZIP_H
#define BOX_PGZIP_H

#include <stddef.h>
#include <sys/types.h>

#include "base/log.h"

struct pgzip;

/* sink: writes all of buf or returns -1 with errno set. */
typedef int (*pgzip_sink_fn)(void *data, const void *buf, size_t len);

/* level 1..9 (6 = gzip's default), threads 0 = one per online CPU. */
struct pgzip *pgzip_new(int level, int threads, pgzip_sink_fn sink, void *sink_data);
/* Same, writing to a file descriptor. */
struct pgzip *pgzip_new_fd(int level, int threads, int fd);
int pgzip_write(struct pgzip *z, const void *buf, size_t len, box_err_t *err);
/* Compresses what is left and writes the trailer. */
int pgzip_finish(struct pgzip *z, box_err_t *err);
/* Stops the workers and frees everything (also after an error, without finish). */
void pgzip_free(struct pgzip *z);

#endif
