#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "runtime/runtime.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_stats = {
	.name = "stats",
	.run = run,
	.summary = "show resource usage",
	.usage = "stats NAME [--watch] [--interval SECONDS] [--json]\n"
		 "  Memory used and peak, CPU time and current use, processes, OOM kills, I/O bytes,\n"
		 "  from the container's cgroup, with its limits.\n"
		 "  --watch        one line per interval until interrupted (default every 1 s)\n"
		 "  --interval S   the sampling interval (0.1 to 3600 s); CPU % is over it\n"
		 "  --json         one JSON object (per sample with --watch)",
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *size(uint64_t v, char *buf, size_t len)
{
	if (v == BOX_UNLIMITED)
		snprintf(buf, len, "max");
	else if (v >= (1ULL << 30))
		snprintf(buf, len, "%.2fG", (double)v / (1ULL << 30));
	else if (v >= (1ULL << 20))
		snprintf(buf, len, "%.1fM", (double)v / (1ULL << 20));
	else
		snprintf(buf, len, "%.1fK", (double)v / 1024);
	return buf;
}

static void print_json(const char *name, const struct cgroup_stats *s, const struct cgroup_limits *l, double cpu_pct)
{
	printf("{\"name\": \"%s\", \"time\": %lld, \"memory_bytes\": %" PRIu64 ", \"memory_peak_bytes\": %" PRIu64
	       ", \"cpu_usage_ns\": %" PRIu64 ", \"cpu_percent\": %.1f, \"pids\": %" PRIu64 ", \"oom_kills\": %" PRIu64
	       ", \"io_read_bytes\": %" PRIu64 ", \"io_write_bytes\": %" PRIu64 ", \"frozen\": %s",
	       name, (long long)time(NULL), s->memory_current, s->memory_peak, s->cpu_usage_ns, cpu_pct,
	       s->pids_current, s->oom_kills, s->io_read_bytes, s->io_write_bytes, s->frozen ? "true" : "false");
	printf(", \"limits\": {\"memory\": ");
	if (l->memory == BOX_UNLIMITED)
		printf("null");
	else
		printf("%" PRIu64, l->memory);
	printf(", \"cpus\": ");
	if (l->cpus_milli)
		printf("%.3f", l->cpus_milli / 1000.0);
	else
		printf("null");
	printf(", \"pids\": ");
	if (l->pids == BOX_UNLIMITED)
		printf("null");
	else
		printf("%" PRIu64, l->pids);
	printf("}}\n");
}

static void print_text(const char *name, const struct cgroup_stats *s, const struct cgroup_limits *l, double cpu_pct)
{
	char a[32], b[32], c[32];
	printf("Name:       %s%s\n", name, s->frozen ? " (FROZEN)" : "");
	printf("Memory:     %s (peak %s, limit %s)\n", size(s->memory_current, a, sizeof(a)),
	       s->memory_peak ? size(s->memory_peak, b, sizeof(b)) : "unknown", size(l->memory, c, sizeof(c)));
	printf("CPU:        %.2f s used, %.1f %% now", s->cpu_usage_ns / 1e9, cpu_pct);
	if (l->cpus_milli)
		printf(" (limit %.2f CPUs)", l->cpus_milli / 1000.0);
	printf("\nProcesses:  %" PRIu64, s->pids_current);
	if (l->pids != BOX_UNLIMITED)
		printf(" (limit %" PRIu64 ")", l->pids);
	printf("\nOOM kills:  %" PRIu64 "\n", s->oom_kills);
	printf("I/O:        %s read, %s written\n", size(s->io_read_bytes, a, sizeof(a)),
	       size(s->io_write_bytes, b, sizeof(b)));
}

static void print_row(const struct cgroup_stats *s, double cpu_pct, bool header)
{
	char a[32], b[32], c[32], d[32];
	if (header)
		printf("%-8s %9s %9s %7s %6s %5s %9s %9s %s\n", "TIME", "MEM", "PEAK", "CPU%", "PIDS", "OOM", "READ",
		       "WRITTEN", "STATE");
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	printf("%02d:%02d:%02d %9s %9s %7.1f %6" PRIu64 " %5" PRIu64 " %9s %9s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	       size(s->memory_current, a, sizeof(a)), size(s->memory_peak, b, sizeof(b)), cpu_pct, s->pids_current,
	       s->oom_kills, size(s->io_read_bytes, c, sizeof(c)), size(s->io_write_bytes, d, sizeof(d)),
	       s->frozen ? "FROZEN" : "RUNNING");
	fflush(stdout);
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_stats, argc, argv))
		return 0;
	bool watch = false, json = false;
	double interval = 1.0;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--watch") || !strcmp(argv[i], "-w")) {
			watch = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--interval") || !strcmp(argv[i], "-i")) {
			char *end;
			if (i + 1 >= argc)
				return cmd_usage_error(&cmd_stats, "%s needs a number of seconds", argv[i]);
			errno = 0;
			interval = strtod(argv[++i], &end);
			if (errno || *end || end == argv[i] || !(interval >= 0.1 && interval <= 3600))
				return cmd_usage_error(&cmd_stats,
						       "--interval: '%s' is not a number of seconds "
						       "from 0.1 to 3600",
						       argv[i]);
		} else if (argv[i][0] == '-' || name) {
			return cmd_usage_error(&cmd_stats, "unexpected argument '%s'", argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return cmd_usage_error(&cmd_stats, "expected a container name");
	box_err_t err = NULL;
	struct box_config *c = NULL;
	struct box_global *g = NULL;
	struct cgroup *cg = NULL;
	struct cgroup_limits l = { 0 };
	enum box_state st;
	if (paths_check_name(name, &err) < 0 || config_load(name, &c, &err) < 0 ||
	    runtime_state(name, &st, NULL, &err) < 0)
		goto out;
	if (st == BOX_STOPPED) {
		box_error(&err, 0, "%s is not running", name);
		goto out;
	}
	if (global_load(&g, &err) < 0 || cgroup_open(g->cgroup_parent, name, &cg, &err) < 0 ||
	    cgroup_read_limits(cg, &l, &err) < 0)
		goto out;
	catch_interrupts(on_signal);
	struct cgroup_stats prev, cur;
	if (cgroup_stats(cg, &prev, &err) < 0)
		goto out;
	uint64_t t0 = now_ns();
	/* one-shot: CPU % over a short sample; --watch: over each interval */
	useconds_t wait = watch ? (useconds_t)(interval * 1e6) : 250000;
	for (bool first = true; !stop; first = false) {
		usleep(wait);
		if (stop)
			break;
		if (watch && (runtime_state(name, &st, NULL, &err) < 0 || st == BOX_STOPPED)) {
			if (!err)
				printf("%s: stopped\n", name);
			goto out;
		}
		if (cgroup_stats(cg, &cur, &err) < 0)
			goto out;
		uint64_t t1 = now_ns();
		double pct = t1 > t0 && cur.cpu_usage_ns >= prev.cpu_usage_ns
				 ? 100.0 * (double)(cur.cpu_usage_ns - prev.cpu_usage_ns) / (double)(t1 - t0)
				 : 0;
		if (json)
			print_json(name, &cur, &l, pct);
		else if (watch)
			print_row(&cur, pct, first);
		else
			print_text(name, &cur, &l, pct);
		fflush(stdout);
		if (!watch)
			break;
		prev = cur;
		t0 = t1;
	}
out:
	free((char *)l.cpuset);
	cgroup_free(cg);
	global_free(g);
	config_free(c);
	return box_error_report(&err);
}
