#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/notes.h"
#include "cmd/cmd.h"

void cmd_note_sink(enum box_note_kind kind, const char *text)
{
	if (kind == BOX_NOTE_WARN)
		log_warn("%s", text);
	else if (kind == BOX_NOTE_INFO)
		log_info("%s", text);
	else
		fputs(text, stderr);
}

void cmd_print_usage(const struct box_command *cmd)
{
	printf("usage: box %s\n", cmd->usage);
}

int cmd_usage_error(const struct box_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: %s: ", box_progname, cmd->name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: box %s\n(see 'box %s --help')\n", cmd->usage, cmd->name);
	return BOX_EXIT_USAGE;
}

bool cmd_wants_help(const struct box_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cmd_print_usage(cmd);
			return true;
		}
	}
	return false;
}
