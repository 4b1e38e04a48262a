/* The syscall filter of a privileged container (libseccomp), LXC's
 * common.seccomp denylist and more: kexec_load, kexec_file_load,
 * open_by_handle_at, init_module, finit_module, delete_module, syslog,
 * swapon, swapoff, bpf, perf_event_open fail with EPERM, umount2(MNT_FORCE)
 * too, and keyctl, add_key, request_key unless the config says keyctl = yes;
 * unless it says nesting = yes, unshare and clone fail with EPERM for a new
 * user, pid, cgroup or time namespace, and clone3 with ENOSYS (glibc falls
 * back to clone).
 * Config `seccomp`: "default" (this list), "none". */
#ifndef BOX_SECCOMP_H
#define BOX_SECCOMP_H

#include "base/log.h"

struct box_config;

/* Loads the filter into the caller; without no_new_privs, so setuid programs
 * in the container keep working. */
int seccomp_apply(const struct box_config *c, box_err_t *err);
/* The same in two steps, so that the filter is built (libseccomp's BPF
 * generation, ~1 ms here) while the container's child prepares, by the
 * supervisor, off the child's path: the BPF program in a sealed memfd
 * (empty for seccomp = none), returned; then loaded in the child. */
int seccomp_export(const struct box_config *c, box_err_t *err);
int seccomp_load_exported(int fd, box_err_t *err);

#endif
