/* The pre-copy of a tree (storage/precopy.c) and the copy that takes from
 * it: a file changed in place after it, its size and mtime kept, is copied
 * again; one that nobody changed is taken; deleted, renamed, linked and new
 * files come out as the tree is; a file open for writing is never taken. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "storage/copy.h"
#include "storage/filedata.h"
#include "storage/internal.h"
#include "storage/precopy.h"
#include "tap.h"

static char root[64];

static void put(const char *rel, const char *data)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		abort();
	close(fd);
}

static char *get(const char *rel)
{
	char p[256], *text = NULL;
	size_t len = 0;
	box_err_t err = NULL;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (read_file_at(AT_FDCWD, p, &text, &len, &err) < 0) {
		box_error_release(&err);
		return xstrdup("(none)");
	}
	return text;
}

static void stat_of(const char *rel, struct stat *s)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (lstat(p, s) < 0)
		memset(s, 0, sizeof(*s));
}

/* until the coarse clock is past every ctime so far: a file's data is taken
 * only when its ctime is before the clock read for its pre-copy */
static void clock_past(const char *rel)
{
	struct stat s;
	struct timespec now;
	stat_of(rel, &s);
	for (;;) {
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		if (now.tv_sec > s.st_ctim.tv_sec + 1 || (now.tv_sec > s.st_ctim.tv_sec && s.st_ctim.tv_nsec != 0) ||
		    (now.tv_sec == s.st_ctim.tv_sec && now.tv_nsec > s.st_ctim.tv_nsec && s.st_ctim.tv_nsec != 0))
			return;
		usleep(1000);
	}
}

/* A leased copy (the pre-copy's) stops for an opener for writing, whom the
 * kernel makes wait for the lease: it must not wait for the whole file. The
 * opener is seen waiting (the lease's break pending) before the copy starts:
 * the copy then stops at its first look and says so. */
static void leased_copy(void)
{
	char p[256], q[256];
	snprintf(p, sizeof(p), "%s/big", root);
	snprintf(q, sizeof(q), "%s/big.copy", root);
	static char buf[1 << 20];
	memset(buf, 'b', sizeof(buf));
	int w = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (int i = 0; i < 3 * (STORAGE_COPY_LEASED_CHUNK >> 20); i++)
		if (w < 0 || write(w, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			abort();
	close(w);
	box_err_t err = NULL;
	struct stat s;
	cleanup_close int sfd = open(p, O_RDONLY | O_CLOEXEC);
	cleanup_close int dfd = open(q, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	tap_ok(sfd >= 0 && dfd >= 0 && fstat(sfd, &s) == 0 && fcntl(sfd, F_SETLEASE, F_RDLCK) == 0, "a read lease");
	tap_ok(storage_copy_data_leased(sfd, dfd, &s, "big", &err) == 0, "a leased copy nobody opens: whole");
	box_error_report(&err);
	struct stat c;
	tap_ok(fstat(dfd, &c) == 0 && c.st_size == s.st_size, "... its size");
	/* the break's SIGIO would end this process: the pre-copy ignores it too */
	signal(SIGIO, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		_exit(fd >= 0 && write(fd, "w", 1) == 1 ? 0 : 1);
	}
	/* the opener waits in open(2): the lease reads as being broken */
	while (fcntl(sfd, F_GETLEASE) == F_RDLCK)
		usleep(1000);
	cleanup_close int d2 = open(q, O_WRONLY | O_TRUNC | O_CLOEXEC);
	tap_ok(storage_copy_data_leased(sfd, d2, &s, "big", &err) == 1, "a leased copy stops for an opener");
	box_error_report(&err);
	fcntl(sfd, F_SETLEASE, F_UNLCK);
	int status = -1;
	tap_ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "... who opens and writes once it is released");
	signal(SIGIO, SIG_DFL);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/box-precopy.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	box_err_t err = NULL;
	char p[256];
	mkdir(strcat(strcpy(p, root), "/src"), 0755);
	mkdir(strcat(strcpy(p, root), "/src/d"), 0755);
	put("src/same", "unchanged data");
	put("src/inplace", "0123456789");
	put("src/gone", "deleted after");
	put("src/d/e", "in a folder renamed after");
	put("src/h1", "linked");
	snprintf(p, sizeof(p), "%s/src/h1", root);
	char p2[256];
	snprintf(p2, sizeof(p2), "%s/src/h2", root);
	tap_ok(link(p, p2) == 0, "a hard link");
	put("src/open", "open for writing");
	snprintf(p, sizeof(p), "%s/src/open", root);
	int wfd = open(p, O_WRONLY | O_CLOEXEC);
	clock_past("src/open");

	cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t files = 0, bytes = 0;
	struct storage_precopy *pre = NULL;
	int r =
	    storage_precopy(rfd, "src", rfd, "pre", &(struct storage_id_shift){ 0 }, false, &files, &bytes, &pre, &err);
	tap_ok(r == 0, "pre-copy");
	box_error_report(&err);
	/* same, inplace, gone, d/e, h1 (once for both names); open is not */
	tap_ok(files == 5, "five files pre-copied (got %llu)", (unsigned long long)files);

	/* the tree changes: in place keeping the size and mtime, deleted,
	 * renamed, a new file, a new link, written through the open fd */
	struct stat before;
	stat_of("src/inplace", &before);
	snprintf(p, sizeof(p), "%s/src/inplace", root);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	tap_ok(fd >= 0 && pwrite(fd, "X", 1, 3) == 1, "a change in place");
	struct timespec ts[2] = { before.st_atim, before.st_mtim };
	tap_ok(futimens(fd, ts) == 0, "... its mtime put back");
	close(fd);
	snprintf(p, sizeof(p), "%s/src/gone", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/src/d", root);
	snprintf(p2, sizeof(p2), "%s/src/d2", root);
	tap_ok(rename(p, p2) == 0, "a folder renamed");
	put("src/new", "new");
	tap_ok(pwrite(wfd, "OPEN", 4, 0) == 4, "a write through the fd open all along");
	close(wfd);

	struct copy_stats st = { .pre = pre };
	r = storage_copy_tree(rfd, "src", rfd, "dst", &st, &err);
	tap_ok(r == 0, "the copy that takes from it");
	box_error_report(&err);
	/* same, d2/e and the link group: taken; inplace, new, open: copied */
	tap_ok(st.reused == 3, "three files taken from the pre-copy (got %llu)", (unsigned long long)st.reused);
	tap_ok(st.files == 6, "six files (got %llu)", (unsigned long long)st.files);
	char *t;
	tap_streq(t = get("dst/inplace"), "012X456789", "the change in place is in the copy");
	free(t);
	tap_streq(t = get("dst/same"), "unchanged data", "the unchanged file");
	free(t);
	tap_streq(t = get("dst/d2/e"), "in a folder renamed after", "the renamed folder's file");
	free(t);
	tap_streq(t = get("dst/open"), "OPEN for writing", "the file open for writing, as it is");
	free(t);
	tap_streq(t = get("dst/gone"), "(none)", "the deleted file is not there");
	free(t);
	tap_streq(t = get("dst/new"), "new", "the new file");
	free(t);
	struct stat h1, h2, in, ds;
	stat_of("dst/h1", &h1);
	stat_of("dst/h2", &h2);
	tap_ok(h1.st_ino && h1.st_ino == h2.st_ino, "the hard link kept");
	stat_of("dst/inplace", &in);
	tap_ok(in.st_mtim.tv_sec == before.st_mtim.tv_sec && in.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
		   (in.st_mode & 07777) == 0644,
	       "its mtime and mode");
	stat_of("dst/same", &ds);
	tap_ok((ds.st_mode & 07777) == 0644 && ds.st_uid == getuid(), "a taken file gets the mode and owner");
	storage_precopy_free(pre);
	leased_copy();
	storage_remove_tree_at(AT_FDCWD, root, &err);
	box_error_release(&err);
	return tap_done();
}
