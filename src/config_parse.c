/* libconfuse glue: the schema table becomes libconfuse option tables whose
 * every value is captured as text plus line (a parse callback that never
 * fails, so that one bad value does not hide the next); libconfuse's own
 * messages are caught and rewritten into "FILE:LINE: KEY: what (allowed)". */
#include "config_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "values.h"

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

static void ctx_vadd(struct diag **v, size_t *n, unsigned seq, unsigned line, char *msg)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct diag){.line = line, .seq = seq, .msg = msg};
	(*n)++;
}

__attribute__((format(printf, 4, 0))) static char *format_diag(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, va_list ap)
{
	char *what = NULL;
	if (vasprintf(&what, fmt, ap) < 0)
		oom();
	char *msg = line ? xasprintf("%s:%u: %s: %s", ctx->label, line, key, what)
			 : xasprintf("%s: %s: %s", ctx->label, key, what);
	free(what);
	/* one line each, whatever a value held */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return msg;
}

void ctx_error(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_diag(ctx, line, key, fmt, ap);
	va_end(ap);
	ctx_vadd(&ctx->errs, &ctx->n_errs, ctx->seq++, line, msg);
}

void ctx_warn(struct cfg_ctx *ctx, unsigned line, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_diag(ctx, line, key, fmt, ap);
	va_end(ap);
	ctx_vadd(&ctx->warns, &ctx->n_warns, ctx->seq++, line, msg);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void hand_out(struct diag *v, size_t n, char ***out)
{
	if (n)
		qsort(v, n, sizeof(*v), diag_cmp);
	if (out) {
		*out = xzalloc((n + 1) * sizeof(char *));
		for (size_t i = 0; i < n; i++)
			(*out)[i] = v[i].msg;
	} else {
		for (size_t i = 0; i < n; i++)
			free(v[i].msg);
	}
	free(v);
}

int ctx_finish(struct cfg_ctx *ctx, char ***errors, char ***warnings, box_err_t *err)
{
	int ret = ctx->n_errs ? -1 : 0;
	if (ctx->n_errs) {
		qsort(ctx->errs, ctx->n_errs, sizeof(*ctx->errs), diag_cmp);
		box_usage_error(err, "%s", ctx->errs[0].msg);
	}
	hand_out(ctx->errs, ctx->n_errs, errors);
	hand_out(ctx->warns, ctx->n_warns, warnings);
	ctx->errs = ctx->warns = NULL;
	ctx->n_errs = ctx->n_warns = 0;
	free(ctx->text);
	ctx->text = NULL;
	return ret;
}

char *config_key_path(const char *where, const char *name)
{
	return xasprintf("%s%s", where, name);
}

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
	return SC_BRIDGE;
}

static cfg_opt_t *opts_for(enum config_scope scope)
{
	static cfg_opt_t *cache[SC_BRIDGE + 1];
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
	if (scope == SC_NETWORK || scope == SC_MOUNT || scope == SC_BRIDGE) {
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
	ctx->seen[ctx->n_seen++] = (struct seen_key){.sec = cfg, .name = opt->name, .line = v->line};
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
			size_t c = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
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
			ctx_error(ctx, line, key, "unexpected ',' (quote a value that has a comma: cpuset = \"0-3,5\"; "
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

/* libconfuse's lexer is handed text it cannot get wrong, and whose line
 * numbers it keeps (Debian's 3.3 counts a '#' comment as three lines):
 *  - comments (# // and C style) become spaces, their newlines stay;
 *  - "${VAR}" would be replaced by the manager's environment: a config means
 *    what it says, so it is kept literally in strings and an error outside;
 *  - a bare word with a '+' ("SIGRTMIN+3") is quoted: its lexer only knows
 *    "+=" and would drop the '+';
 *  - a NUL byte is an error (it would end the text early). */
char *config_prepare_text(struct cfg_ctx *ctx, const char *in, size_t len)
{
	char *out = xmalloc(len * 4 + 3);
	size_t o = 0;
	unsigned line = 1;
	size_t i = 0;
	while (i < len) {
		char c = in[i], next = i + 1 < len ? in[i + 1] : '\0';
		if (c == '\0') {
			ctx_error(ctx, line, "syntax error", "a NUL byte (a config is text)");
			out[o++] = ' ';
			i++;
		} else if (c == '\n') {
			out[o++] = c;
			line++;
			i++;
		} else if (c == '#' || (c == '/' && next == '/')) {
			while (i < len && in[i] != '\n')
				i++;
		} else if (c == '/' && next == '*') {
			unsigned start = line;
			i += 2;
			while (i < len && !(in[i] == '*' && i + 1 < len && in[i + 1] == '/')) {
				if (in[i] == '\n') {
					out[o++] = '\n';
					line++;
				}
				i++;
			}
			if (i >= len) {
				ctx_error(ctx, start, "syntax error", "a /* comment is not closed (end it with */)");
				ctx->prep_fatal = true;
			} else
				i += 2;
			out[o++] = ' ';
		} else if (c == '"' || c == '\'') {
			char q = c;
			unsigned qline = line;
			out[o++] = in[i++];
			while (i < len && in[i] != q) {
				if (in[i] == '\0') {
					ctx_error(ctx, line, "syntax error", "a NUL byte (a config is text)");
					out[o++] = ' ';
					i++;
					continue;
				}
				if (in[i] == '\n')
					line++;
				if (q == '"' && in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
					memcpy(out + o, "\\x24", 4);
					o += 4;
					i++;
					continue;
				}
				if (in[i] == '\\' && i + 1 < len && in[i + 1] != '\0') {
					if (in[i + 1] == '\n')
						line++;
					out[o++] = in[i++];
				}
				out[o++] = in[i++];
			}
			if (i < len) {
				out[o++] = in[i++];
			} else {
				ctx_error(ctx, qline, "syntax error", "a quoted string is not closed (end it with %c)", q);
				ctx->prep_fatal = true;
			}
		} else if (c == '$' && next == '{') {
			/* read on as the literal text it is, so that the rest is still checked */
			ctx_error(ctx, line, "syntax error", "${...} is not expanded (write the value itself)");
			memcpy(out + o, "\"\\x24", 5);
			o += 5;
			for (i++; i < len && !strchr("}\n\"'\\", in[i]) && in[i]; i++)
				out[o++] = in[i];
			if (i < len && in[i] == '}')
				out[o++] = in[i++];
			out[o++] = '"';
		} else if (strchr(" \t\r={}(),*", c) || (c == '+' && next == '=')) {
			/* libconfuse takes a section left open at the end as closed */
			if (c == '{' && ctx->open_depth++ == 0)
				ctx->open_line = line;
			if (c == '}' && ctx->open_depth > 0)
				ctx->open_depth--;
			out[o++] = c;
			i++;
		} else {
			/* a bare word, as far as libconfuse would read it plus '+' */
			size_t j = i;
			bool plus = false;
			while (j < len) {
				char d = in[j], dn = j + 1 < len ? in[j + 1] : '\0';
				if (d == '\0' || strchr(" \t\r\n#\"'={}(),*", d) || (d == '+' && dn == '=') ||
				    (d == '/' && (dn == '/' || dn == '*')) || (d == '$' && dn == '{'))
					break;
				plus |= d == '+';
				j++;
			}
			if (plus)
				out[o++] = '"';
			for (; i < j; i++) {
				if (plus && in[i] == '\\')
					out[o++] = '\\';
				out[o++] = in[i];
			}
			if (plus)
				out[o++] = '"';
		}
	}
	out[o] = '\0';
	return out;
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

/* ---- converting captured text into the structs ---- */

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
			bad = snprintf(why, sizeof(why), "is not a template (a file name in the templates folder, "
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
	case KT_SIGNAL:
		bad = value_signal(text, f, why);
		break;
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
	case KT_BOOL:
		bad = value_bool(text, f, why);
		break;
	case KT_SIZE:
		bad = value_size(text, f, why);
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
	case KT_CPUS:
		bad = value_cpus(text, f, why);
		break;
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
					ctx_error(ctx, line, key, "%.*s is set twice (each variable once)", (int)n, text);
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
			bad = snprintf(why, sizeof(why), "is not a seccomp policy (default, none, or the absolute path "
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
			bad = snprintf(why, sizeof(why), "is not a cgroup path (names of letters, digits, '_', '-', "
							 "'.', separated by '/', like boxes or machine/boxes)");
		else {
			free(*(char **)f);
			*(char **)f = xstrdup(s);
		}
		break;
	}
	case KT_CIDR:
	case KT_MAC:
	case KT_SECTION:
		hand(ctx, k, obj, text, line, key);
		return;
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
		/* "memory = {1G}" is a list where one value belongs */
		if (!k->list && n > 1 && i < ARRAY_SIZE(ctx->lines))
			ctx_error(ctx, ctx->lines[i], key, "takes one value, not a list (%s = %s)", k->name,
				  k->example);
		if (written && n == 0 && i < ARRAY_SIZE(ctx->lines))
			ctx->lines[i] = find_key_line(ctx, k->name, scope == SC_CONTAINER || scope == SC_GLOBAL
									    ? 1
									    : config_section_line(sec));
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
