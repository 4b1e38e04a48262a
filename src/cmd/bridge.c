/* box bridge: the managed bridges of boxes.conf (nat, dhcp, dns) by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/log.h"
#include "base/util.h"
#include "config/config.h"
#include "net/dnsmasq.h"
#include "net/managed.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_bridge = {
	.name = "bridge",
	.run = run,
	.summary = "managed bridges: list, start, stop their dnsmasq and NAT",
	.usage = "bridge ls | bridge start NAME | bridge stop NAME [--force]\n"
		 "  ls     the bridges of boxes.conf: NAME NAT DHCP DNS DNSMASQ (its pid, '-' when not\n"
		 "         running) CONTAINERS (those on it now)\n"
		 "  start  masquerading and dnsmasq now, before any container (the first start of a\n"
		 "         container on the bridge does it too)\n"
		 "  stop   stops its dnsmasq and removes its masquerading (the last container's stop\n"
		 "         does it too); refused while containers use it, unless --force",
};

static const struct box_bridge *find(const struct box_global *g, const char *name, box_err_t *err)
{
	const struct box_bridge *b = global_find_bridge(g, name);
	if (!b)
		box_usage_error(err, "bridge %s: not in %s (bridge %s { address = ... nat = yes })", name, g->path,
				name);
	return b;
}

static int list(const struct box_global *g)
{
	printf("%-15s %-4s %-4s %-4s %-8s %s\n", "NAME", "NAT", "DHCP", "DNS", "DNSMASQ", "CONTAINERS");
	for (size_t i = 0; i < g->n_bridges; i++) {
		const struct box_bridge *b = &g->bridges[i];
		pid_t pid = 0;
		char p[16] = "-";
		if (dnsmasq_running(b->name, &pid) && pid > 0)
			snprintf(p, sizeof(p), "%d", (int)pid);
		cleanup_strv char **users = managed_bridge_users(b->name);
		cleanup_free char *who = xstrdup(users[0] ? users[0] : "-");
		for (size_t j = 1; users[0] && users[j]; j++) {
			char *t = xasprintf("%s,%s", who, users[j]);
			free(who);
			who = t;
		}
		printf("%-15s %-4s %-4s %-4s %-8s %s\n", b->name, b->nat ? "yes" : "no", b->dhcp ? "yes" : "no",
		       b->dns ? "yes" : "no", p, who);
	}
	return 0;
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_bridge, argc, argv))
		return 0;
	const char *verb = argc > 1 ? argv[1] : NULL, *name = NULL;
	bool force = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return cmd_usage_error(&cmd_bridge, "unknown argument '%s'", argv[i]);
	}
	if (!verb || (strcmp(verb, "ls") && strcmp(verb, "start") && strcmp(verb, "stop")))
		return cmd_usage_error(&cmd_bridge, "say ls, start or stop");
	if (strcmp(verb, "ls") && !name)
		return cmd_usage_error(&cmd_bridge, "bridge %s needs a bridge name", verb);
	if (!strcmp(verb, "ls") && (name || force))
		return cmd_usage_error(&cmd_bridge, "bridge ls takes no argument");
	box_err_t err = NULL;
	struct box_global *g = NULL;
	if (global_load(&g, &err) < 0)
		return box_error_report(&err);
	int rc = 0;
	const struct box_bridge *b = NULL;
	if (!strcmp(verb, "ls"))
		rc = list(g);
	else if (!(b = find(g, name, &err)))
		rc = box_error_report(&err);
	else if (!strcmp(verb, "start") && managed_bridge_start(b, &err) < 0)
		rc = box_error_report(&err);
	else if (!strcmp(verb, "stop") && managed_bridge_stop(b->name, force, &err) < 0)
		rc = box_error_report(&err);
	global_free(g);
	return rc;
}
