/* Live network changes of a running container (box apply): the same steps
 * as a start (net.c) plus their inverses, through sockets in the host's and
 * the container's network namespace. A change is all or nothing: every step
 * done is recorded, and a failure undoes them in reverse (a veth added is
 * removed, one removed is made again, addresses, MTU and bridge go back). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/internal.h"
#include "net/net.h"
#include "base/util.h"

struct net_live {
	struct net_sock host, in;
	const struct box_global *g;
	int netns_fd;
};

int net_live_open(const struct box_global *g, int netns_fd, struct net_live **out, box_err_t *err)
{
	struct net_live *l = xzalloc(sizeof(*l));
	l->g = g;
	l->netns_fd = netns_fd;
	if (net_sock_open(&l->host, -1, err) < 0 || net_sock_open(&l->in, netns_fd, err) < 0) {
		net_live_close(l);
		return -1;
	}
	*out = l;
	return 0;
}

void net_live_close(struct net_live *l)
{
	if (!l)
		return;
	net_sock_close(&l->host);
	net_sock_close(&l->in);
	free(l);
}

/* The bridge of n (made if boxes.conf declares it and it is missing). */
static int bridge_of(struct net_live *l, const struct box_net *n, struct net_link *br, box_err_t *err)
{
	if (!n->bridge[0])
		return 0;
	if (net_ensure_bridge(&l->host, l->g, n->bridge, br, err) < 0)
		return box_error_wrap(err, "network %s", n->name);
	return 1;
}

int net_live_add(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err)
{
	struct net_state s = { 0 };
	struct net_link br;
	int r = bridge_of(l, n, &br, err);
	if (r < 0)
		return -1;
	if (net_make_veth(&l->host, c, n, r ? &br : NULL, l->netns_fd, &s, err) < 0 ||
	    net_configure_inside(&l->in, n, err) < 0) {
		box_err_t e = NULL;
		for (size_t i = 0; i < s.n; i++)
			if (net_nl_link_delete(&l->host, s.hosts[i], &e) < 0)
				log_warn_ignored(&e, "removing %s", s.hosts[i]);
		free(s.hosts);
		return -1;
	}
	free(s.hosts);
	return 0;
}

/* The host end of c's section n, checked to be ours by its alias: 1 found,
 * 0 gone. */
static int host_end(struct net_live *l, const struct box_config *c, const struct box_net *n, char name[IFNAMSIZ],
		    box_err_t *err)
{
	struct net_link hl;
	net_host_ifname(c->name, n->name, name);
	int r = net_nl_link_find(&l->host, name, &hl, err);
	if (r <= 0)
		return r;
	cleanup_free char *alias = net_owner_alias(c->name, n->name);
	if (strcmp(hl.alias, alias) != 0)
		return box_error(err, EEXIST, "network %s: %s is not its host end (alias '%s'); leaving it", n->name,
				 name, hl.alias);
	return 1;
}

int net_live_remove(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err)
{
	char name[IFNAMSIZ];
	int r = host_end(l, c, n, name, err);
	if (r <= 0)
		return r;
	/* its peer inside goes with it */
	return net_nl_link_delete(&l->host, name, err);
}

static bool addr_same(const struct box_addr *a, const struct box_addr *b)
{
	return a->family == b->family && a->prefix == b->prefix && !memcmp(a->addr, b->addr, 16);
}

static bool has_addr(const struct box_net *n, const struct box_addr *a)
{
	for (size_t i = 0; i < n->n_addrs; i++)
		if (addr_same(&n->addrs[i], a))
			return true;
	return false;
}

/* A request whose result is already there (an address, a route) is fine:
 * readdress is also its own undo, from any half-way state. */
static int tolerate_exists(int r, box_err_t *err)
{
	if (r < 0 && (*err)->errnum == EEXIST) {
		box_error_release(err);
		return 0;
	}
	return r;
}

static int ensure_gateway(struct net_live *l, int ifindex, const struct box_net *n, const struct box_addr *gw,
			  box_err_t *err)
{
	if (net_gateway_offlink(n, gw) &&
	    tolerate_exists(net_nl_route_add_onlink(&l->in, ifindex, n->name, gw, err), err) < 0)
		return -1;
	return tolerate_exists(net_nl_route_add_default(&l->in, ifindex, n->name, gw, err), err);
}

int net_live_readdress(struct net_live *l, const struct box_net *from, const struct box_net *to, box_err_t *err)
{
	struct net_link in;
	int r = net_nl_link_find(&l->in, to->name, &in, err);
	if (r == 0)
		return box_error(err, ENODEV, "network %s: not found in the container", to->name);
	if (r < 0)
		return -1;
	if (from->has_gateway4 && !(to->has_gateway4 && addr_same(&from->gateway4, &to->gateway4)) &&
	    net_nl_route_del_default(&l->in, in.ifindex, to->name, &from->gateway4, err) < 0)
		return -1;
	if (from->has_gateway6 && !(to->has_gateway6 && addr_same(&from->gateway6, &to->gateway6)) &&
	    net_nl_route_del_default(&l->in, in.ifindex, to->name, &from->gateway6, err) < 0)
		return -1;
	for (size_t i = 0; i < from->n_addrs; i++)
		if (!has_addr(to, &from->addrs[i]) &&
		    net_nl_addr_del(&l->in, in.ifindex, to->name, &from->addrs[i], err) < 0)
			return -1;
	/* all of them again: removing an IPv4 address also removes the others
	 * of its subnet and the routes through it */
	for (size_t i = 0; i < to->n_addrs; i++)
		if (tolerate_exists(net_nl_addr_add(&l->in, in.ifindex, to->name, &to->addrs[i], err), err) < 0)
			return -1;
	if (to->has_gateway4 && ensure_gateway(l, in.ifindex, to, &to->gateway4, err) < 0)
		return -1;
	if (to->has_gateway6 && ensure_gateway(l, in.ifindex, to, &to->gateway6, err) < 0)
		return -1;
	return 0;
}

int net_live_set_mtu(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err)
{
	char name[IFNAMSIZ];
	struct net_link br = { 0 };
	int r = host_end(l, c, n, name, err);
	if (r == 0)
		return box_error(err, ENODEV, "network %s: its host end %s is gone", n->name, name);
	if (r < 0)
		return -1;
	/* as at start: no mtu = the bridge's, else the kernel's 1500 */
	unsigned mtu = n->mtu;
	if (!mtu && n->bridge[0] && net_nl_link_find(&l->host, n->bridge, &br, err) < 0)
		return -1;
	if (!mtu)
		mtu = br.mtu ? br.mtu : 1500;
	if (net_nl_link_set_mtu(&l->host, name, mtu, err) < 0 || net_nl_link_set_mtu(&l->in, n->name, mtu, err) < 0)
		return box_error_wrap(err, "network %s", n->name);
	return 0;
}

int net_live_set_bridge(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err)
{
	char name[IFNAMSIZ];
	struct net_link br = { 0 };
	int r = host_end(l, c, n, name, err);
	if (r == 0)
		return box_error(err, ENODEV, "network %s: its host end %s is gone", n->name, name);
	if (r < 0 || bridge_of(l, n, &br, err) < 0)
		return -1;
	if (net_nl_link_set_master(&l->host, name, n->bridge[0] ? br.ifindex : 0, err) < 0)
		return box_error_wrap(err, "network %s", n->name);
	return 0;
}

/* ---- the transaction ---- */

enum step_kind { ST_ADD, ST_REMOVE, ST_BRIDGE, ST_MTU, ST_READDR };

struct step {
	enum step_kind kind;
	const struct box_net *from, *to;
};

struct txn {
	struct net_live *l;
	const struct box_config *cf, *ct; /* from, to */
	struct step *v;
	size_t n;
};

static int run_step(struct txn *t, const struct step *s, bool undo, box_err_t *err)
{
	const struct box_config *cf = undo ? t->ct : t->cf, *ct = undo ? t->cf : t->ct;
	const struct box_net *from = undo ? s->to : s->from, *to = undo ? s->from : s->to;
	switch (s->kind) {
	case ST_ADD: return undo ? net_live_remove(t->l, cf, from, err) : net_live_add(t->l, ct, to, err);
	case ST_REMOVE: return undo ? net_live_add(t->l, ct, to, err) : net_live_remove(t->l, cf, from, err);
	case ST_BRIDGE: return net_live_set_bridge(t->l, ct, to, err);
	case ST_MTU: return net_live_set_mtu(t->l, ct, to, err);
	case ST_READDR: return net_live_readdress(t->l, from, to, err);
	}
	return 0;
}

static int step(struct txn *t, enum step_kind kind, const struct box_net *from, const struct box_net *to,
		box_err_t *err)
{
	struct step s = { kind, from, to };
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = s; /* recorded first: a step that failed half-way is undone too */
	return run_step(t, &s, false, err);
}

static const struct box_net *find(const struct box_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (!strcmp(c->nets[i].name, name))
			return &c->nets[i];
	return NULL;
}

static bool same_addrs(const struct box_net *a, const struct box_net *b)
{
	if (a->n_addrs != b->n_addrs || a->has_gateway4 != b->has_gateway4 || a->has_gateway6 != b->has_gateway6)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!addr_same(&a->addrs[i], &b->addrs[i]))
			return false;
	return !(a->has_gateway4 && !addr_same(&a->gateway4, &b->gateway4)) &&
	       !(a->has_gateway6 && !addr_same(&a->gateway6, &b->gateway6));
}

static int changed(struct txn *t, const struct box_net *o, const struct box_net *n, box_err_t *err)
{
	if (o->type != NET_VETH)
		return 0;
	if (o->has_hwaddr != n->has_hwaddr || (n->has_hwaddr && memcmp(o->hwaddr, n->hwaddr, 6)))
		/* a new MAC: a new pair, as a start would make it */
		return step(t, ST_REMOVE, o, NULL, err) < 0 ? -1 : step(t, ST_ADD, NULL, n, err);
	if (strcmp(o->bridge, n->bridge) && step(t, ST_BRIDGE, o, n, err) < 0)
		return -1;
	if ((o->mtu != n->mtu || strcmp(o->bridge, n->bridge)) && step(t, ST_MTU, o, n, err) < 0)
		return -1;
	if (!same_addrs(o, n) && step(t, ST_READDR, o, n, err) < 0)
		return -1;
	return 0;
}

static int plan_run(struct txn *t, box_err_t *err)
{
	const struct box_config *from = t->cf, *to = t->ct;
	/* removals first: they free addresses and names the others may take */
	for (size_t i = 0; i < from->n_nets; i++)
		if (from->nets[i].type == NET_VETH && !find(to, from->nets[i].name) &&
		    step(t, ST_REMOVE, &from->nets[i], NULL, err) < 0)
			return -1;
	for (size_t i = 0; i < to->n_nets; i++) {
		const struct box_net *n = &to->nets[i], *o = find(from, n->name);
		if (o && o->type == n->type && changed(t, o, n, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < to->n_nets; i++)
		if (to->nets[i].type == NET_VETH && !find(from, to->nets[i].name) &&
		    step(t, ST_ADD, NULL, &to->nets[i], err) < 0)
			return -1;
	return 0;
}

int net_live_apply(const struct box_config *from, const struct box_config *to, const struct box_global *g, int netns_fd,
		   char ***warnings, box_err_t *err)
{
	if (!net_wants_netns(from) || !net_wants_netns(to))
		return 0; /* type = host: the namespace itself changes, a restart's */
	struct txn t = { .cf = from, .ct = to };
	if (net_live_open(g, netns_fd, &t.l, err) < 0)
		return -1;
	int r = plan_run(&t, err);
	if (r < 0) {
		for (size_t i = t.n; i-- > 0;) {
			box_err_t e = NULL;
			if (run_step(&t, &t.v[i], true, &e) < 0) {
				cleanup_free char *msg = box_error_text(e);
				char *w = xasprintf("undoing a network change: %s", msg);
				strv_push(warnings, w);
				free(w);
				box_error_release(&e);
			}
		}
	}
	free(t.v);
	net_live_close(t.l);
	return r;
}
