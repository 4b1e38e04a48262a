/* A copy of a container's tree that keeps everything a rootfs holds: every
 * file kind (devices, FIFOs, sockets, symlinks, overlay whiteouts), owners,
 * modes, timestamps, extended attributes (ACLs, capabilities, overlay's
 * trusted.* marks) and hard links. File data is shared by reflink (FICLONE)
 * where the filesystem can, else copied in the kernel (copy_file_range).
 *
 * The source is a container's and hostile: nothing is followed (symlinks are
 * copied as links), a file is opened only after it was seen to be a regular
 * file and checked again on the open fd, never blocking (O_NONBLOCK), and a
 * tree deeper than STORAGE_COPY_MAX_DEPTH is refused rather than exhausting
 * the fds. A running container is frozen by the caller while it is copied;
 * before that, where the filesystem cannot reflink, a pre-copy of its files'
 * data is made while it runs (precopy.h), and the frozen copy takes every
 * file whose data cannot have changed since from there: metadata then, not
 * bytes. */
#ifndef BOX_STORAGE_COPY_H
#define BOX_STORAGE_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "storage/meta.h"

#define STORAGE_COPY_MAX_DEPTH 256

struct copy_stats {
	uint64_t files, bytes; /* regular files and their bytes */
	uint64_t reflinked;    /* of those, shared by FICLONE */
	bool progress;	       /* a progress line on stderr (a terminal) */
	/* in: owners shifted (meta.h; a clone of a rootfs shifted at create
	 * gets its own range); zero: as they are */
	struct storage_id_shift shift;
	/* in: a pre-copy (precopy.h) to take unchanged files' data from;
	 * out: how many files were */
	const struct storage_precopy *pre;
	uint64_t reused;
};

struct storage_precopy;

/* Copies srcdirfd/srcname (a folder) to dstdirfd/dstname, which must not
 * exist. On failure the partial copy is left for the caller to remove (it
 * made the name, it knows when it is its own). */
int storage_copy_tree(int srcdirfd, const char *srcname, int dstdirfd, const char *dstname, struct copy_stats *st,
		      box_err_t *err);

/* Bytes allocated by a tree (st_blocks), hard links counted once; hostile
 * trees as above. */
int storage_tree_size(int dirfd, const char *name, uint64_t *bytes, box_err_t *err);

#endif
