/* A container's runtime state under <run>/<name>/ (paths.h), as files that
 * commands read without talking to the supervisor (so `box ls` is fast):
 *
 *   lock            flock()ed by whoever owns the container's lifetime: `box
 *                   start` while it starts, then the supervisor until it has
 *                   cleaned up; or a command holding a stopped container
 *                   (export, snapshot, ...), whose line "WHAT PID START" is
 *                   the file's content while it holds it (what `box ls`
 *                   shows as LOCK). Not held + state present = the
 *                   supervisor died.
 *                   Held + state STOPPED = the supervisor's tail: the stop has
 *                   its answer (every process is dead, the network gone),
 *                   the cgroups, rootfs mount and these files go meanwhile.
 *   supervisor.pid  the supervisor's pid, init.pid: init's pid (host view)
 *   state           key=value lines (struct state_info), written atomically
 *   control         the supervisor's unix socket (control.h)
 *   notify/notify   the sd_notify socket, bound into the container at /run/host
 *   root/           where the child mounts the rootfs (in its own mount ns)
 *
 * A pid is trusted only together with its start time from /proc/PID/stat
 * (crun): a recycled pid never makes a dead container look alive. */
#ifndef BOX_STATE_H
#define BOX_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

enum box_state { BOX_STOPPED, BOX_STARTING, BOX_RUNNING, BOX_STOPPING, BOX_FROZEN };

const char *state_name(enum box_state s); /* "STOPPED", "RUNNING", ... */

struct state_info {
	enum box_state state;
	pid_t sup_pid, init_pid;
	uint64_t sup_start, init_start; /* /proc/PID/stat field 22 */
	int64_t started;		/* wall clock, seconds since the epoch */
};

/* Creates <run>/<name>/ and takes its lock without waiting, but for a
 * supervisor's tail (waited for, up to 60 s: ETIMEDOUT); EWOULDBLOCK (as
 * errno, with the error) when someone else holds it. Returns the fd.
 * The new holder removes the temporaries (*.tmp.PID) a dead one left.
 * what: the command holding a stopped container ("export", at most 15
 * characters), shown by `box ls` meanwhile; NULL for a start. */
int state_lock(const char *name, const char *what, box_err_t *err);
/* Releases a lock of state_lock() (fd < 0: nothing), its label first. */
void state_unlock(int fd);
/* Waits while a supervisor's tail holds the lock (up to 60 s, then
 * ETIMEDOUT; a note says so once it has lasted a second): 1 when one did
 * and is gone, 0 when none holds it. */
int state_wait_tail(const char *name, box_err_t *err);
/* What holds a container's lock, as its holder named itself to state_lock. */
struct state_holder {
	char what[16]; /* "export"; "" for a start, a supervisor, or a holder gone */
	pid_t pid;
};
/* True when the lock is held by a live process (does not take it). h
 * (may be NULL: one syscall less) is filled with what holds it. */
bool state_lock_held(const char *name, struct state_holder *h);

/* Writes the state file, and the pid files that differ from prev (what the
 * caller wrote last; NULL = write them all). */
int state_write(const char *name, const struct state_info *si, const struct state_info *prev, box_err_t *err);
/* init.pid alone (0: removed), ahead of the state that names the pid. */
int state_write_init_pid(const char *name, pid_t pid, box_err_t *err);
/* Reads the state file: 0 and *si filled; 1 when there is none. */
int state_read(const char *name, struct state_info *si, box_err_t *err);
/* Removes the state files of <run>/<name>/ but the lock; the caller holds
 * the lock (so state_lock() swept the temporaries a dead writer left). */
int state_remove(const char *name, box_err_t *err);
/* Removes <run>/<name>/ with the lock file and any temporaries; the caller
 * holds the lock and closes it afterwards (state_lock() re-checks the
 * inode it locked). */
int state_remove_all(const char *name, box_err_t *err);

/* Start time of a pid (0 when the process is gone or a zombie). */
uint64_t state_pid_start(pid_t pid);
/* True when pid is alive and still the process that started at `start`. */
bool state_pid_alive(pid_t pid, uint64_t start);

/* The container's lasting UUID (for container_uuid, systemd's machine id),
 * created at the first start in <state>/<name>/uuid. */
int state_uuid(const char *name, char out[37], box_err_t *err);

#endif
