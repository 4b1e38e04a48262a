#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_destroy = {
	.name = "destroy",
	.run = run,
	.summary = "remove a container's root filesystem and state",
	.usage = "destroy NAME [--force] [--purge]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_destroy, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_destroy);
}
