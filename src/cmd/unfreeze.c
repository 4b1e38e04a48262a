#include "cmd/cmd.h"
#include "cmd/freeze.h"

static int run(int argc, char **argv);

const struct box_command cmd_unfreeze = {
	.name = "unfreeze",
	.run = run,
	.summary = "thaw a frozen container",
	.usage = "unfreeze NAME\n"
		 "  Lets the processes of a container frozen with 'box freeze' run again.",
};

static int run(int argc, char **argv)
{
	return freeze_cmd(&cmd_unfreeze, argc, argv, false);
}
