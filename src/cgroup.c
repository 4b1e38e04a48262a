/* Placeholder until the cgroup module lands: every entry point fails. */
#include "cgroup.h"

#include <errno.h>

enum cgroup_layout cgroup_layout(void) { return CGROUP_HYBRID; }
const char *cgroup_layout_name(enum cgroup_layout l) { return "hybrid"; }
int cgroup_create(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "cgroup: not implemented yet");
}
int cgroup_open(const char *parent, const char *name, struct cgroup **out, box_err_t *err)
{
	return box_error(err, ENOSYS, "cgroup: not implemented yet");
}
void cgroup_free(struct cgroup *cg) {}
int cgroup_enter(struct cgroup *cg, pid_t pid, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l, box_err_t *err)
{
	return box_error(err, ENOSYS, "cgroup");
}
int cgroup_set_devices(struct cgroup *cg, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
int cgroup_freeze(struct cgroup *cg, bool freeze, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
int cgroup_kill(struct cgroup *cg, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
bool cgroup_is_empty(struct cgroup *cg) { return true; }
int cgroup_destroy(struct cgroup *cg, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
int cgroup_mount_view(struct cgroup *cg, const char *rootfs, box_err_t *err) { return box_error(err, ENOSYS, "cgroup"); }
