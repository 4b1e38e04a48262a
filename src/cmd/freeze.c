#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_freeze = {
	.name = "freeze",
	.run = run,
	.summary = "freeze every process of a container",
	.usage = "freeze NAME",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_freeze, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_freeze);
}
