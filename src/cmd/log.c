/* box log: the console log of a container, as a user reads a service's log
 * with journalctl or tail -f, without knowing where it lives. The log is the
 * supervisor's (<log>/NAME.log, with NAME.log.1 once rotated): raw console
 * output and the supervisor's own lines, dated "YYYY-MM-DD HH:MM:SS ". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_log = {
	.name = "log",
	.run = run,
	.summary = "show a container's console log",
	.usage = "log NAME [-f] [-n LINES] [--since TIME]\n"
		 "  What the container's console showed (init, its services, the supervisor's own\n"
		 "  dated lines), across restarts, oldest first: <log>/NAME.log and its rotated\n"
		 "  part NAME.log.1.\n"
		 "  -f, --follow      then print what is written, as tail -f, across restarts of the\n"
		 "                    container, until interrupted\n"
		 "  -n, --lines N     only the last N lines\n"
		 "  --since TIME      from the first supervisor line dated TIME or later: \"2026-12-04\n"
		 "                    10:00[:00]\", \"10:00\" (today), or \"-30m\", \"-2h\", \"-1d\" (ago)",
};

/* The lines kept for -n: a ring of the last n. */
struct tail {
	char **line;
	size_t n, next, count;
};

struct filter {
	const char *since; /* "YYYY-MM-DD HH:MM:SS", NULL = all */
	bool started;	   /* a dated line >= since was seen */
	struct tail *tail; /* NULL = print at once */
};

static bool dated(const char *l)
{
	/* "2026-12-04 10:00:00 " */
	static const char shape[] = "dddd-dd-dd dd:dd:dd ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !(l[i] >= '0' && l[i] <= '9') : l[i] != shape[i])
			return false;
	return true;
}

static void emit(struct filter *f, const char *l, size_t len)
{
	if (f->since && !f->started) {
		if (len < 20 || !dated(l) || strncmp(l, f->since, 19) < 0)
			return;
		f->started = true;
	}
	if (!f->tail) {
		fwrite(l, 1, len, stdout);
		return;
	}
	struct tail *t = f->tail;
	free(t->line[t->next]);
	t->line[t->next] = xstrndup(l, len);
	t->next = (t->next + 1) % t->n;
	if (t->count < t->n)
		t->count++;
}

/* Every line of fd from its current offset; a last line without its newline
 * is printed as it is (the console may stop mid-line). */
static int pump(int fd, struct filter *f, box_err_t *err)
{
	cleanup_free char *buf = xmalloc(65536);
	char *line = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 65536);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(line);
			return box_error(err, errno, "reading the log");
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (len + 1 >= cap)
				line = xrealloc(line, cap = cap ? cap * 2 : 256);
			line[len++] = buf[i];
			if (buf[i] == '\n') {
				emit(f, line, len);
				len = 0;
			}
		}
	}
	if (len)
		emit(f, line, len);
	free(line);
	fflush(stdout);
	return 0;
}

/* --since TIME as the log writes dates */
static int parse_since(const char *s, char out[20], box_err_t *err)
{
	time_t now = time(NULL), t;
	struct tm tm;
	localtime_r(&now, &tm);
	char unit;
	long v;
	int used = 0;
	if (sscanf(s, "-%ld%c%n", &v, &unit, &used) == 2 && !s[used] && v >= 0 && strchr("smhd", unit)) {
		long mul = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
		t = now - v * mul;
		localtime_r(&t, &tm);
	} else {
		struct tm parsed = tm;
		const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &parsed);
		if (!end || *end) {
			parsed = tm;
			parsed.tm_sec = 0;
			end = strptime(s, "%Y-%m-%d %H:%M", &parsed);
		}
		if (!end || *end) {
			parsed = tm;
			parsed.tm_sec = 0;
			end = strptime(s, "%H:%M:%S", &parsed);
			if (!end || *end) {
				parsed = tm;
				parsed.tm_sec = 0;
				end = strptime(s, "%H:%M", &parsed);
			}
		}
		if (!end || *end)
			return box_usage_error(err,
					       "--since '%s': not a time (\"2026-12-04 10:00\", \"10:00\", \"-30m\", "
					       "\"-2h\", \"-1d\")",
					       s);
		tm = parsed;
	}
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
	return 0;
}

/* Waits for more of the log, across a rotation (NAME.log renamed to .1, a new
 * one made) or a truncation; returns only on an error. */
static int follow(const char *path, int fd, struct filter *f, box_err_t *err)
{
	struct stat fs, ps;
	for (;;) {
		if (fd >= 0 && pump(fd, f, err) < 0)
			return -1;
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (stat(path, &ps) < 0)
			continue; /* not made yet, or between a rotation's two steps */
		if (fd >= 0 && fstat(fd, &fs) == 0 && fs.st_ino == ps.st_ino && fs.st_dev == ps.st_dev) {
			off_t pos = lseek(fd, 0, SEEK_CUR);
			if (ps.st_size < pos)
				lseek(fd, 0, SEEK_SET); /* truncated: from its start */
			continue;
		}
		/* a new file under the name: the rest of the old one first */
		if (fd >= 0) {
			if (pump(fd, f, err) < 0)
				return -1;
			close(fd);
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
}

static void tail_free(struct tail *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	free(t->line);
}

static int show(const char *name, bool follow_it, long lines, const char *since, box_err_t *err)
{
	cleanup_free char *path = paths_log_path(name), *old = xasprintf("%s.1", path);
	char since_buf[20];
	__attribute__((cleanup(tail_free))) struct tail t = { 0 };
	struct filter f = { 0 };
	if (since) {
		if (parse_since(since, since_buf, err) < 0)
			return -1;
		f.since = since_buf;
	}
	if (lines >= 0) {
		t.n = lines ? (size_t)lines : 1;
		t.line = xzalloc(t.n * sizeof(char *));
		f.tail = &t;
	}
	cleanup_close int ofd = open(old, O_RDONLY | O_CLOEXEC);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return box_error(err, errno, "opening %s", path);
	if (fd < 0 && ofd < 0 && !follow_it)
		return box_error(err, ENOENT, "%s has no log yet (%s): it is written from its first start", name, path);
	if ((ofd >= 0 && pump(ofd, &f, err) < 0) || (fd >= 0 && pump(fd, &f, err) < 0))
		return -1;
	if (f.tail) {
		for (size_t i = 0; i < t.count && lines; i++)
			fputs(t.line[(t.next + t.n - t.count + i) % t.n], stdout);
		fflush(stdout);
		f.tail = NULL; /* what follows is printed as it comes */
	}
	if (!follow_it)
		return 0;
	int r = follow(path, fd, &f, err);
	fd = -1; /* follow owns it */
	return r;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool follow_it = false;
	long lines = -1;
	const char *since = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "fn:h", opts, NULL)) != -1) {
		switch (o) {
		case 'f': follow_it = true; break;
		case 'n': {
			char *end;
			errno = 0;
			lines = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || lines < 0 || lines > 1000000)
				return cmd_usage_error(&cmd_log, "-n '%s': a number of lines from 0 to 1000000",
						       optarg);
			break;
		}
		case 's': since = optarg; break;
		case 'h': cmd_print_usage(&cmd_log); return 0;
		default: return cmd_usage_error(&cmd_log, "unknown option");
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(&cmd_log, "expected one container name");
	const char *name = argv[optind];
	box_err_t err = NULL;
	if (paths_check_name(name, &err) == 0)
		show(name, follow_it, lines, since, &err);
	return box_error_report(&err);
}
