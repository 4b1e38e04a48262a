/* The supervisor: one small process per running container (LXC's monitor).
 * It owns the container's lifetime from the moment `box start` forks it:
 * cgroup, console pty, notify and control sockets, the clone of init (see
 * spawn.h), the host side of the network, and the cleanup whichever way init
 * ends. Its main loop is one poll() over a signalfd, the control socket and
 * its clients, the console master and the notify socket; what happens is a
 * state x event table (s6-supervise). */
#ifndef BOX_SUPERVISOR_H
#define BOX_SUPERVISOR_H

#include <stdbool.h>

struct box_config;
struct box_global;

/* Runs in the process forked by `box start`, which holds the container's lock
 * (lock_fd). Reports the start's outcome as one message on report_fd (see
 * supervisor_read_report) -- when init has been exec'd, or with wait when it
 * has said READY=1 (at once for inits that do not speak sd_notify) -- then
 * supervises. Never returns. */
void supervisor_main(struct box_config *c, struct box_global *g, int lock_fd, int report_fd, bool wait)
    __attribute__((noreturn));

/* `box start`'s side: 0 once started, -1 with the supervisor's error. */
#include "base/log.h"
int supervisor_read_report(int report_fd, int timeout_ms, box_err_t *err);

#endif
