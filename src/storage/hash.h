/* Content hash of a template tarball, the key of the extracted-template cache
 * (overlay lower layers, btrfs cache subvolumes). */
#ifndef BOX_STORAGE_HASH_H
#define BOX_STORAGE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/log.h"

/* SHA-256 of the file's content as 64 hex digits. A result remembered under
 * <memo_dir>/.stat-* (keyed by device, inode, size and ctime, which no user
 * can set back) is used without reading the file, so a create from an
 * unchanged template costs one stat. Otherwise *memo (if not NULL) gets the
 * memo's path: storage_hash_remember() writes it once the caller has made
 * good use of the hash (a corrupt template leaves no memo behind). */
int storage_hash_file(const char *path, const char *memo_dir, char out[65], char **memo, box_err_t *err);
void storage_hash_remember(const char *memo, const char hash[65]);
/* Removes the memo temporaries (.stat-*.tmp.PID) and the cache stamps'
 * (.ok-*.tmp.PID, storage.c) of writers that died before their rename; a
 * live writer's are left to it. */
void storage_hash_sweep(int memo_dirfd);

#endif
