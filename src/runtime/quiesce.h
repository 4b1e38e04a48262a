/* Holding a container still for a moment (a snapshot, a clone): a stopped
 * one under its lock, so that no start, create or destroy runs meanwhile; a
 * running one frozen (cgroup freezer), its filesystem then consistent as
 * after a power cut, and thawed after unless it was frozen already. */
#ifndef BOX_RUNTIME_QUIESCE_H
#define BOX_RUNTIME_QUIESCE_H

#include <stdbool.h>

#include "base/log.h"

struct cgroup;

struct quiesce {
	int lock;	   /* the container's lock when it is stopped, else -1 */
	struct cgroup *cg; /* when it runs */
	bool thaw;	   /* frozen by us */
	bool running;
};

/* running_ok false: a running container is refused (EBUSY, with what to do). */
int runtime_quiesce(const char *name, bool running_ok, struct quiesce *q, box_err_t *err);
/* Thaws what runtime_quiesce froze, releases the lock; a failed thaw is an
 * error that says how to thaw by hand. */
int runtime_release(const char *name, struct quiesce *q, box_err_t *err);

#endif
