/* What the schema does with a value of each type: a parser per type (text
 * into the struct field), and by the field's representation how it is
 * written back, compared and freed. config_apply_scope, config_write,
 * config_equal and config_free all go through here, so that a key is one
 * row of the schema table plus its meaning. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "config/internal.h"
#include "config/values.h"

/* ---- the names of the enums' values ---- */

const char *config_storage_name(enum box_storage s)
{
	switch (s) {
	case STORAGE_DIR: return "dir";
	case STORAGE_OVERLAY: return "overlay";
	case STORAGE_BTRFS: return "btrfs";
	}
	return "?";
}

const char *config_net_type_name(enum box_net_type t)
{
	switch (t) {
	case NET_VETH: return "veth";
	case NET_EMPTY: return "empty";
	case NET_HOST: return "host";
	}
	return "?";
}

/* ---- parsers: 0, or non-zero with `why` ("'TEXT' why"); lists push ---- */

#define PARSER(name)                                                                                                   \
	static int name(struct cfg_ctx *ctx, const struct config_key *k, void *f, const char *text, unsigned line,     \
			const char *key, value_why_t why)

static void set_str(void *f, char *p)
{
	free(*(char **)f);
	*(char **)f = p;
}

PARSER(p_string)
{
	if (strpbrk(text, "\n\r"))
		return snprintf(why, VALUE_WHY_MAX, "has a line break (one line)");
	if (k->list)
		strv_push(f, text);
	else
		set_str(f, xstrdup(text));
	return 0;
}

PARSER(p_template)
{
	char *p = NULL;
	int bad = 0;
	if (strchr(text, '/'))
		bad = value_abspath(text, &p, why);
	else if (!*text || !strcmp(text, ".") || !strcmp(text, "..") || strpbrk(text, "\n\r"))
		return snprintf(why, VALUE_WHY_MAX,
				"is not a template (a file name in the templates folder, or an absolute path)");
	else
		p = xstrdup(text);
	if (p)
		set_str(f, p);
	return bad;
}

PARSER(p_path)
{
	char *p = NULL;
	int bad = value_abspath(text, &p, why);
	if (!bad)
		set_str(f, p);
	return bad;
}

PARSER(p_hostname)
{
	int bad = value_hostname(text, why);
	if (!bad)
		set_str(f, xstrdup(text));
	return bad;
}

PARSER(p_domain)
{
	int bad = value_domain(text, why);
	if (!bad && k->list)
		strv_push(f, text);
	else if (!bad)
		set_str(f, xstrdup(text));
	return bad;
}

PARSER(p_signal)
{
	return value_signal(text, f, why);
}

PARSER(p_number)
{
	long long v;
	int bad = value_int(text, k->min, k->max, &v, why);
	if (!bad && k->type == KT_UINT)
		*(unsigned *)f = (unsigned)v;
	else if (!bad)
		*(int *)f = (int)v;
	return bad;
}

/* idmap_base: a number, or auto (BOX_IDMAP_AUTO, resolved by idrange.h) */
PARSER(p_idbase)
{
	long long v;
	if (!strcasecmp(text, "auto")) {
		*(uint32_t *)f = BOX_IDMAP_AUTO;
		return 0;
	}
	if (value_int(text, k->min, k->max, &v, why))
		return snprintf(why, VALUE_WHY_MAX, "is not a number or auto (%lld..%lld, or auto)", k->min, k->max);
	*(uint32_t *)f = (uint32_t)v;
	return 0;
}

PARSER(p_bool)
{
	return value_bool(text, f, why);
}

PARSER(p_size)
{
	return value_size(text, f, why);
}

PARSER(p_count)
{
	if (!strcasecmp(text, "max") || !strcasecmp(text, "unlimited")) {
		*(uint64_t *)f = UINT64_MAX;
		return 0;
	}
	long long v;
	if (value_int(text, 0, 4194304, &v, why))
		return snprintf(why, VALUE_WHY_MAX, "is not a number or max (0..4194304, or max)");
	*(uint64_t *)f = (uint64_t)v;
	return 0;
}

PARSER(p_cpus)
{
	return value_cpus(text, f, why);
}

PARSER(p_cpuset)
{
	char *p = NULL;
	int bad = value_cpuset(text, &p, why);
	if (!bad)
		set_str(f, p);
	return bad;
}

PARSER(p_env)
{
	int bad = value_env(text, why);
	if (bad)
		return bad;
	size_t n = strcspn(text, "=");
	for (char **e = *(char ***)f; e && *e; e++)
		if (!strncmp(*e, text, n) && (*e)[n] == '=') {
			/* a later one would silently win */
			ctx_error(ctx, line, key, "%.*s is set twice (each variable once)", (int)n, text);
			return 0;
		}
	strv_push(f, text);
	return 0;
}

PARSER(p_cap)
{
	cleanup_free char *p = NULL;
	int bad = value_capability(text, &p, why);
	if (bad)
		return bad;
	for (char **s = *(char ***)f; s && *s; s++)
		if (!strcmp(*s, p))
			return 0;
	strv_push(f, p);
	return 0;
}

PARSER(p_seccomp)
{
	char *p = NULL;
	int bad = 0;
	if (!strcmp(text, "default") || !strcmp(text, "none"))
		p = xstrdup(text);
	else if (text[0] != '/')
		return snprintf(why, VALUE_WHY_MAX,
				"is not a seccomp policy (default, none, or the absolute path of a profile)");
	else
		bad = value_abspath(text, &p, why);
	if (p)
		set_str(f, p);
	return bad;
}

PARSER(p_storage)
{
	for (enum box_storage s = STORAGE_DIR; s <= STORAGE_BTRFS; s++)
		if (!strcmp(text, config_storage_name(s))) {
			*(enum box_storage *)f = s;
			return 0;
		}
	return snprintf(why, VALUE_WHY_MAX, "is not a storage backend (dir, overlay or btrfs)");
}

PARSER(p_nettype)
{
	for (enum box_net_type t = NET_VETH; t <= NET_HOST; t++)
		if (!strcmp(text, config_net_type_name(t))) {
			*(enum box_net_type *)f = t;
			return 0;
		}
	return snprintf(why, VALUE_WHY_MAX, "is not a network type (veth, empty or host)");
}

PARSER(p_ifname)
{
	int bad = value_ifname(text, why);
	if (!bad)
		snprintf(f, IFNAMSIZ, "%s", text);
	return bad;
}

PARSER(p_ip)
{
	struct box_addr a;
	int bad = value_ip(text, &a, why);
	if (!bad)
		strv_push(f, a.text);
	return bad;
}

PARSER(p_nameserver)
{
	char ns[VALUE_WHY_MAX];
	int bad = value_nameserver(text, ns, sizeof(ns), why);
	if (!bad)
		strv_push(f, ns);
	return bad;
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

PARSER(p_cgroup)
{
	cleanup_free char *p = xstrdup(text);
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	char *s = p;
	while (*s == '/')
		s++;
	if (!valid_cgroup_path(s))
		return snprintf(why, VALUE_WHY_MAX,
				"is not a cgroup path (names of letters, digits, '_', '-', '.', separated by '/', "
				"like boxes or machine/boxes)");
	set_str(f, xstrdup(s));
	return 0;
}

typedef int (*parse_fn)(struct cfg_ctx *ctx, const struct config_key *k, void *f, const char *text, unsigned line,
			const char *key, value_why_t why);

/* KT_CIDR, KT_MAC and KT_SECTION have none: their keys are the loader's
 * (offset HAND), since they fill more than one field. */
static const parse_fn parsers[] = {
	[KT_STRING] = p_string,
	[KT_TEMPLATE] = p_template,
	[KT_PATH] = p_path,
	[KT_HOSTNAME] = p_hostname,
	[KT_DOMAIN] = p_domain,
	[KT_SIGNAL] = p_signal,
	[KT_UINT] = p_number,
	[KT_INT] = p_number,
	[KT_BOOL] = p_bool,
	[KT_SIZE] = p_size,
	[KT_COUNT] = p_count,
	[KT_CPUS] = p_cpus,
	[KT_CPUSET] = p_cpuset,
	[KT_ENV] = p_env,
	[KT_CAP] = p_cap,
	[KT_SECCOMP] = p_seccomp,
	[KT_STORAGE] = p_storage,
	[KT_NETTYPE] = p_nettype,
	[KT_IFNAME] = p_ifname,
	[KT_IP] = p_ip,
	[KT_NAMESERVER] = p_nameserver,
	[KT_CGROUP] = p_cgroup,
	[KT_IDBASE] = p_idbase,
};

bool config_type_has_parser(enum config_type t)
{
	return (size_t)t < ARRAY_SIZE(parsers) && parsers[t];
}

int config_type_parse(struct cfg_ctx *ctx, const struct config_key *k, void *obj, const char *text, unsigned line,
		      const char *key)
{
	value_why_t why = "";
	int bad = parsers[k->type](ctx, k, (char *)obj + k->offset, text, line, key, why);
	if (bad)
		ctx_error(ctx, line, key, "'%s' %s", text, why);
	return bad ? -1 : 0;
}

/* ---- by representation: write back, compare, free ---- */

enum repr { R_NONE, R_STR, R_STRV, R_UINT, R_INT, R_BOOL, R_U64, R_ENUM, R_IFNAME };

static enum repr repr_of(const struct config_key *k)
{
	static const enum repr single[] = {
		[KT_STRING] = R_STR,  [KT_TEMPLATE] = R_STR, [KT_PATH] = R_STR,	    [KT_HOSTNAME] = R_STR,
		[KT_SIGNAL] = R_INT,  [KT_UINT] = R_UINT,    [KT_INT] = R_INT,	    [KT_BOOL] = R_BOOL,
		[KT_SIZE] = R_U64,    [KT_COUNT] = R_U64,    [KT_CPUS] = R_UINT,    [KT_CPUSET] = R_STR,
		[KT_SECCOMP] = R_STR, [KT_STORAGE] = R_ENUM, [KT_NETTYPE] = R_ENUM, [KT_IFNAME] = R_IFNAME,
		[KT_CGROUP] = R_STR,  [KT_IDBASE] = R_UINT,  [KT_DOMAIN] = R_STR,
	};
	if (k->offset == CONFIG_HAND)
		return R_NONE;
	if (k->list)
		return R_STRV;
	return (size_t)k->type < ARRAY_SIZE(single) ? single[k->type] : R_NONE;
}

bool config_type_has_field(const struct config_key *k)
{
	return repr_of(k) != R_NONE;
}

char *config_type_format(const struct config_key *k, const void *obj)
{
	const void *f = (const char *)obj + k->offset;
	char buf[64];
	switch (k->type) {
	case KT_SIGNAL: value_format_signal(*(const int *)f, buf, sizeof(buf)); return xstrdup(buf);
	case KT_BOOL: return xstrdup(*(const bool *)f ? "yes" : "no");
	case KT_SIZE: value_format_size(*(const uint64_t *)f, buf, sizeof(buf)); return xstrdup(buf);
	case KT_COUNT:
		if (*(const uint64_t *)f == BOX_UNLIMITED)
			return xstrdup("max");
		return xasprintf("%" PRIu64, *(const uint64_t *)f);
	case KT_CPUS: value_format_cpus(*(const uint32_t *)f, buf, sizeof(buf)); return xstrdup(buf);
	case KT_IDBASE:
		if (*(const uint32_t *)f == BOX_IDMAP_AUTO)
			return xstrdup("auto");
		return xasprintf("%" PRIu32, *(const uint32_t *)f);
	case KT_STORAGE: return xstrdup(config_storage_name(*(const enum box_storage *)f));
	case KT_NETTYPE: return xstrdup(config_net_type_name(*(const enum box_net_type *)f));
	default: break;
	}
	switch (repr_of(k)) {
	case R_STR: return *(char *const *)f ? xstrdup(*(char *const *)f) : NULL;
	case R_IFNAME: return *(const char *)f ? xstrdup(f) : NULL;
	/* a number without a default: 0 is "not set" (mtu: the kernel's) */
	case R_UINT: return *(const unsigned *)f || k->def ? xasprintf("%u", *(const unsigned *)f) : NULL;
	case R_INT: return xasprintf("%d", *(const int *)f);
	default: return NULL;
	}
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool strv_eq(char *const *a, char *const *b)
{
	if (!a || !b)
		return !a == !b;
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return !a[i] && !b[i];
}

static bool field_equal(const struct config_key *k, const void *a, const void *b)
{
	const void *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;
	switch (repr_of(k)) {
	case R_STR: return str_eq(*(char *const *)x, *(char *const *)y);
	case R_STRV: return strv_eq(*(char **const *)x, *(char **const *)y);
	case R_UINT: return *(const unsigned *)x == *(const unsigned *)y;
	case R_INT: return *(const int *)x == *(const int *)y;
	case R_BOOL: return *(const bool *)x == *(const bool *)y;
	case R_U64: return *(const uint64_t *)x == *(const uint64_t *)y;
	case R_ENUM: return *(const int *)x == *(const int *)y;
	case R_IFNAME: return !strncmp(x, y, IFNAMSIZ);
	case R_NONE: break;
	}
	return true;
}

bool config_scope_equal(enum config_scope scope, const void *a, const void *b)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope && !field_equal(&config_schema[i], a, b))
			return false;
	return true;
}

void config_scope_free(enum config_scope scope, void *obj)
{
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope != scope)
			continue;
		void *f = (char *)obj + k->offset;
		if (repr_of(k) == R_STR)
			free(*(char **)f);
		else if (repr_of(k) == R_STRV)
			strv_free(*(char ***)f);
	}
}
