/* The v2 backend (pure cgroup2 hosts): the limits in their own terms,
 * cgroup.kill, cgroup.freeze, and the device allowlist as a BPF program. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/idmap.h"
#include "cgroup/internal.h"
#include "config/config.h"
#include "base/util.h"
#include "base/notes.h"

static const struct cgroup_hier *v2(void)
{
	return cgroup_v2_hier();
}

static char *dir_of(struct cgroup *cg)
{
	return cgroup_path(v2(), cg->limit, NULL);
}

static int v2_set_devices(struct cgroup *cg, box_err_t *err)
{
	/* boxes in a container (nesting = yes): bpf(2) needs the host's
	 * CAP_SYS_ADMIN. The outer container's program, attached above with
	 * BPF_F_ALLOW_MULTI, runs for this cgroup too, and a user namespace
	 * cannot mknod: the outer list is the one that holds (as runc and crun
	 * skip theirs in a user namespace). */
	if (idmap_in_userns())
		return 0;
	cleanup_free char *dir = dir_of(cg);
	return cgroup_bpf_attach_devices(dir, err);
}

static int v2_prepare(struct cgroup *cg, box_err_t *err)
{
	/* the payload (and systemd's cgroups inside) get the controllers we have */
	if (cgroup_enable_controllers(v2(), cg->limit, err) < 0)
		return -1;
	return v2_set_devices(cg, err);
}

/* Writes a knob whose file may be missing (controller absent): a warning when
 * the user asked for something other than the default. */
static int knob(struct cgroup *cg, const char *file, const char *key, const char *want, bool set,
		bool (*same)(const char *, const char *), char ***changes, box_err_t *err)
{
	if (!cgroup_has_file(v2(), cg->limit, file)) {
		if (set)
			box_warn("%s: the kernel has no %s: %s = %s is not applied", key, file, key, want);
		return 0;
	}
	return cgroup_update_knob(v2(), cg->limit, file, key, want, same, changes, err);
}

/* "50000 100000" / "max 100000" */
static bool same_cpu_max(const char *a, const char *b)
{
	return cgroup_same_trim(a, b);
}

/* io.weight reads "default 100\n8:0 200\n...": compare the default line */
static bool same_first_line(const char *a, const char *b)
{
	size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
	return la == lb && !strncmp(a, b, la);
}

/* What cpuset.cpus should hold for "no cpuset": empty (every CPU of the
 * parent) while it is empty, else the parent's effective CPUs, as the kernel
 * refuses to empty it again on a cgroup with processes (ENOSPC). */
static int cpuset_none(struct cgroup *cg, char **out, box_err_t *err)
{
	cleanup_free char *cur = NULL;
	if (!cgroup_has_file(v2(), cg->limit, "cpuset.cpus")) {
		*out = xstrdup("");
		return 0;
	}
	if (cgroup_read(v2(), cg->limit, "cpuset.cpus", &cur, err) < 0)
		return -1;
	if (cgroup_same_trim(cur, "")) {
		*out = xstrdup("");
		return 0;
	}
	if (cgroup_read(v2(), cg->parent, "cpuset.cpus.effective", out, err) < 0)
		return -1;
	(*out)[strcspn(*out, "\n")] = '\0';
	return 0;
}

static int v2_update_limits(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	char v[64];
	cgroup_knob_value(l->memory, v, sizeof(v));
	if (knob(cg, "memory.max", "memory", v, l->memory != BOX_UNLIMITED, cgroup_same_number, changes, err) < 0)
		return -1;
	cgroup_knob_value(cgroup_memory_high(l->memory), v, sizeof(v));
	if (knob(cg, "memory.high", "memory", v, false, cgroup_same_number, changes, err) < 0)
		return -1;
	cgroup_knob_value(l->swap, v, sizeof(v));
	if (!cgroup_has_file(v2(), cg->limit, "memory.swap.max") && l->swap != BOX_UNLIMITED)
		box_warn("swap: the kernel has no swap accounting (memory.swap.max): swap is not limited");
	else if (knob(cg, "memory.swap.max", "swap", v, false, cgroup_same_number, changes, err) < 0)
		return -1;

	if (l->cpus_milli)
		snprintf(v, sizeof(v), "%" PRId64 " %u", cgroup_cpus_to_quota(l->cpus_milli), CGROUP_CPU_PERIOD);
	else
		snprintf(v, sizeof(v), "max %u", CGROUP_CPU_PERIOD);
	if (knob(cg, "cpu.max", "cpus", v, l->cpus_milli != 0, same_cpu_max, changes, err) < 0)
		return -1;
	snprintf(v, sizeof(v), "%u", l->cpu_weight ? l->cpu_weight : 100);
	if (knob(cg, "cpu.weight", "cpu_weight", v, l->cpu_weight && l->cpu_weight != 100, cgroup_same_number, changes,
		 err) < 0)
		return -1;
	cleanup_free char *all = NULL;
	if (!l->cpuset && cpuset_none(cg, &all, err) < 0)
		return -1;
	if (knob(cg, "cpuset.cpus", "cpuset", l->cpuset ? l->cpuset : all, l->cpuset != NULL, cgroup_same_trim, changes,
		 err) < 0)
		return -1;
	cgroup_knob_value(l->pids, v, sizeof(v));
	if (knob(cg, "pids.max", "pids", v, l->pids != BOX_UNLIMITED, cgroup_same_number, changes, err) < 0)
		return -1;

	unsigned w = l->io_weight ? l->io_weight : 100;
	snprintf(v, sizeof(v), "default %u", w);
	const char *file = cgroup_has_file(v2(), cg->limit, "io.weight") ? "io.weight" : "io.bfq.weight";
	if (!cgroup_has_file(v2(), cg->limit, file)) {
		if (w != 100)
			box_warn("io_weight: the kernel has no io.weight or io.bfq.weight (no io cost model or "
				 "BFQ scheduler): io_weight = %u is not applied",
				 w);
		return 0;
	}
	return cgroup_update_knob(v2(), cg->limit, file, "io_weight", v, same_first_line, changes, err);
}

static void read_u64_opt(struct cgroup *cg, const char *file, uint64_t *out)
{
	box_err_t e = NULL;
	uint64_t v;
	if (cgroup_read_u64(v2(), cg->limit, file, &v, &e) == 0)
		*out = v;
	box_error_release(&e);
}

static int v2_read_limits(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err)
{
	read_u64_opt(cg, "memory.max", &l->memory);
	read_u64_opt(cg, "memory.swap.max", &l->swap);
	read_u64_opt(cg, "pids.max", &l->pids);
	uint64_t w = 100;
	read_u64_opt(cg, "cpu.weight", &w);
	l->cpu_weight = (unsigned)w;
	box_err_t e = NULL;
	cleanup_free char *cpu = NULL, *io = NULL;
	if (cgroup_read(v2(), cg->limit, "cpu.max", &cpu, &e) == 0) {
		long long q = -1;
		unsigned long long period = CGROUP_CPU_PERIOD;
		if (sscanf(cpu, "%lld %llu", &q, &period) == 2)
			l->cpus_milli = cgroup_quota_to_cpus(q, period);
	}
	box_error_release(&e);
	if (cgroup_read(v2(), cg->limit, "io.weight", &io, &e) == 0)
		sscanf(io, "default %u", &l->io_weight);
	box_error_release(&e);
	char *s = NULL;
	if (cgroup_read(v2(), cg->limit, "cpuset.cpus", &s, &e) == 0) {
		s[strcspn(s, "\n")] = '\0';
		if (*s)
			l->cpuset = s;
		else
			free(s);
	}
	box_error_release(&e);
	return 0;
}

static bool v2_is_frozen(struct cgroup *cg)
{
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	uint64_t v = 0;
	bool frozen = cgroup_read(v2(), cg->limit, "cgroup.events", &s, &e) == 0 &&
		      cgroup_keyed_u64(s, "frozen", &v) == 0 && v != 0;
	box_error_release(&e);
	return frozen;
}

static int v2_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err)
{
	read_u64_opt(cg, "memory.current", &st->memory_current);
	read_u64_opt(cg, "memory.peak", &st->memory_peak); /* 5.19+ */
	read_u64_opt(cg, "pids.current", &st->pids_current);
	box_err_t e = NULL;
	cleanup_free char *cpu = NULL, *ev = NULL, *io = NULL;
	uint64_t v;
	if (cgroup_read(v2(), cg->limit, "cpu.stat", &cpu, &e) == 0 && cgroup_keyed_u64(cpu, "usage_usec", &v) == 0)
		st->cpu_usage_ns = v * 1000;
	box_error_release(&e);
	/* memory.events is hierarchical: an OOM kill anywhere below counts here */
	if (cgroup_read(v2(), cg->limit, "memory.events", &ev, &e) == 0 && cgroup_keyed_u64(ev, "oom_kill", &v) == 0)
		st->oom_kills = v;
	box_error_release(&e);
	if (cgroup_read(v2(), cg->limit, "io.stat", &io, &e) == 0)
		cgroup_parse_io_stat_v2(io, &st->io_read_bytes, &st->io_write_bytes);
	box_error_release(&e);
	st->frozen = v2_is_frozen(cg);
	return 0;
}

/* Waits (poll on cgroup.events, which the kernel notifies) until `key` reads `want`. */
static int wait_event(struct cgroup *cg, const char *key, uint64_t want, int timeout_ms, box_err_t *err)
{
	cleanup_free char *path = cgroup_path(v2(), cg->limit, "cgroup.events");
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		cleanup_free char *s = NULL;
		uint64_t v;
		if (read_file_at(-100, path, &s, NULL, err) < 0)
			return -1;
		if (cgroup_keyed_u64(s, key, &v) == 0 && v == want)
			return 0;
		uint64_t now = now_ms();
		if (now >= deadline)
			return box_error(err, ETIMEDOUT, "%s: %s is not %" PRIu64 " after %d ms", path, key, want,
					 timeout_ms);
		usleep(1000);
	}
}

static int v2_freeze(struct cgroup *cg, bool freeze, box_err_t *err)
{
	if (!cgroup_has_file(v2(), cg->limit, "cgroup.freeze"))
		return box_error(err, ENOTSUP, "the kernel has no cgroup.freeze (5.2+)");
	if (cgroup_write(v2(), cg->limit, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
		return -1;
	return wait_event(cg, "frozen", freeze ? 1 : 0, 10000, err);
}

static bool v2_is_empty(struct cgroup *cg)
{
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	uint64_t v = 0;
	if (cgroup_read(v2(), cg->limit, "cgroup.events", &s, &e) < 0) {
		box_error_release(&e);
		return true;
	}
	return cgroup_keyed_u64(s, "populated", &v) < 0 || v == 0;
}

static int v2_kill(struct cgroup *cg, box_err_t *err)
{
	if (v2_is_empty(cg))
		return 0;
	if (cgroup_has_file(v2(), cg->limit, "cgroup.kill")) {
		/* 5.14+: the kernel kills the whole subtree, forks included */
		if (cgroup_write(v2(), cg->limit, "cgroup.kill", "1", err) < 0)
			return -1;
		return wait_event(cg, "populated", 0, 10000, err);
	}
	/* older kernels: freeze, SIGKILL everything, thaw, until empty */
	uint64_t deadline = now_ms() + 10000;
	while (!v2_is_empty(cg)) {
		box_err_t e = NULL;
		v2_freeze(cg, true, &e);
		box_error_release(&e);
		pid_t *pids = NULL;
		size_t n = 0;
		cgroup_collect_pids(v2(), cg->limit, &pids, &n);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		if (v2_freeze(cg, false, err) < 0)
			return -1;
		if (now_ms() > deadline)
			return box_error(err, ETIMEDOUT, "processes are still left in %s/%s after 10 s", v2()->mnt,
					 cg->limit);
		usleep(2000);
	}
	return 0;
}

const struct cgroup_ops cgroup_v2_ops = {
	.prepare = v2_prepare,
	.update_limits = v2_update_limits,
	.read_limits = v2_read_limits,
	.set_devices = v2_set_devices,
	.stats = v2_stats,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.kill = v2_kill,
	.is_empty = v2_is_empty,
};
