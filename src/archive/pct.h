/* Translation between a boxes config and Proxmox VE's pct.conf (the
 * ./etc/vzdump/pct.conf member of a vzdump LXC archive, first in the ones
 * vzdump and box export write).
 *
 * Export: pct-export.h.
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
