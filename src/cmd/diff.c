/* box diff NAME: the file against the config the container runs with (its
 * record, runtime/record.h), key by key, from the same comparison box apply
 * plans from. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "runtime/reconcile.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_diff = {
	.name = "diff",
	.run = run,
	.summary = "show what differs between a config file and its running container",
	.usage = "diff NAME\n"
		 "  One line per key whose value in the config file differs from the one the running\n"
		 "  container has (recorded at its start and at each live change): KEY FILE RUNNING\n"
		 "  APPLY, where APPLY says how box apply brings it over (live, recorded, restart);\n"
		 "  (none) is a key not set or a section not there. Nothing when they agree.\n"
		 "  Exit 1 when the container is not running.",
};

static const char *value(const char *v)
{
	return v ? v : "(none)";
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_diff, argc, argv))
		return 0;
	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error(&cmd_diff, "expected one container NAME");
	box_err_t err = NULL;
	char *names[] = { argv[1], NULL };
	struct reconcile *r = NULL;
	if (paths_check_name(argv[1], &err) < 0 || reconcile_plan(names, false, false, &r, &err) < 0)
		return box_error_report(&err);
	int status = 0;
	const struct rec_box *b = &r->v[0];
	if (b->error) {
		fprintf(stderr, "box: %s\n", b->error);
		status = b->error_status;
	} else if (!b->running || !b->file) {
		fprintf(stderr, "box: %s is %s: no running container to compare the file with\n", b->name,
			b->orphan ? "running without a config file" : "not running");
		status = BOX_EXIT_FAIL;
	} else if (b->n_changes) {
		printf("%-28s %-24s %-24s %s\n", "KEY", "FILE", "RUNNING", "APPLY");
		for (size_t i = 0; i < b->n_changes; i++) {
			const struct config_change *c = &b->changes[i];
			printf("%-28s %-24s %-24s %s\n", c->key, value(c->to), value(c->from),
			       config_change_kind_name(c->kind));
		}
	}
	reconcile_free(r);
	return status;
}
