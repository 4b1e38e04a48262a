/* A regular file's data copied from one open file to another: by reflink
 * (FICLONE) where the filesystem can, else extent by extent in the kernel
 * (copy_file_range; read and write across filesystems), holes kept. The
 * source may shrink meanwhile (a container's file): what is there is copied,
 * then the copy is sized as asked. */
#ifndef BOX_STORAGE_FILEDATA_H
#define BOX_STORAGE_FILEDATA_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/log.h"

/* size bytes of sfd into the empty dfd; *reflinked when shared. what: the
 * file, for messages. */
int storage_copy_data(int sfd, int dfd, off_t size, bool *reflinked, const char *what, box_err_t *err);
/* Whether dirfd's filesystem shares data by reflink (FICLONE of two new
 * unnamed files there). */
bool storage_can_reflink(int dirfd);

#endif
