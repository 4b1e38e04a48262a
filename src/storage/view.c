/* The container's tree (or a snapshot's) mounted for the host to read or
 * edit in a private mount namespace: storage.h's storage_root_path and
 * storage_edit_begin, snapshot.h's storage_snapshot_root_path.
 *
 * A view to read (export) moves no atime and syncs nothing: dir and btrfs
 * are seen through a read-only noatime bind of their folder, so that
 * neither a file's read nor a folder's listing nor a readlink (which sets a
 * symlink's atime whatever the open flags) writes an atime into the
 * container's tree (relatime sets each one older than its mtime or a day;
 * O_NOATIME would need every reader to use it, and libarchive's uses it
 * only with its atime restoring, which writes each file's times back); an
 * overlay is mounted with its upper as the top lower and no upper: a
 * read-only superblock, whose atimes go nowhere, and whose unmount syncs
 * nothing (a read-write one's ran ovl_sync_fs, a syncfs of the state
 * folder's whole filesystem: an export beside 200 MB of others' dirty data
 * there took 0.27-0.30 s instead of 0.10-0.15 s). */
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "storage/internal.h"

/* path bound read-only and noatime on mountpoint (mount(2) where there is
 * no open_tree: a bind, then its remount with the flags) */
static int bind_view(const char *path, const char *mountpoint, box_err_t *err)
{
	cleanup_close int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0 && errno == ENOSYS) {
		if (mount(path, mountpoint, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, mountpoint, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOATIME, NULL) < 0)
			return box_error(err, errno, "binding %s on %s", path, mountpoint);
		return 0;
	}
	if (fd < 0)
		return box_error(err, errno, "open_tree of %s", path);
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME,
		.attr_clr = MOUNT_ATTR__ATIME,
	};
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return box_error(err, errno, "making the bind of %s read-only and noatime", path);
	if (move_mount(fd, "", AT_FDCWD, mountpoint, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return box_error(err, errno, "binding %s on %s", path, mountpoint);
	return 0;
}

int storage_view_bind(const char *path, char **tmpdir, box_err_t *err)
{
	return storage_private_tmpdir(tmpdir, err) < 0 ? -1 : bind_view(path, *tmpdir, err);
}

/* storage_root_mount's overlay on mountpoint, as mode says */
static int mount_root_overlay(const struct box_config *c, const char *mountpoint, enum storage_root_mode mode,
			      box_err_t *err)
{
	cleanup_strv char **lowers = NULL, **view = NULL;
	cleanup_free char *upper = NULL, *work = NULL;
	if (storage_overlay_dirs(c->name, &lowers, &upper, &work, err) < 0)
		return -1;
	if (mode == STORAGE_ROOT_EDIT)
		return storage_overlay_mount(lowers, upper, work, mountpoint, true, err);
	strv_push(&view, upper);
	for (char **l = lowers; l && *l; l++)
		strv_push(&view, *l);
	return storage_overlay_mount(view, NULL, NULL, mountpoint, false, err);
}

int storage_root_mount(const struct box_config *c, enum storage_root_mode mode, char **root, char **tmpdir,
		       box_err_t *err)
{
	*tmpdir = NULL;
	*root = paths_rootfs_path(c->name);
	bool overlay = storage_kind(c->name) == STORAGE_OVERLAY;
	struct stat st;
	if (!overlay && (lstat(*root, &st) < 0 || !S_ISDIR(st.st_mode)))
		goto missing;
	/* an edit of dir or btrfs writes the rootfs itself */
	if (!overlay && mode == STORAGE_ROOT_EDIT)
		return 0;
	if (overlay ? storage_private_tmpdir(tmpdir, err) < 0 || mount_root_overlay(c, *tmpdir, mode, err) < 0
		    : storage_view_bind(*root, tmpdir, err) < 0)
		return box_error_wrap(err, "mounting the rootfs of %s", c->name);
	free(*root);
	*root = xstrdup(*tmpdir);
	if (lstat(*root, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
missing:
	return box_error(err, errno ? errno : ENOTDIR, "container %s has no rootfs at %s (run 'box create %s' first)",
			 c->name, *root, c->name);
}

int storage_root_path(const struct box_config *c, char **root, char **tmpdir, box_err_t *err)
{
	return storage_root_mount(c, STORAGE_ROOT_VIEW, root, tmpdir, err);
}
