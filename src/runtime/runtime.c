#include "runtime/runtime.h"
#include "config/idshift.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "config/idrange.h"
#include "container/identity.h"
#include "runtime/control.h"
#include "base/idmap.h"
#include "net/net.h"
#include "base/paths.h"
#include "runtime/state.h"
#include "runtime/record.h"
#include "storage/storage.h"
#include "runtime/supervisor.h"
#include "base/util.h"
#include "base/notes.h"

/* boxes.conf, loaded once per process: `box ls` wants the cgroup parent of
 * every running container it lists. NULL when it cannot be loaded (that is
 * remembered too); the callers then do without, as they did per call. */
static const struct box_global *cached_global(void)
{
	static struct box_global *g;
	static bool tried;
	if (!tried) {
		box_err_t e = NULL;
		tried = true;
		if (global_load(&g, &e) < 0)
			g = NULL;
		box_error_release(&e);
	}
	return g;
}

/* Removes what a supervisor that died (kill -9, OOM, a crash) left: init and
 * every process of the cgroup, the cgroup, the host ends of its veths (the
 * kernel would drop them with the netns, but only later, anchors P13), the
 * state. The caller holds the lock. */
static int clean_stale(const char *name, bool all, box_err_t *err)
{
	struct state_info si;
	int r = state_read(name, &si, err);
	if (r < 0)
		return -1;
	if (r == 0 && state_pid_alive(si.init_pid, si.init_start))
		kill(si.init_pid, SIGKILL);
	const struct box_global *g = cached_global();
	box_err_t e = NULL;
	struct cgroup *cg = NULL;
	if (cgroup_open(g ? g->cgroup_parent : NULL, name, &cg, &e) == 0) {
		if (cgroup_kill(cg, err) < 0 || cgroup_destroy(cg, err) < 0) {
			cgroup_free(cg);
			return box_error_wrap(err, "cleaning up after the dead supervisor of %s", name);
		}
		cgroup_free(cg);
	}
	box_error_release(&e);
	struct box_config *c = NULL;
	/* the record knows the veths added live; an older box left none */
	int have = record_load(name, &c, &e) == 0;
	box_error_release(&e);
	if (!have)
		have = config_load(name, &c, &e) == 0;
	if (have && net_cleanup(c, &e) < 0)
		log_warn_ignored(&e, "%s: removing the host ends of its network", name);
	box_error_release(&e);
	config_free(c);
	if (r == 0 && si.state == BOX_STOPPED)
		box_warn("%s: its supervisor died cleaning up after the stop; finished its cleanup", name);
	else if (r == 0)
		box_warn("%s: its supervisor had died; cleaned up what it left", name);
	return all ? state_remove_all(name, err) : state_remove(name, err);
}

/* Reads the state; a dead owner's leftovers are cleaned (*cleaned = true).
 * *h: what holds a stopped container (an export), else empty. */
static int probe(const char *name, struct state_info *si, struct state_holder *h, bool *cleaned, box_err_t *err)
{
	struct state_holder none;
	if (!h)
		h = &none;
	if (cleaned)
		*cleaned = false;
	*h = (struct state_holder){ 0 };
	int r = state_read(name, si, err);
	if (r < 0)
		return -1;
	/* the holder's line is read only without a state file: a running
	 * container costs no read more */
	if (state_lock_held(name, r == 1 ? h : NULL)) {
		/* STOPPED: a supervisor's tail after the stop's answer (state.h),
		 * or a command that named itself holding a stopped container */
		if (r == 1 || si->state == BOX_STOPPED) {
			enum box_state st = r == 1 && !h->what[0] ? BOX_STARTING : BOX_STOPPED;
			memset(si, 0, sizeof(*si));
			si->state = st;
		}
		return 0;
	}
	/* No state file: nothing ran, or a start is between making the run
	 * folder and locking it. Never remove what a start may be making: an
	 * empty folder left by a dead one costs nothing, and the next owner of
	 * the lock sweeps its temporaries. */
	if (r == 1) {
		memset(si, 0, sizeof(*si));
		return 0;
	}
	/* nobody holds the lock but state is there: its owner died */
	int fd = state_lock(name, "cleanup", err);
	if (fd < 0) {
		if (fd != -EWOULDBLOCK)
			return -1;
		/* someone took it meanwhile: a start in progress, or another
		 * command cleaning up */
		box_error_release(err);
		memset(si, 0, sizeof(*si));
		si->state = BOX_STARTING;
		return 0;
	}
	/* a tail cut short (STOPPED): the container had stopped already */
	bool was_up = si->state != BOX_STOPPED;
	int ret = clean_stale(name, true, err);
	state_unlock(fd);
	memset(si, 0, sizeof(*si));
	if (cleaned)
		*cleaned = r == 0 && was_up;
	return ret;
}

/* The supervisor's state file says RUNNING for a frozen container too: the
 * freezer is the kernel's, so ask the cgroup (one file). No config or cgroup
 * to read (a race with the stop) means not frozen. */
static void note_frozen(const char *name, struct state_info *si)
{
	if (si->state != BOX_RUNNING)
		return;
	const struct box_global *g = cached_global();
	struct cgroup *cg = NULL;
	box_err_t e = NULL;
	if (g && cgroup_open(g->cgroup_parent, name, &cg, &e) == 0 && cgroup_is_frozen(cg))
		si->state = BOX_FROZEN;
	box_error_release(&e);
	cgroup_free(cg);
}

int runtime_state(const char *name, enum box_state *st, pid_t *init_pid, box_err_t *err)
{
	struct state_info si;
	if (probe(name, &si, NULL, NULL, err) < 0)
		return -1;
	note_frozen(name, &si);
	*st = si.state;
	if (init_pid)
		*init_pid = si.init_pid;
	return 0;
}

int runtime_info(const char *name, struct runtime_info *ri, box_err_t *err)
{
	struct state_info si;
	struct state_holder h;
	if (probe(name, &si, &h, NULL, err) < 0)
		return -1;
	note_frozen(name, &si);
	memcpy(ri->lock, h.what, sizeof(ri->lock));
	ri->lock_pid = h.pid;
	ri->state = si.state;
	ri->init_pid = si.init_pid;
	ri->sup_pid = si.sup_pid;
	ri->started = si.started;
	return 0;
}

int runtime_busy(const char *name, box_err_t *err)
{
	struct state_holder h;
	if (state_lock_held(name, &h) && h.what[0])
		return box_error(err, EBUSY, "%s is locked (%s, by pid %d): try again once it is done", name, h.what,
				 (int)h.pid);
	return box_error(err, EBUSY,
			 "%s is already starting, or another command (an export, a snapshot, a clone, a rollback) "
			 "holds it: try again once it is done",
			 name);
}

static int take_lock(const char *name, box_err_t *err)
{
	box_err_t e = NULL;
	for (int i = 0; i < 10; i++) {
		int fd = state_lock(name, NULL, &e);
		if (fd >= 0)
			return fd;
		if (fd != -EWOULDBLOCK) {
			*err = e;
			return -1;
		}
		box_error_release(&e);
		/* a `box ls` probing the lock holds it for a moment */
		if (state_read(name, &(struct state_info){ 0 }, NULL) == 0)
			break;
		usleep(2000);
	}
	struct state_info si;
	if (state_read(name, &si, NULL) == 0 && si.state == BOX_RUNNING)
		return box_error(err, 0, "%s is already running (init pid %d)", name, (int)si.init_pid);
	return runtime_busy(name, err);
}

/* idmap_base = auto: the container's recorded range, or a new one. */
static int resolve_ids(struct box_config *c, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(c->name);
	cleanup_close int cfd = open(cpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return box_error(err, errno, "opening %s", cpath);
	return idrange_resolve(c, cfd, err);
}

/* The rootfs's owners must be what the config's mode expects (config/idshift.h),
 * and the range one the kernel will map from here. */
static int check_ids(const struct box_config *c, box_err_t *err)
{
	if (c->unprivileged && idmap_check_range(c->idmap_base, c->idmap_size, err) < 0)
		return c->line_of_idmap_base ? box_error_wrap(err, "%s:%u: idmap_base", c->path, c->line_of_idmap_base)
					     : box_error_wrap(err, "%s: idmap_base (auto)", c->path);
	uint32_t shift = idshift_read(c);
	if (shift && !c->unprivileged)
		return box_error(err, 0,
				 "%s: its rootfs's owners were shifted by %u at create for an unprivileged container: "
				 "set unprivileged = yes and idmap_base = %u, or create it again",
				 c->name, shift, shift);
	/* an overlay's layers are idmapped from the shift to the range (a
	 * clone's: shifted for its source); other trees are not */
	if (shift && shift != c->idmap_base && storage_kind(c->name) != STORAGE_OVERLAY)
		return box_error(err, 0,
				 "%s: its rootfs's owners were shifted by %u at create (the filesystem cannot be "
				 "idmapped), but idmap_base is %u: set idmap_base = %u, or create it again",
				 c->name, shift, c->idmap_base, shift);
	return 0;
}

int runtime_start_wait(const char *name, bool wait, int wait_timeout_s, box_err_t *err)
{
	if (paths_check_name(name, err) < 0)
		return -1;
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	int lock_fd = -1, ret = -1;
	char *rootfs = paths_rootfs_path(name);
	if (config_load(name, &c, err) < 0 || global_load(&g, err) < 0 || config_check_conflicts(c, err) < 0 ||
	    net_check_bridges(c, g, err) < 0)
		goto out;
	config_dns_defaults(c, g);
	box_trace("start: config loaded");
	lock_fd = take_lock(name, err);
	if (lock_fd < 0)
		goto out;
	box_trace("start: locked");
	/* leftovers of a supervisor that died: ours to clean now */
	if (state_read(name, &(struct state_info){ 0 }, NULL) == 0 && clean_stale(name, false, err) < 0)
		goto out;
	struct stat st;
	if (!storage_exists(name) && !(stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode)) &&
	    storage_create(c, NULL, identity_write, err) < 0)
		goto out;
	if (resolve_ids(c, err) < 0 || check_ids(c, err) < 0)
		goto out;
	box_trace("start: storage checked");
	int rep[2];
	if (pipe2(rep, O_CLOEXEC) < 0) {
		box_error(err, errno, "pipe");
		goto out;
	}
	pid_t sup = fork();
	if (sup < 0) {
		box_error(err, errno, "fork");
		close(rep[0]);
		close(rep[1]);
		goto out;
	}
	if (sup == 0) {
		close(rep[0]);
		supervisor_main(c, g, lock_fd, rep[1], wait);
	}
	close(rep[1]);
	close(lock_fd);
	lock_fd = -1;
	box_trace("start: forked the supervisor");
	ret = supervisor_read_report(rep[0], wait && wait_timeout_s > 0 ? wait_timeout_s * 1000 : -1, err);
	close(rep[0]);
	box_trace("start: report read");
	if (ret < 0 && ret != -ETIMEDOUT)
		/* it cleans up before it exits: return only when nothing is left */
		waitpid(sup, NULL, 0);
out:
	if (lock_fd >= 0) {
		box_err_t e = NULL;
		/* a failure before the fork: nothing was made but the state folder */
		state_remove_all(name, &e);
		box_error_release(&e);
		close(lock_fd);
	}
	config_free(c);
	global_free(g);
	free(rootfs);
	return ret;
}

int runtime_start(const char *name, bool wait, box_err_t *err)
{
	return runtime_start_wait(name, wait, 0, err);
}

/* Waits for a process to be gone (pidfd poll), at most timeout_ms. */
static void wait_gone(pid_t pid, uint64_t start, int timeout_ms)
{
	if (!state_pid_alive(pid, start))
		return;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return;
	if (state_pid_alive(pid, start)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, timeout_ms);
	}
	close(fd);
}

/* box stop --kill of a supervisor that does not answer (stuck in a start,
 * stopped): it is killed, and what it made is cleaned as after its death. */
static int kill_supervisor(const char *name, box_err_t *err)
{
	struct state_info si;
	if (state_read(name, &si, NULL) != 0)
		memset(&si, 0, sizeof(si));
	if (si.sup_pid > 0 && state_pid_alive(si.sup_pid, si.sup_start)) {
		kill(si.sup_pid, SIGKILL);
		wait_gone(si.sup_pid, si.sup_start, 5000);
	}
	bool cleaned;
	if (probe(name, &si, NULL, &cleaned, err) < 0)
		return -1;
	if (si.state != BOX_STOPPED)
		return box_error(err, 0, "%s: its supervisor does not answer and could not be ended", name);
	box_note("%s: stopped (its supervisor did not answer and was killed)", name);
	return 0;
}

/* The stop request sent to a supervisor that is not answering at once:
 * the state says why (stopped, a dead supervisor's leftovers cleaned, a
 * start that has no control socket yet). 1 = *fd sent, 0 = nothing to stop
 * (said so), -1 = error. */
static int send_when_up(const char *name, const struct ctl_req *req, bool kill_now, int *fd, box_err_t *err)
{
	struct state_info si;
	bool cleaned;
	if (probe(name, &si, NULL, &cleaned, err) < 0)
		return -1;
	if (cleaned) {
		box_note("%s: stopped (its supervisor had died)", name);
		return 0;
	}
	if (si.state == BOX_STOPPED)
		return box_error(err, 0, "%s is not running", name);
	box_trace("stop: probed");
	/* while it starts, the control socket may not be there yet */
	for (uint64_t end = now_ms() + 30000;;) {
		box_err_t e = NULL;
		*fd = control_open(name, req, &e);
		if (*fd >= 0)
			return 1;
		if (probe(name, &si, NULL, &cleaned, err) < 0) {
			box_error_release(&e);
			return -1;
		}
		if (si.state == BOX_STOPPED) {
			box_error_release(&e);
			return 0;
		}
		if (now_ms() > end) {
			if (kill_now) {
				box_error_release(&e);
				return kill_supervisor(name, err) < 0 ? -1 : 0;
			}
			*err = e;
			return -1;
		}
		box_error_release(&e);
		usleep(10000);
	}
}

int runtime_stop(const char *name, int timeout_s, bool kill_now, box_err_t *err)
{
	if (paths_check_name(name, err) < 0)
		return -1;
	struct ctl_req req = { .magic = CTL_MAGIC,
			       .cmd = CTL_STOP,
			       .timeout = timeout_s < 0 ? -1 : timeout_s,
			       .flags = kill_now ? CTL_F_KILL : 0 };
	/* a running container's supervisor first: it answers for itself (no
	 * state read before, 0.5 ms); the state when it does not */
	box_err_t e = NULL;
	int fd = control_open(name, &req, &e);
	box_error_release(&e);
	if (fd < 0) {
		int r = send_when_up(name, &req, kill_now, &fd, err);
		if (r <= 0)
			return r;
	}
	struct state_info si;
	if (state_read(name, &si, NULL) != 0)
		memset(&si, 0, sizeof(si));
	box_trace("stop: request sent");
	struct ctl_resp resp;
	/* --kill answers within milliseconds; a supervisor that does not is
	 * stuck and ended from here */
	int r = control_recv_resp(fd, &resp, kill_now ? 10000 : -1, err);
	close(fd);
	if (r < 0 && kill_now) {
		box_error_release(err);
		return kill_supervisor(name, err);
	}
	box_trace("stop: answered");
	if (r < 0) {
		/* a supervisor gone without an answer (killed): stopped is
		 * success for a stop, whoever stopped it */
		wait_gone(si.sup_pid, si.sup_start, 2000);
		box_err_t e2 = NULL;
		if (probe(name, &si, NULL, NULL, &e2) == 0 && si.state == BOX_STOPPED) {
			box_error_release(err);
			return 0;
		}
		box_error_release(&e2);
		return -1;
	}
	if (resp.status)
		return box_error(err, resp.status, "stopping %s: %s", name, resp.text);
	/* every process of the container is dead, its network gone: the
	 * supervisor's tail (cgroups, rootfs mount, state) runs on under the
	 * lock, which the next command that needs it waits for (state.h) */
	return 0;
}
