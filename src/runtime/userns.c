#include "runtime/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static int write_map(pid_t pid, const char *file, uint32_t base, uint32_t size, box_err_t *err)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int n = snprintf(line, sizeof(line), "0 %u %u\n", base, size);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	/* the kernel takes the whole map in one write, or refuses it */
	if (write(fd, line, (size_t)n) != n)
		return box_error(err, errno, "writing '0 %u %u' to %s (idmap_base, idmap_size)", base, size, path);
	return 0;
}

int userns_write_maps(pid_t pid, uint32_t base, uint32_t size, box_err_t *err)
{
	/* written by the host's root (privileged over the parent namespace):
	 * no "setgroups deny" is needed, and the container's root may call
	 * setgroups as a system's init and login expect */
	if (write_map(pid, "uid_map", base, size, err) < 0 || write_map(pid, "gid_map", base, size, err) < 0)
		return -1;
	return 0;
}

int userns_become_root(box_err_t *err)
{
	if (setresgid(0, 0, 0) < 0)
		return box_error(err, errno, "setresgid(0) in the user namespace");
	if (setgroups(0, NULL) < 0)
		return box_error(err, errno, "setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return box_error(err, errno, "setresuid(0) in the user namespace");
	/* the change of ids cleared dumpability, and it stays so: nothing of the
	 * container may ptrace this process until it execs */
	return 0;
}
