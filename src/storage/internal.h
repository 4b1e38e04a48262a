/* Shared by the storage backends (storage.c, snapshot.c); not the module's API. */
#ifndef BOX_STORAGE_INTERNAL_H
#define BOX_STORAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct box_config;

bool storage_is_btrfs_fd(int fd);
/* a btrfs subvolume's root, not followed if a symlink */
bool storage_is_subvolume_at(int dirfd, const char *name);
int storage_btrfs_subvol_create(int dirfd, const char *name, box_err_t *err);
/* a snapshot of the subvolume srcfd as dirfd/name */
int storage_btrfs_snapshot(int srcfd, int dirfd, const char *name, bool readonly, box_err_t *err);
int storage_btrfs_subvol_destroy(int dirfd, const char *name, box_err_t *err);
int storage_btrfs_set_readonly(int fd, box_err_t *err);
/* rm -rf that also deletes the btrfs subvolumes it meets (down to a
 * snapshot's rootfs, three levels) */
int storage_remove_tree_at(int dirfd, const char *name, box_err_t *err);
/* Removes the entries of dirfd named prefix*: what a command killed half-way
 * left behind. The caller holds the lock that every live user of such names
 * holds too. */
void storage_sweep(int dirfd, const char *prefix, const char *where);

/* The key of the template cache entry of c's template with its owners
 * shifted by `shift` (0: as they are), made when missing. */
int storage_cache_key(const struct box_config *c, uint32_t shift, char **key, box_err_t *err);

#endif
