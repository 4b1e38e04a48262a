/* Shared by the storage backends (storage.c, snapshot.c); not the module's API. */
#ifndef BOX_STORAGE_INTERNAL_H
#define BOX_STORAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct box_config;
struct storage_live;

/* live's thaw, when there is one (snapshot.h) */
void storage_live_thaw(const struct storage_live *live);

/* live's freeze, when there is one: before the moment the tree is read */
int storage_live_freeze(const struct storage_live *live, box_err_t *err);

/* livecopy.c: sdir/sname copied to ddir/dname (storage_copy_tree, st) with
 * the container frozen for it (live; NULL: stopped), its data pre-copied
 * before where the filesystem cannot reflink; thawed before returning. */
struct copy_stats;
int storage_copy_live(int sdir, const char *sname, int ddir, const char *dname, const struct storage_live *live,
		      struct copy_stats *st, box_err_t *err);

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

/* The overlay of the folders `lowers` (top first, NULL-terminated) under
 * upper and work, as a detached mount (-1 with errno ENOSYS, err unset,
 * without the new mount API); upper NULL: a read-only overlay of the
 * lowers alone; userns >= 0: every layer idmapped through it (upper and
 * work in one folder). overlay.c. */
/* volatile_ (with an upper): overlay's "volatile" (no sync at all, no
 * syncfs of the upper's filesystem at the unmount; a mark in work that
 * refuses the next mount until it is removed: storage_edit_done). */
int storage_overlay_fsmount(char *const *lowers, const char *upper, const char *work, bool volatile_, int userns,
			    box_err_t *err);
/* The same mounted on mountpoint (mount(2) where there is no fsopen). */
int storage_overlay_mount(char *const *lowers, const char *upper, const char *work, const char *mountpoint,
			  bool volatile_, box_err_t *err);
/* view.c. How storage_root_mount mounts the tree: for an edit
 * (storage_edit_begin: an overlay volatile, dir and btrfs not mounted), or
 * a view to read (storage_root_path: see view.c). */
enum storage_root_mode { STORAGE_ROOT_EDIT, STORAGE_ROOT_VIEW };
/* view.c: path (a dir or btrfs rootfs, or a snapshot's) bound read-only
 * and noatime on a new folder *tmpdir in a private mount namespace of this
 * process: what is read there moves no atime in the tree. */
int storage_view_bind(const char *path, char **tmpdir, box_err_t *err);
/* view.c: a new empty folder *tmpdir to mount on, in a private mount
 * namespace of this process (unshare) and named after it in <run>/.views/,
 * so that the one a killed command left is removed by the next. */
int storage_private_tmpdir(char **tmpdir, box_err_t *err);
/* view.c: the same folder without the namespace, for a mount the caller
 * makes for a moment (overlay.c's on older kernels or long chains): a
 * kill -9 in that moment leaves it to the next command's sweep too. */
int storage_mount_tmpdir(char **tmpdir, box_err_t *err);
int storage_root_mount(const struct box_config *c, enum storage_root_mode mode, char **root, char **tmpdir,
		       box_err_t *err);
/* The error for an unprivileged overlay clone when dirfd/path, a layer or
 * the layer store, is on a filesystem that cannot be idmapped (EINVAL):
 * what, which filesystem, what to do. */
int storage_idmap_refused(int dirfd, const char *path, box_err_t *err);
/* The folders of a container's overlay (its layer record, or the layout
 * before records: overlay/{upper,work,lower}), checked to exist. */
int storage_overlay_dirs(const char *name, char ***lowers, char **upper, char **work, box_err_t *err);
/* Overlay folders made before layer records (legacy.c): dirfd (a
 * container's folder or a snapshot's) holds an overlay/ folder; then its
 * upper (overlay/upper, or overlay/diff half-way through a conversion) and
 * its template cache key. */
bool storage_legacy_overlay(int dirfd);
const char *storage_legacy_upper(int dirfd);
int storage_legacy_key(int dirfd, const char *what, char **key, box_err_t *err);
/* Converts the folder dirfd (container: its upper stays its upper; else a
 * snapshot: its upper becomes a lower) to the layer store in place, when it
 * is of the old layout (0 when not); storefd: the store's lock if the
 * caller holds it, else -1. The caller holds dirfd's lock. what: its path. */
int storage_legacy_convert(int dirfd, bool container, int storefd, const char *what, box_err_t *err);
/* Overlay snapshots and clones (snapshot-overlay.c). The chain of the
 * container cfd now, recorded in the folder dfd (a snapshot's or a clone's,
 * not yet in place): its upper becomes a shared lower (stopped: the
 * container's own record moves onto a fresh upper) or, live (mounted and
 * written by a running container), a copy of it does; with_upper: a fresh
 * upper of dfd's own over it (a clone). *storefd: the store's lock, held
 * by the caller until dfd is in place (or removed), then closed. */
int storage_overlay_take(int cfd, int dfd, const struct storage_live *live, bool with_upper, const char *what,
			 int *storefd, box_err_t *err);
/* A fresh upper over the snapshot snapfd's chain, recorded in dfd (a
 * clone's folder, or the container's own: a rollback, committed here).
 * Either converts what is of the old layout (legacy.c) first: the
 * container when not live, the snapshot. what: the source, for messages. */
int storage_overlay_from(int snapfd, int dfd, const char *what, int *storefd, box_err_t *err);

#endif
