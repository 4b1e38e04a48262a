#include "container/caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "config/config.h"
#include "base/util.h"

static void cap_freep(cap_t *caps)
{
	if (*caps)
		cap_free(*caps);
}
#define cleanup_cap __attribute__((cleanup(cap_freep)))

/* LXC's list, and what reads or acts on the whole host's kernel: its log
 * (syslog), BPF programs and maps, perf events */
static const char *const default_drop[] = { "sys_module",   "sys_time", "sys_rawio", "mac_admin",
					    "mac_override", "syslog",	"bpf",	     "perfmon" };

static int cap_number(const char *name, cap_value_t *v, box_err_t *err)
{
	char full[64];
	snprintf(full, sizeof(full), "cap_%s", name);
	if (cap_from_name(full, v) < 0)
		return box_error(err, EINVAL, "unknown capability '%s'", name);
	return 0;
}

int caps_drop_mask(const struct box_config *c, uint64_t *mask, box_err_t *err)
{
	uint64_t drop = 0;
	cap_value_t v;
	int last = (int)cap_max_bits() - 1;
	if (c->capabilities_keep && c->capabilities_keep[0]) {
		uint64_t keep = 0;
		for (size_t i = 0; c->capabilities_keep[i]; i++) {
			if (cap_number(c->capabilities_keep[i], &v, err) < 0)
				return box_error_wrap(err, "%s: capabilities_keep", c->path);
			keep |= 1ull << v;
		}
		for (int i = 0; i <= last; i++)
			if (!(keep & (1ull << i)))
				drop |= 1ull << i;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(default_drop); i++)
			if (cap_number(default_drop[i], &v, NULL) == 0 && v <= last)
				drop |= 1ull << v;
	}
	for (size_t i = 0; c->capabilities_drop && c->capabilities_drop[i]; i++) {
		if (cap_number(c->capabilities_drop[i], &v, err) < 0)
			return box_error_wrap(err, "%s: capabilities_drop", c->path);
		drop |= 1ull << v;
	}
	*mask = drop;
	return 0;
}

int caps_apply(const struct box_config *c, box_err_t *err)
{
	uint64_t drop;
	if (caps_drop_mask(c, &drop, err) < 0)
		return -1;
	int last = (int)cap_max_bits() - 1;
	cleanup_cap cap_t caps = cap_get_proc();
	if (!caps)
		return box_error(err, errno, "reading capabilities");
	for (int i = 0; i <= last; i++) {
		if (!(drop & (1ull << i)))
			continue;
		cap_value_t v = i;
		if (cap_drop_bound(v) < 0 && errno != EINVAL)
			return box_error(err, errno, "dropping %s from the bounding set", cap_to_name(v));
		/* out of the effective and permitted sets too: the process is
		 * visible (and ptrace-able) inside before it execs */
		cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_CLEAR);
		cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_CLEAR);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
	}
	if (cap_set_proc(caps) < 0)
		return box_error(err, errno, "setting capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return box_error(err, errno, "clearing ambient capabilities");
	return 0;
}
