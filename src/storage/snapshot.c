/* Snapshots, rollback and clones (see snapshot.h for the layout).
 *
 * Per backend, "taking" a tree is: btrfs, a subvolume snapshot (constant
 * time whatever the size); dir, a copy of the rootfs; overlay, a copy of the
 * container's own layer (what it changed from the template), the template
 * cache entry below it being shared, never copied. Copies share their data by
 * reflink where the filesystem can (btrfs, xfs). */
#include "storage/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/idmap.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/config.h"
#include "config/idrange.h"
#include "config/idshift.h"
#include "storage/copy.h"
#include "storage/internal.h"
#include "storage/layers.h"
#include "storage/storage.h"
#include "base/notes.h"

#define PENDING "clone-pending"

int storage_snapshot_check_name(const char *snap, box_err_t *err)
{
	size_t n = strlen(snap);
	bool ok = n > 0 && n <= 63 && snap[0] != '.' && snap[0] != '-' && snap[0] != '_';
	for (size_t i = 0; ok && i < n; i++)
		ok = (snap[i] >= 'a' && snap[i] <= 'z') || (snap[i] >= 'A' && snap[i] <= 'Z') ||
		     (snap[i] >= '0' && snap[i] <= '9') || strchr("_.-", snap[i]);
	if (!ok)
		return box_usage_error(err,
				       "'%s' is not a snapshot name (letters, digits, '_', '.', '-', starting with a "
				       "letter or digit, at most 63 bytes)",
				       snap);
	return 0;
}

static int open_dir_at(int dirfd, const char *name, const char *what, box_err_t *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", what);
	return fd;
}

static int open_container(const char *name, box_err_t *err)
{
	cleanup_free char *cpath = paths_container_path(name);
	if (!storage_exists(name))
		return box_error(err, ENOENT, "%s has no rootfs (%s): 'box create %s' first", name, cpath, name);
	return open_dir_at(AT_FDCWD, cpath, cpath, err);
}

/* The container's snapshots folder, made if needed and locked for this
 * command (released with the fd); leftovers of killed commands removed. */
static int open_snapshots(int cfd, const char *name, bool create, box_err_t *err)
{
	if (create && mkdirat(cfd, "snapshots", 0700) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating the snapshots folder of %s", name);
	int sfd = openat(cfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return box_error(err, errno, "opening the snapshots folder of %s", name);
	while (flock(sfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(sfd);
			return box_error(err, e, "locking the snapshots folder of %s", name);
		}
	cleanup_free char *where = xasprintf("%s/snapshots", paths_container_path(name));
	storage_sweep(sfd, ".tmp-", where);
	return sfd;
}

static const char *tree_name(enum box_storage kind)
{
	return kind == STORAGE_OVERLAY ? "overlay" : "rootfs";
}

/* The store's lock released; gc: first the layers nothing names any more
 * (what a failed command made, a rolled-back upper), under the lock it
 * still holds. */
static void release_store(int *storefd, bool gc)
{
	box_err_t e = NULL;
	if (*storefd >= 0 && gc && layers_gc_locked(*storefd, &e) < 0)
		log_warn_ignored(&e, "removing the overlay layers nothing names");
	if (*storefd >= 0)
		close(*storefd);
	*storefd = -1;
}

/* A copy's owners shifted from one id range to another (storage_copy_tree). */
struct reshift {
	uint32_t from, to, size;
};

/* Takes the rootfs held by sfd (a container's folder or a snapshot's) into
 * dfd/dst (dir and btrfs). readonly: btrfs snapshots that stay snapshots.
 * rs: the owners shifted (btrfs then copied). live: thawed once the copy or
 * snapshot is made, before the sync. */

static int take(enum box_storage kind, int sfd, int dfd, const char *dst, bool readonly, const struct reshift *rs,
		const struct storage_live *live, box_err_t *err)
{
	struct copy_stats st = { .progress = isatty(STDERR_FILENO) };
	if (rs) {
		st.shift = (struct storage_id_shift){ rs->from, rs->to, rs->size };
	}
	switch (kind) {
	case STORAGE_BTRFS: {
		cleanup_close int rfd = open_dir_at(sfd, "rootfs", "the rootfs subvolume", err);
		if (rfd < 0)
			return -1;
		/* owners to shift (a btrfs that could not be idmapped): a copy */
		if (!rs) {
			if (storage_live_freeze(live, err) < 0)
				return -1;
			int r = storage_btrfs_snapshot(rfd, dfd, dst, readonly, err);
			storage_live_thaw(live);
			return r;
		}
	}
	/* fall through */
	case STORAGE_DIR:
		if (storage_copy_live(sfd, "rootfs", dfd, dst, live, &st, err) < 0)
			return -1;
		break;
	case STORAGE_OVERLAY: /* by layer records: take_tree */
		return box_error(err, EINVAL, "an overlay tree is taken by its layers");
	}
	storage_live_thaw(live);
	box_trace("take: %llu files copied", (unsigned long long)st.files);
	/* the rename that follows commits: the data must be on disk before it */
	if (syncfs(dfd) < 0)
		return box_error(err, errno, "syncing the copy");
	box_trace("take: synced");
	return 0;
}

/* take() on every backend: overlay by layer records (snapshot-overlay.c),
 * from the container cfd or from the snapshot snapfd (>= 0); clone: the
 * result gets a writable tree of its own. *storefd: see
 * storage_overlay_take. what: the source's name, for messages. */
static int take_tree(enum box_storage kind, int cfd, int snapfd, int dfd, const struct storage_live *live, bool clone,
		     int *storefd, const char *what, box_err_t *err)
{
	int src = snapfd >= 0 ? snapfd : cfd;
	if (kind != STORAGE_OVERLAY)
		return take(kind, src, dfd, tree_name(kind), !clone, NULL, live, err);
	if (snapfd >= 0)
		return storage_overlay_from(snapfd, dfd, what, storefd, err);
	return storage_overlay_take(cfd, dfd, live, clone, what, storefd, err);
}

/* The files directly in the folder fd (a snapshot's or a clone's: meta,
 * config, records) and the folder itself on disk, before the rename that
 * commits it. Write-back is started for every file first, then each is
 * fsynced: ext4 then commits its journal once for them all rather than once
 * a file (measured: 4 fsyncs in a row, 1-13 ms each at a load of 5). What
 * is below a subfolder (a copied rootfs) is synced by its maker. */
static int sync_folder(int fd, const char *what, box_err_t *err)
{
	int dfd = dup(fd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return box_error(err, errno, "reading %s", what);
	}
	int fds[16], n = 0, r = 0;
	struct dirent *de;
	rewinddir(d);
	while ((de = readdir(d)) && n < 16)
		if (de->d_type == DT_REG &&
		    (fds[n] = openat(fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0)
			sync_file_range(fds[n++], 0, 0, SYNC_FILE_RANGE_WRITE);
	for (int i = 0; i < n; i++) {
		if (r == 0 && fsync(fds[i]) < 0)
			r = box_error(err, errno, "syncing %s", what);
		close(fds[i]);
	}
	if (r == 0 && fsync(fd) < 0)
		r = box_error(err, errno, "syncing %s", what);
	return r;
}

static void remove_quietly(int dirfd, const char *name)
{
	box_err_t e = NULL;
	if (storage_remove_tree_at(dirfd, name, &e) < 0)
		log_warn_ignored(&e, "removing %s", name);
}

int storage_snapshot_create(const char *name, const char *snap, const char *config_text, size_t config_len,
			    const char *comment, const struct storage_live *live, box_err_t *err)
{
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	cleanup_close int cfd = open_container(name, err);
	if (cfd < 0)
		return -1;
	enum box_storage kind = storage_kind(name);
	cleanup_close int sfd = open_snapshots(cfd, name, true, err);
	if (sfd < 0)
		return -1;
	struct stat st;
	if (fstatat(sfd, snap, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return box_error(err, EEXIST, "%s has a snapshot %s already ('box snapshot %s --list')", name, snap,
				 name);
	cleanup_free char *tmp = xasprintf(".tmp-%s.%d", snap, (int)getpid());
	if (mkdirat(sfd, tmp, 0700) < 0)
		return box_error(err, errno, "creating the snapshot folder %s", tmp);
	int storefd = -1;
	cleanup_close int tfd = open_dir_at(sfd, tmp, tmp, err);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* seconds for people, nanoseconds for the order of snapshots made
	 * within one second */
	cleanup_free char *meta = xasprintf("created=%lld\ncreated_ns=%lld%09ld\ncomment=%s\n", (long long)now.tv_sec,
					    (long long)now.tv_sec, now.tv_nsec, comment ? comment : "");
	int r = tfd < 0 ||
			write_file_at(tfd, "meta", meta, strlen(meta), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600,
				      err) < 0 ||
			write_file_at(tfd, "config", config_text, config_len, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
				      0600, err) < 0 ||
			take_tree(kind, cfd, -1, tfd, live, false, &storefd, name, err) < 0
		    ? -1
		    : 0;
	box_trace("snapshot: taken");
	/* on disk before it lists, and listed on disk before "done" */
	if (r == 0)
		r = sync_folder(tfd, tmp, err);
	if (r == 0 && renameat2(sfd, tmp, sfd, snap, RENAME_NOREPLACE) < 0)
		r = box_error(err, errno, "renaming the snapshot %s into place", tmp);
	if (r == 0 && fsync(sfd) < 0)
		r = box_error(err, errno, "syncing the snapshots folder of %s", name);
	box_trace("snapshot: committed");
	if (r < 0) {
		remove_quietly(sfd, tmp);
		box_error_wrap(err, "snapshot %s of %s (nothing kept)", snap, name);
	}
	release_store(&storefd, r < 0);
	return r;
}

static int read_meta(int sfd, const char *snap, struct storage_snapshot *s, box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/meta", snap), *text = NULL;
	if (read_file_at(sfd, path, &text, NULL, err) < 0)
		return -1;
	s->name = xstrdup(snap);
	s->comment = xstrdup("");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "created=", 8))
			s->created = strtoll(line + 8, NULL, 10);
		else if (!strncmp(line, "created_ns=", 11))
			s->order = strtoll(line + 11, NULL, 10);
		else if (!strncmp(line, "comment=", 8)) {
			free(s->comment);
			s->comment = xstrdup(line + 8);
		}
	}
	return 0;
}

/* The bytes a snapshot holds on its own: its rootfs (dir), its top layer
 * (overlay: what changed since the layer under it); -1 unknown. */
static int64_t snapshot_size(int sfd, const char *snap, enum box_storage kind)
{
	cleanup_free char *tree = NULL;
	uint64_t bytes;
	box_err_t e = NULL;
	cleanup_close int fd = openat(sfd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct layer_chain ch;
	if (fd >= 0 && kind == STORAGE_OVERLAY && layer_chain_read(fd, &ch, &e) == 0) {
		tree = layer_chain_top_path(&ch);
		layer_chain_free(&ch);
	} else if (fd >= 0) {
		tree = xasprintf("%s/%s", snap, kind == STORAGE_DIR ? "rootfs" : "overlay/upper");
	}
	box_error_release(&e);
	int64_t size = -1;
	if (tree && storage_tree_size(tree[0] == '/' ? AT_FDCWD : sfd, tree, &bytes, &e) == 0)
		size = (int64_t)bytes;
	box_error_release(&e);
	return size;
}

static int cmp_snap(const void *a, const void *b)
{
	const struct storage_snapshot *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

int storage_snapshot_list(const char *name, bool sizes, struct storage_snapshot **out, size_t *n, box_err_t *err)
{
	*out = NULL;
	*n = 0;
	cleanup_close int cfd = open_container(name, err);
	if (cfd < 0)
		return -1;
	enum box_storage kind = storage_kind(name);
	cleanup_close int sfd = openat(cfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT ? 0 : box_error(err, errno, "opening the snapshots of %s", name);
	int dfd = dup(sfd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		return box_error(err, errno, "reading the snapshots of %s", name);
	struct dirent *de;
	size_t cap = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", and what is being made or removed */
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(**out));
		struct storage_snapshot *s = &(*out)[*n];
		*s = (struct storage_snapshot){ .size = -1 };
		if (read_meta(sfd, de->d_name, s, err) < 0) {
			storage_snapshot_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return box_error_wrap(err, "snapshot %s of %s", de->d_name, name);
		}
		(*n)++;
		if (sizes && kind != STORAGE_BTRFS)
			s->size = snapshot_size(sfd, de->d_name, kind);
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_snap);
	return 0;
}

void storage_snapshot_list_free(struct storage_snapshot *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].comment);
	}
	free(v);
}

static int no_snapshot(const char *name, const char *snap, box_err_t *err)
{
	return box_error(err, ENOENT, "%s has no snapshot %s ('box snapshot %s --list' shows them)", name, snap, name);
}

/* The folder of the snapshot SNAP of the container cfd, opened; its
 * snapshots folder locked in *sfd (open_snapshots: held by the caller while
 * it uses the snapshot, so that no delete takes it meanwhile). */
static int open_snapshot(int cfd, const char *name, const char *snap, int *sfd, box_err_t *err)
{
	struct stat st;
	*sfd = -1;
	if (fstatat(cfd, "snapshots", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return no_snapshot(name, snap, err);
	if ((*sfd = open_snapshots(cfd, name, false, err)) < 0)
		return -1;
	int fd = openat(*sfd, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? no_snapshot(name, snap, err) : fd;
}

static int mount_snapshot_layers(int snapfd, char **tmpdir, box_err_t *err)
{
	struct layer_chain ch;
	if (layer_chain_read(snapfd, &ch, err) < 0)
		return box_error_wrap(err, "the snapshot's layers");
	cleanup_strv char **lowers = NULL;
	for (char **l = ch.lowers; l && *l; l++) {
		char *p = layers_diff_path(*l);
		strv_push(&lowers, p);
		free(p);
	}
	cleanup_free char *tpl =
	    ch.template_key ? xasprintf("%s/templates/.cache/%s", paths_state_dir(), ch.template_key) : NULL;
	if (tpl)
		strv_push(&lowers, tpl);
	layer_chain_free(&ch);
	if (storage_private_tmpdir(tmpdir, err) < 0)
		return -1;
	return storage_overlay_mount(lowers, NULL, NULL, *tmpdir, false, err);
}

int storage_snapshot_root_path(const char *name, const char *snap, char **root, char **tmpdir, int *hold,
			       box_err_t *err)
{
	*root = *tmpdir = NULL;
	*hold = -1;
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	cleanup_close int cfd = open_container(name, err);
	if (cfd < 0)
		return -1;
	enum box_storage kind = storage_kind(name);
	cleanup_close int snapfd = open_snapshot(cfd, name, snap, hold, err);
	if (snapfd < 0)
		return -1;
	if (kind != STORAGE_OVERLAY) {
		cleanup_free char *path = xasprintf("%s/snapshots/%s/rootfs", paths_container_path(name), snap);
		if (storage_view_bind(path, tmpdir, err) < 0)
			return box_error_wrap(err, "mounting snapshot %s of %s", snap, name);
		*root = xstrdup(*tmpdir);
		return 0;
	}
	cleanup_free char *what = xasprintf("snapshot %s of %s", snap, name);
	if (storage_legacy_convert(snapfd, false, -1, what, err) < 0 || mount_snapshot_layers(snapfd, tmpdir, err) < 0)
		return box_error_wrap(err, "mounting %s", what);
	*root = xstrdup(*tmpdir);
	return 0;
}

int storage_snapshot_delete(const char *name, const char *snap, box_err_t *err)
{
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	cleanup_close int cfd = open_container(name, err);
	if (cfd < 0)
		return -1;
	struct stat st;
	if (fstatat(cfd, "snapshots", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return no_snapshot(name, snap, err);
	cleanup_close int sfd = open_snapshots(cfd, name, false, err);
	if (sfd < 0)
		return -1;
	if (fstatat(sfd, snap, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return no_snapshot(name, snap, err);
	/* gone from the list at once; a kill half-way leaves a .tmp- leftover */
	cleanup_free char *tmp = xasprintf(".tmp-deleting-%s.%d", snap, (int)getpid());
	if (renameat(sfd, snap, sfd, tmp) < 0)
		return box_error(err, errno, "removing the snapshot %s of %s", snap, name);
	if (storage_remove_tree_at(sfd, tmp, err) < 0)
		return box_error_wrap(err, "removing the snapshot %s of %s", snap, name);
	/* the layers only it named */
	if (storage_kind(name) == STORAGE_OVERLAY && layers_gc(err) < 0)
		return box_error_wrap(err, "the snapshot %s of %s is deleted, but not its layers", snap, name);
	return 0;
}

/* A fresh upper over the snapshot's chain: the container's record is
 * replaced in one rename; its old upper goes with the gc. */
static int rollback_overlay(int cfd, int snapfd, const char *name, const char *snap, char **config, box_err_t *err)
{
	int storefd = -1, r = -1;
	cleanup_free char *what = xasprintf("snapshot %s of %s", snap, name);
	cleanup_free char *cpath = paths_container_path(name);
	storage_sweep(cfd, LAYERS_FILE ".tmp.", cpath); /* a killed rollback's; the caller holds the lock */
	/* a container of the old layout joins the store first (legacy.c) */
	if (storage_legacy_convert(cfd, true, -1, cpath, err) == 0 &&
	    storage_overlay_from(snapfd, cfd, what, &storefd, err) == 0)
		r = 0;
	release_store(&storefd, true); /* the old upper, and what a failure made */
	if (r < 0) {
		free(*config);
		*config = NULL;
		box_error_wrap(err, "rolling %s back to %s (the rootfs is as it was)", name, snap);
	}
	return r;
}

int storage_rollback(const char *name, const char *snap, char **config, size_t *config_len, box_err_t *err)
{
	*config = NULL;
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	cleanup_close int cfd = open_container(name, err);
	if (cfd < 0)
		return -1;
	enum box_storage kind = storage_kind(name);
	cleanup_close int sfd = -1;
	cleanup_close int snapfd = open_snapshot(cfd, name, snap, &sfd, err);
	if (snapfd < 0)
		return -1;
	if (read_file_at(snapfd, "config", config, config_len, err) < 0)
		return box_error_wrap(err, "snapshot %s of %s", snap, name);

	/* the caller holds the container's lock: these are killed rollbacks' */
	cleanup_free char *cpath = paths_container_path(name);
	storage_sweep(cfd, "rootfs.tmp.", cpath);
	storage_sweep(cfd, "overlay.tmp.", cpath);
	if (kind == STORAGE_OVERLAY)
		return rollback_overlay(cfd, snapfd, name, snap, config, err);
	const char *what = tree_name(kind);
	cleanup_free char *tmp = xasprintf("%s.tmp.rollback.%d", what, (int)getpid());
	int r = take(kind, snapfd, cfd, tmp, false, NULL, NULL, err);
	/* one step: the container sees either tree, never half of one */
	if (r == 0 && renameat2(cfd, tmp, cfd, what, RENAME_EXCHANGE) < 0)
		r = box_error(err, errno, "putting the snapshot's %s in place", what);
	remove_quietly(cfd, tmp);
	if (r < 0) {
		free(*config);
		*config = NULL;
		box_error_wrap(err, "rolling %s back to %s (the rootfs is as it was)", name, snap);
	}
	return r;
}

/* A DST state folder that a killed clone left (marked, and no config was
 * ever written for it) is removed; any other is DST's own. */
static int clear_dead_clone(int stfd, const char *dst, box_err_t *err)
{
	struct stat st;
	if (fstatat(stfd, dst, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	cleanup_free char *mark = xasprintf("%s/" PENDING, dst), *conf = paths_config_path(dst);
	if (fstatat(stfd, mark, &st, AT_SYMLINK_NOFOLLOW) < 0 || lstat(conf, &st) == 0)
		return box_error(err, EEXIST, "%s exists already (%s): choose another name", dst,
				 paths_container_path(dst));
	cleanup_free char *trash = xasprintf(".%s.destroy.%d", dst, (int)getpid());
	if (renameat(stfd, dst, stfd, trash) < 0)
		return box_error(err, errno, "removing the leftover of a killed clone %s", dst);
	box_note("removed %s/%s, left by a killed clone", paths_state_dir(), dst);
	return storage_remove_tree_at(stfd, trash, err);
}

/* DST's range and what its copy needs (struct reshift), when SRC's rootfs
 * holds SRC's range on disk (shifted at create) and DST's config says auto:
 * a range of its own, recorded in the temporary folder tfd (renamed into
 * DST's). dir and btrfs: the copy's owners are shifted to it (rs); overlay:
 * the layers stay shared and shifted for SRC (idshift stays SRC's), and are
 * idmapped to DST's range at start. rs->size 0: the owners as they are. */
static int new_range(const struct box_config *dc, const char *src, enum box_storage kind, int tfd, struct reshift *rs,
		     box_err_t *err)
{
	struct box_config sc = *dc;
	sc.name = (char *)src;
	uint32_t from = idshift_read(&sc);
	*rs = (struct reshift){ 0 };
	if (!from || !dc->unprivileged || dc->idmap_base != BOX_IDMAP_AUTO)
		return idshift_write(tfd, from, err);
	struct box_config d = *dc;
	bool overlay = kind == STORAGE_OVERLAY;
	/* refused now rather than at each start */
	if (overlay && !idmap_supported(tfd))
		return storage_idmap_refused(tfd, "", err);
	/* the record written first: idrange_resolve then allocates a new range
	 * instead of taking the owner of the copy's root as a legacy shift */
	if (idshift_write(tfd, overlay ? from : 0, err) < 0 || idrange_resolve(&d, tfd, err) < 0)
		return -1;
	if (overlay)
		return 0;
	*rs = (struct reshift){ .from = from, .to = d.idmap_base, .size = d.idmap_size };
	return idshift_write(tfd, d.idmap_base, err);
}

int storage_clone(const struct box_config *dc, const char *src, const char *snap, const struct storage_live *live,
		  box_err_t *err)
{
	const char *dst = dc->name;
	cleanup_close int cfd = open_container(src, err);
	if (cfd < 0)
		return -1;
	enum box_storage kind = storage_kind(src);
	cleanup_close int sfd = -1, holder = -1;
	if (snap) {
		/* sfd held until the copy is made: no delete of the snapshot meanwhile */
		if (storage_snapshot_check_name(snap, err) < 0 ||
		    (holder = open_snapshot(cfd, src, snap, &sfd, err)) < 0)
			return -1;
	} else if ((holder = dup(cfd)) < 0) {
		return box_error(err, errno, "dup");
	}
	cleanup_close int stfd = open_dir_at(AT_FDCWD, paths_state_dir(), paths_state_dir(), err);
	if (stfd < 0 || clear_dead_clone(stfd, dst, err) < 0)
		return -1;
	cleanup_free char *prefix = xasprintf(".%s.clone.", dst), *tmp = xasprintf("%s%d", prefix, (int)getpid());
	storage_sweep(stfd, prefix, paths_state_dir());
	if (mkdirat(stfd, tmp, 0700) < 0)
		return box_error(err, errno, "creating %s/%s", paths_state_dir(), tmp);
	int storefd = -1;
	cleanup_close int tfd = open_dir_at(stfd, tmp, tmp, err);
	struct reshift rs;
	cleanup_free char *lower = NULL;
	int r =
	    tfd < 0 || write_file_at(tfd, PENDING, "", 0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, err) < 0 ||
		    new_range(dc, src, kind, tfd, &rs, err) < 0 ||
		    (kind == STORAGE_OVERLAY
			 ? take_tree(kind, cfd, snap ? holder : -1, tfd, live, true, &storefd, snap ? snap : src, err)
			 : take(kind, holder, tfd, tree_name(kind), false, rs.size ? &rs : NULL, live, err)) < 0
		? -1
		: 0;
	box_trace("clone: taken");
	/* on disk before DST's config is written (which makes it whole) */
	if (r == 0)
		r = sync_folder(tfd, tmp, err);
	if (r == 0 && renameat2(stfd, tmp, stfd, dst, RENAME_NOREPLACE) < 0)
		r = box_error(err, errno, "renaming %s to %s", tmp, dst);
	if (r == 0 && fsync(stfd) < 0)
		r = box_error(err, errno, "syncing %s", paths_state_dir());
	if (r < 0) {
		remove_quietly(stfd, tmp);
		box_error_wrap(err, "nothing made"); /* the command says what it was cloning */
	}
	release_store(&storefd, r < 0);
	return r;
}

int storage_clone_commit(const char *dst, box_err_t *err)
{
	cleanup_free char *mark = xasprintf("%s/" PENDING, paths_container_path(dst));
	if (unlink(mark) < 0 && errno != ENOENT)
		return box_error(err, errno, "removing %s", mark);
	return 0;
}

int storage_snapshot_config(const char *name, const char *snap, char **config, size_t *len, box_err_t *err)
{
	*config = NULL;
	if (storage_snapshot_check_name(snap, err) < 0)
		return -1;
	cleanup_free char *path = xasprintf("%s/snapshots/%s/config", paths_container_path(name), snap);
	int r = read_file_at(AT_FDCWD, path, config, len, err);
	if (r < 0) {
		if (r == -ENOENT) {
			box_error_release(err);
			return no_snapshot(name, snap, err);
		}
		return -1;
	}
	return 0;
}
