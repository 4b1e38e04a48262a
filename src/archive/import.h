/* `box import`: a container from an archive, read front to back (a pipe
 * works: `box export web -o - | box import web2 -`):
 *
 *   - a boxes export: its config (the description of pct.conf) restored;
 *   - a Proxmox vzdump LXC archive: pct.conf translated (pct.h), every key
 *     without a counterpart named in one warning, bind mounts written
 *     commented out;
 *   - an Incus/LXD backup (backup/index.yaml, backup/container/rootfs/...):
 *     the rootfs, a minimal config;
 *   - a plain rootfs tarball (a template, an LXC image's rootfs.tar.xz; its
 *     meta.tar.xz is not needed): a minimal config.
 *
 * gzip, zstd, xz, lzma, bzip2 or none (what box create reads), detected
 * from the content; the input is read to its end, past the tar's
 * end-of-archive blocks (what follows them is padding, as GNU tar and bsdtar
 * take it), so every checksum of the compression is verified (instream.h).
 * ./etc/vzdump/pct.conf is read wherever it is, as Proxmox does: first (as
 * vzdump and box export write it) it decides the config before the rootfs;
 * later, it is translated at the end (an unprivileged one is then refused:
 * the ids before it were not shifted). What the archive was is said in one
 * line; a pct.fw with rules is named as left out.
 * The rootfs is extracted with archive.h's secure extraction (ids shifted for
 * unprivileged containers, ./dev/ entries and ./etc/vzdump/ skipped) under a
 * hidden name; the rootfs and the config are committed as one step
 * (import-commit.h). Anything wrong -- a corrupt, truncated or hostile
 * archive, a full disk, no sbin in it, a bad pct.conf, a signal -- leaves no
 * config, rootfs or state behind; after a kill -9 only a hidden
 * .import-NAME.PID, which the next import of NAME removes, or a commit half
 * made, which the next import of NAME or `box ls` finishes or rolls back. */
#ifndef BOX_IMPORT_H
#define BOX_IMPORT_H

#include "base/log.h"

struct import_opts {
	const char *hostname; /* NULL: the archive's (or the name for a plain rootfs) */
};

int import_container(const char *name, const char *file, const struct import_opts *o, box_err_t *err);

#endif
