/* Paths inside a container's rootfs are hostile input to the host: any
 * component may be a symlink out (absolute, "..", /proc/self/root), the file
 * may be a FIFO that blocks an open or a read forever, a device whose open
 * acts, or 10 GB. Every host-side open below a rootfs goes through here:
 * openat2 from a rootfs fd with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (a
 * symlink resolves inside the rootfs, never on the host), O_NONBLOCK, and
 * for reads O_NOFOLLOW on the last component and a type and size check
 * before the file is opened at all. */
#ifndef BOX_ROOTFS_H
#define BOX_ROOTFS_H

#include <stddef.h>
#include <sys/types.h>

#include "base/log.h"

/* Opens path (absolute or relative: both are below rootfd) with flags
 * (O_CLOEXEC and, but for O_PATH, O_NONBLOCK added; mode for O_CREAT). */
int rootfs_open(int rootfd, const char *path, int flags, mode_t mode, box_err_t *err);
/* The same from a rootfs folder's path. */
int rootfs_open_path(const char *root, const char *path, int flags, mode_t mode, box_err_t *err);
/* Reads a regular file of at most max bytes, NUL-terminated (*len may be
 * NULL); anything else (symlink, FIFO, device, folder, larger) is an error
 * that says what it is, and nothing is opened that could block or act. */
int rootfs_read_file(int rootfd, const char *path, size_t max, char **out, size_t *len, box_err_t *err);

/* "a FIFO", "a symlink", ... for messages about a file that is not what it should be. */
const char *rootfs_kind(mode_t mode);

#endif
