/* box autostart start|stop: what the host runs at boot and at shutdown (the
 * unit conf/boxes-autostart.service runs `box apply` at boot and this at
 * shutdown), as Proxmox's pve-guests does with
 * onboot/startup order: every container with autostart = yes, lower
 * start_order first (then by name); stop goes in the reverse order. One
 * container that fails does not keep the others from starting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "base/log.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_autostart = {
	.name = "autostart",
	.run = run,
	.summary = "start or stop every container with autostart = yes (host boot, shutdown)",
	.usage = "autostart start|stop|list\n"
		 "  start  starts every stopped container whose config says autostart = yes,\n"
		 "         lower start_order first; a failing one is reported, the rest go on\n"
		 "  stop   stops the running ones in the reverse order (each with its stop_timeout)\n"
		 "  list   prints them in start order: ORDER NAME STATE LOCK (LOCK as in box ls:\n"
		 "         the command holding a stopped one, as export, snapshot, clone, '-' if none)\n"
		 "  Exit 1 when any container failed. conf/boxes-autostart.service runs 'box apply' at\n"
		 "  boot (it starts the same ones, in the same order) and 'autostart stop' at shutdown.",
};

struct entry {
	char *name;
	int order;
};

static int by_order(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The autostart containers in start order; a config that does not load is
 * reported and counted in *bad. */
static struct entry *collect(size_t *n, int *bad, box_err_t *err)
{
	char **names = NULL;
	if (config_list(&names, err) < 0)
		return NULL;
	struct entry *v = xzalloc((strv_len(names) + 1) * sizeof(*v));
	*n = 0;
	for (size_t i = 0; names && names[i]; i++) {
		struct box_config *c = NULL;
		box_err_t e = NULL;
		if (config_load(names[i], &c, &e) < 0) {
			box_error_report(&e);
			(*bad)++;
			continue;
		}
		if (c->autostart)
			v[(*n)++] = (struct entry){ .name = xstrdup(names[i]), .order = c->start_order };
		config_free(c);
	}
	strv_free(names);
	qsort(v, *n, sizeof(*v), by_order);
	return v;
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_autostart, argc, argv))
		return 0;
	if (argc != 2 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop") && strcmp(argv[1], "list")))
		return cmd_usage_error(&cmd_autostart, "expected start, stop or list");
	const char *what = argv[1];
	box_err_t err = NULL;
	size_t n = 0;
	int bad = 0;
	struct entry *v = collect(&n, &bad, &err);
	if (!v)
		return box_error_report(&err);
	bool stop = !strcmp(what, "stop");
	for (size_t k = 0; k < n; k++) {
		const struct entry *e = &v[stop ? n - 1 - k : k];
		struct runtime_info ri = { 0 };
		if (runtime_info(e->name, &ri, &err) < 0) {
			box_error_report(&err);
			bad++;
			continue;
		}
		enum box_state st = ri.state;
		if (!strcmp(what, "list")) {
			printf("%-6d %-20s %-9s %s\n", e->order, e->name, state_name(st), ri.lock[0] ? ri.lock : "-");
			continue;
		}
		if (stop ? st == BOX_STOPPED : st != BOX_STOPPED)
			continue; /* nothing to do: not an error at boot or shutdown */
		int r = stop ? runtime_stop(e->name, -1, false, &err) : runtime_start(e->name, false, &err);
		if (r < 0) {
			box_error_report(&err);
			bad++;
		} else
			printf("%s: %s\n", e->name, stop ? "stopped" : "started");
	}
	for (size_t k = 0; k < n; k++)
		free(v[k].name);
	free(v);
	return bad ? 1 : 0;
}
