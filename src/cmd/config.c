/* box config check|show|keys: the config file seen from the command line.
 *
 * A word is a container NAME (its file in the config dir), a FILE (it has a
 * '/' or ends in .conf; the container name is the base name without .conf;
 * boxes.conf is checked as the host-wide file), or '-' (stdin, container name
 * "stdin"). Errors go to stderr one per line, "FILE:LINE: KEY: what is wrong
 * (what is allowed)", without a prefix, as compilers print them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "config/config.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "runtime/record.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_config = {
	.name = "config",
	.run = run,
	.summary = "check or show container configs",
	.usage =
	    "config check [NAME|FILE|-]... | config show NAME|FILE|-|boxes [--running] | config keys\n"
	    "  check  checks configs and prints every error (FILE:LINE: KEY: ...), exit 2 on the first bad\n"
	    "         file; no argument: every NAME.conf in the config dir and boxes.conf.\n"
	    "         A word with '/' or ending in .conf is a file, '-' is stdin (container name \"stdin\").\n"
	    "  show   prints the effective config, defaults filled in (box config show web | box config check -);\n"
	    "         'box config show boxes' shows boxes.conf; 'box config show NAME --running' the\n"
	    "         config the running container has (recorded at start and at each live change)\n"
	    "  keys   prints the reference of every key (type, default, example)",
};

struct target {
	char *path;  /* file to read, "-" for stdin */
	char *name;  /* container name; NULL for boxes.conf */
	bool in_dir; /* a configured container: conflicts are checked too */
};

static bool is_global_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strcmp(base, "boxes.conf");
}

static int resolve(const char *word, struct target *t, box_err_t *err)
{
	size_t n = strlen(word);
	memset(t, 0, sizeof(*t));
	if (!strcmp(word, "-")) {
		t->path = xstrdup("-");
		t->name = xstrdup("stdin");
		return 0;
	}
	if (strchr(word, '/') || (n > 5 && !strcmp(word + n - 5, ".conf"))) {
		t->path = xstrdup(word);
		if (is_global_file(word))
			return 0;
		const char *base = strrchr(word, '/');
		base = base ? base + 1 : word;
		size_t bl = strlen(base);
		t->name = bl > 5 && !strcmp(base + bl - 5, ".conf") ? xstrndup(base, bl - 5) : xstrdup(base);
		/* a file of the config dir is that container: check its conflicts too */
		cleanup_free char *dir = xstrndup(word, (size_t)(base - word));
		cleanup_free char *rdir = realpath(*dir ? dir : ".", NULL);
		cleanup_free char *rconf = realpath(paths_config_dir(), NULL);
		t->in_dir = rdir && rconf && !strcmp(rdir, rconf) && paths_valid_name(t->name);
		return 0;
	}
	if (!strcmp(word, "boxes")) {
		t->path = paths_global_config_path();
		return 0;
	}
	if (paths_check_name(word, err) < 0)
		return -1;
	t->path = paths_config_path(word);
	t->name = xstrdup(word);
	t->in_dir = true;
	return 0;
}

/* A NAME whose file is missing: say it as config_load does. */
static int missing_container(const struct target *t, box_err_t *err)
{
	if (!t->in_dir || access(t->path, F_OK) == 0)
		return 0;
	return box_usage_error(err, "%s: no such container (%s does not exist)", t->name, t->path);
}

static void target_free(struct target *t)
{
	free(t->path);
	free(t->name);
}

static void print_all(FILE *f, char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		fprintf(f, "%s\n", v[i]);
}

/* Checks one target; prints its errors and warnings; returns the exit status. */
static int check_one(const struct target *t)
{
	cleanup_strv char **errors = NULL, **warnings = NULL;
	box_err_t err = NULL;
	int rc;
	const char *label = t->name ? t->name : "boxes.conf";
	if (!t->name) {
		cleanup_free char *buf = NULL;
		size_t len = 0;
		if (read_file_at(AT_FDCWD, strcmp(t->path, "-") ? t->path : "/dev/stdin", &buf, &len, &err) < 0)
			return box_error_report(&err);
		rc = global_load_buffer_report(buf, len, t->path, NULL, &errors, &warnings, &err);
	} else {
		struct box_config *c = NULL;
		if (missing_container(t, &err) < 0)
			return box_error_report(&err);
		rc = config_load_file_report(t->path, t->name, &c, &errors, &warnings, &err);
		if (rc == 0 && t->in_dir)
			rc = config_check_conflicts(c, &err);
		if (rc == 0) {
			/* boxes.conf's own errors are its own check's */
			struct box_global *g = NULL;
			box_err_t gerr = NULL;
			if (global_load(&g, &gerr) == 0)
				config_bridge_warnings(c, g, &warnings);
			box_error_release(&gerr);
			global_free(g);
		}
		config_free(c);
		if (rc < 0 && !errors)
			return box_error_report(&err); /* the file could not be read */
		if (rc < 0 && errors && !errors[0]) {
			/* a conflict: one message, not from the file's own errors */
			fprintf(stderr, "%s\n", err->msg);
			print_all(stderr, warnings);
			box_error_release(&err);
			return BOX_EXIT_USAGE;
		}
	}
	print_all(stderr, errors);
	print_all(stderr, warnings);
	if (rc < 0) {
		int status = err ? err->status : BOX_EXIT_USAGE;
		box_error_release(&err);
		return status;
	}
	printf("%s: ok\n", label);
	return 0;
}

/* config_list skips *.conf files whose name is no container name: say so,
 * or a "Web.conf" would silently never be a container. */
static void warn_ignored_files(void)
{
	cleanup_dir DIR *d = opendir(paths_config_dir());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf") || !strcmp(e->d_name, "boxes.conf"))
			continue;
		cleanup_free char *name = xstrndup(e->d_name, n - 5);
		if (!paths_valid_name(name))
			fprintf(stderr,
				"%s/%s: ignored: '%s' is not a container name (lower-case letters, digits and "
				"'-', at most 63 bytes)\n",
				paths_config_dir(), e->d_name, name);
	}
}

static int check(int argc, char **argv)
{
	struct target *targets = NULL;
	size_t n = 0;
	box_err_t err = NULL;
	int rc = 0;
	if (argc == 0) {
		cleanup_strv char **names = NULL;
		if (config_list(&names, &err) < 0)
			return box_error_report(&err);
		warn_ignored_files();
		for (size_t i = 0; names[i]; i++) {
			targets = xrealloc(targets, (n + 1) * sizeof(*targets));
			resolve(names[i], &targets[n++], &err);
		}
		cleanup_free char *global = paths_global_config_path();
		if (access(global, F_OK) == 0) {
			targets = xrealloc(targets, (n + 1) * sizeof(*targets));
			resolve(global, &targets[n++], &err);
		}
		if (n == 0) {
			fprintf(stderr, "%s: config check: no config in %s\n", box_progname, paths_config_dir());
			free(targets);
			return BOX_EXIT_OK;
		}
	} else {
		for (int i = 0; i < argc && rc == 0; i++) {
			targets = xrealloc(targets, (n + 1) * sizeof(*targets));
			if (resolve(argv[i], &targets[n], &err) < 0)
				rc = box_error_report(&err);
			else
				n++;
		}
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = check_one(&targets[i]);
	for (size_t i = 0; i < n; i++)
		target_free(&targets[i]);
	free(targets);
	return rc;
}

/* The config the container runs with (runtime/record.h). */
static int show_running(const char *name)
{
	box_err_t err = NULL;
	struct box_config *c = NULL;
	if (paths_check_name(name, &err) < 0)
		return box_error_report(&err);
	int r = record_load(name, &c, &err);
	if (r < 0)
		return box_error_report(&err);
	if (r == 1) {
		fprintf(stderr,
			"box: %s is not running (or was started by a box that kept no record): no running config\n",
			name);
		return BOX_EXIT_FAIL;
	}
	printf("# %s: the config it runs with (recorded at its start and at each live change)\n", name);
	r = config_write(stdout, c);
	config_free(c);
	if (fflush(stdout) != 0 || r < 0) {
		perror("box: config show: writing");
		return BOX_EXIT_FAIL;
	}
	return 0;
}

static int show(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[0], "--running") || !strcmp(argv[1], "--running")))
		return show_running(strcmp(argv[0], "--running") ? argv[0] : argv[1]);
	if (argc != 1)
		return cmd_usage_error(&cmd_config, "config show takes one NAME, FILE or -");
	struct target t;
	box_err_t err = NULL;
	if (resolve(argv[0], &t, &err) < 0)
		return box_error_report(&err);
	if (!t.name) {
		/* boxes.conf: a missing one shows the defaults */
		cleanup_free char *buf = NULL;
		size_t len = 0;
		struct box_global *g = NULL;
		bool missing = strcmp(t.path, "-") && access(t.path, F_OK) < 0 && errno == ENOENT;
		int rc =
		    missing ? 0 : read_file_at(AT_FDCWD, strcmp(t.path, "-") ? t.path : "/dev/stdin", &buf, &len, &err);
		if (rc == 0)
			rc = global_load_buffer_report(buf ? buf : "", len, t.path, &g, NULL, NULL, &err);
		if (rc == 0) {
			printf("# boxes.conf: the effective settings (%s%s), every default filled in\n", t.path,
			       missing ? ", missing" : "");
			rc = global_write(stdout, g);
		}
		global_free(g);
		target_free(&t);
		if (rc < 0 && err)
			return box_error_report(&err);
		return fflush(stdout) == 0 && rc == 0 ? 0 : BOX_EXIT_FAIL;
	}
	struct box_config *c = NULL;
	int rc = missing_container(&t, &err) < 0 ? -1 : config_load_file(t.path, t.name, &c, &err);
	target_free(&t);
	if (rc < 0)
		return box_error_report(&err);
	printf("# %s: the effective config (%s), every default filled in\n", c->name, c->path);
	rc = config_write(stdout, c);
	config_free(c);
	if (fflush(stdout) != 0 || rc < 0) {
		perror("box: config show: writing");
		return BOX_EXIT_FAIL;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	if (cmd_wants_help(&cmd_config, argc, argv))
		return 0;
	if (argc < 2)
		return cmd_usage_error(&cmd_config, "a subcommand is missing (check, show or keys)");
	int sub_argc = argc - 2;
	char **sub_argv = argv + 2;
	if (sub_argc > 0 && !strcmp(sub_argv[0], "--")) {
		sub_argc--;
		sub_argv++;
	}
	if (!strcmp(argv[1], "check"))
		return check(sub_argc, sub_argv);
	if (!strcmp(argv[1], "show"))
		return show(sub_argc, sub_argv);
	if (!strcmp(argv[1], "keys")) {
		config_print_keys(stdout);
		return 0;
	}
	return cmd_usage_error(&cmd_config, "unknown subcommand '%s' (check, show or keys)", argv[1]);
}
