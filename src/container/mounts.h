/* The container's filesystem, built by the child in its own mount namespace
 * (and already in its own network namespace, so /sys shows its links):
 * private propagation, the rootfs (storage_mount), /proc with the read-only
 * and masked parts LXC and crun use, a read-only /sys with the cgroup view,
 * /dev as a tmpfs with the standard nodes, a new devpts, /dev/shm, the
 * console, a fresh boot_id, /run as a tmpfs with /run/host, the config's bind
 * mounts, then pivot_root with the old root detached. */
#ifndef BOX_MOUNTS_H
#define BOX_MOUNTS_H

#include <stdbool.h>

#include "base/log.h"

struct box_config;
struct cgroup;

/* In two halves, so that the first runs while the supervisor is still at the
 * host side (cgroup, veths). The first needs neither: private propagation,
 * the rootfs, the identity files, /dev, /proc, sysfs. `mounted`: root is the
 * rootfs already (an unprivileged child moved the host's tree there). */
int mounts_prepare(const struct box_config *c, const char *root, bool mounted, const char *console, box_err_t *err);
/* Unprivileged: while the child still has the host's root ids, opens the
 * host paths mounts_finish binds (the config's mount sources, notify_dir),
 * which the container's root may not be able to reach. */
int mounts_open_host(const struct box_config *c, const char *notify_dir, box_err_t *err);
/* After unshare(CLONE_NEWCGROUP): the cgroup view, /run, the config's bind
 * mounts, pivot_root. */
int mounts_finish(const struct box_config *c, struct cgroup *cg, const char *root, const char *notify_dir,
		  box_err_t *err);

#endif
