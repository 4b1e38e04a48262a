/* LD_PRELOAD shim of 60-faults.sh: a supervisor's tail as slow as a real
 * one can be. The tail drops the container's rootfs mount by closing the
 * last reference to it (host_drop_root); for an overlay the kernel then
 * shuts the superblock down and syncs its upper filesystem inside that
 * close(), which on a slow or busy disk takes as long as the dirty data
 * takes to write. Here the close of an overlay fd blocks (asleep, as in
 * the kernel, not stopped) until the test lets it go.
 *
 *   BOX_SLOW_ARM=FILE    while FILE exists, the first close() of an fd on
 *                        an overlay file system (by any process with the
 *                        shim) is slow: the shim writes its pid to ...
 *   BOX_SLOW_FLAG=FILE   ... FILE (O_EXCL: once), syncs the file system,
 *                        and waits until FILE is removed, then closes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

static void slow(int fd)
{
	const char *arm = getenv("BOX_SLOW_ARM"), *flag = getenv("BOX_SLOW_FLAG");
	struct statfs sf;
	if (!arm || !flag || access(arm, F_OK) < 0 || fstatfs(fd, &sf) < 0 || sf.f_type != OVERLAYFS_SUPER_MAGIC)
		return;
	int f = openat(AT_FDCWD, flag, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f < 0)
		return;
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(f, pid, (size_t)n) != n)
		abort();
	((int (*)(int))dlsym(RTLD_NEXT, "close"))(f);
	syncfs(fd);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	while (access(flag, F_OK) == 0)
		nanosleep(&ts, NULL);
}

int close(int fd)
{
	int e = errno;
	slow(fd);
	errno = e;
	return ((int (*)(int))dlsym(RTLD_NEXT, "close"))(fd);
}
