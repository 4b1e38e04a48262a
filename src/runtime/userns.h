/* The user namespace of an unprivileged container: container id 0..size-1 is
 * host id base..base+size-1 (the config's idmap_base and idmap_size).
 *
 * The supervisor (host root) writes the maps of the freshly cloned child
 * (userns_write_maps) before that child does anything; the child, or a `box
 * attach` that has just joined the namespace, then becomes the container's
 * root (userns_become_root). Until then its ids are the host's root, which
 * the namespace does not map: it can create nothing on a filesystem of the
 * container and has no capability over the host. */
#ifndef BOX_USERNS_H
#define BOX_USERNS_H

#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"

/* Writes /proc/PID/uid_map and gid_map ("0 base size"). A map the kernel
 * refuses is an error naming the file and the line. */
int userns_write_maps(pid_t pid, uint32_t base, uint32_t size, box_err_t *err);
/* In the namespace: uid and gid 0 (setresgid, setgroups, setresuid); the
 * capabilities of the namespace stay. */
int userns_become_root(box_err_t *err);

#endif
