/* The cgroup API over the host's layout (hierarchy.c detects it):
 * creating/entering/removing the container's two cgroups in each hierarchy,
 * and dispatch to the v1 or v2
 * backend for limits, devices, stats, freeze and kill. */
#include "cgroup/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "base/util.h"

static const struct cgroup_ops *ops(void)
{
	return cgroup_layout() == CGROUP_UNIFIED ? &cgroup_v2_ops : &cgroup_v1_ops;
}

void cgroup_limits_from_config(const struct box_config *c, struct cgroup_limits *l)
{
	*l = (struct cgroup_limits){
		.memory = c->memory,
		.swap = c->swap,
		.cpus_milli = c->cpus_milli,
		.cpu_weight = c->cpu_weight,
		.cpuset = c->cpuset,
		.pids = c->pids,
		.io_weight = c->io_weight,
	};
}

/* ---- the container's cgroups ---- */

static struct cgroup *cg_new(const char *parent, const char *name)
{
	struct cgroup *cg = xzalloc(sizeof(*cg));
	cg->parent = xstrdup(parent && *parent ? parent : "boxes");
	cg->name = xstrdup(name);
	cg->limit = xasprintf("%s/%s", cg->parent, name);
	cg->payload = xasprintf("%s/" CGROUP_PAYLOAD, cg->limit);
	return cg;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	free(cg->parent);
	free(cg->name);
	free(cg->limit);
	free(cg->payload);
	free(cg);
}

static bool valid_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strcmp(name, CGROUP_PAYLOAD);
}

static int make_parent(const struct cgroup_hier *h, const char *parent, box_err_t *err)
{
	cleanup_free char *rel = xstrdup(parent);
	/* each level, top down: v2 needs the controllers enabled on the way */
	for (char *p = rel;; p++) {
		bool end = !*p;
		if (*p == '/' || end) {
			char c = *p;
			*p = '\0';
			if (h->v2 && cgroup_layout() == CGROUP_UNIFIED) {
				cleanup_free char *up =
				    xstrndup(rel, (size_t)(strrchr(rel, '/') ? strrchr(rel, '/') - rel : 0));
				if (cgroup_enable_controllers(h, up, err) < 0)
					return -1;
			}
			if (cgroup_make_dir(h, rel, false, err) < 0)
				return -1;
			*p = c;
		}
		if (end)
			break;
	}
	if (h->v2 && cgroup_layout() == CGROUP_UNIFIED)
		return cgroup_enable_controllers(h, parent, err);
	return 0;
}

/* The dirs of one hierarchy: the parent's levels and the limit cgroup. */
static int make_limit(const struct cgroup_hier *h, const struct cgroup *cg, box_err_t *err)
{
	return make_parent(h, cg->parent, err) < 0 ? -1 : cgroup_make_dir(h, cg->limit, true, err);
}

/* Which hierarchies the first half makes: on a unified host all (there is
 * one); else the cgroup2 one alone, which clone3 puts the child into. */
static bool in_first(const struct cgroup_hier *h)
{
	return h->v2 || cgroup_layout() == CGROUP_UNIFIED;
}

static int undo(struct cgroup *cg, const char *name, box_err_t *err)
{
	box_err_t e = NULL;
	if (cgroup_destroy(cg, &e) < 0)
		log_warn_ignored(&e, "removing the half-made cgroup");
	return box_error_wrap(err, "container %s", name);
}

int cgroup_create_first(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	if (!valid_name(name))
		return box_usage_error(err, "'%s' cannot name a cgroup", name ? name : "");
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	if (!n)
		return box_error(err, ENOENT, "no cgroup hierarchy is mounted below " CGROUP_ROOT);
	struct cgroup *cg = cg_new(parent, name);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		if (access(p, F_OK) == 0) {
			cgroup_free(cg);
			return box_error(err, EEXIST, "cgroup %s exists already", p);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (in_first(&h[i]) && make_limit(&h[i], cg, err) < 0)
			goto fail;
	if (cgroup_layout() == CGROUP_UNIFIED && ops()->prepare(cg, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (in_first(&h[i]) && cgroup_make_dir(&h[i], cg->payload, true, err) < 0)
			goto fail;
	*out = cg;
	return 0;
fail:
	undo(cg, name, err);
	cgroup_free(cg);
	return -1;
}

int cgroup_create_rest(struct cgroup *cg, box_err_t *err)
{
	if (cgroup_layout() == CGROUP_UNIFIED)
		return 0;
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++)
		if (!in_first(&h[i]) && make_limit(&h[i], cg, err) < 0)
			return undo(cg, cg->name, err);
	if (ops()->prepare(cg, err) < 0)
		return undo(cg, cg->name, err);
	for (size_t i = 0; i < n; i++)
		if (!in_first(&h[i]) && cgroup_make_dir(&h[i], cg->payload, true, err) < 0)
			return undo(cg, cg->name, err);
	return 0;
}

int cgroup_create(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	if (cgroup_create_first(parent, name, out, err) < 0)
		return -1;
	if (cgroup_create_rest(*out, err) == 0)
		return 0;
	cgroup_free(*out);
	*out = NULL;
	return -1;
}

int cgroup_open(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	if (!valid_name(name))
		return box_usage_error(err, "'%s' cannot name a cgroup", name ? name : "");
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	struct cgroup *cg = cg_new(parent, name);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		if (access(p, F_OK) == 0) {
			*out = cg;
			return 0;
		}
	}
	box_error(err, ENOENT, "container %s has no cgroup (%s)", name, cg->limit);
	cgroup_free(cg);
	return -1;
}

int cgroup_update_limits(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	if (ops()->update_limits(cg, l, changes, err) < 0)
		return box_error_wrap(err, "limits of container %s", cg->name);
	return 0;
}

int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l, box_err_t *err)
{
	return cgroup_update_limits(cg, l, NULL, err);
}

int cgroup_read_limits(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err)
{
	memset(l, 0, sizeof(*l));
	l->memory = l->swap = l->pids = BOX_UNLIMITED;
	l->cpu_weight = l->io_weight = 100;
	return ops()->read_limits(cg, l, err);
}

int cgroup_set_devices(struct cgroup *cg, box_err_t *err)
{
	if (ops()->set_devices(cg, err) < 0)
		return box_error_wrap(err, "device rules of container %s", cg->name);
	return 0;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err)
{
	memset(st, 0, sizeof(*st));
	return ops()->stats(cg, st, err);
}

int cgroup_freeze(struct cgroup *cg, bool freeze, box_err_t *err)
{
	if (ops()->freeze(cg, freeze, err) < 0)
		return box_error_wrap(err, "%s container %s", freeze ? "freezing" : "thawing", cg->name);
	return 0;
}

int cgroup_kill(struct cgroup *cg, box_err_t *err)
{
	if (ops()->kill(cg, err) < 0)
		return box_error_wrap(err, "killing the processes of container %s", cg->name);
	return 0;
}

bool cgroup_is_frozen(struct cgroup *cg)
{
	return ops()->is_frozen(cg);
}

bool cgroup_is_empty(struct cgroup *cg)
{
	return ops()->is_empty(cg);
}

int cgroup_destroy(struct cgroup *cg, box_err_t *err)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		cleanup_free char *pl = cgroup_path(&h[i], cg->payload, NULL);
		/* every hierarchy, even after a failure: leave as little as possible;
		 * the payload first, so that the limit cgroup is a leaf then */
		if (cgroup_rmdir_tree(pl, err) < 0 || cgroup_rmdir_tree(p, err) < 0)
			ret = -1;
	}
	return ret;
}
