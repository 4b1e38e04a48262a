/* The metadata of a copied file (copy.h, precopy.h): owner and mode,
 * extended attributes (ACLs, file capabilities, overlay's trusted.* marks),
 * access and modification times; owners in [from, from + size) become
 * to + (id - from) in the copy, in ACLs and v3 file capabilities too. */
#ifndef BOX_STORAGE_META_H
#define BOX_STORAGE_META_H

#include <stdint.h>

#include "base/log.h"

struct stat;

struct storage_id_shift {
	uint32_t from, to, size; /* size 0: owners as they are */
};

/* Of an open copy dfd (folders, files) from the open sfd, whose stat is s. */
int storage_copy_meta_fd(const struct storage_id_shift *o, int sfd, int dfd, const struct stat *s, const char *what,
			 box_err_t *err);
/* The same for what is not opened: symlinks, devices, FIFOs, sockets
 * (sdir/name to ddir/name). */
int storage_copy_meta_at(const struct storage_id_shift *o, int sdir, int ddir, const char *name, const struct stat *s,
			 const char *what, box_err_t *err);

#endif
