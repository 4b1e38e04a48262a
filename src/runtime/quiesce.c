#include "runtime/quiesce.h"

#include <errno.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "storage/storage.h"
#include "base/util.h"

static int freeze(const char *name, struct quiesce *q, box_err_t *err)
{
	struct box_global *g = NULL;
	int r = -1;
	if (global_load(&g, err) < 0 || cgroup_open(g->cgroup_parent, name, &q->cg, err) < 0)
		goto out;
	if (!cgroup_is_frozen(q->cg)) {
		if (cgroup_freeze(q->cg, true, err) < 0)
			goto out;
		q->thaw = true;
		q->frozen_at = now_ms();
	}
	r = 0;
out:
	global_free(g);
	if (r < 0)
		box_error_wrap(err, "freezing %s", name);
	return r;
}

int runtime_freeze(void *arg, box_err_t *err)
{
	struct quiesce *q = arg;
	if (!q->running || q->freezing)
		return 0;
	q->freezing = true;
	return freeze(q->name, q, err);
}

int runtime_quiesce(const char *name, const char *what, unsigned flags, struct quiesce *q, box_err_t *err)
{
	*q = (struct quiesce){ .lock = -1, .name = name };
	q->lock = state_lock(name, what, err);
	if (q->lock >= 0)
		return 0;
	if (q->lock != -EWOULDBLOCK)
		return -1;
	box_error_release(err);
	enum box_state st;
	if (runtime_state(name, &st, NULL, err) < 0)
		return -1;
	if (st == BOX_STOPPED || st == BOX_STARTING)
		return runtime_busy(name, err);
	if (st != BOX_RUNNING && st != BOX_FROZEN)
		return box_error(err, EBUSY, "%s is %s (or another command holds it): try again", name, state_name(st));
	if (!(flags & QUIESCE_RUNNING_OK))
		return box_error(err, EBUSY, "%s is running: 'box stop %s' first", name, name);
	q->running = true;
	q->frozen = st == BOX_FROZEN;
	return flags & QUIESCE_LATER ? 0 : runtime_freeze(q, err);
}

void runtime_thaw(void *arg)
{
	struct quiesce *q = arg;
	if (!q->thaw)
		return;
	q->thaw = false;
	q->held_ms = now_ms() - q->frozen_at;
	if (cgroup_freeze(q->cg, false, &q->thaw_err) < 0)
		box_error_wrap(&q->thaw_err, "thawing %s (run 'box unfreeze %s')", q->name, q->name);
}

int runtime_release(const char *name, struct quiesce *q, box_err_t *err)
{
	int r = 0;
	runtime_thaw(q);
	if (q->thaw_err) {
		*err = q->thaw_err;
		r = -1;
	}
	if (q->cg)
		cgroup_free(q->cg);
	state_unlock(q->lock);
	*q = (struct quiesce){ .lock = -1 };
	return r;
}

struct storage_live *runtime_live(struct quiesce *q, struct storage_live *live)
{
	if (!q->running)
		return NULL;
	*live = (struct storage_live){ q->frozen ? NULL : runtime_freeze, runtime_thaw, q };
	return live;
}
