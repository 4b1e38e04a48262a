/* One cgroup API over the three host layouts (unified v2, hybrid, legacy v1).
 * The layout is detected once; cgroup-v2.c and cgroup-v1.c fill one ops table.
 *
 * A container's cgroup is <parent>/<name> (parent "boxes" by default, from
 * boxes.conf) in every hierarchy the backend uses. The supervisor is never in
 * it. Limits are written in v2 terms and mapped for v1. */
#ifndef BOX_CGROUP_H
#define BOX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

enum cgroup_layout { CGROUP_UNIFIED, CGROUP_HYBRID, CGROUP_LEGACY };

struct cgroup; /* opaque */

struct cgroup_limits {
	uint64_t memory;     /* bytes, BOX_UNLIMITED = none */
	uint64_t swap;       /* bytes, BOX_UNLIMITED = none */
	uint32_t cpus_milli; /* 0 = none */
	unsigned cpu_weight; /* 1..10000 */
	const char *cpuset;  /* NULL = all */
	uint64_t pids;       /* BOX_UNLIMITED = none */
	unsigned io_weight;  /* 1..10000 */
};

struct cgroup_stats {
	uint64_t memory_current, memory_peak; /* bytes */
	uint64_t cpu_usage_ns;
	uint64_t pids_current;
	uint64_t oom_kills;
	uint64_t io_read_bytes, io_write_bytes;
	bool frozen;
};

enum cgroup_layout cgroup_layout(void);
const char *cgroup_layout_name(enum cgroup_layout l);

/* Creates the container's cgroup (fails with EEXIST if it is there: the caller
 * decides whether it is stale). `parent` NULL = "boxes". */
int cgroup_create(const char *parent, const char *name, struct cgroup **out, box_err_t *err);
/* Opens an existing one (ENOENT if absent). */
int cgroup_open(const char *parent, const char *name, struct cgroup **out, box_err_t *err);
void cgroup_free(struct cgroup *cg);

/* Moves pid (0 = the caller) into the container's cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, box_err_t *err);

/* Writes limits, reads each back; a refused or rounded value is an error or a
 * warning naming the file and both values. */
int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l, box_err_t *err);
/* The devices allowlist: null zero full random urandom tty console ptmx pts. */
int cgroup_set_devices(struct cgroup *cg, box_err_t *err);

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err);
int cgroup_freeze(struct cgroup *cg, bool freeze, box_err_t *err);
/* Kills every process (cgroup.kill, or freeze + SIGKILL loop) and waits until
 * the cgroup is empty. */
int cgroup_kill(struct cgroup *cg, box_err_t *err);
bool cgroup_is_empty(struct cgroup *cg);
/* Removes the cgroup depth-first (systemd leaves sub-cgroups behind). */
int cgroup_destroy(struct cgroup *cg, box_err_t *err);

/* In the container's child, after unshare(CLONE_NEWCGROUP) and before
 * pivot_root: mounts the view of /sys/fs/cgroup under `rootfs` that lets
 * systemd and busybox boot on this layout. */
int cgroup_mount_view(struct cgroup *cg, const char *rootfs, box_err_t *err);

#endif
