#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_create = {
	.name = "create",
	.run = run,
	.summary = "build a container's root filesystem from its template",
	.usage = "create NAME [--template FILE]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_create, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_create);
}
