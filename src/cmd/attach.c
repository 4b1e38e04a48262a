#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_attach = {
	.name = "attach",
	.run = run,
	.summary = "run a command inside a running container",
	.usage = "attach NAME [-- CMD [ARGS...]]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_attach, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_attach);
}
