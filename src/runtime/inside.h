/* Changes made inside a running container from the host (box apply): a
 * short-lived child of the caller joins the container's mount and UTS
 * namespaces (and its user namespace, as its root, when it has one) -- not
 * its pid namespace, so no process of the container can see or ptrace it
 * -- holds no fd of the caller's but a pipe for its error, and is not
 * dumpable. The files it writes are opened as at start (container/identity.h:
 * RESOLVE_IN_ROOT, never through a symlink). */
#ifndef BOX_INSIDE_H
#define BOX_INSIDE_H

#include <stdbool.h>

#include "base/log.h"

struct box_config;

/* Rewrites /etc/hostname, the managed sections of /etc/hosts and
 * /etc/resolv.conf from c, and with set_hostname the UTS host name, in the
 * running container `c->name`. */
int inside_identity(const struct box_config *c, bool set_hostname, box_err_t *err);

#endif
