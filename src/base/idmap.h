/* User namespace id maps and idmapped mounts (mount_setattr with
 * MOUNT_ATTR_IDMAP, kernel 5.12+): an unprivileged container's rootfs keeps
 * the owners the container sees (0..65535) on disk, and the mount the
 * container gets shows them shifted to its host ids. ext4, xfs, btrfs and
 * tmpfs can be idmapped; what cannot (an overlay here) is shifted on disk at
 * create instead (storage.h keeps which). */
#ifndef BOX_IDMAP_H
#define BOX_IDMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

/* Writes /proc/PID/uid_map and gid_map ("0 base size"), as the host's root:
 * no "setgroups deny" is needed. A map the kernel refuses is an error naming
 * the file and the line. */
int idmap_write_maps(pid_t pid, uint32_t base, uint32_t size, box_err_t *err);
/* Whether host ids base..base+size-1 can be mapped from the user namespace
 * box runs in (the initial one maps every id; boxes inside another
 * container's may not have them): each of /proc/self/uid_map and gid_map
 * must cover the range with one extent. An error names the ids and the map. */
int idmap_check_range(uint32_t base, uint32_t size, box_err_t *err);
/* A user namespace with the map "inside base size", held by an fd (its
 * process is gone): an idmapped mount through it
 * shows an owner inside+i on disk as base+i (a tree shifted by `inside` at
 * create, seen by a container whose range starts at base); inside > 0
 * adds "0 0 1": what the host's root owns stays its own. */
int idmap_userns_fd_from(uint32_t inside, uint32_t base, uint32_t size, box_err_t *err);
/* Makes the detached mount `tree` (open_tree(OPEN_TREE_CLONE)) and all below
 * it idmapped through the user namespace `userns_fd`. */
int idmap_mount(int tree, int userns_fd, box_err_t *err);
/* Whether the filesystem of the folder `dirfd` can be idmapped. */
bool idmap_supported(int dirfd);
/* The filesystem dirfd/path is on ("" = dirfd), for messages: "MOUNTPOINT
 * (FSTYPE)" from /proc/self/mountinfo, or "its filesystem". Caller frees. */
char *idmap_fs_name(int dirfd, const char *path);
/* Whether this process runs in a user namespace other than the host's (boxes
 * inside a container with nesting = yes): its uid_map is not the initial
 * "0 0 4294967295". */
bool idmap_in_userns(void);

#endif
