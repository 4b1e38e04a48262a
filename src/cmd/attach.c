#include <stdlib.h>
#include <string.h>

#include "runtime/attach.h"
#include "runtime/sealed.h"
#include "base/util.h"
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
		 "  stdin, stdout or stderr is a terminal (the container never gets the caller's\n"
		 "  terminal or any other fd of the caller's but 0-2). Exits with the command's\n"
		 "  exit status.",
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
	/* from here on the binary is a sealed copy (runtime/sealed.h) */
	char **self = xzalloc(((size_t)argc + 2) * sizeof(char *));
	self[0] = "box";
	for (int i = 0; i < argc; i++)
		self[i + 1] = argv[i];
	if (sealed_reexec(self, &err) < 0)
		return box_error_report(&err);
	free(self);
	int status = 0;
	if (attach_run(argv[1], cmd, &status, &err) < 0)
		return box_error_report(&err);
	return status;
}
