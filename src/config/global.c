/* boxes.conf: host-wide settings (cgroup parent, bridges). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/internal.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/values.h"

/* "10.77.0.100-10.77.0.199" */
static void dhcp_range_hand(struct cfg_ctx *ctx, struct box_bridge *b, const char *text, unsigned line, const char *key)
{
	cleanup_free char *first = xstrdup(text);
	char *last = strchr(first, '-');
	value_why_t why;
	if (last)
		*last++ = '\0';
	if (!last || value_ip(first, &b->dhcp_start, why) < 0 || value_ip(last, &b->dhcp_end, why) < 0 ||
	    b->dhcp_start.family != AF_INET || b->dhcp_end.family != AF_INET) {
		ctx_error(ctx, line, key, "'%s' is not an IPv4 range (FIRST-LAST, like 10.77.0.100-10.77.0.199)", text);
		return;
	}
	if (memcmp(b->dhcp_start.addr, b->dhcp_end.addr, 4) > 0) {
		ctx_error(ctx, line, key, "'%s' ends before it starts (FIRST-LAST, FIRST the lower)", text);
		return;
	}
	b->has_dhcp_range = true;
	b->line_of_dhcp_range = line;
}

/* The bridge's first IPv4 address, NULL if none. */
static const struct box_addr *bridge_ipv4(const struct box_bridge *b)
{
	for (size_t i = 0; i < b->n_addrs; i++)
		if (b->addrs[i].family == AF_INET)
			return &b->addrs[i];
	return NULL;
}

/* nat, dhcp, dns need the host's address on the bridge; the range lies in
 * its subnet, by default the upper half of it (the lower for fixed ones). */
static void check_managed(struct cfg_ctx *ctx, struct box_bridge *b, const char *where)
{
	const struct box_addr *v4 = bridge_ipv4(b);
	const char *what = b->nat ? "nat" : b->dhcp ? "dhcp" : b->dns ? "dns" : NULL;
	cleanup_free char *section = xasprintf("bridge %s", b->name);
	if (what && !b->n_addrs)
		ctx_error(ctx, b->line, section, "%s = yes needs the host's address on the bridge (address = ...)",
			  what);
	if (b->dhcp && b->n_addrs && !v4)
		ctx_error(ctx, b->line, section, "dhcp = yes needs an IPv4 address on the bridge (DHCP is IPv4)");
	if (b->has_dhcp_range && !b->dhcp) {
		cleanup_free char *key = xasprintf("%sdhcp_range", where);
		ctx_warn(ctx, b->line_of_dhcp_range, key, "is set, but dhcp = no: nothing hands it out");
	}
	if (!v4 || !b->dhcp)
		return;
	if (b->has_dhcp_range) {
		bool in = false;
		for (size_t i = 0; i < b->n_addrs && !in; i++)
			in = value_addr_in_subnet(&b->addrs[i], &b->dhcp_start) &&
			     value_addr_in_subnet(&b->addrs[i], &b->dhcp_end);
		if (!in) {
			cleanup_free char *key = xasprintf("%sdhcp_range", where);
			ctx_error(ctx, b->line_of_dhcp_range, key,
				  "%s-%s is not inside the bridge's IPv4 subnet %s (a range of its addresses)",
				  b->dhcp_start.text, b->dhcp_end.text, v4->text);
		}
		return;
	}
	if (v4->prefix > 30) {
		ctx_error(ctx, b->line, section, "dhcp = yes needs a subnet of 4 addresses or more (%s)", v4->text);
		return;
	}
	uint32_t ip = ntohl(*(const uint32_t *)v4->addr), size = 1u << (32 - v4->prefix);
	uint32_t net = ip & ~(size - 1), first = net + size / 2, last = net + size - 2;
	b->dhcp_start = *v4;
	b->dhcp_end = *v4;
	*(uint32_t *)b->dhcp_start.addr = htonl(first);
	*(uint32_t *)b->dhcp_end.addr = htonl(last);
	inet_ntop(AF_INET, b->dhcp_start.addr, b->dhcp_start.text, sizeof(b->dhcp_start.text));
	inet_ntop(AF_INET, b->dhcp_end.addr, b->dhcp_end.text, sizeof(b->dhcp_end.text));
	b->has_dhcp_range = true;
}

static void bridge_hand(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
			const char *key)
{
	struct box_bridge *b = obj;
	value_why_t why;
	struct box_addr a;
	if (!strcmp(k->name, "dhcp_range")) {
		dhcp_range_hand(ctx, b, text, line, key);
		return;
	}
	if (strcmp(k->name, "address"))
		return;
	if (value_cidr(text, &a, why) < 0) {
		ctx_error(ctx, line, key, "'%s' %s", text, why);
		return;
	}
	a.line = line;
	b->addrs = xrealloc(b->addrs, (b->n_addrs + 1) * sizeof(*b->addrs));
	b->addrs[b->n_addrs++] = a;
}

int global_load_buffer_report(const char *buf, size_t len, const char *label, struct box_global **out, char ***errors,
			      char ***warnings, box_err_t *err)
{
	struct cfg_ctx ctx = { .label = label };
	if (ctx_too_large(label, len, errors, warnings, err) < 0)
		return -1;
	struct box_global *g = xzalloc(sizeof(*g));
	g->path = xstrdup(label);
	{
		cleanup_cfg cfg_t *cfg = config_parse_text(&ctx, SC_GLOBAL, buf, len);
		config_apply_scope(&ctx, cfg, SC_GLOBAL, g, "", bridge_hand);
		unsigned n = cfg_size(cfg, "bridge");
		g->bridges = xzalloc((n + 1) * sizeof(*g->bridges));
		for (unsigned i = 0; i < n; i++) {
			cfg_t *sec = cfg_getnsec(cfg, "bridge", i);
			struct box_bridge *b = &g->bridges[g->n_bridges++];
			const char *title = cfg_title(sec);
			b->line = config_section_line(sec);
			cleanup_free char *where = xasprintf("bridge %s: ", title);
			value_why_t why;
			if (value_ifname(title, why) < 0) {
				cleanup_free char *section = xasprintf("bridge %s", title);
				ctx_error(&ctx, b->line, section, "'%s' %s", title, why);
			} else {
				snprintf(b->name, sizeof(b->name), "%s", title);
			}
			config_apply_scope(&ctx, sec, SC_BRIDGE, b, where, bridge_hand);
			for (size_t j = 0; j < b->n_addrs; j++)
				for (size_t k = 0; k < j; k++)
					if (value_addr_same_ip(&b->addrs[j], &b->addrs[k])) {
						cleanup_free char *key = xasprintf("%saddress", where);
						ctx_error(&ctx, b->addrs[j].line, key, "%s is listed twice (each once)",
							  b->addrs[j].text);
					}
			if (!ctx.parse_failed)
				check_managed(&ctx, b, where);
		}
	}
	if (ctx_finish(&ctx, errors, warnings, err) < 0) {
		global_free(g);
		return -1;
	}
	if (out)
		*out = g;
	else
		global_free(g);
	return 0;
}

int global_load(struct box_global **out, box_err_t *err)
{
	cleanup_free char *path = paths_global_config_path();
	cleanup_free char *buf = NULL;
	size_t len = 0;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return global_load_buffer_report("", 0, path, out, NULL, NULL, err);
	if (read_file_at(AT_FDCWD, path, &buf, &len, err) < 0)
		return -1;
	return global_load_buffer_report(buf, len, path, out, NULL, NULL, err);
}

void global_free(struct box_global *g)
{
	if (!g)
		return;
	free(g->path);
	config_scope_free(SC_GLOBAL, g);
	for (size_t i = 0; i < g->n_bridges; i++) {
		config_scope_free(SC_BRIDGE, &g->bridges[i]);
		free(g->bridges[i].addrs);
	}
	free(g->bridges);
	free(g);
}

bool global_bridge_managed(const struct box_bridge *b)
{
	return b && (b->nat || b->dhcp || b->dns);
}

/* A container on a bridge with dns = yes that names no DNS server asks the
 * bridge's dnsmasq (its first IPv4 address) and searches its domain, so
 * that "web" and "web.box" resolve inside. */
void config_dns_defaults(struct box_config *c, const struct box_global *g)
{
	if ((c->nameservers && c->nameservers[0]) || (c->searchdomains && c->searchdomains[0]))
		return;
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		const struct box_bridge *b =
		    n->type == NET_VETH && n->bridge[0] ? global_find_bridge(g, n->bridge) : NULL;
		if (!b || !b->dns)
			continue;
		for (size_t j = 0; j < b->n_addrs; j++) {
			if (b->addrs[j].family != AF_INET)
				continue;
			char ip[64];
			snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(b->addrs[j].text, "/"), b->addrs[j].text);
			strv_free(c->nameservers);
			strv_free(c->searchdomains);
			c->nameservers = xzalloc(sizeof(char *));
			c->searchdomains = xzalloc(sizeof(char *));
			strv_push(&c->nameservers, ip);
			strv_push(&c->searchdomains, b->domain);
			return;
		}
	}
}

const struct box_bridge *global_find_bridge(const struct box_global *g, const char *name)
{
	for (size_t i = 0; g && i < g->n_bridges; i++)
		if (!strcmp(g->bridges[i].name, name))
			return &g->bridges[i];
	return NULL;
}
