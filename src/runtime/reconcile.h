/* `box apply`'s engine: the config files are the truth. reconcile_plan
 * compares each container's file with what exists (its rootfs, its state,
 * the config it runs with: runtime/record.h) and says what to do, one
 * action per line with its reason; reconcile_do does exactly that plan for
 * one container. `--dry-run` prints the plan, `box apply` prints the same
 * lines as it does them: the plan is what happens.
 *
 *   no rootfs                   create (and start when autostart = yes)
 *   stopped, autostart = yes    start (the plan is in start_order, then name)
 *   running, a key differs      by the schema's kind (config_diff): a limit
 *                               is written into the cgroup, the network is
 *                               changed in its netns (net_live_apply, all or
 *                               nothing), autostart and start_order are only
 *                               recorded; anything else needs a restart,
 *                               done only when asked (a clean stop + start)
 *   running, no config file     an orphan: reported, stopped only with prune
 *
 * One container's live changes are all or nothing: the network first (it
 * rolls itself back), then the limits (a failure there rolls the network
 * back), then the record. Nothing here prints: lines and warnings are
 * returned. */
#ifndef BOX_RECONCILE_H
#define BOX_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/log.h"
#include "config/config.h"
#include "runtime/state.h"

enum rec_kind {
	REC_CREATE,  /* make the rootfs */
	REC_START,   /* start it (autostart) */
	REC_LIVE,    /* a key changed live (change->kind says how) */
	REC_RESTART, /* a key that needs a restart */
	REC_ORPHAN,  /* runs without a config file */
	REC_BUSY,    /* starting or stopping: left alone this time */
};

struct rec_line {
	enum rec_kind kind;
	const struct config_change *change; /* REC_LIVE, REC_RESTART */
	char *text;			    /* "memory: 64M -> 128M (live)" without the name */
};

struct rec_box {
	char *name;
	int order;
	char *error;	  /* its config did not load ("FILE:LINE: ..."): nothing is done */
	int error_status; /* its exit status (2: a bad config) */
	enum box_state state;
	char lock[16]; /* the command holding it stopped ("export"), else "" */
	bool create, start, orphan, busy;
	struct box_config *file, *running; /* running: its record, NULL when stopped */
	struct config_change *changes;
	size_t n_changes;
	bool has_live, has_restart;
	struct rec_line *lines;
	size_t n_lines;
};

struct reconcile {
	struct rec_box *v; /* in start order */
	size_t n;
	struct box_global *g;
	bool restart, prune;
};

/* The plan for `names` (NULL: every config, and the orphans). restart:
 * the restart changes are to be done; prune: orphans are to be stopped. A
 * bad config is one box with its error, not a failure of the plan. */
int reconcile_plan(char *const *names, bool restart, bool prune, struct reconcile **out, box_err_t *err);
/* Does box i's lines; what went wrong but was undone or is harmless is
 * appended to *warnings. -1: nothing of this container's live changes
 * stays (or, for create/start/restart, what that step says). */
int reconcile_do(struct reconcile *r, size_t i, char ***warnings, box_err_t *err);
void reconcile_free(struct reconcile *r);
/* One apply at a time on this host (<run>/apply.lock, waited for): taken
 * before the plan, so that a second apply plans from what the first did.
 * Returns the fd that holds it. */
int reconcile_lock(box_err_t *err);

#endif
