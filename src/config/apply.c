/* Converting captured text into the structs, by the schema table:
 * defaults first, then each written value through its parser. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/idrange.h"
#include "config/internal.h"
#include "base/util.h"
#include "config/values.h"

static void *field(void *obj, const struct config_key *k)
{
	return (char *)obj + k->offset;
}

static bool valid_cgroup_path(const char *s)
{
	if (!*s || *s == '/' || strlen(s) > 200)
		return false;
	const char *c = s;
	for (const char *p = s;; p++) {
		if (*p == '/' || !*p) {
			size_t l = (size_t)(p - c);
			if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && !strncmp(c, "..", 2)))
				return false;
			if (!*p)
				return true;
			c = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && !strchr("_-.@:", *p))
			return false;
	}
}

static void apply_one(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		      const char *key, config_hand_fn hand)
{
	value_why_t why = "";
	int bad = 0;
	if (k->offset == (size_t)-1) {
		hand(ctx, k, obj, text, line, key);
		return;
	}
	void *f = field(obj, k);
	switch (k->type) {
	case KT_STRING:
		if (strpbrk(text, "\n\r")) {
			bad = snprintf(why, sizeof(why), "has a line break (one line)");
			break;
		}
		if (k->list)
			strv_push(f, text);
		else {
			free(*(char **)f);
			*(char **)f = xstrdup(text);
		}
		break;
	case KT_TEMPLATE: {
		char *p = NULL;
		if (strchr(text, '/')) {
			bad = value_abspath(text, &p, why);
		} else if (!*text || !strcmp(text, ".") || !strcmp(text, "..") || strpbrk(text, "\n\r")) {
			bad = snprintf(why, sizeof(why),
				       "is not a template (a file name in the templates folder, "
				       "or an absolute path)");
		} else {
			p = xstrdup(text);
		}
		if (p) {
			free(*(char **)f);
			*(char **)f = p;
		}
		break;
	}
	case KT_PATH: {
		char *p = NULL;
		if (!(bad = value_abspath(text, &p, why))) {
			free(*(char **)f);
			*(char **)f = p;
		}
		break;
	}
	case KT_HOSTNAME:
		if (!(bad = value_hostname(text, why))) {
			free(*(char **)f);
			*(char **)f = xstrdup(text);
		}
		break;
	case KT_DOMAIN:
		if (!(bad = value_domain(text, why)))
			strv_push(f, text);
		break;
	case KT_SIGNAL: bad = value_signal(text, f, why); break;
	case KT_UINT:
	case KT_INT: {
		long long v;
		if (!(bad = value_int(text, k->min, k->max, &v, why))) {
			if (k->type == KT_UINT)
				*(unsigned *)f = (unsigned)v;
			else
				*(int *)f = (int)v;
		}
		break;
	}
	case KT_BOOL: bad = value_bool(text, f, why); break;
	case KT_SIZE: bad = value_size(text, f, why); break;
	case KT_IDBASE:
		if (!strcasecmp(text, "auto")) {
			*(uint32_t *)f = BOX_IDMAP_AUTO;
		} else {
			long long v;
			if (!(bad = value_int(text, k->min, k->max, &v, why)))
				*(uint32_t *)f = (uint32_t)v;
			else
				snprintf(why, sizeof(why), "is not a number or auto (%lld..%lld, or auto)", k->min,
					 k->max);
		}
		break;
	case KT_COUNT:
		if (!strcasecmp(text, "max") || !strcasecmp(text, "unlimited")) {
			*(uint64_t *)f = UINT64_MAX;
		} else {
			long long v;
			if (!(bad = value_int(text, 0, 4194304, &v, why)))
				*(uint64_t *)f = (uint64_t)v;
			else
				snprintf(why, sizeof(why), "is not a number or max (0..4194304, or max)");
		}
		break;
	case KT_CPUS: bad = value_cpus(text, f, why); break;
	case KT_CPUSET: {
		char *p = NULL;
		if (!(bad = value_cpuset(text, &p, why))) {
			free(*(char **)f);
			*(char **)f = p;
		}
		break;
	}
	case KT_ENV:
		if (!(bad = value_env(text, why))) {
			size_t n = strcspn(text, "=");
			for (char **e = *(char ***)f; e && *e; e++)
				if (!strncmp(*e, text, n) && (*e)[n] == '=') {
					/* a later one would silently win */
					ctx_error(ctx, line, key, "%.*s is set twice (each variable once)", (int)n,
						  text);
					return;
				}
			strv_push(f, text);
		}
		break;
	case KT_CAP: {
		cleanup_free char *p = NULL;
		if (!(bad = value_capability(text, &p, why))) {
			bool dup = false;
			for (char **s = *(char ***)f; s && *s; s++)
				dup |= !strcmp(*s, p);
			if (!dup)
				strv_push(f, p);
		}
		break;
	}
	case KT_SECCOMP: {
		char *p = NULL;
		if (!strcmp(text, "default") || !strcmp(text, "none"))
			p = xstrdup(text);
		else if (text[0] != '/')
			bad = snprintf(why, sizeof(why),
				       "is not a seccomp policy (default, none, or the absolute path "
				       "of a profile)");
		else
			bad = value_abspath(text, &p, why);
		if (p) {
			free(*(char **)f);
			*(char **)f = p;
		}
		break;
	}
	case KT_STORAGE:
		if (!strcmp(text, "dir"))
			*(enum box_storage *)f = STORAGE_DIR;
		else if (!strcmp(text, "overlay"))
			*(enum box_storage *)f = STORAGE_OVERLAY;
		else if (!strcmp(text, "btrfs"))
			*(enum box_storage *)f = STORAGE_BTRFS;
		else
			bad = snprintf(why, sizeof(why), "is not a storage backend (dir, overlay or btrfs)");
		break;
	case KT_NETTYPE:
		if (!strcmp(text, "veth"))
			*(enum box_net_type *)f = NET_VETH;
		else if (!strcmp(text, "empty"))
			*(enum box_net_type *)f = NET_EMPTY;
		else if (!strcmp(text, "host"))
			*(enum box_net_type *)f = NET_HOST;
		else
			bad = snprintf(why, sizeof(why), "is not a network type (veth, empty or host)");
		break;
	case KT_IFNAME:
		if (!(bad = value_ifname(text, why)))
			snprintf(f, IFNAMSIZ, "%s", text);
		break;
	case KT_IP: {
		struct box_addr a;
		if (!(bad = value_ip(text, &a, why)))
			strv_push(f, a.text);
		break;
	}
	case KT_CGROUP: {
		cleanup_free char *p = xstrdup(text);
		size_t n = strlen(p);
		while (n > 0 && p[n - 1] == '/')
			p[--n] = '\0';
		char *s = p;
		while (*s == '/')
			s++;
		if (!valid_cgroup_path(s))
			bad = snprintf(why, sizeof(why),
				       "is not a cgroup path (names of letters, digits, '_', '-', "
				       "'.', separated by '/', like boxes or machine/boxes)");
		else {
			free(*(char **)f);
			*(char **)f = xstrdup(s);
		}
		break;
	}
	case KT_CIDR:
	case KT_MAC:
	case KT_SECTION: hand(ctx, k, obj, text, line, key); return;
	}
	if (bad)
		ctx_error(ctx, line, key, "'%s' %s", text, why);
}

static void apply_default(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *key,
			  config_hand_fn hand)
{
	if (k->list && k->offset != (size_t)-1) {
		char ***v = field(obj, k);
		if (!*v && strcmp(k->name, "capabilities_keep"))
			*v = xzalloc(sizeof(char *));
	}
	if (!k->def)
		return;
	if (!k->list) {
		apply_one(ctx, k, obj, k->def, 0, key, hand);
		return;
	}
	cleanup_free char *words = xstrdup(k->def);
	char *save = NULL;
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		apply_one(ctx, k, obj, w, 0, key, hand);
}

/* The line of "name = {}" (an empty list captures no value, so no line):
 * the first line from `from` on whose first word is the key. */
static unsigned find_key_line(struct cfg_ctx *ctx, const char *name, unsigned from)
{
	unsigned line = 1;
	size_t n = strlen(name);
	for (const char *p = ctx->text; p && *p; line++) {
		const char *q = p;
		while (*q == ' ' || *q == '\t' || (line == from && *q && *q != '\n' && strncmp(q, name, n)))
			q++;
		if (line >= from && !strncmp(q, name, n) && strchr(" \t=+", q[n]))
			return line;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return from ? from : 1;
}

void config_apply_scope(struct cfg_ctx *ctx, cfg_t *sec, enum config_scope scope, void *obj, const char *where,
			config_hand_fn hand)
{
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope != scope || k->type == KT_SECTION)
			continue;
		cleanup_free char *key = config_key_path(where, k->name);
		cfg_opt_t *opt = cfg_getopt(sec, k->name);
		unsigned n = cfg_opt_size(opt);
		bool written = n > 0 || (k->list && opt && (opt->flags & CFGF_MODIFIED));
		if (i < ARRAY_SIZE(ctx->lines))
			ctx->lines[i] = 0;
		/* the default first: a bad value leaves it, so that checks across
		 * keys do not trip over a half-set value */
		apply_default(ctx, k, obj, key, hand);
		if (!written)
			continue;
		if (k->list && k->offset != (size_t)-1) {
			char ***v = field(obj, k);
			strv_free(*v);
			*v = xzalloc(sizeof(char *));
		}
		for (unsigned j = 0; j < n; j++) {
			const struct cval *v = cfg_opt_getnptr(opt, j);
			if (!v)
				continue;
			if (j == 0 && i < ARRAY_SIZE(ctx->lines))
				ctx->lines[i] = v->line;
			apply_one(ctx, k, obj, v->text, v->line, key, hand);
		}
		if (written && n == 0 && i < ARRAY_SIZE(ctx->lines))
			ctx->lines[i] = find_key_line(
			    ctx, k->name, scope == SC_CONTAINER || scope == SC_GLOBAL ? 1 : config_section_line(sec));
	}
}

unsigned config_key_line(struct cfg_ctx *ctx, enum config_scope scope, const char *name)
{
	const struct config_key *k = config_schema_find(scope, name);
	if (!k)
		return 0;
	size_t i = (size_t)(k - config_schema);
	return i < ARRAY_SIZE(ctx->lines) ? ctx->lines[i] : 0;
}
