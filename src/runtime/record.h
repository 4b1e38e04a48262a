/* The config a running container runs with, <run>/<name>/config: written
 * by its supervisor at start (the effective config, idmap_base resolved)
 * and by `box apply` / `box set` at each live change, atomically; removed
 * with the rest of the runtime state when it stops. `box diff` and `box
 * apply` compare the file with it, so that what is reported is exactly what
 * runs, whatever the file said at start. */
#ifndef BOX_RECORD_H
#define BOX_RECORD_H

#include <stdbool.h>

#include "base/log.h"

struct box_config;

/* The whole config c. */
int record_write(const char *name, const struct box_config *c, box_err_t *err);
/* running with the kinds (CONFIG_MERGE_*) of file's changes applied. */
int record_write_merged(const char *name, const struct box_config *running, const struct box_config *file,
			unsigned kinds, box_err_t *err);
/* Loads it: 0, or 1 when there is none (stopped, or started by a box
 * before records). */
int record_load(const char *name, struct box_config **out, box_err_t *err);
/* Its path (malloc'd). */
char *record_path(const char *name);
/* record_write, and an fd (O_RDONLY) on the file written, for
 * record_unchanged: the supervisor's at start. */
int record_write_held(const char *name, const struct box_config *c, box_err_t *err);
/* True when fd (record_write_held's) is still the file there: every writer
 * replaces the file, and an inode held open is no other file's, so the
 * same inode means no live change since. */
bool record_unchanged(const char *name, int fd);

#endif
