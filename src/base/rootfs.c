/* Safe opens inside a container's rootfs (rootfs.h). */
#include "base/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

int rootfs_open(int rootfd, const char *path, int flags, mode_t mode, box_err_t *err)
{
	int extra = O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NONBLOCK);
	struct open_how how = {
		.flags = (uint64_t)(flags | extra),
		/* openat2 refuses a mode without O_CREAT or O_TMPFILE (which
		 * shares its O_DIRECTORY bit with plain folder opens) */
		.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR)); /* EAGAIN: a rename raced the lookup */
	if (fd < 0)
		return box_error(err, errno, "opening %s inside the container", path);
	return fd;
}

int rootfs_open_path(const char *root, const char *path, int flags, mode_t mode, box_err_t *err)
{
	cleanup_close int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return box_error(err, errno, "opening %s", root);
	return rootfs_open(rfd, path, flags, mode, err);
}

const char *rootfs_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symlink";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISREG(m))
		return "a file";
	return "a device";
}

int rootfs_read_file(int rootfd, const char *path, size_t max, char **out, size_t *len, box_err_t *err)
{
	/* O_PATH first: it opens nothing (no FIFO wait, no device open) */
	cleanup_close int pfd = rootfs_open(rootfd, path, O_PATH | O_NOFOLLOW, 0, err);
	if (pfd < 0)
		return -1;
	struct stat st;
	if (fstat(pfd, &st) < 0)
		return box_error(err, errno, "stat of %s inside the container", path);
	if (!S_ISREG(st.st_mode))
		return box_error(err, EINVAL, "%s inside the container is %s, not a regular file", path,
				 rootfs_kind(st.st_mode));
	if ((uint64_t)st.st_size > max)
		return box_error(err, EFBIG, "%s inside the container is larger than %zu bytes", path, max);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pfd);
	cleanup_close int fd = open(fdpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s inside the container", path);
	cleanup_free char *buf = xmalloc(max + 1);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return box_error(err, errno, "reading %s inside the container", path);
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) /* it grew since the stat */
			return box_error(err, EFBIG, "%s inside the container is larger than %zu bytes", path, max);
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_pointer(&buf);
	return 0;
}
