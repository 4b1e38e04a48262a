#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_console = {
	.name = "console",
	.run = run,
	.summary = "attach to a container's console",
	.usage = "console NAME [--escape CHAR]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_console, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_console);
}
