/* Shared by cgroup.c, its backends (v1.c, v2.c, devices-bpf.c), the
 * hierarchies and knob I/O they build on (hierarchy.c), the pure mappings
 * (map.c) and the unit tests; not part of the module's API.
 *
 * A container has two cgroups in every hierarchy:
 *   <parent>/<name>           the limit cgroup: limits, device rules, freeze, kill
 *   <parent>/<name>/payload   the container's processes; the root of its cgroup ns
 * Root inside the container sees only the payload (its cgroup namespace and the
 * view mounted at /sys/fs/cgroup are rooted there), so it cannot raise the
 * limits one level up (LXC's "limit" vs "inner" cgroup). */
#ifndef BOX_CGROUP_INTERNAL_H
#define BOX_CGROUP_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cgroup/cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_PAYLOAD "payload"
#define CGROUP_ATTACH_LEAF ".box" /* below the payload, unified hosts only */

/* One mounted hierarchy of the host. */
struct cgroup_hier {
	char *mnt;  /* "/sys/fs/cgroup/memory" */
	char *dir;  /* its name under /sys/fs/cgroup ("memory", "cpu,cpuacct", "systemd", "unified", "") */
	char *opts; /* v1 mount options naming it: "memory", "cpu,cpuacct", "none,name=systemd"; NULL on v2 */
	bool v2;
};

struct cgroup {
	char *parent, *name;
	char *limit;   /* "<parent>/<name>", relative to each hierarchy's mount */
	char *payload; /* "<parent>/<name>/payload" */
};

/* What a backend does; cgroup.c picks one for the layout. On a hybrid host the
 * v1 backend also creates, enters and removes the cgroup2 (unified) dirs. */
struct cgroup_ops {
	/* Called after the dirs exist in every hierarchy, before the payload is made. */
	int (*prepare)(struct cgroup *cg, box_err_t *err);
	int (*update_limits)(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err);
	int (*read_limits)(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err);
	int (*set_devices)(struct cgroup *cg, box_err_t *err);
	int (*stats)(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err);
	int (*freeze)(struct cgroup *cg, bool freeze, box_err_t *err);
	bool (*is_frozen)(struct cgroup *cg);
	int (*kill)(struct cgroup *cg, box_err_t *err);
	bool (*is_empty)(struct cgroup *cg);
};

extern const struct cgroup_ops cgroup_v1_ops, cgroup_v2_ops;

/* ---- hierarchy.c ---- */

/* The host's hierarchies, detected once. */
const struct cgroup_hier *cgroup_hiers(size_t *n);
/* The v1 hierarchy carrying `controller` ("memory"), or NULL. */
const struct cgroup_hier *cgroup_v1_hier(const char *controller);
/* The single v2 hierarchy (unified or hybrid's "unified"), or NULL. */
const struct cgroup_hier *cgroup_v2_hier(void);

/* Parses one /proc/self/mountinfo line; true if it is a cgroup mount below
 * /sys/fs/cgroup. Fills h (allocated strings). Pure: unit-tested. */
bool cgroup_parse_mountinfo_line(const char *line, struct cgroup_hier *h);

/* Knob I/O on <hier mount>/<rel>/<file>. */
char *cgroup_path(const struct cgroup_hier *h, const char *rel, const char *file);
int cgroup_read(const struct cgroup_hier *h, const char *rel, const char *file, char **out, box_err_t *err);
int cgroup_write(const struct cgroup_hier *h, const char *rel, const char *file, const char *val, box_err_t *err);
bool cgroup_has_file(const struct cgroup_hier *h, const char *rel, const char *file);
/* Makes <hier>/<rel> (an existing one is fine unless excl); a v1 cpuset cgroup
 * gets its parent's cpus and mems, without which it refuses tasks. */
int cgroup_make_dir(const struct cgroup_hier *h, const char *rel, bool excl, box_err_t *err);
/* v2: enables for rel's children the controllers boxes uses that rel has
 * (a child gets only what its parent's cgroup.subtree_control lists). */
int cgroup_enable_controllers(const struct cgroup_hier *h, const char *rel, box_err_t *err);
/* Reads a knob as a number ("max" and v1's huge "unlimited" values give BOX_UNLIMITED). */
int cgroup_read_u64(const struct cgroup_hier *h, const char *rel, const char *file, uint64_t *out, box_err_t *err);
/* The value of `key` in a "key value" file (memory.events, cpu.stat, oom_control); -1 if absent. */
int cgroup_keyed_u64(const char *text, const char *key, uint64_t *out);

/* Writes `want` to the file unless the kernel already has `want` (compared by
 * `same`), reads it back, and appends "what: old -> new" to *changes when it
 * changed. A refused value is an error naming the file; a value the kernel
 * rounded is a warning naming the file and both values. */
int cgroup_update_knob(const struct cgroup_hier *h, const char *rel, const char *file, const char *key,
		       const char *want, bool (*same)(const char *kernel, const char *want), char ***changes,
		       box_err_t *err);
bool cgroup_same_trim(const char *a, const char *b);
bool cgroup_same_number(const char *a, const char *b);

/* A readdir entry that is a child cgroup: any folder but "." and "..", since
 * names may start with a dot (the attach leaf ".box", LXC's ".lxc"). */
static inline bool cgroup_is_child(const struct dirent *de)
{
	return de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
}

/* Walks the cgroup folder top and every cgroup below it (the container's
 * root shapes that tree: any depth, any names) holding one folder fd at a
 * time: enter(fd) for each cgroup top-down, leave(parent fd, name) for each
 * but top once its subtree is done (either may be NULL). Stops at and
 * returns the first non-zero of either; -errno if top cannot be opened. */
int cgroup_walk(const char *top, int (*enter)(int fd, void *data),
		int (*leave)(int parent, const char *name, void *data), void *data);
/* Removes the cgroup folder path and every cgroup below it, deepest first. */
int cgroup_rmdir_tree(const char *path, box_err_t *err);
/* "max", v1's -1 and v1's PAGE_COUNTER_MAX pages read as BOX_UNLIMITED. */
bool cgroup_parse_u64(const char *s, uint64_t *out);
int cgroup_collect_pids(const struct cgroup_hier *h, const char *rel, pid_t **pids, size_t *n);
/* Sums a counter file (v1's per-cgroup oom_kill) over rel and every descendant. */
uint64_t cgroup_sum_tree(const struct cgroup_hier *h, const char *rel, const char *file, const char *key);

/* ---- map.c: v1/v2 mapping, pure (unit-tested) ---- */
uint64_t cgroup_weight_to_shares(unsigned weight);
unsigned cgroup_shares_to_weight(uint64_t shares);
/* cpus_milli -> quota for a 100 ms period; 0 -> no quota. */
#define CGROUP_CPU_PERIOD 100000u
int64_t cgroup_cpus_to_quota(uint32_t cpus_milli);
uint32_t cgroup_quota_to_cpus(int64_t quota, uint64_t period);
/* memory.high for a memory.max: a little below, so the kernel reclaims before it OOM-kills. */
uint64_t cgroup_memory_high(uint64_t max);
/* A v2 knob's value: "max" for BOX_UNLIMITED, else the number. */
const char *cgroup_knob_value(uint64_t v, char *buf, size_t len);
/* io.stat / blkio.throttle.io_service_bytes parsing: sums read and write bytes. */
void cgroup_parse_io_stat_v2(const char *text, uint64_t *rd, uint64_t *wr);
void cgroup_parse_io_service_bytes_v1(const char *text, uint64_t *rd, uint64_t *wr);

/* The v2 device allowlist as a BPF_CGROUP_DEVICE program (devices-bpf.c). */
struct cgroup_dev_rule {
	char type;	    /* 'c', 'b' */
	int major, minor;   /* -1 = any */
	const char *access; /* "rwm", "m" */
};
extern const struct cgroup_dev_rule cgroup_dev_allow[];
extern const size_t cgroup_dev_allow_n;
/* Builds the program (instructions into buf, returns the count; pure). */
size_t cgroup_bpf_build(void *insns, size_t max);
/* Attaches the allowlist program to the cgroup2 dir; a no-op when one is attached already. */
int cgroup_bpf_attach_devices(const char *dir, box_err_t *err);
/* Number of device programs attached to dir (-1 on error). */
int cgroup_bpf_count(const char *dir);

#endif
