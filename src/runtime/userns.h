/* The user namespace of an unprivileged container: container id 0..size-1 is
 * host id base..base+size-1 (the config's idmap_base and idmap_size).
 *
 * The supervisor (host root) writes the maps of the freshly cloned child
 * (idmap_write_maps, base/idmap.h) before that child does anything; the child, or a `box
 * attach` that has just joined the namespace, then becomes the container's
 * root (userns_become_root). Until then its ids are the host's root, which
 * the namespace does not map: it can create nothing on a filesystem of the
 * container and has no capability over the host. */
#ifndef BOX_USERNS_H
#define BOX_USERNS_H

#include "base/log.h"

/* In the namespace: uid and gid 0 (setresgid, setgroups, setresuid); the
 * capabilities of the namespace stay. */
int userns_become_root(box_err_t *err);

#endif
