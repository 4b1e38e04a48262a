#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_restart = {
	.name = "restart",
	.run = run,
	.summary = "stop and start a container",
	.usage = "restart NAME [-t SECONDS]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_restart, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_restart);
}
