/* The input of `box import`: a file or a pipe, read front to back once.
 *
 * gzip and zstd (what boxes and vzdump write) are decompressed here, in a
 * thread of its own, so that inflating overlaps the extraction on another
 * core, and to the very end of the stream, so that the checksums are verified:
 * libarchive's gzip reader never checks the CRC, and its readers stop at the
 * tar end marker before any trailer. A corrupt or truncated stream is an
 * error, never a silently damaged file. Everything else (plain tar, xz,
 * bzip2) is handed on raw, for libarchive's own filters.
 *
 * The codec is told from the first bytes (magic numbers), never the name. */
#ifndef BOX_INSTREAM_H
#define BOX_INSTREAM_H

#include <signal.h>
#include <sys/types.h>

#include "base/log.h"

enum instream_codec { INSTREAM_RAW, INSTREAM_GZIP, INSTREAM_ZSTD };

struct instream;

/* Reads the first bytes of fd (not closed by instream_free) to tell the
 * codec. `interrupted` (may be NULL) is polled while waiting: when it becomes
 * non-zero, instream_read fails with EINTR. Its errors name `label`. */
int instream_open(int fd, const char *label, const volatile sig_atomic_t *interrupted, struct instream **out,
		  box_err_t *err);
enum instream_codec instream_codec(const struct instream *s);
/* The next block of (decompressed) data, valid until the next call: its
 * length; 0 at the end of the input, every checksum verified; -1 on an error:
 * instream_error() says what, errno is its errno (0 for bad data). */
ssize_t instream_read(struct instream *s, const void **buf);
const char *instream_error(const struct instream *s);
/* Stops the decoder thread (also half-way) and frees everything. */
void instream_free(struct instream *s);

#endif
