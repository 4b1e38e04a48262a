/* The overlay mount of a chain of layers: one function takes the list, so
 * that every caller (start, export, clone, snapshot export) mounts a chain
 * the same way.
 *
 * The lower layers go to the kernel one at a time with fsconfig
 * "lowerdir+" (kernel 6.8+): no limit but the kernel's 500 layers. Older
 * kernels take one "lowerdir" string: fsconfig takes a string of at most
 * 255 bytes (strndup_user(value, 256): EINVAL past it), mount(2) one page
 * of options (4095 bytes). So the layers are named by their paths where
 * those fit, else by O_PATH fds, /proc/self/fd/N (about 18 bytes a layer:
 * 14 layers for fsconfig, 220 for mount(2), more than LAYERS_MAX), and a
 * chain whose string is too long for fsconfig is mounted by mount(2) on a
 * temporary folder and taken from there as a detached mount (open_tree),
 * as where there is no fsopen at all (before 5.2). Before 6.5 overlay
 * parses its options only at FSCONFIG_CMD_CREATE (the VFS's legacy context
 * takes any key): "lowerdir+" is accepted, then the create fails with
 * EINVAL, and the mount is made again with the string (Debian 12's 6.1:
 * tests/integration/snapshot-overlay-inside.sh in the cgroup v2 VM). */
#include "storage/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/idmap.h"
#include "base/paths.h"
#include "base/util.h"

#define PAGE_OPTS 4095
#define FSCONFIG_MAX 255

/* "lowerdir" as one string of at most max bytes: the paths, or
 * /proc/self/fd/N of O_PATH fds (left in fds, -1 terminated, for the caller
 * to close) when the paths would not fit; E2BIG when neither does. */
static char *lower_string(char *const *lowers, int *fds, size_t max, box_err_t *err)
{
	size_t len = 0, n = 0;
	for (; lowers[n]; n++)
		len += strlen(lowers[n]) + 1;
	fds[0] = -1;
	if (len <= max) {
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
	if (strlen(s) > max) {
		box_error(err, E2BIG, "%zu overlay layers: more than %zu bytes of lowerdir", n, max);
		return NULL;
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

/* Cleared once a kernel is seen without "lowerdir+" (set_lowers). */
static bool lower_plus = true;

/* The lowers to fs: one at a time where the kernel has "lowerdir+",
 * else in one string, whose /proc/self/fd/N names stay open in *fds (for
 * the caller to close after the create: before 6.5 the string is only
 * read then). */
static int set_lowers(int fs, char *const *lowers, int **fds, box_err_t *err)
{
	if (lower_plus && fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[0], 0) == 0) {
		for (size_t i = 1; lowers[i]; i++)
			if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
				return box_error(err, errno, "overlay layer %zu (%s)", i + 1, lowers[i]);
		return 0;
	}
	if (lower_plus && errno != EINVAL)
		return box_error(err, errno, "overlay layer 1 (%s)", lowers[0]);
	lower_plus = false;
	size_t n = strv_len(lowers);
	*fds = xmalloc((n + 1) * sizeof(int));
	cleanup_free char *s = lower_string(lowers, *fds, FSCONFIG_MAX, err);
	if (!s)
		return -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", s, 0) < 0)
		return box_error(err, errno, "overlay lowerdir (%zu layers)", n);
	return 0;
}

int storage_idmap_refused(int dirfd, const char *path, box_err_t *err)
{
	cleanup_free char *fs = idmap_fs_name(dirfd, path);
	return box_error(err, EINVAL,
			 "%s cannot be idmapped, and an unprivileged overlay clone needs it: it shares its source's "
			 "layers and sees them in an id range of its own through idmapped mounts; put the state "
			 "folder %s on a filesystem that can be (ext4, xfs, btrfs, tmpfs)",
			 fs, paths_state_dir());
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
		int r = idmap_mount(fd, userns, err);
		if (r == -EINVAL) {
			box_error_release(err);
			return storage_idmap_refused(AT_FDCWD, dir, err);
		}
		if (r < 0)
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

static int fsmount_layers(char *const *lowers, const char *upper, const char *work, bool volatile_, box_err_t *err);

/* Older kernels (6.1 of the cgroup v2 VM; not 6.18) take an overlay layer only from a mount of the
 * caller's mount namespace (clone_private_mount: EINVAL for a detached
 * one, as open_tree makes): each idmapped layer is attached on a temporary
 * folder for the time of the overlay's create (its /proc/self/fd/N name
 * then resolves to the attached mount), and unmounted after: the overlay
 * keeps private clones of its layers. */
static int fsmount_attached(char *const *paths, const char *u, const char *w, bool volatile_, int *fds, box_err_t *err)
{
	cleanup_strv char **tmps = NULL;
	int r = 0;
	for (int *f = fds; r == 0 && *f >= 0; f++) {
		cleanup_free char *tmp = NULL;
		if ((r = storage_mount_tmpdir(&tmp, err)) < 0)
			break;
		strv_push(&tmps, tmp);
		if (move_mount(*f, "", AT_FDCWD, tmp, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			r = box_error(err, errno, "attaching an idmapped overlay layer on %s", tmp);
	}
	int m = r == 0 ? fsmount_layers(paths, u, w, volatile_, err) : -1;
	for (char **t = tmps; t && *t; t++) {
		umount2(*t, MNT_DETACH);
		rmdir(*t);
	}
	return m;
}

int storage_overlay_fsmount(char *const *lowers, const char *upper, const char *work, bool volatile_, int userns,
			    box_err_t *err)
{
	if (userns < 0)
		return fsmount_layers(lowers, upper, work, volatile_, err);
	size_t n = strv_len(lowers);
	cleanup_free int *fds = xmalloc((n + 2) * sizeof(int));
	cleanup_strv char **paths = NULL;
	int m = -1;
	if (idmapped_layers(lowers, upper, work, userns, fds, &paths, err) == 0) {
		char *u = upper ? paths[n] : NULL, *w = upper ? paths[n + 1] : NULL;
		if (upper)
			paths[n] = NULL; /* the lowers alone, then upper and work */
		m = fsmount_layers(paths, u, w, volatile_, err);
		if (m < 0 && errno == ENOSYS && !*err)
			box_error(err, ENOSYS, "idmapped overlay layers need the new mount API (fsopen)");
		if (m < 0 && *err && (*err)->errnum == EINVAL) { /* an older kernel */
			box_error_release(err);
			m = fsmount_attached(paths, u, w, volatile_, fds, err);
		}
		if (upper)
			paths[n] = u;
	}
	close_fds(fds);
	return m;
}

static int fsmount_once(char *const *lowers, const char *upper, const char *work, bool volatile_, box_err_t *err);
static int mount_string(char *const *lowers, const char *upper, const char *work, bool volatile_,
			const char *mountpoint, box_err_t *err);

/* A chain too long for fsconfig's string, without "lowerdir+": mount(2)
 * on a temporary folder, the mount taken from there (open_tree), the
 * folder unmounted and removed. */
static int fsmount_by_mount(char *const *lowers, const char *upper, const char *work, bool volatile_, box_err_t *err)
{
	cleanup_free char *tmp = NULL;
	if (storage_mount_tmpdir(&tmp, err) < 0)
		return -1;
	int m = -1;
	if (mount_string(lowers, upper, work, volatile_, tmp, err) == 0) {
		m = open_tree(AT_FDCWD, tmp, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (m < 0)
			box_error(err, errno, "open_tree of the overlay on %s", tmp);
		umount2(tmp, MNT_DETACH);
	}
	rmdir(tmp);
	return m;
}

static int fsmount_layers(char *const *lowers, const char *upper, const char *work, bool volatile_, box_err_t *err)
{
	bool plus = lower_plus;
	int m = fsmount_once(lowers, upper, work, volatile_, err);
	/* a kernel before 6.5: "lowerdir+" taken, refused at the create */
	if (m < 0 && plus && *err && (*err)->errnum == EINVAL) {
		box_error_release(err);
		lower_plus = false;
		m = fsmount_once(lowers, upper, work, volatile_, err);
	}
	if (m < 0 && *err && (*err)->errnum == E2BIG) {
		box_error_release(err);
		m = fsmount_by_mount(lowers, upper, work, volatile_, err);
	}
	return m;
}

static int fsmount_once(char *const *lowers, const char *upper, const char *work, bool volatile_, box_err_t *err)
{
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		if (errno == ENOSYS)
			return -1;
		return box_error(err, errno, "fsopen overlay");
	}
	int m = -1;
	cleanup_free int *fds = NULL;
	/* "overlay" as source, as mount(8) and the mount(2) path below show it */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		box_error(err, errno, "overlay source");
	else if (set_lowers(fs, lowers, &fds, err) < 0)
		;
	else if (upper && (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
			   fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		box_error(err, errno, "overlay upper layer %s", upper);
	else if (upper && volatile_ && fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
		box_error(err, errno, "overlay volatile");
	else if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		box_error(err, errno, "overlay of %zu layers (top %s, upper %s)", strv_len(lowers), lowers[0],
			  upper ? upper : "none");
	else if ((m = fsmount(fs, FSMOUNT_CLOEXEC, upper ? 0 : MOUNT_ATTR_RDONLY)) < 0)
		box_error(err, errno, "overlay fsmount");
	close(fs);
	if (fds)
		close_fds(fds);
	return m;
}

int storage_overlay_mount(char *const *lowers, const char *upper, const char *work, const char *mountpoint,
			  bool volatile_, box_err_t *err)
{
	box_err_t e = NULL;
	int m = storage_overlay_fsmount(lowers, upper, work, volatile_, -1, &e);
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
	return mount_string(lowers, upper, work, volatile_, mountpoint, err);
}

static int mount_string(char *const *lowers, const char *upper, const char *work, bool volatile_,
			const char *mountpoint, box_err_t *err)
{
	if (upper && (strpbrk(upper, ",:") || strpbrk(work, ",:")))
		return box_error(err, EINVAL, "overlay folders may not contain ',' or ':' (%s)", upper);
	size_t n = strv_len(lowers);
	cleanup_free int *fds = xmalloc((n + 1) * sizeof(int));
	/* upperdir and workdir share the page */
	cleanup_free char *s = lower_string(lowers, fds, PAGE_OPTS - 512, err);
	if (!s)
		return -1;
	cleanup_free char *opts =
	    upper ? xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s", s, upper, work, volatile_ ? ",volatile" : "")
		  : xasprintf("lowerdir=%s", s);
	int r = mount("overlay", mountpoint, "overlay", upper ? 0 : MS_RDONLY, opts);
	int en = errno;
	close_fds(fds);
	if (r < 0)
		return box_error(err, en, "mounting the overlay on %s", mountpoint);
	return 0;
}
