/* forward PROTO/PORT { to listen } sections of <name>.conf, and the checks
 * that need more than one file: a host port forwarded by two containers,
 * address = dhcp on a bridge that has no DHCP server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/internal.h"
#include "base/util.h"
#include "config/values.h"

static void forward_hand(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
			 const char *key)
{
	struct box_forward *f = obj;
	if (strcmp(k->name, "listen"))
		return;
	memset(&f->listen, 0, sizeof(f->listen));
	if (inet_pton(AF_INET, text, f->listen.addr) != 1) {
		ctx_error(ctx, line, key, "'%s' is not an IPv4 address (forwards are IPv4: 192.0.2.7)", text);
		return;
	}
	/* DNAT from 127.0.0.1 needs route_localnet on the bridge, which would
	 * let the containers reach the host's loopback services */
	if (f->listen.addr[0] == 127) {
		ctx_error(ctx, line, key,
			  "'%s' is a loopback address: forwards do not listen there (another address of the host, "
			  "or no listen: every address but loopback)",
			  text);
		return;
	}
	f->listen.family = AF_INET;
	f->listen.prefix = 32;
	inet_ntop(AF_INET, f->listen.addr, f->listen.text, sizeof(f->listen.text));
	f->listen.line = line;
	f->has_listen = true;
}

/* "tcp/8080" -> proto and port; -1 with why. */
static int parse_title(const char *title, struct box_forward *f, value_why_t why)
{
	const char *slash = strchr(title, '/');
	long long port;
	if (slash && slash - title == 3 && !strncmp(title, "tcp", 3))
		f->proto = IPPROTO_TCP;
	else if (slash && slash - title == 3 && !strncmp(title, "udp", 3))
		f->proto = IPPROTO_UDP;
	else
		return snprintf(why, VALUE_WHY_MAX, "is not a forward (tcp/PORT or udp/PORT, like tcp/8080)"), -1;
	if (value_int(slash + 1, 1, 65535, &port, why) < 0)
		return snprintf(why, VALUE_WHY_MAX, "has no port 1..65535 after the '/' (tcp/8080)"), -1;
	f->port = (unsigned)port;
	snprintf(f->title, sizeof(f->title), "%s/%u", f->proto == IPPROTO_TCP ? "tcp" : "udp", f->port);
	return 0;
}

static bool has_fixed_ipv4(const struct box_config *c)
{
	for (size_t i = 0; i < c->n_nets; i++)
		for (size_t j = 0; c->nets[i].type == NET_VETH && j < c->nets[i].n_addrs; j++)
			if (c->nets[i].addrs[j].family == AF_INET)
				return true;
	return false;
}

void config_load_forwards(struct cfg_ctx *ctx, cfg_t *cfg, struct box_config *c)
{
	unsigned n = cfg_size(cfg, "forward");
	c->forwards = xzalloc((n + 1) * sizeof(*c->forwards));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "forward", i);
		struct box_forward *f = &c->forwards[c->n_forwards++];
		const char *title = cfg_title(sec);
		f->line = config_section_line(sec);
		cleanup_free char *where = xasprintf("forward %s: ", title);
		cleanup_free char *section = xasprintf("forward %s", title);
		value_why_t why;
		if (parse_title(title, f, why) < 0)
			ctx_error(ctx, f->line, section, "'%s' %s", title, why);
		config_apply_scope(ctx, sec, SC_FORWARD, f, where, forward_hand);
		if (!f->to)
			f->to = f->port;
		if (ctx->parse_failed || !f->port)
			continue;
		for (size_t j = 0; j + 1 < c->n_forwards; j++)
			if (c->forwards[j].proto == f->proto && c->forwards[j].port == f->port)
				ctx_error(ctx, f->line, section, "%s is already forwarded on line %u (each port once)",
					  f->title, c->forwards[j].line);
		if (!has_fixed_ipv4(c))
			ctx_error(ctx, f->line, section,
				  "the container has no fixed IPv4 address to forward to (a network section with "
				  "address = 10.77.0.10/24, say)");
	}
}

int config_forward_conflicts(const struct box_config *c, const struct box_config *other, box_err_t *err)
{
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct box_forward *f = &c->forwards[i];
		for (size_t j = 0; j < other->n_forwards; j++) {
			const struct box_forward *o = &other->forwards[j];
			if (o->proto != f->proto || o->port != f->port)
				continue;
			if (f->has_listen && o->has_listen && !value_addr_same_ip(&f->listen, &o->listen))
				continue;
			return box_usage_error(err,
					       "%s:%u: forward %s: container %s forwards that host port already "
					       "(%s:%u; each host port to one container)",
					       c->path, f->line, f->title, other->name, other->path, o->line);
		}
	}
	return 0;
}

int config_dhcp_bridges(const struct box_config *c, const struct box_global *g, box_err_t *err)
{
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (!n->dhcp || n->type != NET_VETH)
			continue;
		const struct box_bridge *b = n->bridge[0] ? global_find_bridge(g, n->bridge) : NULL;
		if (b && b->dhcp)
			continue;
		if (!n->bridge[0])
			return box_usage_error(err,
					       "%s:%u: network %s: address: dhcp needs a bridge whose section in "
					       "boxes.conf says dhcp = yes (set bridge = ...)",
					       c->path, n->line_of_dhcp, n->name);
		return box_usage_error(err,
				       "%s:%u: network %s: address: dhcp, but bridge %s has no DHCP server (say dhcp "
				       "= yes in its section of %s)",
				       c->path, n->line_of_dhcp, n->name, n->bridge,
				       g && g->path ? g->path : "boxes.conf");
	}
	return 0;
}
