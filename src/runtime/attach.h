/* `box attach`: a command inside a running container. It enters every
 * namespace of init through a pidfd (setns(pidfd, flags), one call), joins the
 * container's cgroup, gets the container's capability limits and seccomp
 * filter and a clean environment, and a pty when any of fds 0-2 is a
 * terminal (the container never gets a host terminal).
 *
 *   box attach (a sealed memfd copy of box: sealed.h)
 *     └─ clone3 into the cgroup ──> C: v1 cgroups, setns(all), closes every
 *          fd but 0-2, not dumpable, caps dropped, seccomp on
 *          └─ fork ──> G: in the pid ns too (visible inside): exec CMD
 *   the parent relays the pty and exits with G's status */
#ifndef BOX_ATTACH_H
#define BOX_ATTACH_H

#include "base/log.h"

/* argv NULL = /bin/sh. *status: the command's exit status (128+N if killed). */
int attach_run(const char *name, char **argv, int *status, box_err_t *err);

#endif
