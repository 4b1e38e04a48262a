/* Id ranges of unprivileged containers. `idmap_base = auto` gives each
 * container its own idmap_size ids from the ranges /etc/subuid and
 * /etc/subgid give to root ($BOX_ROOT/etc/... under BOX_ROOT), disjoint
 * from every other container's; when root has none, one is added to both
 * files (as usermod --add-subuids does): 65536000 ids from 1000000 or past
 * the last range there. The container's range is recorded in
 * <state>/NAME/idmap ("BASE SIZE"), so it is stable across restarts;
 * an export keeps container-view ids, and an import gets a range of its own. */
#ifndef BOX_IDRANGE_H
#define BOX_IDRANGE_H

#include "base/log.h"

struct box_config;

/* Sets c->idmap_base of an unprivileged `auto` container: from its record,
 * else, with dirfd >= 0 (its container folder, where the record goes), a
 * new range; with dirfd < 0 and no record c->idmap_base stays AUTO. A
 * rootfs shifted at create before records existed (no idshift) keeps the
 * range it was shifted to (its root folder's owner). Nothing to do for a
 * privileged container or an explicit base. */
int idrange_resolve(struct box_config *c, int dirfd, box_err_t *err);
/* An unprivileged container's range (explicit, or recorded) overlapping
 * another unprivileged container's: one error naming both, file:line. */
int idrange_check(const struct box_config *c, box_err_t *err);

#endif
