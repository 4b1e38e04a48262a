#include <getopt.h>
#include <stdlib.h>

#include "base/log.h"
#include "runtime/runtime.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_start = {
	.name = "start",
	.run = run,
	.summary = "start a container (detached)",
	.usage = "start NAME [--wait] [--timeout SECONDS]\n"
		 "  Returns once init runs (exit 0), or prints why it could not start (exit 1)\n"
		 "  and leaves nothing behind.\n"
		 "  --wait          return once init has booted (systemd's READY=1); at once for\n"
		 "                  inits that do not speak sd_notify (busybox)\n"
		 "  --timeout SECS  with --wait: give up waiting after SECS (it keeps booting)",
};

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool wait = false;
	int timeout = 0, o;
	char *end;
	while ((o = getopt_long(argc, argv, "wt:h", opts, NULL)) != -1) {
		switch (o) {
		case 'w': wait = true; break;
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout <= 0 || !*optarg)
				return cmd_usage_error(&cmd_start,
						       "--timeout: '%s' is not a positive number of seconds", optarg);
			break;
		case 'h': cmd_print_usage(&cmd_start); return 0;
		default: return cmd_usage_error(&cmd_start, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error(&cmd_start, "expected one container name");
	box_err_t err = NULL;
	if (runtime_start_wait(argv[optind], wait, timeout, &err) < 0)
		return box_error_report(&err);
	return 0;
}
