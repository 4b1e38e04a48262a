/* The overlay mount of a chain of layers: one function takes the list, so
 * that every caller (start, export, clone, snapshot export) mounts a chain
 * the same way.
 *
 * The lower layers go to the kernel one at a time with fsconfig
 * "lowerdir+" (kernel 6.8+): no limit but the kernel's 500 layers. Older
 * kernels take one "lowerdir" string of at most a page (4095 bytes), so
 * the layers are named there by O_PATH fds, /proc/self/fd/N (about 18
 * bytes a layer: 220 layers fit, more than LAYERS_MAX), and mount(2) takes
 * the same string where there is no fsopen (before 5.2). */
#include "storage/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/idmap.h"
#include "base/util.h"

#define PAGE_OPTS 4095

/* "lowerdir" as one string: the paths, or /proc/self/fd/N of O_PATH fds
 * (left in fds, -1 terminated, for the caller to close) when the paths
 * would not fit in a page. */
static char *lower_string(char *const *lowers, int *fds, box_err_t *err)
{
	size_t len = 0, n = 0;
	for (; lowers[n]; n++)
		len += strlen(lowers[n]) + 1;
	fds[0] = -1;
	if (len < PAGE_OPTS - 512) { /* upperdir and workdir share the page */
		char *s = xzalloc(len + 1);
		for (size_t i = 0; i < n; i++) {
			if (strpbrk(lowers[i], ",:")) {
				free(s);
				box_error(err, EINVAL, "overlay layers may not contain ',' or ':' (%s)", lowers[i]);
				return NULL;
			}
			if (i)
				strcat(s, ":");
			strcat(s, lowers[i]);
		}
		return s;
	}
	cleanup_free char *s = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		fds[i] = open(lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		fds[i + 1] = -1;
		if (fds[i] < 0) {
			box_error(err, errno, "opening the layer %s", lowers[i]);
			return NULL;
		}
		char *t = xasprintf("%s%s/proc/self/fd/%d", s, i ? ":" : "", fds[i]);
		free(s);
		s = t;
	}
	char *r = s;
	s = NULL;
	return r;
}

static void close_fds(int *fds)
{
	for (int *f = fds; *f >= 0; f++)
		close(*f);
}

/* The lowers to fs: one at a time where the kernel has "lowerdir+",
 * else in one string. */
static int set_lowers(int fs, char *const *lowers, box_err_t *err)
{
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[0], 0) == 0) {
		for (size_t i = 1; lowers[i]; i++)
			if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
				return box_error(err, errno, "overlay layer %zu (%s)", i + 1, lowers[i]);
		return 0;
	}
	if (errno != EINVAL)
		return box_error(err, errno, "overlay layer 1 (%s)", lowers[0]);
	size_t n = strv_len(lowers);
	cleanup_free int *fds = xmalloc((n + 1) * sizeof(int));
	cleanup_free char *s = lower_string(lowers, fds, err);
	int r = 0;
	if (!s || fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", s, 0) < 0)
		r = s ? box_error(err, errno, "overlay lowerdir (%zu layers)", n) : -1;
	close_fds(fds);
	return r;
}

/* Every layer (and the folder holding upper and work, which must stay on
 * one mount) as a detached mount idmapped through userns, named by
 * /proc/self/fd/N in *paths (lowers, then upper, then work); their fds in
 * fds, -1 terminated. Overlay takes idmapped layers since kernel 5.19. */
static int idmapped_layers(char *const *lowers, const char *upper, const char *work, int userns, int *fds,
			   char ***paths, box_err_t *err)
{
	size_t n = 0;
	fds[0] = -1;
	cleanup_free char *top = upper ? xstrdup(upper) : NULL;
	char *slash = top ? strrchr(top, '/') : NULL;
	if (top && (!slash || strncmp(work, top, (size_t)(slash - top + 1)) || strchr(work + (slash - top + 1), '/')))
		return box_error(err, EINVAL, "the overlay's upper %s and work %s are not in one folder", upper, work);
	if (slash)
		*slash = '\0';
	size_t nl = strv_len(lowers);
	for (size_t i = 0; i < nl + (top ? 1 : 0); i++) {
		const char *dir = i < nl ? lowers[i] : top;
		int fd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fd < 0)
			return box_error(err, errno, "open_tree of the layer %s", dir);
		fds[n++] = fd;
		fds[n] = -1;
		if (idmap_mount(fd, userns, err) < 0)
			return box_error_wrap(err, "the overlay layer %s", dir);
		if (i < nl) {
			char *p = xasprintf("/proc/self/fd/%d", fd);
			strv_push(paths, p);
			free(p);
		} else {
			char *u = xasprintf("/proc/self/fd/%d/%s", fd, slash + 1);
			char *w = xasprintf("/proc/self/fd/%d/%s", fd, work + (slash - top + 1));
			strv_push(paths, u);
			strv_push(paths, w);
			free(u);
			free(w);
		}
	}
	return 0;
}

static int fsmount_layers(char *const *lowers, const char *upper, const char *work, box_err_t *err);

int storage_overlay_fsmount(char *const *lowers, const char *upper, const char *work, int userns, box_err_t *err)
{
	if (userns < 0)
		return fsmount_layers(lowers, upper, work, err);
	size_t n = strv_len(lowers);
	cleanup_free int *fds = xmalloc((n + 2) * sizeof(int));
	cleanup_strv char **paths = NULL;
	int m = -1;
	if (idmapped_layers(lowers, upper, work, userns, fds, &paths, err) == 0) {
		char *u = upper ? paths[n] : NULL, *w = upper ? paths[n + 1] : NULL;
		if (upper)
			paths[n] = NULL; /* the lowers alone, then upper and work */
		m = fsmount_layers(paths, u, w, err);
		if (m < 0 && errno == ENOSYS && !*err)
			box_error(err, ENOSYS, "idmapped overlay layers need the new mount API (fsopen)");
		if (upper)
			paths[n] = u;
	}
	close_fds(fds);
	return m;
}

static int fsmount_layers(char *const *lowers, const char *upper, const char *work, box_err_t *err)
{
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		if (errno == ENOSYS)
			return -1;
		return box_error(err, errno, "fsopen overlay");
	}
	int m = -1;
	/* "overlay" as source, as mount(8) and the mount(2) path below show it */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		box_error(err, errno, "overlay source");
	else if (set_lowers(fs, lowers, err) < 0)
		;
	else if (upper && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
			   fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		box_error(err, errno, "overlay upper layer %s", upper);
	else if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		box_error(err, errno, "overlay of %zu layers (top %s, upper %s)", strv_len(lowers), lowers[0],
			  upper ? upper : "none");
	else if ((m = fsmount(fs, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY)) < 0)
		box_error(err, errno, "overlay fsmount");
	close(fs);
	return m;
}

int storage_overlay_mount(char *const *lowers, const char *upper, const char *work, const char *mountpoint,
			  box_err_t *err)
{
	box_err_t e = NULL;
	int m = storage_overlay_fsmount(lowers, upper, work, -1, &e);
	if (m >= 0) {
		int r = move_mount(m, "", AT_FDCWD, mountpoint, MOVE_MOUNT_F_EMPTY_PATH);
		int en = errno;
		close(m);
		if (r < 0)
			return box_error(err, en, "mounting the overlay on %s", mountpoint);
		return 0;
	}
	if (e) {
		*err = e;
		return -1;
	}
	/* no new mount API: mount(2) */
	if (upper && (strpbrk(upper, ",:") || strpbrk(work, ",:")))
		return box_error(err, EINVAL, "overlay folders may not contain ',' or ':' (%s)", upper);
	size_t n = strv_len(lowers);
	cleanup_free int *fds = xmalloc((n + 1) * sizeof(int));
	cleanup_free char *s = lower_string(lowers, fds, err);
	if (!s)
		return -1;
	cleanup_free char *opts =
	    upper ? xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", s, upper, work) : xasprintf("lowerdir=%s", s);
	int r = mount("overlay", mountpoint, "overlay", upper ? 0 : MS_RDONLY, opts);
	int en = errno;
	close_fds(fds);
	if (r < 0)
		return box_error(err, en, "mounting the overlay on %s", mountpoint);
	return 0;
}
