/* A few files written by the host into a container's tree (a clone's
 * identity: storage.h's storage_edit_begin and storage_edit_done), without
 * the syncfs of the whole filesystem that an overlay's unmount makes
 * (ovl_sync_fs), which waits for every other writer's dirty data there. */
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "storage/internal.h"

/* deeper than an edit goes (/etc/ssh is 2): syncfs instead */
#define EDIT_MAX_DEPTH 16

int storage_edit_begin(const struct box_config *c, char **root, char **tmpdir, box_err_t *err)
{
	return storage_root_mount(c, STORAGE_ROOT_EDIT, root, tmpdir, err);
}

/* fsync of every regular file and folder below the folder fd (an upper
 * that the host made and the edit wrote): 0, or 1 when it holds what fsync
 * cannot reach (a whiteout, a symlink, a tree too deep), or -1. */
static int sync_below(int fd, const char *what, int depth, box_err_t *err)
{
	if (depth > EDIT_MAX_DEPTH)
		return 1;
	int dup_fd = dup(fd);
	cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return box_error(err, errno, "reading %s", what);
	}
	int unreachable = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return box_error(err, errno, "%s/%s", what, de->d_name);
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			unreachable = 1;
			continue;
		}
		int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
		cleanup_close int sub = openat(fd, de->d_name, flags);
		int r = sub < 0 ? -1 : S_ISDIR(st.st_mode) ? sync_below(sub, what, depth + 1, err) : 0;
		if (r < 0 || fsync(sub) < 0)
			return *err ? -1 : box_error(err, errno, "syncing %s/%s", what, de->d_name);
		unreachable |= r;
	}
	return unreachable;
}

int storage_edit_done(const struct box_config *c, char *tmpdir, box_err_t *err)
{
	if (!tmpdir)
		return 0;
	/* the overlay's superblock goes here (its last reference), unsynced */
	umount2(tmpdir, MNT_DETACH);
	rmdir(tmpdir);
	cleanup_strv char **lowers = NULL;
	cleanup_free char *upper = NULL, *work = NULL;
	if (storage_overlay_dirs(c->name, &lowers, &upper, &work, err) < 0)
		return -1;
	cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0)
		return box_error(err, errno, "opening %s", upper);
	int r = sync_below(ufd, upper, 0, err);
	if (r < 0)
		return -1;
	if ((r ? syncfs(ufd) : fsync(ufd)) < 0)
		return box_error(err, errno, "syncing %s", upper);
	/* the mark a volatile mount leaves, work/incompat/volatile/dirty, which
	 * makes the next mount refuse (Documentation/filesystems/overlayfs.rst,
	 * "Volatile mount"): the upper is on disk now */
	cleanup_free char *ww = xasprintf("%s/work", work), *incompat = xasprintf("%s/incompat", ww),
			  *mark = xasprintf("%s/volatile", incompat), *dirty = xasprintf("%s/dirty", mark);
	if ((unlink(dirty) < 0 && errno != ENOENT) || (rmdir(mark) < 0 && errno != ENOENT) ||
	    (rmdir(incompat) < 0 && errno != ENOENT))
		return box_error(err, errno, "removing the overlay's volatile mark %s", mark);
	cleanup_close int wfd = open(ww, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wfd >= 0 && fsync(wfd) < 0)
		return box_error(err, errno, "syncing %s", ww);
	return 0;
}
