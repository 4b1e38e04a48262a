/* The v1 backend (legacy and hybrid hosts): one hierarchy per controller
 * group; limits mapped from v2 terms to the v1 files. On a hybrid host the
 * cgroup2 "unified" hierarchy only carries membership (it has no controllers
 * there), which cgroup.c handles like any other hierarchy. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "config/config.h"
#include "base/util.h"
#include "base/notes.h"

static const struct cgroup_hier *need(const char *ctrl, const char *key, bool set, box_err_t *err)
{
	const struct cgroup_hier *h = cgroup_v1_hier(ctrl);
	if (!h && set)
		box_warn("%s: this host has no %s cgroup controller: not applied", key, ctrl);
	return h;
}

/* ---- devices ---- */

static int devices_apply(const struct cgroup_hier *h, const char *rel, box_err_t *err)
{
	/* "a" resets to deny-all; the kernel refuses it once the cgroup has children */
	if (cgroup_write(h, rel, "devices.deny", "a", err) < 0)
		return -1;
	/* one rule per write(), all through one open file */
	cleanup_free char *p = cgroup_path(h, rel, "devices.allow");
	cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", p);
	for (size_t i = 0; i < cgroup_dev_allow_n; i++) {
		const struct cgroup_dev_rule *r = &cgroup_dev_allow[i];
		char maj[16] = "*", min[16] = "*", rule[64];
		if (r->major >= 0)
			snprintf(maj, sizeof(maj), "%d", r->major);
		if (r->minor >= 0)
			snprintf(min, sizeof(min), "%d", r->minor);
		int n = snprintf(rule, sizeof(rule), "%c %s:%s %s", r->type, maj, min, r->access);
		if (write(fd, rule, (size_t)n) != n)
			return box_error(err, errno, "writing '%s' to %s", rule, p);
	}
	return 0;
}

static int v1_set_devices(struct cgroup *cg, box_err_t *err)
{
	const struct cgroup_hier *h = cgroup_v1_hier("devices");
	if (!h)
		return box_error(err, ENOTSUP,
				 "this host has no devices cgroup controller: refusing to run "
				 "a container that could open every device");
	cleanup_free char *list = NULL;
	if (cgroup_read(h, cg->limit, "devices.list", &list, err) < 0)
		return -1;
	if (!strstr(list, "a *:* rwm"))
		return 0; /* the allowlist is in place (cgroup_create) */
	if (cgroup_has_file(h, cg->payload, NULL))
		return box_error(err, EBUSY,
				 "the devices allowlist of %s/%s is missing and cannot be set "
				 "with the container running",
				 h->mnt, cg->limit);
	return devices_apply(h, cg->limit, err);
}

static int v1_prepare(struct cgroup *cg, box_err_t *err)
{
	return v1_set_devices(cg, err);
}

/* ---- limits ---- */

static int update_memory(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	const struct cgroup_hier *h = need("memory", "memory", l->memory != BOX_UNLIMITED, err);
	if (!h)
		return 0;
	char mem[32], sw[32];
	snprintf(mem, sizeof(mem), "%" PRId64, l->memory == BOX_UNLIMITED ? (int64_t)-1 : (int64_t)l->memory);
	bool memsw = cgroup_has_file(h, cg->limit, "memory.memsw.limit_in_bytes");
	uint64_t total = l->memory == BOX_UNLIMITED || l->swap == BOX_UNLIMITED ? BOX_UNLIMITED : l->memory + l->swap;
	snprintf(sw, sizeof(sw), "%" PRId64, total == BOX_UNLIMITED ? (int64_t)-1 : (int64_t)total);
	if (!memsw && l->swap != BOX_UNLIMITED)
		box_warn("swap: the kernel has no swap accounting (memory.memsw.*; boot with "
			 "swapaccount=1): swap is not limited");

	box_err_t e = NULL;
	int r =
	    cgroup_update_knob(h, cg->limit, "memory.limit_in_bytes", "memory", mem, cgroup_same_number, changes, &e);
	if (r < 0) {
		/* v1 wants limit <= memsw at all times: raise memsw first, then retry */
		if (!memsw || r != -EINVAL) {
			*err = e;
			return -1;
		}
		box_error_release(&e);
		if (cgroup_update_knob(h, cg->limit, "memory.memsw.limit_in_bytes", "swap", sw, cgroup_same_number,
				       changes, err) < 0 ||
		    cgroup_update_knob(h, cg->limit, "memory.limit_in_bytes", "memory", mem, cgroup_same_number,
				       changes, err) < 0)
			return -1;
	}
	if (memsw && cgroup_update_knob(h, cg->limit, "memory.memsw.limit_in_bytes", "swap", sw, cgroup_same_number,
					changes, err) < 0)
		return -1;
	return 0;
}

static int update_cpu(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	const struct cgroup_hier *h = need("cpu", "cpus", l->cpus_milli || l->cpu_weight != 100, err);
	if (!h)
		return 0;
	char v[32];
	snprintf(v, sizeof(v), "%u", CGROUP_CPU_PERIOD);
	if (cgroup_update_knob(h, cg->limit, "cpu.cfs_period_us", "cpus", v, cgroup_same_number, changes, err) < 0)
		return -1;
	snprintf(v, sizeof(v), "%" PRId64, cgroup_cpus_to_quota(l->cpus_milli));
	if (cgroup_update_knob(h, cg->limit, "cpu.cfs_quota_us", "cpus", v, cgroup_same_number, changes, err) < 0)
		return -1;
	snprintf(v, sizeof(v), "%" PRIu64, cgroup_weight_to_shares(l->cpu_weight ? l->cpu_weight : 100));
	return cgroup_update_knob(h, cg->limit, "cpu.shares", "cpu_weight", v, cgroup_same_number, changes, err);
}

/* Writes cpus into each cgroup below the limit cgroup, deepest first: v1
 * refuses to take CPUs away from a parent while a child still uses them. */
static int narrow_child(int parent, const char *name, void *cpus)
{
	cleanup_free char *file = xasprintf("%s/cpuset.cpus", name);
	cleanup_close int fd = openat(parent, file, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, cpus, strlen(cpus)) < 0) {
		/* best effort: the limit's own write then says what is wrong */
	}
	return 0;
}

static int update_cpuset(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	const struct cgroup_hier *h = need("cpuset", "cpuset", l->cpuset != NULL, err);
	if (!h)
		return 0;
	cleanup_free char *all = NULL;
	if (!l->cpuset) {
		/* none = what the parent has */
		if (cgroup_read(h, cg->parent, "cpuset.cpus", &all, err) < 0)
			return -1;
		all[strcspn(all, "\n")] = '\0';
	}
	const char *want = l->cpuset ? l->cpuset : all;
	box_err_t e = NULL;
	int r = cgroup_update_knob(h, cg->limit, "cpuset.cpus", "cpuset", want, cgroup_same_trim, changes, &e);
	if (r < 0) {
		if (r != -EBUSY) {
			*err = e;
			return -1;
		}
		box_error_release(&e);
		cleanup_free char *top = cgroup_path(h, cg->limit, NULL);
		cgroup_walk(top, NULL, narrow_child, (void *)want);
		if (cgroup_update_knob(h, cg->limit, "cpuset.cpus", "cpuset", want, cgroup_same_trim, changes, err) < 0)
			return -1;
	}
	/* the payload follows, so that a widened set reaches the container */
	if (cgroup_has_file(h, cg->payload, NULL) &&
	    cgroup_update_knob(h, cg->payload, "cpuset.cpus", "cpuset", want, cgroup_same_trim, NULL, err) < 0)
		return -1;
	return 0;
}

static int update_pids(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	const struct cgroup_hier *h = need("pids", "pids", l->pids != BOX_UNLIMITED, err);
	if (!h)
		return 0;
	char v[32] = "max";
	if (l->pids != BOX_UNLIMITED)
		snprintf(v, sizeof(v), "%" PRIu64, l->pids);
	return cgroup_update_knob(h, cg->limit, "pids.max", "pids", v, cgroup_same_number, changes, err);
}

static int update_io(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	unsigned w = l->io_weight ? l->io_weight : 100;
	const struct cgroup_hier *h = cgroup_v1_hier("blkio");
	/* CFQ's blkio.weight (10..1000) or BFQ's blkio.bfq.weight (1..1000); the
	 * v2 default 100 is their default too, so the value passes through */
	const char *file = NULL;
	if (h && cgroup_has_file(h, cg->limit, "blkio.bfq.weight"))
		file = "blkio.bfq.weight";
	else if (h && cgroup_has_file(h, cg->limit, "blkio.weight"))
		file = "blkio.weight";
	if (!file) {
		if (w != 100)
			box_warn("io_weight: the kernel has no blkio.weight or blkio.bfq.weight (no CFQ or BFQ "
				 "I/O scheduler): io_weight = %u is not applied",
				 w);
		return 0;
	}
	unsigned v1 = w > 1000 ? 1000 : w;
	if (!strcmp(file, "blkio.weight") && v1 < 10)
		v1 = 10;
	char v[16];
	snprintf(v, sizeof(v), "%u", v1);
	return cgroup_update_knob(h, cg->limit, file, "io_weight", v, cgroup_same_number, changes, err);
}

static int v1_update_limits(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	if (update_memory(cg, l, changes, err) < 0 || update_cpu(cg, l, changes, err) < 0 ||
	    update_cpuset(cg, l, changes, err) < 0 || update_pids(cg, l, changes, err) < 0 ||
	    update_io(cg, l, changes, err) < 0)
		return -1;
	return 0;
}

static void read_u64_opt(const struct cgroup_hier *h, const char *rel, const char *file, uint64_t *out)
{
	box_err_t e = NULL;
	uint64_t v;
	if (h && cgroup_read_u64(h, rel, file, &v, &e) == 0)
		*out = v;
	box_error_release(&e);
}

static int v1_read_limits(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err)
{
	const struct cgroup_hier *h = cgroup_v1_hier("memory");
	uint64_t memsw = BOX_UNLIMITED, v;
	read_u64_opt(h, cg->limit, "memory.limit_in_bytes", &l->memory);
	read_u64_opt(h, cg->limit, "memory.memsw.limit_in_bytes", &memsw);
	if (memsw != BOX_UNLIMITED && l->memory != BOX_UNLIMITED && memsw >= l->memory)
		l->swap = memsw - l->memory;
	h = cgroup_v1_hier("cpu");
	uint64_t period = CGROUP_CPU_PERIOD, quota = BOX_UNLIMITED, shares = 1024;
	read_u64_opt(h, cg->limit, "cpu.cfs_period_us", &period);
	read_u64_opt(h, cg->limit, "cpu.cfs_quota_us", &quota);
	read_u64_opt(h, cg->limit, "cpu.shares", &shares);
	l->cpus_milli = quota == BOX_UNLIMITED ? 0 : cgroup_quota_to_cpus((int64_t)quota, period);
	l->cpu_weight = cgroup_shares_to_weight(shares);
	h = cgroup_v1_hier("pids");
	read_u64_opt(h, cg->limit, "pids.max", &l->pids);
	h = cgroup_v1_hier("blkio");
	v = 100;
	read_u64_opt(h, cg->limit, "blkio.bfq.weight", &v);
	l->io_weight = (unsigned)v;
	h = cgroup_v1_hier("cpuset");
	char *s = NULL;
	box_err_t e = NULL;
	if (h && cgroup_read(h, cg->limit, "cpuset.cpus", &s, &e) == 0) {
		s[strcspn(s, "\n")] = '\0';
		l->cpuset = s;
	}
	box_error_release(&e);
	return 0;
}

/* ---- stats ---- */

/* FREEZING (a freeze still under way) reads as frozen too. */
static bool v1_is_frozen(struct cgroup *cg)
{
	const struct cgroup_hier *h = cgroup_v1_hier("freezer");
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	bool frozen = h && cgroup_read(h, cg->limit, "freezer.state", &s, &e) == 0 && strncmp(s, "THAWED", 6) != 0;
	box_error_release(&e);
	return frozen;
}

static int v1_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err)
{
	const struct cgroup_hier *h = cgroup_v1_hier("memory");
	if (h) {
		read_u64_opt(h, cg->limit, "memory.usage_in_bytes", &st->memory_current);
		read_u64_opt(h, cg->limit, "memory.max_usage_in_bytes", &st->memory_peak);
		/* v1 counts an OOM kill in the victim's own cgroup only: sum the tree */
		st->oom_kills = cgroup_sum_tree(h, cg->limit, "memory.oom_control", "oom_kill");
	}
	h = cgroup_v1_hier("cpuacct");
	if (h)
		read_u64_opt(h, cg->limit, "cpuacct.usage", &st->cpu_usage_ns);
	h = cgroup_v1_hier("pids");
	if (h)
		read_u64_opt(h, cg->limit, "pids.current", &st->pids_current);
	h = cgroup_v1_hier("blkio");
	cleanup_free char *io = NULL;
	box_err_t e = NULL;
	if (h && cgroup_read(h, cg->limit, "blkio.throttle.io_service_bytes_recursive", &io, &e) == 0)
		cgroup_parse_io_service_bytes_v1(io, &st->io_read_bytes, &st->io_write_bytes);
	box_error_release(&e);
	st->frozen = v1_is_frozen(cg);
	return 0;
}

/* ---- freeze and kill ---- */

static int v1_freeze(struct cgroup *cg, bool freeze, box_err_t *err)
{
	const struct cgroup_hier *h = cgroup_v1_hier("freezer");
	if (!h)
		return box_error(err, ENOTSUP, "this host has no freezer cgroup controller");
	const char *want = freeze ? "FROZEN" : "THAWED";
	uint64_t deadline = now_ms() + 10000;
	for (;;) {
		/* FREEZING until every task stopped; writing again retries the stragglers */
		if (cgroup_write(h, cg->limit, "freezer.state", want, err) < 0)
			return -1;
		cleanup_free char *s = NULL;
		if (cgroup_read(h, cg->limit, "freezer.state", &s, err) < 0)
			return -1;
		if (!strncmp(s, want, strlen(want)))
			return 0;
		if (now_ms() > deadline)
			return box_error(err, ETIMEDOUT, "%s/%s/freezer.state is still %.*s after 10 s", h->mnt,
					 cg->limit, (int)strcspn(s, "\n"), s);
		usleep(1000);
	}
}

static const struct cgroup_hier *tasks_hier(void)
{
	const struct cgroup_hier *h = cgroup_v1_hier("freezer");
	if (!h) {
		size_t n;
		h = cgroup_hiers(&n);
		if (!n)
			return NULL;
	}
	return h;
}

static bool v1_is_empty(struct cgroup *cg)
{
	const struct cgroup_hier *h = tasks_hier();
	pid_t *pids = NULL;
	size_t n = 0;
	if (!h || cgroup_collect_pids(h, cg->limit, &pids, &n) < 0)
		n = 0;
	free(pids);
	return n == 0;
}

/* Writes THAWED into a cgroup's freezer.state. */
static int thaw_one(int fd, void *data)
{
	cleanup_close int f = openat(fd, "freezer.state", O_WRONLY | O_CLOEXEC);
	if (f >= 0 && write(f, "THAWED", 6) < 0) {
		/* best effort: the next round of v1_kill sees what is left */
	}
	return 0;
}

void cgroup_thaw_below(struct cgroup *cg)
{
	const struct cgroup_hier *h = cgroup_v1_hier("freezer");
	if (!h || !cg)
		return;
	cleanup_free char *top = cgroup_path(h, cg->limit, NULL);
	cgroup_walk(top, thaw_one, NULL, NULL);
}

/* v1 has no cgroup.kill: freeze so that nothing forks in between, SIGKILL every
 * task, thaw so that the signals are delivered; again until none is left.
 * The thaw reaches every cgroup below too (cgroup_thaw_below): the limit's
 * THAWED does not reach one the container's root froze itself. */
static int v1_kill(struct cgroup *cg, box_err_t *err)
{
	const struct cgroup_hier *h = tasks_hier();
	bool freezer = cgroup_v1_hier("freezer") != NULL;
	uint64_t deadline = now_ms() + 10000;
	for (;;) {
		pid_t *pids = NULL;
		size_t n = 0;
		if (!h || cgroup_collect_pids(h, cg->limit, &pids, &n) < 0 || n == 0) {
			free(pids);
			return 0;
		}
		free(pids);
		box_err_t e = NULL;
		if (freezer && v1_freeze(cg, true, &e) < 0) {
			/* a task stuck in D state: kill what we can anyway */
			box_error_release(&e);
		}
		pids = NULL;
		n = 0;
		cgroup_collect_pids(h, cg->limit, &pids, &n);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		if (freezer && v1_freeze(cg, false, err) < 0)
			return -1;
		if (freezer)
			cgroup_thaw_below(cg);
		if (now_ms() > deadline)
			return box_error(err, ETIMEDOUT, "processes are still left in %s/%s after 10 s", h->mnt,
					 cg->limit);
		usleep(2000);
	}
}

const struct cgroup_ops cgroup_v1_ops = {
	.prepare = v1_prepare,
	.update_limits = v1_update_limits,
	.read_limits = v1_read_limits,
	.set_devices = v1_set_devices,
	.stats = v1_stats,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.kill = v1_kill,
	.is_empty = v1_is_empty,
};
