/* The effective config in its own syntax (`box config show`), equality of
 * two configs, and the key reference (`box config keys`). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/idrange.h"
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

int config_write(FILE *f, const struct box_config *c)
{
	char buf[64];
	if (c->template_name)
		put_key(f, "", "template", c->template_name);
	put_key(f, "", "hostname", c->hostname ? c->hostname : c->name);
	put_key(f, "", "init", c->init ? c->init : "/sbin/init");
	put_list(f, "", "init_args", c->init_args);
	value_format_signal(c->halt_signal, buf, sizeof(buf));
	put_key(f, "", "halt_signal", buf);
	fprintf(f, "%-17s = %u\n", "stop_timeout", c->stop_timeout);
	put_key(f, "", "autostart", c->autostart ? "yes" : "no");
	fprintf(f, "%-17s = %d\n", "start_order", c->start_order);
	put_list(f, "", "environment", c->environment);
	value_format_size(c->memory, buf, sizeof(buf));
	put_key(f, "", "memory", buf);
	value_format_size(c->swap, buf, sizeof(buf));
	put_key(f, "", "swap", buf);
	value_format_cpus(c->cpus_milli, buf, sizeof(buf));
	put_key(f, "", "cpus", buf);
	fprintf(f, "%-17s = %u\n", "cpu_weight", c->cpu_weight);
	if (c->cpuset)
		put_key(f, "", "cpuset", c->cpuset);
	if (c->pids == BOX_UNLIMITED)
		put_key(f, "", "pids", "max");
	else
		fprintf(f, "%-17s = %llu\n", "pids", (unsigned long long)c->pids);
	fprintf(f, "%-17s = %u\n", "io_weight", c->io_weight);
	put_key(f, "", "unprivileged", c->unprivileged ? "yes" : "no");
	if (c->idmap_base == BOX_IDMAP_AUTO)
		fprintf(f, "%-17s = auto\n", "idmap_base");
	else
		fprintf(f, "%-17s = %u\n", "idmap_base", c->idmap_base);
	fprintf(f, "%-17s = %u\n", "idmap_size", c->idmap_size);
	if (c->capabilities_keep)
		put_list(f, "", "capabilities_keep", c->capabilities_keep);
	else
		put_list(f, "", "capabilities_drop", c->capabilities_drop);
	put_key(f, "", "seccomp", c->seccomp ? c->seccomp : "default");
	put_key(f, "", "storage", config_storage_name(c->storage));
	put_list(f, "", "nameserver", c->nameservers);
	put_list(f, "", "searchdomain", c->searchdomains);
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		fputs("\nnetwork ", f);
		put_value(f, n->name);
		fputs(" {\n", f);
		put_key(f, "  ", "type", config_net_type_name(n->type));
		if (n->bridge[0])
			put_key(f, "  ", "bridge", n->bridge);
		if (n->n_addrs)
			put_addrs(f, "  ", "address", n->addrs, n->n_addrs);
		if (n->has_gateway4 || n->has_gateway6) {
			struct box_addr gw[2];
			size_t k = 0;
			if (n->has_gateway4)
				gw[k++] = n->gateway4;
			if (n->has_gateway6)
				gw[k++] = n->gateway6;
			put_addrs(f, "  ", "gateway", gw, k);
		}
		if (n->has_hwaddr) {
			value_format_mac(n->hwaddr, buf, sizeof(buf));
			put_key(f, "  ", "hwaddr", buf);
		}
		if (n->mtu)
			fprintf(f, "  %-17s = %u\n", "mtu", n->mtu);
		fputs("}\n", f);
	}
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct box_mount *m = &c->mounts[i];
		fputs("\nmount ", f);
		put_value(f, m->target ? m->target : "/");
		fputs(" {\n", f);
		if (m->source)
			put_key(f, "  ", "source", m->source);
		put_key(f, "  ", "readonly", m->readonly ? "yes" : "no");
		fputs("}\n", f);
	}
	return ferror(f) ? -1 : 0;
}

int global_write(FILE *f, const struct box_global *g)
{
	put_key(f, "", "cgroup_parent", g->cgroup_parent ? g->cgroup_parent : "boxes");
	for (size_t i = 0; i < g->n_bridges; i++) {
		const struct box_bridge *b = &g->bridges[i];
		fputs("\nbridge ", f);
		put_value(f, b->name);
		fputs(" {\n", f);
		put_addrs(f, "  ", "address", b->addrs, b->n_addrs);
		if (b->mtu)
			fprintf(f, "  %-17s = %u\n", "mtu", b->mtu);
		fputs("}\n", f);
	}
	return ferror(f) ? -1 : 0;
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

static bool addr_eq(const struct box_addr *a, const struct box_addr *b)
{
	return a->family == b->family && a->prefix == b->prefix && !memcmp(a->addr, b->addr, 16) &&
	       !strcmp(a->text, b->text);
}

static bool net_eq(const struct box_net *a, const struct box_net *b)
{
	if (strcmp(a->name, b->name) || a->type != b->type || strcmp(a->bridge, b->bridge) ||
	    a->n_addrs != b->n_addrs || a->has_gateway4 != b->has_gateway4 || a->has_gateway6 != b->has_gateway6 ||
	    a->has_hwaddr != b->has_hwaddr || a->mtu != b->mtu)
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
	if (!str_eq(a->name, b->name) || !str_eq(a->template_name, b->template_name) ||
	    !str_eq(a->hostname, b->hostname) || !str_eq(a->init, b->init) || !strv_eq(a->init_args, b->init_args) ||
	    a->halt_signal != b->halt_signal || a->stop_timeout != b->stop_timeout || a->autostart != b->autostart ||
	    a->start_order != b->start_order || !strv_eq(a->environment, b->environment) || a->memory != b->memory ||
	    a->swap != b->swap || a->cpus_milli != b->cpus_milli || a->cpu_weight != b->cpu_weight ||
	    !str_eq(a->cpuset, b->cpuset) || a->pids != b->pids || a->io_weight != b->io_weight ||
	    a->unprivileged != b->unprivileged || a->idmap_base != b->idmap_base || a->idmap_size != b->idmap_size ||
	    !strv_eq(a->capabilities_drop, b->capabilities_drop) ||
	    !strv_eq(a->capabilities_keep, b->capabilities_keep) || !str_eq(a->seccomp, b->seccomp) ||
	    a->storage != b->storage || !strv_eq(a->nameservers, b->nameservers) ||
	    !strv_eq(a->searchdomains, b->searchdomains) || a->n_nets != b->n_nets || a->n_mounts != b->n_mounts)
		return false;
	for (size_t i = 0; i < a->n_nets; i++)
		if (!net_eq(&a->nets[i], &b->nets[i]))
			return false;
	for (size_t i = 0; i < a->n_mounts; i++)
		if (!str_eq(a->mounts[i].target, b->mounts[i].target) ||
		    !str_eq(a->mounts[i].source, b->mounts[i].source) || a->mounts[i].readonly != b->mounts[i].readonly)
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
