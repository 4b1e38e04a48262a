/* The container's network, all through libnl-3 / libnl-route-3 (no `ip`, no
 * `brctl`): bridges, veth pairs, addresses, routes, MTU, MAC.
 *
 * Called by the supervisor after the child has been cloned into its new
 * network namespace and before it is told to exec init, so that init finds
 * its interfaces configured (as LXC's lxc.net.N.ipv4.* do). */
#ifndef BOX_NET_H
#define BOX_NET_H

#include <net/if.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"

struct net_state; /* what was made on the host side */

/* Creates bridges that are missing (address from boxes.conf), one veth pair
 * per veth section with the host end on its bridge, moves each peer into the
 * netns of `child`, renames, sets MAC/MTU/addresses/default routes there, and
 * brings `lo` up. type=empty gets only lo; type=host is not called here (no
 * new netns). On failure removes what it made. */
int net_setup(const struct box_config *c, const struct box_global *g, pid_t child, struct net_state **out,
	      box_err_t *err);
/* Removes the host ends (safe on NULL; a veth already gone with its netns is fine). */
int net_teardown(struct net_state *s, box_err_t *err);
void net_state_free(struct net_state *s);

/* The host-side name of interface `ifname` of `container`: deterministic,
 * unique, fits IFNAMSIZ ("vb" + hash). */
void net_host_ifname(const char *container, const char *ifname, char out[IFNAMSIZ]);
/* The default MAC: locally administered, stable, from container and interface name. */
void net_default_hwaddr(const char *container, const char *ifname, unsigned char mac[6]);

#endif
