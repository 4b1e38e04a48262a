/* A regular file's data copied from one open file to another: by reflink
 * (FICLONE) where the filesystem can, else in the kernel (copy_file_range;
 * read and write across filesystems), holes kept: a file with fewer blocks
 * than its size is copied extent by extent (SEEK_DATA), as GNU cp tells
 * them apart, which saves two lseeks for every other file. The source may
 * shrink meanwhile (a container's file): what is there is copied, then the
 * copy is sized as asked. */
#ifndef BOX_STORAGE_FILEDATA_H
#define BOX_STORAGE_FILEDATA_H

#include <stdbool.h>
#include <sys/stat.h>

#include "base/log.h"

/* s->st_size bytes of sfd (s: its stat) into the empty dfd; *reflinked when
 * shared. what: the file, for messages. */
int storage_copy_data(int sfd, int dfd, const struct stat *s, bool *reflinked, const char *what, box_err_t *err);

/* The same for the holder of a read lease on sfd (the pre-copy): in pieces
 * of STORAGE_COPY_LEASED_CHUNK, the lease looked at before each, so that a
 * process opening the file for writing, whom the kernel makes wait for the
 * lease's release, waits for one piece and not the whole file. 0: copied;
 * 1: the lease is being broken, the copy stopped (the caller drops it and
 * releases the lease); < 0: an error. */
#define STORAGE_COPY_LEASED_CHUNK (8 << 20)
int storage_copy_data_leased(int sfd, int dfd, const struct stat *s, const char *what, box_err_t *err);

/* dirfd/name, a file or folder of the tree being copied (a container's),
 * opened with flags for reading and O_NOATIME, so that the copy leaves the
 * atimes it reads as they were (relatime would set each one older than its
 * mtime, or than a day, to now); without O_NOATIME where the kernel refuses
 * it (EPERM: a file not ours, without CAP_FOWNER). The fd, or -1 and errno. */
int storage_open_source(int dirfd, const char *name, int flags);
/* The same for a file of a tree that a running container changes, opened
 * only if it is the regular file *want says (same inode): its type is
 * checked on an O_PATH fd and the open goes through that fd, so that a
 * device node renamed over the name after the walk's stat is never opened
 * (the open of a watchdog's node arms the host's watchdog). -1 and errno
 * (ESTALE: not that file any more). */
int storage_open_regular(int dirfd, const char *name, int flags, const struct stat *want);

/* Whether dirfd's filesystem shares data by reflink (FICLONE of two new
 * unnamed files there). */
bool storage_can_reflink(int dirfd);

#endif
