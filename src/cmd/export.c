#include "../log.h"
#include "cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_export = {
	.name = "export",
	.run = run,
	.summary = "write a container to a vzdump-style archive",
	.usage = "export NAME [-o FILE|-] [--compress gzip|zstd|none] [--mode stop|suspend] [--template]",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_export, argc, argv))
		return 0;
	return cmd_not_implemented(&cmd_export);
}
