/* Tarballs: secure extraction into a folder (templates, imports) and writing
 * of a folder into a vzdump-layout archive (export).
 *
 * Extraction treats every archive as hostile: no "..", no absolute paths, no
 * writing through a symlink, no hard link out of the target, device nodes only
 * when allowed. Numeric owners, modes (setuid), xattrs (security.capability),
 * ACLs, hard links, symlinks, device nodes, fifos and mtimes are restored. */
#ifndef BOX_ARCHIVE_H
#define BOX_ARCHIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

struct archive; /* libarchive's */

enum archive_entry_action { ENTRY_EXTRACT, ENTRY_SKIP };
struct archive_entry;

struct extract_opts {
	bool allow_devices; /* false for unprivileged containers: device nodes are refused */
	uint32_t id_shift;  /* added to every uid/gid (unprivileged), 0 = none */
	uint32_t id_range;  /* unprivileged: ids >= id_range are refused, names dropped; 0 = none */
	/* Called for every entry before extraction (may rewrite it); NULL = all.
	 * One that returns ENTRY_SKIP may read the entry's data itself
	 * (archive_read_data): import reads a pct.conf met inside the rootfs. */
	enum archive_entry_action (*filter)(struct archive_entry *e, void *data);
	void *filter_data;
	uint64_t *bytes_out; /* if set: bytes of file data written */
};

/* Set by a command's signal handler (SIGINT, SIGTERM, SIGHUP): the extraction
 * stops at the next entry or data block and fails, so that the caller can
 * remove what it made instead of dying half-way. */
extern volatile sig_atomic_t archive_interrupted;

/* Extracts every remaining entry of `a` into the folder `target` (which must
 * exist and be empty). A damaged header fails it (libarchive would skip the
 * entry). On failure the caller removes `target`. */
int archive_extract(struct archive *a, const char *target, const struct extract_opts *o, box_err_t *err);

/* Opens the tarball (compression and format detected from the content:
 * gzip, zstd, xz, lzma, bzip2, none; gzip and zstd decoded in a thread of
 * our own that checks their checksums, instream.h), extracts, closes. */
int archive_extract_file(const char *tarball, const char *target, const struct extract_opts *o, box_err_t *err);

/* Checks a tree extracted earlier against its tarball: every regular file
 * there with its size (what a full disk or a crash cuts short); the error
 * names the first that is not. Reads the tarball to its end. */
int archive_verify_tree(const char *tarball, int dirfd, box_err_t *err);

#endif
