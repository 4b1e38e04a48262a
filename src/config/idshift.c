#include "config/idshift.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "base/idmap.h"
#include "config/config.h"

#define IDS_FILE "idshift"

uint32_t idshift_read(const struct box_config *c)
{
	cleanup_free char *cpath = paths_container_path(c->name);
	cleanup_free char *path = xasprintf("%s/" IDS_FILE, cpath);
	cleanup_free char *text = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, path, &text, NULL, &e) == 0)
		return (uint32_t)strtoul(text, NULL, 10);
	box_error_release(&e);
	/* made before the record: create shifted an unprivileged container's
	 * owners, and made its root folder the container root's; a privileged
	 * one's is 0 */
	struct stat st;
	cleanup_free char *root = xasprintf("%s/rootfs", cpath), *upper = xasprintf("%s/overlay/upper", cpath);
	if (lstat(root, &st) == 0 || lstat(upper, &st) == 0)
		return st.st_uid;
	return 0;
}

uint32_t idshift_choose(const struct box_config *c, int dirfd, bool overlay)
{
	if (!c->unprivileged || (!overlay && idmap_supported(dirfd)))
		return 0;
	return c->idmap_base;
}

int idshift_write(int dirfd, uint32_t shift, box_err_t *err)
{
	char line[16];
	int n = snprintf(line, sizeof(line), "%u\n", shift);
	cleanup_close int fd = openat(dirfd, IDS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, line, (size_t)n) < 0)
		return box_error(err, errno, "writing " IDS_FILE);
	return 0;
}
