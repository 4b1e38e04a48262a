/* What the supervisor learns about init from /proc: whether it is systemd
 * (speaks sd_notify), whether it will see a signal now, and so which signal
 * asks it to halt. */
#include "runtime/probe.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Does init speak sd_notify? systemd does; busybox init and sysvinit do not,
 * and `box start --wait` must not wait for them. */
bool probe_init_systemd(pid_t pid)
{
	char path[64], target[256];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return !strncmp(base, "systemd", 7);
}

static uint64_t probe_status_mask(pid_t pid, const char *field)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[256];
	uint64_t v = 0;
	size_t fl = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			v = strtoull(line + fl + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

/* Will init see sig now? Only if it catches or blocks it (a pid-ns init
 * drops signals it has no handler for), or waits for it in sigtimedwait as
 * busybox init does (the kernel then reports the set as unblocked). */
bool probe_init_listens(pid_t pid, int sig)
{
	uint64_t bit = 1ull << (sig - 1);
	if ((probe_status_mask(pid, "SigBlk") | probe_status_mask(pid, "SigCgt")) & bit)
		return true;
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return atol(buf) == SYS_rt_sigtimedwait;
}
/* As LXC: the configured signal, else SIGRTMIN+3 when init blocks or
 * catches it (systemd), else SIGPWR. */
int probe_halt_signal(pid_t init, int configured)
{
	if (configured > 0)
		return configured;
	uint64_t bit = 1ull << (SIGRTMIN + 3 - 1);
	if ((probe_status_mask(init, "SigBlk") | probe_status_mask(init, "SigCgt")) & bit)
		return SIGRTMIN + 3;
	return SIGPWR;
}
