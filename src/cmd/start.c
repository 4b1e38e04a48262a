#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_start = {
	.name = "start",
	.run = run,
	.summary = "start a container (detached)",
	.usage = "start NAME [--wait] [--timeout SECONDS]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_start, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_start);
}
