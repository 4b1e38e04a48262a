/* Walks of a container's cgroup tree, which its root shapes: below the
 * delegated payload cgroup it makes as many cgroups as it likes, with any
 * names, nested by fd as deep as it likes (cgroup v1 has no depth limit).
 * A path of 20 nested 250-character names is past PATH_MAX on the host, and
 * a walk that held a folder fd per level would run out of fds long before
 * the end: base/fdwalk.h's walk, one folder fd at a time. */
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fdwalk.h"
#include "base/util.h"

struct cg_walk {
	int (*enter)(int fd, void *data);
	int (*leave)(int parent, const char *name, void *data);
	void *data;
};

/* the caller's leave, with the caller's data */
static int leave_child(int parent, const char *name, void *data)
{
	struct cg_walk *w = data;
	return w->leave ? w->leave(parent, name, w->data) : 0;
}

/* enter(fd), then the child cgroups of fd to go into (none when it cannot
 * be read: it was removed meanwhile). */
static int list_children(int fd, struct fd_walk_level *l, void *data)
{
	struct cg_walk *w = data;
	int ret = w->enter ? w->enter(fd, w->data) : 0;
	if (ret)
		return ret;
	int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir) {
		if (d >= 0)
			close(d);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(dir)))
		if (cgroup_is_child(de))
			fd_walk_add(l, de->d_name);
	return 0;
}

int cgroup_walk(const char *top, int (*enter)(int fd, void *data),
		int (*leave)(int parent, const char *name, void *data), void *data)
{
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct cg_walk w = { enter, leave, data };
	/* a cgroup removed meanwhile is skipped */
	return fd_walk(
	    fd, &(struct fd_walk){ .list = list_children, .leave = leave_child, .skip_unopened = true, .data = &w });
}

struct pid_list {
	pid_t **pids;
	size_t *n;
};

static int collect(int fd, void *data)
{
	struct pid_list *l = data;
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	if (read_file_at(fd, "cgroup.procs", &s, NULL, &e) < 0) {
		box_error_release(&e);
		return 0; /* removed meanwhile */
	}
	for (char *p = s, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0) {
			*l->pids = xrealloc(*l->pids, (*l->n + 1) * sizeof(**l->pids));
			(*l->pids)[(*l->n)++] = (pid_t)v;
		}
	}
	return 0;
}

int cgroup_collect_pids(const struct cgroup_hier *h, const char *rel, pid_t **pids, size_t *n)
{
	cleanup_free char *top = cgroup_path(h, rel, NULL);
	int r = cgroup_walk(top, collect, NULL, &(struct pid_list){ pids, n });
	return r == -ENOENT ? 0 : r < 0 ? -1 : 0;
}

struct sum {
	const char *file, *key;
	uint64_t total;
};

static int add(int fd, void *data)
{
	struct sum *s = data;
	cleanup_free char *text = NULL;
	box_err_t e = NULL;
	uint64_t v;
	if (read_file_at(fd, s->file, &text, NULL, &e) == 0 &&
	    (s->key ? cgroup_keyed_u64(text, s->key, &v) == 0 : cgroup_parse_u64(text, &v)))
		s->total += v;
	box_error_release(&e);
	return 0;
}

uint64_t cgroup_sum_tree(const struct cgroup_hier *h, const char *rel, const char *file, const char *key)
{
	cleanup_free char *top = cgroup_path(h, rel, NULL);
	struct sum s = { file, key, 0 };
	cgroup_walk(top, add, NULL, &s);
	return s.total;
}

/* A cgroup whose last task just died may still be busy for a moment. */
static int remove_at(int parent, const char *name)
{
	for (int tries = 0;; tries++) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || tries >= 100)
			return -errno;
		usleep(10000);
	}
}

struct rm {
	const char *top;
	box_err_t *err;
};

static int remove_child(int parent, const char *name, void *data)
{
	struct rm *r = data;
	int e = remove_at(parent, name);
	if (e < 0)
		return box_error(r->err, -e, "removing a cgroup below %s", r->top);
	return 0;
}

int cgroup_rmdir_tree(const char *path, box_err_t *err)
{
	/* a leaf (the common case) goes at once; one with children says EBUSY */
	if (rmdir(path) == 0 || errno == ENOENT)
		return 0;
	struct rm r = { path, err };
	int ret = cgroup_walk(path, NULL, remove_child, &r);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0 && !*err)
		return box_error(err, -ret, "walking cgroup %s", path);
	if (ret < 0)
		return -1;
	int e = remove_at(AT_FDCWD, path);
	return e < 0 ? box_error(err, -e, "removing cgroup %s", path) : 0;
}
