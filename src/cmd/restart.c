#include <getopt.h>
#include <stdlib.h>

#include "base/log.h"
#include "runtime/runtime.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_restart = {
	.name = "restart",
	.run = run,
	.summary = "stop (if running) and start a container",
	.usage = "restart NAME [-t SECONDS] [--kill] [--wait]\n"
		 "  -t, --timeout SECONDS  stop timeout (default: the config's stop_timeout)\n"
		 "  -k, --kill             kill instead of a clean halt\n"
		 "  -w, --wait             return once init has booted (see start --wait)",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool kill = false, wait = false;
	int timeout = -1, o;
	char *end;
	while ((o = getopt_long(argc, argv, "t:kwh", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout < 0 || !*optarg)
				return cmd_usage_error(&cmd_restart, "-t: '%s' is not a number of seconds", optarg);
			break;
		case 'k': kill = true; break;
		case 'w': wait = true; break;
		case 'h': cmd_print_usage(&cmd_restart); return 0;
		default: return cmd_usage_error(&cmd_restart, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_restart, "expected one container name");
	const char *name = argv[optind];
	box_err_t err = NULL;
	enum box_state st;
	if (runtime_state(name, &st, NULL, &err) < 0)
		return box_error_report(&err);
	if (st != BOX_STOPPED && runtime_stop(name, timeout, kill, &err) < 0)
		return box_error_report(&err);
	if (runtime_start(name, wait, &err) < 0)
		return box_error_report(&err);
	return 0;
}
