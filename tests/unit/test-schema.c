/* The schema owns every key: for each key of the table, a config that sets
 * it (to its example, or a value of its type where the example is the
 * default) loads, differs from one that does not (config_equal compares
 * it), is written by config_write (and reads back equal), and is freed
 * (ASan's build of this test finds a field left out); the keys that apply
 * live are the resource limits. A key added to the table without its type
 * handled, or a hand-written part, fails here. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "config/schema.h"
#include "tap.h"

/* a value of the key's type where the example is the default */
static const char *value_for(const struct config_key *k)
{
	static const struct {
		enum config_scope scope;
		const char *name, *value;
	} other[] = {
		{ SC_CONTAINER, "init", "/bin/init" },
		{ SC_CONTAINER, "idmap_size", "1000" },
		{ SC_NETWORK, "type", "empty" },
		{ SC_GLOBAL, "cgroup_parent", "machine/boxes" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		if (other[i].scope == k->scope && !strcmp(other[i].name, k->name))
			return other[i].value;
	return k->example;
}

/* The scope's base lines ("memory = 1G" lets swap be set), with the key's
 * line set to value, or left out when value is NULL. */
static char *text_of(const struct config_key *k, const char *value)
{
	const char *base_key = NULL, *base_val = NULL, *open = "", *close = "";
	switch (k->scope) {
	case SC_CONTAINER: base_key = "memory", base_val = "1G"; break;
	case SC_NETWORK:
		open = "network eth0 {\n", close = "}\n";
		/* an address lets a gateway be set; type empty has none */
		if (strcmp(k->name, "type"))
			base_key = "address", base_val = "{10.77.0.10/24}";
		break;
	case SC_MOUNT:
		open = "mount /srv {\n", close = "}\n";
		base_key = "source", base_val = "/srv/a";
		break;
	case SC_GLOBAL: break;
	case SC_BRIDGE:
		open = "bridge br0 {\n", close = "}\n";
		/* nat, dhcp and dns need an address */
		base_key = "address", base_val = "{10.77.0.1/24}";
		break;
	case SC_FORWARD: open = "network eth0 { address = 10.77.0.10/24 }\nforward tcp/8080 {\n", close = "}\n"; break;
	}
	bool same = base_key && !strcmp(base_key, k->name);
	cleanup_free char *base = base_key && !same ? xasprintf("%s = %s\n", base_key, base_val) : xstrdup("");
	cleanup_free char *line = value ? xasprintf("%s = %s\n", k->name, value)
					: (same ? xasprintf("%s = %s\n", base_key, base_val) : xstrdup(""));
	return xasprintf("%s%s%s%s", open, base, line, close);
}

static char *written(const struct box_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	config_write(f, c);
	fclose(f);
	return text;
}

static void test_container_key(const struct config_key *k)
{
	cleanup_free char *without = text_of(k, NULL), *with = text_of(k, value_for(k));
	struct box_config *a = NULL, *b = NULL, *again = NULL;
	box_err_t err = NULL;
	if (!tap_ok(config_load_buffer(without, strlen(without), "a.conf", "t", &a, &err) == 0 &&
			config_load_buffer(with, strlen(with), "b.conf", "t", &b, &err) == 0,
		    "%s: a config with and one without it load", k->name)) {
		printf("#   %s\n#   ----\n%s#   ----\n%s", err ? err->msg : "?", without, with);
		goto out;
	}
	tap_ok(!config_equal(a, b), "%s: config_equal tells them apart", k->name);
	cleanup_free char *text = written(b);
	cleanup_free char *needle = xasprintf("%s%s ", k->scope == SC_CONTAINER ? "\n" : "\n  ", k->name);
	cleanup_free char *nl_text = xasprintf("\n%s", text);
	tap_ok(strstr(nl_text, needle) != NULL, "%s: config_write writes it", k->name);
	if (config_load_buffer(text, strlen(text), "again.conf", "t", &again, &err) < 0)
		printf("#   %s\n", err->msg);
	if (!tap_ok(again && config_equal(b, again), "%s: what config_write wrote reads back equal", k->name))
		printf("%s", text);
out:
	box_error_release(&err);
	config_free(a);
	config_free(b);
	config_free(again);
}

static void test_global_key(const struct config_key *k)
{
	cleanup_free char *with = text_of(k, value_for(k));
	struct box_global *g = NULL;
	box_err_t err = NULL;
	if (!tap_ok(global_load_buffer_report(with, strlen(with), "boxes.conf", &g, NULL, NULL, &err) == 0,
		    "%s: a boxes.conf with it loads", k->name)) {
		printf("#   %s\n%s", err ? err->msg : "?", with);
		box_error_release(&err);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	global_write(f, g);
	fclose(f);
	cleanup_free char *needle = xasprintf("%s%s ", k->scope == SC_GLOBAL ? "" : "  ", k->name);
	tap_ok(strstr(text, needle) != NULL, "%s: global_write writes it", k->name);
	free(text);
	global_free(g);
}

int main(void)
{
	static const char *const limits[] = { "memory", "swap", "cpus", "cpu_weight", "cpuset", "pids", "io_weight" };
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (k->type == KT_SECTION)
			continue;
		if (k->scope == SC_GLOBAL || k->scope == SC_BRIDGE)
			test_global_key(k);
		else
			test_container_key(k);
		bool limit = false;
		for (size_t j = 0; j < ARRAY_SIZE(limits); j++)
			limit |= k->scope == SC_CONTAINER && !strcmp(limits[j], k->name);
		tap_ok(config_key_live(k->name) == limit || k->scope != SC_CONTAINER,
		       "%s: applies live exactly when it is a cgroup limit", k->name);
	}
	return tap_done();
}
