/* The mountinfo line parser (base/mountinfo.c): every field, the optional
 * ones skipped up to the separator, none or several of them, a trailing
 * newline, escapes left as they are; lines short of a field refused. */
#include <string.h>

#include "base/mountinfo.h"
#include "tap.h"

static void parses(const char *text, unsigned long long id, const char *mp, const char *fstype, const char *source,
		   const char *superopts)
{
	char line[512];
	struct mountinfo m;
	strcpy(line, text);
	bool ok = mountinfo_parse(line, &m);
	tap_ok(ok, "parses: %s", text);
	if (!ok)
		return;
	tap_ok(m.id == id, "  id %llu", id);
	tap_streq(m.mountpoint, mp, "  mount point");
	tap_streq(m.fstype, fstype, "  fstype");
	tap_streq(m.source, source, "  source");
	tap_streq(m.superopts, superopts, "  super options");
}

static void refuses(const char *text)
{
	char line[512];
	struct mountinfo m;
	strcpy(line, text);
	tap_ok(!mountinfo_parse(line, &m), "refuses: %s", text);
}

int main(void)
{
	parses("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n", 36, "/mnt2", "ext3",
	       "/dev/root", "rw,errors=continue");
	parses("35 25 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:10 master:3 - cgroup cgroup rw,cpu", 35,
	       "/sys/fs/cgroup/cpu", "cgroup", "cgroup", "rw,cpu");
	parses("1234 1 0:5 / / rw - overlay overlay rw,lowerdir=/a:/b", 1234, "/", "overlay", "overlay",
	       "rw,lowerdir=/a:/b");
	parses("40 25 0:35 / /mnt/with\\040space rw - tmpfs tmpfs rw", 40, "/mnt/with\\040space", "tmpfs", "tmpfs",
	       "rw");
	refuses("");
	refuses("garbage");
	refuses("x 25 0:35 / /mnt rw - tmpfs tmpfs rw");
	refuses("40 25 0:35 / /mnt rw shared:1");
	refuses("40 25 0:35 / /mnt rw - tmpfs tmpfs");
	return tap_done();
}
