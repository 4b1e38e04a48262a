/* What differs between two configs of one container, key by key, and how
 * each difference reaches the running container: the schema's flags say it
 * (KF_LIVE, KF_NET, KF_RECORD; none: a restart). `box diff` prints it, `box
 * apply` plans from it. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/internal.h"
#include "base/util.h"

struct diff {
	struct config_change *v;
	size_t n;
};

static enum config_change_kind kind_of(unsigned flags)
{
	if (flags & KF_LIVE)
		return CHANGE_LIVE;
	if (flags & KF_NET)
		return CHANGE_NET;
	if (flags & KF_RECORD)
		return CHANGE_RECORD;
	return CHANGE_RESTART;
}

static void push(struct diff *d, char *key, char *from, char *to, enum config_change_kind kind, const char *net)
{
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = (struct config_change){
		.key = key, .from = from, .to = to, .kind = kind, .net = net ? xstrdup(net) : NULL
	};
}

static bool text_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Every key of a scope whose written value differs. */
static void diff_scope(struct diff *d, enum config_scope scope, const void *a, const void *b, const char *where,
		       enum config_change_kind force, const char *net)
{
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope != scope || k->type == KT_SECTION)
			continue;
		char *x = config_value_text(k, a), *y = config_value_text(k, b);
		if (text_eq(x, y)) {
			free(x);
			free(y);
			continue;
		}
		enum config_change_kind kind = kind_of(k->flags);
		if (force == CHANGE_RESTART)
			kind = CHANGE_RESTART;
		push(d, config_key_path(where, k->name), x, y, kind, net);
	}
}

static const struct box_net *find_net(const struct box_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (!strcmp(c->nets[i].name, name))
			return &c->nets[i];
	return NULL;
}

static const struct box_mount *find_mount(const struct box_config *c, const char *target)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (!strcmp(c->mounts[i].target, target))
			return &c->mounts[i];
	return NULL;
}

static bool own_netns(const struct box_config *c)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (c->nets[i].type == NET_HOST)
			return false;
	return true;
}

/* A network section's changes: live unless its type changes or either side
 * is type = host (the namespace itself would change). */
static void diff_nets(struct diff *d, const struct box_config *a, const struct box_config *b)
{
	enum config_change_kind sec = kind_of(config_schema_find(SC_CONTAINER, "network")->flags);
	for (size_t i = 0; i < a->n_nets; i++) {
		const struct box_net *o = &a->nets[i], *n = find_net(b, o->name);
		cleanup_free char *where = xasprintf("network %s: ", o->name);
		if (!n) {
			push(d, xasprintf("network %s", o->name), xstrdup(config_net_type_name(o->type)), NULL,
			     o->type == NET_HOST ? CHANGE_RESTART : sec, o->name);
			continue;
		}
		bool restart = o->type != n->type || o->type == NET_HOST;
		diff_scope(d, SC_NETWORK, o, n, where, restart ? CHANGE_RESTART : CHANGE_NET, o->name);
	}
	for (size_t i = 0; i < b->n_nets; i++) {
		const struct box_net *n = &b->nets[i];
		if (!find_net(a, n->name))
			push(d, xasprintf("network %s", n->name), NULL, xstrdup(config_net_type_name(n->type)),
			     n->type == NET_HOST || !own_netns(a) ? CHANGE_RESTART : sec, n->name);
	}
}

static char *mount_text(const struct box_mount *m)
{
	return xasprintf("%s%s", m->source, m->readonly ? " (read-only)" : "");
}

static void diff_mounts(struct diff *d, const struct box_config *a, const struct box_config *b)
{
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct box_mount *o = &a->mounts[i], *n = find_mount(b, o->target);
		char *x = mount_text(o), *y = n ? mount_text(n) : NULL;
		if (text_eq(x, y)) {
			free(x);
			free(y);
			continue;
		}
		push(d, xasprintf("mount %s", o->target), x, y, CHANGE_RESTART, NULL);
	}
	for (size_t i = 0; i < b->n_mounts; i++)
		if (!find_mount(a, b->mounts[i].target))
			push(d, xasprintf("mount %s", b->mounts[i].target), NULL, mount_text(&b->mounts[i]),
			     CHANGE_RESTART, NULL);
}

size_t config_diff(const struct box_config *from, const struct box_config *to, struct config_change **out)
{
	struct diff d = { 0 };
	diff_scope(&d, SC_CONTAINER, from, to, "", CHANGE_LIVE, NULL);
	diff_nets(&d, from, to);
	diff_mounts(&d, from, to);
	*out = d.v;
	return d.n;
}

void config_changes_free(struct config_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].from);
		free(v[i].to);
		free(v[i].net);
	}
	free(v);
}

const char *config_change_kind_name(enum config_change_kind k)
{
	switch (k) {
	case CHANGE_LIVE: return "live";
	case CHANGE_NET: return "live";
	case CHANGE_RECORD: return "recorded";
	default: return "restart";
	}
}
