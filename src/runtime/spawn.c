#include "runtime/spawn.h"
#include "config/idshift.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/caps.h"
#include "base/idmap.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "container/mounts.h"
#include "net/net.h"
#include "container/seccomp.h"
#include "runtime/userns.h"
#include "storage/storage.h"
#include "base/util.h"

struct spawn_msg {
	uint32_t type; /* enum spawn_step */
	int32_t errnum;
	uint32_t ntasks; /* STEP_HOST_DONE: its fds are ntasks `tasks` fds, then the seccomp filter's */
	char text[1024];
};

static int send_msg(int fd, enum spawn_step step, int errnum, const char *text)
{
	struct spawn_msg m = { .type = step, .errnum = errnum };
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	ssize_t n = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
	return n == (ssize_t)sizeof(m) ? 0 : -1;
}

/* Reads one message: 1 = got one, 0 = EOF, -1 = error. */
static int recv_msg(int fd, struct spawn_msg *m)
{
	for (;;) {
		ssize_t n = recv(fd, m, sizeof(*m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (n != (ssize_t)sizeof(*m)) {
			errno = EPROTO;
			return -1;
		}
		m->text[sizeof(m->text) - 1] = '\0';
		return 1;
	}
}

/* The most fds a message carries: the v1 `tasks` fds and the filter's. */
#define MSG_FDS_MAX (CGROUP_JOIN_MAX + 1)

/* One message with n fds (SCM_RIGHTS; none when n is 0). */
static int send_fds(int fd, const struct spawn_msg *m, const int *fds, size_t n)
{
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * MSG_FDS_MAX)];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* One message and the fds that came with it (*n of them, at most
 * MSG_FDS_MAX): 1 = got one, 0 = EOF, -1 = error (EPROTO: a short message
 * or fds cut off; what came is closed). */
static int recv_fds(int fd, struct spawn_msg *m, int *fds, size_t *n)
{
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * MSG_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	*n = 0;
	ssize_t r;
	do
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return (int)r;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		*n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * *n);
	}
	if (r != (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_CTRUNC)) {
		for (size_t i = 0; i < *n; i++)
			close(fds[i]);
		*n = 0;
		errno = EPROTO;
		return -1;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 1;
}

/* STEP_HOST_DONE with the v1 `tasks` fds the child joins, then the seccomp
 * filter it loads. */
static int send_go(int fd, const struct cgroup_join *j, int filter)
{
	size_t nt = j ? j->ntasks : 0;
	struct spawn_msg m = { .type = STEP_HOST_DONE, .ntasks = (uint32_t)nt };
	int fds[MSG_FDS_MAX];
	if (nt)
		memcpy(fds, j->tasks, sizeof(int) * nt);
	fds[nt] = filter;
	return send_fds(fd, &m, fds, nt + 1);
}

/* The child's end of send_go(): 1 = the go (the `tasks` fds in *j, the
 * filter's in *filter), else as recv_fds. */
static int recv_go(int fd, struct cgroup_join *j, int *filter)
{
	struct spawn_msg m;
	int fds[MSG_FDS_MAX];
	size_t nfds;
	*j = (struct cgroup_join){ .clone_fd = -1 };
	*filter = -1;
	int r = recv_fds(fd, &m, fds, &nfds);
	if (r <= 0)
		return r;
	if (m.type != STEP_HOST_DONE || nfds != m.ntasks + 1) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	j->ntasks = m.ntasks;
	memcpy(j->tasks, fds, sizeof(int) * m.ntasks);
	*filter = fds[m.ntasks];
	return 1;
}

/* STEP_EXEC with the container's root (O_PATH; none when it could not be
 * opened): the supervisor's reference to the rootfs mount. */
static void send_exec(int fd)
{
	struct spawn_msg m = { .type = STEP_EXEC };
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	send_fds(fd, &m, &root, root >= 0 ? 1 : 0);
	if (root >= 0)
		close(root);
}

static void child_fail(int fd, box_err_t *err)
{
	send_msg(fd, STEP_ERROR, (*err)->errnum, (*err)->msg);
	_exit(1);
}

/* Unprivileged, before anything else: waits for the maps the supervisor
 * writes, moves the host's rootfs tree (detached, made by the supervisor)
 * onto root, opens what it will bind from the host, and only then becomes
 * the container's root, which can reach none of these by path. Returns the
 * path the rest of the child reaches the rootfs by. */
static char *child_enter_userns(const struct spawn_ctx *x, int fd, int tree, box_err_t *err)
{
	struct spawn_msg m;
	/* STEP_MAPPED */
	if (recv_msg(fd, &m) != 1 || m.type != STEP_MAPPED)
		_exit(1);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		box_error(err, errno, "making / private");
		return NULL;
	}
	if (move_mount(tree, "", AT_FDCWD, x->root, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		box_error(err, errno, "mounting the rootfs on %s", x->root);
		return NULL;
	}
	close(tree);
	/* close-on-exec: open until init runs */
	int rfd = open(x->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		box_error(err, errno, "opening %s", x->root);
		return NULL;
	}
	if (mounts_open_host(x->c, x->notify_dir, err) < 0 || userns_become_root(err) < 0)
		return NULL;
	/* the change of ids cleared it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return xasprintf("/proc/self/fd/%d", rfd);
}

/* The container's first process. Namespaces when it starts: new pid (it is
 * PID 1), mount (a copy of the supervisor's), uts, ipc, net, and for an
 * unprivileged container a user namespace that owns all of them; in the
 * container's cgroup2 cgroup (clone3 put it there), but still the host's
 * cgroup ns. `tree`: the unprivileged rootfs (storage_open_tree), else -1. */
static void child_main(const struct spawn_ctx *x, int fd, int tree)
{
	box_err_t err = NULL;
	const struct box_config *c = x->c;

	/* First of all: if the supervisor dies from now on, init must not run
	 * unsupervised (and if it died already, the recv below sees EOF). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	cleanup_free char *root = tree >= 0 ? child_enter_userns(x, fd, tree, &err) : xstrdup(x->root);
	if (!root)
		child_fail(fd, &err);
	/* What needs neither the container's cgroup nor its veths runs while
	 * the supervisor is still at them (the dance in spawn.h). */
	if (mounts_prepare(c, root, tree >= 0, x->console, &err) < 0)
		child_fail(fd, &err);
	if (net_wants_netns(c) && net_loopback_up(&err) < 0)
		child_fail(fd, &err);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
		box_error(&err, errno, "setting the hostname to %s", c->hostname);
		child_fail(fd, &err);
	}
	box_trace("child: prepared");
	/* STEP_HOST_DONE: the container's cgroup in every v1 hierarchy is made
	 * now; joined before anything of the container runs (cgroup.h) */
	struct cgroup_join join;
	int filter;
	if (recv_go(fd, &join, &filter) != 1)
		_exit(1);
	box_trace("child: go");
	int jr = cgroup_join_self(&join, &err);
	cgroup_join_close(&join);
	if (jr < 0)
		child_fail(fd, &err);
	/* the cgroup ns root becomes the container's cgroup */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		box_error(&err, errno, "unshare(CLONE_NEWCGROUP)");
		child_fail(fd, &err);
	}
	if (mounts_finish(c, x->cg, root, x->notify_dir, &err) < 0)
		child_fail(fd, &err);
	box_trace("child: mounts done");
	if (seccomp_load_exported(filter, &err) < 0)
		child_fail(fd, &err);
	close(filter);
	box_trace("child: seccomp");
	if (caps_apply(c, &err) < 0)
		child_fail(fd, &err);
	box_trace("child: caps");
	/* init's stdin, stdout, stderr and controlling tty: the console */
	if (setsid() < 0) {
		box_error(&err, errno, "setsid");
		child_fail(fd, &err);
	}
	int con = open("/dev/console", O_RDWR | O_CLOEXEC);
	if (con < 0) {
		box_error(&err, errno, "opening /dev/console");
		child_fail(fd, &err);
	}
	ioctl(con, TIOCSCTTY, 0);
	if (dup2(con, 0) < 0 || dup2(con, 1) < 0 || dup2(con, 2) < 0) {
		box_error(&err, errno, "dup2 of /dev/console");
		child_fail(fd, &err);
	}
	close(con);
	/* nothing of the supervisor's may leak into the container */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	umask(022);

	size_t n = strv_len(c->init_args);
	char **argv = xzalloc((n + 2) * sizeof(char *));
	argv[0] = c->init;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = c->init_args[i];
	/* STEP_EXEC */
	box_trace("child: exec");
	send_exec(fd);
	execve(c->init, argv, x->env);
	box_error(&err, errno, "exec'ing init %s", c->init);
	child_fail(fd, &err);
}

/* Unprivileged, before the clone: the rootfs as a detached tree, the console
 * given to the container's root (the payload cgroup is given to it while
 * the child prepares: host_limit_cgroup). */
static int host_prepare(const struct spawn_ctx *x, int *tree, box_err_t *err)
{
	const struct box_config *c = x->c;
	*tree = -1;
	if (!c->unprivileged)
		return 0;
	if (chown(x->console, c->idmap_base, c->idmap_base) < 0)
		return box_error(err, errno, "giving the console %s to the container's root", x->console);
	*tree = storage_open_tree(c, err);
	return *tree < 0 ? -1 : 0;
}

/* Unprivileged, after the clone: the maps, and the rootfs idmapped through
 * the child's namespace unless its owners were shifted at create; then the
 * child may go on. */
static int host_map(const struct spawn_ctx *x, pid_t pid, int tree, int sync_fd, box_err_t *err)
{
	const struct box_config *c = x->c;
	if (idmap_write_maps(pid, c->idmap_base, c->idmap_size, err) < 0)
		return -1;
	if (idshift_read(c) == 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
		cleanup_close int ns = open(p, O_RDONLY | O_CLOEXEC);
		if (ns < 0)
			return box_error(err, errno, "opening %s", p);
		if (idmap_mount(tree, ns, err) < 0)
			return box_error_wrap(err,
					      "%s: its rootfs keeps the container's owners, but its filesystem cannot "
					      "be idmapped here: set unprivileged = no, or export and import it (the "
					      "import shifts the owners)",
					      c->name);
	}
	/* STEP_MAPPED */
	if (send_msg(sync_fd, STEP_MAPPED, 0, NULL) < 0)
		return box_error(err, errno, "the container's first process died before its id map");
	return 0;
}

int spawn_container(const struct spawn_ctx *x, pid_t *pid, int *pidfd, int *sync_fd, box_err_t *err)
{
	cleanup_close int tree = -1;
	if (host_prepare(x, &tree, err) < 0)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return box_error(err, errno, "socketpair");
	int pfd = -1;
	struct clone_args args = {
		/* type = host shares the host's network: no netns (net.h); the
		 * user namespace is made first and owns the others */
		.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
			 (net_wants_netns(x->c) ? CLONE_NEWNET : 0) | (x->c->unprivileged ? CLONE_NEWUSER : 0),
		.pidfd = (uint64_t)(uintptr_t)&pfd,
		.exit_signal = SIGCHLD,
	};
	cgroup_join_clone_args(x->join, &args);
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		/* the kernel's answer to a user namespace asked for from a chroot
		 * (no reliable test tells a chroot: /proc/1/root may be closed to
		 * us), and a container's without nesting = yes (its seccomp filter) */
		if ((e == EPERM || e == ENOSYS) && x->c->unprivileged)
			return box_error(
			    err, e,
			    "clone3 of the container's init: in a chroot the kernel makes no user namespace "
			    "(unprivileged = yes needs one): run box outside it, or set unprivileged = no in "
			    "%s; in a container, that container needs nesting = yes on its host",
			    x->c->path ? x->c->path : x->c->name);
		if (e == ENOSYS || e == EPERM)
			return box_error(err, e,
					 "clone3 of the container's init (when boxes runs in a container, that "
					 "container needs nesting = yes on its host)");
		return box_error(err, e, "clone3 of the container's init");
	}
	if (r == 0) {
		close(sv[0]);
		child_main(x, sv[1], tree);
		_exit(1);
	}
	close(sv[1]);
	if (x->c->unprivileged && host_map(x, (pid_t)r, tree, sv[0], err) < 0) {
		spawn_child_error(sv[0], err);
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		waitpid((pid_t)r, NULL, 0);
		close(pfd);
		close(sv[0]);
		return -1;
	}
	*pid = (pid_t)r;
	*pidfd = pfd;
	*sync_fd = sv[0];
	return 0;
}

int spawn_go(int sync_fd, const struct cgroup_join *join, int filter, box_err_t *err)
{
	/* STEP_HOST_DONE */
	if (send_go(sync_fd, join, filter) < 0)
		return box_error(err, errno, "the container's first process died before setup");
	return 0;
}

void spawn_child_error(int sync_fd, box_err_t *err)
{
	struct spawn_msg m;
	ssize_t n = recv(sync_fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(m) || m.type != STEP_ERROR)
		return;
	m.text[sizeof(m.text) - 1] = '\0';
	box_error_release(err);
	box_error(err, m.errnum, "%s", m.text);
}

int spawn_wait_exec(int sync_fd, int *root_ref, box_err_t *err)
{
	bool exec_seen = false;
	struct spawn_msg m;
	int ret = 0;
	*root_ref = -1;
	for (;;) {
		int fds[MSG_FDS_MAX];
		size_t n;
		int r = recv_fds(sync_fd, &m, fds, &n);
		int passed = n ? fds[0] : -1;
		for (size_t i = 1; i < n; i++) /* one fd is all a message here brings */
			close(fds[i]);
		if (r < 0) {
			ret = box_error(err, errno, "reading from the container's first process");
			break;
		}
		if (r == 0)
			break;
		/* STEP_EXEC, with the root; an fd with anything else is dropped */
		if (m.type == STEP_EXEC && !exec_seen) {
			exec_seen = true;
			*root_ref = passed;
		} else if (passed >= 0) {
			close(passed);
		}
		if (m.type == STEP_ERROR) {
			ret = box_error(err, m.errnum, "%s", m.text);
			break;
		}
	}
	if (ret == 0 && !exec_seen)
		ret = box_error(err, 0, "the container's first process died during setup");
	if (ret < 0 && *root_ref >= 0) {
		close(*root_ref);
		*root_ref = -1;
	}
	return ret < 0 ? -1 : 0;
}
