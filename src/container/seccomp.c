#include "container/seccomp.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mount.h>

#include "config/config.h"
#include "base/util.h"

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define cleanup_seccomp __attribute__((cleanup(seccomp_releasep)))

/* What acts on the whole host's kernel rather than the container: modules,
 * kexec, file handles (open_by_handle_at walks out of any mount), the
 * kernel's log, swap, BPF, perf events. */
static const char *const denied[] = { "kexec_load",  "kexec_file_load", "open_by_handle_at",
				      "init_module", "finit_module",	"delete_module",
				      "syslog",	     "swapon",		"swapoff",
				      "bpf",	     "perf_event_open" };
/* The kernel keyring is not namespaced: off unless keyctl = yes. */
static const char *const keyring[] = { "keyctl", "add_key", "request_key" };

static int deny(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Without nesting = yes: the namespaces a container manager needs and a
 * service manager does not. systemd's sandboxing (PrivateTmp=,
 * PrivateNetwork=, ProtectHostname=, PrivateIPC=) makes mount, net, uts and
 * ipc namespaces, which stay allowed; Docker, podman, LXC and boxes need a
 * pid namespace, and boxes and rootless podman a user namespace. */
static const unsigned long nest_ns[] = { CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWTIME };

static int deny_nesting(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < ARRAY_SIZE(nest_ns); i++) {
		/* clone's flags are its first argument on x86-64 and arm64 */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
					 SCMP_A0(SCMP_CMP_MASKED_EQ, nest_ns[i], nest_ns[i]));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, nest_ns[i], nest_ns[i]));
		if (r < 0)
			return r;
	}
	/* clone3's flags are in a struct a filter cannot read: ENOSYS makes
	 * glibc (2.34+) and Go fall back to clone, whose flags it can */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int seccomp_apply(const struct box_config *c, box_err_t *err)
{
	if (c->seccomp && !strcmp(c->seccomp, "none"))
		return 0;
	if (c->seccomp && strcmp(c->seccomp, "default"))
		return box_error(err, EINVAL, "%s: seccomp = %s: only \"default\" and \"none\" are supported", c->path,
				 c->seccomp);
	cleanup_seccomp scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return box_error(err, ENOMEM, "seccomp_init");
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	r = deny(ctx, denied, ARRAY_SIZE(denied));
	if (r == 0 && !c->keyctl)
		r = deny(ctx, keyring, ARRAY_SIZE(keyring));
	if (r == 0 && !c->nesting)
		r = deny_nesting(ctx);
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(umount2), 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, MNT_FORCE, MNT_FORCE));
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	r = seccomp_load(ctx);
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	return 0;
}
