/* Cloning the container's first process and the supervisor <-> child sync.
 *
 * The dance (both sides mark each rendezvous with the step's name):
 *
 *   supervisor                          child (new pid, mount, uts, ipc, net ns)
 *   spawn_container() ── clone3 ──────> into the cgroup2 cgroup (CLONE_INTO_CGROUP);
 *   unprivileged (+ user ns): the console given to the container's root,
 *   the rootfs as a detached tree, both before the clone;
 *     uid_map, gid_map
 *     ── STEP_MAPPED ──────────────────> moves the tree onto its root, opens
 *                                       the host paths it binds, becomes the
 *                                       container's root (userns.h); then:
 *   the v1 cgroups, the payload         prepares: private propagation,
 *   delegated (unprivileged), limits,   rootfs, identity, /dev, /proc, sysfs,
 *   devices, net_setup(), the seccomp   lo up, hostname; waits for STEP_HOST_DONE
 *   filter built (at the same time)
 *   spawn_go()  ── STEP_HOST_DONE ────> joins its v1 cgroups (cgroup_join_self),
 *     + the v1 `tasks` fds and the      unshare(cgroup ns): its root is now the
 *     filter's memfd (SCM_RIGHTS)       container's cgroup; the cgroup view,
 *                                       /run, bind mounts, pivot_root, seccomp
 *                                       (the filter loaded), caps, console
 *   spawn_wait_exec() <── STEP_EXEC ─── right before execve(init), with an
 *                         + the root      O_PATH fd of its root (SCM_RIGHTS)
 *                     <── EOF ───────── the SOCK_CLOEXEC end closed by execve
 *
 * Any failure in the child travels as a SPAWN_ERROR message with the child's
 * own error text and becomes the supervisor's error verbatim (crun); an EOF
 * without STEP_EXEC means the child died. A child that failed in its
 * preparation may make a host step fail (it is gone): spawn_child_error()
 * then puts its message in place of the host step's. */
#ifndef BOX_SPAWN_H
#define BOX_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

struct box_config;
struct cgroup;
struct cgroup_join;

enum spawn_step { STEP_HOST_DONE = 1, STEP_EXEC, STEP_ERROR, STEP_MAPPED };

struct spawn_ctx {
	const struct box_config *c;
	struct cgroup *cg;		/* for cgroup_mount_view() */
	const struct cgroup_join *join; /* the child is cloned into it */
	const char *root;		/* host path where the rootfs gets mounted (own mount ns) */
	const char *console;		/* host path of the console pty slave */
	const char *notify_dir;		/* host folder bound read-only at /run/host; NULL = none */
	char **env;			/* init's whole environment */
};

/* Clones the child (it waits for spawn_go()). *sync_fd is the supervisor's end. */
int spawn_container(const struct spawn_ctx *x, pid_t *pid, int *pidfd, int *sync_fd, box_err_t *err);
/* STEP_HOST_DONE: the host side is ready; the child joins the v1 cgroups of
 * `join` (its `tasks` fds; NULL or none: nothing to join) and loads the
 * seccomp filter `filter` (seccomp_export) in its place. */
int spawn_go(int sync_fd, const struct cgroup_join *join, int filter, box_err_t *err);
/* After a failed host step: the child's own error instead, if it sent one. */
void spawn_child_error(int sync_fd, box_err_t *err);
/* Returns 0 once init has been exec'd, -1 with the child's error otherwise.
 * *root_ref: an O_PATH fd of the container's root as the child saw it
 * right before the exec (-1: none came), the supervisor's reference to the
 * rootfs mount: held, the mount's superblock outlives the container's mount
 * namespace, and its shutdown (an overlay syncs its upper filesystem) runs
 * where the supervisor closes it instead of in init's exit. Never used for
 * a path: the container owns what is below it. */
int spawn_wait_exec(int sync_fd, int *root_ref, box_err_t *err);

#endif
