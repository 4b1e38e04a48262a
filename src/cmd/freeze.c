#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "cmd/cmd.h"
#include "cmd/freeze.h"

static int run(int argc, char **argv);

const struct box_command cmd_freeze = {
	.name = "freeze",
	.run = run,
	.summary = "freeze every process of a container",
	.usage = "freeze NAME\n"
		 "  Stops every process of the container where it is (cgroup freezer) until\n"
		 "  'box unfreeze NAME'; 'box stop' works on a frozen container.",
};

int freeze_cmd(const struct box_command *cmd, int argc, char **argv, bool freeze)
{
	if (cmd_wants_help(cmd, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error(cmd, argc < 2 ? "expected a container name" : "unexpected argument '%s'",
				       argv[argc < 2 ? 0 : argc - 1]);
	const char *name = argv[1];
	box_err_t err = NULL;
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	enum box_state st;
	struct cgroup_stats cs;
	if (paths_check_name(name, &err) < 0 || config_load(name, &c, &err) < 0 ||
	    runtime_state(name, &st, NULL, &err) < 0)
		goto out;
	if (st == BOX_STOPPED || st == BOX_STARTING || st == BOX_STOPPING) {
		box_error(&err, 0, "%s is %s, not running", name, state_name(st));
		goto out;
	}
	if (global_load(&g, &err) < 0 || cgroup_open(g->cgroup_parent, name, &cg, &err) < 0 ||
	    cgroup_stats(cg, &cs, &err) < 0)
		goto out;
	if (cs.frozen == freeze) {
		box_error(&err, 0, "%s is %s", name, freeze ? "frozen already" : "not frozen");
		goto out;
	}
	if (cgroup_freeze(cg, freeze, &err) < 0)
		goto out;
	printf("%s: %s\n", name, freeze ? "frozen" : "running again");
out:
	cgroup_free(cg);
	global_free(g);
	config_free(c);
	return box_error_report(&err);
}

static int run(int argc, char **argv)
{
	return freeze_cmd(&cmd_freeze, argc, argv, true);
}
