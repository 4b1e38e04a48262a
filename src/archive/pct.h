/* Translation between a boxes config and Proxmox VE's pct.conf (the
 * ./etc/vzdump/pct.conf member of a vzdump LXC archive, first in the ones
 * vzdump and box export write).
 *
 * Export: pct.conf holds the whole boxes config as its description (the
 * leading `#` lines, encoded as PVE encodes them), then the pct keys that
 * have a counterpart: arch, cores, cpulimit, cpuunits, hostname, memory,
 * mpN (bind mounts), nameserver, netN, onboot, ostype, rootfs, searchdomain,
 * startup, swap, unprivileged -- so `pct restore` takes the archive and
 * `box import` gets the exact config back.
 *
 * Import: a pct.conf of ours gives that config back; one written by Proxmox
 * is translated key by key with Proxmox's defaults (no memory or swap line:
 * 512 MiB each), and every key or sub-option that has no counterpart is
 * listed in one warning. Bind mounts, ours or Proxmox's mpN, are written
 * commented out and named in that warning: an archive does not choose which
 * host paths a container sees. */
#ifndef BOX_PCT_H
#define BOX_PCT_H

#include <stdint.h>

#include "config/config.h"
#include "base/log.h"

/* The pct.conf text (caller frees). ostype: "debian", "alpine", ... or NULL
 * (= "unmanaged"); rootfs_bytes sizes the rootfs line. *changes (caller
 * frees; NULL when none) lists, "; "-separated, what pct restore would not
 * give back: values pct.conf cannot carry (a second address of a family,
 * type = host, a negative start_order) and what it would change (no
 * unlimited memory or swap: 512 MiB; memory below 16 MiB: 16). */
char *pct_export(const struct box_config *c, const char *ostype, uint64_t rootfs_bytes, char **changes);

struct pct_import {
	char *config_text;  /* the boxes config to write as <name>.conf */
	char *untranslated; /* "tags, lxc.apparmor.profile, net0.firewall" or NULL */
	bool ours;	    /* the description held a boxes config */
};

/* Translates pct.conf text into a boxes config for container `name`;
 * hostname (may be NULL) replaces the archive's. The result is validated with
 * the config loader; exit status 2 when the archive's config is unusable. */
int pct_import(const char *text, size_t len, const char *name, const char *hostname, struct pct_import *out,
	       box_err_t *err);
void pct_import_free(struct pct_import *p);

/* The ostype pct would detect from a rootfs's /etc/os-release (static string). */
const char *pct_detect_ostype(int rootfs_fd);

#endif
