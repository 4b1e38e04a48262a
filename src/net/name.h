/* The names and MACs boxes gives a container's interfaces: stable (the
 * same container and interface always get the same), from a hash of the
 * names. */
#ifndef BOX_NET_NAME_H
#define BOX_NET_NAME_H

#include <net/if.h>

/* The host-side name of interface `ifname` of `container`: deterministic,
 * unique, fits IFNAMSIZ ("vb" + hash). */
void net_host_ifname(const char *container, const char *ifname, char out[IFNAMSIZ]);
/* The default MAC: locally administered, stable, from container and interface name. */
void net_default_hwaddr(const char *container, const char *ifname, unsigned char mac[6]);
/* "02:ab:cd:ef:01:23" */
void net_format_hwaddr(const unsigned char mac[6], char out[18]);

#endif
