#include <getopt.h>
#include <stdlib.h>

#include "base/log.h"
#include "runtime/runtime.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_stop = {
	.name = "stop",
	.run = run,
	.summary = "stop a container: halt signal, timeout, then kill",
	.usage = "stop NAME [-t SECONDS] [--kill]\n"
		 "  Sends init its halt signal (the config's halt_signal, or SIGRTMIN+3 for systemd\n"
		 "  and SIGPWR otherwise), waits up to -t seconds (default: the config's stop_timeout,\n"
		 "  60), then kills every process. Returns once every process is dead and its network\n"
		 "  is gone; its supervisor removes its cgroups, rootfs mount and state right after,\n"
		 "  and the next command on the container waits for that.\n"
		 "  -t, --timeout SECONDS  how long init may take to shut down\n"
		 "  -k, --kill             kill at once",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "kill", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool kill = false;
	int timeout = -1, o;
	char *end;
	while ((o = getopt_long(argc, argv, "t:kh", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout < 0 || !*optarg)
				return cmd_usage_error(&cmd_stop, "-t: '%s' is not a number of seconds", optarg);
			break;
		case 'k': kill = true; break;
		case 'h': cmd_print_usage(&cmd_stop); return 0;
		default: return cmd_usage_error(&cmd_stop, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_stop, "expected one container name");
	box_err_t err = NULL;
	if (runtime_stop(argv[optind], timeout, kill, &err) < 0)
		return box_error_report(&err);
	return 0;
}
