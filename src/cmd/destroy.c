#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "storage/storage.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_destroy = {
	.name = "destroy",
	.run = run,
	.summary = "remove a container's root filesystem and state",
	.usage = "destroy NAME [--force] [--purge]\n"
		 "  Removes the container's rootfs and state (<state>/NAME), never its config.\n"
		 "  Refuses while it runs.\n"
		 "  --force   kill it first if it runs (as lxc-destroy -f, pct destroy --force)\n"
		 "  --purge   also remove its config file",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "purge", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool force = false, purge = false;
	int o;
	while ((o = getopt_long(argc, argv, "fph", opts, NULL)) != -1) {
		switch (o) {
		case 'f': force = true; break;
		case 'p': purge = true; break;
		case 'h': cmd_print_usage(&cmd_destroy); return 0;
		default: return cmd_usage_error(&cmd_destroy, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_destroy, "expected one container name");
	const char *name = argv[optind];
	box_err_t err = NULL;
	int lock = -1;
	char *conf = paths_config_path(name), *cpath = paths_container_path(name);
	struct stat st;
	if (paths_check_name(name, &err) < 0)
		goto out;
	bool has_conf = lstat(conf, &st) == 0, has_state = lstat(cpath, &st) == 0;
	if (!has_state && !(purge && has_conf)) {
		box_error(&err, ENOENT, "%s has no rootfs or state to destroy (%s)%s", name, cpath,
			  has_conf ? "; --purge removes its config" : "");
		goto out;
	}
	enum box_state s;
	pid_t pid = 0;
	if (runtime_state(name, &s, &pid, &err) < 0)
		goto out;
	/* STOPPED may be held by another command (an export), STARTING a
	 * start or a stop's tail between its last two unlinks; the lock
	 * tells (runtime_busy when held) */
	if (s != BOX_STOPPED && s != BOX_STARTING) {
		if (!force) {
			box_error(&err, EBUSY, "%s is %s (init pid %d): 'box stop %s' first, or --force", name,
				  state_name(s), (int)pid, name);
			goto out;
		}
		if (runtime_stop(name, 0, true, &err) < 0) {
			box_error_wrap(&err, "stopping %s", name);
			goto out;
		}
	}
	lock = state_lock(name, "destroy", &err);
	if (lock < 0) {
		if (lock == -EWOULDBLOCK) {
			box_error_release(&err);
			runtime_busy(name, &err);
		}
		goto out;
	}
	if (storage_destroy(name, &err) < 0)
		goto out;
	if (state_remove_all(name, &err) < 0)
		goto out;
	if (purge && has_conf && unlink(conf) < 0 && errno != ENOENT) {
		box_error(&err, errno, "removing %s", conf);
		goto out;
	}
	log_info("%s: destroyed%s", name, purge && has_conf ? " (config removed too)" : "");
out:
	state_unlock(lock);
	free(conf);
	free(cpath);
	return box_error_report(&err);
}
