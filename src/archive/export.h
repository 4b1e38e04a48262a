/* The export stream: a container's rootfs and config as one tar stream in the
 * layout of Proxmox VE's vzdump LXC archives (pct restore reads it):
 *
 *   ./etc/vzdump/pct.conf   first member, a file alone (the config: pct.h)
 *   ./etc/vzdump/pct.fw     second, empty
 *   ./                      the rootfs: relative names, numeric container-view
 *   ./bin ...               owners, modes, xattrs (user.*, security.capability),
 *                           ACLs, hard links, devices, fifos, sparse files, mtimes
 *
 * pax (ustar where it fits) as GNU tar --xattrs --acls --sparse writes it;
 * gzip (parallel, pgzip.h), zstd (libzstd workers) or none. The vzdump
 * excludes apply: ./tmp/?*, ./var/tmp/?*, ./var/run/?*.pid. */
#ifndef BOX_EXPORT_H
#define BOX_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "base/log.h"

enum export_compress { EXPORT_GZIP, EXPORT_ZSTD, EXPORT_NONE };
/* What to do with a running container: refuse (the default: a live rootfs
 * gives an inconsistent dump), stop it for the dump and start it again, or
 * freeze it for the dump. */
enum export_mode { EXPORT_MODE_NONE, EXPORT_MODE_STOP, EXPORT_MODE_SUSPEND };

struct export_opts {
	const char *output; /* NULL: dump folder, default name; "-": stdout */
	enum export_compress compress;
	enum export_mode mode;
	bool template_;	      /* cleaned into a reusable template (no pct.conf, no keys, ...) */
	int progress;	      /* -1 auto (stderr is a terminal and output is not stdout), 0 no, 1 yes */
	uint32_t id_shift;    /* unprivileged: what the rootfs's owners are shifted by on disk (config/idshift.h) */
	const char *snapshot; /* a snapshot of the container instead of its current state (runtime/export.h) */
};

/* The stream alone: config c and the rootfs folder to fd. */
int export_write_fd(int fd, const struct box_config *c, const char *rootfs, const struct export_opts *o,
		    box_err_t *err);

/* Set by the SIGINT/SIGTERM/SIGHUP handler export_container (runtime/export.h) installs: the
 * stream stops at the next block and the temporary file disappears. */
extern volatile int export_interrupted;

#endif
