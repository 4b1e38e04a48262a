/* Root filesystem backends: dir (extracted per container), overlay (shared
 * read-only cache of the template + per-container upper/work), btrfs (cache
 * subvolume + snapshot through the btrfs ioctls).
 *
 * On disk under <state>/<name>/: rootfs/ (dir: a folder, btrfs: a subvolume)
 * or overlay/{upper,work,lower}; the extracted templates are shared in
 * <state>/templates/.cache/<sha256 of the tarball>. A container keeps the
 * backend it was created with (storage_kind), whatever the config says later. */
#ifndef BOX_STORAGE_H
#define BOX_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "base/log.h"

/* Builds the container's rootfs from the template (`template_override` wins
 * over the config's `template`; a relative override is a path first, else a
 * file of the templates folder), calls `fill` on the new tree before it is
 * put in place, with the owner a new file gets there (0, or the container
 * root's when the owners are shifted) (the caller writes the container's identity there; overlay:
 * not called, the identity is written at start), and prints which backend it used. A backend the state folder
 * cannot do (btrfs off btrfs, overlay without kernel support) falls back to
 * dir with a warning saying why. Everything is built under a temporary name
 * and renamed into place: on failure nothing is left behind (no rootfs, no
 * cache entry, no state folder it made). The caller holds the container's lock
 * (state_lock) so that no start or destroy runs meanwhile. Fails with EEXIST
 * when the rootfs exists already. */
typedef int (*storage_fill_fn)(const struct box_config *c, const char *rootfs, uid_t owner, box_err_t *err);
int storage_create(const struct box_config *c, const char *template_override, storage_fill_fn fill, box_err_t *err);
/* True when the container's rootfs has been created (any backend). */
bool storage_exists(const char *name);
/* The backend the container was created with (read from the disk). */
enum box_storage storage_kind(const char *name);
/* Contract with the runtime: called in the container's child after
 * unshare(CLONE_NEWNS) and MS_REC|MS_PRIVATE on "/", with an existing empty
 * folder `mountpoint`. Afterwards `mountpoint` is a mount whose tree is the
 * container's root: dir and btrfs bind-mount (MS_REC) their rootfs there,
 * overlay mounts lower=cache, upper, work there (new mount API: fsopen,
 * fsconfig, fsmount, move_mount; mount(2) on kernels without it). The caller
 * then mounts /proc, /dev... below it and pivot_roots into it. Nothing is
 * mounted in the host's namespace. Also used by export in a private mount
 * namespace of its own. */
int storage_mount(const struct box_config *c, const char *mountpoint, box_err_t *err);
/* The same tree as a detached mount (open_tree(OPEN_TREE_CLONE), or the
 * overlay's fsmount), made by the host's root in its own namespace: what an
 * unprivileged container's child moves onto its mountpoint, since it may
 * neither reach the state folder (mode 0700) nor mount an overlay of host
 * folders itself. Returns the fd (close-on-exec) or -1. */
int storage_open_tree(const struct box_config *c, box_err_t *err);
/* The container's tree at a path this process can read, mounted read-only
 * on a new folder *tmpdir in a private mount namespace of this process
 * (unshare), gone with it; the caller may unmount and remove *tmpdir
 * earlier. What is read there moves no atime in the tree (dir and btrfs: a
 * noatime bind of the rootfs; overlay: the upper as a lower), and the
 * unmount syncs nothing (a read-write overlay's would sync the state
 * folder's whole filesystem). The backend is the one on disk
 * (storage_kind), not the config's. */
int storage_root_path(const struct box_config *c, char **root, char **tmpdir, box_err_t *err);
/* storage_root_path for an edit of a few files (a clone's identity): an
 * overlay is mounted "volatile", so that its unmount does not sync the
 * whole filesystem, every other writer's dirty data on it (a clone took
 * 0.36 to 1.2 s more beside 1.5 GB of them); storage_edit_done syncs what
 * the edit wrote instead. dir and btrfs: the tree is the rootfs itself, and
 * the edit fsyncs what it changed (each file written, each folder whose
 * entries changed) before the edit counts as made; a volatile overlay makes
 * those fsyncs no-ops, so one editor serves every backend. */
int storage_edit_begin(const struct box_config *c, char **root, char **tmpdir, box_err_t *err);
/* Unmounts and removes tmpdir (NULL: nothing was mounted); then fsyncs
 * the overlay's upper, each file and folder, and removes overlay's
 * volatile mark from its work folder, so that the next mount takes it. An
 * upper holding what fsync cannot reach (a whiteout is a device node, a
 * symlink cannot be opened) is synced with syncfs: on ext4 without a
 * journal nothing else writes their inodes. dir and btrfs: nothing (the
 * edit synced its own changes). */
int storage_edit_done(const struct box_config *c, char *tmpdir, box_err_t *err);
/* Removes the rootfs (btrfs subvolumes with the btrfs ioctl) and the whole
 * state folder <state>/<name>/: first renamed out of the way, so a crash
 * half-way leaves no half container under the name. The shared template
 * cache stays. Not the config. 0 when there was nothing. The caller checks
 * that the container is not running and holds its lock. */
int storage_destroy(const char *name, box_err_t *err);

/* A running container, frozen for the moment its tree is read: freeze(arg)
 * is called right before that moment (after a pre-copy made while it runs:
 * copy.h), thaw(arg) once the tree is copied or snapshotted and before the
 * copy is synced to disk (which needs no freeze), so that it is frozen for
 * the copy alone; more calls of either do nothing. freeze NULL: the caller
 * froze it already. NULL where a function takes one: the container is
 * stopped. */
struct storage_live {
	int (*freeze)(void *arg, box_err_t *err);
	void (*thaw)(void *arg);
	void *arg;
};

#endif
