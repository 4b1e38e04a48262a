/* Generated names and MACs. They are pure functions of the container and
 * interface names, so that a restart gives the same MAC (no new DHCP lease,
 * no stale ARP entries on the LAN) and the stale cleanup after a crashed
 * supervisor finds the host ends from the config alone. */
#include <stdio.h>
#include <string.h>

#include "net/internal.h"
#include "net/name.h"

/* FNV-1a over "a\0b\0purpose", then the splitmix64 finaliser so that every
 * output bit depends on every input byte. */
/* Stable bytes from (a, b, purpose): the one hash behind every generated
 * name and MAC. */
static uint64_t net_hash(const char *a, const char *b, char purpose)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
		h = (h ^ 0) * 0x100000001b3ULL;
	}
	h = (h ^ (unsigned char)purpose) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void net_host_ifname(const char *container, const char *ifname, char out[IFNAMSIZ])
{
	/* "vb" + 13 hex digits = 15 bytes, IFNAMSIZ with the NUL; 52 bits make
	 * a clash between two containers' names practically impossible, and
	 * setup still refuses a clash (the alias names the owner). */
	uint64_t h = net_hash(container, ifname, 'n');

	snprintf(out, IFNAMSIZ, "vb%013llx", (unsigned long long)(h >> 12));
}

static void mac_from(uint64_t h, unsigned char first, unsigned char mac[6])
{
	mac[0] = first;
	for (int i = 1; i < 6; i++)
		mac[i] = (unsigned char)(h >> (8 * (i - 1)));
}

void net_default_hwaddr(const char *container, const char *ifname, unsigned char mac[6])
{
	/* 0x02: locally administered, unicast */
	mac_from(net_hash(container, ifname, 'm'), 0x02, mac);
}

void net_host_hwaddr(const char *container, const char *ifname, unsigned char mac[6])
{
	/* LXC's trick: with a high first byte the host end never becomes the
	 * lowest MAC on a bridge whose address was not set, so such a bridge
	 * keeps its own (host's) MAC instead of taking a container's. */
	mac_from(net_hash(container, ifname, 'h'), 0xfe, mac);
}

void net_bridge_hwaddr(const char *bridge, unsigned char mac[6])
{
	mac_from(net_hash(bridge, "", 'b'), 0x02, mac);
}

void net_format_hwaddr(const unsigned char mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
