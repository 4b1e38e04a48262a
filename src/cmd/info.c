#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_info = {
	.name = "info",
	.run = run,
	.summary = "show a container's state, addresses and usage",
	.usage = "info NAME [--json]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_info, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_info);
}
