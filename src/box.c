/* The multi-call entry: `box-start web` and `box start web` are the same
 * command (git/busybox style: box-* are links to this binary). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/log.h"
#include "base/notes.h"
#include "base/version.h"

static const struct box_command *const commands[] = {
	&cmd_create,	&cmd_start,    &cmd_stop,     &cmd_restart, &cmd_attach,  &cmd_console,
	&cmd_ls,	&cmd_info,     &cmd_stats,    &cmd_set,	    &cmd_apply,	  &cmd_diff,
	&cmd_freeze,	&cmd_unfreeze, &cmd_export,   &cmd_import,  &cmd_destroy, &cmd_config,
	&cmd_autostart, &cmd_snapshot, &cmd_rollback, &cmd_clone,   &cmd_bridge,  &cmd_log,
};

static const struct box_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	fprintf(f, "usage: box COMMAND [ARGS...]   (or box-COMMAND [ARGS...])\n\n"
		   "boxes manages system containers described in /etc/boxes/NAME.conf.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'box COMMAND --help' shows a command's options. Exit status: 0 success, "
		   "1 the operation failed, 2 bad usage or bad config.\n"
		   "Roots: BOX_ROOT prefixes /etc/boxes, /var/lib/boxes, /run/boxes, /var/log/boxes;\n"
		   "BOX_CONFIG_DIR, BOX_STATE_DIR, BOX_RUN_DIR, BOX_LOG_DIR override each.\n");
}

int main(int argc, char **argv)
{
	box_trace("main %s", argc > 1 ? argv[1] : "");
	box_note_set_sink(cmd_note_sink);
	const char *self = strrchr(argv[0], '/');
	self = self ? self + 1 : argv[0];

	/* box-start -> "start" */
	if (!strncmp(self, "box-", 4)) {
		const struct box_command *cmd = find_command(self + 4);
		if (!cmd) {
			fprintf(stderr, "%s: unknown command '%s' (see 'box --help')\n", box_progname, self + 4);
			return BOX_EXIT_USAGE;
		}
		argv[0] = (char *)cmd->name;
		return cmd->run(argc, argv);
	}

	if (argc < 2) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("boxes %s\n", box_version);
		return 0;
	}
	const struct box_command *cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '%s' (see 'box --help' for the list)\n", box_progname, argv[1]);
		return BOX_EXIT_USAGE;
	}
	int r = cmd->run(argc - 1, argv + 1);
	box_trace("exit %d", r);
	return r;
}
