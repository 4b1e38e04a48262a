/* Root filesystem backends. On disk, under <state>/<name>/:
 *
 *   dir      rootfs/                  the extracted template
 *   btrfs    rootfs/                  a snapshot (subvolume) of the cache subvolume
 *   overlay  overlay/{upper,work}/    the container's layer; overlay/lower names the
 *                                     cache entry (the lower layer)
 *
 * and the shared cache of extracted templates, <state>/templates/.cache/<key>,
 * key = SHA-256 of the tarball's content (+ "-u<base>-<size>" when ids are
 * shifted for an unprivileged container). On btrfs a cache entry is a read-only
 * subvolume, elsewhere a folder.
 *
 * Everything is built under a temporary name and committed by one rename:
 * rootfs.tmp.* -> rootfs, overlay.tmp.* -> overlay, .cache/.tmp-* -> <key>;
 * a cache entry is stamped .cache/.ok-<key> once it is whole on the disk.
 * The backend a container was created with is read back from the disk
 * (storage_kind), never from the config, which may have changed since. */
#include "storage/storage.h"
#include "config/idshift.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "archive/extract.h"
#include "config/idrange.h"
#include "base/paths.h"
#include "storage/hash.h"
#include "storage/internal.h"
#include "storage/layers.h"
#include "base/util.h"
#include "base/idmap.h"
#include "base/notes.h"

/* Removes the entries of dirfd named prefix*: what a create or destroy killed
 * half-way (SIGKILL, a crash, a power cut) left behind. The caller holds the
 * lock that every live user of such names holds too. */
void storage_sweep(int dirfd, const char *prefix, const char *where)
{
	cleanup_dir DIR *d = fdopendir(dup(dirfd));
	cleanup_strv char **names = NULL;
	struct dirent *de;
	if (d)
		rewinddir(d); /* a dup shares the offset another reader moved */
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			strv_push(&names, de->d_name);
	for (char **n = names; n && *n; n++) {
		box_err_t e = NULL;
		if (storage_remove_tree_at(dirfd, *n, &e) < 0)
			log_warn_ignored(&e, "removing the leftover of an interrupted create in %s", where);
		else
			box_note("removed %s/%s, left by an interrupted create or destroy", where, *n);
	}
}

int storage_live_freeze(const struct storage_live *live, box_err_t *err)
{
	return live && live->freeze ? live->freeze(live->arg, err) : 0;
}

void storage_live_thaw(const struct storage_live *live)
{
	if (live && live->thaw)
		live->thaw(live->arg);
}

/* The rootfs's root before extraction: what `tar` would leave when the
 * archive has no "./" entry (mkdtemp makes 0700, which no user inside could
 * enter), owned by the container's root. */
static int prepare_root(int dirfd, const char *name, const struct extract_opts *xo, box_err_t *err)
{
	if (fchmodat(dirfd, name, 0755, 0) < 0 ||
	    fchownat(dirfd, name, xo->id_shift, xo->id_shift, AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "setting up %s", name);
	return 0;
}

static const char *template_for(const struct box_config *c, const char *override, char **path, box_err_t *err)
{
	*path = NULL;
	if (override) {
		struct stat st;
		/* a file name on the command line is a path first, else one in the templates folder */
		if (override[0] == '/' || stat(override, &st) == 0)
			*path = realpath(override, NULL);
		if (!*path)
			*path = paths_template_path(override);
		return *path;
	}
	if (!c->template_name || !*c->template_name) {
		box_usage_error(err,
				"%s: no template: set 'template = FILE' (a file in %s/templates or an absolute path), "
				"or give --template FILE",
				c->path ? c->path : c->name, paths_state_dir());
		return NULL;
	}
	*path = paths_template_path(c->template_name);
	return *path;
}

/* Is the cache entry <key> there and whole? 1 yes, 0 no (a bad one is moved
 * aside, to be swept), -1 error. An entry is whole when its stamp .ok-<key>
 * is there, written only after a complete extraction that reached the disk;
 * an entry without one (made before entries were stamped, or half-written by
 * a full disk that went unnoticed then) is checked against its tarball once,
 * under the lock, and is either stamped or rebuilt: never used as it is. */
static int cache_lookup(int cfd, const char *cdir, const char *key, const char *tpl, bool btrfs, bool locked,
			box_err_t *err)
{
	struct stat st;
	if (fstatat(cfd, key, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (btrfs && !storage_is_subvolume_at(cfd, key))
		return box_error(err, EINVAL,
				 "the template cache %s/%s is not a btrfs subvolume (made before the state folder "
				 "moved to btrfs?): remove it and create again",
				 cdir, key);
	cleanup_free char *ok = xasprintf(".ok-%s", key), *okpath = xasprintf("%s/%s", cdir, ok);
	if (fstatat(cfd, ok, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (!locked)
		return 0;
	box_err_t e = NULL;
	cleanup_close int kfd = openat(cfd, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (kfd < 0)
		box_error(&e, errno, "opening it");
	if (kfd >= 0 && archive_verify_tree(tpl, kfd, &e) == 0)
		return write_file_atomic(okpath, "checked\n", 8, 0644, err) < 0 ? -1 : 1;
	cleanup_free char *why = box_error_text(e);
	box_error_release(&e);
	box_warn("the template cache %s/%s is not whole (%s): building it again", cdir, key, why);
	cleanup_free char *bad = xasprintf(".tmp-bad-%s.%d", key, (int)getpid());
	if (renameat(cfd, key, cfd, bad) < 0)
		return box_error(err, errno, "moving %s/%s aside", cdir, key);
	return 0;
}

/* Extracts the template into a temporary entry, makes sure it reached the
 * disk (syncfs reports a write-back error a write(2) could not), stamps it
 * and renames it into place. */
static int cache_fill(int cfd, const char *cdir, const char *key, const char *tpl, const struct extract_opts *xo,
		      bool btrfs, box_err_t *err)
{
	cleanup_free char *tmp = xasprintf(".tmp-%s.%d", key, (int)getpid());
	cleanup_free char *tmppath = xasprintf("%s/%s", cdir, tmp), *okpath = xasprintf("%s/.ok-%s", cdir, key);
	if (btrfs ? storage_btrfs_subvol_create(cfd, tmp, err) < 0 : mkdirat(cfd, tmp, 0755) < 0)
		return btrfs ? -1 : box_error(err, errno, "creating %s", tmppath);
	int r = prepare_root(cfd, tmp, xo, err);
	if (r == 0)
		r = archive_extract_file(tpl, tmppath, xo, err);
	cleanup_close int sfd = r == 0 ? openat(cfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && (sfd < 0 || syncfs(sfd) < 0))
		r = box_error(err, errno, "writing %s to the disk", tmppath);
	if (r == 0 && btrfs)
		r = storage_btrfs_set_readonly(sfd, err);
	if (r == 0)
		r = write_file_atomic(okpath, "extracted\n", 10, 0644, err);
	if (r == 0 && renameat2(cfd, tmp, cfd, key, RENAME_NOREPLACE) < 0) {
		/* EEXIST: another create made it meanwhile; theirs is as good */
		if (errno == EEXIST)
			return storage_remove_tree_at(cfd, tmp, err);
		r = box_error(err, errno, "renaming %s to %s", tmppath, key);
		unlink(okpath);
	}
	if (r < 0) {
		box_err_t e2 = NULL;
		if (storage_remove_tree_at(cfd, tmp, &e2) < 0)
			log_warn_ignored(&e2, "removing %s", tmppath);
	}
	return r;
}

/* The cache entry for a template: made once (cache_fill), shared by every
 * overlay or btrfs container. */
static int ensure_cache(const char *tpl, const struct extract_opts *xo, bool btrfs, char **key_out, box_err_t *err)
{
	cleanup_free char *tdir = paths_templates_path(), *cdir = xasprintf("%s/.cache", tdir), *memo = NULL;
	char hash[65];
	*key_out = NULL;
	if (mkdir_p(cdir, 0700, err) < 0)
		return -1;
	if (storage_hash_file(tpl, cdir, hash, &memo, err) < 0)
		return box_error_wrap(err, "template");
	cleanup_free char *key =
	    xo->id_shift ? xasprintf("%s-u%u-%u", hash, xo->id_shift, xo->id_range) : xstrdup(hash);
	cleanup_close int cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0)
		return box_error(err, errno, "opening %s", cdir);
	storage_hash_sweep(cfd);
	for (int pass = 0;; pass++) {
		int r = cache_lookup(cfd, cdir, key, tpl, btrfs, pass > 0, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			storage_hash_remember(memo, hash);
			*key_out = steal_pointer(&key);
			return 0;
		}
		if (pass)
			break;
		/* One extraction into the cache at a time (the lock goes with cfd):
		 * a second create of the same new template waits for the first and
		 * takes its entry, and a temporary seen under the lock is a dead
		 * create's. */
		if (flock(cfd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return box_error(err, errno, "locking %s", cdir);
			box_note("waiting for another create that is filling the template cache %s", cdir);
			while (flock(cfd, LOCK_EX) < 0) {
				if (errno != EINTR)
					return box_error(err, errno, "locking %s", cdir);
				if (archive_interrupted)
					return box_error(err, 0,
							 "interrupted by SIG%s while waiting for the template cache",
							 sigabbrev_np(archive_interrupted));
			}
		}
	}
	storage_sweep(cfd, ".tmp-", cdir);
	uint64_t t0 = now_ms();
	if (cache_fill(cfd, cdir, key, tpl, xo, btrfs, err) < 0)
		return -1;
	storage_hash_remember(memo, hash);
	box_note("template %s extracted into the cache in %.2f s", tpl, (double)(now_ms() - t0) / 1000);
	*key_out = steal_pointer(&key);
	return 0;
}

static int create_dir(const struct box_config *c, int cfd, const char *cpath, const char *tpl,
		      const struct extract_opts *xo, storage_fill_fn fill, box_err_t *err)
{
	cleanup_free char *tmp = xasprintf("%s/rootfs.tmp.XXXXXX", cpath);
	if (!mkdtemp(tmp))
		return box_error(err, errno, "creating %s", tmp);
	const char *base = strrchr(tmp, '/') + 1;
	int r = prepare_root(cfd, base, xo, err);
	if (r == 0)
		r = archive_extract_file(tpl, tmp, xo, err);
	if (r == 0)
		r = fill(c, tmp, xo->id_shift, err);
	if (r == 0 && renameat2(cfd, base, cfd, "rootfs", RENAME_NOREPLACE) < 0)
		r = box_error(err, errno, "renaming %s to rootfs", tmp);
	if (r < 0) {
		box_err_t e2 = NULL;
		if (rm_rf_at(cfd, base, &e2) < 0)
			log_warn_ignored(&e2, "removing %s", tmp);
	}
	return r;
}

static int create_btrfs(const struct box_config *c, int cfd, const char *cpath, const char *tpl,
			const struct extract_opts *xo, storage_fill_fn fill, box_err_t *err)
{
	cleanup_free char *key = NULL;
	if (ensure_cache(tpl, xo, true, &key, err) < 0)
		return -1;
	cleanup_free char *src = xasprintf("%s/templates/.cache/%s", paths_state_dir(), key);
	cleanup_close int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return box_error(err, errno, "opening %s", src);
	cleanup_free char *tmp = xasprintf("rootfs.tmp.%d", (int)getpid());
	cleanup_free char *tmppath = xasprintf("%s/%s", cpath, tmp);
	if (storage_btrfs_snapshot(sfd, cfd, tmp, false, err) < 0)
		return -1;
	int r = fill(c, tmppath, xo->id_shift, err);
	if (r == 0 && renameat2(cfd, tmp, cfd, "rootfs", RENAME_NOREPLACE) < 0)
		r = box_error(err, errno, "renaming %s to rootfs", tmppath);
	if (r < 0) {
		box_err_t e2 = NULL;
		if (storage_btrfs_subvol_destroy(cfd, tmp, &e2) < 0)
			log_warn_ignored(&e2, "removing the subvolume %s", tmppath);
	}
	return r;
}

/* The container's upper layer in the store, over the template cache entry:
 * the record is the commit (a kill before it leaves a layer nothing names,
 * removed by the store's gc). */
static int create_overlay(int cfd, const char *tpl, const struct extract_opts *xo, bool btrfs, box_err_t *err)
{
	cleanup_free char *key = NULL;
	if (ensure_cache(tpl, xo, btrfs, &key, err) < 0)
		return -1;
	cleanup_free char *lower = xasprintf("%s/templates/.cache/%s", paths_state_dir(), key);
	cleanup_close int storefd = layers_lock(err);
	if (storefd < 0)
		return -1;
	/* the merged root takes the upper folder's owner and mode: the template's */
	struct layer_chain ch = { .template_key = key };
	if (layers_new(storefd, AT_FDCWD, lower, &ch.upper, err) < 0)
		return -1;
	int r = layer_chain_write(cfd, &ch, err);
	free(ch.upper);
	/* the identity is written onto the merged tree at each start */
	return r;
}

static bool fs_has_overlay(void)
{
	cleanup_free char *fs = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, "/proc/filesystems", &fs, NULL, &e) < 0) {
		box_error_release(&e);
		return true; /* let the mount say it */
	}
	return strstr(fs, "\toverlay\n") != NULL;
}

static const char *fs_name(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return "unknown";
	switch (sf.f_type) {
	case EXT4_SUPER_MAGIC: return "ext4";
	case XFS_SUPER_MAGIC: return "xfs";
	case TMPFS_MAGIC: return "tmpfs";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	default: return "a non-btrfs filesystem";
	}
}

enum box_storage storage_kind(const char *name)
{
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_close int cfd = open(cpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (cfd >= 0 && (fstatat(cfd, LAYERS_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
			 fstatat(cfd, "overlay", &st, AT_SYMLINK_NOFOLLOW) == 0))
		return STORAGE_OVERLAY;
	if (cfd >= 0 && storage_is_subvolume_at(cfd, "rootfs"))
		return STORAGE_BTRFS;
	return STORAGE_DIR;
}

bool storage_exists(const char *name)
{
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_close int cfd = open(cpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	return cfd >= 0 && (fstatat(cfd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) == 0 ||
			    fstatat(cfd, LAYERS_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
			    fstatat(cfd, "overlay", &st, AT_SYMLINK_NOFOLLOW) == 0);
}

/* The rootfs in the container's folder cfd (cpath), from the template. */
static int create_in(const struct box_config *c, int cfd, const char *cpath, const char *tpl, storage_fill_fn fill,
		     uint64_t t0, box_err_t *err)
{
	cleanup_free char *why = NULL;
	/* the caller holds the container's lock: these are a dead create's or destroy's */
	storage_sweep(cfd, "rootfs.tmp.", cpath);
	storage_sweep(cfd, "overlay.tmp.", cpath);
	storage_sweep(cfd, LAYERS_FILE ".tmp.", cpath);
	{
		cleanup_close int sfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_free char *trash = xasprintf(".%s.destroy.", c->name);
		if (sfd >= 0)
			storage_sweep(sfd, trash, paths_state_dir());
	}

	/* idmap_base = auto: the container's range, recorded in its folder */
	struct box_config resolved = *c;
	if (idrange_resolve(&resolved, cfd, err) < 0)
		return -1;
	c = &resolved;
	enum box_storage kind = c->storage;
	int ret = -1;
	bool btrfs = storage_is_btrfs_fd(cfd);
	if (kind == STORAGE_BTRFS && !btrfs) {
		why = xasprintf("btrfs was asked for, but %s is on %s", paths_state_dir(), fs_name(cfd));
		kind = STORAGE_DIR;
	} else if (kind == STORAGE_OVERLAY && !fs_has_overlay()) {
		why = xasprintf("overlay was asked for, but this kernel has no overlay filesystem");
		kind = STORAGE_DIR;
	}
	if (why)
		box_warn("%s: %s: using storage dir (a full copy per container)", c->name, why);

	/* an unprivileged rootfs keeps the container's owners where the
	 * filesystem can be idmapped at start, else is shifted now */
	struct extract_opts xo = {
		.allow_devices = !c->unprivileged,
		.id_shift = idshift_choose(c, cfd, kind == STORAGE_OVERLAY),
		.id_range = c->unprivileged ? c->idmap_size : 0,
	};
	if (idshift_write(cfd, xo.id_shift, err) < 0)
		return -1;
	switch (kind) {
	case STORAGE_DIR: ret = create_dir(c, cfd, cpath, tpl, &xo, fill, err); break;
	case STORAGE_BTRFS: ret = create_btrfs(c, cfd, cpath, tpl, &xo, fill, err); break;
	case STORAGE_OVERLAY: ret = create_overlay(cfd, tpl, &xo, btrfs, err); break;
	}
	if (ret < 0) {
		unlinkat(cfd, "idshift", 0);
		unlinkat(cfd, "idmap", 0);
	}
	if (ret == 0)
		box_note("%s: rootfs created from %s with storage %s%s in %.3f s", c->name, tpl,
			 config_storage_name(kind),
			 !c->unprivileged ? ""
			 : xo.id_shift	  ? " (owners shifted: the filesystem cannot be idmapped)"
					  : " (owners as the container sees them, idmapped at start)",
			 (double)(now_ms() - t0) / 1000);
	return ret;
}

int storage_create(const struct box_config *c, const char *template_override, storage_fill_fn fill, box_err_t *err)
{
	cleanup_free char *tplbuf = NULL, *cpath = NULL;
	const char *tpl = template_for(c, template_override, &tplbuf, err);
	uint64_t t0 = now_ms();

	if (!tpl)
		return -1;
	if (!strcmp(c->name, "templates") || !strcmp(c->name, "dump"))
		return box_usage_error(err, "'%s' is the name of a folder of %s: choose another container name",
				       c->name, paths_state_dir());
	struct stat st;
	if (stat(tpl, &st) < 0) {
		if (errno != ENOENT)
			return box_error(err, errno, "template %s", tpl);
		return box_error(err, 0,
				 "template %s not found (no file %s): put the tarball there, or name it with an "
				 "absolute path ('template =' or --template FILE)",
				 template_override ? template_override : c->template_name, tpl);
	}
	if (!S_ISREG(st.st_mode))
		return box_error(err, EINVAL, "template %s is not a file", tpl);
	if (storage_exists(c->name))
		return box_error(err, EEXIST, "%s is already created (%s): 'box destroy %s' first", c->name,
				 cpath = paths_container_path(c->name), c->name);

	if (mkdir_p(paths_state_dir(), 0755, err) < 0)
		return -1;
	cpath = paths_container_path(c->name);
	if (mkdir(cpath, 0700) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s", cpath);
	cleanup_close int cfd = open(cpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ret = cfd < 0 ? box_error(err, errno, "opening %s", cpath) : create_in(c, cfd, cpath, tpl, fill, t0, err);
	/* ours or a dead create's: gone when empty */
	if (ret < 0) {
		rmdir(cpath);
		box_error_wrap(err, "creating the rootfs of %s", c->name);
	}
	return ret;
}

int storage_overlay_dirs(const char *name, char ***lowers, char **upper, char **work, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_close int cfd = open(cpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct layer_chain ch = { 0 };
	*lowers = NULL;
	*upper = *work = NULL;
	if (cfd < 0)
		return box_error(err, errno, "opening %s", cpath);
	bool legacy = storage_legacy_overlay(cfd);
	if ((legacy ? storage_legacy_key(cfd, cpath, &ch.template_key, err) : layer_chain_read(cfd, &ch, err)) < 0)
		return box_error_wrap(err, "the overlay of %s (%s)", name, cpath);
	int r = 0;
	if (!legacy && !ch.upper)
		r = box_error(err, EINVAL, "%s/" LAYERS_FILE ": no upper layer", cpath);
	for (char **l = ch.lowers; r == 0 && l && *l; l++)
		strv_push(lowers, *l);
	for (char **l = *lowers; r == 0 && l && *l; l++) {
		char *p = layers_diff_path(*l);
		free(*l);
		*l = p;
	}
	cleanup_free char *tpl =
	    ch.template_key ? xasprintf("%s/templates/.cache/%s", paths_state_dir(), ch.template_key) : NULL;
	if (r == 0 && tpl)
		strv_push(lowers, tpl);
	*upper = legacy ? xasprintf("%s/%s", cpath, storage_legacy_upper(cfd)) : layers_diff_path(ch.upper);
	*work = legacy ? xasprintf("%s/overlay/work", cpath) : layers_work_path(ch.upper);
	layer_chain_free(&ch);
	struct stat st;
	for (char **l = *lowers; r == 0 && l && *l; l++)
		if (stat(*l, &st) < 0)
			r = box_error(err, errno, "the layer %s of %s (removed by hand?)", *l, name);
	if (r == 0 && stat(*upper, &st) < 0)
		r = box_error(err, errno, "the upper layer %s of %s (removed by hand?)", *upper, name);
	if (r < 0) {
		strv_free(*lowers);
		free(*upper);
		free(*work);
		*lowers = NULL;
		*upper = *work = NULL;
	}
	return r;
}

static int mount_tree(const struct box_config *c, const char *mountpoint, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(c->name);
	if (!storage_exists(c->name))
		return box_error(err, ENOENT, "%s has no rootfs in %s: 'box create %s' first", c->name, cpath, c->name);
	if (storage_kind(c->name) != STORAGE_OVERLAY) {
		cleanup_free char *rootfs = paths_rootfs_path(c->name);
		if (mount(rootfs, mountpoint, NULL, MS_BIND | MS_REC, NULL) < 0)
			return box_error(err, errno, "binding %s on %s", rootfs, mountpoint);
		return 0;
	}
	cleanup_strv char **lowers = NULL;
	cleanup_free char *upper = NULL, *work = NULL;
	if (storage_overlay_dirs(c->name, &lowers, &upper, &work, err) < 0)
		return -1;
	return storage_overlay_mount(lowers, upper, work, mountpoint, false, err);
}

int storage_mount(const struct box_config *c, const char *mountpoint, box_err_t *err)
{
	return mount_tree(c, mountpoint, err);
}

int storage_open_tree(const struct box_config *c, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(c->name);
	if (!storage_exists(c->name))
		return box_error(err, ENOENT, "%s has no rootfs in %s: 'box create %s' first", c->name, cpath, c->name);
	if (storage_kind(c->name) != STORAGE_OVERLAY) {
		cleanup_free char *rootfs = paths_rootfs_path(c->name);
		int fd = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fd < 0)
			return box_error(err, errno, "open_tree of %s", rootfs);
		return fd;
	}
	cleanup_strv char **lowers = NULL;
	cleanup_free char *upper = NULL, *work = NULL;
	if (storage_overlay_dirs(c->name, &lowers, &upper, &work, err) < 0)
		return -1;
	/* a clone's layers, shifted at create for its source's range, seen
	 * in its own range through idmapped layers */
	uint32_t shift = idshift_read(c);
	cleanup_close int ns = -1;
	if (c->unprivileged && shift && shift != c->idmap_base &&
	    (ns = idmap_userns_fd_from(shift, c->idmap_base, c->idmap_size, err)) < 0)
		return -1;
	box_err_t e = NULL;
	int m = storage_overlay_fsmount(lowers, upper, work, false, ns, &e);
	if (m < 0 && !e)
		return box_error(err, ENOSYS, "an unprivileged overlay needs the new mount API (fsopen)");
	if (m < 0)
		*err = e;
	return m;
}

int storage_destroy(const char *name, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(name);
	cleanup_close int sfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		if (errno == ENOENT)
			return 0;
		return box_error(err, errno, "opening %s", paths_state_dir());
	}
	struct stat st;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return box_error(err, errno, "%s", cpath);
	}
	/* gone at once under its name; a crash half-way leaves a dot folder, not
	 * half a container */
	cleanup_free char *trash = xasprintf(".%s.destroy.%d", name, (int)getpid());
	if (renameat(sfd, name, sfd, trash) < 0)
		return box_error(err, errno, "renaming %s", cpath);
	if (storage_remove_tree_at(sfd, trash, err) < 0)
		return box_error_wrap(err, "removing %s (now %s/%s)", cpath, paths_state_dir(), trash);
	/* its layers that no clone or other record names */
	if (layers_gc(err) < 0)
		return box_error_wrap(err, "%s is removed, but not its unused overlay layers", name);
	return 0;
}
