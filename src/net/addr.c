/* Addresses and routes: one RTM_NEWADDR / RTM_NEWROUTE each. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "net/internal.h"
#include "base/util.h"

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static struct nl_msg *addr_msg(int type, int flags, int ifindex, const struct box_addr *a)
{
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char)a->family,
		.ifa_prefixlen = (unsigned char)a->prefix,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned)ifindex,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);
	size_t len = addr_len(a->family);

	if (!m)
		oom();
	/* No duplicate address detection: the address works the moment init
	 * runs, instead of ~1 s later (LXC does the same). Conflicts between
	 * containers are refused from the configs before start. */
	if (a->family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	if (nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 || nla_put(m, IFA_LOCAL, (int)len, a->addr) < 0 ||
	    nla_put(m, IFA_ADDRESS, (int)len, a->addr) < 0)
		oom();
	if (a->family == AF_INET6) {
		if (nla_put_u32(m, IFA_FLAGS, IFA_F_NODAD) < 0)
			oom();
	} else if (a->prefix < 31) {
		/* as `ip addr add ... brd +`: without it the kernel leaves
		 * 0.0.0.0 (anchors P6) */
		unsigned char brd[4];
		memcpy(brd, a->addr, 4);
		for (unsigned i = a->prefix; i < 32; i++)
			brd[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		if (nla_put(m, IFA_BROADCAST, 4, brd) < 0)
			oom();
	}
	return m;
}

int net_nl_addr_add(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *a, box_err_t *err)
{
	net_sock_reset(s);
	int r = nl_send_sync(s->sk, addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a));
	return r < 0 ? net_sock_fail(s, r, err, "adding address %s to %s", a->text, ifname) : 0;
}

int net_nl_addr_del(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *a, box_err_t *err)
{
	net_sock_reset(s);
	int r = nl_send_sync(s->sk, addr_msg(RTM_DELADDR, 0, ifindex, a));
	if (r < 0 && net_sock_errno(s, r) == EADDRNOTAVAIL)
		return 0;
	return r < 0 ? net_sock_fail(s, r, err, "removing address %s from %s", a->text, ifname) : 0;
}

int net_nl_route_add_onlink(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			    box_err_t *err)
{
	struct rtmsg rt = {
		.rtm_family = (unsigned char)gw->family,
		.rtm_dst_len = (unsigned char)(gw->family == AF_INET6 ? 128 : 32),
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	int r;

	if (!m)
		oom();
	if (nlmsg_append(m, &rt, sizeof(rt), NLMSG_ALIGNTO) < 0 ||
	    nla_put(m, RTA_DST, (int)addr_len(gw->family), gw->addr) < 0 ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0)
		oom();
	net_sock_reset(s);
	r = nl_send_sync(s->sk, m);
	return r < 0 ? net_sock_fail(s, r, err, "adding the on-link route to the gateway %s on %s", gw->text, ifname)
		     : 0;
}

static struct nl_msg *default_msg(int type, int flags, int ifindex, const struct box_addr *gw)
{
	struct rtmsg rt = {
		.rtm_family = (unsigned char)gw->family,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (!m)
		oom();
	if (nlmsg_append(m, &rt, sizeof(rt), NLMSG_ALIGNTO) < 0 ||
	    nla_put(m, RTA_GATEWAY, (int)addr_len(gw->family), gw->addr) < 0 ||
	    nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0)
		oom();
	return m;
}

int net_nl_route_add_default(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			     box_err_t *err)
{
	net_sock_reset(s);
	int r = nl_send_sync(s->sk, default_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex, gw));
	return r < 0 ? net_sock_fail(s, r, err, "adding the default route via %s on %s", gw->text, ifname) : 0;
}

int net_nl_route_del_default(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			     box_err_t *err)
{
	net_sock_reset(s);
	int r = nl_send_sync(s->sk, default_msg(RTM_DELROUTE, 0, ifindex, gw));
	if (r < 0 && (net_sock_errno(s, r) == ESRCH || net_sock_errno(s, r) == ENODEV))
		return 0;
	return r < 0 ? net_sock_fail(s, r, err, "removing the default route via %s on %s", gw->text, ifname) : 0;
}
