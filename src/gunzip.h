/* Read-ahead input for tarballs: a thread reads the file and, when it is gzip,
 * inflates it with zlib, a few MiB ahead of the extraction.
 *
 * Why not libarchive's gzip filter: it does not check the gzip trailer
 * (archive_read_support_filter_gzip.c, consume_trailer: "XXX TODO: Verify the
 * length and CRC"), so a damaged template whose deflate stream still decodes
 * is extracted without a word; zlib's own gzip decoding checks CRC-32 and
 * length. And on this machine kind (2 cores) inflating in its own thread
 * overlaps with writing the files, as `tar xzf` (a gzip child process) does
 * and bsdtar (one thread) does not.
 *
 * Anything that is not gzip (zstd, xz, bzip2, plain tar, garbage) is passed
 * through unchanged for libarchive to detect: their decoders check their own
 * checksums. Concatenated gzip members are one stream, as for gzip -d; bytes
 * after the last member that do not start another one are ignored, as
 * libarchive and GNU tar do. */
#ifndef BOX_GUNZIP_H
#define BOX_GUNZIP_H

#include <stdbool.h>
#include <sys/types.h>

#include "log.h"

struct gunzip;

/* Starts reading `fd` (taken over: closed by gunzip_free, also when this
 * fails). Reads the first bytes itself to tell gzip from the rest. */
struct gunzip *gunzip_start(int fd, box_err_t *err);
/* True when the input is gzip (inflated here). */
bool gunzip_is_gzip(const struct gunzip *g);
/* The next piece of the (inflated) stream, valid until the next call:
 * its length, 0 at the end, -1 on an error (message in gunzip_error,
 * errno-style code in gunzip_errnum: 0 for damaged data). */
ssize_t gunzip_read(struct gunzip *g, const void **buf);
const char *gunzip_error(const struct gunzip *g);
int gunzip_errnum(const struct gunzip *g);
/* Stops the thread (also mid-stream) and frees everything. NULL is fine. */
void gunzip_free(struct gunzip *g);

#endif
