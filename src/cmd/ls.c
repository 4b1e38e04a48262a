#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "archive/import-commit.h"
#include "config/brief.h"
#include "config/config.h"
#include "net/net.h"
#include "base/log.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_ls = {
	.name = "ls",
	.run = run,
	.summary = "list containers",
	.usage = "ls [--json]\n"
		 "  One line per configured container: NAME STATE PID IPV4 AUTOSTART FORWARDS LOCK\n"
		 "  (IPV4: the first fixed one, or the one leased by the bridge's DHCP server;\n"
		 "  FORWARDS: HOSTPORT/PROTO->PORT[@LISTEN], '-' if none; LOCK: the command\n"
		 "  holding a stopped container, as export, snapshot, clone, rollback, '-' if none).\n"
		 "  --json  a JSON array of objects with the same fields (lock: null if none)",
};

/* The first IPv4 address of the config ("-" if none), without the prefix. */
static void first_ipv4(const struct box_config *c, char *buf, size_t len)
{
	cleanup_free char *all = c ? net_ipv4_list(c) : NULL;
	snprintf(buf, len, "%.*s", all && *all ? (int)strcspn(all, ",") : 1, all && *all ? all : "-");
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_ls, argc, argv))
		return 0;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cmd_usage_error(&cmd_ls, "unknown argument '%s'", argv[i]);
	}
	box_err_t err = NULL;
	char **names = NULL;
	/* an import killed between its two renames: its container is listed */
	import_recover(NULL);
	if (config_list(&names, &err) < 0)
		return box_error_report(&err);
	int status = 0;
	if (json)
		printf("[");
	else
		printf("%-20s %-9s %-8s %-16s %-9s %-16s %s\n", "NAME", "STATE", "PID", "IPV4", "AUTOSTART", "FORWARDS",
		       "LOCK");
	/* the few keys listed, without parsing every config (config/brief.h) */
	struct config_briefs *briefs = config_briefs_open();
	for (size_t i = 0; names && names[i]; i++) {
		const char *name = names[i];
		struct box_config *c = NULL;
		box_err_t cerr = NULL;
		bool bad_config = config_briefs_load(briefs, name, &c, &cerr) < 0;
		if (bad_config) {
			/* one broken config must not hide the others */
			box_error_report(&cerr);
			status = 1;
		}
		struct runtime_info ri = { 0 };
		if (runtime_info(name, &ri, &err) < 0) {
			box_error_report(&err);
			status = 1;
		}
		char ip[INET_ADDRSTRLEN + 1];
		first_ipv4(c, ip, sizeof(ip));
		const char *st = state_name(ri.state);
		bool autostart = c && c->autostart;
		cleanup_free char *fw = c ? net_forwards_text(c) : xstrdup("");
		if (json)
			printf("%s\n  {\"name\": \"%s\", \"state\": \"%s\", \"pid\": %d, \"ipv4\": %s%s%s, "
			       "\"autostart\": %s, \"forwards\": \"%s\", \"lock\": %s%s%s}",
			       i ? "," : "", name, st, (int)ri.init_pid, strcmp(ip, "-") ? "\"" : "",
			       strcmp(ip, "-") ? ip : "null", strcmp(ip, "-") ? "\"" : "", autostart ? "true" : "false",
			       fw, ri.lock[0] ? "\"" : "", ri.lock[0] ? ri.lock : "null", ri.lock[0] ? "\"" : "");
		else {
			char pid[16] = "-";
			if (ri.init_pid)
				snprintf(pid, sizeof(pid), "%d", (int)ri.init_pid);
			printf("%-20s %-9s %-8s %-16s %-9s %-16s %s\n", name, st, pid, ip, autostart ? "yes" : "no",
			       fw[0] ? fw : "-", ri.lock[0] ? ri.lock : "-");
		}
		config_free(c);
	}
	config_briefs_close(briefs);
	if (json)
		printf("%s]\n", names && names[0] ? "\n" : "");
	strv_free(names);
	return status;
}
