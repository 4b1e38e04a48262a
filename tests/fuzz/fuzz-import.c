/* libFuzzer target: any bytes as the archive of `box import`, read from a
 * memfd (no file of the archive on the disk), into a throw-away BOX_ROOT.
 * Nothing may crash or leak; a failure comes with an error and leaves no
 * config, rootfs or hidden .import-* behind; a success is removed for the
 * next input. Needs root, as box import does (owners, devices). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/import.h"
#include "base/paths.h"
#include "base/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fz"

static char root[] = "/tmp/box-fuzz-import.XXXXXX";

static void remove_root(void)
{
	box_err_t e = NULL;
	if (rm_rf_at(AT_FDCWD, root, &e) < 0)
		fprintf(stderr, "fuzz-import: cannot remove %s, ignoring\n", root);
	box_error_release(&e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	box_err_t err = NULL;
	if (!mkdtemp(root) || setenv("BOX_ROOT", root, 1) < 0 || mkdir_p(paths_config_dir(), 0755, &err) < 0 ||
	    mkdir_p(paths_state_dir(), 0755, &err) < 0) {
		fprintf(stderr, "fuzz-import: cannot make %s\n", root);
		exit(1);
	}
	atexit(remove_root);
	/* every input's messages would drown the log; errors are checked below */
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	log_set_sink(null, false);
	return 0;
}

/* A failed import leaves nothing; a successful one is removed. */
static void sweep(bool failed)
{
	cleanup_free char *conf = paths_config_path(NAME);
	cleanup_free char *dir = paths_container_path(NAME);
	bool left = access(conf, F_OK) == 0 || access(dir, F_OK) == 0;
	cleanup_dir DIR *d = opendir(paths_state_dir());
	for (struct dirent *de; d && (de = readdir(d));)
		if (!strncmp(de->d_name, ".import-", 8)) {
			left = true;
			box_err_t e = NULL;
			(void)rm_rf_at(dirfd(d), de->d_name, &e);
			box_error_release(&e);
		}
	if (failed && left) {
		fprintf(stderr, "a failed import left %s, %s or a .import-* behind\n", conf, dir);
		abort();
	}
	box_err_t e = NULL;
	if (unlink(conf) < 0 && errno != ENOENT)
		abort();
	if (rm_rf_at(AT_FDCWD, dir, &e) < 0 && access(dir, F_OK) == 0) {
		fprintf(stderr, "cannot remove %s: %s\n", dir, e ? e->msg : "?");
		abort();
	}
	box_error_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_close int fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct import_opts o = { 0 };
	box_err_t err = NULL;
	int r = import_container(NAME, path, &o, &err);
	if (r < 0 && !err) {
		fprintf(stderr, "a failed import without an error\n");
		abort();
	}
	box_error_release(&err);
	sweep(r < 0);
	return 0;
}
