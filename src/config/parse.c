/* libconfuse glue: the schema table becomes libconfuse option tables whose
 * every value is captured as text plus line (a parse callback that never
 * fails, so that one bad value does not hide the next); libconfuse's own
 * messages are caught and rewritten into "FILE:LINE: KEY: what (allowed)". */
#include "config/internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "config/values.h"

/* A hidden option of every section: its default is parsed by libconfuse
 * when the section opens, which is the one moment the title's line is known
 * (libconfuse 3.3 keeps no line per option or section). The name has a space,
 * which no bare key can have. */
#define LINE_OPT " line"
#define LINE_MAGIC "here"
/* Where an unknown "key = value" is moved to, so that libconfuse (which
 * stops at an unknown key) reads on and every error of the file is found. */
#define UNKNOWN_OPT " unknown"

/* libconfuse's lexer is global, so its callbacks find the load in progress here. */
static struct cfg_ctx *parse_ctx;
static enum config_scope parse_root;

/* ---- libconfuse option tables, built once from the schema ---- */

static int capture(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result);

static void free_cval(void *p)
{
	free(p);
}

static enum config_scope section_scope(const char *name)
{
	if (!strcmp(name, "network"))
		return SC_NETWORK;
	if (!strcmp(name, "mount"))
		return SC_MOUNT;
	if (!strcmp(name, "forward"))
		return SC_FORWARD;
	return SC_BRIDGE;
}

static cfg_opt_t *opts_for(enum config_scope scope)
{
	static cfg_opt_t *cache[SC_FORWARD + 1];
	if (cache[scope])
		return cache[scope];
	size_t n = 0;
	cfg_opt_t *o = xzalloc((config_schema_len + 3) * sizeof(*o));
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope != scope)
			continue;
		o[n].name = k->name;
		if (k->type == KT_SECTION) {
			o[n].type = CFGT_SEC;
			o[n].flags = CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES;
			o[n].subopts = opts_for(section_scope(k->name));
		} else {
			o[n].type = CFGT_PTR;
			o[n].flags = k->list ? CFGF_LIST : CFGF_NONE;
			o[n].parsecb = capture;
			o[n].freecb = free_cval;
		}
		n++;
	}
	o[n].name = UNKNOWN_OPT;
	o[n].type = CFGT_PTR;
	o[n].flags = CFGF_LIST;
	o[n].parsecb = capture;
	o[n].freecb = free_cval;
	n++;
	if (scope != SC_CONTAINER && scope != SC_GLOBAL) {
		o[n].name = LINE_OPT;
		o[n].type = CFGT_PTR;
		o[n].parsecb = capture;
		o[n].freecb = free_cval;
		o[n].def.parsed = (char *)LINE_MAGIC;
		n++;
	}
	/* o[n] stays zero: CFG_END() */
	cache[scope] = o;
	return o;
}

static enum config_scope scope_of(cfg_t *cfg)
{
	if (!cfg->name || !strcmp(cfg->name, "root"))
		return parse_root;
	return section_scope(cfg->name);
}

/* "network eth0: " for a key inside a section, "" at the top. */
static char *where_of(cfg_t *cfg)
{
	if (!cfg->title)
		return xstrdup("");
	return xasprintf("%s %s: ", cfg->name, cfg->title);
}

static int capture(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (!value)
		value = "";
	size_t n = strlen(value);
	struct cval *v = xmalloc(sizeof(*v) + n + 1);
	v->line = cfg->line > 0 ? (unsigned)cfg->line : 1;
	memcpy(v->text, value, n + 1);
	*(void **)result = v;

	if (!parse_ctx)
		return 0;
	if (!strcmp(opt->name, UNKNOWN_OPT))
		return 0; /* already reported */
	cleanup_free char *where = where_of(cfg);
	if (!strcmp(opt->name, LINE_OPT)) {
		if (strcmp(value, LINE_MAGIC))
			ctx_error(parse_ctx, v->line, where, "'%s' is not a key (see 'box config keys')", LINE_OPT);
		return 0;
	}
	if (opt->flags & CFGF_LIST)
		return 0;
	/* libconfuse lets a second "key = value" replace the first: say so */
	struct cfg_ctx *ctx = parse_ctx;
	for (size_t i = 0; i < ctx->n_seen; i++) {
		if (ctx->seen[i].sec == cfg && !strcmp(ctx->seen[i].name, opt->name)) {
			cleanup_free char *key = config_key_path(where, opt->name);
			ctx_error(ctx, v->line, key, "set twice, first on line %u (keep one)", ctx->seen[i].line);
			return 0;
		}
	}
	ctx->seen = xrealloc(ctx->seen, (ctx->n_seen + 1) * sizeof(*ctx->seen));
	ctx->seen[ctx->n_seen++] = (struct seen_key){ .sec = cfg, .name = opt->name, .line = v->line };
	return 0;
}

unsigned config_section_line(cfg_t *sec)
{
	const struct cval *v = cfg_getptr(sec, LINE_OPT);
	return v ? v->line : (sec->line > 0 ? (unsigned)sec->line : 0);
}

/* ---- libconfuse's messages, rewritten ---- */

static bool match_arg(const char *msg, const char *prefix, char *arg, size_t n)
{
	size_t l = strlen(prefix);
	if (strncmp(msg, prefix, l) || msg[l] != '\'')
		return false;
	const char *s = msg + l + 1, *e = strrchr(s, '\'');
	if (!e)
		return false;
	snprintf(arg, n, "%.*s", (int)(e - s), s);
	return true;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t c =
			    d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

static const char *closest_key(enum config_scope scope, const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < config_schema_len; i++) {
		if (config_schema[i].scope != scope)
			continue;
		size_t d = edit_distance(name, config_schema[i].name);
		if (d < bestd || (strstr(config_schema[i].name, name) && strlen(name) >= 3 && d < 8 && !best)) {
			bestd = d;
			best = config_schema[i].name;
		}
	}
	return best;
}

static const char *section_hint(const char *sec)
{
	if (!strcmp(sec, "network"))
		return "network eth0 { ... }";
	if (!strcmp(sec, "mount"))
		return "mount /srv/data { source = /srv/web-data }";
	if (!strcmp(sec, "bridge"))
		return "bridge box0 { address = 10.77.0.1/24 }";
	if (!strcmp(sec, "forward"))
		return "forward tcp/8080 { to = 80 }";
	return "NAME TITLE { ... }";
}

static void on_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512], arg[256];
	/* libconfuse's own format strings */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(msg, sizeof(msg), fmt, ap);
#pragma GCC diagnostic pop
	if (!parse_ctx)
		return;
	struct cfg_ctx *ctx = parse_ctx;
	unsigned line = cfg && cfg->line > 0 ? (unsigned)cfg->line : 0;
	cleanup_free char *where = cfg ? where_of(cfg) : xstrdup("");

	if (match_arg(msg, "no such option ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, arg);
		ctx->unknown_pending = true;
		ctx->unknown_line = line;
		snprintf(ctx->unknown_name, sizeof(ctx->unknown_name), "%s", arg);
		const char *near = closest_key(scope_of(cfg), arg);
		if (near)
			ctx_error(ctx, line, key, "unknown key (did you mean %s?)", near);
		else
			ctx_error(ctx, line, key, "unknown key (see 'box config keys' for every key)");
	} else if (match_arg(msg, "unexpected token ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, "syntax error");
		if (!strcmp(arg, ","))
			ctx_error(ctx, line, key,
				  "unexpected ',' (quote a value that has a comma: cpuset = \"0-3,5\"; "
				  "a list is written {a, b})");
		else
			ctx_error(ctx, line, key, "unexpected '%s' (KEY = VALUE, or SECTION TITLE { ... })", arg);
	} else if (match_arg(msg, "missing equal sign after option ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, arg);
		ctx_error(ctx, line, key, "'=' is missing (%s = VALUE)", arg);
	} else if (match_arg(msg, "attempt to append to non-list option ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, arg);
		ctx_error(ctx, line, key, "'+=' works only on lists (%s = VALUE)", arg);
	} else if (match_arg(msg, "missing opening brace for section ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, arg);
		ctx_error(ctx, line, key, "'{' is missing after the title (%s)", section_hint(arg));
	} else if (match_arg(msg, "missing title for section ", arg, sizeof(arg))) {
		cleanup_free char *key = config_key_path(where, arg);
		ctx_error(ctx, line, key, "the title is missing (%s)", section_hint(arg));
	} else if (match_arg(msg, "found duplicate title ", arg, sizeof(arg))) {
		/* cfg is the parent: find which kind of section has that title */
		for (cfg_opt_t *o = cfg->opts; o && o->name; o++) {
			if (o->type != CFGT_SEC)
				continue;
			cfg_t *first = cfg_opt_gettsec(o, arg);
			if (!first)
				continue;
			cleanup_free char *key = xasprintf("%s%s %s", where, o->name, arg);
			ctx_error(ctx, line, key, "defined twice, first on line %u (one section per %s)",
				  config_section_line(first), !strcmp(o->name, "mount") ? "target" : "name");
			return;
		}
		ctx_error(ctx, line, "syntax error", "'%s' is defined twice (one section per title)", arg);
	} else if (!strcmp(msg, "premature end of file") && ctx->prep_fatal) {
		/* an unclosed quote or comment, already said */
	} else if (!strcmp(msg, "premature end of file")) {
		ctx_error(ctx, line, "syntax error",
			  "the file ends inside a section or before a value (close every '{' with '}')");
	} else if (!strcmp(msg, "unexpected closing brace")) {
		ctx_error(ctx, line, "syntax error", "'}' without an open section (remove it)");
	} else if (strstr(msg, "unterminated string")) {
		ctx_error(ctx, line, "syntax error", "a quoted string is not closed (end it with the same quote)");
	} else if (!strncmp(msg, "found deprecated", 16) || !strncmp(msg, "dropping deprecated", 19)) {
		/* no deprecated options yet */
	} else {
		ctx_error(ctx, line, "syntax error", "%s (see 'box config keys')", msg);
	}
}

/* Renames the unknown key `name` of "name = ..." on `line` to UNKNOWN_OPT;
 * false when it is not such a statement (an unknown section, say). */
static bool rename_unknown(char **text, unsigned line, const char *name)
{
	char *p = *text;
	for (unsigned l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return false;
	size_t nl = strlen(name);
	char *end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	for (char *q = p; q < end; q++) {
		size_t tl = 0;
		if (!strncmp(q, name, nl) && (q == p || strchr(" \t{};", q[-1])))
			tl = nl;
		else if ((*q == '"' || *q == '\'') && !strncmp(q + 1, name, nl) && q[nl + 1] == *q)
			tl = nl + 2;
		if (!tl)
			continue;
		char *r = q + tl;
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r != '=' && !(r[0] == '+' && r[1] == '='))
			continue;
		char *t = xasprintf("%.*s\"%s\"%s", (int)(q - *text), *text, UNKNOWN_OPT, q + tl);
		free(*text);
		*text = t;
		return true;
	}
	return false;
}

cfg_t *config_parse_text(struct cfg_ctx *ctx, enum config_scope root, const char *buf, size_t len)
{
	char *text = config_prepare_text(ctx, buf, len);
	size_t base = ctx->n_errs;
	struct diag *unknown = NULL;
	size_t n_unknown = 0;
	cfg_t *cfg;
	int rc;
	for (int pass = 0;; pass++) {
		cfg = cfg_init(opts_for(root), CFGF_NONE);
		if (!cfg)
			oom();
		cfg_set_error_function(cfg, on_confuse_error);
		parse_ctx = ctx;
		parse_root = root;
		ctx->unknown_pending = false;
		size_t n = strlen(text);
		FILE *f = n ? fmemopen(text, n, "r") : NULL;
		rc = f ? cfg_parse_fp(cfg, f) : (n ? CFG_PARSE_ERROR : CFG_SUCCESS);
		if (f)
			fclose(f);
		parse_ctx = NULL;
		free(ctx->seen);
		ctx->seen = NULL;
		ctx->n_seen = 0;
		if (rc == CFG_SUCCESS || !ctx->unknown_pending || pass >= 64 || ctx->n_errs <= base ||
		    !rename_unknown(&text, ctx->unknown_line, ctx->unknown_name))
			break;
		/* keep the unknown key's error, parse again: the rest comes again too */
		unknown = xrealloc(unknown, (n_unknown + 1) * sizeof(*unknown));
		unknown[n_unknown++] = ctx->errs[--ctx->n_errs];
		while (ctx->n_errs > base)
			free(ctx->errs[--ctx->n_errs].msg);
		cfg_free(cfg);
	}
	free(ctx->text);
	ctx->text = text;
	for (size_t i = 0; i < n_unknown; i++) {
		ctx->errs = xrealloc(ctx->errs, (ctx->n_errs + 1) * sizeof(*ctx->errs));
		ctx->errs[ctx->n_errs++] = unknown[i];
	}
	free(unknown);
	if (rc == CFG_SUCCESS && ctx->open_depth > 0) {
		ctx_error(ctx, ctx->open_line, "syntax error", "'{' is never closed (close it with '}')");
		rc = CFG_PARSE_ERROR;
	}
	if (rc != CFG_SUCCESS) {
		ctx->parse_failed = true;
		if (!ctx->n_errs)
			ctx_error(ctx, cfg->line > 0 ? (unsigned)cfg->line : 0, "syntax error", "cannot parse");
	}
	return cfg;
}

void config_parse_free(cfg_t *cfg)
{
	if (cfg)
		cfg_free(cfg);
}
