#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "config/idshift.h"
#include "config/config.h"
#include "config/idrange.h"
#include "base/log.h"
#include "base/version.h"
#include "net/forward.h"
#include "net/net.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "storage/layers.h"
#include "storage/storage.h"
#include "cmd/cmd.h"

/* How an unprivileged container's owners reach it (config/idshift.h). */
static void describe_ids(struct box_config *c, char *ids, size_t len)
{
	box_err_t ierr = NULL;
	idrange_resolve(c, -1, &ierr); /* reads the record only: cannot fail */
	box_error_release(&ierr);
	uint32_t shift = idshift_read(c);
	if (!c->unprivileged)
		snprintf(ids, len, "host (privileged)");
	else if (c->idmap_base == BOX_IDMAP_AUTO)
		snprintf(ids, len, "idmap_base = auto: a range is given at the first create or start");
	else if (shift && shift != c->idmap_base)
		snprintf(ids, len, "0-%u -> %u-%u, layers shifted by %u at create (a clone's), idmapped",
			 c->idmap_size - 1, c->idmap_base, c->idmap_base + c->idmap_size - 1, shift);
	else if (shift)
		snprintf(ids, len, "0-%u -> %u-%u, rootfs owners shifted at create", c->idmap_size - 1, shift,
			 shift + c->idmap_size - 1);
	else
		snprintf(ids, len, "0-%u -> %u-%u, rootfs idmapped (mount_setattr)", c->idmap_size - 1, c->idmap_base,
			 c->idmap_base + c->idmap_size - 1);
}

/* The nesting features that are on; without nesting, an unprivileged
 * container's Docker, podman, LXC and boxes fail to start containers, and
 * Docker's runc does not say why ("can't get final child's PID from pipe:
 * EOF": its nsexec logs the refused unshare at a level containerd drops). */
static void print_features(const struct box_config *c, bool json)
{
	const char *names[] = { c->nesting ? "nesting" : NULL, c->keyctl ? "keyctl" : NULL, c->fuse ? "fuse" : NULL };
	bool any = false;
	printf(json ? "  \"features\": [" : "Features:  ");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!names[i])
			continue;
		printf(json ? "%s\"%s\"" : "%s%s", json ? (any ? ", " : "") : " ", names[i]);
		any = true;
	}
	if (json)
		printf("],\n");
	else if (!any && c->unprivileged)
		printf(" none (Docker, podman, LXC or boxes inside need nesting = yes)\n");
	else
		printf("%s\n", any ? "" : " none");
}

/* The storage and, for overlay, the layer chain top first: each layer's
 * folder and who else names it (containers, NAME@SNAP snapshots). */
static void print_layer(bool json, bool first, const char *role, const char *id, const char *path, char **users)
{
	if (json) {
		printf("%s\n    {\"role\": \"%s\", \"id\": \"%s\", \"path\": \"%s\", \"shared_with\": [",
		       first ? "" : ",", role, id, path);
		for (char **u = users; u && *u; u++)
			printf("%s\"%s\"", u == users ? "" : ", ", *u);
		printf("]}");
		return;
	}
	printf("  %-9s %s", role, path);
	for (char **u = users; u && *u; u++)
		printf("%s%s", u == users ? "  (shared with " : ", ", *u);
	printf("%s\n", users ? ")" : "");
}

static void print_storage(const char *name, bool json)
{
	enum box_storage kind = storage_kind(name);
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_close int cfd = open(cpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct layer_chain ch = { 0 };
	box_err_t e = NULL;
	/* an overlay/ folder: the layout before layer records, not converted
	 * yet (a record beside it is a killed conversion's, not in use) */
	bool chain = kind == STORAGE_OVERLAY && cfd >= 0 && faccessat(cfd, "overlay", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		     layer_chain_read(cfd, &ch, &e) == 0;
	box_error_release(&e);
	if (json)
		printf("  \"storage\": \"%s\",\n", config_storage_name(kind));
	else
		printf("Storage:    %s", config_storage_name(kind));
	if (!chain) {
		if (!json)
			printf("\n");
		return;
	}
	if (json)
		printf("  \"layers\": [");
	else
		printf(", %zu layers, top first:\n", layer_chain_depth(&ch) + 1);
	for (size_t i = 0; i <= strv_len(ch.lowers); i++) {
		const char *id = i == 0 ? ch.upper : ch.lowers[i - 1];
		cleanup_free char *path = layers_diff_path(id);
		cleanup_strv char **users = layers_users(id), **others = NULL;
		for (char **u = users; u && *u; u++)
			if (strcmp(*u, name))
				strv_push(&others, *u);
		print_layer(json, i == 0, i == 0 ? "upper" : "lower", id, path, others);
	}
	if (ch.template_key) {
		cleanup_free char *tpl = xasprintf("%s/templates/.cache/%s", paths_state_dir(), ch.template_key);
		print_layer(json, false, "template", ch.template_key, tpl, NULL);
	}
	if (json)
		printf("\n  ],\n");
	layer_chain_free(&ch);
}

static int run(int argc, char **argv);

const struct box_command cmd_info = {
	.name = "info",
	.run = run,
	.summary = "show a container's state and resources",
	.usage = "info NAME [--json]\n"
		 "  State (and the command holding a stopped one: Lock, as export), init pid, uptime,\n"
		 "  addresses, host veth names, memory and CPU used so far, rootfs and log paths.\n"
		 "  --json  the same as one JSON object",
};

/* "interfaces" and "forwards" of --json. */
static void print_json_net(const struct box_config *c, const struct net_desc *nd, size_t n_nd)
{
	printf("  \"interfaces\": [");
	for (size_t i = 0; i < n_nd; i++) {
		const struct box_net *n = nd[i].net;
		printf("%s\n    {\"name\": \"%s\", \"type\": \"%s\", \"host\": \"%s\", \"addresses\": [", i ? "," : "",
		       n->name, config_net_type_name(n->type), nd[i].host_ifname);
		for (size_t j = 0; j < n->n_addrs; j++)
			printf("%s\"%s\"", j ? ", " : "", n->addrs[j].text);
		printf("]");
		if (n->dhcp)
			printf(", \"dhcp\": true, \"lease\": %s%s%s", nd[i].lease[0] ? "\"" : "",
			       nd[i].lease[0] ? nd[i].lease : "null", nd[i].lease[0] ? "\"" : "");
		printf("}");
	}
	printf("%s],\n", c->n_nets ? "\n  " : "");
	printf("  \"forwards\": [");
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct box_forward *f = &c->forwards[i];
		printf("%s{\"proto\": \"%s\", \"port\": %u, \"to\": %u, \"listen\": %s%s%s}", i ? ", " : "",
		       f->proto == IPPROTO_TCP ? "tcp" : "udp", f->port, f->to, f->has_listen ? "\"" : "",
		       f->has_listen ? f->listen.text : "null", f->has_listen ? "\"" : "");
	}
	printf("],\n");
}

/* Interface: and Forward: lines. */
static void print_text_net(const struct box_config *c, const struct net_desc *nd, size_t n_nd)
{
	for (size_t i = 0; i < n_nd; i++) {
		const struct box_net *n = nd[i].net;
		printf("Interface:  %s (%s", n->name, config_net_type_name(n->type));
		if (*nd[i].host_ifname)
			printf(", host side %s", nd[i].host_ifname);
		printf(")");
		if (n->dhcp)
			printf(" dhcp (%s)", nd[i].lease[0] ? nd[i].lease : "no lease yet");
		for (size_t j = 0; j < n->n_addrs; j++)
			printf(" %s", n->addrs[j].text);
		printf("\n");
	}
	const struct box_addr *to = forward_target(c);
	for (size_t i = 0; to && i < c->n_forwards; i++) {
		const struct box_forward *f = &c->forwards[i];
		printf("Forward:    %s %s:%u -> %.*s:%u\n", f->title, f->has_listen ? f->listen.text : "*", f->port,
		       (int)strcspn(to->text, "/"), to->text, f->to);
	}
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_info, argc, argv))
		return 0;
	bool json = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-' || name)
			return cmd_usage_error(&cmd_info, "unexpected argument '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return cmd_usage_error(&cmd_info, "expected a container name");
	box_err_t err = NULL;
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct runtime_info ri;
	if (paths_check_name(name, &err) < 0 || config_load(name, &c, &err) < 0 || global_load(&g, &err) < 0 ||
	    runtime_info(name, &ri, &err) < 0) {
		config_free(c);
		global_free(g);
		return box_error_report(&err);
	}
	struct cgroup_stats cs = { 0 };
	bool have_stats = false;
	if (ri.state != BOX_STOPPED) {
		struct cgroup *cg = NULL;
		box_err_t e = NULL;
		if (cgroup_open(g->cgroup_parent, name, &cg, &e) == 0 && cgroup_stats(cg, &cs, &e) == 0)
			have_stats = true;
		box_error_release(&e);
		cgroup_free(cg);
	}
	long long uptime = ri.started ? (long long)(time(NULL) - ri.started) : 0;
	cleanup_free char *rootfs = paths_rootfs_path(name);
	char ids[160];
	describe_ids(c, ids, sizeof(ids));
	cleanup_free char *logp = paths_log_path(name);
	const char *st = state_name(ri.state);
	cleanup_free struct net_desc *nd = NULL;
	size_t n_nd = net_describe(c, &nd);
	if (json) {
		printf("{\n  \"name\": \"%s\",\n  \"state\": \"%s\",\n  \"lock\": %s%s%s,\n  \"pid\": %d,\n"
		       "  \"uptime\": %lld,\n  \"version\": \"%s\",\n",
		       name, st, ri.lock[0] ? "\"" : "", ri.lock[0] ? ri.lock : "null", ri.lock[0] ? "\"" : "",
		       (int)ri.init_pid, uptime, box_version);
		print_json_net(c, nd, n_nd);
		if (have_stats)
			printf("  \"memory_bytes\": %llu,\n  \"memory_peak_bytes\": %llu,\n  \"cpu_usage_ns\": %llu,\n"
			       "  \"pids\": %llu,\n  \"oom_kills\": %llu,\n",
			       (unsigned long long)cs.memory_current, (unsigned long long)cs.memory_peak,
			       (unsigned long long)cs.cpu_usage_ns, (unsigned long long)cs.pids_current,
			       (unsigned long long)cs.oom_kills);
		printf("  \"unprivileged\": %s,\n  \"idmap\": \"%s\",\n", c->unprivileged ? "true" : "false", ids);
		print_features(c, true);
		print_storage(name, true);
		printf("  \"rootfs\": \"%s\",\n  \"log\": \"%s\"\n}\n", rootfs, logp);
	} else {
		printf("Name:       %s\nState:      %s\n", name, st);
		if (ri.lock[0])
			printf("Lock:       %s (pid %d)\n", ri.lock, (int)ri.lock_pid);
		if (ri.init_pid)
			printf("PID:        %d\nUptime:     %lldd %02lld:%02lld:%02lld\n", (int)ri.init_pid,
			       uptime / 86400, uptime / 3600 % 24, uptime / 60 % 60, uptime % 60);
		print_text_net(c, nd, n_nd);
		if (have_stats)
			printf("Memory:     %.1f MiB (peak %.1f MiB)\nCPU used:   %.2f s\nProcesses:  %llu\n"
			       "OOM kills:  %llu\n",
			       (double)cs.memory_current / (1 << 20), (double)cs.memory_peak / (1 << 20),
			       (double)cs.cpu_usage_ns / 1e9, (unsigned long long)cs.pids_current,
			       (unsigned long long)cs.oom_kills);
		printf("Ids:        %s\n", ids);
		print_features(c, false);
		print_storage(name, false);
		printf("Rootfs:     %s\nLog:        %s\n", rootfs, logp);
	}
	config_free(c);
	global_free(g);
	return 0;
}
