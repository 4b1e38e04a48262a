/* init probed from /proc/PID (the host's view of the container's init). */
#ifndef BOX_RUNTIME_PROBE_H
#define BOX_RUNTIME_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

/* Does init speak sd_notify (systemd)? */
bool probe_init_systemd(pid_t pid);
/* Will init see sig now (it catches, blocks or waits for it)? */
bool probe_init_listens(pid_t pid, int sig);
/* The signal that asks init to halt: configured when > 0, else SIGRTMIN+3
 * when init blocks or catches it (systemd), else SIGPWR. */
int probe_halt_signal(pid_t init, int configured);

#endif
