/* The pre-copy of a running container's tree (copy.h): the data of its
 * regular files copied while it runs, so that the copy made while it is
 * frozen costs metadata, not bytes.
 *
 * Why a file's data cannot have changed since it was pre-copied, when it
 * is reused: it was read under a read lease (F_SETLEASE F_RDLCK), which the
 * kernel grants only while nobody holds the file open for writing (a
 * writable shared mapping holds it open too), and which makes any open for
 * writing wait until it is released (truncate(2) by path too). So no write
 * was under way while it was read. Any write after the release comes at a
 * coarse clock time >= M, the CLOCK_REALTIME_COARSE time read before the
 * lease, and sets the file's ctime to it: a ctime read before the data that
 * is < M (with a whole second less where ctimes have no nanoseconds: a file
 * system of second granularity truncates M) and still the same when frozen
 * means no change since. A write in the same clock tick as the read keeps
 * the ctime, but then ctime >= M and the file is copied again. What stays
 * open for writing (a log, a database) is copied while frozen; so is what a
 * clock step backwards could hide (none steps on a host that is in sync).
 *
 * Kept in a flat folder, one file per inode named by its number, with its
 * owner, mode, xattrs and times (a change of any of them sets the ctime,
 * so the same ctime vouches for them too; only a read moves the atime
 * alone): renames, deletions and links after the pre-copy are the frozen
 * walk's business, which takes a file from here by inode with one rename. Nothing is followed, opened without
 * O_NONBLOCK, or read but a regular file seen as one on its fd. */
#include "storage/precopy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/notes.h"
#include "base/util.h"
#include "storage/filedata.h"
#include "storage/inomap.h"
#include "storage/meta.h"
#include "storage/place.h"

/* a pre-copied file, by (dev, ino) */
struct pre_file {
	ino_t ino;
	struct timespec ctime, atime;
	off_t size;
	bool taken;
};

struct storage_precopy {
	int dirfd; /* the folder of the copies */
	struct inomap files;
};

/* deeper is left to the frozen copy, which refuses past its own limit */
#define PRECOPY_MAX_DEPTH 256

struct pre_walk {
	struct storage_precopy *pre;
	const struct storage_id_shift *shift;
	bool progress;
	uint64_t files, bytes, last_progress;
};

static void name_of(char *buf, size_t len, ino_t ino)
{
	snprintf(buf, len, "%llx", (unsigned long long)ino);
}

static bool before(const struct timespec *a, const struct timespec *m)
{
	if (a->tv_nsec == 0) /* maybe a file system of whole seconds */
		return a->tv_sec < m->tv_sec;
	return a->tv_sec < m->tv_sec || (a->tv_sec == m->tv_sec && a->tv_nsec < m->tv_nsec);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* One file's data, when it can be read still (see the top); 0 when it is
 * left to the frozen copy, -1 on an error of the copy's side. */
static int pre_file(struct pre_walk *pw, int sdir, const char *name, const struct stat *s, box_err_t *err)
{
	struct timespec m;
	struct stat a, b;
	if (inomap_find(&pw->pre->files, s->st_dev, s->st_ino))
		return 0; /* another name of a file pre-copied */
	clock_gettime(CLOCK_REALTIME_COARSE, &m);
	cleanup_close int sfd = storage_open_regular(sdir, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, s);
	if (sfd < 0 || fcntl(sfd, F_SETLEASE, F_RDLCK) < 0)
		return 0; /* gone, or open for writing: copied frozen */
	if (fstat(sfd, &a) < 0 || !S_ISREG(a.st_mode) || a.st_ino != s->st_ino || a.st_dev != s->st_dev ||
	    !before(&a.st_ctim, &m))
		return 0;
	char dname[32];
	name_of(dname, sizeof(dname), a.st_ino);
	cleanup_close int dfd =
	    openat(pw->pre->dirfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0)
		return box_error(err, errno, "creating the pre-copy of %s", name);
	/* in pieces: an opener for writing, which the lease makes wait, waits
	 * for one piece; then the file is left to the frozen copy */
	int c = storage_copy_data_leased(sfd, dfd, &a, name, err);
	if (c < 0)
		return -1;
	if (c > 0) {
		fcntl(sfd, F_SETLEASE, F_UNLCK);
		if (unlinkat(pw->pre->dirfd, dname, 0) < 0)
			return box_error(err, errno, "removing the pre-copy of %s", name);
		return 0;
	}
	/* an xattr removed between its listing and its read: left to the
	 * frozen copy, which says what is wrong if something is */
	box_err_t e = NULL;
	bool meta = storage_copy_meta_fd(pw->shift, sfd, dfd, &a, name, &e) == 0;
	box_error_release(&e);
	/* still leased (not broken by an opener past lease-break-time), the
	 * same ctime and size: what was read is the file at ctime, its owner,
	 * mode, xattrs and mtime too (changing any of them sets the ctime) */
	if (!meta || fcntl(sfd, F_GETLEASE) != F_RDLCK || fstat(sfd, &b) < 0 || !same_time(&a.st_ctim, &b.st_ctim) ||
	    a.st_size != b.st_size) {
		if (unlinkat(pw->pre->dirfd, dname, 0) < 0)
			return box_error(err, errno, "removing the pre-copy of %s", name);
		return 0;
	}
	fcntl(sfd, F_SETLEASE, F_UNLCK);
	*(struct pre_file *)inomap_add(&pw->pre->files, a.st_dev, a.st_ino) =
	    (struct pre_file){ a.st_ino, a.st_ctim, a.st_atim, a.st_size, false };
	pw->files++;
	pw->bytes += (uint64_t)a.st_size;
	uint64_t t = now_ms();
	if (pw->progress && t - pw->last_progress >= 500) {
		pw->last_progress = t;
		box_progress("\rpre-copied %llu files, %.1f MiB", (unsigned long long)pw->files,
			     (double)pw->bytes / 1048576);
	}
	return 0;
}

/* A folder of a tree that changes as it is read: what vanishes or turns
 * into something else is skipped (the frozen walk sees it as it is). */
static int pre_dir(struct pre_walk *pw, int fd, int depth, box_err_t *err)
{
	if (depth > PRECOPY_MAX_DEPTH)
		return 0; /* the frozen walk refuses it */
	int dup_fd = dup(fd);
	cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat s;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (de->d_type != DT_UNKNOWN && de->d_type != DT_DIR && de->d_type != DT_REG) ||
		    fstatat(fd, de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(s.st_mode) && pre_file(pw, fd, de->d_name, &s, err) < 0)
			return -1;
		if (S_ISDIR(s.st_mode)) {
			cleanup_close int sub =
			    storage_open_source(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0 && pre_dir(pw, sub, depth + 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

int storage_precopy(int srcdirfd, const char *srcname, int dstdirfd, const char *dstname,
		    const struct storage_id_shift *shift, bool progress, uint64_t *files, uint64_t *bytes,
		    struct storage_precopy **out, box_err_t *err)
{
	struct storage_precopy *p = xzalloc(sizeof(*p));
	struct pre_walk pw = { .pre = p, .shift = shift, .progress = progress };
	p->dirfd = -1;
	inomap_init(&p->files, sizeof(struct pre_file));
	*out = p;
	cleanup_close int sfd = storage_open_source(srcdirfd, srcname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return box_error(err, errno, "opening %s", srcname);
	if ((p->dirfd = storage_place_root(dstdirfd, dstname)) < 0)
		return box_error(err, errno, "creating %s", dstname);
	/* a lease broken by an opener signals its holder (SIGIO, which would
	 * end this process): the copy sees the break at its next piece
	 * (storage_copy_data_leased) and lets the opener go */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGIO, &ign, &old);
	int r = pre_dir(&pw, sfd, 0, err);
	sigaction(SIGIO, &old, NULL);
	if (r == 0 && progress)
		box_progress("\rpre-copied %llu files, %.1f MiB\n", (unsigned long long)pw.files,
			     (double)pw.bytes / 1048576);
	*files = pw.files;
	*bytes = pw.bytes;
	return r;
}

int storage_precopy_adopt(const struct storage_precopy *pre, const struct stat *s, int ddir, const char *name,
			  box_err_t *err)
{
	struct pre_file *f = pre ? inomap_find(&pre->files, s->st_dev, s->st_ino) : NULL;
	if (!f || f->taken || !same_time(&f->ctime, &s->st_ctim) || f->size != s->st_size)
		return 0;
	char sname[32];
	name_of(sname, sizeof(sname), f->ino);
	if (renameat2(pre->dirfd, sname, ddir, name, RENAME_NOREPLACE) < 0)
		return box_error(err, errno, "taking the pre-copy of %s", name);
	f->taken = true;
	/* reads move the atime alone (no ctime) */
	struct timespec ts[2] = { s->st_atim, s->st_mtim };
	if (!same_time(&f->atime, &s->st_atim) && utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "setting the times of the copy of %s", name);
	return 1;
}

void storage_precopy_free(struct storage_precopy *pre)
{
	if (!pre)
		return;
	if (pre->dirfd >= 0)
		close(pre->dirfd);
	inomap_free(&pre->files, NULL);
	free(pre);
}
