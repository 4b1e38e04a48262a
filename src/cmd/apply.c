#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "cmd/apply.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_apply = {
	.name = "apply",
	.run = run,
	.summary = "apply the configs' resource limits to running containers",
	.usage = "apply [NAME...]\n"
		 "  Re-reads each container's config and writes every resource limit that differs\n"
		 "  from what the kernel has into its cgroup, without a restart; prints what changed.\n"
		 "  No NAME: every running container.",
};

int apply_limits(const char *name, bool *running, box_err_t *err)
{
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	char **changes = NULL;
	enum box_state st;
	int ret = -1;
	*running = false;
	if (config_load(name, &c, err) < 0 || runtime_state(name, &st, NULL, err) < 0)
		goto out;
	if (st == BOX_STOPPED) {
		ret = 0;
		goto out;
	}
	if (global_load(&g, err) < 0 || cgroup_open(g->cgroup_parent, name, &cg, err) < 0)
		goto out;
	struct cgroup_limits l;
	cgroup_limits_from_config(c, &l);
	if (cgroup_update_limits(cg, &l, &changes, err) < 0)
		goto out;
	*running = true;
	for (size_t i = 0; changes && changes[i]; i++)
		printf("%s: %s\n", name, changes[i]);
	if (!changes)
		printf("%s: the kernel has the config's limits already\n", name);
	ret = 0;
out:
	strv_free(changes);
	cgroup_free(cg);
	global_free(g);
	config_free(c);
	return ret;
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_apply, argc, argv))
		return 0;
	box_err_t err = NULL;
	char **names = NULL;
	bool all = argc < 2;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			return cmd_usage_error(&cmd_apply, "unknown option '%s'", argv[i]);
		if (paths_check_name(argv[i], &err) < 0)
			return box_error_report(&err);
	}
	if (all) {
		if (config_list(&names, &err) < 0)
			return box_error_report(&err);
	} else {
		names = strv_copy(argv + 1);
	}
	int status = 0;
	for (size_t i = 0; names && names[i]; i++) {
		bool running;
		if (apply_limits(names[i], &running, &err) < 0) {
			box_error_wrap(&err, "%s", names[i]);
			int s = box_error_report(&err);
			if (s > status)
				status = s;
			continue;
		}
		if (!running && !all)
			printf("%s: not running: its limits apply at the next start\n", names[i]);
	}
	strv_free(names);
	return status;
}
