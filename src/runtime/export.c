/* `box export` around the stream: the container's state (refuse, stop and
 * restart, or freeze and thaw), the output file made atomically, signals. */
#include "runtime/export.h"
#include "config/idshift.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "storage/snapshot.h"
#include "storage/storage.h"
#include "base/util.h"
#include "base/notes.h"

/* The default file name: vzdump-box-NAME-YYYY_MM_DD-HH_MM_SS.tar.gz (local time). */
static char *export_default_name(const char *name, enum export_compress comp)
{
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32];
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y_%m_%d-%H_%M_%S", &tm);
	const char *ext = comp == EXPORT_GZIP ? ".tar.gz" : comp == EXPORT_ZSTD ? ".tar.zst" : ".tar";
	return xasprintf("vzdump-box-%s-%s%s", name, stamp, ext);
}

static void on_signal(int sig)
{
	export_interrupted = sig;
}

static void install_signals(void)
{
	catch_interrupts(on_signal); /* a blocked write returns EINTR */
	signal(SIGPIPE, SIG_IGN);    /* a closed pipe is an EPIPE error, not a silent death */
}

/* The output: an unnamed O_TMPFILE in the target's folder (kill -9 leaves
 * nothing), or where the file system lacks it a hidden ".NAME.PID" that is
 * removed on every error path. ".NAME.PID" is also the name an O_TMPFILE is
 * linked to when NAME exists, just before it is renamed over it. */
struct outfile {
	int dirfd, fd;
	char *dir, *base, *tmpname; /* tmpname only without O_TMPFILE */
};

/* ".NAME.PID" of an export killed before its rename: a full-size hidden
 * file that nothing else would ever remove. Only a dead PID's. */
static void remove_stale_tmp(struct outfile *f)
{
	cleanup_free char *prefix = xasprintf(".%s.", f->base);
	size_t pl = strlen(prefix);
	int dfd = dup(f->dirfd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct dirent *de;
	rewinddir(d); /* a dup shares the offset */
	while ((de = readdir(d))) {
		const char *p = de->d_name + pl;
		if (strncmp(de->d_name, prefix, pl) || !*p || strspn(p, "0123456789") != strlen(p))
			continue;
		pid_t pid = (pid_t)atoi(p);
		if (pid > 0 && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH &&
		    unlinkat(f->dirfd, de->d_name, 0) == 0)
			box_note("removed %s/%s, left by an interrupted export", f->dir, de->d_name);
	}
}

static int outfile_open(struct outfile *f, const char *path, box_err_t *err)
{
	cleanup_free char *d = xstrdup(path), *b = xstrdup(path);
	f->dir = xstrdup(dirname(d));
	f->base = xstrdup(basename(b));
	f->fd = f->dirfd = -1;
	if (!*f->base || !strcmp(f->base, ".") || !strcmp(f->base, "..") || !strcmp(f->base, "/"))
		return box_usage_error(err, "%s: not a file name", path);
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return box_error(err, errno, "opening folder %s", f->dir);
	struct stat st;
	if (fstatat(f->dirfd, f->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return box_usage_error(err, "%s is a folder: give a file name", path);
	remove_stale_tmp(f);
	f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (f->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return box_error(err, errno, "creating a file in %s", f->dir);
	f->tmpname = xasprintf(".%s.%d", f->base, (int)getpid());
	f->fd = openat(f->dirfd, f->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		int e = errno;
		free(f->tmpname);
		f->tmpname = NULL; /* not ours: outfile_close must leave it */
		return box_error(err, e, "creating %s/.%s.%d", f->dir, f->base, (int)getpid());
	}
	return 0;
}

static int outfile_commit(struct outfile *f, box_err_t *err)
{
	if (fchmod(f->fd, 0600) < 0 || fsync(f->fd) < 0)
		return box_error(err, errno, "writing %s/%s", f->dir, f->base);
	if (f->tmpname) {
		if (renameat(f->dirfd, f->tmpname, f->dirfd, f->base) < 0)
			return box_error(err, errno, "renaming %s to %s", f->tmpname, f->base);
		free(f->tmpname);
		f->tmpname = NULL;
	} else {
		cleanup_free char *proc = xasprintf("/proc/self/fd/%d", f->fd);
		/* straight to the final name when it is free; else beside it, then rename over */
		if (linkat(AT_FDCWD, proc, f->dirfd, f->base, AT_SYMLINK_FOLLOW) < 0) {
			if (errno != EEXIST)
				return box_error(err, errno, "linking %s/%s", f->dir, f->base);
			cleanup_free char *tmp = xasprintf(".%s.%d", f->base, (int)getpid());
			unlinkat(f->dirfd, tmp, 0);
			if (linkat(AT_FDCWD, proc, f->dirfd, tmp, AT_SYMLINK_FOLLOW) < 0)
				return box_error(err, errno, "linking %s/%s", f->dir, tmp);
			if (renameat(f->dirfd, tmp, f->dirfd, f->base) < 0) {
				int e = errno;
				unlinkat(f->dirfd, tmp, 0);
				return box_error(err, e, "renaming %s to %s", tmp, f->base);
			}
		}
	}
	if (fsync(f->dirfd) < 0)
		return box_error(err, errno, "syncing %s", f->dir);
	return 0;
}

static void outfile_close(struct outfile *f)
{
	if (f->tmpname && f->dirfd >= 0)
		unlinkat(f->dirfd, f->tmpname, 0);
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->dir);
	free(f->base);
	free(f->tmpname);
}

/* The container held for the dump: a stopped one under its lock (no start,
 * destroy, rollback or snapshot meanwhile; state_lock waits for a stop's
 * tail, which may still be syncing and unmounting an overlay's layers); a
 * running one (--mode) stopped, then locked, and started again after, or
 * frozen and thawed after. */
struct hold {
	bool restart, thaw;
	int lock; /* the container's lock, or -1 */
	struct box_global *g;
	struct cgroup *cg;
};

/* The lock of a container that should be stopped now: held by another
 * command (EBUSY, say so) rather than by a start that won the race. */
static int lock_stopped(const char *name, struct hold *h, bool after_stop, box_err_t *err)
{
	h->lock = state_lock(name, "export", err);
	if (h->lock >= 0)
		return 0;
	if (h->lock != -EWOULDBLOCK)
		return -1;
	box_error_release(err);
	if (after_stop)
		return box_error(err, EBUSY,
				 "%s was started (or taken by another command) right after its stop for "
				 "the export: try again",
				 name);
	return runtime_busy(name, err);
}

static int hold_container(const char *name, enum export_mode mode, struct hold *h, box_err_t *err)
{
	enum box_state st;
	if (runtime_state(name, &st, NULL, err) < 0) /* cleans what a dead supervisor left */
		return -1;
	if (st != BOX_RUNNING && st != BOX_FROZEN)
		return lock_stopped(name, h, false, err); /* a start meanwhile: refused */
	if (mode == EXPORT_MODE_NONE)
		return box_error(err, 0,
				 "container %s is %s: a live rootfs gives an inconsistent archive; use --mode stop "
				 "(stop, dump, start again) or --mode suspend (freeze for the dump)",
				 name, state_name(st));
	if (mode == EXPORT_MODE_STOP) {
		if (runtime_stop(name, -1, false, err) < 0)
			return box_error_wrap(err, "stopping %s for the export", name);
		h->restart = true;
		return lock_stopped(name, h, true, err);
	}
	if (global_load(&h->g, err) < 0 || cgroup_open(h->g->cgroup_parent, name, &h->cg, err) < 0 ||
	    cgroup_freeze(h->cg, true, err) < 0)
		return box_error_wrap(err, "freezing %s for the export", name);
	h->thaw = true;
	return 0;
}

/* A failure to put the container back: the export's error when the dump
 * itself went well (the export fails: exit 1, not 0 with a frozen
 * container), else a warning beside the dump's own error. */
static void release_failed(box_err_t *err, box_err_t *e)
{
	if (!*err) {
		*err = *e;
		*e = NULL;
		return;
	}
	cleanup_free char *t = box_error_text(*e);
	box_warn("%s", t);
	box_error_release(e);
}

/* The container as it was, whatever happened to the dump; -1 when it could
 * not be. */
static int release_container(const char *name, struct hold *h, box_err_t *err)
{
	int ret = 0;
	box_err_t e = NULL;
	state_unlock(h->lock); /* before the restart, which takes it */
	h->lock = -1;
	if (h->thaw && cgroup_freeze(h->cg, false, &e) < 0) {
		box_error_wrap(&e, "thawing %s after the export (run 'box unfreeze %s')", name, name);
		release_failed(err, &e);
		ret = -1;
	}
	if (h->restart && runtime_start(name, false, &e) < 0) {
		box_error_wrap(&e, "starting %s again after the export", name);
		release_failed(err, &e);
		ret = -1;
	}
	if (h->cg)
		cgroup_free(h->cg);
	global_free(h->g);
	return ret;
}

/* The file to write: -o's, or the dump folder's default name. */
static char *output_path(const char *name, const struct export_opts *o, box_err_t *err)
{
	if (o->output)
		return xstrdup(o->output);
	cleanup_free char *dump = paths_dump_path(), *base = export_default_name(name, o->compress);
	if (mkdir_p(dump, 0700, err) < 0)
		return NULL;
	return xasprintf("%s/%s", dump, base);
}

/* The config and the tree to export: the container's now (held by --mode),
 * or a snapshot's (the config kept with it; a snapshot does not change, so
 * the container's state does not matter). */
static int export_source(const char *name, const struct export_opts *o, struct box_config **c, struct hold *h,
			 char **rootfs, char **tmpdir, int *snaplock, box_err_t *err)
{
	if (!o->snapshot)
		return config_load(name, c, err) < 0 || hold_container(name, o->mode, h, err) < 0 ||
			       storage_root_path(*c, rootfs, tmpdir, err) < 0
			   ? -1
			   : 0;
	cleanup_free char *text = NULL, *label = xasprintf("snapshot %s of %s", o->snapshot, name);
	size_t len = 0;
	if (storage_snapshot_config(name, o->snapshot, &text, &len, err) < 0 ||
	    config_load_buffer(text, len, label, name, c, err) < 0)
		return -1;
	return storage_snapshot_root_path(name, o->snapshot, rootfs, tmpdir, snaplock, err);
}

int export_container(const char *name, const struct export_opts *opts, char **path_out, box_err_t *err)
{
	struct box_config *c = NULL;
	struct hold h = { .lock = -1 };
	char *rootfs = NULL, *tmpdir = NULL, *path = NULL;
	struct outfile f = { .fd = -1, .dirfd = -1 };
	bool to_stdout = opts->output && !strcmp(opts->output, "-");
	int ret = -1, snaplock = -1;
	struct export_opts o = *opts;

	if (paths_check_name(name, err) < 0)
		return -1;
	if (to_stdout && isatty(STDOUT_FILENO)) {
		box_usage_error(err, "refusing to write an archive to a terminal (redirect it, or give -o FILE)");
		goto out;
	}
	install_signals();

	if (export_source(name, &o, &c, &h, &rootfs, &tmpdir, &snaplock, err) < 0)
		goto out;
	o.id_shift = idshift_read(c);

	int fd = STDOUT_FILENO;
	if (!to_stdout) {
		if (!(path = output_path(name, &o, err)) || outfile_open(&f, path, err) < 0)
			goto out;
		fd = f.fd;
	}
	if (o.progress < 0)
		o.progress = !to_stdout && isatty(STDERR_FILENO);
	if (export_write_fd(fd, c, rootfs, &o, err) < 0)
		goto out;
	if (!to_stdout && outfile_commit(&f, err) < 0)
		goto out;
	if (path_out && path)
		*path_out = xstrdup(path);
	ret = 0;
out:
	if (ret < 0 && path)
		box_error_wrap(err, "exporting %s to %s (nothing written under that name)", name, path);
	else if (ret < 0)
		box_error_wrap(err, "exporting %s", name);
	outfile_close(&f);
	if (tmpdir) {
		umount2(tmpdir, MNT_DETACH);
		rmdir(tmpdir);
	}
	if (snaplock >= 0)
		close(snaplock);
	if (release_container(name, &h, err) < 0)
		ret = -1;
	config_free(c);
	free(rootfs);
	free(tmpdir);
	free(path);
	return ret;
}
