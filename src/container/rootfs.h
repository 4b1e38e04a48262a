/* Opening a path inside a container's rootfs from the host. The rootfs is
 * hostile: every component is resolved inside it (RESOLVE_IN_ROOT: a
 * symlink to / or .. stays in the rootfs) and no /proc magic link is
 * followed (RESOLVE_NO_MAGICLINKS), so the host never opens a file of its
 * own for the container. */
#ifndef BOX_CONTAINER_ROOTFS_H
#define BOX_CONTAINER_ROOTFS_H

#include "base/log.h"

/* path below the rootfs open as rootfd; flags as for open(2), O_CLOEXEC
 * added, O_CREAT makes a 0644 file. Returns the fd. */
int rootfs_open_at(int rootfd, const char *path, int flags, box_err_t *err);
/* The same below the folder root (opened for the call). */
int rootfs_open(const char *root, const char *path, int flags, box_err_t *err);

#endif
