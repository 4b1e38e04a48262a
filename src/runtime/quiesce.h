/* Holding a container still for a moment (a snapshot, a clone): a stopped
 * one under its lock, so that no start, create or destroy runs meanwhile; a
 * running one frozen (cgroup freezer), its filesystem then consistent as
 * after a power cut, and thawed after unless it was frozen already. */
#ifndef BOX_RUNTIME_QUIESCE_H
#define BOX_RUNTIME_QUIESCE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct cgroup;
struct storage_live;

struct quiesce {
	int lock;	   /* the container's lock when it is stopped, else -1 */
	struct cgroup *cg; /* when it runs */
	bool thaw;	   /* frozen by us */
	bool running;
	bool frozen;	    /* running, and frozen already (box freeze): nothing to pre-copy */
	bool freezing;	    /* runtime_freeze was called */
	const char *name;   /* the container's */
	uint64_t frozen_at; /* now_ms() when frozen by us */
	uint64_t held_ms;   /* how long it was frozen (runtime_thaw) */
	box_err_t thaw_err; /* a failed runtime_thaw's, returned by runtime_release */
};

enum {
	QUIESCE_RUNNING_OK = 1, /* else a running container is refused (EBUSY, with what to do) */
	QUIESCE_LATER = 2,	/* a running one is frozen by runtime_freeze, not here */
};
/* what: the command ("snapshot"), which `box ls` shows as the LOCK of a
 * stopped container while it is held. */
int runtime_quiesce(const char *name, const char *what, unsigned flags, struct quiesce *q, box_err_t *err);
/* The struct storage_live of a running container that runtime_quiesce held
 * (QUIESCE_LATER), NULL for a stopped one; its freeze NULL when the
 * container was frozen already (storage.h: no pre-copy then). */
struct storage_live *runtime_live(struct quiesce *q, struct storage_live *live);
/* Freezes a running container that runtime_quiesce(QUIESCE_LATER) held (a
 * struct storage_live's freeze: q is the struct quiesce); then once, and
 * nothing for a stopped one. */
int runtime_freeze(void *q, box_err_t *err);
/* Thaws a container that runtime_quiesce froze, early (a struct
 * storage_live's thaw: q is the struct quiesce); then once. */
void runtime_thaw(void *q);
/* Thaws what runtime_quiesce froze, releases the lock; a failed thaw is an
 * error that says how to thaw by hand. */
int runtime_release(const char *name, struct quiesce *q, box_err_t *err);

#endif
