#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/config.h"
#include "config/values.h"
#include "runtime/quiesce.h"
#include "storage/snapshot.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_snapshot = {
	.name = "snapshot",
	.run = run,
	.summary = "snapshot a container's rootfs and config; list or delete snapshots",
	.usage = "snapshot NAME [SNAP] [--comment TEXT] | snapshot NAME --list [--json] | snapshot NAME --delete SNAP\n"
		 "  Keeps the rootfs and the config file as they are now under SNAP (default: snap-DATE-TIME).\n"
		 "  A running container is frozen for the moment of the snapshot (consistent as after a power\n"
		 "  cut). btrfs: a subvolume snapshot; dir: a copy (reflinks where the filesystem has them);\n"
		 "  overlay: the container's own layer becomes a shared read-only layer under a fresh one\n"
		 "  (a running container's is copied: reflinked while it is frozen where the filesystem\n"
		 "  can; else its files' data first while it runs, then, frozen, only what changed since;\n"
		 "  synced after the thaw); 'box info' shows the layers. A container or snapshot made\n"
		 "  before layer records (an overlay/ folder) joins the layer store at its first\n"
		 "  snapshot, clone or rollback while stopped.\n"
		 "  --comment TEXT  a note kept with the snapshot\n"
		 "  --list          the snapshots, oldest first: NAME DATE SIZE COMMENT (--json: an array)\n"
		 "  --delete SNAP   removes a snapshot (the others and the container are not touched)",
};

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int list(const char *name, bool json, box_err_t *err)
{
	struct storage_snapshot *v = NULL;
	size_t n = 0;
	if (storage_snapshot_list(name, true, &v, &n, err) < 0)
		return -1;
	if (json)
		putchar('[');
	else
		printf("%-24s %-20s %10s  %s\n", "NAME", "DATE", "SIZE", "COMMENT");
	for (size_t i = 0; i < n; i++) {
		char date[32] = "-", size[32] = "-";
		time_t t = (time_t)v[i].created;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		if (v[i].size >= 0)
			value_format_size((uint64_t)v[i].size, size, sizeof(size));
		if (json) {
			printf("%s\n  {\"name\": ", i ? "," : "");
			json_string(v[i].name);
			printf(", \"created\": %lld, \"size\": ", (long long)v[i].created);
			if (v[i].size >= 0)
				printf("%lld", (long long)v[i].size);
			else
				printf("null");
			printf(", \"comment\": ");
			json_string(v[i].comment);
			putchar('}');
		} else {
			printf("%-24s %-20s %10s  %s\n", v[i].name, date, size, v[i].comment);
		}
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	storage_snapshot_list_free(v, n);
	return 0;
}

static int take(const char *name, const char *snap, const char *comment, box_err_t *err)
{
	cleanup_free char *conf = paths_config_path(name), *text = NULL, *def = NULL;
	size_t len = 0;
	if (read_file_at(AT_FDCWD, conf, &text, &len, err) < 0)
		return box_error_wrap(err, "the config of %s", name);
	if (!snap) {
		char stamp[32];
		time_t t = time(NULL);
		struct tm tm;
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime_r(&t, &tm));
		snap = def = xasprintf("snap-%s", stamp);
	}
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	struct quiesce q;
	if (runtime_quiesce(name, "snapshot", QUIESCE_RUNNING_OK | QUIESCE_LATER, &q, err) < 0)
		return -1;
	/* thawed as soon as its tree is copied, before the copy is synced */
	struct storage_live live;
	uint64_t t0 = now_ms();
	int r = storage_snapshot_create(name, snap, text, len, comment, runtime_live(&q, &live), err);
	runtime_thaw(&q);
	uint64_t held = q.frozen_at ? q.held_ms : now_ms() - t0;
	bool was_running = q.running;
	box_err_t e2 = NULL;
	if (runtime_release(name, &q, &e2) < 0) {
		if (r == 0) {
			*err = e2;
			r = -1;
		} else {
			box_error_report(&e2); /* after the snapshot's own error */
		}
	}
	if (r == 0) {
		if (was_running)
			printf("%s: snapshot %s (frozen %llu ms)\n", name, snap, (unsigned long long)held);
		else
			printf("%s: snapshot %s\n", name, snap);
	}
	return r;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "comment", required_argument, NULL, 'c' }, { "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },	     { "delete", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },	     { 0 },
	};
	const char *comment = NULL, *del = NULL;
	bool do_list = false, json = false;
	int o;
	while ((o = getopt_long(argc, argv, "c:ljd:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': comment = optarg; break;
		case 'l': do_list = true; break;
		case 'j': json = true; break;
		case 'd': del = optarg; break;
		case 'h': cmd_print_usage(&cmd_snapshot); return 0;
		default: return cmd_usage_error(&cmd_snapshot, "unknown option");
		}
	}
	int nargs = argc - optind;
	if (nargs < 1)
		return cmd_usage_error(&cmd_snapshot, "expected a container name");
	if (nargs > 2 || ((do_list || del) && nargs > 1))
		return cmd_usage_error(&cmd_snapshot, "unexpected argument '%s'", argv[argc - 1]);
	if (do_list + !!del > 1 || ((do_list || del) && comment) || (json && !do_list))
		return cmd_usage_error(&cmd_snapshot, "--list, --delete and making a snapshot go one at a time");
	if (comment && strchr(comment, '\n'))
		return cmd_usage_error(&cmd_snapshot, "--comment: one line");
	const char *name = argv[optind];
	box_err_t err = NULL;
	if (paths_check_name(name, &err) < 0)
		return box_error_report(&err);
	if (do_list)
		list(name, json, &err);
	else if (del) {
		if (storage_snapshot_delete(name, del, &err) == 0)
			printf("%s: snapshot %s deleted\n", name, del);
	} else
		take(name, nargs == 2 ? argv[optind + 1] : NULL, comment, &err);
	return box_error_report(&err);
}
