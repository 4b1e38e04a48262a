/* The set of configured containers, and the checks across them. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/brief.h"
#include "config/config.h"
#include "config/idrange.h"
#include "config/internal.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/values.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int config_list(char ***names, box_err_t *err)
{
	const char *dir = paths_config_dir();
	char **v = xzalloc(sizeof(char *));
	cleanup_dir DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*names = v;
			return 0;
		}
		strv_free(v);
		return box_error(err, errno, "reading %s", dir);
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf"))
			continue;
		cleanup_free char *name = xstrndup(e->d_name, n - 5);
		/* boxes.conf is the host's; other odd names are no container */
		if (!paths_valid_name(name))
			continue;
		strv_push(&v, name);
	}
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	*names = v;
	return 0;
}

/* Whether `c` has an address or a MAC on a bridge: what another container
 * could have too. */
static bool has_bridge_identity(const struct box_config *c)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (c->nets[i].type == NET_VETH && c->nets[i].bridge[0] &&
		    (c->nets[i].n_addrs || c->nets[i].has_hwaddr))
			return true;
	return false;
}

/* c against one other container: a host port both forward, an address or
 * a MAC both have on one bridge. */
static int check_other(const struct box_config *c, const struct box_config *other, box_err_t *err)
{
	if (config_forward_conflicts(c, other, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH || !n->bridge[0])
			continue;
		for (size_t k = 0; k < other->n_nets; k++) {
			const struct box_net *m = &other->nets[k];
			if (m->type != NET_VETH || strcmp(m->bridge, n->bridge))
				continue;
			for (size_t a = 0; a < n->n_addrs; a++)
				for (size_t b = 0; b < m->n_addrs; b++) {
					if (!value_addr_same_ip(&n->addrs[a], &m->addrs[b]))
						continue;
					box_usage_error(err,
							"%s:%u: network %s: address: %s is already used by "
							"container %s on bridge %s (%s:%u; each address "
							"once per bridge)",
							c->path, n->addrs[a].line, n->name, n->addrs[a].text,
							other->name, n->bridge, other->path, m->addrs[b].line);
					return -1;
				}
			if (n->has_hwaddr && m->has_hwaddr && !memcmp(n->hwaddr, m->hwaddr, 6)) {
				char mac[32];
				value_format_mac(n->hwaddr, mac, sizeof(mac));
				box_usage_error(err,
						"%s:%u: network %s: hwaddr: %s is already used by container %s "
						"on bridge %s (%s:%u; each MAC once per bridge)",
						c->path, n->line_of_hwaddr, n->name, mac, other->name, n->bridge,
						other->path, m->line_of_hwaddr);
				return -1;
			}
		}
	}
	return 0;
}

int config_check_conflicts(const struct box_config *c, box_err_t *err)
{
	cleanup_strv char **names = NULL;
	/* the host's own address on a bridge is taken too */
	struct box_global *g = NULL;
	box_err_t gerr = NULL;
	if (global_load(&g, &gerr) < 0)
		box_error_release(&gerr); /* its own check reports it */
	if (g && config_dhcp_bridges(c, g, err) < 0) {
		global_free(g);
		return -1;
	}
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		const struct box_bridge *b = n->bridge[0] ? global_find_bridge(g, n->bridge) : NULL;
		for (size_t j = 0; b && j < n->n_addrs; j++)
			for (size_t k = 0; k < b->n_addrs; k++)
				if (value_addr_same_ip(&n->addrs[j], &b->addrs[k])) {
					box_usage_error(err,
							"%s:%u: network %s: address: %s is the host's address on "
							"bridge %s (%s:%u; another address in the subnet)",
							c->path, n->addrs[j].line, n->name, n->addrs[j].text, n->bridge,
							g->path, b->addrs[k].line);
					global_free(g);
					return -1;
				}
	}
	global_free(g);

	if (idrange_check(c, err) < 0)
		return -1;
	/* the others' configs are read only when they could clash: every start
	 * checks, and parsing 500 of them would cost each start ~25 ms */
	if (!has_bridge_identity(c))
		return 0;
	if (config_list(&names, err) < 0)
		return -1;
	/* the briefs (config/brief.h): no parse per other config */
	struct config_briefs *briefs = config_briefs_open();
	int ret = 0;
	for (size_t o = 0; names[o] && !ret; o++) {
		if (!strcmp(names[o], c->name) || !config_briefs_may_clash(briefs, names[o], c))
			continue;
		struct box_config *other = NULL;
		box_err_t oerr = NULL;
		if (config_briefs_load(briefs, names[o], &other, &oerr) < 0) {
			box_error_release(&oerr); /* a broken config is its own check's business */
			continue;
		}
		ret = check_other(c, other, err);
		config_free(other);
	}
	config_briefs_close(briefs);
	return ret;
}

void config_bridge_warnings(const struct box_config *c, const struct box_global *g, char ***warnings)
{
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH || !n->bridge[0])
			continue;
		const struct box_bridge *b = global_find_bridge(g, n->bridge);
		if (!b) {
			cleanup_free char *w =
			    xasprintf("%s:%u: network %s: bridge: %s is not defined in boxes.conf (it "
				      "must exist on the host when the container starts)",
				      c->path, n->line_of_bridge, n->name, n->bridge);
			strv_push(warnings, w);
			continue;
		}
		for (size_t j = 0; j < n->n_addrs; j++) {
			bool family = false, inside = false;
			for (size_t k = 0; k < b->n_addrs; k++) {
				if (b->addrs[k].family != n->addrs[j].family)
					continue;
				family = true;
				inside |= value_addr_in_subnet(&b->addrs[k], &n->addrs[j]);
			}
			if (family && !inside) {
				cleanup_free char *w =
				    xasprintf("%s:%u: network %s: address: %s is outside every subnet of "
					      "bridge %s in boxes.conf (the host will not route to "
					      "it)",
					      c->path, n->addrs[j].line, n->name, n->addrs[j].text, n->bridge);
				strv_push(warnings, w);
			}
		}
	}
}
