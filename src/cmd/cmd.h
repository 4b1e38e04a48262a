/* The command table: one file per command under src/cmd/, each defining one
 * `const struct box_command cmd_<name>`. box.c dispatches on argv[0]
 * ("box-start") or the first word ("box start").
 *
 * A command's run() returns the process exit status: 0 success, 1 the
 * operation failed, 2 bad usage or bad config. It prints its own error once,
 * through box_error_report(). argv[0] is the command name. */
#ifndef BOX_CMD_H
#define BOX_CMD_H

#include <stdbool.h>

#include "base/notes.h"

struct box_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* one line for `box --help` */
	const char *usage;   /* the whole `box NAME --help` text after "usage: " */
};

extern const struct box_command cmd_create, cmd_destroy, cmd_start, cmd_stop, cmd_restart, cmd_attach, cmd_console,
    cmd_ls, cmd_info, cmd_set, cmd_apply, cmd_stats, cmd_freeze, cmd_unfreeze, cmd_export, cmd_import, cmd_config,
    cmd_autostart, cmd_snapshot, cmd_rollback, cmd_clone, cmd_log, cmd_diff;

/* For getopt-based commands: prints "usage: box <usage>" to stdout. */
void cmd_print_usage(const struct box_command *cmd);
/* Bad usage: prints the message and a hint to stderr, returns 2. */
/* base/notes.h's sink of every command: warnings and notes of the library
 * as log.h prints them (stderr, or the container's log in the supervisor). */
void cmd_note_sink(enum box_note_kind kind, const char *text);
int cmd_usage_error(const struct box_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True (after printing the usage) when argv holds -h or --help before "--". */
bool cmd_wants_help(const struct box_command *cmd, int argc, char **argv);

#endif
