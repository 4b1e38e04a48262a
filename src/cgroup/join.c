/* Joining a container's cgroup without the kernel's grace period (cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
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

/* The fds of the container's cgroup in every hierarchy (rel: its path). */
static int open_fds(const char *payload, const char *v2_rel, struct cgroup_join *j, box_err_t *err)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
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

int cgroup_join_open(struct cgroup *cg, enum cgroup_join_target t, struct cgroup_join *j, box_err_t *err)
{
	*j = (struct cgroup_join){ .clone_fd = -1 };
	cleanup_free char *leaf = NULL;
	const char *v2_rel = cg->payload;
	if (t == CGROUP_JOIN_ATTACH && cgroup_layout() == CGROUP_UNIFIED) {
		leaf = xasprintf("%s/" CGROUP_ATTACH_LEAF, cg->payload);
		if (cgroup_make_dir(cgroup_v2_hier(), leaf, false, err) < 0)
			return box_error_wrap(err, "joining container %s", cg->name);
		v2_rel = leaf;
	}
	if (open_fds(cg->payload, v2_rel, j, err) == 0)
		return 0;
	cgroup_join_close(j);
	return box_error_wrap(err, "joining container %s", cg->name);
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
