/* The container's view of the cgroup filesystems: /sys/fs/cgroup as systemd
 * and busybox boot on it (cgroup.h, cgroup_mount_view), and on a v1 host
 * whose cpu and cpuacct are hierarchies of their own, a /proc/cgroups that
 * does not ask systemd to co-mount them. */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* systemd (mount_cgroup_controllers) mounts cpu with cpuacct and net_cls
 * with net_prio as "a,b" and links a and b to it, on this read-only tmpfs
 * too: a pair the host binds to no v1 hierarchy (net_cls,net_prio here:
 * hierarchy 0 in /proc/cgroups) gets those links now, dangling, so that its
 * symlink_idempotent() finds them made instead of printing "Failed to
 * create symlink /sys/fs/cgroup/net_cls: Read-only file system" at every
 * boot. A pair the host co-mounts has them already; one it mounts on two
 * hierarchies cannot be shown as one without lying (README). */
static int pair_links(const char *target, box_err_t *err)
{
	static const char *const pairs[][2] = { { "cpu", "cpuacct" }, { "net_cls", "net_prio" } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		cleanup_free char *joined = xasprintf("%s,%s", pairs[i][0], pairs[i][1]);
		cleanup_free char *a = xasprintf("%s/%s", target, pairs[i][0]);
		cleanup_free char *b = xasprintf("%s/%s", target, pairs[i][1]);
		struct stat st;
		if (lstat(a, &st) == 0 || lstat(b, &st) == 0)
			continue; /* co-mounted (linked already) or on hierarchies of their own */
		if (symlink(joined, a) < 0 || symlink(joined, b) < 0)
			return box_error(err, errno, "creating the links %s and %s", a, b);
	}
	return 0;
}

/* systemd (mount_cgroup_controllers) pairs every two controllers of
 * /proc/cgroups that it finds enabled (cpu with cpuacct, net_cls with
 * net_prio) into one mount "a,b" and links a and b to it. A host that mounts
 * a pair on two hierarchies of their own (cpu on 1, cpuacct on 2 here) cannot
 * be shown as one mount without lying about one of them, and there systemd's
 * links fail at every boot: "Failed to create symlink /sys/fs/cgroup/cpu:
 * File exists", for cpu and for cpuacct, in red. The container's
 * /proc/cgroups says instead that the two of such a pair are not enabled
 * (both: of one pair member alone systemd still links the other to it), so
 * that systemd mounts and links neither. It still uses both: which
 * controllers it drives it learns from the mounts under /sys/fs/cgroup, not
 * from this file. The file is a copy made at start: its num_cgroups column
 * stays as it was then. Nothing to do on other hosts. */
struct cgline {
	char name[32];
	unsigned hier, enabled;
};

static bool pair_split(const struct cgline *l, size_t n, const char *a, const char *b)
{
	const struct cgline *la = NULL, *lb = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(l[i].name, a))
			la = &l[i];
		if (!strcmp(l[i].name, b))
			lb = &l[i];
	}
	return la && lb && la->enabled && lb->enabled && la->hier && lb->hier && la->hier != lb->hier;
}

static int proc_cgroups_view(const char *rootfs, box_err_t *err)
{
	cleanup_free char *src = xasprintf("%s/proc/cgroups", rootfs);
	cleanup_free char *text = NULL;
	if (read_file_at(AT_FDCWD, src, &text, NULL, err) < 0)
		return -1;
	cleanup_free char *again = xstrdup(text); /* strtok_r cuts text */
	struct cgline l[64];
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < ARRAY_SIZE(l);
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned num;
		if (line[0] != '#' && sscanf(line, "%31s %u %u %u", l[n].name, &l[n].hier, &num, &l[n].enabled) == 4)
			n++;
	}
	static const char *const pairs[][2] = { { "cpu", "cpuacct" }, { "net_cls", "net_prio" } };
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
		if (pair_split(l, n, pairs[i][0], pairs[i][1])) {
			for (size_t j = 0; j < n; j++)
				if (!strcmp(l[j].name, pairs[i][0]) || !strcmp(l[j].name, pairs[i][1]))
					l[j].enabled = 0;
			any = true;
		}
	if (!any)
		return 0;
	cleanup_free char *out = xstrdup("#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
	for (char *save = NULL, *line = strtok_r(again, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned h, num, en;
		if (line[0] == '#' || sscanf(line, "%31s %u %u %u", name, &h, &num, &en) != 4)
			continue;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(l[j].name, name))
				en = l[j].enabled;
		char *next = xasprintf("%s%s\t%u\t%u\t%u\n", out, name, h, num, en);
		free(out);
		out = next;
	}
	/* written on the container's /dev tmpfs (fresh, nothing inside runs
	 * yet), bound, then unlinked: not on the view's tmpfs, which an unlinked
	 * file still in use would keep from its read-only remount (EBUSY) */
	cleanup_free char *tmp = xasprintf("%s/dev/.box-proc-cgroups", rootfs);
	if (write_file_at(AT_FDCWD, tmp, out, strlen(out), O_CREAT | O_EXCL, 0444, err) < 0)
		return -1;
	int ret = 0;
	if (mount(tmp, src, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, src, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		ret = box_error(err, errno, "binding the view of /proc/cgroups onto %s", src);
	if (unlink(tmp) < 0 && ret == 0)
		ret = box_error(err, errno, "removing %s", tmp);
	return ret;
}

/* One hierarchy at dir, rooted at the payload cgroup. A v1 one is the
 * host's mount of it bound at the payload's folder, not a mount of its own
 * in the cgroup ns: the same superblock and root (the ns root is the
 * payload, whose path /proc/self/mountinfo shows as "/" inside either way),
 * but the kernel's cgroup1_get_tree first walks every cgroup of the cgroup2
 * hierarchy (cgroup_lock_and_drain_offline): 370-430 us a mount with 500
 * containers running here (1000 cgroup2 cgroups), 9 of them a start, against
 * 17 us for a bind and its remount. cgroup2's own mount has no such walk. */
static int mount_hier(const struct cgroup *cg, const struct cgroup_hier *h, const char *dir, box_err_t *err)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (h->v2) {
		if (mount("cgroup", dir, "cgroup2", fl, NULL) < 0)
			return box_error(err, errno, "mounting cgroup2 on %s", dir);
		return 0;
	}
	/* cgroupfs has no symlinks a container could plant; nothing of the
	 * container runs yet besides this child */
	cleanup_free char *src = cgroup_path(h, cg->payload, NULL);
	if (mount(src, dir, NULL, MS_BIND, NULL) < 0 || mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | fl, NULL) < 0)
		return box_error(err, errno, "binding cgroup '%s' (%s) on %s", h->opts, src, dir);
	return 0;
}

int cgroup_mount_view(struct cgroup *cg, const char *rootfs, box_err_t *err)
{
	cleanup_free char *target = xasprintf("%s/sys/fs/cgroup", rootfs);
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (cgroup_layout() == CGROUP_UNIFIED) {
		/* one cgroup2 mount, rooted (by the cgroup ns) at the payload cgroup */
		if (mount("cgroup2", target, "cgroup2", fl, NULL) < 0)
			return box_error(err, errno, "mounting cgroup2 on %s", target);
		return 0;
	}
	/* v1/hybrid: what LXC's cgroup:mixed:force mounts. systemd reuses these
	 * mounts; it cannot make them itself here, as it co-mounts cpu,cpuacct
	 * while this kind of host has them on separate hierarchies. */
	if (mount("tmpfs", target, "tmpfs", fl, "mode=755,size=64k") < 0)
		return box_error(err, errno, "mounting a tmpfs on %s", target);
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		if (!*h[i].dir)
			continue;
		cleanup_free char *dir = xasprintf("%s/%s", target, h[i].dir);
		if (mkdir(dir, 0755) < 0)
			return box_error(err, errno, "creating %s", dir);
		if (mount_hier(cg, &h[i], dir, err) < 0)
			return -1;
		/* "cpu,cpuacct" is also reached as cpu and cpuacct, as on the host */
		if (strchr(h[i].dir, ',')) {
			cleanup_free char *names = xstrdup(h[i].dir);
			for (char *save = NULL, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				cleanup_free char *link = xasprintf("%s/%s", target, t);
				if (symlink(h[i].dir, link) < 0 && errno != EEXIST)
					return box_error(err, errno, "creating %s", link);
			}
		}
	}
	if (pair_links(target, err) < 0 || proc_cgroups_view(rootfs, err) < 0)
		return -1;
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755,size=64k") < 0)
		return box_error(err, errno, "remounting %s read-only", target);
	return 0;
}
