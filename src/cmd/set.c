#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "cmd/apply.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_set = {
	.name = "set",
	.run = run,
	.summary = "change config keys and apply them to the running container",
	.usage = "set NAME KEY=VALUE...\n"
		 "  Changes top-level keys in NAME's config file (the rest of the file is kept as\n"
		 "  written; an empty VALUE removes the key). The resource keys (memory, swap, cpus,\n"
		 "  cpu_weight, cpuset, pids, io_weight) reach a running container at once; the\n"
		 "  others at its next start, or through box apply (the network, live).",
};

/* KF_LIVE in the schema: the keys a running container gets at once */
static bool is_live(const char *assignment)
{
	cleanup_free char *key = xstrndup(assignment, strcspn(assignment, "="));
	return config_key_live(key);
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_set, argc, argv))
		return 0;
	if (argc < 2)
		return cmd_usage_error(&cmd_set, "expected a container name");
	if (argc < 3)
		return cmd_usage_error(&cmd_set, "expected at least one KEY=VALUE");
	for (int i = 2; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=')
			return cmd_usage_error(&cmd_set, "'%s' is not KEY=VALUE", argv[i]);
	const char *name = argv[1];
	box_err_t err = NULL;
	if (paths_check_name(name, &err) < 0 || config_set_keys(name, argv + 2, &err) < 0)
		return box_error_report(&err);
	bool live = false;
	for (int i = 2; i < argc; i++)
		live |= is_live(argv[i]);
	if (!live) {
		printf("%s: config changed; it takes effect at the next start\n", name);
		return 0;
	}
	bool running;
	if (apply_limits(name, &running, &err) < 0) {
		box_error_wrap(&err,
			       "%s: the config file has the new values, but the running container "
			       "did not take them",
			       name);
		return box_error_report(&err);
	}
	if (!running)
		printf("%s: config changed; not running: it takes effect at the next start\n", name);
	for (int i = 2; i < argc && running; i++)
		if (!is_live(argv[i]))
			printf("%s: %.*s takes effect at the next start\n", name, (int)strcspn(argv[i], "="), argv[i]);
	return 0;
}
