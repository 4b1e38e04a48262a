/* The folders the host mounts a tree on for a moment (an export's view, an
 * overlay's layers being attached): <run>/.views/PID.XXXXXX, so that what a
 * kill -9 leaves is found and removed by the next command that makes one
 * (storage/internal.h: storage_mount_tmpdir, storage_private_tmpdir). */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "storage/internal.h"

/* The folders of views, in <run>/.views/, whose process is gone: what a
 * kill -9 left, empty (its mount went with its namespace); one that still
 * holds a mount (storage_mount_tmpdir's, made in the caller's namespace,
 * the host's maybe) is detached first. */
static void sweep_dead_views(const char *views)
{
	cleanup_dir DIR *d = opendir(views);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *dot;
		long pid = strtol(de->d_name, &dot, 10);
		if (pid <= 0 || *dot != '.' || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno == EBUSY) {
			cleanup_free char *p = xasprintf("%s/%s", views, de->d_name);
			if (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
				unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		}
	}
}

/* <run>/.views, made and swept; before an unshare, so that a dead
 * command's mount left in this namespace is detached here, not in a
 * private copy of it (where the folder would stay busy). */
static char *views_swept(box_err_t *err)
{
	char *views = xasprintf("%s/.views", paths_run_dir());
	if (mkdir_p(views, 0700, err) < 0) {
		free(views);
		return NULL;
	}
	sweep_dead_views(views);
	return views;
}

static int make_tmpdir(const char *views, char **tmpdir, box_err_t *err)
{
	*tmpdir = xasprintf("%s/%d.XXXXXX", views, (int)getpid());
	if (mkdtemp(*tmpdir))
		return 0;
	box_error(err, errno, "creating %s", *tmpdir);
	free(*tmpdir);
	*tmpdir = NULL;
	return -1;
}

int storage_mount_tmpdir(char **tmpdir, box_err_t *err)
{
	cleanup_free char *views = views_swept(err);
	return views ? make_tmpdir(views, tmpdir, err) : -1;
}

int storage_private_tmpdir(char **tmpdir, box_err_t *err)
{
	cleanup_free char *views = views_swept(err);
	if (!views)
		return -1;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return box_error(err, errno, "making a private mount namespace");
	return make_tmpdir(views, tmpdir, err);
}
