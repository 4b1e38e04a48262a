#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_config = {
	.name = "config",
	.run = run,
	.summary = "check or show container configs",
	.usage = "config check [NAME|FILE|-]... | config show NAME",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_config, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_config);
}
