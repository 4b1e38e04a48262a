#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_import = {
	.name = "import",
	.run = run,
	.summary = "make a container from an archive or template",
	.usage = "import NAME FILE|- [--hostname NAME]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_import, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_import);
}
