/* The cgroup module on this host's real layout, without the runtime: create,
 * limits in the kernel's files, devices, enter, freeze, kill of a forking
 * process, the container's /sys/fs/cgroup view, destroy. Needs root: tests/run
 * runs it with the integration tests, 35-cgroup-v2 in its VM. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "config/config.h"
#include "tap.h"
#include "base/util.h"

static char name[32];

static bool exists_everywhere(struct cgroup *cg, const char *rel)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		char *p = cgroup_path(&h[i], rel, NULL);
		bool ok = access(p, F_OK) == 0;
		if (!ok)
			printf("#   missing %s\n", p);
		free(p);
		if (!ok)
			return false;
	}
	return n > 0;
}

static bool none_left(struct cgroup *cg)
{
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		char *p = cgroup_path(&h[i], cg->limit, NULL);
		bool there = access(p, F_OK) == 0;
		if (there)
			printf("#   left: %s\n", p);
		free(p);
		if (there)
			return false;
	}
	return true;
}

static char *knob(const char *ctrl, struct cgroup *cg, const char *file)
{
	const struct cgroup_hier *h = cgroup_layout() == CGROUP_UNIFIED ? cgroup_v2_hier() : cgroup_v1_hier(ctrl);
	char *s = NULL;
	box_err_t e = NULL;
	if (!h || cgroup_read(h, cg->limit, file, &s, &e) < 0) {
		box_error_release(&e);
		return xstrdup("(unreadable)");
	}
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* A child in the container's cgroup, joined as box start and attach do. */
static pid_t child_in(struct cgroup *cg, void (*fn)(void))
{
	struct cgroup_join j;
	box_err_t e = NULL;
	if (cgroup_join_open(cg, CGROUP_JOIN_PAYLOAD, &j, &e) < 0) {
		char *t = box_error_text(e);
		printf("#   join: %s\n", t);
		free(t);
		box_error_release(&e);
		return -1;
	}
	fflush(NULL);
	struct clone_args ca = { .exit_signal = SIGCHLD };
	cgroup_join_clone_args(&j, &ca);
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		if (cgroup_join_self(&j, &e) < 0)
			_exit(99);
		fn();
		_exit(0);
	}
	cgroup_join_close(&j);
	return pid;
}

static void try_devices(void)
{
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		_exit(1);
	close(fd);
	/* a block device node made here: mknod is allowed, opening is not. In
	 * /dev: a /tmp that is a tmpfs (systemd's tmp.mount) is nodev, and
	 * would refuse it before the devices cgroup is asked */
	char path[96];
	snprintf(path, sizeof(path), "/dev/%s-blk", name);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600, makedev(7, 0)) < 0)
		_exit(2);
	fd = open(path, O_RDONLY);
	int e = errno;
	unlink(path);
	if (fd >= 0)
		_exit(3);
	_exit(e == EPERM ? 0 : 4);
}

static void fork_sleepers(void)
{
	for (int i = 0; i < 20; i++)
		if (fork() == 0) {
			for (;;)
				if (fork() == 0)
					pause();
				else
					sleep(1);
		}
	pause();
}

static void spin(void)
{
	for (;;)
		;
}

/* the cgroup whose view view() mounts: a v1 hierarchy's is its payload bound */
static struct cgroup *view_cg;

static void view(void)
{
	/* what the runtime's child does: in the cgroup already, new cgroup ns, mount view */
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
		_exit(10);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(11);
	char root[128], d[320];
	snprintf(root, sizeof(root), "/tmp/%s-root", name);
	snprintf(d, sizeof(d), "%s/sys/fs/cgroup", root);
	box_err_t e = NULL;
	if (mkdir_p(d, 0755, &e) < 0)
		_exit(12);
	/* as in the child, the view comes after proc and the /dev tmpfs: on a
	 * host with cpu and cpuacct apart it binds its own /proc/cgroups,
	 * written on that tmpfs */
	char pd[320];
	snprintf(pd, sizeof(pd), "%s/proc", root);
	if (mkdir_p(pd, 0755, &e) < 0 || mount("proc", pd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		_exit(14);
	snprintf(pd, sizeof(pd), "%s/dev", root);
	if (mkdir_p(pd, 0755, &e) < 0 || mount("tmpfs", pd, "tmpfs", MS_NOSUID, "mode=755") < 0)
		_exit(15);
	if (cgroup_mount_view(view_cg, root, &e) < 0) {
		char *t = box_error_text(e);
		fprintf(stderr, "# view: %s\n", t);
		_exit(13);
	}
	/* our own pid is at the root of each mounted hierarchy: the view is the payload */
	char pidline[32];
	snprintf(pidline, sizeof(pidline), "%d\n", (int)getpid());
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		char p[512], *s = NULL;
		snprintf(p, sizeof(p), "%s/%s/cgroup.procs", d, h[i].dir);
		if (read_file_at(AT_FDCWD, p, &s, NULL, &e) < 0 || strcmp(s, pidline)) {
			fprintf(stderr, "# %s: %s\n", p, s ? s : "unreadable");
			_exit(14);
		}
		free(s);
	}
	/* and the host's tree is not there */
	snprintf(d, sizeof(d), "%s/sys/fs/cgroup/%s/boxes", root, n > 1 ? h[0].dir : "");
	if (access(d, F_OK) == 0)
		_exit(15);
	if (cgroup_layout() != CGROUP_UNIFIED) {
		snprintf(d, sizeof(d), "%s/sys/fs/cgroup/cpu/cpu.cfs_quota_us", root);
		if (access(d, F_OK) < 0)
			_exit(16);
		snprintf(d, sizeof(d), "%s/sys/fs/cgroup/cpuacct/cpuacct.usage", root);
		if (access(d, F_OK) < 0)
			_exit(17);
		/* a sub-cgroup, as systemd makes */
		snprintf(d, sizeof(d), "%s/sys/fs/cgroup/systemd/init.scope", root);
		if (mkdir(d, 0755) < 0)
			_exit(18);
		rmdir(d);
	}
	_exit(0);
}

static int status_of(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void report(box_err_t *e)
{
	if (*e) {
		char *t = box_error_text(*e);
		printf("#   %s\n", t);
		free(t);
		box_error_release(e);
	}
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok 1 - needs root (tests/run runs it with the integration tests)\n1..1\n");
		return 1;
	}
	snprintf(name, sizeof(name), "tcg%d", (int)getpid());
	box_err_t e = NULL;
	enum cgroup_layout l = cgroup_layout();
	printf("# layout %s\n", cgroup_layout_name(l));

	struct cgroup *cg = NULL, *cg2 = NULL;
	tap_ok(cgroup_create("boxes-test", name, &cg, &e) == 0, "cgroup_create");
	report(&e);
	if (!cg)
		return tap_done();
	tap_ok(exists_everywhere(cg, cg->limit) && exists_everywhere(cg, cg->payload),
	       "limit and payload cgroups in every hierarchy");
	tap_ok(cgroup_create("boxes-test", name, &cg2, &e) < 0 && e && e->errnum == EEXIST,
	       "a second create fails with EEXIST");
	box_error_release(&e);
	tap_ok(cgroup_open("boxes-test", name, &cg2, &e) == 0, "cgroup_open finds it");
	cgroup_free(cg2);
	cg2 = NULL;
	tap_ok(cgroup_open("boxes-test", "nosuch", &cg2, &e) < 0 && e->errnum == ENOENT,
	       "open of a missing one: ENOENT");
	box_error_release(&e);

	struct cgroup_limits lim = {
		.memory = 64 << 20,
		.swap = 32 << 20,
		.cpus_milli = 500,
		.cpu_weight = 200,
		.cpuset = "0",
		.pids = 50,
		.io_weight = 100,
	};
	tap_ok(cgroup_set_limits(cg, &lim, &e) == 0, "cgroup_set_limits");
	report(&e);
	char *s;
	bool v2 = l == CGROUP_UNIFIED;
	s = knob("memory", cg, v2 ? "memory.max" : "memory.limit_in_bytes");
	tap_streq(s, "67108864", "memory limit in the kernel file");
	free(s);
	s = knob("pids", cg, "pids.max");
	tap_streq(s, "50", "pids.max");
	free(s);
	s = knob("cpu", cg, v2 ? "cpu.max" : "cpu.cfs_quota_us");
	tap_streq(s, v2 ? "50000 100000" : "50000", "cpu quota");
	free(s);
	s = knob("cpu", cg, v2 ? "cpu.weight" : "cpu.shares");
	tap_streq(s, v2 ? "200" : "2048", "cpu weight");
	free(s);
	s = knob("cpuset", cg, "cpuset.cpus");
	tap_streq(s, "0", "cpuset.cpus");
	free(s);

	struct cgroup_limits back;
	tap_ok(cgroup_read_limits(cg, &back, &e) == 0 && back.memory == lim.memory && back.pids == 50 &&
		   back.cpus_milli == 500 && back.cpu_weight == 200,
	       "cgroup_read_limits gives the limits back");
	free((char *)back.cpuset);

	char **changes = NULL;
	tap_ok(cgroup_update_limits(cg, &lim, &changes, &e) == 0 && strv_len(changes) == 0,
	       "updating with the same limits changes nothing");
	strv_free(changes);
	changes = NULL;
	lim.memory = 128 << 20;
	lim.cpuset = NULL;
	tap_ok(cgroup_update_limits(cg, &lim, &changes, &e) == 0 && strv_len(changes) >= 1,
	       "raising memory and dropping cpuset is reported");
	report(&e);
	for (size_t i = 0; changes && changes[i]; i++)
		printf("#   %s\n", changes[i]);
	strv_free(changes);
	lim.pids = BOX_UNLIMITED;
	struct cgroup_limits bad = lim;
	bad.cpuset = "99";
	tap_ok(cgroup_set_limits(cg, &bad, &e) < 0, "a cpuset of CPUs the host lacks is refused");
	if (e) {
		char *t = box_error_text(e);
		tap_ok(strstr(t, "cpuset") != NULL, "the error names the key: %s", t);
		free(t);
	}
	box_error_release(&e);

	tap_ok(cgroup_set_devices(cg, &e) == 0, "cgroup_set_devices");
	report(&e);
	pid_t pid = child_in(cg, try_devices);
	tap_ok(status_of(pid) == 0, "inside: /dev/null opens, a block device node does not");

	/* the v2 program on its own, in the cgroup2 hierarchy (hybrid: unified) */
	const struct cgroup_hier *u = cgroup_v2_hier();
	if (u) {
		char *rel = xasprintf("boxes-test/%s-bpf", name);
		char *dir = cgroup_path(u, rel, NULL);
		mkdir(dir, 0755);
		tap_ok(cgroup_bpf_attach_devices(dir, &e) == 0, "BPF_CGROUP_DEVICE program loads and attaches");
		report(&e);
		tap_ok(cgroup_bpf_count(dir) == 1 && cgroup_bpf_attach_devices(dir, &e) == 0 &&
			   cgroup_bpf_count(dir) == 1,
		       "attaching again keeps one program");
		pid = fork();
		if (pid == 0) {
			char v[16];
			snprintf(v, sizeof(v), "%d", (int)getpid());
			if (cgroup_write(u, rel, "cgroup.procs", v, &e) < 0)
				_exit(9);
			try_devices();
		}
		tap_ok(status_of(pid) == 0, "v2 program: /dev/null opens, a block device node does not");
		rmdir(dir);
		free(dir);
		free(rel);
	}

	pid = child_in(cg, fork_sleepers);
	/* polled for up to 10 s: a loaded machine (or a TCG VM) may take a
	 * while to run the 20 forks */
	struct cgroup_stats st;
	int r;
	for (int i = 0; i < 200; i++) {
		r = cgroup_stats(cg, &st, &e);
		if (r < 0 || st.pids_current >= 10)
			break;
		usleep(50000);
	}
	tap_ok(r == 0 && st.pids_current >= 10, "stats: pids_current %llu", (unsigned long long)st.pids_current);
	tap_ok(st.memory_current > 0, "stats: memory_current %llu", (unsigned long long)st.memory_current);
	tap_ok(!cgroup_is_frozen(cg), "cgroup_is_frozen: not before the freeze");
	tap_ok(cgroup_freeze(cg, true, &e) == 0 && cgroup_stats(cg, &st, &e) == 0 && st.frozen, "freeze");
	report(&e);
	tap_ok(cgroup_is_frozen(cg), "cgroup_is_frozen: frozen");
	tap_ok(cgroup_freeze(cg, false, &e) == 0 && cgroup_stats(cg, &st, &e) == 0 && !st.frozen, "thaw");
	tap_ok(!cgroup_is_frozen(cg), "cgroup_is_frozen: thawed");
	tap_ok(!cgroup_is_empty(cg), "not empty with processes in it");
	tap_ok(cgroup_kill(cg, &e) == 0, "cgroup_kill of a forking tree");
	report(&e);
	tap_ok(cgroup_is_empty(cg), "empty after the kill");
	status_of(pid);

	pid = child_in(cg, spin);
	usleep(300000);
	r = cgroup_stats(cg, &st, &e);
	tap_ok(r == 0 && st.cpu_usage_ns > 0, "stats: cpu usage %llu ns", (unsigned long long)st.cpu_usage_ns);
	cgroup_kill(cg, &e);
	report(&e);
	status_of(pid);

	view_cg = cg;
	pid = child_in(cg, view);
	tap_ok(status_of(pid) == 0, "the container's /sys/fs/cgroup view is rooted at its cgroup");
	char root[128];
	snprintf(root, sizeof(root), "/tmp/%s-root", name);
	rm_rf_at(AT_FDCWD, root, &e);
	box_error_release(&e);

	/* systemd-like leftovers are removed depth-first */
	size_t n;
	const struct cgroup_hier *h = cgroup_hiers(&n);
	for (size_t i = 0; i < n; i++) {
		char *p = cgroup_path(&h[i], cg->payload, "system.slice");
		mkdir(p, 0755);
		free(p);
	}
	tap_ok(cgroup_destroy(cg, &e) == 0, "cgroup_destroy with sub-cgroups left inside");
	report(&e);
	tap_ok(none_left(cg), "nothing left in any hierarchy");
	tap_ok(cgroup_destroy(cg, &e) == 0, "destroy again is a no-op");
	cgroup_free(cg);
	for (size_t i = 0; i < n; i++) {
		char *p = cgroup_path(&h[i], "boxes-test", NULL);
		rmdir(p);
		free(p);
	}
	return tap_done();
}
