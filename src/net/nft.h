/* libnftables, loaded on first use: only a container on a managed bridge
 * (nat, dhcp, dns) or with forwards needs packet filtering, so `box start`
 * of any other container never maps the library (nor libjansson, libgmp,
 * libxtables it pulls in). Everything boxes adds lives in its own table,
 * `table inet boxes`; the user's tables are never named.
 *
 *   nft_run("add table inet boxes\n...", &out, err)   one transaction
 *
 * Callers serialise themselves with nft_lock (the table is shared by every
 * container and bridge: a listing and the change it decides must not
 * interleave with another's). */
#ifndef BOX_NET_NFT_H
#define BOX_NET_NFT_H

#include <stdbool.h>

#include "base/log.h"

#define NFT_TABLE "inet boxes"

/* Runs an nft script as one transaction. *out (may be NULL) gets what it
 * printed (a listing), malloc'd. An error carries nft's own message. */
int nft_run(const char *script, char **out, box_err_t *err);
/* The names of the chains of the boxes table (NULL-terminated, strv_free);
 * an empty vector when the table does not exist. */
int nft_chains(char ***out, box_err_t *err);
/* Deletes the table when it has no chain left. */
int nft_gc(box_err_t *err);
/* Host-wide, as the table and the forwarding switches are (not under the
 * run folder: two installations, BOX_ROOT's, share one kernel): the lock,
 * and the records of the forwarding switches boxes turned on. */
#define NFT_HOST_DIR "/run/boxes-nft"
/* An exclusive lock on the table's changes (NFT_HOST_DIR/lock); the fd to close. */
int nft_lock(box_err_t *err);

#endif
