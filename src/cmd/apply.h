/* Shared by `box apply` and `box set`: the config's limits onto a running
 * container. */
#ifndef BOX_CMD_APPLY_H
#define BOX_CMD_APPLY_H

#include <stdbool.h>

#include "base/log.h"

/* Re-reads NAME's config and writes every limit that differs from the
 * kernel's; prints one line per change ("NAME: memory: ... -> ..."). A
 * stopped container is not an error: *running says whether anything was
 * applied. */
int apply_limits(const char *name, bool *running, box_err_t *err);

#endif
