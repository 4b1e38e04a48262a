#include "runtime/reconcile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "cgroup/cgroup.h"
#include "config/idrange.h"
#include "container/identity.h"
#include "net/managed.h"
#include "net/net.h"
#include "runtime/inside.h"
#include "runtime/record.h"
#include "runtime/runtime.h"
#include "storage/storage.h"

static bool rootfs_exists(const char *name)
{
	cleanup_free char *rootfs = paths_rootfs_path(name);
	struct stat st;
	/* as box start sees it: a backend's rootfs, or a plain folder */
	return storage_exists(name) || (stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode));
}

static bool is_running(enum box_state st)
{
	return st == BOX_RUNNING || st == BOX_FROZEN;
}

static void set_error(struct rec_box *b, box_err_t *e)
{
	b->error = box_error_text(*e);
	b->error_status = (*e)->status;
	box_error_release(e);
}

/* The running side: its record, else (started by a box before records) its
 * file, so that nothing is claimed to differ. */
static int load_running(struct rec_box *b, box_err_t *err)
{
	int r = record_load(b->name, &b->running, err);
	if (r <= 0)
		return r;
	return config_load(b->name, &b->running, err);
}

static void plan_changes(struct rec_box *b)
{
	box_err_t e = NULL;
	/* idmap_base = auto is what its start resolved it to */
	if (idrange_resolve(b->file, -1, &e) < 0) {
		set_error(b, &e);
		return;
	}
	b->n_changes = config_diff(b->running, b->file, &b->changes);
	for (size_t i = 0; i < b->n_changes; i++) {
		if (b->changes[i].kind == CHANGE_RESTART)
			b->has_restart = true;
		else
			b->has_live = true;
	}
}

static void plan_one(struct reconcile *r, const char *name, bool named)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	struct rec_box *b = memset(&r->v[r->n++], 0, sizeof(*b));
	box_err_t e = NULL;
	b->name = xstrdup(name);
	cleanup_free char *path = paths_config_path(name);
	bool have_file = access(path, F_OK) == 0;
	struct runtime_info ri;
	if (runtime_info(name, &ri, &e) < 0) {
		set_error(b, &e);
		return;
	}
	b->state = ri.state;
	memcpy(b->lock, ri.lock, sizeof(b->lock));
	if (!have_file && (!named || is_running(b->state))) {
		/* a running container whose file was removed */
		b->orphan = is_running(b->state);
		if (b->orphan && load_running(b, &e) < 0) {
			set_error(b, &e);
			return;
		}
		b->order = b->running ? b->running->start_order : 0;
		return;
	}
	if (config_load(name, &b->file, &e) < 0) {
		set_error(b, &e);
		return;
	}
	config_dns_defaults(b->file, r->g);
	b->order = b->file->start_order;
	if (b->state == BOX_STARTING || b->state == BOX_STOPPING || b->lock[0]) {
		b->busy = true;
		return;
	}
	if (b->state == BOX_STOPPED) {
		b->create = !rootfs_exists(name);
		b->start = b->file->autostart;
		return;
	}
	if (load_running(b, &e) < 0) {
		set_error(b, &e);
		return;
	}
	plan_changes(b);
}

/* Containers that run (their runtime folder says so) without a config file. */
static int plan_orphans(struct reconcile *r, char *const *configured, box_err_t *err)
{
	cleanup_dir DIR *d = opendir(paths_run_dir());
	if (!d)
		return errno == ENOENT ? 0 : box_error(err, errno, "reading %s", paths_run_dir());
	struct dirent *de;
	while ((de = readdir(d))) {
		bool known = false;
		if (!paths_valid_name(de->d_name))
			continue;
		for (size_t i = 0; configured && configured[i] && !known; i++)
			known = !strcmp(configured[i], de->d_name);
		if (known)
			continue;
		size_t before = r->n;
		plan_one(r, de->d_name, false);
		if (r->n > before && !r->v[before].orphan && !r->v[before].error) {
			/* stopped leftovers are not ours to report */
			r->n--;
			free(r->v[r->n].name);
		}
	}
	return 0;
}

static const char *value(const char *v)
{
	return v ? v : "(none)";
}

static void add_line(struct rec_box *b, enum rec_kind kind, const struct config_change *c, char *text)
{
	b->lines = xrealloc(b->lines, (b->n_lines + 1) * sizeof(*b->lines));
	b->lines[b->n_lines++] = (struct rec_line){ .kind = kind, .change = c, .text = text };
}

static char *change_text(const struct config_change *c, const char *how)
{
	if (!strncmp(c->key, "network ", 8) && !strchr(c->key, ':') && (!c->from || !c->to))
		return xasprintf("%s: %s (%s)", c->key, c->to ? "added" : "removed", how);
	return xasprintf("%s: %s -> %s (%s)", c->key, value(c->from), value(c->to), how);
}

static void make_lines(const struct reconcile *r, struct rec_box *b)
{
	if (b->error)
		return;
	if (b->orphan)
		add_line(b, REC_ORPHAN, NULL,
			 xstrdup(r->prune ? "stop: runs, but its config file is gone (--prune)"
					  : "orphan: runs, but its config file is gone (box apply --prune stops it)"));
	if (b->busy)
		add_line(b, REC_BUSY, NULL,
			 b->lock[0]
			     ? xasprintf("locked (%s): left alone this time (apply again once it is done)", b->lock)
			     : xasprintf("%s: left alone this time (apply again once it is done)",
					 b->state == BOX_STARTING ? "starting" : "stopping"));
	if (b->create)
		add_line(b, REC_CREATE, NULL,
			 xasprintf("create: it has no rootfs (template %s)", value(b->file->template_name)));
	if (b->start)
		add_line(b, REC_START, NULL,
			 xasprintf("start: autostart = yes and it is stopped (start_order %d)", b->file->start_order));
	bool restarting = r->restart && b->has_restart;
	for (size_t i = 0; i < b->n_changes; i++) {
		const struct config_change *c = &b->changes[i];
		bool rs = c->kind == CHANGE_RESTART;
		const char *how = restarting ? "restart"
				  : rs	     ? "needs a restart: box apply --restart"
					     : config_change_kind_name(c->kind);
		add_line(b, rs ? REC_RESTART : REC_LIVE, c, change_text(c, how));
	}
}

static int by_order(const void *a, const void *b)
{
	const struct rec_box *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

int reconcile_plan(char *const *names, bool restart, bool prune, struct reconcile **out, box_err_t *err)
{
	struct reconcile *r = xzalloc(sizeof(*r));
	char **list = NULL;
	r->restart = restart;
	r->prune = prune;
	*out = NULL;
	if (global_load(&r->g, err) < 0)
		goto fail;
	if (names)
		list = strv_copy(names);
	else if (config_list(&list, err) < 0)
		goto fail;
	for (size_t i = 0; list && list[i]; i++)
		plan_one(r, list[i], names != NULL);
	if (!names && plan_orphans(r, list, err) < 0)
		goto fail;
	strv_free(list);
	qsort(r->v, r->n, sizeof(*r->v), by_order);
	for (size_t i = 0; i < r->n; i++)
		make_lines(r, &r->v[i]);
	*out = r;
	return 0;
fail:
	strv_free(list);
	reconcile_free(r);
	return -1;
}

/* The container's network namespace, through init's pid checked against
 * its start time after the open: a recycled pid never hands us another's. */
static int open_netns(const char *name, box_err_t *err)
{
	struct state_info si;
	if (state_read(name, &si, err) != 0)
		return *err ? -1 : box_error(err, 0, "%s stopped meanwhile", name);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)si.init_pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening the network namespace of %s (%s)", name, path);
	if (!state_pid_alive(si.init_pid, si.init_start)) {
		close(fd);
		return box_error(err, ESRCH, "%s stopped meanwhile", name);
	}
	return fd;
}

static int write_limits(struct reconcile *r, struct rec_box *b, box_err_t *err)
{
	struct cgroup *cg = NULL;
	char **changes = NULL;
	struct cgroup_limits l;
	cgroup_limits_from_config(b->file, &l);
	int ret = cgroup_open(r->g->cgroup_parent, b->name, &cg, err);
	if (ret == 0)
		ret = cgroup_update_limits(cg, &l, &changes, err);
	strv_free(changes);
	cgroup_free(cg);
	return ret;
}

static void undo_warn(char ***warnings, box_err_t *e)
{
	cleanup_free char *t = box_error_text(*e);
	char *w = xasprintf("undoing: %s", t);
	strv_push(warnings, w);
	free(w);
	box_error_release(e);
}

static bool key_changed(const struct rec_box *b, const char *key)
{
	for (size_t i = 0; i < b->n_changes; i++)
		if (!strcmp(b->changes[i].key, key))
			return true;
	return false;
}

/* What a managed bridge does for the container (its masquerading, its
 * dnsmasq's static lease and name, its forwards) follows a network changed
 * live: from's released, to's set up, as a stop and a start would. The
 * supervisor's stop releases what the record (written after this) names. */
static int managed_swap(const struct box_config *from, const struct box_config *to, const struct box_global *g,
			box_err_t *err)
{
	struct managed *m = NULL;
	if (managed_cleanup(from, g, err) < 0 || managed_up(to, g, &m, err) < 0)
		return -1;
	managed_free(m);
	return 0;
}

/* The live changes of one container, all or nothing: its network (which
 * undoes itself), its identity files, its limits, then the record. */
static int live(struct reconcile *r, struct rec_box *b, char ***warnings, box_err_t *err)
{
	bool net = false, limits = false, ident = false;
	for (size_t i = 0; i < b->n_changes; i++) {
		const struct config_change *c = &b->changes[i];
		net |= c->kind == CHANGE_NET && c->net;
		ident |= c->kind == CHANGE_NET;
		limits |= c->kind == CHANGE_LIVE;
	}
	bool hostname = key_changed(b, "hostname");
	box_err_t e = NULL;
	cleanup_close int fd = -1;
	if (net) {
		fd = open_netns(b->name, err);
		if (fd < 0 || net_live_apply(b->running, b->file, r->g, fd, warnings, err) < 0)
			return -1;
	}
	bool swapped = !net || managed_swap(b->running, b->file, r->g, err) == 0;
	/* resolv.conf may name an interface (fe80::1%eth0): after any change */
	if (swapped && (!ident || inside_identity(b->file, hostname, err) == 0)) {
		if (!limits || write_limits(r, b, err) == 0)
			return record_write_merged(b->name, b->running, b->file,
						   CONFIG_MERGE_LIMITS | CONFIG_MERGE_NET | CONFIG_MERGE_RECORD, err);
		/* the limits failed: the identity back, then the network */
		if (ident && inside_identity(b->running, hostname, &e) < 0)
			undo_warn(warnings, &e);
	}
	if (net && net_live_apply(b->file, b->running, r->g, fd, warnings, &e) < 0)
		undo_warn(warnings, &e);
	if (net && managed_swap(b->file, b->running, r->g, &e) < 0)
		undo_warn(warnings, &e);
	return -1;
}

int reconcile_do(struct reconcile *r, size_t i, char ***warnings, box_err_t *err)
{
	struct rec_box *b = &r->v[i];
	if (b->error || b->busy)
		return 0;
	if (b->orphan)
		return r->prune ? runtime_stop(b->name, -1, false, err) : 0;
	if (b->create && storage_create(b->file, NULL, identity_write, err) < 0)
		return -1;
	if (b->start)
		return runtime_start(b->name, false, err);
	if (r->restart && b->has_restart) {
		/* a clean stop and a start from the file: everything at once */
		if (runtime_stop(b->name, -1, false, err) < 0)
			return -1;
		return runtime_start(b->name, false, err);
	}
	return b->has_live ? live(r, b, warnings, err) : 0;
}

int reconcile_lock(box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/apply.lock", paths_run_dir());
	if (mkdir_p(paths_run_dir(), 0755, err) < 0)
		return -1;
	/* not O_CLOEXEC: a supervisor forked by one of our starts closes what
	 * it inherited without it, and must not hold this lock for its life */
	return lock_path(path, 0, err);
}

void reconcile_free(struct reconcile *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct rec_box *b = &r->v[i];
		free(b->name);
		free(b->error);
		config_free(b->file);
		config_free(b->running);
		config_changes_free(b->changes, b->n_changes);
		for (size_t j = 0; j < b->n_lines; j++)
			free(b->lines[j].text);
		free(b->lines);
	}
	free(r->v);
	global_free(r->g);
	free(r);
}
