#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_apply = {
	.name = "apply",
	.run = run,
	.summary = "apply changed limits from the config files to running containers",
	.usage = "apply [NAME...]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_apply, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_apply);
}
