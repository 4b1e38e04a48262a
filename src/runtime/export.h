/* `box export` of a container: its state handled (a running one refused,
 * stopped and started again, or frozen and thawed), its rootfs assembled
 * by its storage backend, the stream (archive/export.h) written to a file
 * made atomically or to stdout.
 *
 * A file output is written to an unnamed temporary file (O_TMPFILE) in the
 * target's folder, fsynced and only then linked under its name: an
 * interrupted export (signal, kill -9, full disk) never leaves a file under
 * the final name. */
#ifndef BOX_RUNTIME_EXPORT_H
#define BOX_RUNTIME_EXPORT_H

#include "archive/export.h"
#include "base/log.h"

/* Exports container `name`; *path_out (may be NULL) gets the file written. */
int export_container(const char *name, const struct export_opts *o, char **path_out, box_err_t *err);

#endif
