/* Managed bridges: what boxes runs for a bridge whose boxes.conf section
 * says nat, dhcp or dns = yes, and a container's forwards, brought up at a
 * container's start and taken down at its stop.
 *
 *   start (after the veths exist):  managed_up(c, g, &m, err)
 *   stop (after the veths are gone): managed_down(m, err); managed_free(m)
 *   a dead supervisor's leftovers:   managed_cleanup(c, g, err)
 *   box bridge start/stop:           managed_bridge_start(b, err) / managed_bridge_stop(...)
 *
 * A bridge is in use while a port on it is a container's veth (alias
 * "boxes:..."): the last container's stop ends its dnsmasq and removes its
 * masquerading (and the boxes table, when nothing else is in it). Each bridge
 * has a lock (<run>/bridges.d/BRIDGE/lock) around those decisions, so that a
 * start racing a stop never finds the bridge half taken down. A container
 * without a managed bridge and without forwards costs nothing here: no file,
 * no library loaded. */
#ifndef BOX_NET_MANAGED_H
#define BOX_NET_MANAGED_H

#include <stdbool.h>

#include "config/config.h"
#include "base/log.h"

struct managed; /* what managed_up did, for managed_down */

/* Masquerading, dnsmasq (started, or restarted with the container's static
 * lease and name), forwards. On failure *out is NULL: the caller removes
 * the veths, then calls managed_cleanup. */
int managed_up(const struct box_config *c, const struct box_global *g, struct managed **out, box_err_t *err);
/* Forwards removed, the container's dnsmasq entries removed, bridges no
 * container uses any more released. Tries everything, reports the first
 * failure. NULL is fine. */
int managed_down(struct managed *m, box_err_t *err);
void managed_free(struct managed *m);
/* managed_down from the config alone (a supervisor that died). */
int managed_cleanup(const struct box_config *c, const struct box_global *g, box_err_t *err);

/* box bridge start: masquerading and dnsmasq now, without a container. */
int managed_bridge_start(const struct box_bridge *b, box_err_t *err);
/* box bridge stop: dnsmasq stopped and masquerading removed. With containers
 * on the bridge refused (naming them in the error) unless force. */
int managed_bridge_stop(const char *bridge, bool force, box_err_t *err);
/* The containers whose veths are on the bridge now (from the ports' aliases),
 * NULL-terminated (strv_free). */
char **managed_bridge_users(const char *bridge);

#endif
