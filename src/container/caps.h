/* The capabilities a container keeps (libcap). By default all but LXC's
 * drop list: sys_module, sys_time, sys_rawio, mac_admin, mac_override, and
 * syslog, bpf, perfmon (the host's kernel log, BPF, perf: nothing a system
 * container needs);
 * sys_boot stays (reboot(2) in a pid namespace only ends the container, and
 * sysvinit's shutdown needs it). The config's capabilities_drop adds to the
 * list; capabilities_keep, when set, keeps only the caps it names. */
#ifndef BOX_CAPS_H
#define BOX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct box_config;

/* The capabilities to drop as a bit mask (bit N = capability N). */
int caps_drop_mask(const struct box_config *c, uint64_t *mask, box_err_t *err);
/* Drops them from every set of the caller (bounding, permitted, effective,
 * inheritable, ambient), so that neither the caller before its exec nor what
 * it execs (init, an attached command) has them. Needs CAP_SETPCAP: the last
 * privileged step. */
int caps_apply(const struct box_config *c, box_err_t *err);

#endif
