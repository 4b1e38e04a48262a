#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/export.h"
#include "base/log.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_export = {
	.name = "export",
	.run = run,
	.summary = "write a container to a vzdump-style archive",
	.usage = "export NAME [-o FILE|-] [--compress gzip|zstd|none] [--mode stop|suspend] [--template]\n"
		 "       [--snapshot SNAP]\n"
		 "  -o FILE          output file (default: the dump folder, vzdump-box-NAME-DATE.tar.gz);\n"
		 "                   '-' writes to stdout (box export web -o - | box import web2 -)\n"
		 "  --compress C     gzip (default, parallel), zstd (multi-threaded) or none\n"
		 "  --mode stop      a running container is stopped for the dump and started again\n"
		 "  --mode suspend   a running container is frozen for the dump\n"
		 "                   (without --mode a running container is refused)\n"
		 "  --template       a reusable template: no pct.conf, network config, ssh host keys,\n"
		 "                   logs, histories, caches; empty machine-id, hostname reset\n"
		 "  --snapshot SNAP  the snapshot SNAP (its rootfs and its config) instead of the container\n"
		 "                   now; the container may run meanwhile\n"
		 "  --progress / --no-progress   the progress line (default: when stderr is a terminal)",
};

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_export, argc, argv))
		return 0;
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },   { "compress", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },     { "template", no_argument, NULL, 't' },
		{ "progress", no_argument, NULL, 'p' },	      { "no-progress", no_argument, NULL, 'P' },
		{ "snapshot", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	struct export_opts o = { .compress = EXPORT_GZIP, .mode = EXPORT_MODE_NONE, .progress = -1 };
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o.output = optarg; break;
		case 'c':
			if (!strcmp(optarg, "gzip") || !strcmp(optarg, "gz"))
				o.compress = EXPORT_GZIP;
			else if (!strcmp(optarg, "zstd") || !strcmp(optarg, "zst"))
				o.compress = EXPORT_ZSTD;
			else if (!strcmp(optarg, "none") || !strcmp(optarg, "0"))
				o.compress = EXPORT_NONE;
			else
				return cmd_usage_error(&cmd_export, "--compress %s: use gzip, zstd or none", optarg);
			break;
		case 'm':
			if (!strcmp(optarg, "stop"))
				o.mode = EXPORT_MODE_STOP;
			else if (!strcmp(optarg, "suspend"))
				o.mode = EXPORT_MODE_SUSPEND;
			else
				return cmd_usage_error(&cmd_export, "--mode %s: use stop or suspend", optarg);
			break;
		case 't': o.template_ = true; break;
		case 'p': o.progress = 1; break;
		case 'P': o.progress = 0; break;
		case 's': o.snapshot = optarg; break;
		case ':': return cmd_usage_error(&cmd_export, "%s needs a value", argv[optind - 1]);
		default: return cmd_usage_error(&cmd_export, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error(&cmd_export, optind == argc ? "which container?" : "one container at a time");
	if (o.snapshot && o.mode != EXPORT_MODE_NONE)
		return cmd_usage_error(&cmd_export, "--mode applies to the container, not to a --snapshot");
	box_err_t err = NULL;
	char *path = NULL;
	if (export_container(argv[optind], &o, &path, &err) < 0)
		return box_error_report(&err);
	if (path)
		log_info("exported %s to %s", argv[optind], path);
	free(path);
	return 0;
}
