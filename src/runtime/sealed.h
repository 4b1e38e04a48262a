/* What enters a container runs from a sealed in-memory copy of the box
 * binary, never from the host's file (the CVE-2019-5736 class, as runc's
 * cloned_binary.c and LXC do it): a process that is visible inside before its
 * exec has /proc/PID/exe, and a privileged container's root can open that and
 * write the host's binary once nobody runs it. The copy is a memfd sealed
 * against writes, so the link leads to nothing the host keeps. */
#ifndef BOX_SEALED_H
#define BOX_SEALED_H

#include "base/log.h"

/* Returns 0 when the caller already runs from a sealed copy; otherwise makes
 * one and execs it with argv and the environment (no return), or fails (-1). */
int sealed_reexec(char **argv, box_err_t *err);

#endif
