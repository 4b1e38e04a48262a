/* The container's identity inside its rootfs, written as pct does at create
 * and at every start: /etc/hostname, the 127.0.1.1 line of /etc/hosts and
 * /etc/resolv.conf (from nameserver/searchdomain, else the host's), each in a
 * managed section between marker lines that the user's own lines survive.
 * A file /etc/.box-keep-<file> (e.g. /etc/.box-keep-hosts) opts out. An
 * interface with address = dhcp in a systemd rootfs gets a systemd-networkd
 * .network file (80-box-IFNAME.network) and networkd enabled.
 * Paths are opened relative to the rootfs fd (RESOLVE_IN_ROOT): a hostile
 * rootfs cannot redirect the writes to the host. */
#ifndef BOX_IDENTITY_H
#define BOX_IDENTITY_H

#include <sys/types.h>

#include "config/config.h"
#include "base/log.h"

/* A file made anew gets uid and gid `owner`, as this process sees ids: the
 * container's root on the host for a rootfs shifted at create, 0 inside the
 * container's user namespace or on a rootfs that keeps the container's view. */
int identity_write(const struct box_config *c, const char *rootfs, uid_t owner, box_err_t *err);
/* What makes a copy of a system another machine (a clone): /etc/machine-id
 * emptied (systemd makes a new one at boot), the ssh host keys removed; on
 * disk when it returns (fsync of the file and of /etc/ssh: what
 * storage_edit_begin's contract asks of an edit). */
int identity_forget(const char *rootfs, box_err_t *err);

#endif
