#include "runtime/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/caps.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "runtime/runtime.h"
#include "container/seccomp.h"
#include "runtime/state.h"
#include "runtime/userns.h"
#include "base/util.h"

#define NS_ALL (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID)

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* Which of the caller's fds 0-2 are terminals: each is replaced by the pty's
 * slave, so that the container never holds a host terminal (TIOCSTI would
 * type into the admin's shell); the others are passed as they are. */
struct attach_tty {
	bool tty[3];
	int master, slave;
};

static bool any_tty(const struct attach_tty *t)
{
	return t->tty[0] || t->tty[1] || t->tty[2];
}

static void set_env(const struct box_config *c, const char *term)
{
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("container", "boxes", 1);
	if (term)
		setenv("TERM", term, 1);
	for (size_t i = 0; c->environment && c->environment[i]; i++)
		putenv(c->environment[i]);
}

/* The grandchild G: the first process the container can see. It inherits a
 * state with nothing of the host in it (run_inside) and only execs. */
__attribute__((noreturn)) static void exec_command(char **argv, const struct attach_tty *t)
{
	/* the pty is the controlling terminal only for an interactive command
	 * (stdin a terminal): job control then, and a hangup at the end; a
	 * command whose output alone goes to a terminal keeps its background
	 * jobs alive after it exits, as without a pty */
	setsid();
	if (t->tty[0])
		ioctl(0, TIOCSCTTY, 0);
	static char *sh[] = { "/bin/sh", NULL };
	if (!argv || !argv[0])
		argv = sh;
	execvp(argv[0], argv);
	fprintf(stderr, "box: attach: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The child C, still invisible inside (the host's pid ns). Everything that
 * must not reach the container is done away with here, before G is forked
 * into the container's pid ns where its root can stop it and read
 * /proc/G/fd, /proc/G/exe: the cgroup fds and the pidfd are closed, every
 * fd but 0-2 too (the caller's, the pty master), the process is not
 * dumpable until exec, and the capability drop and seccomp filter are on. */
/* Whether init runs in a user namespace of its own: asked of the running
 * init, not of the config, which may have changed since it started. */
static bool in_own_userns(pid_t pid)
{
	char p[64];
	struct stat a, b;
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino;
}

__attribute__((noreturn)) static void run_inside(const struct box_config *c, int pidfd, bool userns,
						 struct cgroup_join *join, char **argv, const struct attach_tty *t)
{
	box_err_t err = NULL;
	const char *term = getenv("TERM");
	char *tc = term && t->slave >= 0 ? xstrdup(term) : NULL;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		box_error(&err, errno, "prctl(PR_SET_DUMPABLE)");
		goto fail;
	}
	if (cgroup_join_self(join, &err) < 0)
		goto fail;
	cgroup_join_close(join);
	/* an unprivileged container's user namespace first (setns does it so),
	 * then its root: the rest is owned by it */
	if (setns(pidfd, NS_ALL | (userns ? CLONE_NEWUSER : 0)) < 0) {
		box_error(&err, errno, "entering the namespaces of %s", c->name);
		goto fail;
	}
	if (userns) {
		if (userns_become_root(&err) < 0)
			goto fail;
		/* the change of ids cleared it (and dumpable stays 0) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	for (int i = 0; i <= 2; i++)
		if (t->tty[i] && dup2(t->slave, i) < 0) {
			box_error(&err, errno, "dup2 of the pty");
			goto fail;
		}
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0) {
		box_error(&err, errno, "closing the caller's fds");
		goto fail;
	}
	if (seccomp_apply(c, &err) < 0 || caps_apply(c, &err) < 0)
		goto fail;
	set_env(c, tc);
	if (chdir("/root") < 0 && chdir("/") < 0) {
		box_error(&err, errno, "chdir to / inside %s", c->name);
		goto fail;
	}
	pid_t g = fork();
	if (g < 0) {
		box_error(&err, errno, "fork inside %s", c->name);
		goto fail;
	}
	if (g == 0)
		exec_command(argv, t);
	int st;
	while (waitpid(g, &st, 0) < 0 && errno == EINTR)
		;
	_exit(status_code(st));
fail:
	box_error_wrap(&err, "attach");
	box_error_report(&err);
	_exit(126);
}

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
}

static void copy_winsize(const struct attach_tty *t)
{
	struct winsize ws;
	for (int i = 0; i <= 2; i++)
		if (t->tty[i] && ioctl(i, TIOCGWINSZ, &ws) == 0) {
			ioctl(t->master, TIOCSWINSZ, &ws);
			return;
		}
}

/* Relays the caller's terminal and the pty until the child ends: stdin to
 * the master when stdin is a terminal, the master to the caller's first
 * terminal among stdout and stderr (or nowhere). */
static void relay(const struct attach_tty *t, int cpidfd)
{
	int master = t->master, out = t->tty[1] ? 1 : t->tty[2] ? 2 : -1;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->tty[0] && tcgetattr(0, &saved_tio) == 0) {
		struct termios raw = saved_tio;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
		tio_saved = true;
		atexit(restore_tty);
	}
	copy_winsize(t);
	bool in_open = t->tty[0];
	char buf[4096];
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
			{ .fd = cpidfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[3].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
			copy_winsize(t);
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				write_all(master, buf, (size_t)n);
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n > 0 && out >= 0)
				write_all(out, buf, (size_t)n);
			else if (n <= 0 && !(p[2].revents & POLLIN))
				continue;
		}
		if (p[2].revents & POLLIN) {
			/* drain what the command wrote last */
			ssize_t n;
			fcntl(master, F_SETFL, O_NONBLOCK);
			while ((n = read(master, buf, sizeof(buf))) > 0)
				if (out >= 0)
					write_all(out, buf, (size_t)n);
			break;
		}
	}
	restore_tty();
	tio_saved = false;
	if (sfd >= 0)
		close(sfd);
}

/* A pty when any of fds 0-2 is a terminal. Without a terminal on stdin the
 * slave is raw: what the command writes reaches the caller unchanged. */
static int open_pty(struct attach_tty *t, box_err_t *err)
{
	char path[64];
	for (int i = 0; i <= 2; i++)
		t->tty[i] = isatty(i);
	if (!any_tty(t))
		return 0;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
	    ptsname_r(t->master, path, sizeof(path)) != 0)
		return box_error(err, errno, "allocating a pty");
	t->slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0)
		return box_error(err, errno, "opening %s", path);
	struct termios tio;
	if (!t->tty[0] && tcgetattr(t->slave, &tio) == 0) {
		cfmakeraw(&tio);
		if (tcsetattr(t->slave, TCSANOW, &tio) < 0)
			return box_error(err, errno, "setting %s raw", path);
	}
	return 0;
}

static int check_running(const char *name, struct runtime_info *ri, box_err_t *err)
{
	if (runtime_info(name, ri, err) < 0)
		return -1;
	if (ri->state == BOX_FROZEN) /* the command would join the frozen cgroup and hang there */
		return box_error(err, 0, "%s is frozen: 'box unfreeze %s' first", name, name);
	if (ri->state != BOX_RUNNING)
		return box_error(err, 0, "%s is not running (%s)", name, state_name(ri->state));
	return 0;
}

/* What the container's root froze: one message, what to do. */
static int frozen_error(struct cgroup *cg, const char *name, const char *where, box_err_t *err)
{
	if (cgroup_is_frozen(cg)) /* 'box freeze' came in between */
		return box_error(err, 0, "%s is frozen: 'box unfreeze %s' first", name, name);
	bool v1 = strstr(where, "freezer.state") != NULL;
	return box_error(err, 0,
			 "the root of %s froze its own cgroup (%s): an attached command would stop there for good. "
			 "'box unfreeze %s' thaws only what 'box freeze' froze: have the container thaw it, "
			 "write %s into that file, or 'box restart %s'",
			 name, where, name, v1 ? "THAWED" : "0", name);
}

/* Waits until the child C got through its setup (its end of the pipe closes
 * when it closes every fd, or exits), rereading each second whether the
 * cgroup it joined is frozen: a child frozen there never gets through. Such
 * a child is SIGKILLed, not waited for: v1 lets it die only once thawed. It
 * is in the host's pid ns, out of the container's sight; what it holds
 * (pidfd of init, the pty) dies with it. */
static int wait_setup(pid_t child, int rfd, struct cgroup *cg, const struct cgroup_join *j, const char *name,
		      box_err_t *err)
{
	for (;;) {
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		int n = poll(&p, 1, 1000);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return box_error(err, errno, "waiting for the attached command");
		char *where = NULL;
		if (n == 0 && cgroup_join_frozen(cg, j, &where)) {
			kill(child, SIGKILL);
			frozen_error(cg, name, where, err);
			free(where);
			return -1;
		}
	}
}

int attach_run(const char *name, char **argv, int *status, box_err_t *err)
{
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	int pidfd = -1, ret = -1, sync[2] = { -1, -1 };
	pid_t child = -1;
	struct runtime_info ri;
	struct cgroup_join join = { .clone_fd = -1 };
	struct attach_tty t = { .master = -1, .slave = -1 };

	if (config_load(name, &c, err) < 0 || global_load(&g, err) < 0 || check_running(name, &ri, err) < 0)
		goto out;
	pidfd = (int)syscall(SYS_pidfd_open, ri.init_pid, 0);
	if (pidfd < 0) {
		box_error(err, errno, "opening init (pid %d) of %s", (int)ri.init_pid, name);
		goto out;
	}
	if (cgroup_open(g->cgroup_parent, name, &cg, err) < 0 || open_pty(&t, err) < 0)
		goto out;
	if (cgroup_join_open(cg, CGROUP_JOIN_ATTACH, &join, err) < 0)
		goto out;
	char *where = NULL;
	if (cgroup_join_frozen(cg, &join, &where)) {
		frozen_error(cg, name, where, err);
		free(where);
		goto out;
	}
	if (pipe2(sync, O_CLOEXEC) < 0) {
		box_error(err, errno, "pipe");
		goto out;
	}
	fflush(NULL);
	/* clone3, not fork: the child is born in the container's cgroup2 cgroup */
	struct clone_args ca = { .exit_signal = SIGCHLD };
	cgroup_join_clone_args(&join, &ca);
	child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (child < 0) {
		box_error(err, errno, "clone3 of the attached command");
		goto out;
	}
	if (child == 0)
		run_inside(c, pidfd, in_own_userns(ri.init_pid), &join, argv, &t);
	close(sync[1]);
	sync[1] = -1;
	if (wait_setup(child, sync[0], cg, &join, name, err) < 0)
		goto out;
	cgroup_join_close(&join);
	if (t.slave >= 0) {
		close(t.slave);
		t.slave = -1;
	}
	if (t.master >= 0) {
		int cpidfd = (int)syscall(SYS_pidfd_open, child, 0);
		relay(&t, cpidfd);
		if (cpidfd >= 0)
			close(cpidfd);
	}
	int st;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	*status = status_code(st);
	ret = 0;
out:
	cgroup_join_close(&join);
	for (int i = 0; i < 2; i++)
		if (sync[i] >= 0)
			close(sync[i]);
	if (pidfd >= 0)
		close(pidfd);
	if (t.master >= 0)
		close(t.master);
	if (t.slave >= 0)
		close(t.slave);
	cgroup_free(cg);
	config_free(c);
	global_free(g);
	return ret;
}
