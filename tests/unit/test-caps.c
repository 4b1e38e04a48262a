/* caps.c: which capabilities a container loses. */
#include <linux/capability.h>
#include <stdint.h>

#include "container/caps.h"
#include "config/config.h"
#include "tap.h"

#define BIT(c) (1ull << (c))

int main(void)
{
	struct box_config c = { .name = "web", .path = "/etc/boxes/web.conf" };
	box_err_t err = NULL;
	uint64_t m = 0;

	tap_ok(caps_drop_mask(&c, &m, &err) == 0, "the default drop list");
	tap_ok(m == (BIT(CAP_SYS_MODULE) | BIT(CAP_SYS_TIME) | BIT(CAP_SYS_RAWIO) | BIT(CAP_MAC_ADMIN) |
		     BIT(CAP_MAC_OVERRIDE) | BIT(CAP_SYSLOG) | BIT(CAP_BPF) | BIT(CAP_PERFMON)),
	       "is LXC's: sys_module sys_time sys_rawio mac_admin mac_override, and syslog bpf perfmon");
	tap_ok(!(m & BIT(CAP_SYS_BOOT)) && !(m & BIT(CAP_SYS_ADMIN)), "sys_boot and sys_admin stay");

	char *drop[] = { "net_raw", "sys_ptrace", NULL };
	c.capabilities_drop = drop;
	tap_ok(caps_drop_mask(&c, &m, &err) == 0 && (m & BIT(CAP_NET_RAW)) && (m & BIT(CAP_SYS_PTRACE)) &&
		   (m & BIT(CAP_SYS_MODULE)),
	       "capabilities_drop adds to the defaults");

	char *keep[] = { "chown", "sys_admin", "net_admin", NULL };
	c.capabilities_drop = NULL;
	c.capabilities_keep = keep;
	tap_ok(caps_drop_mask(&c, &m, &err) == 0, "capabilities_keep");
	tap_ok(!(m & BIT(CAP_CHOWN)) && !(m & BIT(CAP_SYS_ADMIN)) && !(m & BIT(CAP_NET_ADMIN)) &&
		   (m & BIT(CAP_SYS_BOOT)) && (m & BIT(CAP_SYS_MODULE)) && (m & BIT(CAP_KILL)),
	       "keeps only the named ones");

	char *bad[] = { "sys_frobnicate", NULL };
	c.capabilities_keep = NULL;
	c.capabilities_drop = bad;
	tap_ok(caps_drop_mask(&c, &m, &err) < 0 && err, "an unknown capability is an error");
	tap_ok(err && strstr(err->msg, "sys_frobnicate") && strstr(err->msg, "web.conf"),
	       "naming the capability and the file");
	box_error_release(&err);
	return tap_done();
}
