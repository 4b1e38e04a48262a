/* Masquerading for a bridge with nat = yes, and the forwards of a
 * container: rules in the boxes table (net/nft.h), each group in chains of
 * its own so that removing it is exact (delete the chains by name), also
 * after a supervisor that died:
 *
 *   nat-BRIDGE           postrouting: what leaves the bridge's subnets is masqueraded
 *   fwd-NAME-pre / -out  prerouting / output: DNAT of the host's ports to the container
 *   fwd-NAME-post        postrouting: hairpin (a neighbour on the bridge via a host port)
 *   guard                forward: only while boxes itself turned IP forwarding on
 *                        (it was off): forwarded packets that touch no nat bridge are
 *                        dropped, so that the host forwards for its bridges alone
 *
 * The kernel decides forwarding by the interface a packet comes in on, and
 * the replies to a container come in on the uplinks, so a per-interface
 * forwarding switch on the bridge alone cannot work; the guard makes the
 * global one act as if it were per bridge. When the last nat bridge goes,
 * forwarding is switched back off if boxes switched it on
 * (/run/boxes-nft/forwarding-ipv4, -ipv6 record that: host-wide, as the switch is).
 *
 * Every function takes nft_lock itself. */
#ifndef BOX_NET_FORWARD_H
#define BOX_NET_FORWARD_H

#include "config/config.h"
#include "base/log.h"

/* Masquerading for bridge b (nat = yes) and forwarding on; idempotent. */
int forward_bridge_up(const struct box_bridge *b, box_err_t *err);
/* Its chain removed; forwarding back off and the table removed when unused. */
int forward_bridge_down(const char *bridge, box_err_t *err);
/* The container's forwards (none: nothing is done, nothing loaded). */
int forward_container_up(const struct box_config *c, box_err_t *err);
/* Removes the container's chains if there are any (and the table when unused). */
int forward_container_down(const char *name, box_err_t *err);
/* The IPv4 address forwards go to: the first fixed one of a veth, NULL if none. */
const struct box_addr *forward_target(const struct box_config *c);

#endif
