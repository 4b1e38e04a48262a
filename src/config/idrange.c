#include "config/idrange.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "config/brief.h"
#include "config/config.h"
#include "base/notes.h"

#define RECORD "idmap"
#define LEGACY_BASE 100000u /* every unprivileged container's before auto */
#define ROOT_FIRST 1000000u
#define ROOT_COUNT (65536u * 1000u)

struct range {
	uint64_t lo, hi; /* [lo, hi) */
};

static bool overlap(struct range a, struct range b)
{
	return a.lo < b.hi && b.lo < a.hi;
}

static char *subid_path(const char *file)
{
	const char *root = getenv("BOX_ROOT");
	return xasprintf("%s/etc/%s", root && *root ? root : "", file);
}

/* Root's ranges in one file (user "root" or "0"), and the end of the last
 * range of anyone. */
static int read_subid(const char *file, struct range **out, size_t *n, uint64_t *end, box_err_t *err)
{
	cleanup_free char *path = subid_path(file), *text = NULL;
	box_err_t e = NULL;
	*out = NULL;
	*n = 0;
	*end = 0;
	int r = read_file_at(AT_FDCWD, path, &text, NULL, &e);
	if (r < 0) {
		if (r != -ENOENT) {
			*err = e;
			return -1;
		}
		box_error_release(&e);
		return 0;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char user[64];
		unsigned long long start, count;
		if (sscanf(l, "%63[^:]:%llu:%llu", user, &start, &count) != 3)
			continue;
		if (start + count > *end)
			*end = start + count;
		if (strcmp(user, "root") && strcmp(user, "0"))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = (struct range){ start, start + count };
	}
	return 0;
}

static int append_root(const char *file, uint64_t start, box_err_t *err)
{
	cleanup_free char *path = subid_path(file);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	char line[64];
	int len = snprintf(line, sizeof(line), "root:%llu:%u\n", (unsigned long long)start, ROOT_COUNT);
	int r = write_all(fd, line, (size_t)len);
	close(fd);
	if (r < 0)
		return box_error(err, errno, "adding root's subordinate ids to %s", path);
	box_note("added root:%llu:%u to %s", (unsigned long long)start, ROOT_COUNT, path);
	return 0;
}

/* Root's ranges that both files give; adds one to both when there are none. */
static int root_ranges(struct range **out, size_t *n, box_err_t *err)
{
	cleanup_free struct range *u = NULL, *g = NULL;
	size_t nu, ng;
	uint64_t eu, eg;
	if (read_subid("subuid", &u, &nu, &eu, err) < 0 || read_subid("subgid", &g, &ng, &eg, err) < 0)
		return -1;
	if (!nu && !ng) {
		uint64_t start = eu > eg ? eu : eg;
		start = start < ROOT_FIRST ? ROOT_FIRST : (start + 65535) / 65536 * 65536;
		if (append_root("subuid", start, err) < 0 || append_root("subgid", start, err) < 0)
			return -1;
		*out = xmalloc(sizeof(**out));
		**out = (struct range){ start, start + ROOT_COUNT };
		*n = 1;
		return 0;
	}
	/* what both give: each uid range cut to the gid ranges */
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nu; i++)
		for (size_t j = 0; j < ng; j++) {
			struct range r = { u[i].lo > g[j].lo ? u[i].lo : g[j].lo,
					   u[i].hi < g[j].hi ? u[i].hi : g[j].hi };
			if (r.lo >= r.hi)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = r;
		}
	return 0;
}

static int read_record(const char *name, uint32_t *base)
{
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_free char *path = xasprintf("%s/" RECORD, cpath), *text = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, path, &text, NULL, &e) < 0) {
		box_error_release(&e);
		return -1;
	}
	*base = (uint32_t)strtoul(text, NULL, 10);
	return *base ? 0 : -1;
}

/* The range another container has now, if unprivileged. */
static bool range_of(const struct box_config *o, struct range *r)
{
	uint32_t base = o->idmap_base;
	if (!o->unprivileged || (base == BOX_IDMAP_AUTO && read_record(o->name, &base) < 0))
		return false;
	*r = (struct range){ base, (uint64_t)base + o->idmap_size };
	return true;
}

/* ---- the registry: <state>/.idmaps, "BASE SIZE NAME" a line ----
 * Every recorded range checked the long way (against every config, once
 * per container: at its first start or `box config check`), so that its
 * later starts check it against one small file, not every config on the
 * host (500 configs: ~25 ms a start). Written whole (write_file_replace)
 * under the state folder's lock by such a check, never by an allocation:
 * a create or import that fails leaves no entry, and a kill leaves the old
 * registry or the new.
 * An allocation avoids the registered ranges too. Entries of containers
 * gone (no folder) are skipped, and dropped at the next write. */
#define REGISTRY ".idmaps"

struct entry {
	struct range r;
	char name[64];
};

static char *registry_path(void)
{
	return xasprintf("%s/" REGISTRY, paths_state_dir());
}

static bool folder_exists(const char *name)
{
	cleanup_free char *p = paths_container_path(name);
	struct stat st;
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Its entries; none when it is absent (a host before it) or unreadable. */
static struct entry *registry_read(size_t *n, bool *present)
{
	cleanup_free char *path = registry_path(), *text = NULL;
	box_err_t e = NULL;
	struct entry *v = NULL;
	*n = 0;
	*present = read_file_at(AT_FDCWD, path, &text, NULL, &e) == 0;
	box_error_release(&e);
	for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long base, size;
		char name[64];
		if (sscanf(l, "%llu %llu %63s", &base, &size, name) != 3 || !paths_valid_name(name))
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[*n].r = (struct range){ base, base + size };
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
		(*n)++;
	}
	return v;
}

/* NAME's entry set to r (the caller holds the state folder's lock). */
static int registry_set(const char *name, struct range r, box_err_t *err)
{
	size_t n;
	bool present;
	cleanup_free struct entry *v = registry_read(&n, &present);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) && folder_exists(v[i].name))
			fprintf(f, "%llu %llu %s\n", (unsigned long long)v[i].r.lo,
				(unsigned long long)(v[i].r.hi - v[i].r.lo), v[i].name);
	fprintf(f, "%llu %llu %s\n", (unsigned long long)r.lo, (unsigned long long)(r.hi - r.lo), name);
	if (fclose(f) != 0)
		oom();
	cleanup_free char *path = registry_path();
	int ret = write_file_replace(path, buf, len, 0644, err);
	free(buf);
	return ret < 0 ? box_error_wrap(err, "recording the id range of %s", name) : 0;
}

static int lock_state(box_err_t *err)
{
	int fd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return box_error(err, e, "locking %s", paths_state_dir());
	}
	return fd;
}

/* The configured containers' names (config_list's, which uses this module
 * through config_check_conflicts). */
static char **names_of_configs(void)
{
	char **v = xzalloc(sizeof(char *));
	cleanup_dir DIR *d = opendir(paths_config_dir());
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || strcmp(de->d_name + n - 5, ".conf"))
			continue;
		cleanup_free char *name = xstrndup(de->d_name, n - 5);
		if (paths_valid_name(name))
			strv_push(&v, name);
	}
	return v;
}

/* Every other container's range. */
static void used_ranges(const struct box_config *c, struct range **out, size_t *n, const char ***who)
{
	cleanup_strv char **names = names_of_configs();
	box_err_t e = NULL;
	*out = NULL;
	*n = 0;
	/* every unprivileged start asks: the briefs, not 500 parses */
	struct config_briefs *briefs = config_briefs_open();
	for (size_t i = 0; names[i]; i++) {
		struct box_config *o = NULL;
		struct range r;
		if (!strcmp(names[i], c->name) || config_briefs_load(briefs, names[i], &o, &e) < 0) {
			box_error_release(&e);
			continue;
		}
		if (range_of(o, &r)) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[*n] = r;
			if (who) {
				*who = xrealloc(*who, (*n + 1) * sizeof(char *));
				(*who)[*n] = xstrdup(o->path);
			}
			(*n)++;
		}
		config_free(o);
	}
	config_briefs_close(briefs);
}

static int allocate(struct box_config *c, int dirfd, box_err_t *err)
{
	cleanup_free struct range *pool = NULL, *used = NULL;
	size_t np = 0, nu = 0;
	if (root_ranges(&pool, &np, err) < 0)
		return -1;
	used_ranges(c, &used, &nu, NULL);
	size_t nr;
	bool present;
	cleanup_free struct entry *reg = registry_read(&nr, &present);
	for (size_t i = 0; i < nr; i++)
		if (strcmp(reg[i].name, c->name) && folder_exists(reg[i].name)) {
			used = xrealloc(used, (nu + 1) * sizeof(*used));
			used[nu++] = reg[i].r;
		}
	for (size_t i = 0; i < np; i++)
		for (uint64_t lo = (pool[i].lo + 65535) / 65536 * 65536; lo + c->idmap_size <= pool[i].hi;
		     lo += 65536) {
			struct range r = { lo, lo + c->idmap_size };
			bool free_ = true;
			for (size_t j = 0; j < nu && free_; j++)
				free_ = !overlap(r, used[j]);
			if (!free_)
				continue;
			char line[32];
			int len = snprintf(line, sizeof(line), "%llu %u\n", (unsigned long long)lo, c->idmap_size);
			int fd = openat(dirfd, RECORD, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 || write_all(fd, line, (size_t)len) < 0) {
				box_error(err, errno, "recording the id range of %s", c->name);
				if (fd >= 0)
					close(fd);
				return -1;
			}
			close(fd);
			c->idmap_base = (uint32_t)lo;
			return 0;
		}
	cleanup_free char *path = subid_path("subuid");
	return box_error(err, 0,
			 "%s: idmap_base = auto: no free range of %u ids left in root's subordinate ids (%s): "
			 "add a range for root there, or set idmap_base",
			 c->name, c->idmap_size, path);
}

int idrange_resolve(struct box_config *c, int dirfd, box_err_t *err)
{
	if (!c->unprivileged || c->idmap_base != BOX_IDMAP_AUTO)
		return 0;
	uint32_t base;
	if (read_record(c->name, &base) == 0) {
		c->idmap_base = base;
		return 0;
	}
	if (dirfd < 0)
		return 0;
	struct stat st;
	if (fstatat(dirfd, "idshift", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (fstatat(dirfd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	     fstatat(dirfd, "overlay/upper", &st, AT_SYMLINK_NOFOLLOW) == 0) &&
	    st.st_uid >= LEGACY_BASE) {
		/* shifted at create before any record (by the old default
		 * 100000, or an explicit base since set to auto): that range */
		c->idmap_base = st.st_uid;
		return 0;
	}
	/* one allocation at a time on this host: a lock on the state folder
	 * itself, so that no lock file is left there */
	cleanup_close int lfd = lock_state(err);
	if (lfd < 0)
		return -1;
	return allocate(c, dirfd, err);
}

/* An `auto` container's recorded range against the registry: 0 = it is
 * registered as its own and clashes with no other there, 1 = not
 * registered (the long way decides, then registers it). */
static int check_registered(const struct box_config *c, struct range me, box_err_t *err)
{
	size_t n;
	bool present, mine = false;
	cleanup_free struct entry *v = registry_read(&n, &present);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].name, c->name)) {
			mine = mine || (v[i].r.lo == me.lo && v[i].r.hi == me.hi);
			continue;
		}
		if (overlap(me, v[i].r) && folder_exists(v[i].name))
			return box_usage_error(err,
					       "%s: idmap_base = auto: its recorded ids %llu..%llu overlap those of "
					       "container %s (%llu..%llu; %s/" REGISTRY "): a process that escapes one "
					       "would be the other's user; was its folder copied? create it again",
					       c->name, (unsigned long long)me.lo, (unsigned long long)me.hi - 1,
					       v[i].name, (unsigned long long)v[i].r.lo,
					       (unsigned long long)v[i].r.hi - 1, paths_state_dir());
	}
	return mine ? 0 : 1;
}

static int check_all(const struct box_config *c, struct range me, box_err_t *err);

int idrange_check(const struct box_config *c, box_err_t *err)
{
	struct range me;
	if (!range_of(c, &me))
		return 0;
	if (c->idmap_base != BOX_IDMAP_AUTO)
		return check_all(c, me, err);
	int r = check_registered(c, me, err);
	if (r <= 0)
		return r;
	/* recorded before the registry, or copied: the long way, once */
	if (check_all(c, me, err) < 0)
		return -1;
	cleanup_close int lfd = lock_state(err);
	if (lfd < 0)
		return -1;
	return registry_set(c->name, me, err);
}

static int check_all(const struct box_config *c, struct range me, box_err_t *err)
{
	cleanup_free struct range *used = NULL;
	const char **who = NULL;
	size_t n = 0;
	int ret = 0;
	used_ranges(c, &used, &n, &who);
	for (size_t i = 0; i < n && !ret; i++)
		if (overlap(me, used[i]))
			ret = box_usage_error(err,
					      "%s:%u: idmap_base: ids %llu..%llu overlap those of %s (%llu..%llu): a "
					      "process that escapes one would be the other's user; give each its own "
					      "range (idmap_base = auto does)",
					      c->path, c->line_of_idmap_base, (unsigned long long)me.lo,
					      (unsigned long long)me.hi - 1, who[i], (unsigned long long)used[i].lo,
					      (unsigned long long)used[i].hi - 1);
	for (size_t i = 0; i < n; i++)
		free((char *)who[i]);
	free(who);
	return ret;
}
