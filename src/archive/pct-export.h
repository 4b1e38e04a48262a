/* A boxes config as Proxmox VE's pct.conf, for box export (the import is
 * pct.h).
 *
 * pct.conf holds the whole boxes config as its description (the leading `#`
 * lines, encoded as PVE encodes them), then the pct keys that have a
 * counterpart: arch, cores, cpulimit, cpuunits, hostname, memory, mpN (bind
 * mounts), nameserver, netN, onboot, ostype, rootfs, searchdomain, startup,
 * swap, unprivileged -- so `pct restore` takes the archive and `box import`
 * gets the config back. */
#ifndef BOX_PCT_EXPORT_H
#define BOX_PCT_EXPORT_H

#include <stdint.h>

#include "config/config.h"

/* The pct.conf text (caller frees). ostype: "debian", "alpine", ... or NULL
 * (= "unmanaged"); rootfs_bytes sizes the rootfs line. *changes (caller
 * frees; NULL when none) lists, "; "-separated, what pct restore would not
 * give back: values pct.conf cannot carry (a second address of a family,
 * type = host, a negative start_order) and what it would change (no
 * unlimited memory or swap: 512 MiB; memory below 16 MiB: 16). */
char *pct_export(const struct box_config *c, const char *ostype, uint64_t rootfs_bytes, char **changes);

/* pct's arch of this host: amd64, arm64 or i386 (pct.c reads it too). */
const char *pct_arch(void);

#endif
