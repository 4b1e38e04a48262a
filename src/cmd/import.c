#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "archive/import.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "net/net.h"

static int run(int argc, char **argv);

const struct box_command cmd_import = {
	.name = "import",
	.run = run,
	.summary = "make a container from an archive or template",
	.usage = "import NAME FILE|- [--hostname NAME]\n"
		 "  FILE   a box export, a Proxmox vzdump-lxc archive, an Incus backup, or a plain rootfs\n"
		 "         tarball (a template, an LXC image's rootfs.tar.xz); gzip, zstd, xz, lzma, bzip2\n"
		 "         or none, detected from the content; '-' reads stdin. pct.conf may be anywhere\n"
		 "         in it; bytes after the tar's end are padding\n"
		 "  --hostname NAME   the new container's host name (default: the archive's, or NAME)",
};

/* The import itself is fine, but an address (or MAC) another container has
 * on the same bridge makes box start refuse this one: say so now, with the
 * very check box start makes. */
static void warn_conflicts(const char *name)
{
	struct box_config *c = NULL;
	box_err_t e = NULL;
	if (config_load(name, &c, &e) == 0 && config_check_conflicts(c, &e) < 0) {
		cleanup_free char *t = box_error_text(e);
		log_warn("%s; 'box start %s' refuses it until it is changed: edit %s (box set does not reach "
			 "network sections)",
			 t, name, c->path);
	}
	box_error_release(&e);
	struct box_global *g = NULL;
	char **w = NULL;
	if (c && global_load(&g, &e) == 0)
		net_bridge_warnings(c, g, &w);
	for (size_t i = 0; w && w[i]; i++)
		log_warn("%s", w[i]);
	strv_free(w);
	global_free(g);
	box_error_release(&e);
	config_free(c);
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_import, argc, argv))
		return 0;
	static const struct option longopts[] = {
		{ "hostname", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { 0 };
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H': o.hostname = optarg; break;
		case ':': return cmd_usage_error(&cmd_import, "%s needs a value", argv[optind - 1]);
		default: return cmd_usage_error(&cmd_import, "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_import, "give a container name and an archive (or - for stdin)");
	box_err_t err = NULL;
	if (import_container(argv[optind], argv[optind + 1], &o, &err) < 0)
		return box_error_report(&err);
	log_info("imported %s from %s", argv[optind], argv[optind + 1]);
	warn_conflicts(argv[optind]);
	return 0;
}
