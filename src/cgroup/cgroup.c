/* The cgroup API over the host's layout: detection (once), the hierarchies,
 * creating/entering/removing the container's two cgroups in each of them, the
 * container's view of /sys/fs/cgroup, and dispatch to the v1 or v2 backend
 * for limits, devices, stats, freeze and kill. */
#include "cgroup/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "config/config.h"
#include "base/util.h"

static enum cgroup_layout layout;
static struct cgroup_hier *hiers;
static size_t n_hiers;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static bool is_cgroup2(const char *path)
{
	struct statfs fs;
	return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

bool cgroup_parse_mountinfo_line(const char *line, struct cgroup_hier *h)
{
	/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
	const char *sep = strstr(line, " - ");
	if (!sep)
		return false;
	char mp[4096], fstype[64], src[256], sopts[1024];
	if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
	    sscanf(sep + 3, "%63s %255s %1023s", fstype, src, sopts) != 3)
		return false;
	bool v2 = !strcmp(fstype, "cgroup2");
	if (!v2 && strcmp(fstype, "cgroup"))
		return false;
	const char *dir;
	if (!strcmp(mp, CGROUP_ROOT))
		dir = "";
	else if (!strncmp(mp, CGROUP_ROOT "/", sizeof(CGROUP_ROOT)) && !strchr(mp + sizeof(CGROUP_ROOT), '/') &&
		 !strchr(mp, '\\'))
		dir = mp + sizeof(CGROUP_ROOT);
	else
		return false;
	char *opts = NULL;
	if (!v2) {
		/* keep the controllers and name=; drop flags like rw, xattr, clone_children */
		static const char *const flags[] = {
			"rw",	  "ro",	   "xattr",  "clone_children", "noprefix", "cpuset_v2_mode",
			"nosuid", "nodev", "noexec", "relatime"
		};
		size_t cap = strlen(sopts) + 8, n = 0;
		opts = xzalloc(cap);
		bool named_only = true;
		for (char *save = NULL, *t = strtok_r(sopts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			bool flag = !strncmp(t, "release_agent=", 14);
			for (size_t i = 0; i < ARRAY_SIZE(flags) && !flag; i++)
				flag = !strcmp(t, flags[i]);
			if (flag)
				continue;
			if (strncmp(t, "name=", 5))
				named_only = false;
			n += (size_t)snprintf(opts + n, cap - n, "%s%s", n ? "," : "", t);
		}
		if (!n) {
			free(opts);
			return false;
		}
		if (named_only) {
			char *o = xasprintf("none,%s", opts);
			free(opts);
			opts = o;
		}
	}
	h->mnt = xstrdup(mp);
	h->dir = xstrdup(dir);
	h->opts = opts;
	h->v2 = v2;
	return true;
}

static void detect(void)
{
	struct statfs fs;
	if (statfs(CGROUP_ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		layout = CGROUP_UNIFIED;
	else if (is_cgroup2(CGROUP_ROOT "/unified"))
		layout = CGROUP_HYBRID;
	else
		layout = CGROUP_LEGACY;

	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		struct cgroup_hier h = { 0 };
		if (!cgroup_parse_mountinfo_line(line, &h))
			continue;
		/* unified: the one cgroup2 mount; hybrid: v1 ones + cgroup2 at unified; legacy: v1 */
		bool skip = (layout == CGROUP_UNIFIED && !h.v2) || (layout == CGROUP_LEGACY && h.v2) ||
			    (layout == CGROUP_HYBRID && h.v2 && strcmp(h.dir, "unified"));
		for (size_t i = 0; i < n_hiers && !skip; i++)
			skip = !strcmp(hiers[i].mnt, h.mnt);
		if (skip) {
			free(h.mnt), free(h.dir), free(h.opts);
			continue;
		}
		hiers = xrealloc(hiers, (n_hiers + 1) * sizeof(*hiers));
		hiers[n_hiers++] = h;
	}
	free(line);
}

enum cgroup_layout cgroup_layout(void)
{
	pthread_once(&detect_once, detect);
	return layout;
}

const char *cgroup_layout_name(enum cgroup_layout l)
{
	switch (l) {
	case CGROUP_UNIFIED: return "unified";
	case CGROUP_HYBRID: return "hybrid";
	case CGROUP_LEGACY: return "legacy";
	}
	return "?";
}

const struct cgroup_hier *cgroup_hiers(size_t *n)
{
	pthread_once(&detect_once, detect);
	*n = n_hiers;
	return hiers;
}

const struct cgroup_hier *cgroup_v1_hier(const char *controller)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	size_t len = strlen(controller);
	for (size_t i = 0; i < n; i++) {
		if (h[i].v2)
			continue;
		for (const char *p = h[i].opts; p && *p;) {
			const char *e = strchrnul(p, ',');
			if ((size_t)(e - p) == len && !strncmp(p, controller, len))
				return &h[i];
			p = *e ? e + 1 : e;
		}
	}
	return NULL;
}

const struct cgroup_hier *cgroup_v2_hier(void)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++)
		if (h[i].v2)
			return &h[i];
	return NULL;
}

static const struct cgroup_ops *ops(void)
{
	return cgroup_layout() == CGROUP_UNIFIED ? &cgroup_v2_ops : &cgroup_v1_ops;
}

/* ---- knob I/O ---- */

char *cgroup_path(const struct cgroup_hier *h, const char *rel, const char *file)
{
	return xasprintf("%s%s%s%s%s", h->mnt, rel && *rel ? "/" : "", rel ? rel : "", file ? "/" : "",
			 file ? file : "");
}

int cgroup_read(const struct cgroup_hier *h, const char *rel, const char *file, char **out, box_err_t *err)
{
	cleanup_free char *p = cgroup_path(h, rel, file);
	return read_file_at(AT_FDCWD, p, out, NULL, err);
}

int cgroup_write(const struct cgroup_hier *h, const char *rel, const char *file, const char *val, box_err_t *err)
{
	cleanup_free char *p = cgroup_path(h, rel, file);
	cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", p);
	/* one write(): a cgroup knob takes the value whole or refuses it. An
	 * empty value goes as "\n" (what `echo > file` writes): a write of no
	 * bytes never reaches the knob, so v2's cpuset.cpus would keep its CPUs */
	if (write(fd, *val ? val : "\n", *val ? strlen(val) : 1) < 0)
		return box_error(err, errno, "writing '%s' to %s", val, p);
	return 0;
}

bool cgroup_has_file(const struct cgroup_hier *h, const char *rel, const char *file)
{
	cleanup_free char *p = cgroup_path(h, rel, file);
	return access(p, F_OK) == 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!strncmp(s, "max", 3)) {
		*out = BOX_UNLIMITED;
		return true;
	}
	if (*s == '-') { /* v1's -1 */
		*out = BOX_UNLIMITED;
		return true;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	/* v1 says "no limit" with PAGE_COUNTER_MAX pages (9223372036854771712) */
	*out = v >= (1ULL << 62) ? BOX_UNLIMITED : v;
	return true;
}

int cgroup_read_u64(const struct cgroup_hier *h, const char *rel, const char *file, uint64_t *out, box_err_t *err)
{
	cleanup_free char *s = NULL;
	if (cgroup_read(h, rel, file, &s, err) < 0)
		return -1;
	if (!parse_u64(s, out))
		return box_error(err, EINVAL, "%s/%s/%s: not a number: '%s'", h->mnt, rel, file, s);
	return 0;
}

int cgroup_keyed_u64(const char *text, const char *key, uint64_t *out)
{
	size_t len = strlen(key);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, len) && p[len] == ' ') {
			char *end;
			*out = strtoull(p + len + 1, &end, 10);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

bool cgroup_same_trim(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb && isspace((unsigned char)b[lb - 1]))
		lb--;
	return la == lb && !strncmp(a, b, la);
}

bool cgroup_same_number(const char *a, const char *b)
{
	uint64_t x, y;
	if (!parse_u64(a, &x) || !parse_u64(b, &y))
		return cgroup_same_trim(a, b);
	return x == y;
}

int cgroup_update_knob(const struct cgroup_hier *h, const char *rel, const char *file, const char *key,
		       const char *want, bool (*same)(const char *kernel, const char *want), char ***changes,
		       box_err_t *err)
{
	cleanup_free char *old = NULL, *now = NULL, *p = cgroup_path(h, rel, file);
	if (cgroup_read(h, rel, file, &old, err) < 0)
		return -1;
	trim(old);
	if (same(old, want))
		return 0;
	if (cgroup_write(h, rel, file, want, err) < 0)
		return box_error_wrap(err, "%s: the kernel refused the value", key);
	if (cgroup_read(h, rel, file, &now, err) < 0)
		return -1;
	trim(now);
	if (!same(now, want))
		log_warn("%s: %s holds '%s' after writing '%s'", key, p, now, want);
	if (changes) {
		char *line = xasprintf("%s: %s %s -> %s", key, file, old, now);
		strv_push(changes, line);
		free(line);
	}
	return 0;
}

int cgroup_collect_pids(const struct cgroup_hier *h, const char *rel, pid_t **pids, size_t *n)
{
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	if (cgroup_read(h, rel, "cgroup.procs", &s, &e) < 0) {
		int r = e->errnum == ENOENT ? 0 : -1;
		box_error_release(&e);
		return r;
	}
	for (char *p = s, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0) {
			*pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
			(*pids)[(*n)++] = (pid_t)v;
		}
	}
	cleanup_free char *dir = cgroup_path(h, rel, NULL);
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!cgroup_is_child(de))
			continue;
		cleanup_free char *sub = xasprintf("%s/%s", rel, de->d_name);
		if (cgroup_collect_pids(h, sub, pids, n) < 0)
			return -1;
	}
	return 0;
}

uint64_t cgroup_sum_tree(const struct cgroup_hier *h, const char *rel, const char *file, const char *key)
{
	uint64_t sum = 0, v;
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	if (cgroup_read(h, rel, file, &s, &e) == 0) {
		if (key ? cgroup_keyed_u64(s, key, &v) == 0 : parse_u64(s, &v))
			sum += v;
	}
	box_error_release(&e);
	cleanup_free char *dir = cgroup_path(h, rel, NULL);
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!cgroup_is_child(de))
			continue;
		cleanup_free char *sub = xasprintf("%s/%s", rel, de->d_name);
		sum += cgroup_sum_tree(h, sub, file, key);
	}
	return sum;
}

/* ---- mapping helpers (pure) ---- */

/* systemd's mapping: CPUWeight=100 is CPUShares=1024, the defaults of each. */
uint64_t cgroup_weight_to_shares(unsigned weight)
{
	uint64_t s = (uint64_t)weight * 1024 / 100;
	return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

unsigned cgroup_shares_to_weight(uint64_t shares)
{
	uint64_t w = (shares * 100 + 512) / 1024;
	return w < 1 ? 1 : w > 10000 ? 10000 : (unsigned)w;
}

int64_t cgroup_cpus_to_quota(uint32_t cpus_milli)
{
	if (!cpus_milli)
		return -1;
	int64_t q = (int64_t)cpus_milli * CGROUP_CPU_PERIOD / 1000;
	return q < 1000 ? 1000 : q; /* the kernel's minimum quota is 1 ms */
}

uint32_t cgroup_quota_to_cpus(int64_t quota, uint64_t period)
{
	if (quota < 0 || !period)
		return 0;
	return (uint32_t)(((uint64_t)quota * 1000 + period / 2) / period);
}

uint64_t cgroup_memory_high(uint64_t max)
{
	if (max == BOX_UNLIMITED)
		return BOX_UNLIMITED;
	/* 1/16 below (at most 256 MiB), page aligned: reclaim pressure before the OOM killer */
	uint64_t gap = max / 16;
	if (gap > (256ULL << 20))
		gap = 256ULL << 20;
	return (max - gap) & ~4095ULL;
}

const char *cgroup_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v == BOX_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

void cgroup_parse_io_stat_v2(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchrnul(p, '\n');
		for (const char *q = p; q < nl; q++) {
			if (q != p && q[-1] != ' ')
				continue;
			if (!strncmp(q, "rbytes=", 7))
				*rd += strtoull(q + 7, NULL, 10);
			else if (!strncmp(q, "wbytes=", 7))
				*wr += strtoull(q + 7, NULL, 10);
		}
		p = *nl ? nl + 1 : NULL;
	}
}

void cgroup_parse_io_service_bytes_v1(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p;) {
		char dev[64], op[16];
		unsigned long long v;
		/* "8:0 Read 4096"; the "Total N" line has two fields and is skipped */
		if (sscanf(p, "%63s %15s %llu", dev, op, &v) == 3) {
			if (!strcmp(op, "Read"))
				*rd += v;
			else if (!strcmp(op, "Write"))
				*wr += v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

void cgroup_limits_from_config(const struct box_config *c, struct cgroup_limits *l)
{
	*l = (struct cgroup_limits){
		.memory = c->memory,
		.swap = c->swap,
		.cpus_milli = c->cpus_milli,
		.cpu_weight = c->cpu_weight,
		.cpuset = c->cpuset,
		.pids = c->pids,
		.io_weight = c->io_weight,
	};
}

/* ---- the container's cgroups ---- */

static struct cgroup *cg_new(const char *parent, const char *name)
{
	struct cgroup *cg = xzalloc(sizeof(*cg));
	cg->parent = xstrdup(parent && *parent ? parent : "boxes");
	cg->name = xstrdup(name);
	cg->limit = xasprintf("%s/%s", cg->parent, name);
	cg->payload = xasprintf("%s/" CGROUP_PAYLOAD, cg->limit);
	return cg;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	free(cg->parent);
	free(cg->name);
	free(cg->limit);
	free(cg->payload);
	free(cg);
}

static bool valid_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strcmp(name, CGROUP_PAYLOAD);
}

/* v1 cpuset: a new cgroup has empty cpus/mems and refuses tasks until they are set. */
static int copy_cpuset(const struct cgroup_hier *h, const char *rel, box_err_t *err)
{
	static const char *const files[] = { "cpuset.mems", "cpuset.cpus" };
	cleanup_free char *up = xstrdup(rel);
	char *slash = strrchr(up, '/');
	if (slash)
		*slash = '\0';
	else
		*up = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *mine = NULL, *theirs = NULL;
		if (cgroup_read(h, rel, files[i], &mine, err) < 0)
			return -1;
		trim(mine);
		if (*mine)
			continue;
		if (cgroup_read(h, up, files[i], &theirs, err) < 0)
			return -1;
		trim(theirs);
		if (*theirs && cgroup_write(h, rel, files[i], theirs, err) < 0)
			return -1;
	}
	return 0;
}

static bool has_controller(const struct cgroup_hier *h, const char *rel, const char *file, const char *ctrl)
{
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	if (cgroup_read(h, rel, file, &s, &e) < 0) {
		box_error_release(&e);
		return false;
	}
	size_t len = strlen(ctrl);
	for (char *p = s; (p = strstr(p, ctrl)); p += len)
		if ((p == s || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* v2: a cgroup's children get only the controllers enabled in its subtree_control. */
static int enable_controllers(const struct cgroup_hier *h, const char *rel, box_err_t *err)
{
	static const char *const want[] = { "cpuset", "cpu", "io", "memory", "pids" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (!has_controller(h, rel, "cgroup.controllers", want[i]) ||
		    has_controller(h, rel, "cgroup.subtree_control", want[i]))
			continue;
		cleanup_free char *v = xasprintf("+%s", want[i]);
		if (cgroup_write(h, rel, "cgroup.subtree_control", v, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_make_dir(const struct cgroup_hier *h, const char *rel, bool excl, box_err_t *err)
{
	cleanup_free char *path = cgroup_path(h, rel, NULL);
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST && !excl)
			return 0;
		return box_error(err, errno, "creating cgroup %s", path);
	}
	if (!h->v2 && cgroup_has_file(h, rel, "cpuset.cpus") && copy_cpuset(h, rel, err) < 0)
		return -1;
	return 0;
}

static int make_parent(const struct cgroup_hier *h, const char *parent, box_err_t *err)
{
	cleanup_free char *rel = xstrdup(parent);
	/* each level, top down: v2 needs the controllers enabled on the way */
	for (char *p = rel;; p++) {
		bool end = !*p;
		if (*p == '/' || end) {
			char c = *p;
			*p = '\0';
			if (h->v2 && cgroup_layout() == CGROUP_UNIFIED) {
				cleanup_free char *up =
				    xstrndup(rel, (size_t)(strrchr(rel, '/') ? strrchr(rel, '/') - rel : 0));
				if (enable_controllers(h, up, err) < 0)
					return -1;
			}
			if (cgroup_make_dir(h, rel, false, err) < 0)
				return -1;
			*p = c;
		}
		if (end)
			break;
	}
	if (h->v2 && cgroup_layout() == CGROUP_UNIFIED)
		return enable_controllers(h, parent, err);
	return 0;
}

int cgroup_create(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	if (!valid_name(name))
		return box_usage_error(err, "'%s' cannot name a cgroup", name ? name : "");
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	if (!n)
		return box_error(err, ENOENT, "no cgroup hierarchy is mounted below " CGROUP_ROOT);
	struct cgroup *cg = cg_new(parent, name);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		if (access(p, F_OK) == 0) {
			box_error(err, EEXIST, "cgroup %s exists already", p);
			cgroup_free(cg);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (make_parent(&h[i], cg->parent, err) < 0 || cgroup_make_dir(&h[i], cg->limit, true, err) < 0)
			goto fail;
	if (ops()->prepare(cg, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (cgroup_make_dir(&h[i], cg->payload, true, err) < 0)
			goto fail;
	*out = cg;
	return 0;
fail:;
	box_err_t e = NULL;
	if (cgroup_destroy(cg, &e) < 0) {
		char *t = box_error_text(e);
		log_warn("removing the half-made cgroup: %s, ignoring", t);
		free(t);
		box_error_release(&e);
	}
	cgroup_free(cg);
	return box_error_wrap(err, "container %s", name);
}

int cgroup_open(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	if (!valid_name(name))
		return box_usage_error(err, "'%s' cannot name a cgroup", name ? name : "");
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	struct cgroup *cg = cg_new(parent, name);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		if (access(p, F_OK) == 0) {
			*out = cg;
			return 0;
		}
	}
	box_error(err, ENOENT, "container %s has no cgroup (%s)", name, cg->limit);
	cgroup_free(cg);
	return -1;
}

int cgroup_update_limits(struct cgroup *cg, const struct cgroup_limits *l, char ***changes, box_err_t *err)
{
	if (ops()->update_limits(cg, l, changes, err) < 0)
		return box_error_wrap(err, "limits of container %s", cg->name);
	return 0;
}

int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l, box_err_t *err)
{
	return cgroup_update_limits(cg, l, NULL, err);
}

int cgroup_read_limits(struct cgroup *cg, struct cgroup_limits *l, box_err_t *err)
{
	memset(l, 0, sizeof(*l));
	l->memory = l->swap = l->pids = BOX_UNLIMITED;
	l->cpu_weight = l->io_weight = 100;
	return ops()->read_limits(cg, l, err);
}

int cgroup_set_devices(struct cgroup *cg, box_err_t *err)
{
	if (ops()->set_devices(cg, err) < 0)
		return box_error_wrap(err, "device rules of container %s", cg->name);
	return 0;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err)
{
	memset(st, 0, sizeof(*st));
	return ops()->stats(cg, st, err);
}

int cgroup_freeze(struct cgroup *cg, bool freeze, box_err_t *err)
{
	if (ops()->freeze(cg, freeze, err) < 0)
		return box_error_wrap(err, "%s container %s", freeze ? "freezing" : "thawing", cg->name);
	return 0;
}

int cgroup_kill(struct cgroup *cg, box_err_t *err)
{
	if (ops()->kill(cg, err) < 0)
		return box_error_wrap(err, "killing the processes of container %s", cg->name);
	return 0;
}

bool cgroup_is_frozen(struct cgroup *cg)
{
	return ops()->is_frozen(cg);
}

bool cgroup_is_empty(struct cgroup *cg)
{
	return ops()->is_empty(cg);
}

/* rmdir depth-first: systemd inside leaves init.scope, system.slice/... behind. */
static int rmdir_tree(const char *path, box_err_t *err)
{
	/* a leaf (the common case) goes at once; one with children says EBUSY */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	cleanup_dir DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : box_error(err, errno, "opening %s", path);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!cgroup_is_child(de))
			continue;
		cleanup_free char *sub = xasprintf("%s/%s", path, de->d_name);
		if (rmdir_tree(sub, err) < 0)
			return -1;
	}
	for (int tries = 0;; tries++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		/* a task that just died may still be leaving the cgroup */
		if (errno != EBUSY || tries >= 100)
			return box_error(err, errno, "removing cgroup %s", path);
		usleep(10000);
	}
}

int cgroup_destroy(struct cgroup *cg, box_err_t *err)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = cgroup_path(&h[i], cg->limit, NULL);
		cleanup_free char *pl = cgroup_path(&h[i], cg->payload, NULL);
		/* every hierarchy, even after a failure: leave as little as possible;
		 * the payload first, so that the limit cgroup is a leaf then */
		if (rmdir_tree(pl, err) < 0 || rmdir_tree(p, err) < 0)
			ret = -1;
	}
	return ret;
}

/* ---- the container's /sys/fs/cgroup ---- */

/* systemd (mount_cgroup_controllers) mounts cpu with cpuacct and net_cls
 * with net_prio as "a,b" and links a and b to it, on this read-only tmpfs
 * too: a pair the host binds to no v1 hierarchy (net_cls,net_prio here:
 * hierarchy 0 in /proc/cgroups) gets those links now, dangling, so that its
 * symlink_idempotent() finds them made instead of printing "Failed to
 * create symlink /sys/fs/cgroup/net_cls: Read-only file system" at every
 * boot. A pair the host co-mounts has them already; one it mounts on two
 * hierarchies cannot be shown as one without lying (README). */
static int pair_links(const char *target, box_err_t *err)
{
	static const char *const pairs[][2] = { { "cpu", "cpuacct" }, { "net_cls", "net_prio" } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		cleanup_free char *joined = xasprintf("%s,%s", pairs[i][0], pairs[i][1]);
		cleanup_free char *a = xasprintf("%s/%s", target, pairs[i][0]);
		cleanup_free char *b = xasprintf("%s/%s", target, pairs[i][1]);
		struct stat st;
		if (lstat(a, &st) == 0 || lstat(b, &st) == 0)
			continue; /* co-mounted (linked already) or on hierarchies of their own */
		if (symlink(joined, a) < 0 || symlink(joined, b) < 0)
			return box_error(err, errno, "creating the links %s and %s", a, b);
	}
	return 0;
}

int cgroup_mount_view(struct cgroup *cg, const char *rootfs, box_err_t *err)
{
	(void)cg;
	cleanup_free char *target = xasprintf("%s/sys/fs/cgroup", rootfs);
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (cgroup_layout() == CGROUP_UNIFIED) {
		/* one cgroup2 mount, rooted (by the cgroup ns) at the payload cgroup */
		if (mount("cgroup2", target, "cgroup2", fl, NULL) < 0)
			return box_error(err, errno, "mounting cgroup2 on %s", target);
		return 0;
	}
	/* v1/hybrid: what LXC's cgroup:mixed:force mounts. systemd reuses these
	 * mounts; it cannot make them itself here, as it co-mounts cpu,cpuacct
	 * while this kind of host has them on separate hierarchies. */
	if (mount("tmpfs", target, "tmpfs", fl, "mode=755,size=64k") < 0)
		return box_error(err, errno, "mounting a tmpfs on %s", target);
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		if (!*h[i].dir)
			continue;
		cleanup_free char *dir = xasprintf("%s/%s", target, h[i].dir);
		if (mkdir(dir, 0755) < 0)
			return box_error(err, errno, "creating %s", dir);
		if (mount("cgroup", dir, h[i].v2 ? "cgroup2" : "cgroup", fl, h[i].v2 ? NULL : h[i].opts) < 0)
			return box_error(err, errno, "mounting cgroup '%s' on %s", h[i].v2 ? "cgroup2" : h[i].opts,
					 dir);
		/* "cpu,cpuacct" is also reached as cpu and cpuacct, as on the host */
		if (strchr(h[i].dir, ',')) {
			cleanup_free char *names = xstrdup(h[i].dir);
			for (char *save = NULL, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				cleanup_free char *link = xasprintf("%s/%s", target, t);
				if (symlink(h[i].dir, link) < 0 && errno != EEXIST)
					return box_error(err, errno, "creating %s", link);
			}
		}
	}
	if (pair_links(target, err) < 0)
		return -1;
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755,size=64k") < 0)
		return box_error(err, errno, "remounting %s read-only", target);
	return 0;
}
