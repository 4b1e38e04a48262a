/* LD_PRELOAD shim of 23-log.sh: a kernel without a file, the way a host
 * without BFQ has no blkio.weight, whatever this host has.
 *
 *   BOX_HIDE=SUBSTRING   access() and faccessat() of a path that contains
 *                        SUBSTRING fail with ENOENT (how box asks whether a
 *                        cgroup knob is there)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hidden(const char *path)
{
	const char *sub = getenv("BOX_HIDE");
	return sub && *sub && path && strstr(path, sub);
}

int access(const char *path, int mode)
{
	if (hidden(path)) {
		errno = ENOENT;
		return -1;
	}
	return ((int (*)(const char *, int))dlsym(RTLD_NEXT, "access"))(path, mode);
}

int faccessat(int dfd, const char *path, int mode, int flags)
{
	if (hidden(path)) {
		errno = ENOENT;
		return -1;
	}
	return ((int (*)(int, const char *, int, int))dlsym(RTLD_NEXT, "faccessat"))(dfd, path, mode, flags);
}
