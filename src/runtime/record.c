#include "runtime/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "config/config.h"

char *record_path(const char *name)
{
	return xasprintf("%s/%s/config", paths_run_dir(), name);
}

static int write_text(const char *name, char *buf, size_t len, box_err_t *err)
{
	cleanup_free char *path = record_path(name);
	int r = write_file_replace(path, buf, len, 0600, err);
	free(buf);
	return r < 0 ? box_error_wrap(err, "recording the running config of %s", name) : 0;
}

int record_write(const char *name, const struct box_config *c, box_err_t *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	fprintf(f, "# the config %s runs with (box apply, box diff); written by boxes\n", name);
	config_write(f, c);
	if (fclose(f) != 0)
		oom();
	return write_text(name, buf, len, err);
}

int record_write_merged(const char *name, const struct box_config *running, const struct box_config *file,
			unsigned kinds, box_err_t *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	fprintf(f, "# the config %s runs with (box apply, box diff); written by boxes\n", name);
	config_write_merged(f, running, file, kinds);
	if (fclose(f) != 0)
		oom();
	return write_text(name, buf, len, err);
}

int record_load(const char *name, struct box_config **out, box_err_t *err)
{
	cleanup_free char *path = record_path(name);
	*out = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 1;
	if (config_load_file(path, name, out, err) < 0)
		return box_error_wrap(err, "the recorded running config of %s", name);
	return 0;
}

int record_write_held(const char *name, const struct box_config *c, box_err_t *err)
{
	if (record_write(name, c, err) < 0)
		return -1;
	cleanup_free char *path = record_path(name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	return fd;
}

bool record_unchanged(const char *name, int fd)
{
	cleanup_free char *path = record_path(name);
	struct stat a, b;
	return fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}
