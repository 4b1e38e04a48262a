/* The host's cgroup hierarchies: the layout (unified, hybrid, legacy) and
 * the mounts, detected once; reading and writing their knobs; making a
 * cgroup dir the way each version wants it. What cgroup.c, v1.c and v2.c
 * share, so that the backends need nothing of cgroup.c. */
#include "cgroup/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/mountinfo.h"
#include "base/util.h"
#include "config/config.h"
#include "base/notes.h"

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
	cleanup_free char *copy = xstrdup(line);
	struct mountinfo m;
	if (!mountinfo_parse(copy, &m))
		return false;
	const char *mp = m.mountpoint, *fstype = m.fstype;
	char *sopts = m.superopts;
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

bool cgroup_parse_u64(const char *s, uint64_t *out)
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
	if (!cgroup_parse_u64(s, out))
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
	if (!cgroup_parse_u64(a, &x) || !cgroup_parse_u64(b, &y))
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
	int r = cgroup_write(h, rel, file, want, err);
	if (r < 0) {
		box_error_wrap(err, "%s: the kernel refused the value", key);
		return r; /* EINVAL, EBUSY: the callers' retries branch on it */
	}
	if (cgroup_read(h, rel, file, &now, err) < 0)
		return -1;
	trim(now);
	if (!same(now, want))
		box_warn("%s: %s holds '%s' after writing '%s'", key, p, now, want);
	if (changes) {
		char *line = xasprintf("%s: %s %s -> %s", key, file, old, now);
		strv_push(changes, line);
		free(line);
	}
	return 0;
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
int cgroup_enable_controllers(const struct cgroup_hier *h, const char *rel, box_err_t *err)
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

/* v1 cpuset: with its parent's cgroup.clone_children set, the kernel gives a
 * new cgroup its parent's cpus and mems itself. Written by us instead, every
 * cpuset.cpus of a new cgroup rebuilds the scheduler's domains, a walk over
 * every cpuset cgroup of the host (1.5 ms of CPU a start with 500 containers
 * running here); the flag is inherited by what is made below. Not set on the
 * root cgroup: every cgroup of the host would get it. */
static void clone_cpuset(const struct cgroup_hier *h, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	if (!slash)
		return;
	cleanup_free char *up = xstrndup(rel, (size_t)(slash - rel));
	box_err_t e = NULL;
	cgroup_write(h, up, "cgroup.clone_children", "1", &e);
	box_error_release(&e); /* copy_cpuset() does it then */
}

int cgroup_make_dir(const struct cgroup_hier *h, const char *rel, bool excl, box_err_t *err)
{
	cleanup_free char *path = cgroup_path(h, rel, NULL);
	bool cpuset = !h->v2 && h == cgroup_v1_hier("cpuset");
	if (cpuset)
		clone_cpuset(h, rel);
	if (mkdir(path, 0755) < 0) {
		if (errno == EEXIST && !excl)
			return 0;
		return box_error(err, errno, "creating cgroup %s", path);
	}
	if (cpuset && copy_cpuset(h, rel, err) < 0)
		return -1;
	return 0;
}
