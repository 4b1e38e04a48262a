/* The pre-copy of a running container's tree: the data of its regular
 * files copied while it runs, so that the copy made while it is frozen
 * (copy.h) takes from it every file whose data cannot have changed since,
 * and costs metadata, not bytes. precopy.c says why "cannot". */
#ifndef BOX_STORAGE_PRECOPY_H
#define BOX_STORAGE_PRECOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct stat;
struct storage_id_shift;
struct storage_precopy;

/* The data of every regular file below srcdirfd/srcname that nobody holds
 * open for writing, copied into the new folder dstdirfd/dstname (one file
 * per inode, with its metadata, owners shifted: meta.h) while the tree is
 * written; *files and *bytes: what it holds;
 * progress: a line on stderr. *pre is set even on failure: free it. The
 * folder is the caller's to remove after the copy took from it. */
int storage_precopy(int srcdirfd, const char *srcname, int dstdirfd, const char *dstname,
		    const struct storage_id_shift *shift, bool progress, uint64_t *files, uint64_t *bytes,
		    struct storage_precopy **pre, box_err_t *err);
/* ddir/name (which must not exist) becomes the pre-copy of the file s (as
 * lstat sees it now, the tree frozen), data and metadata: 1; 0 when it may
 * have changed since or it has none there (pre NULL too). */
int storage_precopy_adopt(const struct storage_precopy *pre, const struct stat *s, int ddir, const char *name,
			  box_err_t *err);
void storage_precopy_free(struct storage_precopy *pre);

#endif
