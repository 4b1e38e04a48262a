#include "container/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

int rootfs_open_at(int rootfd, const char *path, int flags, box_err_t *err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		.mode = (flags & O_CREAT) ? 0644 : 0,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return box_error(err, errno, "opening %s inside the container's rootfs", path);
	return fd;
}

int rootfs_open(const char *root, const char *path, int flags, box_err_t *err)
{
	cleanup_close int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return box_error(err, errno, "opening %s", root);
	return rootfs_open_at(rfd, path, flags, err);
}
