/* Internal to the runtime folder: the supervisor's state, shared by
 * supervisor.c (its loop and actions) and host.c (the host resources it
 * makes and removes). */
#ifndef BOX_RUNTIME_INTERNAL_H
#define BOX_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"
#include "runtime/state.h"

struct box_config;
struct box_global;
struct cgroup;
struct net_state;

#define MAX_CLIENTS 32
#define TICK_MS 100
/* an init killed but not gone after this long is recorded STOPPING */
#define KILL_RECORD_MS 100

enum sup_state { SUP_RUNNING, SUP_STOPPING, SUP_KILLING, _SUP_STATE_MAX };
enum sup_event { EV_INIT_EXITED, EV_STOP_REQ, EV_KILL_REQ, EV_TIMEOUT, _SUP_EVENT_MAX };

enum client_kind { CL_NEW, CL_STOP, CL_CONSOLE };
struct client {
	int fd;
	enum client_kind kind;
};

struct sup {
	struct box_config *c;
	struct box_global *g;
	const char *name;
	char *rundir, *root, *notify_dir;
	char console[64];
	char **env;
	struct cgroup *cg;
	struct net_state *ns;
	struct logfile *log; /* the console log; NULL until the first clone */
	int lock_fd, report_fd, sfd, ctl_fd, notify_fd, master, slave, pidfd;
	int record_fd; /* the record written at start, held: its inode is no other's */
	int root_ref;  /* the rootfs mount, held till the tail (spawn_wait_exec) */
	bool wait;
	pid_t init_pid;
	uint64_t init_start;
	int64_t started;
	int wstatus;
	enum sup_state state;
	int halt_sig;		 /* signal sent (or to send) */
	bool resend;		 /* init was not listening yet: send again on a tick */
	uint64_t deadline;	 /* ms: stop timeout; killing: the next tick */
	bool stopping_saved;	 /* killing: STOPPING recorded */
	int req_timeout;	 /* from the last stop request */
	struct state_info saved; /* what save_state wrote last */
	bool have_saved;
	struct client clients[MAX_CLIENTS];
};

/* ---- host.c: the supervisor's host resources ---- */

/* The container's cgroup2 cgroup, the one clone3 needs (a stale cgroup of
 * a dead supervisor removed first). */
int host_make_cgroup(struct sup *s, box_err_t *err);
/* The rest of the cgroups (v1), the payload delegated (unprivileged),
 * limits and devices, while the child prepares (in the cgroup2 cgroup
 * already, but running only our code until spawn_go(), when it joins the
 * v1 ones). */
int host_limit_cgroup(struct sup *s, box_err_t *err);
/* At the first start, while the child finishes after the go: the control
 * socket (a `box stop` meanwhile waits for it) and the record of the config
 * it runs with (removed with the state if the start fails). */
int host_while_child_finishes(struct sup *s, box_err_t *err);
/* The go of the dance (spawn.h): the v1 cgroups' `tasks` fds, which exist
 * now, and the seccomp filter, built here while the child prepares. */
int host_send_go(struct sup *s, int sync_fd, box_err_t *err);
/* Kills what is left and removes the cgroups (failures are warnings). */
void host_drop_cgroup(struct sup *s);
/* stop_timeout and halt_signal from the record (box apply changes them
 * there, KF_RECORD), read when a stop begins. */
void host_refresh_stop_keys(struct sup *s);
/* Removes the network devices (failures are warnings). */
void host_drop_net(struct sup *s);
/* Lets go of the rootfs mount: the last reference to an overlay's
 * superblock, whose shutdown syncs its upper filesystem here. */
void host_drop_root(struct sup *s);
/* What goes before a stop's answer: every process left in the cgroup (one
 * on its way in, not in init's namespace) killed, the network devices. */
void host_end(struct sup *s);
/* The tail of the end, after the stopping clients have their answer (every
 * process of the container is dead, its network is gone, the state says
 * STOPPED): the rootfs mount, the cgroups and the state go, still under the
 * lock, which a command that wants it waits for (state_lock); then the
 * supervisor exits with status. */
__attribute__((noreturn)) void host_tail(struct sup *s, int status);
/* The supervisor's own process: a session of its own, stdio on /dev/null,
 * no fd of the caller's, SIGCHLD, SIGTERM, SIGINT and SIGHUP blocked and
 * read from the returned signalfd (-1: none could be made). */
int host_detach(void);
/* The console pty (its slave kept open: no EIO between two inits). */
int host_open_console(struct sup *s, box_err_t *err);
/* The sd_notify socket's folder, which an unprivileged child opens as soon
 * as it is mapped (before the clone). */
int host_notify_dir(struct sup *s, box_err_t *err);
/* The sd_notify socket in it, bound into the container at /run/host by the
 * child after the go (made after the clone). */
int host_open_notify(struct sup *s, box_err_t *err);
/* The console log /var/log/boxes/NAME.log, made the sink of the
 * supervisor's own lines. */
int host_open_log(struct sup *s, box_err_t *err);
/* init's environment: the config's, then container=, container_uuid=, TERM,
 * PATH and NOTIFY_SOCKET unless the config sets them. */
int host_build_env(struct sup *s, box_err_t *err);

#endif
