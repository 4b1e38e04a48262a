/* The effective config in its own syntax (`box config show`), equality of
 * two configs, and the key reference (`box config keys`). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/internal.h"
#include "base/util.h"
#include "config/values.h"

char *config_quote(const char *s)
{
	bool bare = *s != '\0';
	for (const char *p = s; *p && bare; p++)
		bare = isalnum((unsigned char)*p) || strchr("._-:+@", *p);
	if (bare)
		return xstrdup(s);
	char *q = xmalloc(strlen(s) * 2 + 3), *o = q;
	*o++ = '"';
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

/* Bare words read back as they are; anything else is quoted. */
static void put_value(FILE *f, const char *s)
{
	cleanup_free char *q = config_quote(s);
	fputs(q, f);
}

static void put_key(FILE *f, const char *indent, const char *key, const char *value)
{
	fprintf(f, "%s%-17s = ", indent, key);
	put_value(f, value);
	fputc('\n', f);
}

static void put_list(FILE *f, const char *indent, const char *key, char *const *v)
{
	fprintf(f, "%s%-17s = {", indent, key);
	for (size_t i = 0; v && v[i]; i++) {
		fputs(i ? ", " : "", f);
		put_value(f, v[i]);
	}
	fputs("}\n", f);
}

static void put_addrs(FILE *f, const char *indent, const char *key, const struct box_addr *a, size_t n)
{
	fprintf(f, "%s%-17s = {", indent, key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		put_value(f, a[i].text);
	}
	fputs("}\n", f);
}

typedef void (*put_hand_fn)(FILE *f, const char *indent, const struct config_key *k, const void *obj);

/* One key as `config show` writes it: a HAND key (not a section) by
 * `hand`, the others by their type; a value not set (config_type_format's
 * NULL, a NULL list) is not written. */
static void put_one(FILE *f, const char *indent, const struct config_key *k, const void *obj, put_hand_fn hand)
{
	if (k->type == KT_SECTION || (k->omit && k->omit(obj)))
		return;
	if (!config_type_has_field(k)) {
		hand(f, indent, k, obj);
		return;
	}
	if (k->list) {
		char *const *v = *(char **const *)((const char *)obj + k->offset);
		if (v)
			put_list(f, indent, k->name, v);
		return;
	}
	cleanup_free char *text = config_type_format(k, obj);
	if (text)
		put_key(f, indent, k->name, text);
}

/* Every key of the scope in the table's order. */
static void put_scope(FILE *f, const char *indent, enum config_scope scope, const void *obj, put_hand_fn hand)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope)
			put_one(f, indent, &config_schema[i], obj, hand);
}

/* A network section's HAND keys: more than one field each. */
static void put_net_hand(FILE *f, const char *indent, const struct config_key *k, const void *obj)
{
	const struct box_net *n = obj;
	char buf[64];
	if (!strcmp(k->name, "address") && n->n_addrs)
		put_addrs(f, indent, "address", n->addrs, n->n_addrs);
	if (!strcmp(k->name, "gateway") && (n->has_gateway4 || n->has_gateway6)) {
		struct box_addr gw[2];
		size_t m = 0;
		if (n->has_gateway4)
			gw[m++] = n->gateway4;
		if (n->has_gateway6)
			gw[m++] = n->gateway6;
		put_addrs(f, indent, "gateway", gw, m);
	}
	if (!strcmp(k->name, "hwaddr") && n->has_hwaddr) {
		value_format_mac(n->hwaddr, buf, sizeof(buf));
		put_key(f, indent, "hwaddr", buf);
	}
}

static void put_bridge_hand(FILE *f, const char *indent, const struct config_key *k, const void *obj)
{
	const struct box_bridge *b = obj;
	if (!strcmp(k->name, "address"))
		put_addrs(f, indent, "address", b->addrs, b->n_addrs);
}

/* The top level and mount sections have no HAND key but the sections. */
static void put_no_hand(FILE *f, const char *indent, const struct config_key *k, const void *obj)
{
}

static put_hand_fn hand_of(enum config_scope scope);

char *config_value_text(const struct config_key *k, const void *obj)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	put_one(f, "", k, obj, hand_of(k->scope));
	if (fclose(f) != 0)
		oom();
	char *eq = strstr(buf, " = ");
	if (!eq) {
		free(buf);
		return NULL;
	}
	char *v = xstrdup(eq + 3);
	v[strcspn(v, "\n")] = '\0';
	free(buf);
	return v;
}

static void put_net(FILE *f, const struct box_net *n)
{
	fputs("\nnetwork ", f);
	put_value(f, n->name);
	fputs(" {\n", f);
	put_scope(f, "  ", SC_NETWORK, n, put_net_hand);
	fputs("}\n", f);
}

static void put_mount(FILE *f, const struct box_mount *m)
{
	fputs("\nmount ", f);
	put_value(f, m->target ? m->target : "/");
	fputs(" {\n", f);
	put_scope(f, "  ", SC_MOUNT, m, put_no_hand);
	fputs("}\n", f);
}

static const struct box_net *find_net(const struct box_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nets; i++)
		if (!strcmp(c->nets[i].name, name))
			return &c->nets[i];
	return NULL;
}

int config_write_merged(FILE *f, const struct box_config *running, const struct box_config *file, unsigned kinds)
{
	unsigned live = (kinds & CONFIG_MERGE_LIMITS ? KF_LIVE : 0) | (kinds & CONFIG_MERGE_NET ? KF_NET : 0) |
			(kinds & CONFIG_MERGE_RECORD ? KF_RECORD : 0);
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->scope == SC_CONTAINER)
			put_one(f, "", k, (k->flags & live) ? file : running, put_no_hand);
	}
	if (!(kinds & CONFIG_MERGE_NET)) {
		for (size_t i = 0; i < running->n_nets; i++)
			put_net(f, &running->nets[i]);
		goto mounts;
	}
	/* a section whose type changes waits for the restart as it runs;
	 * every other one is the file's (added, changed or gone live) */
	for (size_t i = 0; i < running->n_nets; i++) {
		const struct box_net *o = &running->nets[i], *n = find_net(file, o->name);
		if ((n && n->type != o->type) || (!n && o->type == NET_HOST))
			put_net(f, o);
	}
	for (size_t i = 0; i < file->n_nets; i++) {
		const struct box_net *n = &file->nets[i], *o = find_net(running, n->name);
		if (o ? o->type == n->type : n->type != NET_HOST)
			put_net(f, n);
	}
mounts:
	for (size_t i = 0; i < running->n_mounts; i++)
		put_mount(f, &running->mounts[i]);
	return ferror(f) ? -1 : 0;
}

int config_write(FILE *f, const struct box_config *c)
{
	put_scope(f, "", SC_CONTAINER, c, put_no_hand);
	for (size_t i = 0; i < c->n_nets; i++)
		put_net(f, &c->nets[i]);
	for (size_t i = 0; i < c->n_mounts; i++)
		put_mount(f, &c->mounts[i]);
	return ferror(f) ? -1 : 0;
}

static put_hand_fn hand_of(enum config_scope scope)
{
	return scope == SC_NETWORK ? put_net_hand : scope == SC_BRIDGE ? put_bridge_hand : put_no_hand;
}

int global_write(FILE *f, const struct box_global *g)
{
	put_scope(f, "", SC_GLOBAL, g, put_no_hand);
	for (size_t i = 0; i < g->n_bridges; i++) {
		const struct box_bridge *b = &g->bridges[i];
		fputs("\nbridge ", f);
		put_value(f, b->name);
		fputs(" {\n", f);
		put_scope(f, "  ", SC_BRIDGE, b, put_bridge_hand);
		fputs("}\n", f);
	}
	return ferror(f) ? -1 : 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool addr_eq(const struct box_addr *a, const struct box_addr *b)
{
	return a->family == b->family && a->prefix == b->prefix && !memcmp(a->addr, b->addr, 16) &&
	       !strcmp(a->text, b->text);
}

static bool net_eq(const struct box_net *a, const struct box_net *b)
{
	if (strcmp(a->name, b->name) || !config_scope_equal(SC_NETWORK, a, b) || a->n_addrs != b->n_addrs ||
	    a->has_gateway4 != b->has_gateway4 || a->has_gateway6 != b->has_gateway6 || a->has_hwaddr != b->has_hwaddr)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!addr_eq(&a->addrs[i], &b->addrs[i]))
			return false;
	if ((a->has_gateway4 && !addr_eq(&a->gateway4, &b->gateway4)) ||
	    (a->has_gateway6 && !addr_eq(&a->gateway6, &b->gateway6)))
		return false;
	return !a->has_hwaddr || !memcmp(a->hwaddr, b->hwaddr, 6);
}

bool config_equal(const struct box_config *a, const struct box_config *b)
{
	if (!str_eq(a->name, b->name) || !config_scope_equal(SC_CONTAINER, a, b) || a->n_nets != b->n_nets ||
	    a->n_mounts != b->n_mounts)
		return false;
	for (size_t i = 0; i < a->n_nets; i++)
		if (!net_eq(&a->nets[i], &b->nets[i]))
			return false;
	for (size_t i = 0; i < a->n_mounts; i++)
		if (!str_eq(a->mounts[i].target, b->mounts[i].target) ||
		    !config_scope_equal(SC_MOUNT, &a->mounts[i], &b->mounts[i]))
			return false;
	return true;
}

void config_print_keys(FILE *f)
{
	static const char *const files[] = { [SC_CONTAINER] = "NAME.conf",
					     [SC_NETWORK] = "NAME.conf",
					     [SC_MOUNT] = "NAME.conf",
					     [SC_GLOBAL] = "boxes.conf",
					     [SC_BRIDGE] = "boxes.conf" };
	fputs("| file | key | type | default | example | meaning |\n|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		const char *sec = config_schema_section(k->scope);
		cleanup_free char *key =
		    sec ? xasprintf("%s TITLE { %s }", sec, k->name)
			: (k->type == KT_SECTION ? xasprintf("%s TITLE { ... }", k->name) : xstrdup(k->name));
		cleanup_free char *def = NULL;
		if (k->def_doc)
			def = xstrdup(k->def_doc);
		else if (k->list) {
			def = xstrdup("{");
			cleanup_free char *words = xstrdup(k->def);
			char *save = NULL;
			for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				char *t = xasprintf("%s%s%s", def, def[1] ? ", " : "", w);
				free(def);
				def = t;
			}
			char *t = xasprintf("%s}", def);
			free(def);
			def = t;
		} else {
			def = xstrdup(k->def ? k->def : "none");
		}
		fprintf(f, "| %s | `%s` | %s | %s | `%s` | %s |\n", files[k->scope], key, config_schema_type_doc(k),
			def, k->example, k->doc);
	}
}
