/* Converting captured text into the structs, by the schema table:
 * defaults first, then each written value through its type's parser
 * (types.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/internal.h"
#include "base/util.h"
#include "config/values.h"

static void *field(void *obj, const struct config_key *k)
{
	return (char *)obj + k->offset;
}

static void apply_one(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		      const char *key, config_hand_fn hand)
{
	if (k->offset == CONFIG_HAND || !config_type_has_parser(k->type))
		hand(ctx, k, obj, text, line, key);
	else
		config_type_parse(ctx, k, obj, text, line, key);
}

static void apply_default(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *key,
			  config_hand_fn hand)
{
	if (k->list && k->offset != CONFIG_HAND) {
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
		if (k->list && k->offset != CONFIG_HAND) {
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
