/* boxes.conf: host-wide settings (cgroup parent, bridges). */
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

static void bridge_hand(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
			const char *key)
{
	struct box_bridge *b = obj;
	value_why_t why;
	struct box_addr a;
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

const struct box_bridge *global_find_bridge(const struct box_global *g, const char *name)
{
	for (size_t i = 0; g && i < g->n_bridges; i++)
		if (!strcmp(g->bridges[i].name, name))
			return &g->bridges[i];
	return NULL;
}
