/* `box attach`: a command inside a running container. It enters every
 * namespace of init through a pidfd (setns(pidfd, flags), one call), joins the
 * container's cgroup, gets the container's capability limits and seccomp
 * filter and a clean environment, and a pty when stdin is a terminal.
 *
 *   box attach ── fork ──> C: cgroup (moved by the parent), setns(all)
 *                               └─ fork ──> G: in the pid ns too; exec CMD
 *   the parent relays the pty and exits with G's status */
#ifndef BOX_ATTACH_H
#define BOX_ATTACH_H

#include "base/log.h"

/* argv NULL = /bin/sh. *status: the command's exit status (128+N if killed). */
int attach_run(const char *name, char **argv, int *status, box_err_t *err);

#endif
