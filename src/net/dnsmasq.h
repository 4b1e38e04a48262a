/* dnsmasq for a managed bridge (dhcp = yes or dns = yes), one per bridge,
 * as LXC's lxc-net and Incus run it. dnsmasq is the field's standard part
 * for DHCP and DNS; it is the one program boxes execs.
 *
 * Who restarts it when it dies: a small per-bridge daemon of boxes (a
 * double-forked `box` process, setsid, a few hundred KB) that runs it and
 * waits on its pidfd. Not the container supervisors: a bridge outlives any
 * one container, several supervisors would race to restart it, and
 * supervisor.c's loop stays about one container. The daemon holds
 * <run>/bridges.d/BRIDGE/daemon.lock while it lives (that is how the others
 * know it runs); SIGHUP makes it restart dnsmasq (which then reads the
 * containers' entries again; dnsmasq itself drops root for nobody and could
 * not read them again under a 0700 root), SIGTERM stops both.
 *
 * Files: <run>/bridges.d/BRIDGE/{dnsmasq.conf, hosts/NAME.conf, daemon.pid,
 * dnsmasq.pid}, leases in <state>/bridges.d/BRIDGE/leases (kept across
 * restarts of the host: a container with address = dhcp keeps its address),
 * dnsmasq's and the daemon's log <log>/bridges.d/BRIDGE.log.
 *
 * Callers hold the bridge's lock (net/managed.h) around ensure and stop. */
#ifndef BOX_NET_DNSMASQ_H
#define BOX_NET_DNSMASQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "base/log.h"

#define DNSMASQ_BIN "/usr/sbin/dnsmasq"

/* Writes the bridge's dnsmasq.conf and starts its daemon (returns once
 * dnsmasq has started, or with dnsmasq's own error); a running one is told
 * to restart (it reads the entries again). */
int dnsmasq_ensure(const struct box_bridge *b, box_err_t *err);
/* Stops the daemon and dnsmasq, if running; returns once both are gone. */
int dnsmasq_stop(const char *bridge, box_err_t *err);
/* True when the bridge's daemon runs; *pid (may be NULL) gets dnsmasq's pid (0 if none now). */
bool dnsmasq_running(const char *bridge, pid_t *pid);
/* The container's entries for its interfaces on bridge b (a static lease
 * for a fixed address, its name) in the bridge's hosts/NAME.conf; an
 * existing daemon is not told (dnsmasq_ensure does). */
int dnsmasq_host_set(const struct box_bridge *b, const struct box_config *c, box_err_t *err);
/* Removes them (none: fine). */
void dnsmasq_host_remove(const char *bridge, const char *container);
/* The containers that have entries on the bridge (NULL-terminated, strv_free). */
char **dnsmasq_hosts(const char *bridge);
/* The IPv4 address leased to mac on the bridge, from the lease file: 1 found, 0 not. */
int dnsmasq_lease(const char *bridge, const unsigned char mac[6], char *ip, size_t len);

#endif
