/* Links: lookups, bridges, veth pairs, up, alias, delete.
 *
 * Requests that change something are built by hand with libnl's message API
 * rather than from rtnl_link objects: libnl leaves ifi_change at 0, which
 * the kernel reads as "set every flag to exactly ifi_flags" and so clears
 * IFF_MULTICAST when we only meant IFF_UP (and IPv6 neighbour discovery
 * needs multicast). Lookups use rtnl_link_get_kernel (one GETLINK, no cache). */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <string.h>

#include "net/internal.h"
#include "base/util.h"

static struct nl_msg *link_msg(int type, int flags, int ifindex, unsigned up)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = up,
		.ifi_change = up,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (!m || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		oom();
	return m;
}

/* nla_put* only fail when the message buffer (a page) is full; ours are tiny. */
#define PUT(call)                                                                                                      \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			oom();                                                                                         \
	} while (0)

void net_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}

static int send_sync(struct net_sock *s, struct nl_msg *m)
{
	net_sock_reset(s);
	return nl_send_sync(s->sk, m); /* frees m */
}

int net_nl_link_find(struct net_sock *s, const char *name, struct net_link *out, box_err_t *err)
{
	cleanup_link struct rtnl_link *l = NULL;
	const char *kind, *alias;
	int r;

	net_sock_reset(s);
	r = rtnl_link_get_kernel(s->sk, 0, name, &l);
	if (r < 0) {
		if (net_sock_errno(s, r) == ENODEV || net_sock_errno(s, r) == ENOENT)
			return 0;
		return net_sock_fail(s, r, err, "looking up network interface %s", name);
	}
	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	out->mtu = rtnl_link_get_mtu(l);
	kind = rtnl_link_get_type(l);
	alias = rtnl_link_get_ifalias(l);
	snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
	snprintf(out->alias, sizeof(out->alias), "%s", alias ? alias : "");
	return 1;
}

int net_nl_link_delete(struct net_sock *s, const char *name, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_DELLINK, 0, 0, 0);
	int r;

	PUT(nla_put_string(m, IFLA_IFNAME, name));
	r = send_sync(s, m);
	if (r < 0) {
		if (net_sock_errno(s, r) == ENODEV)
			return 0;
		return net_sock_fail(s, r, err, "removing network interface %s", name);
	}
	return 0;
}

int net_nl_link_up(struct net_sock *s, int ifindex, const char *name, box_err_t *err)
{
	int r = send_sync(s, link_msg(RTM_NEWLINK, 0, ifindex, IFF_UP));

	return r < 0 ? net_sock_fail(s, r, err, "bringing %s up", name) : 0;
}

int net_nl_link_set_alias(struct net_sock *s, const char *name, const char *alias, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, 0, 0, 0);
	int r;

	PUT(nla_put_string(m, IFLA_IFNAME, name));
	PUT(nla_put_string(m, IFLA_IFALIAS, alias));
	r = send_sync(s, m);
	return r < 0 ? net_sock_fail(s, r, err, "setting the alias of %s", name) : 0;
}

int net_nl_bridge_create(struct net_sock *s, const char *name, unsigned mtu, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, IFF_UP);
	struct nlattr *info;
	unsigned char mac[6];
	int r;

	/* An address set at creation is kept: without it the bridge takes the
	 * lowest MAC of its ports, which changes as containers come and go and
	 * makes every neighbour's ARP entry for the bridge stale. */
	net_bridge_hwaddr(name, mac);
	PUT(nla_put_string(m, IFLA_IFNAME, name));
	PUT(nla_put(m, IFLA_ADDRESS, sizeof(mac), mac));
	if (mtu)
		PUT(nla_put_u32(m, IFLA_MTU, mtu));
	if (!(info = nla_nest_start(m, IFLA_LINKINFO)))
		oom();
	PUT(nla_put_string(m, IFLA_INFO_KIND, "bridge"));
	nla_nest_end(m, info);
	r = send_sync(s, m);
	return r < 0 ? net_sock_fail(s, r, err, "creating bridge %s", name) : 0;
}

int net_nl_veth_create(struct net_sock *s, const struct net_veth *v, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, IFF_UP);
	/* the peer cannot be created up: the kernel opens it before it is
	 * paired (ENOTCONN); it is brought up from inside */
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct nlattr *info, *data, *pi;
	int r;

	PUT(nla_put_string(m, IFLA_IFNAME, v->host));
	if (v->mtu)
		PUT(nla_put_u32(m, IFLA_MTU, v->mtu));
	if (v->host_mac)
		PUT(nla_put(m, IFLA_ADDRESS, 6, v->host_mac));
	if (v->master)
		PUT(nla_put_u32(m, IFLA_MASTER, v->master));
	if (!(info = nla_nest_start(m, IFLA_LINKINFO)))
		oom();
	PUT(nla_put_string(m, IFLA_INFO_KIND, "veth"));
	if (!(data = nla_nest_start(m, IFLA_INFO_DATA)) || !(pi = nla_nest_start(m, VETH_INFO_PEER)))
		oom();
	/* the peer's ifinfomsg, then its attributes */
	PUT(nlmsg_append(m, &peer, sizeof(peer), NLMSG_ALIGNTO));
	PUT(nla_put_string(m, IFLA_IFNAME, v->peer));
	if (v->mtu)
		PUT(nla_put_u32(m, IFLA_MTU, v->mtu));
	if (v->peer_mac)
		PUT(nla_put(m, IFLA_ADDRESS, 6, v->peer_mac));
	/* Created directly in the container's namespace: no move, no rename,
	 * and it never shows up on the host under the container's name. */
	PUT(nla_put_u32(m, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd));
	nla_nest_end(m, pi);
	nla_nest_end(m, data);
	nla_nest_end(m, info);
	r = send_sync(s, m);
	return r < 0 ? net_sock_fail(s, r, err, "creating veth pair %s/%s", v->host, v->peer) : 0;
}

int net_nl_link_set_mtu(struct net_sock *s, const char *name, unsigned mtu, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, 0, 0, 0);
	int r;

	PUT(nla_put_string(m, IFLA_IFNAME, name));
	PUT(nla_put_u32(m, IFLA_MTU, mtu));
	r = send_sync(s, m);
	return r < 0 ? net_sock_fail(s, r, err, "setting the MTU of %s to %u", name, mtu) : 0;
}

int net_nl_link_set_master(struct net_sock *s, const char *name, int master, box_err_t *err)
{
	struct nl_msg *m = link_msg(RTM_NEWLINK, 0, 0, 0);
	int r;

	PUT(nla_put_string(m, IFLA_IFNAME, name));
	PUT(nla_put_u32(m, IFLA_MASTER, (uint32_t)master));
	r = send_sync(s, m);
	return r < 0
		   ? net_sock_fail(s, r, err, "%s %s", master ? "putting on its bridge" : "taking off its bridge", name)
		   : 0;
}
