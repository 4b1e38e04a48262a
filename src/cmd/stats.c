#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_stats = {
	.name = "stats",
	.run = run,
	.summary = "show resource usage",
	.usage = "stats NAME [--watch]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_stats, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_stats);
}
