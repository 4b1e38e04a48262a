#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/extract.h"
#include "config/config.h"
#include "container/identity.h"
#include "base/log.h"
#include "base/paths.h"
#include "runtime/state.h"
#include "storage/storage.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_create = {
	.name = "create",
	.run = run,
	.summary = "build a container's root filesystem from its template",
	.usage = "create NAME [--template FILE]\n"
		 "  Builds <state>/NAME from the config's template (or FILE: a path, else a file of the\n"
		 "  templates folder) with the config's storage backend (dir, overlay, btrfs) and writes\n"
		 "  the container's identity (/etc/hostname, /etc/hosts, /etc/resolv.conf) into it.\n"
		 "  Says which backend it used; falls back to dir (with the reason) when the state\n"
		 "  folder cannot do the one asked for. Leaves nothing behind when it fails.",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "template", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *tpl = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (o) {
		case 't': tpl = optarg; break;
		case 'h': cmd_print_usage(&cmd_create); return 0;
		default: return cmd_usage_error(&cmd_create, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_create, "expected one container name");
	const char *name = argv[optind];
	box_err_t err = NULL;
	struct box_config *c = NULL;
	int lock = -1, ret;
	if (paths_check_name(name, &err) < 0 || config_load(name, &c, &err) < 0)
		goto out;
	if (storage_exists(name)) {
		char *p = paths_container_path(name);
		box_error(&err, EEXIST, "%s is already created (%s): 'box destroy %s' first", name, p, name);
		free(p);
		goto out;
	}
	/* no start or destroy of this name meanwhile */
	lock = state_lock(name, "create", &err);
	if (lock < 0) {
		if (lock == -EWOULDBLOCK) {
			box_error_release(&err);
			box_error(&err, 0, "%s is being started or destroyed right now", name);
		}
		goto out;
	}
	/* Ctrl-C, a kill, a closed terminal: the extraction stops at its next
	 * entry and the create removes what it made, instead of dying with a
	 * half rootfs in place (a SIGKILL's leftovers are removed by the next
	 * create). No SA_RESTART: a create waiting for the template cache lock
	 * gives up. */
	archive_catch_interrupts();
	if (storage_create(c, tpl, identity_write, &err) < 0)
		goto out;
out:
	if (lock >= 0) {
		/* the lock folder is a start's business: none was made by us to stay */
		box_err_t e2 = NULL;
		struct state_info si;
		if (state_read(name, &si, NULL) == 1 && state_remove_all(name, &e2) < 0)
			box_error_release(&e2);
		state_unlock(lock);
	}
	config_free(c);
	ret = box_error_report(&err);
	return ret;
}
