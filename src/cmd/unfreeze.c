#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_unfreeze = {
	.name = "unfreeze",
	.run = run,
	.summary = "thaw a frozen container",
	.usage = "unfreeze NAME",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_unfreeze, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_unfreeze);
}
