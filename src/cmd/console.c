#include <string.h>

#include "runtime/console.h"
#include "base/log.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_console = {
	.name = "console",
	.run = run,
	.summary = "attach to a container's console (Ctrl-a q detaches)",
	.usage = "console NAME\n"
		 "  The container's console (what init and its getty see as /dev/console), through\n"
		 "  its supervisor; several may watch at once. Ctrl-a q detaches, Ctrl-a Ctrl-a\n"
		 "  sends a Ctrl-a. Everything the console shows is also in the log\n"
		 "  (/var/log/boxes/NAME.log).",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_console, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error(&cmd_console, "expected one container name");
	box_err_t err = NULL;
	if (console_run(argv[1], &err) < 0)
		return box_error_report(&err);
	return 0;
}
