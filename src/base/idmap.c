#include "base/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/mountinfo.h"
#include "base/util.h"

static int write_map(pid_t pid, const char *file, uint32_t inside, uint32_t base, uint32_t size, box_err_t *err)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	/* a shifted tree's map keeps the host's root as itself: the folders
	 * the host made around the tree (an overlay's work folder) stay its */
	int n = inside ? snprintf(line, sizeof(line), "0 0 1\n%u %u %u\n", inside, base, size)
		       : snprintf(line, sizeof(line), "%u %u %u\n", inside, base, size);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	/* the kernel takes the whole map in one write, or refuses it */
	if (write(fd, line, (size_t)n) != n)
		return box_error(err, errno, "the kernel refused the map '%u %u %u' in %s (idmap_base, idmap_size)",
				 inside, base, size, path);
	return 0;
}

static int write_maps(pid_t pid, uint32_t inside, uint32_t base, uint32_t size, box_err_t *err)
{
	if (write_map(pid, "uid_map", inside, base, size, err) < 0 ||
	    write_map(pid, "gid_map", inside, base, size, err) < 0)
		return -1;
	return 0;
}

int idmap_write_maps(pid_t pid, uint32_t base, uint32_t size, box_err_t *err)
{
	return write_maps(pid, 0, base, size, err);
}

/* The first extent of /proc/self/FILE covering [base, base + size), as the
 * kernel wants a new map's whole range in one extent of the writer's. */
static int covered(const char *file, uint32_t base, uint32_t size, char **map, box_err_t *err)
{
	cleanup_free char *path = xasprintf("/proc/self/%s", file);
	if (read_file_at(AT_FDCWD, path, map, NULL, err) < 0)
		return -1;
	const char *p = *map;
	unsigned long long first, lower, count;
	int used;
	while (sscanf(p, " %llu %llu %llu%n", &first, &lower, &count, &used) == 3) {
		if (first <= base && (unsigned long long)base + size <= first + count)
			return 1;
		p += used;
	}
	return 0;
}

int idmap_check_range(uint32_t base, uint32_t size, box_err_t *err)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *map = NULL;
		int r = covered(files[i], base, size, &map, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			unsigned long long f = 0, l = 0, n = 0;
			sscanf(map, " %llu %llu %llu", &f, &l, &n);
			free(map);
			map = xasprintf("%llu %llu %llu", f, l, n);
			return box_error(err, 0,
					 "ids %u..%llu are not all mapped in the user namespace box runs in (its %s "
					 "begins '%s'): the kernel would refuse the container's map; choose "
					 "idmap_base and idmap_size inside it",
					 base, (unsigned long long)base + size - 1, files[i], map);
		}
	}
	return 0;
}

/* A user namespace with that map, held by an fd (its process is gone): a
 * child in a new user namespace that only waits for the pipe to close,
 * long enough to write its maps and open its namespace. */
static int idmap_userns_fd(uint32_t base, uint32_t size, box_err_t *err)
{
	return idmap_userns_fd_from(0, base, size, err);
}

int idmap_userns_fd_from(uint32_t inside, uint32_t base, uint32_t size, box_err_t *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return box_error(err, errno, "pipe");
	struct clone_args a = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return box_error(err, e, "clone3 of a user namespace");
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	int fd = -1;
	if (write_maps(pid, inside, base, size, err) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			box_error(err, errno, "opening %s", path);
	}
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

int idmap_mount(int tree, int userns_fd, box_err_t *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return box_error(err, errno, "idmapping the rootfs (mount_setattr MOUNT_ATTR_IDMAP)");
	return 0;
}

bool idmap_supported(int dirfd)
{
	box_err_t err = NULL;
	cleanup_close int ns = idmap_userns_fd(100000, 65536, &err);
	box_error_release(&err);
	if (ns < 0)
		return false;
	cleanup_close int t = open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0)
		return false;
	bool ok = idmap_mount(t, ns, &err) == 0;
	box_error_release(&err);
	return ok;
}

char *idmap_fs_name(int dirfd, const char *path)
{
	struct statx stx;
	cleanup_free char *info = NULL;
	box_err_t e = NULL;
	if (statx(dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) || read_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL, &e) < 0) {
		box_error_release(&e);
		return xstrdup("its filesystem");
	}
	for (char *line = info, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct mountinfo m;
		if (mountinfo_parse(line, &m) && m.id == stx.stx_mnt_id)
			return xasprintf("%s (%s)", m.mountpoint, m.fstype);
	}
	return xstrdup("its filesystem");
}

bool idmap_in_userns(void)
{
	cleanup_free char *map = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL, &e) < 0) {
		box_error_release(&e);
		return false;
	}
	unsigned long a, b, n;
	return sscanf(map, "%lu %lu %lu", &a, &b, &n) != 3 || a != 0 || b != 0 || n != 4294967295UL;
}
