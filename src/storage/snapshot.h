/* Snapshots, rollback and clones of a container's root filesystem, on every
 * backend. A snapshot lives in the container's state folder:
 *
 *   <state>/NAME/snapshots/SNAP/meta     "created=EPOCH" and "comment=TEXT" lines
 *                               config   the NAME.conf of that moment
 *                               rootfs/  dir: a copy (reflinks where the fs can),
 *                                        btrfs: a read-only subvolume snapshot
 *                               overlay/ overlay: upper/, a copy of the container's
 *                                        layer, and lower, the template cache entry
 *                                        under it (shared, never copied)
 *
 * It is made under snapshots/.tmp-SNAP.PID and renamed into place last, so a
 * killed snapshot never lists as complete (the next snapshot command removes
 * the leftover). One snapshot command at a time per container (a lock on the
 * snapshots folder). The caller keeps the container still: stopped under its
 * lock, or frozen (runtime_quiesce). */
#ifndef BOX_STORAGE_SNAPSHOT_H
#define BOX_STORAGE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "storage/storage.h"

struct box_config;

struct storage_snapshot {
	char *name;
	int64_t created; /* seconds since the epoch */
	int64_t order;	 /* nanoseconds since the epoch: the order within a second */
	char *comment;	 /* "" when none */
	int64_t size;	 /* bytes the snapshot holds on its own; -1 unknown (btrfs) */
};

/* A snapshot name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 63 bytes (EINVAL). */
int storage_snapshot_check_name(const char *snap, box_err_t *err);
/* Snapshot of the rootfs as it is now, and of config_text (the config file's
 * bytes). EEXIST when the name is taken. */
int storage_snapshot_create(const char *name, const char *snap, const char *config_text, size_t config_len,
			    const char *comment, const struct storage_live *live, box_err_t *err);
/* Oldest first (by the time each was made). sizes: walk dir and overlay snapshots for their size. */
int storage_snapshot_list(const char *name, bool sizes, struct storage_snapshot **out, size_t *n, box_err_t *err);
void storage_snapshot_list_free(struct storage_snapshot *v, size_t n);
/* The config file's bytes kept with the snapshot. */
int storage_snapshot_config(const char *name, const char *snap, char **config, size_t *len, box_err_t *err);
/* The snapshot's tree at a path this process can read (export), mounted
 * read-only on a new folder *tmpdir in a private mount namespace of this
 * process (the caller may unmount and remove it earlier): its rootfs
 * folder bound noatime (dir, btrfs), or its layers (overlay). *hold: the snapshots
 * folder locked, no delete meanwhile; the caller closes it. */
int storage_snapshot_root_path(const char *name, const char *snap, char **root, char **tmpdir, int *hold,
			       box_err_t *err);
/* ENOENT when there is no such snapshot. */
int storage_snapshot_delete(const char *name, const char *snap, box_err_t *err);
/* The rootfs becomes the snapshot's again (one atomic exchange; the old tree
 * is removed after it); *config gets the snapshot's config bytes for the
 * caller to write back. The container is stopped and its lock held. Later
 * snapshots are kept. */
int storage_rollback(const char *name, const char *snap, char **config, size_t *config_len, box_err_t *err);
/* A new container's state folder <state>/DST from SRC's rootfs now (snap
 * NULL) or from one of its snapshots, built under a temporary name and
 * renamed into place; it holds a "clone-pending" mark until the caller has
 * written DST's config and called storage_clone_commit. A DST state folder
 * still marked and without a config is a killed clone's: removed here.
 * dc is DST's config (SRC's with DST's name); live: SRC runs (frozen), its
 * overlay upper is copied rather than shared. A rootfs whose owners were
 * shifted at create (an overlay, or dir or btrfs where the filesystem
 * cannot be idmapped) holds SRC's id range on disk: when dc says
 * idmap_base = auto, DST gets a range of its own (recorded). dir and btrfs:
 * its copy's owners (ACLs, file capabilities) are shifted to it; overlay:
 * its layers stay shared, shifted for SRC, and are idmapped to DST's range
 * at start (storage_open_tree). Either way DST starts beside SRC. */
int storage_clone(const struct box_config *dc, const char *src, const char *snap, const struct storage_live *live,
		  box_err_t *err);
int storage_clone_commit(const char *dst, box_err_t *err);

#endif
