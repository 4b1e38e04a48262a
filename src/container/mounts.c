#include "container/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "container/identity.h"
#include "base/paths.h"
#include "base/rootfs.h"
#include "storage/storage.h"
#include "base/util.h"

/* Paths are always below root; the rootfs is untrusted, so a path component
 * that is a symlink is resolved inside it, never on the host, and no open
 * waits on a FIFO (base/rootfs.h). */
static int open_in_root(const char *root, const char *path, int flags, box_err_t *err)
{
	return rootfs_open_path(root, path, flags, 0644, err);
}

/* Creates a folder (and parents) below root, each step resolved in root. */
static int mkdir_in_root(const char *root, const char *path, box_err_t *err)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		cleanup_free char *parent = xstrdup(p);
		char *slash = strrchr(parent, '/');
		const char *leaf = slash + 1;
		*slash = '\0';
		int pfd = open_in_root(root, *parent ? parent : "/", O_PATH | O_DIRECTORY, err);
		if (pfd < 0)
			return -1;
		int r = mkdirat(pfd, leaf, 0755);
		int e = errno;
		close(pfd);
		if (r < 0 && e != EEXIST)
			return box_error(err, e, "creating %s inside the container", p);
		*s = c;
		if (!c)
			return 0;
	}
}

/* /dev, /proc and /sys: folders of the rootfs itself, never a symlink. The
 * host names files below them by path (the boot id and the /proc/cgroups
 * view bound from the container's /dev, the cgroup view at
 * /sys/fs/cgroup); a symlink there resolves on the host, not in the rootfs,
 * and an absolute one to the rootfs's own host path made the host bind a
 * host file the container's root named as the boot id. */
static int top_dir_in_root(const char *root, const char *name, box_err_t *err)
{
	cleanup_close int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return box_error(err, errno, "opening %s", root);
	struct stat st;
	if (mkdirat(rfd, name, 0755) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating /%s inside the container", name);
	if (fstatat(rfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "/%s inside the container", name);
	if (!S_ISDIR(st.st_mode))
		return box_error(err, ENOTDIR,
				 "/%s inside the container is %s, not a folder: boxes mounts its own there", name,
				 rootfs_kind(st.st_mode));
	return 0;
}

/* A mount whose target is resolved inside root; target is absolute in the container. */
static int mount_in(const char *root, const char *src, const char *target, const char *type, unsigned long flags,
		    const char *data, box_err_t *err)
{
	cleanup_close int fd = open_in_root(root, target, O_PATH, err);
	if (fd < 0)
		return fd;
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (mount(src, fdpath, type, flags, data) < 0)
		return box_error(err, errno, "mounting %s on %s", src ? src : type, target);
	return 0;
}

/* Read-only bind of a path onto itself; missing paths are skipped (this
 * kernel has no /proc/sysrq-trigger, for one). */
static int bind_ro(const char *root, const char *target, box_err_t *err)
{
	cleanup_close int fd = open_in_root(root, target, O_PATH | O_NOFOLLOW, NULL);
	if (fd < 0)
		return 0;
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (mount(fdpath, fdpath, NULL, MS_BIND | MS_REC, NULL) < 0)
		return box_error(err, errno, "binding %s", target);
	/* re-open: the fd still points below the new mount */
	cleanup_close int fd2 = open_in_root(root, target, O_PATH | O_NOFOLLOW, err);
	if (fd2 < 0)
		return -1;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd2);
	if (mount(NULL, fdpath, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return box_error(err, errno, "making %s read-only", target);
	return 0;
}

/* Hides a file behind /dev/null, a folder behind an empty read-only tmpfs. */
static int mask(const char *root, const char *target, box_err_t *err)
{
	cleanup_close int fd = open_in_root(root, target, O_PATH | O_NOFOLLOW, NULL);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return box_error(err, errno, "stat %s", target);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fdpath, "tmpfs", MS_RDONLY, "size=0,mode=000") < 0)
			return box_error(err, errno, "masking %s", target);
	} else if (mount("/dev/null", fdpath, NULL, MS_BIND, NULL) < 0) {
		return box_error(err, errno, "masking %s", target);
	}
	return 0;
}

static int setup_rootfs(const struct box_config *c, const char *root, box_err_t *err)
{
	if (storage_mount(c, root, err) < 0)
		return -1;
	/* pivot_root needs a mount point; a backend may have mounted below it */
	struct stat a, b;
	cleanup_free char *parent = xasprintf("%s/..", root);
	if (stat(root, &a) == 0 && stat(parent, &b) == 0 && a.st_dev == b.st_dev &&
	    mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return box_error(err, errno, "binding %s onto itself", root);
	return 0;
}

static int setup_proc(const char *root, box_err_t *err)
{
	if (top_dir_in_root(root, "proc", err) < 0 ||
	    mount_in(root, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return -1;
	/* a fresh boot id (journalctl -b); the file lives in the container's /dev */
	cleanup_free char *id = NULL;
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/random/uuid", &id, NULL, err) < 0)
		return -1;
	cleanup_close int fd = open_in_root(root, "/dev/.box-boot-id", O_WRONLY | O_CREAT | O_TRUNC, err);
	if (fd < 0 || write_all(fd, id, strlen(id)) < 0)
		return box_error(err, errno, "writing /dev/.box-boot-id");
	cleanup_free char *src = xasprintf("%s/dev/.box-boot-id", root);
	if (mount_in(root, src, "/proc/sys/kernel/random/boot_id", NULL, MS_BIND, NULL, err) < 0)
		return -1;
	/* /proc/sys read-only except /proc/sys/net (the container's own netns) */
	cleanup_close int net = open_in_root(root, "/proc/sys/net", O_PATH, NULL);
	if (net >= 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", net);
		if (mount(p, p, NULL, MS_BIND, NULL) < 0)
			return box_error(err, errno, "binding /proc/sys/net");
	}
	static const char *const ro[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
					  "/proc/fs",  "/proc/acpi" };
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++)
		if (bind_ro(root, ro[i], err) < 0)
			return -1;
	static const char *const masked[] = { "/proc/kcore",	     "/proc/keys",	  "/proc/timer_list",
					      "/proc/kallsyms",	     "/proc/sched_debug", "/proc/scsi",
					      "/proc/latency_stats", "/proc/timer_stats" };
	for (size_t i = 0; i < ARRAY_SIZE(masked); i++)
		if (mask(root, masked[i], err) < 0)
			return -1;
	return 0;
}

/* Makes a mount read-only, its superblock staying as it is. */
static int remount_ro(const char *root, const char *target, unsigned long fl, box_err_t *err)
{
	cleanup_close int fd = open_in_root(root, target, O_PATH, err);
	if (fd < 0)
		return -1;
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | fl, NULL) < 0)
		return box_error(err, errno, "making %s read-only", target);
	return 0;
}

/* nesting: the superblock stays writable and only the mount is read-only.
 * A read-only superblock would make the kernel refuse every writable sysfs
 * mount in the container and below (mount_too_revealing: a new mount may
 * not be more permissive than the visible one). */
static int setup_sys(const char *root, bool nesting, box_err_t *err)
{
	const unsigned long fl = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (top_dir_in_root(root, "sys", err) < 0)
		return -1;
	box_err_t e = NULL;
	int r = mount_in(root, "sysfs", "/sys", "sysfs", nesting ? fl & ~MS_RDONLY : fl, NULL, &e);
	if (r == 0)
		return nesting ? remount_ro(root, "/sys", fl & ~MS_RDONLY, err) : 0;
	if (r != -EPERM) {
		*err = e;
		return -1;
	}
	/* a user namespace without a network namespace of its own (network
	 * type = host) may not mount sysfs: the host's, read-only, as LXC does */
	box_error_release(&e);
	if (mount_in(root, "/sys", "/sys", NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return -1;
	return remount_ro(root, "/sys", fl & ~MS_RDONLY, err);
}

/* nesting = yes: a proc and a sysfs with nothing mounted over them, as LXC's
 * /dev/.lxc/{proc,sys}. A nested container's mount namespace is a copy whose
 * mounts the kernel locks, and it lets a new proc or sysfs be mounted there
 * only while one of each is fully visible (mount_too_revealing): /proc is
 * not, its masks cover files. Nothing new is shown: the container's root may
 * mount these itself, and what the masks hide stays guarded by the host's
 * ids and capabilities. */
static int setup_nesting(const char *root, box_err_t *err)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mkdir_in_root(root, "/dev/.box/proc", err) < 0 || mkdir_in_root(root, "/dev/.box/sys", err) < 0 ||
	    mount_in(root, "proc", "/dev/.box/proc", "proc", fl, NULL, err) < 0)
		return -1;
	box_err_t e = NULL;
	int r = mount_in(root, "sysfs", "/dev/.box/sys", "sysfs", fl, NULL, &e);
	if (r == 0)
		return 0;
	/* network type = host: no sysfs of its own to show */
	if (r != -EPERM) {
		*err = e;
		return -1;
	}
	box_error_release(&e);
	return 0;
}

/* fuse = yes: the host's /dev/fuse (the device rules allow 10:229 always;
 * a user namespace may not mknod it). */
static int setup_fuse(const char *root, box_err_t *err)
{
	struct stat st;
	int r = stat("/dev/fuse", &st);
	if (r < 0 || !S_ISCHR(st.st_mode))
		return box_error(err, r < 0 ? errno : ENODEV,
				 "fuse = yes, but the host has no /dev/fuse (modprobe fuse)");
	cleanup_close int fd = open_in_root(root, "/dev/fuse", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, err);
	if (fd < 0)
		return -1;
	return mount_in(root, "/dev/fuse", "/dev/fuse", NULL, MS_BIND, NULL, err);
}

static const struct devnode {
	const char *name;
	unsigned major, minor;
} devnodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int setup_dev(const char *root, const char *console, box_err_t *err)
{
	if (top_dir_in_root(root, "dev", err) < 0 ||
	    mount_in(root, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=512k", err) < 0)
		return -1;
	cleanup_close int dfd = open_in_root(root, "/dev", O_PATH | O_DIRECTORY, err);
	if (dfd < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(devnodes); i++) {
		const struct devnode *d = &devnodes[i];
		if (mknodat(dfd, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) == 0) {
			fchmodat(dfd, d->name, 0666, 0); /* umask */
			continue;
		}
		/* no mknod (user ns, devices cgroup): bind the host's node */
		int fd = openat(dfd, d->name, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			return box_error(err, errno, "creating /dev/%s", d->name);
		close(fd);
		cleanup_free char *host = xasprintf("/dev/%s", d->name);
		cleanup_free char *where = xasprintf("/dev/%s", d->name);
		if (mount_in(root, host, where, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },	 { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dfd, links[i][1]) < 0)
			return box_error(err, errno, "creating /dev/%s", links[i][1]);
	if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0)
		return box_error(err, errno, "creating /dev/pts, /dev/shm");
	if (mount_in(root, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620,gid=5", err) < 0 ||
	    mount_in(root, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
		return -1;
	/* /dev/console: the pty slave whose master the supervisor holds */
	int fd = openat(dfd, "console", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return box_error(err, errno, "creating /dev/console");
	close(fd);
	return mount_in(root, console, "/dev/console", NULL, MS_BIND, NULL, err);
}

static int setup_run(const char *root, const char *notify_dir, box_err_t *err)
{
	if (mkdir_in_root(root, "/run", err) < 0 ||
	    mount_in(root, "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", err) < 0)
		return -1;
	if (!notify_dir)
		return 0;
	/* only the socket goes in, onto a file of the container's own /run: a
	 * privileged root can remount any bind rw, and a bound host folder
	 * would then take whatever it writes */
	if (mkdir_in_root(root, "/run/host", err) < 0)
		return -1;
	cleanup_close int tfd = open_in_root(root, "/run/host/notify", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, err);
	if (tfd < 0)
		return -1;
	cleanup_free char *sock = xasprintf("%s/notify", notify_dir);
	if (mount_in(root, sock, "/run/host/notify", NULL, MS_BIND, NULL, err) < 0)
		return -1;
	cleanup_close int fd = open_in_root(root, "/run/host/notify", O_PATH, err);
	if (fd < 0)
		return -1;
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return box_error(err, errno, "making /run/host/notify read-only");
	return 0;
}

/* The host paths the child mounts from, as /proc/self/fd/N of an O_PATH fd
 * opened while the child still had the host's root ids (mounts_open_host):
 * the container's root may not reach them through the host's 0700 folders.
 * NULL: the path itself. */
static char *host_notify;
static char **host_src;

int mounts_open_host(const struct box_config *c, const char *notify_dir, box_err_t *err)
{
	host_src = xzalloc((c->n_mounts + 1) * sizeof(char *));
	for (size_t i = 0; i < c->n_mounts + 1; i++) {
		const char *path = i < c->n_mounts ? c->mounts[i].source : notify_dir;
		if (!path)
			continue;
		/* kept open until exec (close-on-exec) */
		int fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0 && i < c->n_mounts)
			return box_error(err, errno, "%s:%u: mount %s: source %s", c->path, c->mounts[i].line,
					 c->mounts[i].target, path);
		if (fd < 0)
			return box_error(err, errno, "opening %s", path);
		char *p = xasprintf("/proc/self/fd/%d", fd);
		if (i < c->n_mounts)
			host_src[i] = p;
		else
			host_notify = p;
	}
	return 0;
}

/* The target of a file's bind mount: an existing regular file, or a new
 * one. The container may have left anything there: a FIFO would block the
 * open (and the start with it), a device would be opened. */
static int file_target(const struct box_config *c, const struct box_mount *m, const char *root, box_err_t *err)
{
	cleanup_free char *dir = xstrdup(m->target);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_in_root(root, dir, err) < 0)
			return -1;
	}
	cleanup_close int fd = open_in_root(root, m->target, O_PATH, NULL);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) < 0)
		return box_error(err, errno, "stat of %s inside the container", m->target);
	if (fd >= 0 && !S_ISREG(st.st_mode))
		return box_error(err, 0,
				 "%s:%u: mount %s: the target inside the container is %s, not a regular file "
				 "(the source %s is a file): remove it from the rootfs",
				 c->path, m->line, m->target, rootfs_kind(st.st_mode), m->source);
	if (fd >= 0)
		return 0;
	cleanup_close int nfd = open_in_root(root, m->target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, err);
	return nfd < 0 ? -1 : 0;
}

static int setup_user_mounts(const struct box_config *c, const char *root, box_err_t *err)
{
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct box_mount *m = &c->mounts[i];
		const char *src = host_src && host_src[i] ? host_src[i] : m->source;
		struct stat st;
		if (stat(src, &st) < 0)
			return box_error(err, errno, "%s:%u: mount %s: source %s", c->path, m->line, m->target,
					 m->source);
		if (S_ISDIR(st.st_mode)) {
			if (mkdir_in_root(root, m->target, err) < 0)
				return -1;
		} else if (file_target(c, m, root, err) < 0) {
			return -1;
		}
		if (mount_in(root, src, m->target, NULL, MS_BIND | MS_REC, NULL, err) < 0)
			return -1;
		if (m->readonly) {
			cleanup_close int fd = open_in_root(root, m->target, O_PATH, err);
			char p[64];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
			if (fd < 0 || mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
				return box_error(err, errno, "making %s read-only", m->target);
		}
	}
	return 0;
}

/* crun's trick: pivot_root(".", ".") stacks the old root on the new one,
 * and a lazy unmount of "." takes the old root away. */
static int do_pivot(const char *root, box_err_t *err)
{
	cleanup_close int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return box_error(err, errno, "opening %s", root);
	if (fchdir(newroot) < 0)
		return box_error(err, errno, "chdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return box_error(err, errno, "pivot_root to %s", root);
	if (umount2(".", MNT_DETACH) < 0)
		return box_error(err, errno, "detaching the old root");
	if (chdir("/") < 0)
		return box_error(err, errno, "chdir /");
	return 0;
}

int mounts_prepare(const struct box_config *c, const char *root, bool mounted, const char *console, box_err_t *err)
{
	/* nothing we mount may propagate back to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return box_error(err, errno, "making / private");
	box_trace("child: private");
	if (!mounted && setup_rootfs(c, root, err) < 0)
		return box_error_wrap(err, "rootfs");
	box_trace("child: rootfs");
	if (identity_write(c, root, 0, err) < 0)
		return box_error_wrap(err, "identity");
	box_trace("child: identity");
	if (setup_dev(root, console, err) < 0)
		return -1;
	box_trace("child: dev");
	if (setup_proc(root, err) < 0)
		return -1;
	box_trace("child: proc");
	if (setup_sys(root, c->nesting, err) < 0)
		return -1;
	if (c->nesting && setup_nesting(root, err) < 0)
		return box_error_wrap(err, "nesting");
	if (c->fuse && setup_fuse(root, err) < 0)
		return box_error_wrap(err, "fuse");
	return 0;
}

int mounts_finish(const struct box_config *c, struct cgroup *cg, const char *root, const char *notify_dir,
		  box_err_t *err)
{
	if (cgroup_mount_view(cg, root, err) < 0)
		return box_error_wrap(err, "the cgroup view in /sys/fs/cgroup");
	box_trace("child: cgroup view");
	if (setup_run(root, host_notify ? host_notify : notify_dir, err) < 0 || setup_user_mounts(c, root, err) < 0)
		return -1;
	box_trace("child: run, user mounts");
	return do_pivot(root, err);
}
