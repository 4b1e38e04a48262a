/* Root filesystem backends: dir (extracted per container), overlay (shared
 * read-only cache of the template + per-container upper/work), btrfs (cache
 * subvolume + snapshot through the btrfs ioctls). */
#ifndef BOX_STORAGE_H
#define BOX_STORAGE_H

#include <stdbool.h>

#include "config.h"
#include "log.h"

/* Builds <state>/<name>/rootfs from the template (`template_override` wins
 * over the config's `template`). Prints which backend it used and why when
 * the requested one cannot be used. Leaves nothing behind on failure. */
int storage_create(const struct box_config *c, const char *template_override, box_err_t *err);
/* True when the container's rootfs has been created. */
bool storage_exists(const char *name);
/* The path init sees as / once the backend has mounted it (for overlay: the
 * merged mount, done in the container's own mount namespace). The child calls
 * storage_mount() after unshare(CLONE_NEWNS). */
int storage_mount(const struct box_config *c, const char *mountpoint, box_err_t *err);
/* Removes the rootfs and the container's state folder. */
int storage_destroy(const char *name, box_err_t *err);

#endif
