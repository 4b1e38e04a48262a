/* Overlay snapshots, clones and rollbacks by layer records (layers.h): a
 * stopped container's upper layer becomes a read-only lower under a fresh
 * upper, in constant time whatever its size; a running container's upper
 * is mounted and written, so it is copied into a new layer instead: its
 * files' data while it runs, then, frozen, what changed since (livecopy.c).
 * Every step before a record's rename makes only what
 * nothing names yet. */
#include "storage/internal.h"
#include "storage/layers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "storage/copy.h"
#include "storage/storage.h"

static int open_layer(int storefd, const char *id, box_err_t *err)
{
	int fd = openat(storefd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening the layer %s", id);
	return fd;
}

/* A copy of the upper sdir/sname (a layer's diff/, or a legacy
 * container's) as a new layer (*copy), the container frozen for it (its
 * data pre-copied while it runs: storage_copy_live). */
static int copy_layer(int storefd, int sdir, const char *sname, const struct storage_live *live, char **copy,
		      box_err_t *err)
{
	if (layers_new(storefd, sdir, sname, copy, err) < 0)
		return -1;
	cleanup_close int dfd = open_layer(storefd, *copy, err);
	struct copy_stats st = { .progress = isatty(STDERR_FILENO) };
	if (dfd < 0 || unlinkat(dfd, "diff", AT_REMOVEDIR) < 0)
		return box_error(err, errno, "preparing the layer %s", *copy);
	if (storage_copy_live(sdir, sname, dfd, "diff", live, &st, err) < 0)
		return -1;
	if (syncfs(dfd) < 0)
		return box_error(err, errno, "syncing the layer %s", *copy);
	return 0;
}

/* The tree the layers `ids` (top first) and the template make, copied
 * whole into one new layer *flat: what a chain that would stack more than
 * LAYERS_MAX layers becomes. A copy of every file (reflinks where the
 * filesystem has them), read from the merged tree: once per LAYERS_MAX
 * snapshots in a line; the old layers stay while a snapshot names them. */
static int flatten(int storefd, char *const *ids, const char *template_key, const struct storage_live *live,
		   char **flat, box_err_t *err)
{
	cleanup_strv char **lowers = NULL;
	for (char *const *l = ids; *l; l++) {
		char *p = layers_diff_path(*l);
		strv_push(&lowers, p);
		free(p);
	}
	if (template_key) {
		char *p = xasprintf("%s/templates/.cache/%s", paths_state_dir(), template_key);
		strv_push(&lowers, p);
		free(p);
	}
	cleanup_close int m = storage_overlay_fsmount(lowers, NULL, NULL, false, -1, err);
	if (m < 0)
		return *err ? -1 : box_error(err, ENOSYS, "flattening the layers needs the new mount API (fsopen)");
	if (layers_new(storefd, m, ".", flat, err) < 0)
		return -1;
	cleanup_close int dfd = open_layer(storefd, *flat, err);
	struct copy_stats st = { .progress = isatty(STDERR_FILENO) };
	if (dfd < 0 || unlinkat(dfd, "diff", AT_REMOVEDIR) < 0)
		return box_error(err, errno, "preparing the layer %s", *flat);
	if (storage_live_freeze(live, err) < 0)
		return -1;
	if (storage_copy_tree(m, ".", dfd, "diff", &st, err) < 0)
		return box_error_wrap(err, "flattening %zu layers into one", strv_len(lowers));
	storage_live_thaw(live);
	if (syncfs(dfd) < 0)
		return box_error(err, errno, "syncing the layer %s", *flat);
	return 0;
}

/* The top of a snapshot or clone of cur: its upper itself (stopped), a copy
 * of it (live; the upper is ufd/uname), or, past LAYERS_MAX, the whole
 * chain flattened into one layer (out->template_key then NULL). */
static int new_top(int storefd, const struct layer_chain *cur, const struct storage_live *live, int ufd,
		   const char *uname, struct layer_chain *out, box_err_t *err)
{
	char *top = NULL;
	if (layer_chain_depth(cur) + 1 > LAYERS_MAX) {
		cleanup_strv char **ids = NULL;
		strv_push(&ids, cur->upper);
		for (char **l = cur->lowers; l && *l; l++)
			strv_push(&ids, *l);
		if (flatten(storefd, ids, cur->template_key, live, &top, err) < 0)
			return -1;
		strv_push(&out->lowers, top);
		free(top);
		return 0;
	}
	if (live && copy_layer(storefd, ufd, uname, live, &top, err) < 0)
		return -1;
	strv_push(&out->lowers, top ? top : cur->upper);
	free(top);
	for (char **l = cur->lowers; l && *l; l++)
		strv_push(&out->lowers, *l);
	out->template_key = cur->template_key ? xstrdup(cur->template_key) : NULL;
	return 0;
}

/* cfd's chain now (*cur) and its upper (*ufd, uname): a legacy one's
 * (made before layer records, running: not converted under it) is its
 * template under its overlay/upper. */
static int read_current(int cfd, int storefd, const char *what, struct layer_chain *cur, int *ufd, const char **uname,
			box_err_t *err)
{
	*cur = (struct layer_chain){ 0 };
	if (storage_legacy_overlay(cfd)) {
		*uname = storage_legacy_upper(cfd);
		if ((*ufd = dup(cfd)) < 0)
			return box_error(err, errno, "dup");
		return storage_legacy_key(cfd, what, &cur->template_key, err);
	}
	if (layer_chain_read(cfd, cur, err) < 0)
		return box_error_wrap(err, "the overlay layers of %s", what);
	*uname = "diff";
	*ufd = open_layer(storefd, cur->upper, err);
	return *ufd < 0 ? -1 : 0;
}

int storage_overlay_take(int cfd, int dfd, const struct storage_live *live, bool with_upper, const char *what,
			 int *storefd, box_err_t *err)
{
	struct layer_chain cur = { 0 }, mine = { 0 }, out = { 0 };
	int ufd = -1, r = -1;
	const char *uname = NULL;
	/* a stopped container of the old layout joins the store first */
	if ((*storefd = layers_lock(err)) < 0 ||
	    (!live && storage_legacy_convert(cfd, true, *storefd, what, err) < 0) ||
	    read_current(cfd, *storefd, what, &cur, &ufd, &uname, err) < 0)
		goto out;
	/* live: the mounted upper stays the container's */
	if (new_top(*storefd, &cur, live, ufd, uname, &out, err) < 0)
		goto out;
	if ((with_upper && layers_new(*storefd, ufd, uname, &out.upper, err) < 0) ||
	    layer_chain_write(dfd, &out, err) < 0)
		goto out;
	if (!live) {
		/* the caller holds the container's lock: a killed command's */
		storage_sweep(cfd, LAYERS_FILE ".tmp.", "the container's folder");
		/* the container goes on in a fresh upper over its old one: the
		 * same tree, so a kill after this rename and before the caller's
		 * leaves the container whole, one layer deeper */
		mine.template_key = out.template_key ? xstrdup(out.template_key) : NULL;
		mine.lowers = strv_copy(out.lowers);
		if (layers_new(*storefd, ufd, uname, &mine.upper, err) < 0 || layer_chain_write(cfd, &mine, err) < 0)
			goto out;
	}
	r = 0;
out:
	if (ufd >= 0)
		close(ufd);
	layer_chain_free(&cur);
	layer_chain_free(&mine);
	layer_chain_free(&out);
	return r;
}

int storage_overlay_from(int snapfd, int dfd, const char *what, int *storefd, box_err_t *err)
{
	struct layer_chain snap, out = { 0 };
	/* a snapshot of the old layout joins the store first */
	if ((*storefd = layers_lock(err)) < 0 || storage_legacy_convert(snapfd, false, *storefd, what, err) < 0)
		return -1;
	if (layer_chain_read(snapfd, &snap, err) < 0)
		return box_error_wrap(err, "the overlay layers of %s", what);
	int r = -1;
	cleanup_free char *top = layer_chain_top_path(&snap);
	out.template_key = snap.template_key ? xstrdup(snap.template_key) : NULL;
	out.lowers = strv_copy(snap.lowers);
	if (layers_new(*storefd, AT_FDCWD, top, &out.upper, err) == 0 && layer_chain_write(dfd, &out, err) == 0)
		r = 0;
	layer_chain_free(&snap);
	layer_chain_free(&out);
	return r;
}
