/* The container lifecycle as the commands share it: start, stop, state.
 * `box start`, `box stop`, `box destroy --force`, `box export --mode stop`
 * and `box set` all go through here. */
#ifndef BOX_RUNTIME_H
#define BOX_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"
#include "runtime/state.h"

/* The container's state; stale state left by a dead supervisor is cleaned up
 * on the way (and reported as STOPPED). init_pid may be NULL. A stopped
 * container that a command holds (an export, a snapshot) is STOPPED;
 * STARTING is a start's (runtime_info says which command holds it). */
int runtime_state(const char *name, enum box_state *st, pid_t *init_pid, box_err_t *err);
/* The error for a container whose lock is held without a running state: a
 * start before its first state write, or a command holding a stopped
 * container (an export, a snapshot, a clone, a rollback: named). EBUSY. */
int runtime_busy(const char *name, box_err_t *err);
/* Starts it detached; returns once init has been exec'd (or, with wait, once
 * it has booted). Fails if it is already starting or running. */
int runtime_start(const char *name, bool wait, box_err_t *err);
/* Same, waiting at most wait_timeout_s (0 = no limit) for READY=1. */
int runtime_start_wait(const char *name, bool wait, int wait_timeout_s, box_err_t *err);
/* Halt signal, up to timeout_s (-1 = the config's stop_timeout), then kill;
 * kill = kill at once. Returns when all is cleaned up. Fails if not running. */
int runtime_stop(const char *name, int timeout_s, bool kill, box_err_t *err);

/* What `box ls` and `box info` show; stale state is cleaned up on the way. */
struct runtime_info {
	enum box_state state;
	pid_t init_pid, sup_pid;
	int64_t started; /* seconds since the epoch, 0 when stopped */
	char lock[16];	 /* the command holding it, stopped ("export"), else "" */
	pid_t lock_pid;	 /* that command's pid */
};
int runtime_info(const char *name, struct runtime_info *ri, box_err_t *err);

#endif
