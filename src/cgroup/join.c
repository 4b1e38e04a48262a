/* Joining a container's cgroup without the kernel's grace period (cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "base/util.h"

void cgroup_join_close(struct cgroup_join *j)
{
	if (j->clone_fd >= 0)
		close(j->clone_fd);
	j->clone_fd = -1;
	for (size_t i = 0; i < j->ntasks; i++)
		close(j->tasks[i]);
	j->ntasks = 0;
}

/* The fds of the container's cgroup in every hierarchy (rel: its path);
 * the cgroup2 one is leaf_fd when that is open already. */
static int open_fds(const char *payload, const char *v2_rel, int leaf_fd, struct cgroup_join *j, box_err_t *err)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		if (h[i].v2 && leaf_fd >= 0) {
			j->clone_fd = leaf_fd;
			continue;
		}
		const char *rel = h[i].v2 ? v2_rel : payload;
		cleanup_free char *p = cgroup_path(&h[i], rel, h[i].v2 ? NULL : "tasks");
		int fd = h[i].v2 ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : open(p, O_WRONLY | O_CLOEXEC);
		/* none: a hierarchy mounted after the cgroup was made, or (before
		 * the clone) the v1 ones, made while the child prepares; one open,
		 * not an access() first: at the go 20 syscalls become 10 */
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return box_error(err, errno, "opening %s", p);
		if (h[i].v2) {
			j->clone_fd = fd;
			continue;
		}
		if (j->ntasks == CGROUP_JOIN_MAX) {
			close(fd);
			return box_error(err, E2BIG, "more than %d cgroup hierarchies", CGROUP_JOIN_MAX);
		}
		j->tasks[j->ntasks++] = fd;
	}
	return 0;
}

/* Whether a cgroup2 folder's own cgroup.freeze asks for a freeze (a kernel
 * without the file, before 5.2, has no freezer: no). */
static bool wants_freeze(int dfd)
{
	cleanup_free char *s = NULL;
	box_err_t e = NULL;
	bool yes = read_file_at(dfd, "cgroup.freeze", &s, NULL, &e) == 0 && s[0] != '0';
	box_error_release(&e);
	return yes;
}

/* The attach leaf <payload>/.box, open, and one only the host can freeze.
 * The payload is delegated to the container's root: it may make a .box
 * before boxes does (its files then its own, cgroup.freeze with them), or
 * remove the host's empty one and make its own. So the leaf must be owned
 * by us, its cgroup.freeze 0; otherwise it is removed and made again, once.
 * The caller joins through this very fd (CLONE_INTO_CGROUP): a leaf swapped
 * after the check makes the clone fail (the fd's cgroup is gone), never
 * puts the command into the container's own. */
static int open_attach_leaf(struct cgroup *cg, int *out, box_err_t *err)
{
	cleanup_free char *dir = cgroup_path(cgroup_v2_hier(), cg->payload, NULL);
	cleanup_free char *leaf = xasprintf("%s/" CGROUP_ATTACH_LEAF, dir);
	cleanup_close int pfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return box_error(err, errno, "opening %s", dir);
	for (int round = 0;; round++) {
		if (mkdirat(pfd, CGROUP_ATTACH_LEAF, 0755) < 0 && errno != EEXIST)
			return box_error(err, errno, "creating cgroup %s", leaf);
		int fd = openat(pfd, CGROUP_ATTACH_LEAF, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return box_error(err, errno, "opening %s", leaf);
		struct stat st;
		if (fstat(fd, &st) < 0) {
			int e = errno;
			close(fd);
			return box_error(err, e, "fstat of %s", leaf);
		}
		bool mine = st.st_uid == geteuid(), frozen = wants_freeze(fd);
		if (mine && !frozen) {
			*out = fd;
			return 0;
		}
		close(fd);
		const char *what = !mine ? "made its own" : "froze";
		if (round > 0)
			return box_error(err, EPERM,
					 "the container's root %s %s again (owner %u): attach would stop there", what,
					 leaf, (unsigned)st.st_uid);
		if (unlinkat(pfd, CGROUP_ATTACH_LEAF, AT_REMOVEDIR) < 0)
			return box_error(err, errno,
					 "the container's root %s %s (owner %u, cgroup.freeze %d) and keeps processes "
					 "or cgroups in it: an attached command could be stopped there for good; have "
					 "the container remove it, or 'box restart %s'",
					 what, leaf, (unsigned)st.st_uid, frozen ? 1 : 0, cg->name);
	}
}

int cgroup_join_open(struct cgroup *cg, enum cgroup_join_target t, struct cgroup_join *j, box_err_t *err)
{
	*j = (struct cgroup_join){ .clone_fd = -1, .target = t };
	int leaf_fd = -1;
	if (t == CGROUP_JOIN_ATTACH && cgroup_layout() == CGROUP_UNIFIED && open_attach_leaf(cg, &leaf_fd, err) < 0)
		return box_error_wrap(err, "joining container %s", cg->name);
	if (open_fds(cg->payload, cg->payload, leaf_fd, j, err) == 0)
		return 0;
	cgroup_join_close(j);
	return box_error_wrap(err, "joining container %s", cg->name);
}

/* v1: the payload's freezer.state (FREEZING too; it follows the limit
 * cgroup's); cgroup2: "frozen 1" in the joined folder's cgroup.events,
 * which counts a parent's freeze too. */
bool cgroup_join_frozen(struct cgroup *cg, const struct cgroup_join *j, char **where)
{
	box_err_t e = NULL;
	cleanup_free char *s = NULL;
	const struct cgroup_hier *h = cgroup_v1_hier("freezer");
	bool v1 = h && cgroup_read(h, cg->payload, "freezer.state", &s, &e) == 0 && strncmp(s, "THAWED", 6) != 0;
	box_error_release(&e);
	if (v1) {
		*where = cgroup_path(h, cg->payload, "freezer.state");
		return true;
	}
	free(s);
	s = NULL;
	uint64_t v = 0;
	bool v2 = j->clone_fd >= 0 && read_file_at(j->clone_fd, "cgroup.events", &s, NULL, &e) == 0 &&
		  cgroup_keyed_u64(s, "frozen", &v) == 0 && v != 0;
	box_error_release(&e);
	if (!v2)
		return false;
	/* the file that asks: the leaf's own, else the payload's (a privileged
	 * root's; an ancestor above is 'box freeze', told apart by the caller) */
	bool leaf = j->target == CGROUP_JOIN_ATTACH && cgroup_layout() == CGROUP_UNIFIED && wants_freeze(j->clone_fd);
	cleanup_free char *rel = leaf ? xasprintf("%s/" CGROUP_ATTACH_LEAF, cg->payload) : xstrdup(cg->payload);
	*where = cgroup_path(cgroup_v2_hier(), rel, "cgroup.freeze");
	return true;
}

void cgroup_join_clone_args(const struct cgroup_join *j, struct clone_args *a)
{
	if (j->clone_fd < 0)
		return;
	a->flags |= CLONE_INTO_CGROUP;
	a->cgroup = (uint64_t)j->clone_fd;
}

/* v1 lets a write to `tasks` move a task only when the file's opener is
 * the global root or has the task's uid. A supervisor that is root only
 * in a user namespace of its own (boxes nested in a container) opened the
 * fd, and its child is by now another uid, the container's root: the child
 * opens the file again itself, through the fd (its own credentials; the
 * payload's `tasks` is delegated to the container's root). */
static int join_one(int fd)
{
	if (write(fd, "0", 1) == 1)
		return 0;
	if (errno != EACCES)
		return -1;
	char path[40];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int again = open(path, O_WRONLY | O_CLOEXEC);
	if (again < 0)
		return -1;
	ssize_t n = write(again, "0", 1);
	int e = errno;
	close(again);
	errno = e;
	return n == 1 ? 0 : -1;
}

int cgroup_join_self(const struct cgroup_join *j, box_err_t *err)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (join_one(j->tasks[i]) < 0)
			return box_error(err, errno, "moving into the container's cgroup");
	return 0;
}
