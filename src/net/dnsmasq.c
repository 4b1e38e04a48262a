/* One dnsmasq per managed bridge and the small daemon that keeps it
 * running (net/dnsmasq.h). */
#include "net/dnsmasq.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/values.h"
#include "net/name.h"

static char *run_path(const char *bridge, const char *file)
{
	return xasprintf("%s/bridges.d/%s%s%s", paths_run_dir(), bridge, file ? "/" : "", file ? file : "");
}

static char *lease_path(const char *bridge)
{
	return xasprintf("%s/bridges.d/%s/leases", paths_state_dir(), bridge);
}

static char *log_path(const char *bridge)
{
	return xasprintf("%s/bridges.d/%s.log", paths_log_dir(), bridge);
}

static void dlog(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dlog(int fd, const char *fmt, ...)
{
	char when[32], msg[512];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(fd, "%s box-dnsmasq: %s\n", when, msg);
}

static int write_conf(const struct box_bridge *b, box_err_t *err)
{
	cleanup_free char *dir = run_path(b->name, NULL);
	cleanup_free char *hosts = run_path(b->name, "hosts");
	cleanup_free char *leases = lease_path(b->name);
	cleanup_free char *ldir = xasprintf("%s/bridges.d/%s", paths_state_dir(), b->name);
	cleanup_free char *logdir = xasprintf("%s/bridges.d", paths_log_dir());
	cleanup_free char *pid = run_path(b->name, "dnsmasq.pid");
	cleanup_free char *logf = log_path(b->name);
	cleanup_free char *conf = run_path(b->name, "dnsmasq.conf");
	if (mkdir_p(hosts, 0755, err) < 0 || mkdir_p(ldir, 0755, err) < 0 || mkdir_p(logdir, 0755, err) < 0)
		return -1;
	const struct box_addr *v4 = NULL;
	for (size_t i = 0; i < b->n_addrs && !v4; i++)
		if (b->addrs[i].family == AF_INET)
			v4 = &b->addrs[i];
	cleanup_free char *text =
	    xasprintf("# written by boxes for bridge %s at each start of its dnsmasq; edits are lost\n"
		      "interface=%s\nbind-dynamic\nexcept-interface=lo\nstrict-order\nno-hosts\n"
		      "user=nobody\npid-file=%s\nlog-facility=%s\ndhcp-leasefile=%s\nconf-dir=%s,*.conf\n",
		      b->name, b->name, pid, logf, leases, hosts);
	char *t;
	if (b->dns) {
		t = xasprintf("%sdomain=%s\nlocal=/%s/\nexpand-hosts\ndomain-needed\n", text, b->domain, b->domain);
	} else {
		t = xasprintf("%sport=0\n", text);
	}
	free(text);
	text = t;
	if (b->dhcp && v4) {
		uint32_t mask = v4->prefix ? htonl(~0u << (32 - v4->prefix)) : 0;
		char m[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &mask, m, sizeof(m));
		inet_ntop(AF_INET, v4->addr, ip, sizeof(ip));
		t = xasprintf("%sdhcp-range=%s,%s,%s,1h\ndhcp-authoritative\ndhcp-option=option:router,%s\n%s", text,
			      b->dhcp_start.text, b->dhcp_end.text, m, ip,
			      b->dns ? "" : "dhcp-option=option:dns-server\n");
		free(text);
		text = t;
	}
	return write_file_atomic(conf, text, strlen(text), 0644, err);
}

static int open_lock(const char *bridge, box_err_t *err)
{
	cleanup_free char *path = run_path(bridge, "daemon.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	return fd;
}

static pid_t read_pid(const char *path)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, path, &buf, &len, &e) < 0) {
		box_error_release(&e);
		return 0;
	}
	long v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : 0;
}

bool dnsmasq_running(const char *bridge, pid_t *pid)
{
	box_err_t e = NULL;
	if (pid)
		*pid = 0;
	cleanup_free char *path = run_path(bridge, "daemon.lock");
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	box_error_release(&e);
	if (held && pid) {
		cleanup_free char *p = run_path(bridge, "dnsmasq.pid");
		*pid = read_pid(p);
	}
	return held;
}

/* Runs dnsmasq, which daemonizes once it is up (its parent exits 0) or says
 * why not on stderr (exit status 1..5). *pid: the running dnsmasq. */
static int run_dnsmasq(const char *bridge, pid_t *pid, char *why, size_t whylen)
{
	cleanup_free char *conf = run_path(bridge, "dnsmasq.conf");
	cleanup_free char *pidf = run_path(bridge, "dnsmasq.pid");
	cleanup_free char *arg = xasprintf("--conf-file=%s", conf);
	int p[2];
	why[0] = '\0';
	unlink(pidf);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), -1;
	pid_t c = fork();
	if (c < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (c == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(p[1], 2);
		execl(DNSMASQ_BIN, "dnsmasq", arg, (char *)NULL);
		dprintf(2, "cannot run " DNSMASQ_BIN " (Debian package dnsmasq-base): %s", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	int st = 0;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	ssize_t n = read(p[0], why, whylen - 1);
	close(p[0]);
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (!why[0])
			snprintf(why, whylen, "dnsmasq exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	*pid = read_pid(pidf);
	if (*pid <= 0)
		return snprintf(why, whylen, "dnsmasq started but wrote no pid file"), -1;
	return 0;
}

/* Stops dnsmasq (its pidfd): SIGTERM, 5 s, SIGKILL. */
static void end_dnsmasq(int pidfd)
{
	if (pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	struct pollfd pf = { .fd = pidfd, .events = POLLIN };
	if (poll(&pf, 1, 5000) <= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	poll(&pf, 1, 5000);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int start_watched(const char *bridge, int logfd, int *pidfd, char *why, size_t len)
{
	pid_t pid;
	if (run_dnsmasq(bridge, &pid, why, len) < 0)
		return -1;
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd < 0)
		return snprintf(why, len, "pidfd_open of dnsmasq %d: %s", (int)pid, strerror(errno)), -1;
	dlog(logfd, "dnsmasq started, pid %d", (int)pid);
	return 0;
}

/* The daemon: runs dnsmasq, restarts it when it dies (at most once a
 * second), restarts it on SIGHUP, stops it on SIGTERM. Never returns. */
__attribute__((noreturn)) static void daemon_main(const char *bridge, int lockfd, int report)
{
	char why[512];
	cleanup_free char *logf = log_path(bridge);
	int logfd = open(logf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	prctl(PR_SET_NAME, "box-dnsmasq");
	/* dnsmasq daemonizes: as our orphan it becomes our child, reaped here */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	cleanup_free char *pidpath = run_path(bridge, "daemon.pid");
	cleanup_free char *pidtext = xasprintf("%d\n", (int)getpid());
	box_err_t e = NULL;
	int pidfd = -1;
	if (write_file_atomic(pidpath, pidtext, strlen(pidtext), 0644, &e) < 0) {
		snprintf(why, sizeof(why), "%s", e->msg);
		box_error_release(&e);
	} else if (start_watched(bridge, logfd, &pidfd, why, sizeof(why)) == 0) {
		why[0] = '\0';
	}
	write_all(report, why[0] ? why : "ok", why[0] ? strlen(why) : 2);
	close(report);
	if (why[0]) {
		dlog(logfd, "dnsmasq did not start: %s", why);
		unlink(pidpath);
		_exit(1);
	}
	for (;;) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (poll(pf, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 1000) < 0 && errno != EINTR)
			break;
		bool restart = pidfd < 0;
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					break;
				if (si.ssi_signo == SIGHUP) {
					end_dnsmasq(pidfd);
					close(pidfd);
					pidfd = -1;
					restart = true;
				}
			}
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		if (pidfd >= 0 && (pf[1].revents & POLLIN)) {
			dlog(logfd, "dnsmasq ended; starting it again in 1 s");
			close(pidfd);
			pidfd = -1;
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			sleep(1);
			restart = true;
		}
		if (restart && start_watched(bridge, logfd, &pidfd, why, sizeof(why)) < 0) {
			dlog(logfd, "dnsmasq did not start: %s (again in 1 s)", why);
			pidfd = -1;
		}
	}
	end_dnsmasq(pidfd);
	dlog(logfd, "stopped");
	cleanup_free char *dpid = run_path(bridge, "dnsmasq.pid");
	unlink(dpid);
	unlink(pidpath);
	close(lockfd);
	_exit(0);
}

/* A dnsmasq of this bridge whose daemon died (a kill -9) still holds the
 * bridge's DHCP and DNS ports, and a new one could not start: it is ended
 * first. Only a process whose command line names this bridge's config
 * (pid files outlive their processes). Not our child: nothing to reap. */
static void end_orphan(const char *bridge)
{
	cleanup_free char *pidf = run_path(bridge, "dnsmasq.pid");
	cleanup_free char *conf = run_path(bridge, "dnsmasq.conf");
	cleanup_free char *want = xasprintf("--conf-file=%s", conf);
	pid_t pid = read_pid(pidf);
	char path[64], cmd[4096];
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, cmd, sizeof(cmd) - 1);
	if (fd >= 0)
		close(fd);
	bool ours = false;
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(cmd + i) + 1) {
		cmd[n] = '\0';
		ours |= !strcmp(cmd + i, want);
	}
	if (ours && pfd >= 0) {
		struct pollfd pf = { .fd = pfd, .events = POLLIN };
		syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0);
		if (poll(&pf, 1, 5000) <= 0)
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		poll(&pf, 1, 5000);
	}
	if (pfd >= 0)
		close(pfd);
}

/* Forks the daemon (twice, setsid: no terminal, not our child) and waits
 * for its word: dnsmasq runs, or why not. */
static int start_daemon(const char *bridge, box_err_t *err)
{
	end_orphan(bridge);
	int lockfd = open_lock(bridge, err);
	if (lockfd < 0)
		return -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(lockfd);
		return box_error(err, errno, "pipe");
	}
	pid_t c = fork();
	if (c < 0) {
		close(lockfd);
		close(p[0]);
		close(p[1]);
		return box_error(err, errno, "fork");
	}
	if (c == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		if (chdir("/") < 0)
			_exit(1);
		/* nothing of the caller's (a supervisor's lock, sockets) may stay open */
		if (dup2(p[1], 3) < 0 || dup2(lockfd, 4) < 0)
			_exit(1);
		syscall(SYS_close_range, 5, ~0U, 0);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (flock(4, LOCK_EX | LOCK_NB) < 0) {
			write_all(3, "ok", 2); /* another one runs */
			_exit(0);
		}
		daemon_main(bridge, 4, 3);
	}
	close(p[1]);
	close(lockfd);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
	char why[512];
	ssize_t n = read_all(p[0], why, sizeof(why) - 1);
	close(p[0]);
	why[n > 0 ? n : 0] = '\0';
	if (n == 2 && !strcmp(why, "ok"))
		return 0;
	return box_error(err, 0, "bridge %s: dnsmasq: %s", bridge, n > 0 ? why : "its daemon ended without a word");
}

int dnsmasq_ensure(const struct box_bridge *b, box_err_t *err)
{
	if (access(DNSMASQ_BIN, X_OK) < 0)
		return box_error(err, errno, "bridge %s: dhcp/dns need " DNSMASQ_BIN " (Debian package dnsmasq-base)",
				 b->name);
	if (write_conf(b, err) < 0)
		return box_error_wrap(err, "bridge %s", b->name);
	cleanup_free char *pidpath = run_path(b->name, "daemon.pid");
	if (dnsmasq_running(b->name, NULL)) {
		pid_t d = read_pid(pidpath);
		if (d > 0 && kill(d, SIGHUP) == 0)
			return 0;
	}
	return start_daemon(b->name, err);
}

int dnsmasq_stop(const char *bridge, box_err_t *err)
{
	if (!dnsmasq_running(bridge, NULL)) {
		end_orphan(bridge);
		return 0;
	}
	cleanup_free char *pidpath = run_path(bridge, "daemon.pid");
	pid_t d = read_pid(pidpath);
	if (d > 0 && kill(d, SIGTERM) < 0 && errno != ESRCH)
		return box_error(err, errno, "bridge %s: stopping its dnsmasq daemon (pid %d)", bridge, (int)d);
	/* it holds its lock until both are gone */
	int fd = open_lock(bridge, err);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	close(fd);
	return 0;
}

/* One network section's lines. */
static void host_lines(const struct box_bridge *b, const struct box_config *c, const struct box_net *n, char **text)
{
	unsigned char mac[6];
	char mactext[18];
	if (n->has_hwaddr)
		memcpy(mac, n->hwaddr, 6);
	else
		net_default_hwaddr(c->name, n->name, mac);
	net_format_hwaddr(mac, mactext);
	char *t;
	const struct box_addr *v4 = NULL;
	cleanup_free char *ips = xstrdup("");
	for (size_t i = 0; i < n->n_addrs; i++) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(n->addrs[i].family, n->addrs[i].addr, ip, sizeof(ip));
		if (n->addrs[i].family == AF_INET && !v4)
			v4 = &n->addrs[i];
		t = xasprintf("%s,%s", ips, ip);
		free(ips);
		ips = t;
	}
	if (b->dhcp && (v4 || n->dhcp)) {
		char ip[INET_ADDRSTRLEN] = "";
		if (v4)
			inet_ntop(AF_INET, v4->addr, ip, sizeof(ip));
		/* a fixed address is a static lease: never handed to another */
		t = xasprintf("%sdhcp-host=%s%s%s,%s\n", *text, mactext, v4 ? "," : "", ip, c->name);
		free(*text);
		*text = t;
	}
	if (b->dns && ips[0]) {
		t = xasprintf("%shost-record=%s,%s.%s%s\n", *text, c->name, c->name, b->domain, ips);
		free(*text);
		*text = t;
	}
}

int dnsmasq_host_set(const struct box_bridge *b, const struct box_config *c, box_err_t *err)
{
	char *text = xasprintf("# container %s\n", c->name);
	for (size_t i = 0; i < c->n_nets; i++)
		if (c->nets[i].type == NET_VETH && !strcmp(c->nets[i].bridge, b->name))
			host_lines(b, c, &c->nets[i], &text);
	cleanup_free char *path = xasprintf("%s/bridges.d/%s/hosts/%s.conf", paths_run_dir(), b->name, c->name);
	cleanup_free char *dir = run_path(b->name, "hosts");
	int r = mkdir_p(dir, 0755, err);
	if (r == 0)
		r = write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return r;
}

void dnsmasq_host_remove(const char *bridge, const char *container)
{
	cleanup_free char *path = xasprintf("%s/bridges.d/%s/hosts/%s.conf", paths_run_dir(), bridge, container);
	unlink(path);
}

char **dnsmasq_hosts(const char *bridge)
{
	char **v = xzalloc(sizeof(char *));
	cleanup_free char *dir = run_path(bridge, "hosts");
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (n > 5 && !strcmp(de->d_name + n - 5, ".conf")) {
			de->d_name[n - 5] = '\0';
			strv_push(&v, de->d_name);
		}
	}
	if (d)
		closedir(d);
	return v;
}

int dnsmasq_lease(const char *bridge, const unsigned char mac[6], char *ip, size_t len)
{
	cleanup_free char *path = lease_path(bridge);
	cleanup_free char *buf = NULL;
	size_t n = 0;
	box_err_t e = NULL;
	char want[18];
	if (read_file_at(AT_FDCWD, path, &buf, &n, &e) < 0) {
		box_error_release(&e);
		return 0;
	}
	net_format_hwaddr(mac, want);
	char *save = NULL;
	/* "EXPIRY MAC IP NAME CLIENTID" per line */
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char m[32], a[64];
		if (sscanf(line, "%*s %31s %63s", m, a) == 2 && !strcasecmp(m, want)) {
			snprintf(ip, len, "%s", a);
			return 1;
		}
	}
	return 0;
}
