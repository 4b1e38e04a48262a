/* config_diff and config_write_merged: what differs between a running
 * container's config and its file, each difference classified by the
 * schema's flags (a limit live, the network live, autostart only recorded,
 * the rest a restart), and the record a live apply leaves: the file's live
 * keys with the running restart keys, so that what is left to differ is
 * exactly the restart keys. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "config/config.h"
#include "tap.h"

static struct box_config *load(const char *text)
{
	struct box_config *c = NULL;
	box_err_t err = NULL;
	if (config_load_buffer(text, strlen(text), "t.conf", "t", &c, &err) < 0) {
		printf("# %s\n", err->msg);
		box_error_release(&err);
		return NULL;
	}
	return c;
}

static const struct config_change *find(const struct config_change *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return &v[i];
	return NULL;
}

static const char running_text[] = "template = a.tar.gz\n"
				   "memory = 64M\n"
				   "autostart = no\n"
				   "network eth0 {\n  bridge = br0\n  address = 10.0.0.2/24\n  gateway = 10.0.0.1\n}\n"
				   "network eth1 {\n  bridge = br1\n}\n"
				   "network eth3 {\n  type = empty\n}\n";
static const char file_text[] = "template = b.tar.gz\n"
				"memory = 128M\n"
				"autostart = yes\n"
				"network eth0 {\n  bridge = br0\n  address = 10.0.0.3/24\n  gateway = 10.0.0.1\n"
				"  mtu = 1400\n}\n"
				"network eth2 {\n  bridge = br1\n}\n"
				"network eth3 {\n  type = veth\n}\n"
				"mount /srv {\n  source = /srv\n}\n";

static void test_diff(void)
{
	struct box_config *a = load(running_text), *b = load(file_text);
	struct config_change *v = NULL;
	tap_ok(a && b, "both configs load");
	if (!a || !b)
		return;
	size_t n = config_diff(a, b, &v);
	const struct {
		const char *key, *from, *to;
		enum config_change_kind kind;
	} want[] = {
		{ "template", "a.tar.gz", "b.tar.gz", CHANGE_RESTART },
		{ "autostart", "no", "yes", CHANGE_RECORD },
		{ "memory", "64M", "128M", CHANGE_LIVE },
		{ "network eth0: address", "{\"10.0.0.2/24\"}", "{\"10.0.0.3/24\"}", CHANGE_NET },
		{ "network eth0: mtu", NULL, "1400", CHANGE_NET },
		{ "network eth1", "veth", NULL, CHANGE_NET },
		{ "network eth3: type", "empty", "veth", CHANGE_RESTART },
		{ "network eth2", NULL, "veth", CHANGE_NET },
		{ "mount /srv", NULL, "/srv", CHANGE_RESTART },
	};
	tap_ok(n == ARRAY_SIZE(want), "%zu differences (want %zu)", n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct config_change *c = find(v, n, want[i].key);
		tap_ok(c != NULL, "%s differs", want[i].key);
		if (!c)
			continue;
		tap_ok(c->kind == want[i].kind, "%s: %s", want[i].key, config_change_kind_name(c->kind));
		tap_streq(c->from ? c->from : "(null)", want[i].from ? want[i].from : "(null)", "%s: from",
			  want[i].key);
		tap_streq(c->to ? c->to : "(null)", want[i].to ? want[i].to : "(null)", "%s: to", want[i].key);
	}
	tap_ok(find(v, n, "network eth0: address")->net && !strcmp(find(v, n, "network eth0: address")->net, "eth0"),
	       "a network key names its section");
	config_changes_free(v, n);

	/* the record after a live apply: only the restart keys still differ */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_write_merged(f, a, b, CONFIG_MERGE_LIMITS | CONFIG_MERGE_NET | CONFIG_MERGE_RECORD);
	fclose(f);
	struct box_config *m = load(buf);
	tap_ok(m != NULL, "the merged record loads");
	if (m) {
		n = config_diff(m, b, &v);
		bool only_restart = n > 0;
		for (size_t i = 0; i < n; i++)
			only_restart &= v[i].kind == CHANGE_RESTART;
		tap_ok(only_restart && n == 3, "after a live apply only the 3 restart keys differ (%zu left)", n);
		tap_ok(find(v, n, "network eth3: type") != NULL, "... a section whose type changes stays as it runs");
		config_changes_free(v, n);
		config_free(m);
	}
	free(buf);

	/* the limits only (box set) */
	buf = NULL;
	f = open_memstream(&buf, &len);
	config_write_merged(f, a, b, CONFIG_MERGE_LIMITS);
	fclose(f);
	m = load(buf);
	if (m) {
		n = config_diff(a, m, &v);
		tap_ok(n == 1 && !strcmp(v[0].key, "memory"), "a limits-only merge changes only the limits");
		config_changes_free(v, n);
		config_free(m);
	} else
		tap_ok(0, "the limits-only record loads");
	free(buf);
	n = config_diff(b, b, &v);
	tap_ok(n == 0 && !v, "a config does not differ from itself");
	config_free(a);
	config_free(b);
}

int main(void)
{
	test_diff();
	return tap_done();
}
