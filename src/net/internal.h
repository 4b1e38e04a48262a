/* Internals of the net module, shared by its files (net*.c) and its tests;
 * not an API for other modules (they use net.h).
 *
 * One rtnetlink socket per network namespace, through libnl-route. libnl
 * folds kernel errors into its own NLE_* codes and loses the kernel's
 * extended-ACK text ("Nexthop has invalid gateway"), so each socket keeps the
 * errno and that text of the last NLMSG_ERROR it saw: messages then say
 * what the kernel said. Every verb is one request and one answer, no cache. */
#ifndef BOX_NET_NL_H
#define BOX_NET_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "base/log.h"

struct nl_sock;
struct rtnl_link;

/* rtnl_link_put for a cleanup attribute (net/link.c). */
void net_link_putp(struct rtnl_link **l);
#define cleanup_link __attribute__((cleanup(net_link_putp)))

struct net_sock {
	struct nl_sock *sk;
	int errnum;    /* errno of the last kernel error (0 = none) */
	char msg[160]; /* its extended-ACK text, "" if none */
};

/* Opens a socket in the caller's network namespace, or in the one netns_fd
 * refers to (-1 = the caller's). */
int net_sock_open(struct net_sock *s, int netns_fd, box_err_t *err);
void net_sock_close(struct net_sock *s);
/* Turns libnl's result `nlerr` (< 0) into a box error "WHAT: kernel text:
 * strerror", with the kernel's own errno when it sent one. */
int net_sock_fail(struct net_sock *s, int nlerr, box_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The errno behind `nlerr`: the kernel's own when it sent one. */
int net_sock_errno(struct net_sock *s, int nlerr);
/* Clears the remembered kernel error before a request. */
void net_sock_reset(struct net_sock *s);

/* What a lookup found. */
struct net_link {
	int ifindex;
	unsigned mtu;
	char kind[16];	 /* "bridge", "veth", "" for a physical device */
	char alias[128]; /* IFLA_IFALIAS, "" if none */
};

/* Looks a link up by name: 1 found, 0 not there, -1 error. */
int net_nl_link_find(struct net_sock *s, const char *name, struct net_link *out, box_err_t *err);
/* Deletes a link by name; one already gone is fine (returns 0). */
int net_nl_link_delete(struct net_sock *s, const char *name, box_err_t *err);
/* Brings a link up (by index). */
int net_nl_link_up(struct net_sock *s, int ifindex, const char *name, box_err_t *err);
/* Sets a link's alias (by name). */
int net_nl_link_set_alias(struct net_sock *s, const char *name, const char *alias, box_err_t *err);

/* Creates bridge `name` (up, with a stable MAC so that it does not take a
 * port's, mtu if non-zero). -1 with errno EEXIST in *err if it appeared
 * meanwhile. */
int net_nl_bridge_create(struct net_sock *s, const char *name, unsigned mtu, box_err_t *err);

struct net_veth {
	const char *host;	       /* host-side name */
	int master;		       /* bridge ifindex, 0 = none */
	unsigned mtu;		       /* both ends, 0 = kernel default */
	const unsigned char *host_mac; /* NULL = kernel's choice */
	const char *peer;	       /* name of the peer in its netns */
	const unsigned char *peer_mac;
	int peer_netns_fd; /* where the peer is created */
};
/* Creates the pair in one request: host end up (on its bridge), peer (down)
 * created directly in the target netns with its final name and MAC. */
int net_nl_veth_create(struct net_sock *s, const struct net_veth *v, box_err_t *err);

/* Adds an address (IPv6 with IFA_F_NODAD, IPv4 with its broadcast). */
int net_nl_addr_add(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *a, box_err_t *err);
/* Adds a host route to gw on ifindex with scope link: the way to a gateway
 * outside every subnet of the interface (ip route add GW dev IF). */
int net_nl_route_add_onlink(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			    box_err_t *err);
/* Adds the default route of gw's family via gw on ifindex. */
int net_nl_route_add_default(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			     box_err_t *err);

/* Sets a link's MTU (by name). */
int net_nl_link_set_mtu(struct net_sock *s, const char *name, unsigned mtu, box_err_t *err);
/* Puts a link on bridge `master` (ifindex; 0 = off any bridge). */
int net_nl_link_set_master(struct net_sock *s, const char *name, int master, box_err_t *err);
/* Removes an address; one not there is fine (0). */
int net_nl_addr_del(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *a, box_err_t *err);
/* Removes the default route of gw's family via gw on ifindex; none is fine. */
int net_nl_route_del_default(struct net_sock *s, int ifindex, const char *ifname, const struct box_addr *gw,
			     box_err_t *err);

/* ---- net.c's steps, shared with live.c ---- */

/* The host ends made so far (what teardown removes). */
struct net_state {
	size_t n;
	char (*hosts)[IFNAMSIZ];
};
/* "boxes:CONTAINER:IFNAME", the host end's alias (malloc'd). */
char *net_owner_alias(const char *container, const char *ifname);
/* The bridge `name`: found, or made as boxes.conf describes it (g may be NULL). */
int net_ensure_bridge(struct net_sock *h, const struct box_global *g, const char *name, struct net_link *br,
		      box_err_t *err);
/* One veth section's pair, host side (peer created in netns_fd); its host
 * end is added to s. */
int net_make_veth(struct net_sock *h, const struct box_config *c, const struct box_net *n, const struct net_link *br,
		  int netns_fd, struct net_state *s, box_err_t *err);
/* One veth section, inside: up, addresses, default routes. */
int net_configure_inside(struct net_sock *in, const struct box_net *n, box_err_t *err);
/* Whether gw lies outside every subnet of n's addresses (on-link route). */
bool net_gateway_offlink(const struct box_net *n, const struct box_addr *gw);

/* The MAC boxes gives a bridge it creates (locally administered, stable). */
void net_bridge_hwaddr(const char *bridge, unsigned char mac[6]);
/* The host end's MAC: first byte 0xfe, stable. */
void net_host_hwaddr(const char *container, const char *ifname, unsigned char mac[6]);

#endif
