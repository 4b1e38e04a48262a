#include <string.h>

#include "runtime/attach.h"
#include "base/log.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_attach = {
	.name = "attach",
	.run = run,
	.summary = "run a command inside a running container",
	.usage = "attach NAME [-- CMD [ARGS...]]\n"
		 "  Runs CMD (default /bin/sh) in all the container's namespaces and its cgroup,\n"
		 "  with the container's capability limits and a clean environment; a pty when\n"
		 "  stdin is a terminal. Exits with the command's exit status.",
};

static int run(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		cmd_print_usage(&cmd_attach);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cmd_usage_error(&cmd_attach, "expected a container name");
	char **cmd = NULL;
	if (argc > 2) {
		if (strcmp(argv[2], "--"))
			return cmd_usage_error(&cmd_attach, "put the command after '--'");
		if (argc > 3)
			cmd = argv + 3;
	}
	box_err_t err = NULL;
	int status = 0;
	if (attach_run(argv[1], cmd, &status, &err) < 0)
		return box_error_report(&err);
	return status;
}
