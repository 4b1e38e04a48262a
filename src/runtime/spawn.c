#include "runtime/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/caps.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "container/mounts.h"
#include "net/net.h"
#include "container/seccomp.h"
#include "base/util.h"

struct spawn_msg {
	uint32_t type; /* enum spawn_step */
	int32_t errnum;
	char text[1024];
};

const char *spawn_step_name(enum spawn_step s)
{
	switch (s) {
	case STEP_HOST_DONE: return "STEP_HOST_DONE";
	case STEP_EXEC: return "STEP_EXEC";
	case STEP_ERROR: return "STEP_ERROR";
	}
	return "?";
}

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

static void child_fail(int fd, box_err_t *err)
{
	send_msg(fd, STEP_ERROR, (*err)->errnum, (*err)->msg);
	_exit(1);
}

/* The container's first process. Namespaces when it starts: new pid (it is
 * PID 1), mount (a copy of the supervisor's), uts, ipc, net; in the
 * container's cgroup2 cgroup (clone3 put it there), but still the host's cgroup ns. */
static void child_main(const struct spawn_ctx *x, int fd)
{
	box_err_t err = NULL;
	const struct box_config *c = x->c;

	/* First of all: if the supervisor dies from now on, init must not run
	 * unsupervised (and if it died already, the recv below sees EOF). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cgroup_join_self(x->join, &err) < 0)
		child_fail(fd, &err);
	/* What needs neither the container's cgroup nor its veths runs while
	 * the supervisor is still at them (the dance in spawn.h). */
	if (mounts_prepare(c, x->root, x->console, &err) < 0)
		child_fail(fd, &err);
	if (net_wants_netns(c) && net_loopback_up(&err) < 0)
		child_fail(fd, &err);
	if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
		box_error(&err, errno, "setting the hostname to %s", c->hostname);
		child_fail(fd, &err);
	}
	box_trace("child: prepared");
	struct spawn_msg m;
	/* STEP_HOST_DONE */
	if (recv_msg(fd, &m) != 1 || m.type != STEP_HOST_DONE)
		_exit(1);
	box_trace("child: go");
	/* the cgroup ns root becomes the container's cgroup */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		box_error(&err, errno, "unshare(CLONE_NEWCGROUP)");
		child_fail(fd, &err);
	}
	if (mounts_finish(c, x->cg, x->root, x->notify_dir, &err) < 0)
		child_fail(fd, &err);
	box_trace("child: mounts done");
	if (seccomp_apply(c, &err) < 0)
		child_fail(fd, &err);
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
	send_msg(fd, STEP_EXEC, 0, NULL);
	execve(c->init, argv, x->env);
	box_error(&err, errno, "exec'ing init %s", c->init);
	child_fail(fd, &err);
}

int spawn_container(const struct spawn_ctx *x, pid_t *pid, int *pidfd, int *sync_fd, box_err_t *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return box_error(err, errno, "socketpair");
	int pfd = -1;
	struct clone_args args = {
		/* type = host shares the host's network: no netns (net.h) */
		.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
			 (net_wants_netns(x->c) ? CLONE_NEWNET : 0),
		.pidfd = (uint64_t)(uintptr_t)&pfd,
		.exit_signal = SIGCHLD,
	};
	cgroup_join_clone_args(x->join, &args);
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return box_error(err, e, "clone3 of the container's init");
	}
	if (r == 0) {
		close(sv[0]);
		child_main(x, sv[1]);
		_exit(1);
	}
	close(sv[1]);
	*pid = (pid_t)r;
	*pidfd = pfd;
	*sync_fd = sv[0];
	return 0;
}

int spawn_go(int sync_fd, box_err_t *err)
{
	/* STEP_HOST_DONE */
	if (send_msg(sync_fd, STEP_HOST_DONE, 0, NULL) < 0)
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

int spawn_wait_exec(int sync_fd, box_err_t *err)
{
	bool exec_seen = false;
	struct spawn_msg m;
	for (;;) {
		int r = recv_msg(sync_fd, &m);
		if (r < 0)
			return box_error(err, errno, "reading from the container's first process");
		if (r == 0)
			break;
		if (m.type == STEP_ERROR) {
			box_error(err, m.errnum, "%s", m.text);
			return -1;
		}
		/* STEP_EXEC */
		if (m.type == STEP_EXEC)
			exec_seen = true;
	}
	if (!exec_seen)
		return box_error(err, 0, "the container's first process died during setup");
	return 0;
}
