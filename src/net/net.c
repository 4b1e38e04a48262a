/* The network step of a start, its undo, and what `box info` shows.
 *
 * The dance, from the supervisor, child cloned with CLONE_NEWNET and waiting:
 *   host netns:  bridge exists? else create it (boxes.conf address/mtu);
 *                one RTM_NEWLINK per veth section makes the pair, host end up
 *                on the bridge, peer created *inside* the child's netns
 *                with its final name, MAC and MTU (IFLA_NET_NS_FD);
 *                the host end gets the alias "boxes:CONTAINER:IFNAME".
 *   child netns: a socket opened there by a short thread: peer up,
 *                addresses, default routes (lo: the child, net_loopback_up).
 * About a dozen netlink round trips in all and no cache fill; the kernel's
 * own cost is the veth creation (~0.25 ms). Deleting a veth costs ~16.5 ms
 * in the kernel (anchors P13), which only teardown pays. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/internal.h"
#include "base/util.h"
#include "config/values.h"
#include "base/notes.h"

bool net_wants_netns(const struct box_config *c)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (c->nets[i].type == NET_HOST)
			return false;
	return true;
}

int net_loopback_up(box_err_t *err)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return box_error(err, errno, "socket for bringing lo up");
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return box_error(err, errno, "reading the flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return box_error(err, errno, "bringing lo up");
	return 0;
}

char *net_owner_alias(const char *container, const char *ifname)
{
	return xasprintf("boxes:%s:%s", container, ifname);
}

static double ms_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

/* The bridge a veth goes on: found, or created as boxes.conf describes it.
 * A concurrent start may create it between our lookup and our create: its
 * EEXIST sends us back to the lookup. */
int net_ensure_bridge(struct net_sock *h, const struct box_global *g, const char *name, struct net_link *br,
		      box_err_t *err)
{
	const struct box_bridge *gb = NULL;
	box_err_t e = NULL;
	int r;

	/* (global_find_bridge's loop, kept here so that a bridge is never made
	 * without its address because of a lookup elsewhere) */
	for (size_t i = 0; g && i < g->n_bridges; i++)
		if (!strcmp(g->bridges[i].name, name))
			gb = &g->bridges[i];
	for (int attempt = 0; attempt < 2; attempt++) {
		r = net_nl_link_find(h, name, br, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			if (strcmp(br->kind, "bridge") != 0)
				return box_error(
				    err, 0,
				    "bridge %s: a network interface of that name exists and is not a bridge "
				    "(%s%s); name another bridge or remove that interface",
				    name, br->kind[0] ? "it is a " : "it is a device such as lo or a NIC", br->kind);
			return 0;
		}
		r = net_nl_bridge_create(h, name, gb ? gb->mtu : 0, &e);
		if (r == 0)
			break;
		if (r != -EEXIST || attempt == 1) {
			*err = e;
			return -1;
		}
		box_error_release(&e);
	}
	for (size_t i = 0; gb && i < gb->n_addrs; i++) {
		r = net_nl_link_find(h, name, br, err);
		if (r <= 0) {
			if (r == 0)
				box_error(err, ENODEV, "bridge %s vanished right after its creation", name);
			goto undo;
		}
		if (net_nl_addr_add(h, br->ifindex, name, &gb->addrs[i], err) < 0) {
			box_error_wrap(err, "%s:%u: bridge %s", g->path ? g->path : "boxes.conf", gb->line, name);
			goto undo;
		}
	}
	r = net_nl_link_find(h, name, br, err);
	if (r == 1) {
		box_note("created bridge %s", name);
		return 0;
	}
	if (r == 0)
		box_error(err, ENODEV, "bridge %s vanished right after its creation", name);
undo:
	/* half-configured: remove it so that the next start makes it whole */
	if (net_nl_link_delete(h, name, &e) < 0)
		log_warn_ignored(&e, "removing the half-made bridge %s", name);
	return -1;
}

static void state_add(struct net_state *s, const char *host)
{
	s->hosts = xrealloc(s->hosts, (s->n + 1) * sizeof(*s->hosts));
	snprintf(s->hosts[s->n++], IFNAMSIZ, "%s", host);
}

/* One veth section, host side. A link already named like our host end is a
 * leftover of this very container (a crash, or the kernel still destroying
 * the old netns, anchors P13) when its alias says so: it goes. Anything else
 * of that name is someone else's and stops us. */
int net_make_veth(struct net_sock *h, const struct box_config *c, const struct box_net *n, const struct net_link *br,
		  int netns_fd, struct net_state *s, box_err_t *err)
{
	cleanup_free char *alias = net_owner_alias(c->name, n->name);
	unsigned char host_mac[6], peer_mac[6];
	char host[IFNAMSIZ];
	struct net_link old;
	box_err_t e = NULL;
	int r;

	net_host_ifname(c->name, n->name, host);
	net_host_hwaddr(c->name, n->name, host_mac);
	if (n->has_hwaddr)
		memcpy(peer_mac, n->hwaddr, 6);
	else
		net_default_hwaddr(c->name, n->name, peer_mac);
	struct net_veth v = {
		.host = host,
		.master = br ? br->ifindex : 0,
		/* LXC's rule: no mtu configured = the bridge's, so that the
		 * container never sends frames the bridge drops */
		.mtu = n->mtu ? n->mtu
		       : br   ? br->mtu
			      : 0,
		.host_mac = host_mac,
		.peer = n->name,
		.peer_mac = peer_mac,
		.peer_netns_fd = netns_fd,
	};
	for (int attempt = 0;; attempt++) {
		r = net_nl_veth_create(h, &v, &e);
		if (r == 0)
			break;
		if (r != -EEXIST || attempt > 0) {
			*err = e;
			return -1;
		}
		r = net_nl_link_find(h, host, &old, err);
		if (r < 0) {
			box_error_release(&e);
			return -1;
		}
		if (r == 0) {
			/* not the host name: the name inside exists (only lo is there) */
			*err = e;
			return box_error_wrap(err, "network %s", n->name);
		}
		box_error_release(&e);
		if (strcmp(old.alias, alias) != 0)
			return box_error(err, EEXIST,
					 "network %s: the host-side name %s is taken by another interface%s%s%s; "
					 "remove it or rename this network section",
					 n->name, host, old.alias[0] ? " (alias '" : "", old.alias,
					 old.alias[0] ? "')" : "");
		if (net_nl_link_delete(h, host, err) < 0)
			return -1;
	}
	state_add(s, host);
	return net_nl_link_set_alias(h, host, alias, err);
}

/* Whether gw lies outside every subnet of n's addresses of its family (an
 * IPv6 link-local router is on the link by definition). */
bool net_gateway_offlink(const struct box_net *n, const struct box_addr *gw)
{
	if (gw->family == AF_INET6 && gw->addr[0] == 0xfe && (gw->addr[1] & 0xc0) == 0x80)
		return false;
	for (size_t i = 0; i < n->n_addrs; i++)
		if (value_addr_in_subnet(&n->addrs[i], gw))
			return false;
	return true;
}

/* The default route via gw; a gateway outside every subnet (a routed /32)
 * first gets an on-link host route, as Proxmox sets it up. */
static int add_gateway(struct net_sock *in, const struct net_link *l, const struct box_net *n,
		       const struct box_addr *gw, box_err_t *err)
{
	if (net_gateway_offlink(n, gw) && net_nl_route_add_onlink(in, l->ifindex, n->name, gw, err) < 0)
		return -1;
	return net_nl_route_add_default(in, l->ifindex, n->name, gw, err);
}

/* One veth section, inside: up, addresses, default routes. */
int net_configure_inside(struct net_sock *in, const struct box_net *n, box_err_t *err)
{
	struct net_link l;
	int r = net_nl_link_find(in, n->name, &l, err);

	if (r == 0)
		return box_error(err, ENODEV, "network %s: not found in the container after its creation", n->name);
	if (r < 0 || net_nl_link_up(in, l.ifindex, n->name, err) < 0)
		return -1;
	for (size_t i = 0; i < n->n_addrs; i++)
		if (net_nl_addr_add(in, l.ifindex, n->name, &n->addrs[i], err) < 0)
			return -1;
	if (n->has_gateway4 && add_gateway(in, &l, n, &n->gateway4, err) < 0)
		return -1;
	if (n->has_gateway6 && add_gateway(in, &l, n, &n->gateway6, err) < 0)
		return -1;
	return 0;
}

int net_setup(const struct box_config *c, const struct box_global *g, pid_t child, struct net_state **out,
	      box_err_t *err)
{
	struct net_sock host = { 0 }, in = { 0 };
	struct net_state *s = NULL;
	int netns_fd = -1;
	uint64_t t0 = now_ns();
	double t_host = 0;
	size_t n_veth = 0;
	char path[64];
	int ret = -1;

	*out = NULL;
	for (size_t i = 0; i < c->n_nets; i++) {
		if (c->nets[i].type == NET_VETH)
			n_veth++;
		if (!strcmp(c->nets[i].name, "lo"))
			return box_usage_error(err,
					       "%s:%u: network lo: the loopback interface is set up "
					       "anyway; name the section after another interface",
					       c->path, c->nets[i].line);
	}
	if (!net_wants_netns(c)) {
		if (c->n_nets > 1)
			return box_usage_error(err,
					       "%s: network type = host shares the host's network and "
					       "cannot be combined with other network sections",
					       c->path);
		return 0;
	}
	if (!n_veth) {
		/* type = empty: lo only, which the child brings up */
		*out = xzalloc(sizeof(**out));
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (netns_fd < 0)
		return box_error(err, errno, "opening the network namespace of the container (%s)", path);

	s = xzalloc(sizeof(*s));
	if (net_sock_open(&host, -1, err) < 0)
		goto out;
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		struct net_link br;
		if (n->type != NET_VETH)
			continue;
		if (n->bridge[0] && net_ensure_bridge(&host, g, n->bridge, &br, err) < 0) {
			box_error_wrap(err, "network %s", n->name);
			goto out;
		}
		if (net_make_veth(&host, c, n, n->bridge[0] ? &br : NULL, netns_fd, s, err) < 0)
			goto out;
	}
	t_host = ms_since(t0);

	if (net_sock_open(&in, netns_fd, err) < 0)
		goto out;
	for (size_t i = 0; i < c->n_nets; i++)
		if (c->nets[i].type == NET_VETH && net_configure_inside(&in, &c->nets[i], err) < 0)
			goto out;
	ret = 0;
	*out = steal_pointer(&s);
	if (getenv("BOX_NET_TIMING"))
		box_note("network: set up in %.3f ms (host side %.3f ms, inside %.3f ms, %zu veth)", ms_since(t0),
			 t_host, ms_since(t0) - t_host, n_veth);
out:
	net_sock_close(&in);
	if (s && s->n) {
		/* undo: the peers go with their host ends */
		for (size_t i = 0; i < s->n; i++) {
			box_err_t e = NULL;
			if (net_nl_link_delete(&host, s->hosts[i], &e) < 0)
				log_warn_ignored(&e, "removing %s", s->hosts[i]);
		}
	}
	net_sock_close(&host);
	net_state_free(s);
	if (netns_fd >= 0)
		close(netns_fd);
	return ret;
}

int net_teardown(struct net_state *s, box_err_t *err)
{
	struct net_sock host;
	uint64_t t0 = now_ns();
	int ret = 0;

	if (!s || !s->n)
		return 0;
	if (net_sock_open(&host, -1, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		box_err_t e = NULL;
		if (net_nl_link_delete(&host, s->hosts[i], &e) < 0) {
			if (ret == 0)
				*err = e;
			else
				box_error_release(&e);
			ret = -1;
		}
	}
	net_sock_close(&host);
	if (getenv("BOX_NET_TIMING"))
		box_note("network: torn down in %.3f ms (%zu veth)", ms_since(t0), s->n);
	return ret;
}

void net_state_free(struct net_state *s)
{
	if (!s)
		return;
	free(s->hosts);
	free(s);
}

int net_cleanup(const struct box_config *c, box_err_t *err)
{
	struct net_sock host = { 0 };
	int ret = 0;

	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		cleanup_free char *alias = NULL;
		char name[IFNAMSIZ];
		struct net_link l;
		int r;

		if (n->type != NET_VETH)
			continue;
		if (!host.sk && net_sock_open(&host, -1, err) < 0)
			return -1;
		net_host_ifname(c->name, n->name, name);
		r = net_nl_link_find(&host, name, &l, err);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0)
			continue;
		alias = net_owner_alias(c->name, n->name);
		if (strcmp(l.alias, alias) != 0) {
			box_warn("%s: %s is not the host end of network %s (alias '%s'), leaving it", c->name, name,
				 n->name, l.alias);
			continue;
		}
		if (net_nl_link_delete(&host, name, err) < 0) {
			ret = -1;
			break;
		}
	}
	net_sock_close(&host);
	return ret;
}

size_t net_describe(const struct box_config *c, struct net_desc **out)
{
	struct net_desc *d = xzalloc((c->n_nets ? c->n_nets : 1) * sizeof(*d));

	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		d[i].net = n;
		if (n->type != NET_VETH)
			continue;
		net_host_ifname(c->name, n->name, d[i].host_ifname);
		d[i].hwaddr_default = !n->has_hwaddr;
		if (n->has_hwaddr)
			memcpy(d[i].hwaddr, n->hwaddr, 6);
		else
			net_default_hwaddr(c->name, n->name, d[i].hwaddr);
		net_format_hwaddr(d[i].hwaddr, d[i].hwaddr_text);
	}
	*out = d;
	return c->n_nets;
}

char *net_ipv4_list(const struct box_config *c)
{
	char *list = xstrdup("");

	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH)
			continue;
		for (size_t j = 0; j < n->n_addrs; j++) {
			const struct box_addr *a = &n->addrs[j];
			if (a->family != AF_INET)
				continue;
			size_t len = strcspn(a->text, "/");
			char *next = xasprintf("%s%s%.*s", list, list[0] ? "," : "", (int)len, a->text);
			free(list);
			list = next;
		}
	}
	return list;
}

void net_bridge_warnings(const struct box_config *c, const struct box_global *g, char ***warnings)
{
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH || !n->bridge[0] || global_find_bridge(g, n->bridge) ||
		    if_nametoindex(n->bridge))
			continue;
		cleanup_free char *w = xasprintf(
		    "%s:%u: network %s: bridge %s neither exists on this host nor is declared in %s: box start makes "
		    "it empty, and the container's network reaches nothing (declare it there with the host's "
		    "address, or set bridge = an existing one)",
		    c->path ? c->path : c->name, n->line_of_bridge, n->name, n->bridge,
		    g && g->path ? g->path : "boxes.conf");
		strv_push(warnings, w);
	}
}
