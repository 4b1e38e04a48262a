/* A file's data copied: shared by reflink where the filesystem can, else
 * extent by extent in the kernel. copy.c and precopy.c. */
#include "storage/filedata.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/util.h"

/* copy_file_range between two filesystems of different types (an overlay's
 * merged tree to its own store: EXDEV since 5.19): read and write */
static int copy_rw(int sfd, int dfd, loff_t in, loff_t to, const char *what, box_err_t *err)
{
	char buf[1 << 16];
	while (in < to) {
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
	return 0;
}

static int copy_range(int sfd, int dfd, loff_t from, loff_t to, const char *what, box_err_t *err)
{
	loff_t in = from, out = from;
	while (in < to) {
		ssize_t n = copy_file_range(sfd, &in, dfd, &out, (size_t)(to - in), 0);
		if (n == 0)
			break; /* the file shrank meanwhile */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS)
				return copy_rw(sfd, dfd, in, to, what, err);
			return box_error(err, errno, "copying %s", what);
		}
	}
	return 0;
}

/* Data by reflink, else extent by extent: holes stay holes (a 4 GiB sparse
 * file copied as 4 GiB of zeros would fill the disk). */
int storage_copy_data(int sfd, int dfd, off_t size, bool *reflinked, const char *what, box_err_t *err)
{
	if (ioctl(dfd, FICLONE, sfd) == 0) {
		*reflinked = true;
		return 0;
	}
	off_t pos = 0;
	while (pos < size) {
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
			hole = size;
		if (copy_range(sfd, dfd, data, hole, what, err) < 0)
			return -1;
		pos = hole;
	}
	if (ftruncate(dfd, size) < 0)
		return box_error(err, errno, "sizing the copy of %s", what);
	return 0;
}

bool storage_can_reflink(int dirfd)
{
	cleanup_close int a = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	cleanup_close int b = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return a >= 0 && b >= 0 && ioctl(b, FICLONE, a) == 0;
}
