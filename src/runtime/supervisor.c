#include "runtime/supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "runtime/control.h"
#include "runtime/logfile.h"
#include "net/net.h"
#include "base/paths.h"
#include "base/notes.h"
#include "runtime/shed.h"
#include "runtime/probe.h"
#include "runtime/record.h"
#include "runtime/spawn.h"
#include "runtime/internal.h"
#include "runtime/state.h"
#include "base/util.h"

struct report {
	int32_t status; /* 0 ok, else errno (or EIO) */
	int32_t errnum;
	char text[1024];
	char warnings[2048]; /* of a failed start: said before the log was open */
};

static void report(struct sup *s, box_err_t *err)
{
	if (s->report_fd < 0)
		return;
	struct report r = { 0 };
	if (err && *err) {
		r.status = EIO;
		r.errnum = (*err)->errnum;
		snprintf(r.text, sizeof(r.text), "%s", (*err)->msg);
		/* the user hears what may explain the failure; a start that
		 * works leaves its warnings to the log, as before */
		cleanup_free char *w = log_held_warnings();
		snprintf(r.warnings, sizeof(r.warnings), "%s", w ? w : "");
	}
	write_all(s->report_fd, &r, sizeof(r));
	close(s->report_fd);
	s->report_fd = -1;
}

int supervisor_read_report(int fd, int timeout_ms, box_err_t *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return box_error_timeout(err, "the container did not report READY=1 in time (it keeps booting)");
	struct report rep;
	ssize_t n = read_all(fd, &rep, sizeof(rep));
	if (n != (ssize_t)sizeof(rep))
		return box_error(err, 0, "the supervisor died while starting the container");
	if (rep.status) {
		rep.text[sizeof(rep.text) - 1] = '\0';
		rep.warnings[sizeof(rep.warnings) - 1] = '\0';
		char *save = NULL;
		for (char *l = strtok_r(rep.warnings, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			box_warn("%s", l);
		return box_error(err, rep.errnum, "%s", rep.text);
	}
	return 0;
}

/* A supervisor that cannot record its state fails the start: without it no
 * command could find, attach to or stop the container. */
static int save_state(struct sup *s, enum box_state st, box_err_t *err)
{
	pid_t me = getpid();
	struct state_info si = {
		.state = st,
		.sup_pid = me,
		.sup_start = s->have_saved && s->saved.sup_pid == me ? s->saved.sup_start : state_pid_start(me),
		.init_pid = s->init_pid,
		.init_start = s->init_start,
		.started = s->started,
	};
	if (state_write(s->name, &si, s->have_saved ? &s->saved : NULL, err) < 0) {
		s->have_saved = false;
		return box_error_wrap(err, "writing the state");
	}
	s->saved = si;
	s->have_saved = true;
	return 0;
}

/* Mid-life (STOPPING, STOPPED): the stop goes on whatever the file says. */
static void save_state_or_warn(struct sup *s, enum box_state st)
{
	box_err_t err = NULL;
	if (save_state(s, st, &err) < 0)
		log_warn_ignored(&err, "recording %s", state_name(st));
}

/* ---- init ---- */

/* What the child needs not at all, done while it finishes after the go
 * (its cgroup view, mounts, filter, caps: ~1.6 ms quiet) instead of before
 * the clone or the go (1.1 ms of the 5 from the fork to the clone): the
 * console log, init's pid file and start time (the state RUNNING after the
 * exec is then one file's write), the control socket and the record.
 * Nothing of the container runs before the child's exec, which the caller
 * waits for; the state says STARTING meanwhile. */
static int while_child_finishes(struct sup *s, box_err_t *err)
{
	if (!s->log && host_open_log(s, err) < 0)
		return -1;
	s->init_start = state_pid_start(s->init_pid);
	/* init.pid only (/run is no tmpfs here: each file costs journaled
	 * creates and renames); the state that names it follows the exec,
	 * and save_state() leaves the file as it is then */
	if (state_write_init_pid(s->name, s->init_pid, err) < 0)
		return -1;
	s->saved.init_pid = s->init_pid;
	box_trace("sup: log, init pid");
	return host_while_child_finishes(s, err);
}

/* Clones init into its namespaces and cgroup, sets up the cgroups, limits,
 * network and filter between clone and "go"; returns once init is exec'd. */
static int spawn_init(struct sup *s, box_err_t *err)
{
	if (mkdir(s->root, 0755) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s", s->root);
	struct spawn_ctx x = {
		.c = s->c,
		.cg = s->cg,
		.root = s->root,
		.console = s->console,
		.notify_dir = s->notify_dir,
		.env = s->env,
	};
	struct cgroup_join join;
	if (cgroup_join_open(s->cg, CGROUP_JOIN_PAYLOAD, &join, err) < 0)
		return -1;
	x.join = &join;
	int sync_fd = -1;
	box_trace("sup: clone3");
	int r = spawn_container(&x, &s->init_pid, &s->pidfd, &sync_fd, err);
	cgroup_join_close(&join);
	if (r < 0)
		return -1;
	box_trace("sup: cloned");
	int ret = -1;
	if (host_limit_cgroup(s, err) < 0)
		goto out;
	if (net_setup(s->c, s->g, s->init_pid, &s->ns, err) < 0)
		goto out;
	box_trace("sup: net set up");
	/* the socket the child binds after the go; its folder is older (an
	 * unprivileged child opens it once mapped) */
	if (s->notify_fd < 0 && host_open_notify(s, err) < 0)
		goto out;
	if (host_send_go(s, sync_fd, err) < 0)
		goto out;
	box_trace("sup: go sent");
	if (while_child_finishes(s, err) < 0)
		goto out;
	ret = spawn_wait_exec(sync_fd, &s->root_ref, err);
	box_trace("sup: exec seen");
out:
	if (ret < 0)
		spawn_child_error(sync_fd, err);
	close(sync_fd);
	if (ret < 0) {
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
		waitpid(s->init_pid, NULL, 0);
		close(s->pidfd);
		s->pidfd = -1;
		s->init_pid = 0;
		s->init_start = 0;
		host_drop_net(s);
		return -1;
	}
	s->started = (int64_t)time(NULL);
	return 0;
}

/* As LXC: SIGRTMIN+3 when init blocks or catches it (systemd), else SIGPWR. */
static int choose_halt_signal(struct sup *s)
{
	return probe_halt_signal(s->init_pid, s->c->halt_signal);
}

static void send_halt(struct sup *s)
{
	s->halt_sig = choose_halt_signal(s);
	if (!probe_init_listens(s->init_pid, s->halt_sig)) {
		s->resend = true;
		return;
	}
	s->resend = false;
	log_info("%s: sending %s to init (pid %d)", s->name, config_signal_name(s->halt_sig), (int)s->init_pid);
	syscall(SYS_pidfd_send_signal, s->pidfd, s->halt_sig, NULL, 0);
}

static const char *describe_exit(struct sup *s, char *buf, size_t len)
{
	int st = s->wstatus;
	if (WIFEXITED(st)) {
		snprintf(buf, len, "init exited with status %d", WEXITSTATUS(st));
	} else if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		struct cgroup_stats cs = { 0 };
		box_err_t err = NULL;
		if (sig == SIGINT)
			snprintf(buf, len, "the container halted or powered off (init ended by SIGINT)");
		else if (sig == SIGHUP)
			snprintf(buf, len, "the container rebooted (init ended by SIGHUP)");
		else if (sig == SIGKILL && s->state == SUP_RUNNING && s->cg && cgroup_stats(s->cg, &cs, &err) == 0 &&
			 cs.oom_kills > 0)
			snprintf(buf, len, "init was killed by the OOM killer (%llu OOM kills in the cgroup)",
				 (unsigned long long)cs.oom_kills);
		else
			snprintf(buf, len, "init was killed by %s", config_signal_name(sig));
		box_error_release(&err);
	} else {
		snprintf(buf, len, "init ended (status 0x%x)", st);
	}
	return buf;
}

/* ---- the end ---- */

static void on_accept(struct sup *s);

/* Every client gets an answer, also one whose request we never read (it
 * came while init's exit was handled): stopped is success for a stop and a
 * status, an error for a console. */
static void close_clients(struct sup *s, const char *why)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &s->clients[i];
		struct ctl_req req = { .cmd = CTL_STOP };
		if (cl->fd < 0)
			continue;
		if (cl->kind == CL_NEW && control_recv_req(cl->fd, &req) < 0 && errno != EAGAIN)
			req.cmd = CTL_STATUS; /* a bad one: nothing to do but say so */
		if (cl->kind == CL_STOP || (cl->kind == CL_NEW && req.cmd != CTL_CONSOLE))
			control_send_resp(cl->fd, 0, BOX_STOPPED, 0, "%s", why);
		else if (cl->kind == CL_NEW)
			control_send_resp(cl->fd, ESRCH, BOX_STOPPED, 0, "it stopped: %s", why);
		close(cl->fd);
		cl->fd = -1;
	}
}

/* A stop returns once every process of the container is dead and its
 * network is gone: answered here, with the state saying STOPPED; the
 * cgroups, the rootfs mount and the state go after, under the lock
 * (host_tail). */
__attribute__((noreturn)) static void finish(struct sup *s, const char *why, int status)
{
	log_info("%s: stopped: %s", s->name, why);
	if (s->ctl_fd >= 0) {
		/* no client is left unanswered: first the socket goes (a new
		 * one finds none and reads the state files), then the queued
		 * ones are taken in, answered by close_clients() */
		cleanup_free char *ctl = xasprintf("%s/control", s->rundir);
		unlink(ctl);
		on_accept(s);
		close(s->ctl_fd);
	}
	s->ctl_fd = -1;
	host_end(s);
	s->started = 0;
	save_state_or_warn(s, BOX_STOPPED);
	close_clients(s, why);
	box_trace("sup: answered");
	host_tail(s, status);
}

/* ---- state x event actions ---- */

static void act_halt(struct sup *s)
{
	host_refresh_stop_keys(s);
	int t = s->req_timeout >= 0 ? s->req_timeout : (int)s->c->stop_timeout;
	uint64_t dl = now_ms() + (uint64_t)t * 1000;
	if (s->state == SUP_STOPPING) {
		if (dl < s->deadline)
			s->deadline = dl;
		return;
	}
	s->state = SUP_STOPPING;
	s->deadline = dl;
	save_state_or_warn(s, BOX_STOPPING);
	send_halt(s);
}

/* SIGKILL to init is enough: when a pid namespace's init dies the kernel
 * kills every other process of the namespace and has them gone before init
 * is reported dead (zap_pid_ns_processes), nested namespaces included. A
 * frozen container is thawed so that the signals get delivered. What is in
 * the cgroup without being in the namespace (a `box attach` on its way in)
 * is killed by finish(), once init has exited, through the cgroup. */
static void act_kill(struct sup *s)
{
	if (s->state == SUP_STOPPING)
		log_info("%s: init still running after the stop timeout: killing", s->name);
	bool was_stopping = s->state == SUP_STOPPING;
	s->state = SUP_KILLING;
	syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	box_err_t err = NULL;
	/* one read, not a write and a read back, in the common case */
	if (s->cg && cgroup_is_frozen(s->cg))
		cgroup_freeze(s->cg, false, &err);
	box_error_release(&err); /* no freezer: nothing was frozen */
	box_trace("sup: init killed");
	/* init is gone within milliseconds, and then so is the state: STOPPING
	 * is written only for an init that takes longer (stuck in the kernel),
	 * 100 ms on (the loop) */
	s->deadline = now_ms() + KILL_RECORD_MS;
	s->stopping_saved = was_stopping;
}

/* Killing for a while now: say so to `box ls`. Init's death waits for every
 * task of its namespace, and one in a cgroup the container's root froze
 * itself (v1) does not die of the kernel's SIGKILL until thawed: thawed at
 * each tick, as a process of the container not yet killed may freeze it
 * again until the kernel's SIGKILL reaches that one too. */
static void act_killing(struct sup *s)
{
	s->deadline = now_ms() + KILL_RECORD_MS;
	cgroup_thaw_below(s->cg);
	if (s->stopping_saved)
		return;
	s->stopping_saved = true;
	save_state_or_warn(s, BOX_STOPPING);
	box_trace("sup: state STOPPING");
}

static void act_init_exited(struct sup *s)
{
	box_trace("sup: init exited");
	char why[256];
	describe_exit(s, why, sizeof(why));
	close(s->pidfd);
	s->pidfd = -1;
	s->init_pid = 0;
	if (s->report_fd >= 0) {
		box_err_t err = NULL;
		box_error(&err, 0, "init ended before it reported READY=1: %s", why);
		report(s, &err);
		box_error_release(&err);
		finish(s, why, 1);
	}
	if (s->state != SUP_RUNNING || !WIFSIGNALED(s->wstatus) || WTERMSIG(s->wstatus) != SIGHUP)
		finish(s, why, 0);
	/* reboot from inside: a fresh cgroup and network, the same supervisor */
	log_info("%s: %s: starting it again", s->name, why);
	box_err_t err = NULL;
	host_drop_root(s);
	host_drop_cgroup(s);
	host_drop_net(s);
	if (host_make_cgroup(s, &err) < 0 || spawn_init(s, &err) < 0 || save_state(s, BOX_RUNNING, &err) < 0) {
		char *t = box_error_text(err);
		char msg[512];
		snprintf(msg, sizeof(msg), "restart after reboot failed: %s", t);
		free(t);
		box_error_release(&err);
		finish(s, msg, 1);
	}
	log_info("%s: running again, init pid %d", s->name, (int)s->init_pid);
}

typedef void (*action_fn)(struct sup *);
static const action_fn actions[_SUP_STATE_MAX][_SUP_EVENT_MAX] = {
	[SUP_RUNNING] = { [EV_INIT_EXITED] = act_init_exited, [EV_STOP_REQ] = act_halt, [EV_KILL_REQ] = act_kill },
	[SUP_STOPPING] = { [EV_INIT_EXITED] = act_init_exited,
			   [EV_STOP_REQ] = act_halt,
			   [EV_KILL_REQ] = act_kill,
			   [EV_TIMEOUT] = act_kill },
	[SUP_KILLING] = { [EV_INIT_EXITED] = act_init_exited, [EV_TIMEOUT] = act_killing },
};

static void fire(struct sup *s, enum sup_event ev)
{
	action_fn f = actions[s->state][ev];
	if (f)
		f(s);
}

/* ---- the loop's handlers ---- */

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			s->req_timeout = -1;
			fire(s, EV_STOP_REQ);
		}
	}
	/* SIGCHLD: init is the only child */
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			break;
		if (p == s->init_pid) {
			s->wstatus = st;
			fire(s, EV_INIT_EXITED);
		}
	}
}

static void on_accept(struct sup *s)
{
	for (;;) {
		int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		int i;
		for (i = 0; i < MAX_CLIENTS && s->clients[i].fd >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			control_send_resp(fd, EBUSY, 0, 0, "too many clients");
			close(fd);
			continue;
		}
		s->clients[i] = (struct client){ .fd = fd, .kind = CL_NEW };
	}
}

static enum box_state cur_state(struct sup *s)
{
	return s->state == SUP_RUNNING ? BOX_RUNNING : BOX_STOPPING;
}

static void on_request(struct sup *s, struct client *cl)
{
	struct ctl_req req;
	if (control_recv_req(cl->fd, &req) < 0) {
		if (errno == EAGAIN)
			return;
		if (errno == EPROTO || errno == EPERM)
			control_send_resp(cl->fd, errno, 0, 0, "bad request");
		close(cl->fd);
		cl->fd = -1;
		return;
	}
	switch (req.cmd) {
	case CTL_STATUS:
		control_send_resp(cl->fd, 0, cur_state(s), s->init_pid, "%lld", (long long)s->started);
		close(cl->fd);
		cl->fd = -1;
		break;
	case CTL_STOP:
		box_trace("sup: stop request");
		cl->kind = CL_STOP;
		s->req_timeout = req.timeout;
		fire(s, (req.flags & CTL_F_KILL) ? EV_KILL_REQ : EV_STOP_REQ);
		break;
	case CTL_CONSOLE:
		cl->kind = CL_CONSOLE;
		control_send_resp(cl->fd, 0, cur_state(s), s->init_pid, "%s", s->console);
		break;
	}
}

static void on_console_input(struct sup *s, struct client *cl)
{
	char buf[CTL_DATA_MAX];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close(cl->fd);
		cl->fd = -1;
		return;
	}
	write_all(s->master, buf, (size_t)n);
}

static void on_client(struct sup *s, struct client *cl, short revents)
{
	switch (cl->kind) {
	case CL_NEW: on_request(s, cl); break;
	case CL_CONSOLE: on_console_input(s, cl); break;
	case CL_STOP:
		/* the waiting `box stop` went away; the stop goes on */
		if (revents & (POLLHUP | POLLERR)) {
			close(cl->fd);
			cl->fd = -1;
		}
		break;
	}
}

static void on_console_output(struct sup *s, struct logfile *log)
{
	char buf[CTL_DATA_MAX];
	for (int rounds = 0; rounds < 16 && (!log || !logfile_wait_ms(log)); rounds++) {
		ssize_t n = read(s->master, buf, sizeof(buf));
		if (n <= 0)
			return;
		if (log)
			logfile_write(log, buf, (size_t)n);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (s->clients[i].fd >= 0 && s->clients[i].kind == CL_CONSOLE)
				/* a slow watcher loses output rather than stalling the container */
				send(s->clients[i].fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

static void on_notify(struct sup *s)
{
	char buf[4096];
	ssize_t n;
	while ((n = recv(s->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			if (!strcmp(l, "READY=1") && s->report_fd >= 0) {
				log_info("%s: init reported READY=1", s->name);
				report(s, NULL);
			}
	}
}

/* Page shedding (shed.h): first after start-up, again after each burst.
 * The first one is not put off by the burst of console output every init
 * starts with: it comes SHED_FIRST_MS after the last event, but at the
 * latest SHED_FIRST_MAX_MS after the start (else every supervisor held
 * 2.3 MB for 10 s after its start instead of 0.45 MB). */
#define SHED_IDLE_MS 10000
#define SHED_FIRST_MS 200
#define SHED_FIRST_MAX_MS 800

static uint64_t next_shed(uint64_t now, uint64_t first_by)
{
	if (!first_by)
		return now + SHED_IDLE_MS;
	return now + SHED_FIRST_MS < first_by ? now + SHED_FIRST_MS : first_by;
}

BOX_RESIDENT static void loop(struct sup *s, struct logfile *log)
{
	/* not at once: `box start` and init are busy on the CPUs now */
	uint64_t first_by = now_ms() + SHED_FIRST_MAX_MS;
	uint64_t shed_at = next_shed(now_ms(), first_by);
	struct pollfd p[5 + MAX_CLIENTS];
	for (;;) {
		int n = 0;
		p[n++] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->ctl_fd, .events = POLLIN };
		/* the console's rate limit: the pty is not read for a while */
		int pause = log ? logfile_wait_ms(log) : 0;
		p[n++] = (struct pollfd){ .fd = pause ? -1 : s->master, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->notify_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
		int timeout = pause ? pause : -1;
		uint64_t now = now_ms();
		if (shed_at && now >= shed_at) {
			shed_pages();
			shed_at = 0;
			first_by = 0;
		} else if (shed_at && (timeout < 0 || (int)(shed_at - now) < timeout))
			timeout = (int)(shed_at - now);
		bool timed = s->state == SUP_STOPPING || (s->state == SUP_KILLING && s->deadline);
		if (timed) {
			int t = s->deadline > now ? (int)(s->deadline - now) : 0;
			timeout = timeout < 0 || t < timeout ? t : timeout;
			if (s->state == SUP_STOPPING && s->resend && timeout > TICK_MS)
				timeout = TICK_MS;
		}
		int r = poll(p, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			finish(s, "poll failed", 1);
		if (timed) {
			if (now_ms() >= s->deadline)
				fire(s, EV_TIMEOUT);
			else if (s->state == SUP_STOPPING && s->resend)
				send_halt(s);
		}
		if (r <= 0)
			continue;
		/* a burst of console or client work faults pages back: shed them
		 * again once it is over */
		shed_at = next_shed(now_ms(), first_by);
		if (p[2].revents & POLLIN)
			on_console_output(s, log);
		if (p[3].revents & POLLIN)
			on_notify(s);
		if (p[1].revents & POLLIN)
			on_accept(s);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (s->clients[i].fd >= 0 && p[4 + i].revents)
				on_client(s, &s->clients[i], p[4 + i].revents);
		if (p[0].revents & POLLIN)
			on_signal(s);
	}
}

void supervisor_main(struct box_config *c, struct box_global *g, int lock_fd, int report_fd, bool wait)
{
	struct sup sv = {
		.c = c,
		.g = g,
		.name = c->name,
		.lock_fd = lock_fd,
		.report_fd = report_fd,
		.wait = wait,
		.sfd = -1,
		.ctl_fd = -1,
		.notify_fd = -1,
		.master = -1,
		.slave = -1,
		.pidfd = -1,
		.record_fd = -1,
		.root_ref = -1,
		.req_timeout = -1,
	};
	struct sup *s = &sv;
	for (int i = 0; i < MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	box_err_t err = NULL;
	box_trace("sup: forked");
	s->sfd = host_detach();
	/* stderr is /dev/null now, and the log is opened while the child
	 * finishes (off the serial path): what is said until then is kept
	 * for it, and for the report of a start that fails */
	log_hold(true);

	s->rundir = paths_runtime_path(s->name);
	s->root = xasprintf("%s/root", s->rundir);
	if ((s->sfd < 0 && box_error(&err, errno, "signalfd") < 0) || save_state(s, BOX_STARTING, &err) < 0)
		goto fail;
	box_trace("sup: state STARTING");
	if (host_make_cgroup(s, &err) < 0)
		goto fail;
	box_trace("sup: cgroup made");
	if (host_open_console(s, &err) < 0 || host_notify_dir(s, &err) < 0 || host_build_env(s, &err) < 0)
		goto fail;
	box_trace("sup: console, notify, env");
	if (spawn_init(s, &err) < 0)
		goto fail;
	box_trace("sup: init exec'd");
	if (save_state(s, BOX_RUNNING, &err) < 0)
		goto fail;
	box_trace("sup: state RUNNING");
	log_info("%s: started, init %s is pid %d", s->name, c->init, (int)s->init_pid);
	if (!wait || !probe_init_systemd(s->init_pid))
		report(s, NULL);
	box_trace("sup: reported");
	loop(s, s->log);
	_exit(1);
fail:
	box_error_wrap(&err, "starting %s", s->name);
	if (!s->log) {
		/* a failure before the clone: the log has its line too */
		box_err_t e = NULL;
		host_open_log(s, &e);
		box_error_release(&e);
	}
	{
		char *t = box_error_text(err);
		log_warn("%s", t);
		free(t);
	}
	report(s, &err);
	box_error_release(&err);
	if (s->init_pid > 0) {
		/* its namespace's processes die with it (act_kill) */
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
		waitpid(s->init_pid, NULL, 0);
	}
	host_drop_root(s);
	host_drop_cgroup(s);
	host_drop_net(s);
	box_err_t e2 = NULL;
	state_remove_all(s->name, &e2);
	box_error_release(&e2);
	close(lock_fd);
	_exit(1);
}
