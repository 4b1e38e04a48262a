#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_ls = {
	.name = "ls",
	.run = run,
	.summary = "list containers",
	.usage = "ls [--json]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_ls, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_ls);
}
