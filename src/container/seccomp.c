#include "container/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* The filter of the config in ctx (NULL: seccomp = none). */
static int build(const struct box_config *c, scmp_filter_ctx *out, box_err_t *err)
{
	*out = NULL;
	if (c->seccomp && !strcmp(c->seccomp, "none"))
		return 0;
	if (c->seccomp && strcmp(c->seccomp, "default"))
		return box_error(err, EINVAL, "%s: seccomp = %s: only \"default\" and \"none\" are supported", c->path,
				 c->seccomp);
	cleanup_seccomp scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return box_error(err, ENOMEM, "seccomp_init");
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = deny(ctx, denied, ARRAY_SIZE(denied));
	if (r == 0 && !c->keyctl)
		r = deny(ctx, keyring, ARRAY_SIZE(keyring));
	if (r == 0 && !c->nesting)
		r = deny_nesting(ctx);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(umount2), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, MNT_FORCE, MNT_FORCE));
	if (r < 0)
		return box_error(err, -r, "building the seccomp filter");
	*out = ctx;
	ctx = NULL;
	return 0;
}

int seccomp_apply(const struct box_config *c, box_err_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	if (build(c, &ctx, err) < 0)
		return -1;
	int r = ctx ? seccomp_load(ctx) : 0;
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	return 0;
}

int seccomp_export(const struct box_config *c, box_err_t *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	if (build(c, &ctx, err) < 0)
		return -1;
	int fd = memfd_create("box-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return box_error(err, errno, "memfd_create for the seccomp filter");
	int r = ctx ? seccomp_export_bpf(ctx, fd) : 0;
	/* sealed: what the child loads is what was built here */
	if (r < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = r < 0 ? -r : errno;
		close(fd);
		return box_error(err, e, "exporting the seccomp filter");
	}
	return fd;
}

int seccomp_load_exported(int fd, box_err_t *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return box_error(err, errno, "reading the seccomp filter");
	if (st.st_size == 0)
		return 0; /* seccomp = none */
	size_t n = (size_t)st.st_size;
	if (n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return box_error(err, EINVAL, "the seccomp filter: %zu bytes", n);
	cleanup_free struct sock_filter *insns = xmalloc(n);
	if (pread(fd, insns, n, 0) != (ssize_t)n)
		return box_error(err, errno ? errno : EIO, "reading the seccomp filter");
	struct sock_fprog prog = { .len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = insns };
	/* what seccomp_load does with no_new_privs off (SCMP_FLTATR_CTL_NNP 0):
	 * no flags; the caller has CAP_SYS_ADMIN in its user namespace */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return box_error(err, errno, "loading the seccomp filter");
	return 0;
}
