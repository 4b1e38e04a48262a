#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_set = {
	.name = "set",
	.run = run,
	.summary = "change config keys and apply them to the running container",
	.usage = "set NAME KEY=VALUE...",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_set, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_set);
}
