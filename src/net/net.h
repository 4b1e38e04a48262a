/* The container's network, all through libnl-3 / libnl-route-3 (no `ip`, no
 * `brctl`): bridges, veth pairs, addresses, routes, MTU, MAC.
 *
 * Called by the supervisor after the child has been cloned into its new
 * network namespace and before it is told to exec init, so that init finds
 * its interfaces configured (as LXC's lxc.net.N.ipv4.* do).
 *
 * For the supervisor (runtime):
 *   flags |= net_wants_netns(c) ? CLONE_NEWNET : 0;   (type = host: no netns)
 *   clone ... ; net_setup(c, g, child_pid, &ns, err)   before STEP_HOST_DONE/"go"
 *   on every exit path (failed start, init gone, stop): net_teardown(ns); net_state_free(ns)
 *   stale state of a dead supervisor: net_cleanup(c, err)
 *
 * Host-side veth ends are named "vb" + 13 hex digits of a hash of container
 * and interface name (net_host_ifname) and carry the alias
 * "boxes:CONTAINER:IFNAME", which is how setup and cleanup recognise their
 * own. Bridges that boxes creates stay when the last container stops (like
 * vmbr0 or lxcbr0). */
#ifndef BOX_NET_H
#define BOX_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "base/log.h"
#include "net/name.h"

struct net_state; /* what was made on the host side */

/* Whether the container gets its own network namespace: yes unless a
 * network section has type = host. No network section at all means an own
 * namespace with only lo, as type = empty (LXC's default too). */
bool net_wants_netns(const struct box_config *c);

/* In the child, in its new netns: lo up (one ioctl; no netlink socket and
 * no thread in the supervisor for the common container without veths). */
int net_loopback_up(box_err_t *err);

/* Creates bridges that are missing (address/mtu from boxes.conf), one veth
 * pair per veth section with the host end up on its bridge and the peer
 * created in the netns of `child` under the section's name, with its MAC
 * (configured or net_default_hwaddr), MTU (configured, else the bridge's),
 * addresses (IPv6 without DAD) and default routes. type=empty (or no
 * section): nothing, the child brings its lo up itself (net_loopback_up);
 * type=host does nothing (no new netns). On
 * failure removes what it made and *out stays NULL. With BOX_NET_TIMING=1 in
 * the environment, logs how long the steps took. g may be NULL. */
int net_setup(const struct box_config *c, const struct box_global *g, pid_t child, struct net_state **out,
	      box_err_t *err);
/* Removes the host ends (safe on NULL; a veth already gone with its netns is
 * fine). Tries every one and reports the first failure. */
int net_teardown(struct net_state *s, box_err_t *err);
void net_state_free(struct net_state *s);
/* Removes the host ends of container c found from its config alone (after a
 * crashed supervisor): only interfaces whose alias says they are c's. */
int net_cleanup(const struct box_config *c, box_err_t *err);

/* One line per veth section whose bridge neither exists on this host nor
 * is declared in boxes.conf (g may be NULL): the start would make it empty,
 * a network that reaches nothing. Appended to *warnings. */
void net_bridge_warnings(const struct box_config *c, const struct box_global *g, char ***warnings);

/* ---- live changes of a running container (box apply; net/live.c) ----
 *
 * net_live_apply changes the network of a running container from `from`
 * (the config it runs with) to `to` (its file), in netns_fd (its network
 * namespace), without a restart: a veth section only in `from` is removed
 * (its pair deleted), one only in `to` is added (made, bridged, addressed,
 * routed, as at start); one in both gets its bridge moved, its MTU set (both
 * ends) and its addresses and default routes replaced; a new hwaddr makes a
 * new pair. Sections whose type changes, and any container with a type =
 * host section, are left alone (a restart's). All or nothing: a step that
 * fails undoes every step before it, in reverse; what could not be undone
 * is appended to *warnings. Bridges it made stay (as at start).
 *
 * The steps are an API of their own, so that per-interface host rules can
 * hook in beside them: each works on one section `n` of container `c`. */
int net_live_apply(const struct box_config *from, const struct box_config *to, const struct box_global *g, int netns_fd,
		   char ***warnings, box_err_t *err);

struct net_live; /* rtnetlink sockets in the host's and the container's netns */
int net_live_open(const struct box_global *g, int netns_fd, struct net_live **out, box_err_t *err);
void net_live_close(struct net_live *l);
/* A veth pair for n: host end on its bridge (made if boxes.conf declares it),
 * peer inside, up, addressed, default routes. Undone itself on a failure. */
int net_live_add(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err);
/* Deletes n's pair (its host end, found by name and alias); gone already is fine. */
int net_live_remove(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err);
/* From `from`'s addresses and default routes to `to`'s (one interface);
 * idempotent, so readdress(to, from) undoes it from any half-way state. */
int net_live_readdress(struct net_live *l, const struct box_net *from, const struct box_net *to, box_err_t *err);
/* Both ends to n's MTU (unset: its bridge's, else 1500). */
int net_live_set_mtu(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err);
/* The host end onto n's bridge (made if declared), or off any. */
int net_live_set_bridge(struct net_live *l, const struct box_config *c, const struct box_net *n, box_err_t *err);

/* What `box info` / `box ls` show about one network section, from the config. */
struct net_desc {
	const struct box_net *net;  /* the section (name, type, bridge, addrs, gateways, mtu) */
	char host_ifname[IFNAMSIZ]; /* the host end, "" unless type = veth */
	unsigned char hwaddr[6];    /* configured, else the default (veth only) */
	char hwaddr_text[18];	    /* "" unless type = veth */
	bool hwaddr_default;	    /* true when not configured */
};
/* One entry per network section, in config order; *out is malloc'ed (free it). */
size_t net_describe(const struct box_config *c, struct net_desc **out);
/* The configured IPv4 addresses without prefix, comma-separated, "" if none
 * (for `box ls`'s IPV4 column); caller frees. */
char *net_ipv4_list(const struct box_config *c);

#endif
