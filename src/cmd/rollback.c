#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "runtime/quiesce.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "storage/snapshot.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_rollback = {
	.name = "rollback",
	.run = run,
	.summary = "return a container's rootfs and config to a snapshot",
	.usage = "rollback NAME SNAP [--stop]\n"
		 "  The rootfs and the config file become SNAP's again (one atomic exchange: a kill\n"
		 "  half-way leaves the rootfs as it was). Later snapshots are kept. Refused while the\n"
		 "  container runs.\n"
		 "  --stop   stop a running container first, and start it again after",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stop", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool stop = false;
	int o;
	while ((o = getopt_long(argc, argv, "sh", opts, NULL)) != -1) {
		switch (o) {
		case 's': stop = true; break;
		case 'h': cmd_print_usage(&cmd_rollback); return 0;
		default: return cmd_usage_error(&cmd_rollback, "unknown option");
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_rollback, "expected a container name and a snapshot name");
	const char *name = argv[optind], *snap = argv[optind + 1];
	box_err_t err = NULL;
	cleanup_free char *config = NULL, *conf = paths_config_path(name);
	size_t len = 0;
	bool restart = false;
	struct quiesce q = { .lock = -1 };
	enum box_state st;
	if (paths_check_name(name, &err) < 0 || storage_snapshot_check_name(snap, &err) < 0 ||
	    runtime_state(name, &st, NULL, &err) < 0)
		goto out;
	/* STOPPED may be held by another command (an export), STARTING a
	 * start or a stop's tail between its last two unlinks;
	 * runtime_quiesce's lock tells */
	if (st != BOX_STOPPED && st != BOX_STARTING) {
		if (!stop) {
			box_error(&err, EBUSY, "%s is %s: 'box stop %s' first, or --stop", name, state_name(st), name);
			goto out;
		}
		if (runtime_stop(name, -1, false, &err) < 0) {
			box_error_wrap(&err, "stopping %s for the rollback", name);
			goto out;
		}
		restart = true;
	}
	if (runtime_quiesce(name, "rollback", 0, &q, &err) < 0 || storage_rollback(name, snap, &config, &len, &err) < 0)
		goto out;
	/* the config last: a kill before it leaves the new rootfs under the old
	 * config, which 'box rollback' again puts right */
	if (write_file_atomic(conf, config, len, 0644, &err) < 0) {
		box_error_wrap(&err, "writing back the config of snapshot %s (the rootfs is rolled back)", snap);
		goto out;
	}
	printf("%s: rolled back to %s\n", name, snap);
out:;
	box_err_t e2 = NULL;
	if (runtime_release(name, &q, &e2) < 0)
		box_error_report(&e2);
	if (restart) {
		if (runtime_start(name, false, &e2) < 0) {
			box_error_wrap(&e2, "starting %s again", name);
			box_error_report(&e2);
			if (!err)
				return BOX_EXIT_FAIL;
		}
	}
	return box_error_report(&err);
}
