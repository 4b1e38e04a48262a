/* box apply: the config files are the truth (runtime/reconcile.h does the
 * work; this prints the plan, or does it and prints each line once done). */
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "runtime/reconcile.h"
#include "runtime/record.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "cmd/apply.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_apply = {
	.name = "apply",
	.run = run,
	.summary = "bring every container to what its config file says",
	.usage = "apply [NAME...] [--dry-run] [--restart] [--prune] [--json]\n"
		 "  Compares each config file (no NAME: every one) with what exists and acts, one line\n"
		 "  per action (NAME: what: why): creates a missing rootfs; starts a stopped container\n"
		 "  with autostart = yes (in start_order); writes changed resource limits and changes\n"
		 "  the network (interfaces added or removed, addresses, routes, MTU, bridge) of a\n"
		 "  running container live, all or nothing; reports what needs a restart (template,\n"
		 "  init, storage, mounts, capabilities, seccomp, unprivileged, idmap, ...) and a\n"
		 "  running container whose config file is gone (an orphan). A bad config file is\n"
		 "  reported (FILE:LINE) and the others are applied; exit 1 at the end.\n"
		 "  --dry-run  print the plan, change nothing (the same lines apply prints)\n"
		 "  --restart  also do the restarts: a clean stop and start, one at a time, in start_order\n"
		 "  --prune    stop the orphans (their rootfs and state are kept: box destroy)\n"
		 "  --json     the plan (or what was done) as a JSON array",
};

int apply_limits(const char *name, bool *running, box_err_t *err)
{
	struct box_config *c = NULL, *rc = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	char **changes = NULL;
	enum box_state st;
	int ret = -1;
	*running = false;
	if (config_load(name, &c, err) < 0 || runtime_state(name, &st, NULL, err) < 0)
		goto out;
	if (st == BOX_STOPPED) {
		ret = 0;
		goto out;
	}
	if (global_load(&g, err) < 0 || cgroup_open(g->cgroup_parent, name, &cg, err) < 0)
		goto out;
	struct cgroup_limits l;
	cgroup_limits_from_config(c, &l);
	if (cgroup_update_limits(cg, &l, &changes, err) < 0)
		goto out;
	*running = true;
	/* the record says what runs: these limits now */
	if (record_load(name, &rc, err) == 0 &&
	    record_write_merged(name, rc, c, CONFIG_MERGE_LIMITS | CONFIG_MERGE_RECORD, err) < 0)
		goto out;
	box_error_release(err);
	for (size_t i = 0; changes && changes[i]; i++)
		printf("%s: %s\n", name, changes[i]);
	if (!changes)
		printf("%s: the kernel has the config's limits already\n", name);
	ret = 0;
out:
	strv_free(changes);
	cgroup_free(cg);
	global_free(g);
	config_free(rc);
	config_free(c);
	return ret;
}

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static const char *const kind_names[] = {
	[REC_CREATE] = "create",   [REC_START] = "start",   [REC_LIVE] = "live",
	[REC_RESTART] = "restart", [REC_ORPHAN] = "orphan", [REC_BUSY] = "busy",
};

static void json_line(bool *first, const char *name, const struct rec_line *l, const char *status, const char *error)
{
	printf("%s\n  {\"name\": ", *first ? "" : ",");
	*first = false;
	json_str(name);
	printf(", \"action\": \"%s\", \"key\": ", kind_names[l ? l->kind : REC_BUSY]);
	json_str(l && l->change ? l->change->key : NULL);
	fputs(", \"from\": ", stdout);
	json_str(l && l->change ? l->change->from : NULL);
	fputs(", \"to\": ", stdout);
	json_str(l && l->change ? l->change->to : NULL);
	fputs(", \"text\": ", stdout);
	json_str(l ? l->text : NULL);
	printf(", \"status\": \"%s\", \"error\": ", status);
	json_str(error);
	putchar('}');
}

struct opts {
	bool dry, restart, prune, json;
};

/* One container: its lines, done (or not, dry). 1 when it failed. */
static int one(struct reconcile *r, size_t i, const struct opts *o, bool *first, size_t *printed)
{
	struct rec_box *b = &r->v[i];
	if (b->error) {
		if (o->json)
			json_line(first, b->name, NULL, "error", b->error);
		else
			fprintf(stderr, "box: %s\n", b->error);
		return 1;
	}
	if (!b->n_lines)
		return 0;
	box_err_t err = NULL;
	char **warnings = NULL;
	cleanup_free char *error = NULL;
	if (!o->dry && reconcile_do(r, i, &warnings, &err) < 0) {
		box_error_wrap(&err, "%s", b->name);
		error = box_error_text(err);
		box_error_release(&err);
	}
	for (size_t j = 0; warnings && warnings[j]; j++)
		fprintf(stderr, "box: warning: %s: %s\n", b->name, warnings[j]);
	strv_free(warnings);
	for (size_t j = 0; j < b->n_lines; j++, (*printed)++) {
		const char *status = o->dry ? "planned" : error ? "failed" : "done";
		if (o->json)
			json_line(first, b->name, &b->lines[j], status, error);
		else
			printf("%s: %s%s\n", b->name, b->lines[j].text, error ? " -- not done" : "");
	}
	if (error && !o->json)
		fprintf(stderr, "box: %s (the container is left as it was)\n", error);
	return error ? 1 : 0;
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_apply, argc, argv))
		return 0;
	box_err_t err = NULL;
	struct opts o = { 0 };
	char **names = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			o.dry = true;
		else if (!strcmp(argv[i], "--restart"))
			o.restart = true;
		else if (!strcmp(argv[i], "--prune"))
			o.prune = true;
		else if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (argv[i][0] == '-') {
			strv_free(names);
			return cmd_usage_error(&cmd_apply, "unknown option '%s'", argv[i]);
		} else if (paths_check_name(argv[i], &err) < 0) {
			strv_free(names);
			return box_error_report(&err);
		} else
			strv_push(&names, argv[i]);
	}
	struct reconcile *r = NULL;
	cleanup_close int lock = o.dry ? -1 : reconcile_lock(&err);
	if (!o.dry && lock < 0) {
		strv_free(names);
		return box_error_report(&err);
	}
	int rc = reconcile_plan(names, o.restart, o.prune, &r, &err);
	strv_free(names);
	if (rc < 0)
		return box_error_report(&err);
	int status = 0;
	bool first = true;
	size_t printed = 0;
	if (o.json)
		putchar('[');
	for (size_t i = 0; i < r->n; i++) {
		if (one(r, i, &o, &first, &printed))
			status = 1;
		fflush(stdout);
	}
	if (o.json)
		printf("%s]\n", first ? "" : "\n");
	else if (!printed && !status)
		printf("everything matches the config files already\n");
	reconcile_free(r);
	return status;
}
