/* Delegation of an unprivileged container's payload cgroup to its root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cgroup/internal.h"

/* The files a delegatee may write: the kernel's list for cgroup2
 * (/sys/kernel/cgroup/delegate), and the membership files of v1. */
static const char *const v1_files[] = { "tasks", "cgroup.procs", "cgroup.clone_children", "notify_on_release" };
static const char *const v2_files[] = { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };

static int own(const char *path, uid_t uid, gid_t gid, bool must, box_err_t *err)
{
	/* the folder is the host's, below a root-owned parent: no symlink here */
	if (fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && (must || errno != ENOENT))
		return box_error(err, errno, "giving %s to the container's root (%u)", path, (unsigned)uid);
	return 0;
}

static int delegate_v2_extra(const struct cgroup_hier *h, const char *rel, uid_t uid, gid_t gid, box_err_t *err)
{
	cleanup_free char *list = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, "/sys/kernel/cgroup/delegate", &list, NULL, &e) < 0) {
		box_error_release(&e); /* an older kernel: the fixed list is all */
		return 0;
	}
	for (char *save = NULL, *f = strtok_r(list, "\n", &save); f; f = strtok_r(NULL, "\n", &save)) {
		cleanup_free char *p = cgroup_path(h, rel, f);
		if (own(p, uid, gid, false, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid, box_err_t *err)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = cgroup_path(&h[i], cg->payload, NULL);
		if (own(dir, uid, gid, true, err) < 0)
			return -1;
		const char *const *files = h[i].v2 ? v2_files : v1_files;
		size_t nf = h[i].v2 ? ARRAY_SIZE(v2_files) : ARRAY_SIZE(v1_files);
		for (size_t j = 0; j < nf; j++) {
			cleanup_free char *p = cgroup_path(&h[i], cg->payload, files[j]);
			if (own(p, uid, gid, false, err) < 0)
				return -1;
		}
		if (h[i].v2 && delegate_v2_extra(&h[i], cg->payload, uid, gid, err) < 0)
			return -1;
	}
	return 0;
}
