#include "container/seccomp.h"

#include <errno.h>
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

static const char *const denied[] = { "kexec_load",  "kexec_file_load", "open_by_handle_at",
				      "init_module", "finit_module",	"delete_module" };

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
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return box_error(err, -r, "loading the seccomp filter");
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(umount2), 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, MNT_FORCE, MNT_FORCE));
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	r = seccomp_load(ctx);
	if (r < 0)
		return box_error(err, -r, "loading the seccomp filter");
	return 0;
}
