/* One cgroup API over the three host layouts (unified v2, hybrid, legacy v1).
 * The layout is detected once; v2.c and v1.c fill one ops table.
 *
 * A container's cgroup is <parent>/<name> (parent "boxes" by default, from
 * boxes.conf) in every hierarchy the backend uses: all v1 hierarchies and
 * the cgroup2 one. Its processes live one level down, in <parent>/<name>/payload,
 * which becomes the root of the container's cgroup namespace; limits, device
 * rules, freeze and kill act on <parent>/<name>, out of the container's reach.
 * The supervisor is never in either. Limits are written in v2 terms and
 * mapped for v1.
 *
 * The runtime's order (supervisor = S, container child = C):
 *   S  cgroup_create_first (EEXIST: cgroup_open + cgroup_kill + cgroup_destroy, retry)
 *   S  cgroup_join_open (the cgroup2 fd), clone3 with cgroup_join_clone_args
 *   S  cgroup_create_rest, cgroup_set_limits, cgroup_set_devices, while C
 *      prepares (C runs only boxes' code until it goes on); then
 *      cgroup_join_open again (the v1 `tasks` fds), handed to C with the go
 *   C  cgroup_join_self, first thing after the go
 *   C  unshare(CLONE_NEWCGROUP): the ns root is now the payload cgroup
 *   C  mount /sys (sysfs), then cgroup_mount_view(cg, rootfs), then pivot_root
 *   S  on init's end: cgroup_kill, cgroup_destroy, cgroup_free
 * `box attach` joins the same way, with CGROUP_JOIN_ATTACH. */
#ifndef BOX_CGROUP_H
#define BOX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

enum cgroup_layout { CGROUP_UNIFIED, CGROUP_HYBRID, CGROUP_LEGACY };

struct cgroup; /* opaque */

struct cgroup_limits {
	uint64_t memory;     /* bytes, BOX_UNLIMITED = none */
	uint64_t swap;	     /* bytes, BOX_UNLIMITED = none */
	uint32_t cpus_milli; /* 0 = none */
	unsigned cpu_weight; /* 1..10000 */
	const char *cpuset;  /* NULL = all */
	uint64_t pids;	     /* BOX_UNLIMITED = none */
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

struct box_config;
/* The config's resource keys in cgroup terms (l->cpuset points into c). */
void cgroup_limits_from_config(const struct box_config *c, struct cgroup_limits *l);

enum cgroup_layout cgroup_layout(void);
const char *cgroup_layout_name(enum cgroup_layout l);

/* Creates the container's cgroup (fails with EEXIST if it is there: the caller
 * decides whether it is stale). `parent` NULL = "boxes". */
int cgroup_create(const char *parent, const char *name, struct cgroup **out, box_err_t *err);
/* The same in two halves, so that the second runs while the container's
 * child prepares: the first checks every hierarchy for a leftover (EEXIST)
 * and makes what clone3 needs, the cgroup2 hierarchy (on a unified host,
 * everything); the second makes the v1 hierarchies (device rules too), which
 * the child joins at the go of the dance, before anything of the container
 * runs (cgroup_join_open after it). On a failure of the second the cgroup is
 * removed; the caller still frees it. 9 v1 hierarchies here: about 2 ms
 * of mkdirs and cpuset copies out of a start's critical path. */
int cgroup_create_first(const char *parent, const char *name, struct cgroup **out, box_err_t *err);
int cgroup_create_rest(struct cgroup *cg, box_err_t *err);
/* Opens an existing one (ENOENT if absent). */
int cgroup_open(const char *parent, const char *name, struct cgroup **out, box_err_t *err);
void cgroup_free(struct cgroup *cg);

/* Joining the container's cgroup without waiting for the kernel.
 * Moving another process (a pid written to cgroup.procs) switches the
 * kernel's cgroup threadgroup rwsem to its writer mode, which after a quiet
 * while waits for an RCU grace period: 6-18 ms on the 2-core VM boxes is
 * measured on, most of a cold `box start`. Two ways take no such wait: clone3
 * with CLONE_INTO_CGROUP (the cgroup2 hierarchy) and a single-threaded
 * process writing "0" to a v1 hierarchy's `tasks` (a thread that moves
 * itself skips that lock). So the parent opens the targets, clones the child
 * into the cgroup2 one and the child moves itself in each v1 hierarchy. */
enum cgroup_join_target {
	CGROUP_JOIN_PAYLOAD, /* init: the payload cgroup */
	/* a command `box attach` runs: on a unified host the leaf <payload>/.box
	 * (made when absent; LXC's .lxc), not the payload: there it would stop
	 * systemd inside from enabling controllers for its children (cgroup v2
	 * refuses those of a cgroup with processes), and once systemd has, the
	 * payload refuses new processes itself. Elsewhere the payload. */
	CGROUP_JOIN_ATTACH,
};
#define CGROUP_JOIN_MAX 16
struct cgroup_join {
	int clone_fd;		    /* cgroup2 dir for CLONE_INTO_CGROUP, -1 = none */
	int tasks[CGROUP_JOIN_MAX]; /* v1 `tasks` files the child writes "0" to */
	size_t ntasks;
};
int cgroup_join_open(struct cgroup *cg, enum cgroup_join_target t, struct cgroup_join *j, box_err_t *err);
struct clone_args;
/* Sets the flags and cgroup fields of clone3's arguments. */
void cgroup_join_clone_args(const struct cgroup_join *j, struct clone_args *a);
/* In the cloned child, single-threaded: joins each v1 hierarchy. */
int cgroup_join_self(const struct cgroup_join *j, box_err_t *err);
void cgroup_join_close(struct cgroup_join *j);

/* An unprivileged container's payload cgroup, in every hierarchy (v2, each
 * v1 one, name=systemd), and the files a delegatee writes (cgroup.procs,
 * cgroup.subtree_control, cgroup.threads, tasks; v2: the kernel's
 * /sys/kernel/cgroup/delegate list) are given to uid:gid (its root on the
 * host), so that systemd inside can make and fill its units' cgroups. The
 * limit cgroup one level up stays the host's: its limits cannot be raised
 * from inside. */
int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid, box_err_t *err);

/* Writes limits, reads each back; a refused or rounded value is an error or a
 * warning naming the file and both values. */
int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l, box_err_t *err);
/* The same, writing only what differs from the kernel's files; appends one
 * line per change ("memory: memory.max max -> 536870912") to *changes (a strv,
 * may be NULL). A limit the kernel lacks (swap accounting, io weight) is a
 * warning, not an error. */
int cgroup_update_limits(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err);
/* What the kernel has now, in the same terms; l->cpuset is allocated (free it). */
int cgroup_read_limits(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err);
/* The devices allowlist: mknod of any node; use of null zero full random
 * urandom (1:3,5,7,8,9), tty console ptmx (5:0,1,2), pts (136:*), fuse (10:229).
 * v1: devices.deny/allow (already applied by cgroup_create, as v1 refuses a
 * deny-all on a cgroup with children); v2: a BPF_CGROUP_DEVICE program on
 * <parent>/<name>. Idempotent. */
int cgroup_set_devices(struct cgroup *cg, box_err_t *err);

/* Usage counters; a counter the kernel lacks reads 0. `frozen` is what
 * `box ls`/`box info` show as FROZEN. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err);
/* Freezes (cgroup.freeze / freezer.state) and waits until the kernel reports
 * it frozen; false thaws. */
int cgroup_freeze(struct cgroup *cg, bool freeze, box_err_t *err);
/* Thaws what the container's root froze itself below its payload: the
 * files of the cgroups it makes are its own, v1's freezer.state with them,
 * and a task in one it froze stays frozen with a SIGKILL pending, never
 * dying (v2's freezer lets a fatal signal through: nothing to do there).
 * Best effort, no wait. */
void cgroup_thaw_below(struct cgroup *cg);
/* The `frozen` of cgroup_stats alone, from one file (freezer.state, or
 * cgroup.events' "frozen 1"): what `box ls` asks of every running container.
 * No freezer or no cgroup reads false. */
bool cgroup_is_frozen(struct cgroup *cg);
/* Kills every process (cgroup.kill, or freeze + SIGKILL loop) and waits until
 * the cgroup is empty. */
int cgroup_kill(struct cgroup *cg, box_err_t *err);
bool cgroup_is_empty(struct cgroup *cg);
/* Removes the cgroup depth-first (systemd leaves sub-cgroups behind). */
int cgroup_destroy(struct cgroup *cg, box_err_t *err);

/* In the container's child, after unshare(CLONE_NEWCGROUP), after /sys is
 * mounted and before pivot_root: mounts the view of /sys/fs/cgroup under
 * `rootfs` that lets systemd and busybox boot on this layout. Pure v2: one
 * cgroup2 mount. v1/hybrid: a tmpfs (read-only once filled) with one cgroup
 * mount per host hierarchy (cpu and cpuacct apart where the host has them
 * apart), name=systemd at systemd and cgroup2 at unified, as LXC's
 * cgroup:mixed:force: a v1 one is the host's mount bound at the payload's
 * folder (the same superblock and root as a mount in the cgroup ns, without
 * the kernel's walk of every cgroup2 cgroup such a mount makes). Every mount
 * is rooted at the payload cgroup. */
int cgroup_mount_view(struct cgroup *cg, const char *rootfs, box_err_t *err);

#endif
