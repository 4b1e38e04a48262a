/* The btrfs ioctls the backends use: subvolumes, snapshots, read-only flags. */
#include "storage/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/util.h"

#define BTRFS_SUBVOL_INO 256 /* BTRFS_FIRST_FREE_OBJECTID: a subvolume's root */

bool storage_is_btrfs_fd(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

bool storage_is_subvolume_at(int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) || st.st_ino != BTRFS_SUBVOL_INO)
		return false;
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && storage_is_btrfs_fd(fd);
}

int storage_btrfs_subvol_create(int dirfd, const char *name, box_err_t *err)
{
	struct btrfs_ioctl_vol_args args = { 0 };
	if (strlen(name) > BTRFS_PATH_NAME_MAX)
		return box_error(err, ENAMETOOLONG, "subvolume %s", name);
	strcpy(args.name, name);
	if (ioctl(dirfd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
		return box_error(err, errno, "creating btrfs subvolume %s", name);
	return 0;
}

int storage_btrfs_snapshot(int srcfd, int dirfd, const char *name, bool readonly, box_err_t *err)
{
	struct btrfs_ioctl_vol_args_v2 args = { 0 };
	if (strlen(name) > BTRFS_SUBVOL_NAME_MAX)
		return box_error(err, ENAMETOOLONG, "snapshot %s", name);
	args.fd = srcfd;
	args.flags = readonly ? BTRFS_SUBVOL_RDONLY : 0;
	strcpy(args.name, name);
	if (ioctl(dirfd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
		return box_error(err, errno, "creating btrfs snapshot %s", name);
	return 0;
}

int storage_btrfs_subvol_destroy(int dirfd, const char *name, box_err_t *err)
{
	struct btrfs_ioctl_vol_args_v2 args = { 0 };
	if (strlen(name) > BTRFS_SUBVOL_NAME_MAX)
		return box_error(err, ENAMETOOLONG, "subvolume %s", name);
	strcpy(args.name, name);
	if (ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY_V2, &args) == 0)
		return 0;
	if (errno == ENOTTY || errno == EOPNOTSUPP) {
		struct btrfs_ioctl_vol_args v1 = { 0 };
		strcpy(v1.name, name);
		if (ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY, &v1) == 0)
			return 0;
	}
	return box_error(err, errno, "deleting btrfs subvolume %s", name);
}

int storage_btrfs_set_readonly(int fd, box_err_t *err)
{
	uint64_t flags;
	if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
		return box_error(err, errno, "reading subvolume flags");
	flags |= BTRFS_SUBVOL_RDONLY;
	if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
		return box_error(err, errno, "making the subvolume read-only");
	return 0;
}

/* rm -rf that also deletes the btrfs subvolumes it meets (rm_rf_at refuses to
 * cross into them: they have their own st_dev). */
/* Deletes the subvolumes below fd down to `depth` levels: a container's
 * rootfs (1), a snapshot's (snapshots/SNAP/rootfs: 3). Deeper folders are
 * the container's own and not walked. */
static int destroy_subvolumes_below(int fd, int depth, box_err_t *err)
{
	int dfd = dup(fd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (storage_is_subvolume_at(fd, de->d_name)) {
			if (storage_btrfs_subvol_destroy(fd, de->d_name, err) < 0)
				return -1;
		} else if (depth > 1 && de->d_type == DT_DIR) {
			cleanup_close int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0 && destroy_subvolumes_below(sub, depth - 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

int storage_remove_tree_at(int dirfd, const char *name, box_err_t *err)
{
	if (storage_is_subvolume_at(dirfd, name))
		return storage_btrfs_subvol_destroy(dirfd, name, err);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* rm -rf cannot cross into them: they have their own st_dev */
		if (fd >= 0 && storage_is_btrfs_fd(fd) && destroy_subvolumes_below(fd, 3, err) < 0)
			return -1;
	}
	return rm_rf_at(dirfd, name, err);
}
