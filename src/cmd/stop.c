#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_stop = {
	.name = "stop",
	.run = run,
	.summary = "stop a container: halt signal, timeout, then kill",
	.usage = "stop NAME [-t SECONDS] [--kill]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_stop, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_stop);
}
