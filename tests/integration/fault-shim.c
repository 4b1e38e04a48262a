/* LD_PRELOAD shim of 60-faults.sh: stops a process at a commit point so
 * that the test can kill -9 it there, or race another command against it.
 *
 *   BOX_FAULT_SPEC=FILE   FILE holds FUNC:SUBSTRING[:after], FUNC one of
 *                         rename renameat renameat2 link linkat mkdir mkdirat
 *                         unlink rmdir, or open: an open(2) for writing (a
 *                         cgroup knob: "open:freeze" stops a snapshot at
 *                         its freeze, after its pre-copy); no FILE, no fault
 *   BOX_FAULT_FLAG=FILE   where the stopped process writes its pid
 *   BOX_FAULT_E2BIG=KEY   every fsconfig(2) of KEY fails with E2BIG (a
 *                         "lowerdir+" refused: the overlay's mount(2) path
 *                         for chains too long, which no kernel since 6.5
 *                         takes otherwise)
 *
 * The spec is read at each call, so that a supervisor started long before
 * can be stopped too. The first call of FUNC (by any process that has the
 * shim) with a path containing SUBSTRING creates the flag file (O_EXCL: one
 * process, once), writes its pid there and stops itself with SIGSTOP, before
 * the call or after it (":after"). The test sees it stopped (state T in
 * /proc/PID/stat) and kills it, or sends SIGCONT. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int check(const char *fn, const char *a, const char *b, int after)
{
	const char *spec = getenv("BOX_FAULT_SPEC"), *flag = getenv("BOX_FAULT_FLAG");
	char f[600];
	if (!spec || !flag)
		return 0;
	int sfd = openat(AT_FDCWD, spec, O_RDONLY | O_CLOEXEC); /* not the open below */
	if (sfd < 0)
		return 0;
	ssize_t got = read(sfd, f, sizeof(f) - 1);
	close(sfd);
	if (got <= 0)
		return 0;
	f[got] = '\0';
	f[strcspn(f, "\n")] = '\0';
	size_t n = strlen(fn);
	if (strncmp(f, fn, n) || f[n] != ':')
		return 0;
	char sub[512];
	snprintf(sub, sizeof(sub), "%s", f + n + 1);
	char *when = strrchr(sub, ':');
	int want_after = when && !strcmp(when, ":after");
	if (want_after)
		*when = '\0';
	if (want_after != after || !((a && strstr(a, sub)) || (b && strstr(b, sub))))
		return 0;
	int fd = openat(AT_FDCWD, flag, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)len) != len)
		abort();
	close(fd);
	raise(SIGSTOP);
	return 1;
}

/* errno is the wrapped call's: never what our own open() left */
static int hit(const char *fn, const char *a, const char *b, int after)
{
	int e = errno;
	int r = check(fn, a, b, after);
	errno = e;
	return r;
}

#define REAL(fn) ((__typeof__(&fn))dlsym(RTLD_NEXT, #fn))

int rename(const char *a, const char *b)
{
	hit("rename", a, b, 0);
	int r = REAL(rename)(a, b);
	hit("rename", a, b, 1);
	return r;
}

int renameat(int fa, const char *a, int fb, const char *b)
{
	hit("renameat", a, b, 0);
	int r = REAL(renameat)(fa, a, fb, b);
	hit("renameat", a, b, 1);
	return r;
}

int renameat2(int fa, const char *a, int fb, const char *b, unsigned int flags)
{
	hit("renameat2", a, b, 0);
	int r = REAL(renameat2)(fa, a, fb, b, flags);
	hit("renameat2", a, b, 1);
	return r;
}

int link(const char *a, const char *b)
{
	hit("link", a, b, 0);
	int r = REAL(link)(a, b);
	hit("link", a, b, 1);
	return r;
}

int linkat(int fa, const char *a, int fb, const char *b, int flags)
{
	hit("linkat", a, b, 0);
	int r = REAL(linkat)(fa, a, fb, b, flags);
	hit("linkat", a, b, 1);
	return r;
}

int mkdir(const char *a, mode_t m)
{
	hit("mkdir", a, NULL, 0);
	int r = REAL(mkdir)(a, m);
	hit("mkdir", a, NULL, 1);
	return r;
}

int mkdirat(int fd, const char *a, mode_t m)
{
	hit("mkdirat", a, NULL, 0);
	int r = REAL(mkdirat)(fd, a, m);
	hit("mkdirat", a, NULL, 1);
	return r;
}

int unlink(const char *a)
{
	hit("unlink", a, NULL, 0);
	int r = REAL(unlink)(a);
	hit("unlink", a, NULL, 1);
	return r;
}

int rmdir(const char *a)
{
	hit("rmdir", a, NULL, 0);
	int r = REAL(rmdir)(a);
	hit("rmdir", a, NULL, 1);
	return r;
}

int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	const char *fail = getenv("BOX_FAULT_E2BIG");
	if (fail && key && !strcmp(key, fail)) {
		errno = E2BIG;
		return -1;
	}
	return REAL(fsconfig)(fd, cmd, key, value, aux);
}

/* glibc's open is open64 where _FILE_OFFSET_BITS=64 (box's build) */
static int open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (int)va_arg(ap, mode_t) : 0;
}

static int opened(const char *fn, const char *a, int flags, int mode)
{
	int w = (flags & O_ACCMODE) != O_RDONLY;
	if (w)
		hit("open", a, NULL, 0);
	int r = !strcmp(fn, "open") ? REAL(open)(a, flags, mode) : REAL(open64)(a, flags, mode);
	if (w)
		hit("open", a, NULL, 1);
	return r;
}

int open(const char *a, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int mode = open_mode(flags, ap);
	va_end(ap);
	return opened("open", a, flags, mode);
}

int open64(const char *a, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int mode = open_mode(flags, ap);
	va_end(ap);
	return opened("open64", a, flags, mode);
}
