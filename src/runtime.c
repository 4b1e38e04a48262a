/* Placeholder until the runtime lands. */
#include "runtime.h"

#include <errno.h>

const char *runtime_state_name(enum box_state s)
{
	static const char *const names[] = { "STOPPED", "STARTING", "RUNNING", "STOPPING", "FROZEN" };
	return names[s];
}
int runtime_state(const char *name, enum box_state *st, pid_t *init_pid, box_err_t *err)
{
	*st = BOX_STOPPED;
	if (init_pid)
		*init_pid = 0;
	return 0;
}
int runtime_start(const char *name, bool wait, box_err_t *err) { return box_error(err, ENOSYS, "start"); }
int runtime_stop(const char *name, int timeout_s, bool kill, box_err_t *err) { return box_error(err, ENOSYS, "stop"); }
