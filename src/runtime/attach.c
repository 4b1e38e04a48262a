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
						 const struct cgroup_join *join, char **argv, int slave)
{
	box_err_t err = NULL;
	if (cgroup_join_self(join, &err) < 0) {
		box_error_report(&err);
		_exit(126);
	}
	/* an unprivileged container's user namespace first (setns does it so),
	 * then its root: the rest is owned by it */
	if (setns(pidfd, NS_ALL | (userns ? CLONE_NEWUSER : 0)) < 0) {
		fprintf(stderr, "box: attach: entering the namespaces of %s: %s\n", c->name, strerror(errno));
		_exit(126);
	}
	if (userns && userns_become_root(&err) < 0) {
		box_error_report(&err);
		_exit(126);
	}
	pid_t g = fork();
	if (g < 0)
		_exit(126);
	if (g > 0) {
		int st;
		while (waitpid(g, &st, 0) < 0 && errno == EINTR)
			;
		_exit(status_code(st));
	}
	if (slave >= 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
	}
	if (seccomp_apply(c, &err) < 0 || caps_apply(c, &err) < 0) {
		box_error_report(&err);
		_exit(126);
	}
	const char *term = getenv("TERM");
	char *t = term ? xstrdup(term) : NULL;
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/root", 1);
	setenv("container", "boxes", 1);
	if (t && slave >= 0)
		setenv("TERM", t, 1);
	for (size_t i = 0; c->environment && c->environment[i]; i++)
		putenv(c->environment[i]);
	if (chdir("/root") < 0 && chdir("/") < 0)
		_exit(126);
	static char *sh[] = { "/bin/sh", NULL };
	if (!argv || !argv[0])
		argv = sh;
	execvp(argv[0], argv);
	fprintf(stderr, "box: attach: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Relays stdin -> master -> stdout until the child C ends. */
static void relay(int master, int cpidfd)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (tcgetattr(0, &saved_tio) == 0) {
		struct termios raw = saved_tio;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
		tio_saved = true;
		atexit(restore_tty);
	}
	copy_winsize(master);
	bool in_open = true;
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
			copy_winsize(master);
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
			if (n > 0)
				write_all(1, buf, (size_t)n);
			else if (!(p[2].revents & POLLIN))
				continue;
		}
		if (p[2].revents & POLLIN) {
			/* drain what the command wrote last */
			ssize_t n;
			fcntl(master, F_SETFL, O_NONBLOCK);
			while ((n = read(master, buf, sizeof(buf))) > 0)
				write_all(1, buf, (size_t)n);
			break;
		}
	}
	restore_tty();
	tio_saved = false;
	if (sfd >= 0)
		close(sfd);
}

int attach_run(const char *name, char **argv, int *status, box_err_t *err)
{
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	int pidfd = -1, master = -1, slave = -1, ret = -1;
	pid_t child = -1;
	struct runtime_info ri;
	struct cgroup_join join = { .clone_fd = -1 };

	if (config_load(name, &c, err) < 0 || global_load(&g, err) < 0 || runtime_info(name, &ri, err) < 0)
		goto out;
	if (ri.state == BOX_FROZEN) {
		/* the command would join the frozen cgroup and hang there */
		box_error(err, 0, "%s is frozen: 'box unfreeze %s' first", name, name);
		goto out;
	}
	if (ri.state != BOX_RUNNING) {
		box_error(err, 0, "%s is not running (%s)", name, state_name(ri.state));
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, ri.init_pid, 0);
	if (pidfd < 0) {
		box_error(err, errno, "opening init (pid %d) of %s", (int)ri.init_pid, name);
		goto out;
	}
	if (cgroup_open(g->cgroup_parent, name, &cg, err) < 0)
		goto out;
	if (isatty(0)) {
		char path[64];
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
		    ptsname_r(master, path, sizeof(path)) != 0) {
			box_error(err, errno, "allocating a pty");
			goto out;
		}
		slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0) {
			box_error(err, errno, "opening %s", path);
			goto out;
		}
	}
	if (cgroup_join_open(cg, CGROUP_JOIN_ATTACH, &join, err) < 0)
		goto out;
	bool userns = in_own_userns(ri.init_pid);
	fflush(NULL);
	/* clone3, not fork: the child is born in the container's cgroup2 cgroup */
	struct clone_args ca = { .exit_signal = SIGCHLD };
	cgroup_join_clone_args(&join, &ca);
	child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (child < 0) {
		box_error(err, errno, "clone3 of the attached command");
		goto out;
	}
	if (child == 0) {
		if (master >= 0)
			close(master);
		run_inside(c, pidfd, userns, &join, argv, slave);
	}
	cgroup_join_close(&join);
	if (slave >= 0) {
		close(slave);
		slave = -1;
	}
	if (master >= 0) {
		int cpidfd = (int)syscall(SYS_pidfd_open, child, 0);
		relay(master, cpidfd);
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
	if (pidfd >= 0)
		close(pidfd);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	cgroup_free(cg);
	config_free(c);
	global_free(g);
	return ret;
}
