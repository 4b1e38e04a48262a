/* How a container's rootfs holds its owners: <state>/NAME/idshift, written
 * at create and import. 0 = as the container sees them (a privileged
 * container's, or an unprivileged one's shown shifted by an idmapped mount
 * at start), N = shifted by N on disk at create (an unprivileged container
 * whose filesystem cannot be idmapped, or an overlay). */
#ifndef BOX_IDSHIFT_H
#define BOX_IDSHIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct box_config;

/* The container's shift. A rootfs made before the record: the owner of its
 * root folder (the container root's on the host: 0, or the shift it got). */
uint32_t idshift_read(const struct box_config *c);
/* The shift a new rootfs in the folder `dirfd` gets (create, import): 0
 * where the filesystem can be idmapped, else idmap_base (resolved). */
uint32_t idshift_choose(const struct box_config *c, int dirfd, bool overlay);
/* Records it in the container folder `dirfd`. */
int idshift_write(int dirfd, uint32_t shift, box_err_t *err);

#endif
