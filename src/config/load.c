/* Loading <name>.conf: libconfuse parses (config/parse.c), the schema table
 * converts (defaults included), and the checks across keys and sections
 * below find what no single value shows. Every error is collected. */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/internal.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/values.h"

static void net_hand(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		     const char *key)
{
	struct box_net *n = obj;
	value_why_t why;
	struct box_addr a;
	if (!strcmp(k->name, "address")) {
		if (value_cidr(text, &a, why) < 0) {
			ctx_error(ctx, line, key, "'%s' %s", text, why);
			return;
		}
		a.line = line;
		n->addrs = xrealloc(n->addrs, (n->n_addrs + 1) * sizeof(*n->addrs));
		n->addrs[n->n_addrs++] = a;
	} else if (!strcmp(k->name, "gateway")) {
		if (value_ip(text, &a, why) < 0) {
			ctx_error(ctx, line, key, "'%s' %s", text, why);
			return;
		}
		a.line = line;
		bool v4 = a.family == AF_INET;
		if (v4 ? n->has_gateway4 : n->has_gateway6) {
			ctx_error(ctx, line, key, "a second %s gateway '%s' (at most one IPv4 and one IPv6 gateway)",
				  v4 ? "IPv4" : "IPv6", text);
			return;
		}
		if (v4) {
			n->has_gateway4 = true;
			n->gateway4 = a;
		} else {
			n->has_gateway6 = true;
			n->gateway6 = a;
		}
	} else if (!strcmp(k->name, "hwaddr")) {
		if (value_mac(text, n->hwaddr, why) < 0) {
			ctx_error(ctx, line, key, "'%s' %s", text, why);
			return;
		}
		n->has_hwaddr = true;
		n->line_of_hwaddr = line;
	}
}

static void no_hand(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		    const char *key)
{
}

/* Checks inside one network section. */
static void check_net(struct cfg_ctx *ctx, struct box_net *n, const char *where)
{
	static const char *const veth_only[] = { "bridge", "address", "gateway", "hwaddr", "mtu" };
	if (n->type != NET_VETH) {
		for (size_t i = 0; i < ARRAY_SIZE(veth_only); i++) {
			unsigned l = config_key_line(ctx, SC_NETWORK, veth_only[i]);
			cleanup_free char *section = xasprintf("network %s", n->name);
			if (l)
				ctx_error(ctx, l, section,
					  "%s is set, but type = %s has no veth to carry it (remove it, or "
					  "type = veth)",
					  veth_only[i], config_net_type_name(n->type));
		}
	}
	const struct box_addr *gws[2] = { n->has_gateway4 ? &n->gateway4 : NULL,
					  n->has_gateway6 ? &n->gateway6 : NULL };
	for (int g = 0; g < 2; g++) {
		const struct box_addr *gw = gws[g];
		if (!gw)
			continue;
		cleanup_free char *key = xasprintf("%sgateway", where);
		bool family_seen = false;
		for (size_t i = 0; i < n->n_addrs; i++) {
			if (n->addrs[i].family != gw->family)
				continue;
			family_seen = true;
			if (value_addr_same_ip(&n->addrs[i], gw)) {
				ctx_error(ctx, gw->line, key,
					  "%s is this interface's own address (the router's address)", gw->text);
				break;
			}
		}
		const char *fam = gw->family == AF_INET ? "IPv4" : "IPv6";
		/* an IPv6 router is often only known by its link-local address */
		bool link_local = gw->family == AF_INET6 && gw->addr[0] == 0xfe && (gw->addr[1] & 0xc0) == 0x80;
		if (link_local)
			continue;
		/* one outside every subnet (the routed /32 of hosting providers)
		 * is fine: the start adds an on-link host route to it first, as
		 * Proxmox does (net_setup) */
		if (!family_seen)
			ctx_error(ctx, gw->line, key, "%s needs an %s address on this interface (address = ...)",
				  gw->text, fam);
	}
	if (n->mtu && n->mtu < 1280) {
		for (size_t i = 0; i < n->n_addrs; i++) {
			if (n->addrs[i].family == AF_INET6) {
				cleanup_free char *key = xasprintf("%smtu", where);
				ctx_error(
				    ctx, config_key_line(ctx, SC_NETWORK, "mtu"), key,
				    "%u is below 1280, the least IPv6 works with (68..65535, 1280 or more with IPv6)",
				    n->mtu);
				break;
			}
		}
	}
}

static void load_nets(struct cfg_ctx *ctx, cfg_t *cfg, struct box_config *c)
{
	unsigned n = cfg_size(cfg, "network");
	c->nets = xzalloc((n + 1) * sizeof(*c->nets));
	unsigned host_line = 0;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "network", i);
		struct box_net *net = &c->nets[c->n_nets++];
		const char *title = cfg_title(sec);
		net->line = config_section_line(sec);
		cleanup_free char *where = xasprintf("network %s: ", title);
		cleanup_free char *section = xasprintf("network %s", title);
		value_why_t why;
		if (value_ifname(title, why) < 0)
			ctx_error(ctx, net->line, section, "'%s' %s", title, why);
		else
			snprintf(net->name, sizeof(net->name), "%s", title);
		config_apply_scope(ctx, sec, SC_NETWORK, net, where, net_hand);
		net->line_of_bridge = config_key_line(ctx, SC_NETWORK, "bridge");
		if (!ctx->parse_failed)
			check_net(ctx, net, where);
		if (net->type == NET_HOST) {
			ctx_warn(ctx, net->line, section,
				 "type = host gives the container the host's network "
				 "(no network isolation)");
			if (host_line)
				ctx_error(ctx, net->line, section,
					  "a second type = host network, the first on line %u "
					  "(at most one)",
					  host_line);
			host_line = net->line;
		}
	}
	if (ctx->parse_failed)
		return;
	if (host_line && c->n_nets > 1) {
		for (size_t i = 0; i < c->n_nets; i++)
			if (c->nets[i].type != NET_HOST) {
				cleanup_free char *section = xasprintf("network %s", c->nets[i].name);
				ctx_error(ctx, c->nets[i].line, section,
					  "the container shares the host's network (type = host on line %u), so it "
					  "cannot have interfaces of its own (remove one of them)",
					  host_line);
			}
	}
	/* one IP once per container */
	for (size_t i = 0; i < c->n_nets; i++)
		for (size_t j = 0; j < c->nets[i].n_addrs; j++)
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < (k == i ? j : c->nets[k].n_addrs); l++) {
					const struct box_addr *a = &c->nets[i].addrs[j], *b = &c->nets[k].addrs[l];
					if (!value_addr_same_ip(a, b))
						continue;
					cleanup_free char *key = xasprintf("network %s: address", c->nets[i].name);
					ctx_error(ctx, a->line, key,
						  "%s is already used on line %u (each address once)", a->text,
						  b->line);
				}
}

static void load_mounts(struct cfg_ctx *ctx, cfg_t *cfg, struct box_config *c)
{
	unsigned n = cfg_size(cfg, "mount");
	c->mounts = xzalloc((n + 1) * sizeof(*c->mounts));
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "mount", i);
		struct box_mount *m = &c->mounts[c->n_mounts++];
		const char *title = cfg_title(sec);
		m->line = config_section_line(sec);
		cleanup_free char *where = xasprintf("mount %s: ", title);
		cleanup_free char *section = xasprintf("mount %s", title);
		value_why_t why;
		if (value_abspath(title, &m->target, why) < 0)
			ctx_error(ctx, m->line, section, "'%s' %s", title, why);
		else if (!strcmp(m->target, "/"))
			ctx_error(ctx, m->line, section, "cannot mount over the container's root (a path below /)");
		config_apply_scope(ctx, sec, SC_MOUNT, m, where, no_hand);
		if (ctx->parse_failed)
			continue;
		if (!m->source && !config_key_line(ctx, SC_MOUNT, "source"))
			ctx_error(ctx, m->line, section, "source is missing (source = /host/path)");
		for (size_t j = 0; m->target && j + 1 < c->n_mounts; j++)
			if (c->mounts[j].target && !strcmp(c->mounts[j].target, m->target))
				ctx_error(ctx, m->line, section,
					  "%s is already a mount target on line %u (one mount per "
					  "target)",
					  m->target, c->mounts[j].line);
	}
}

static void check_container(struct cfg_ctx *ctx, struct box_config *c)
{
	unsigned l;
	if (c->swap != BOX_UNLIMITED && c->memory == BOX_UNLIMITED && (l = config_key_line(ctx, SC_CONTAINER, "swap")))
		ctx_error(ctx, l, "swap", "a swap limit needs a memory limit (set memory too, or swap = max)");
	if (c->memory < (1u << 20) && (l = config_key_line(ctx, SC_CONTAINER, "memory")))
		ctx_error(ctx, l, "memory", "'%llu' is too small (at least 1M, or max)", (unsigned long long)c->memory);
	if (c->pids == 0 && (l = config_key_line(ctx, SC_CONTAINER, "pids")))
		ctx_error(ctx, l, "pids", "'0' is too small (at least 1, or max)");
	unsigned lsize = config_key_line(ctx, SC_CONTAINER, "idmap_size");
	if ((uint64_t)c->idmap_base + c->idmap_size > UINT32_MAX &&
	    (l = lsize ?: config_key_line(ctx, SC_CONTAINER, "idmap_base")))
		ctx_error(ctx, l, lsize ? "idmap_size" : "idmap_base",
			  "idmap_base + idmap_size go beyond the last id 4294967294 (a smaller "
			  "base or size)");
	if (c->nesting && !c->unprivileged && (l = config_key_line(ctx, SC_CONTAINER, "nesting")))
		ctx_error(ctx, l, "nesting",
			  "needs an unprivileged container: a privileged one's root is the host's, and what it "
			  "nests would be too (remove unprivileged = no, or nesting)");
	unsigned keep = config_key_line(ctx, SC_CONTAINER, "capabilities_keep");
	if (c->capabilities_keep && !c->capabilities_keep[0]) {
		/* keep nothing would be easy to mistake for "not set" downstream */
		ctx_error(ctx, keep, "capabilities_keep",
			  "is empty (list the capabilities to keep, like {chown, "
			  "net_bind_service}, or remove it)");
	}
	if (c->capabilities_keep && keep) {
		if ((l = config_key_line(ctx, SC_CONTAINER, "capabilities_drop")))
			ctx_error(ctx, keep, "capabilities_keep",
				  "cannot be combined with capabilities_drop on line "
				  "%u (keep lists all that stay, drop all that go: "
				  "use one)",
				  l);
		strv_free(c->capabilities_drop);
		c->capabilities_drop = xzalloc(sizeof(char *));
	}
}

static void fill_line_fields(struct cfg_ctx *ctx, struct box_config *c)
{
	c->line_of_template = config_key_line(ctx, SC_CONTAINER, "template");
	c->line_of_hostname = config_key_line(ctx, SC_CONTAINER, "hostname");
	c->line_of_memory = config_key_line(ctx, SC_CONTAINER, "memory");
	c->line_of_idmap_base = config_key_line(ctx, SC_CONTAINER, "idmap_base");
}

struct box_config *config_load_values(struct cfg_ctx *ctx, const char *buf, size_t len, const char *name, bool checks)
{
	struct box_config *c = xzalloc(sizeof(*c));
	c->name = xstrdup(name);
	c->path = xstrdup(ctx->label);
	cleanup_cfg cfg_t *cfg = config_parse_text(ctx, SC_CONTAINER, buf, len);
	if (!checks)
		ctx->parse_failed = true; /* values only */
	config_apply_scope(ctx, cfg, SC_CONTAINER, c, "", no_hand);
	fill_line_fields(ctx, c);
	if (!ctx->parse_failed)
		check_container(ctx, c);
	load_nets(ctx, cfg, c);
	load_mounts(ctx, cfg, c);
	if (!c->hostname) {
		value_why_t why;
		c->hostname = xstrdup(name);
		if (value_hostname(name, why) < 0 && checks)
			ctx_error(ctx, 0, "hostname", "the default, the container name '%s', %s (set hostname)", name,
				  why);
	}
	return c;
}

int config_load_buffer_report(const char *buf, size_t len, const char *label, const char *name, struct box_config **out,
			      char ***errors, char ***warnings, box_err_t *err)
{
	struct cfg_ctx ctx = { .label = label };
	if (len > CONFIG_MAX_BYTES) {
		box_usage_error(err, "%s: %zu bytes is too large for a config (at most 1 MiB)", label, len);
		if (errors) {
			*errors = xzalloc(2 * sizeof(char *));
			(*errors)[0] = xstrdup(err && *err ? (*err)->msg : "too large");
		}
		if (warnings)
			*warnings = xzalloc(sizeof(char *));
		return -1;
	}
	struct box_config *c = config_load_values(&ctx, buf, len, name, true);
	if (ctx_finish(&ctx, errors, warnings, err) < 0) {
		config_free(c);
		return -1;
	}
	if (out)
		*out = c;
	else
		config_free(c);
	return 0;
}

int config_load_buffer(const char *buf, size_t len, const char *label, const char *name, struct box_config **out,
		       box_err_t *err)
{
	return config_load_buffer_report(buf, len, label, name, out, NULL, NULL, err);
}

int config_load_file_report(const char *path, const char *name, struct box_config **out, char ***errors,
			    char ***warnings, box_err_t *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	bool in = !strcmp(path, "-");
	int r = read_file_at(AT_FDCWD, in ? "/dev/stdin" : path, &buf, &len, err);
	if (r < 0) {
		if (r == -ENOENT) {
			box_error_release(err);
			return box_usage_error(err, "%s: no such file (a container's config is %s/NAME.conf)", path,
					       paths_config_dir());
		}
		return -1;
	}
	return config_load_buffer_report(buf, len, in ? "stdin" : path, name, out, errors, warnings, err);
}

int config_load_file(const char *path, const char *name, struct box_config **out, box_err_t *err)
{
	return config_load_file_report(path, name, out, NULL, NULL, err);
}

int config_load(const char *name, struct box_config **out, box_err_t *err)
{
	if (paths_check_name(name, err) < 0)
		return -1;
	cleanup_free char *path = paths_config_path(name);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return box_usage_error(err, "%s: no such container (%s does not exist)", name, path);
	return config_load_file(path, name, out, err);
}

void config_free(struct box_config *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->path);
	config_scope_free(SC_CONTAINER, c);
	for (size_t i = 0; i < c->n_nets; i++) {
		config_scope_free(SC_NETWORK, &c->nets[i]);
		free(c->nets[i].addrs);
	}
	free(c->nets);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].target);
		config_scope_free(SC_MOUNT, &c->mounts[i]);
	}
	free(c->mounts);
	free(c);
}

const char *config_signal_name(int sig)
{
	static char buf[32];
	value_format_signal(sig, buf, sizeof(buf));
	return buf;
}
