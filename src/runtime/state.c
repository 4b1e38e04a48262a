#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/notes.h"
#include "base/paths.h"
#include "base/util.h"

const char *state_name(enum box_state s)
{
	static const char *const names[] = { "STOPPED", "STARTING", "RUNNING", "STOPPING", "FROZEN" };
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* Removes NAME.tmp.PID files of dir: a write_file_replace() killed between
 * its create and its rename. Only the lock holder writes in dir, so under
 * the lock every temporary is a dead writer's. */
static int sweep_tmp(const char *dir, box_err_t *err)
{
	cleanup_dir DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : box_error(err, errno, "reading %s", dir);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp.") && unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			return box_error(err, errno, "removing %s/%s", dir, de->d_name);
	return 0;
}

/* A supervisor past its stop's answer (state STOPPED, alive) holds the lock
 * for its tail: a few ms of rmdir and unlink, or as long as an overlay's
 * sync of what the container wrote takes. 1 = it is gone (try again), 0 =
 * the holder is something else, -1 = still there after TAIL_WAIT_MS. */
#define TAIL_WAIT_MS 60000
#define TAIL_NOTE_MS 1000
int state_wait_tail(const char *name, box_err_t *err)
{
	struct state_info si;
	if (state_read(name, &si, NULL) != 0 || si.state != BOX_STOPPED)
		return 0;
	if (!state_pid_alive(si.sup_pid, si.sup_start))
		return 1; /* gone since the flock */
	cleanup_close int fd = (int)syscall(SYS_pidfd_open, si.sup_pid, 0);
	if (fd < 0)
		return 1; /* gone meanwhile */
	if (!state_pid_alive(si.sup_pid, si.sup_start))
		return 1;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;
	do
		r = poll(&p, 1, TAIL_NOTE_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		/* a tail is a few ms: one that lasts is said now, not after a
		 * silent minute */
		box_note("%s: waiting for its supervisor (pid %d) to finish cleaning up after the stop (syncing its "
			 "filesystem?), up to %d s",
			 name, (int)si.sup_pid, TAIL_WAIT_MS / 1000);
		do
			r = poll(&p, 1, TAIL_WAIT_MS - TAIL_NOTE_MS);
		while (r < 0 && errno == EINTR);
	}
	if (r > 0)
		return 1;
	return box_error_timeout(err,
				 "%s: its supervisor (pid %d) is still cleaning up after the stop %d s later (syncing "
				 "its filesystem?): try again",
				 name, (int)si.sup_pid, TAIL_WAIT_MS / 1000);
}

/* The holder's line in the lock file: "WHAT PID START\n", read by
 * state_lock_held() only while the flock is held and only believed while
 * PID is the process that started at START (a SIGKILLed holder leaves its
 * line, and its pid may be reused). */
static void label_lock(int fd, const struct stat *st, const char *what)
{
	if (st->st_size > 0 && ftruncate(fd, 0) < 0)
		return; /* a tmpfs file of a few bytes: cannot fail */
	if (!what)
		return;
	char buf[96];
	pid_t pid = getpid();
	int n = snprintf(buf, sizeof(buf), "%s %d %" PRIu64 "\n", what, (int)pid, state_pid_start(pid));
	if (pwrite(fd, buf, (size_t)n, 0) != n && ftruncate(fd, 0) < 0) {
		/* unlabelled or cut, the holder shows as a start: nothing lost */
	}
}

void state_unlock(int fd)
{
	if (fd < 0)
		return;
	/* unlabelled before the flock goes: a live holder's line never names
	 * the next one (a start right after an export --mode stop) */
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && ftruncate(fd, 0) < 0) {
		/* a tmpfs file of a few bytes: cannot fail; the next holder's
		 * label_lock truncates it too */
	}
	close(fd);
}

int state_lock(const char *name, const char *what, box_err_t *err)
{
	cleanup_free char *dir = paths_runtime_path(name);
	cleanup_free char *path = xasprintf("%s/lock", dir);
	for (int tries = 0, settle = 0;; tries++) {
		/* inside the loop: a cleaner holding the lock may remove the
		 * folder between our mkdir and our open */
		if (mkdir_p(dir, 0700, err) < 0)
			return -1;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == ENOENT && tries < 100)
			continue;
		if (fd < 0)
			return box_error(err, errno, "opening %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			int w = e == EWOULDBLOCK ? state_wait_tail(name, err) : 0;
			if (w < 0)
				return -1;
			if (w > 0 && tries < 100)
				continue;
			/* a tail between its state file and its lock file (two
			 * unlinks, state_remove_all): a moment */
			if (e == EWOULDBLOCK && settle++ < 3) {
				usleep(1000);
				continue;
			}
			return box_error(err, e, "locking %s", path);
		}
		/* the owner removes the lock file with the rest of the state when
		 * it is done: a lock on a file that is no longer there is no lock */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			label_lock(fd, &a, what);
			if (sweep_tmp(dir, err) < 0) {
				close(fd);
				return -1;
			}
			return fd;
		}
		close(fd);
		if (tries > 100)
			return box_error(err, EAGAIN, "locking %s", path);
	}
}

/* The holder's line, when it names a live process (label_lock). */
static void read_label(int fd, struct state_holder *h)
{
	char buf[96];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char what[sizeof(h->what)];
	int pid;
	uint64_t start;
	if (sscanf(buf, "%15s %d %" SCNu64, what, &pid, &start) == 3 && state_pid_alive(pid, start)) {
		memcpy(h->what, what, sizeof(what));
		h->pid = pid;
	}
}

bool state_lock_held(const char *name, struct state_holder *h)
{
	if (h)
		*h = (struct state_holder){ 0 };
	cleanup_free char *path = xasprintf("%s/%s/lock", paths_run_dir(), name);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	/* A shared probe: it conflicts with the owner's exclusive lock only. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return false;
		/* the line is read after the flock said held: a holder that
		 * died since left a line whose pid is no longer its own */
		if (h)
			read_label(fd, h);
		return true;
	}
	flock(fd, LOCK_UN);
	return false;
}

/* Runtime state dies with the host: replaced atomically, never fsync'd. */
int state_write(const char *name, const struct state_info *si, const struct state_info *prev, box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/state", paths_run_dir(), name);
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "state=%s\nsupervisor_pid=%d\nsupervisor_start=%" PRIu64 "\ninit_pid=%d\n"
			 "init_start=%" PRIu64 "\nstarted=%" PRId64 "\n",
			 state_name(si->state), (int)si->sup_pid, si->sup_start, (int)si->init_pid, si->init_start,
			 si->started);
	if (write_file_replace(path, buf, (size_t)n, 0644, err) < 0)
		return -1;
	/* plain pid files too: scripts and the tests' cleanup read them */
	char pid[32];
	if (!prev || prev->sup_pid != si->sup_pid) {
		cleanup_free char *sp = xasprintf("%s/%s/supervisor.pid", paths_run_dir(), name);
		n = snprintf(pid, sizeof(pid), "%d\n", (int)si->sup_pid);
		if (write_file_replace(sp, pid, (size_t)n, 0644, err) < 0)
			return -1;
	}
	if (prev && prev->init_pid == si->init_pid)
		return 0;
	return state_write_init_pid(name, si->init_pid, err);
}

int state_write_init_pid(const char *name, pid_t pid, box_err_t *err)
{
	cleanup_free char *ip = xasprintf("%s/%s/init.pid", paths_run_dir(), name);
	if (pid > 0) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
		return write_file_replace(ip, buf, (size_t)n, 0644, err);
	}
	unlink(ip);
	return 0;
}

static enum box_state parse_state(const char *s)
{
	for (int i = BOX_STOPPED; i <= BOX_FROZEN; i++)
		if (!strcmp(s, state_name((enum box_state)i)))
			return (enum box_state)i;
	return BOX_STOPPED;
}

int state_read(const char *name, struct state_info *si, box_err_t *err)
{
	memset(si, 0, sizeof(*si));
	cleanup_free char *path = xasprintf("%s/%s/state", paths_run_dir(), name);
	cleanup_free char *buf = NULL;
	box_err_t e = NULL;
	int r = read_file_at(AT_FDCWD, path, &buf, NULL, &e);
	if (r < 0) {
		if (r == -ENOENT) {
			box_error_release(&e);
			return 1;
		}
		*err = e;
		return -1;
	}
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "state"))
			si->state = parse_state(eq);
		else if (!strcmp(line, "supervisor_pid"))
			si->sup_pid = (pid_t)strtol(eq, NULL, 10);
		else if (!strcmp(line, "supervisor_start"))
			si->sup_start = strtoull(eq, NULL, 10);
		else if (!strcmp(line, "init_pid"))
			si->init_pid = (pid_t)strtol(eq, NULL, 10);
		else if (!strcmp(line, "init_start"))
			si->init_start = strtoull(eq, NULL, 10);
		else if (!strcmp(line, "started"))
			si->started = strtoll(eq, NULL, 10);
	}
	return 0;
}

/* The temporaries of a dead writer (state_lock() sweeps them too) are
 * looked for only when the folder does not go: a stop is spared the read. */
int state_remove(const char *name, box_err_t *err)
{
	/* the state file last: while it says STOPPED, a command that finds
	 * the lock held waits for the supervisor's tail (state_lock) */
	static const char *const files[] = { "supervisor.pid", "init.pid", "control", "config" };
	cleanup_free char *dir = paths_runtime_path(name);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *p = xasprintf("%s/%s", dir, files[i]);
		if (unlink(p) < 0 && errno != ENOENT)
			return box_error(err, errno, "removing %s", p);
	}
	/* the notify folder was the container's to write into once (an older
	 * box bound it whole): its content is hostile, removed without
	 * following a symlink or crossing a mount */
	cleanup_free char *sock = xasprintf("%s/notify/notify", dir), *ndir = xasprintf("%s/notify", dir);
	if ((unlink(sock) < 0 && errno != ENOENT) || (rmdir(ndir) < 0 && errno != ENOENT)) {
		/* more than our socket in it: removed as hostile content */
		cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0 && rm_rf_at(dfd, "notify", err) < 0)
			return -1;
	}
	static const char *const dirs[] = { "root" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		cleanup_free char *p = xasprintf("%s/%s", dir, dirs[i]);
		if (rmdir(p) < 0 && errno != ENOENT)
			return box_error(err, errno, "removing %s", p);
	}
	cleanup_free char *st = xasprintf("%s/state", dir);
	if (unlink(st) < 0 && errno != ENOENT)
		return box_error(err, errno, "removing %s", st);
	return 0;
}

int state_remove_all(const char *name, box_err_t *err)
{
	if (state_remove(name, err) < 0)
		return -1;
	cleanup_free char *dir = paths_runtime_path(name);
	cleanup_free char *lock = xasprintf("%s/lock", dir);
	if (unlink(lock) < 0 && errno != ENOENT)
		return box_error(err, errno, "removing %s", lock);
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY)
		return box_error(err, errno, "removing %s", dir);
	if (sweep_tmp(dir, err) < 0)
		return -1;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return box_error(err, errno, "removing %s", dir);
	return 0;
}

uint64_t state_pid_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	/* p is field 3 (state); the start time is field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

bool state_pid_alive(pid_t pid, uint64_t start)
{
	if (pid <= 0)
		return false;
	uint64_t s = state_pid_start(pid);
	return s && s == start;
}

int state_uuid(const char *name, char out[37], box_err_t *err)
{
	cleanup_free char *dir = paths_container_path(name);
	cleanup_free char *path = xasprintf("%s/uuid", dir);
	cleanup_free char *buf = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, path, &buf, NULL, &e) == 0 && strlen(buf) >= 36) {
		memcpy(out, buf, 36);
		out[36] = '\0';
		return 0;
	}
	box_error_release(&e);
	free(buf);
	buf = NULL;
	/* the kernel hands out a fresh random v4 UUID on every read */
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/random/uuid", &buf, NULL, err) < 0)
		return -1;
	if (strlen(buf) < 36)
		return box_error(err, EINVAL, "reading /proc/sys/kernel/random/uuid");
	memcpy(out, buf, 36);
	out[36] = '\0';
	if (mkdir_p(dir, 0755, err) < 0)
		return -1;
	char line[38];
	memcpy(line, out, 36);
	line[36] = '\n';
	return write_file_atomic(path, line, 37, 0644, err);
}
