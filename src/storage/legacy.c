/* Overlay containers and snapshots made before layer records (the layout
 * of boxes before the layer store, 2026-11-23 to 2026-12-04):
 *
 *   <state>/NAME/overlay/{upper,work}/ and overlay/lower (the template
 *   cache key); a snapshot's: snapshots/SNAP/overlay/, the same with a
 *   copy of the upper of that moment
 *
 * converted in place to the layer store (layers.h): the folder overlay/
 * itself becomes the layer, renamed into the store, its upper/ renamed
 * diff/ first. A folder with an overlay/ in it is of the old layout
 * whatever else it holds, so the steps are, each one leaving the old
 * layout whole (a reader takes overlay/diff for overlay/upper):
 *
 *   1. idshift written (the owner of the upper's root, as it was read)
 *   2. overlay/upper renamed overlay/diff
 *   3. the layer record written, naming the new layer (not yet there:
 *      ignored while overlay/ is, and keeping nothing from the gc)
 *   4. overlay/ renamed <state>/.layers/ID: the commit, one rename; the
 *      new layout is then whole
 *
 * A kill anywhere leaves one layout or the other; the next command that
 * converts starts again from step 1 (a new ID). The caller holds the lock
 * of what it converts (the container's, or its snapshots folder's). */
#include "storage/internal.h"
#include "storage/layers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define OLD "overlay"

bool storage_legacy_overlay(int dirfd)
{
	struct stat st;
	return fstatat(dirfd, OLD, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

const char *storage_legacy_upper(int dirfd)
{
	struct stat st;
	return fstatat(dirfd, OLD "/upper", &st, AT_SYMLINK_NOFOLLOW) == 0 ? OLD "/upper" : OLD "/diff";
}

int storage_legacy_key(int dirfd, const char *what, char **key, box_err_t *err)
{
	*key = NULL;
	if (read_file_at(dirfd, OLD "/lower", key, NULL, err) < 0)
		return box_error_wrap(err, "%s", what);
	(*key)[strcspn(*key, "\n")] = '\0';
	if (!**key || strchr(*key, '/') || (*key)[0] == '.') {
		free(*key);
		*key = NULL;
		return box_error(err, EINVAL, "%s/" OLD "/lower: not a template cache key", what);
	}
	return 0;
}

/* steps 1 and 2 */
static int prepare(int dirfd, int ofd, bool container, const char *what, box_err_t *err)
{
	struct stat st;
	const char *upper = storage_legacy_upper(dirfd);
	if (fstatat(dirfd, upper, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return box_error(err, errno ? errno : ENOTDIR, "%s/%s", what, upper);
	/* made before the owners record: read from the upper's root (idshift.c) */
	if (container && fstatat(dirfd, "idshift", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (fstatat(dirfd, upper, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return box_error(err, errno, "%s/%s", what, upper);
		char line[16];
		int n = snprintf(line, sizeof(line), "%u\n", (unsigned)st.st_uid);
		if (write_file_at(dirfd, "idshift", line, (size_t)n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644,
				  err) < 0)
			return -1;
		/* on disk before the upper can move: an empty one would read 0 */
		cleanup_close int fd = openat(dirfd, "idshift", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			return box_error(err, errno, "syncing %s/idshift", what);
	}
	if (!strcmp(upper, OLD "/upper") && renameat(ofd, "upper", ofd, "diff") < 0)
		return box_error(err, errno, "renaming %s/" OLD "/upper to diff", what);
	if (mkdirat(ofd, "work", 0700) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s/" OLD "/work", what);
	if (fsync(ofd) < 0 || fsync(dirfd) < 0)
		return box_error(err, errno, "syncing %s", what);
	return 0;
}

/* steps 3 and 4 (the commit), with the layer id chosen */
static int commit(int dirfd, struct layer_chain *ch, const char *id, int storefd, const char *what, box_err_t *err)
{
	if (layer_chain_write(dirfd, ch, err) < 0)
		return -1;
	if (renameat2(dirfd, OLD, storefd, id, RENAME_NOREPLACE) < 0)
		return box_error(err, errno, "moving %s/" OLD " into the layer store%s", what,
				 errno == EXDEV ? " (another filesystem: export and import it instead)" : "");
	if (fsync(storefd) < 0 || fsync(dirfd) < 0)
		return box_error(err, errno, "syncing the layer store");
	cleanup_close int lfd = openat(storefd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd >= 0)
		unlinkat(lfd, "lower", 0); /* of no use in a layer; harmless if left */
	return 0;
}

static int convert_locked(int dirfd, bool container, int storefd, const char *what, box_err_t *err)
{
	struct layer_chain ch = { 0 };
	cleanup_close int ofd = openat(dirfd, OLD, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ofd < 0)
		return box_error(err, errno, "opening %s/" OLD, what);
	cleanup_free char *id = NULL;
	int r = storage_legacy_key(dirfd, what, &ch.template_key, err) < 0 ||
			prepare(dirfd, ofd, container, what, err) < 0 || !(id = layers_new_id(err))
		    ? -1
		    : 0;
	if (r == 0) {
		if (container)
			ch.upper = xstrdup(id);
		else
			strv_push(&ch.lowers, id);
		r = commit(dirfd, &ch, id, storefd, what, err);
	}
	layer_chain_free(&ch);
	if (r < 0)
		box_error_wrap(err, "converting %s to the layer store (it is as it was)", what);
	return r;
}

int storage_legacy_convert(int dirfd, bool container, int storefd, const char *what, box_err_t *err)
{
	if (!storage_legacy_overlay(dirfd))
		return 0;
	if (storefd >= 0)
		return convert_locked(dirfd, container, storefd, what, err);
	cleanup_close int fd = layers_lock(err);
	if (fd < 0)
		return -1;
	return convert_locked(dirfd, container, fd, what, err);
}
