#include "base/util.h"
#include "base/fdwalk.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

int read_file_at(int dirfd, const char *path, char **out, size_t *len, box_err_t *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	size_t cap = 4096, n = 0;
	cleanup_free char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= (64u << 20))
				return box_error(err, EFBIG, "reading %s", path);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return box_error(err, errno, "reading %s", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = steal_pointer(&buf);
	return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode, box_err_t *err)
{
	cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, mode);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	if (write_all(fd, data, len) < 0)
		return box_error(err, errno, "writing %s", path);
	return 0;
}

static int write_replace(const char *path, const char *data, size_t len, mode_t mode, bool sync, box_err_t *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	/* one there already is a dead writer's that had this pid (killed
	 * between create and rename): no live process owns it, and refusing
	 * would leave every later write here stuck behind it */
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return box_error(err, errno, "creating %s", tmp);
	if (write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		int e = errno;
		unlink(tmp);
		return box_error(err, e, "writing %s", tmp);
	}
	/* Unsynced: swap the files and unlink the old one. A rename over an
	 * existing file makes ext4 start writing the new one out (auto_da_alloc)
	 * and the next replace or unlink wait for that I/O, ~0.5 ms each; after an
	 * exchange the old data goes without I/O. Same atomicity for readers. */
	if (!sync && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		if (unlink(tmp) < 0)
			return box_error(err, errno, "removing %s", tmp);
		return 0;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return box_error(err, e, "renaming %s to %s", tmp, path);
	}
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, box_err_t *err)
{
	return write_replace(path, data, len, mode, true, err);
}

int write_file_replace(const char *path, const char *data, size_t len, mode_t mode, box_err_t *err)
{
	return write_replace(path, data, len, mode, false, err);
}

void sweep_dead_temporaries(int dirfd, const char *prefix)
{
	int dfd = dup(dirfd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	/* a dup shares the offset: from the start, and back there after */
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *t = strstr(de->d_name, ".tmp.");
		if (strncmp(de->d_name, prefix, strlen(prefix)) || !t || !t[5] ||
		    strspn(t + 5, "0123456789") != strlen(t + 5))
			continue;
		pid_t pid = (pid_t)atoi(t + 5);
		if (pid > 0 && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd, de->d_name, 0);
	}
	rewinddir(d);
}

int mkdir_p(const char *path, mode_t mode, box_err_t *err)
{
	/* the parents are there but the first time: one mkdir, not one a
	 * component (each a journaled create where it makes one) */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return box_error(err, errno, "creating %s", path);
	cleanup_free char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return box_error(err, errno, "creating %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s", p);
	return 0;
}

struct rm_walk {
	dev_t dev;
	box_err_t *err;
};

/* Removes what is not a folder in fd and lists its subfolders; a mount
 * point (another st_dev) is an error, not crossed. */
static int rm_files(int fd, struct fd_walk_level *l, void *data)
{
	struct rm_walk *r = data;
	int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir) {
		if (d >= 0)
			close(d);
		return box_error(r->err, errno, "reading folder");
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return box_error(r->err, errno, "stat %s", de->d_name);
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
				return box_error(r->err, errno, "removing %s", de->d_name);
			continue;
		}
		if (st.st_dev != r->dev)
			return box_error(r->err, EBUSY, "%s is a mount point, not removing", de->d_name);
		fd_walk_add(l, de->d_name);
	}
	return 0;
}

static int rm_folder(int parent, const char *name, void *data)
{
	struct rm_walk *r = data;
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return box_error(r->err, errno, "removing %s", name);
	return 0;
}

/* Empties the folder fd (taken) by an fd walk (base/fdwalk.h: a container's
 * root nests folders past PATH_MAX and deeper than the fd limit). Nothing of
 * the tree runs meanwhile: a stopped container, a snapshot. */
static int rm_rf_children(int fd, dev_t dev, box_err_t *err)
{
	box_err_t e = NULL;
	struct rm_walk r = { .dev = dev, .err = &e };
	int ret = fd_walk(fd, &(struct fd_walk){ .list = rm_files, .leave = rm_folder, .data = &r });
	if (e) {
		*err = e;
		return ret;
	}
	return ret ? box_error(err, -ret, "opening a folder to remove") : 0;
}

int rm_rf_at(int dirfd, const char *name, box_err_t *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return box_error(err, errno, "stat %s", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return box_error(err, errno, "removing %s", name);
		return 0;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", name);
	if (rm_rf_children(fd, st.st_dev, err) < 0)
		return box_error_wrap(err, "removing %s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return box_error(err, errno, "removing %s", name);
	return 0;
}

void catch_interrupts(void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

BOX_RESIDENT uint64_t now_ms(void)
{
	return now_ns() / 1000000ull;
}

ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		left -= (size_t)w;
	}
	return (ssize_t)len;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int lock_path(const char *path, int flags, box_err_t *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | flags, 0600);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return box_error(err, e, "locking %s", path);
		}
	}
	return fd;
}
