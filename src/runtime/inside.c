#include "runtime/inside.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "config/config.h"
#include "container/identity.h"
#include "runtime/state.h"
#include "runtime/userns.h"

#define INSIDE_TIMEOUT_MS 10000

static bool own_userns(pid_t pid)
{
	char p[64];
	struct stat a, b;
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	return stat(p, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino;
}

__attribute__((noreturn)) static void child(const struct box_config *c, int pidfd, bool userns, bool set_hostname,
					    int out)
{
	box_err_t err = NULL;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		box_error(&err, errno, "prctl(PR_SET_DUMPABLE)");
		goto fail;
	}
	if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | (userns ? CLONE_NEWUSER : 0)) < 0) {
		box_error(&err, errno, "entering the namespaces of %s", c->name);
		goto fail;
	}
	/* nothing of the caller's stays open but the error pipe */
	if (dup2(out, 3) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0) {
		box_error(&err, errno, "closing the caller's fds");
		goto fail;
	}
	out = 3;
	if (userns && userns_become_root(&err) < 0)
		goto fail;
	if (set_hostname && sethostname(c->hostname, strlen(c->hostname)) < 0) {
		box_error(&err, errno, "setting the host name %s", c->hostname);
		goto fail;
	}
	if (identity_write(c, "/", 0, &err) < 0)
		goto fail;
	_exit(0);
fail : {
	char *t = box_error_text(err);
	write_all(out, t, strlen(t));
	_exit(1);
}
}

int inside_identity(const struct box_config *c, bool set_hostname, box_err_t *err)
{
	struct state_info si;
	int r = state_read(c->name, &si, err);
	if (r != 0)
		return r < 0 ? -1 : box_error(err, ESRCH, "%s is not running", c->name);
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, si.init_pid, 0);
	if (pidfd < 0 || !state_pid_alive(si.init_pid, si.init_start))
		return box_error(err, pidfd < 0 ? errno : ESRCH, "%s: its init (pid %d) is gone", c->name,
				 (int)si.init_pid);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return box_error(err, errno, "pipe");
	bool userns = own_userns(si.init_pid);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return box_error(err, errno, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		child(c, pidfd, userns, set_hostname, p[1]);
	}
	close(p[1]);
	/* a FUSE mount of the container's over /etc could hold the helper
	 * forever: it gets INSIDE_TIMEOUT_MS, then SIGKILL (which ends a FUSE
	 * wait too) */
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	int pr;
	while ((pr = poll(&pf, 1, INSIDE_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	char msg[1024];
	ssize_t n = 0;
	if (pr == 0)
		kill(pid, SIGKILL);
	else
		n = read_all(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (pr == 0)
		return box_error_timeout(err, "%s: writing its identity inside took over %d s (a mount over /etc?)",
					 c->name, INSIDE_TIMEOUT_MS / 1000);
	msg[n > 0 ? n : 0] = '\0';
	return box_error(err, 0, "%s: writing its identity inside: %s", c->name, n > 0 ? msg : "the helper died");
}
