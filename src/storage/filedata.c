/* A file's data copied: shared by reflink where the filesystem can, else
 * in the kernel. copy.c and precopy.c. */
#include "storage/filedata.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

int storage_open_source(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

int storage_open_regular(int dirfd, const char *name, int flags, const struct stat *want)
{
	cleanup_close int p = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (p < 0 || fstat(p, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_ino != want->st_ino || st.st_dev != want->st_dev) {
		errno = ESTALE;
		return -1;
	}
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p);
	return storage_open_source(AT_FDCWD, path, flags & ~O_NOFOLLOW);
}

/* a read lease on fd (leased copies) that no opener is breaking */
static bool still_leased(int fd, bool leased)
{
	return !leased || fcntl(fd, F_GETLEASE) == F_RDLCK;
}

/* copy_file_range between two filesystems of different types (an overlay's
 * merged tree to its own store: EXDEV since 5.19): read and write. 1: a
 * lease broken (leased). */
static int copy_rw(int sfd, int dfd, loff_t in, loff_t to, loff_t *end, bool leased, const char *what, box_err_t *err)
{
	char buf[1 << 16];
	loff_t piece = in;
	while (in < to) {
		if (in - piece >= STORAGE_COPY_LEASED_CHUNK) {
			if (!still_leased(sfd, leased))
				return 1;
			piece = in;
		}
		size_t want = (size_t)(to - in) < sizeof(buf) ? (size_t)(to - in) : sizeof(buf);
		ssize_t n = pread(sfd, buf, want, in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return box_error(err, errno, "reading %s", what);
		if (n == 0)
			break; /* the file shrank meanwhile */
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(dfd, buf + done, (size_t)(n - done), in + done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return box_error(err, errno, "copying %s", what);
			done += w;
		}
		in += n;
	}
	*end = in;
	return 0;
}

/* [from, to) of sfd into dfd; *end: where the copy stopped (short of to if
 * the file shrank meanwhile); 1: a lease broken (leased: in pieces) */
static int copy_range(int sfd, int dfd, loff_t from, loff_t to, loff_t *end, bool leased, const char *what,
		      box_err_t *err)
{
	loff_t in = from, out = from;
	while (in < to) {
		if (!still_leased(sfd, leased))
			return 1;
		size_t want = (size_t)(to - in);
		if (leased && want > STORAGE_COPY_LEASED_CHUNK)
			want = STORAGE_COPY_LEASED_CHUNK;
		ssize_t n = copy_file_range(sfd, &in, dfd, &out, want, 0);
		if (n == 0)
			break; /* the file shrank meanwhile */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS)
				return copy_rw(sfd, dfd, in, to, end, leased, what, err);
			return box_error(err, errno, "copying %s", what);
		}
	}
	*end = in;
	return 0;
}

/* The copy's size is the source's (end: where the data copied ended) */
static int size_to(int dfd, const struct stat *s, loff_t end, const char *what, box_err_t *err)
{
	if (end != s->st_size && ftruncate(dfd, s->st_size) < 0)
		return box_error(err, errno, "sizing the copy of %s", what);
	return 0;
}

static int copy_data(int sfd, int dfd, const struct stat *s, bool *reflinked, bool leased, const char *what,
		     box_err_t *err)
{
	*reflinked = ioctl(dfd, FICLONE, sfd) == 0;
	if (*reflinked)
		return 0;
	loff_t end = -1; /* sparse: sized below, whatever the holes at its end */
	if ((off_t)s->st_blocks * 512 >= s->st_size) {
		int r = copy_range(sfd, dfd, 0, s->st_size, &end, leased, what, err);
		return r != 0 ? r : size_to(dfd, s, end, what, err);
	}
	for (off_t pos = 0; pos < s->st_size;) {
		off_t data = lseek(sfd, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* a hole up to the end */
			if (errno != EINVAL && errno != EOPNOTSUPP)
				return box_error(err, errno, "reading %s", what);
			data = pos; /* no SEEK_DATA here: copy the rest whole */
		}
		off_t hole = lseek(sfd, data, SEEK_HOLE);
		if (hole < 0)
			hole = s->st_size;
		loff_t got;
		int r = copy_range(sfd, dfd, data, hole, &got, leased, what, err);
		if (r != 0)
			return r;
		if (got < hole)
			break; /* the file shrank meanwhile */
		pos = hole;
	}
	return size_to(dfd, s, end, what, err);
}

int storage_copy_data(int sfd, int dfd, const struct stat *s, bool *reflinked, const char *what, box_err_t *err)
{
	return copy_data(sfd, dfd, s, reflinked, false, what, err);
}

int storage_copy_data_leased(int sfd, int dfd, const struct stat *s, const char *what, box_err_t *err)
{
	bool reflinked;
	return copy_data(sfd, dfd, s, &reflinked, true, what, err);
}

bool storage_can_reflink(int dirfd)
{
	cleanup_close int a = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_close int b = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return a >= 0 && b >= 0 && ioctl(b, FICLONE, a) == 0;
}
