/* The last step of `box import`: the rootfs and the config made to appear
 * as one (import-commit.c says how), and the recovery of a commit that a
 * kill interrupted. */
#ifndef BOX_IMPORT_COMMIT_H
#define BOX_IMPORT_COMMIT_H

#include "base/log.h"

/* Renames <state>/<tmp> (sfd: the state folder) to <state>/<name> and
 * writes config_text as <config>/<name>.conf; on failure neither is there
 * and <state>/<tmp> is left for the caller to remove. */
int import_commit(int sfd, const char *tmp, const char *name, const char *config_text, box_err_t *err);

/* Finishes or rolls back the commits of dead imports (of `only`, or of
 * every name when NULL), best effort, saying what it did. */
void import_recover(const char *only);

#endif
