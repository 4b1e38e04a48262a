/* Overlay snapshots, clones and rollbacks by layer records (layers.h): a
 * stopped container's upper layer becomes a read-only lower under a fresh
 * upper, in constant time whatever its size; a running container's upper
 * is mounted and written, so it is copied (the container frozen) into a
 * new layer instead. Every step before a record's rename makes only what
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

static int open_layer(int storefd, const char *id, box_err_t *err)
{
	int fd = openat(storefd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening the layer %s", id);
	return fd;
}

/* A copy of the layer `id`'s tree as a new layer (*copy). */
static int copy_layer(int storefd, const char *id, char **copy, box_err_t *err)
{
	cleanup_close int sfd = open_layer(storefd, id, err);
	if (sfd < 0 || layers_new(storefd, sfd, "diff", copy, err) < 0)
		return -1;
	cleanup_close int dfd = open_layer(storefd, *copy, err);
	struct copy_stats st = { .progress = isatty(STDERR_FILENO) };
	if (dfd < 0 || unlinkat(dfd, "diff", AT_REMOVEDIR) < 0)
		return box_error(err, errno, "preparing the layer %s", *copy);
	if (storage_copy_tree(sfd, "diff", dfd, "diff", &st, err) < 0)
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
static int flatten(int storefd, char *const *ids, const char *template_key, char **flat, box_err_t *err)
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
	cleanup_close int m = storage_overlay_fsmount(lowers, NULL, NULL, -1, err);
	if (m < 0)
		return *err ? -1 : box_error(err, ENOSYS, "flattening the layers needs the new mount API (fsopen)");
	if (layers_new(storefd, m, ".", flat, err) < 0)
		return -1;
	cleanup_close int dfd = open_layer(storefd, *flat, err);
	struct copy_stats st = { .progress = isatty(STDERR_FILENO) };
	if (dfd < 0 || unlinkat(dfd, "diff", AT_REMOVEDIR) < 0)
		return box_error(err, errno, "preparing the layer %s", *flat);
	if (storage_copy_tree(m, ".", dfd, "diff", &st, err) < 0)
		return box_error_wrap(err, "flattening %zu layers into one", strv_len(lowers));
	if (syncfs(dfd) < 0)
		return box_error(err, errno, "syncing the layer %s", *flat);
	return 0;
}

/* The top of a snapshot or clone of cur: its upper itself (stopped), a copy
 * of it (live), or, past LAYERS_MAX, the whole chain flattened into one
 * layer (out->template_key then NULL). */
static int new_top(int storefd, const struct layer_chain *cur, bool live, struct layer_chain *out, box_err_t *err)
{
	char *top = NULL;
	if (layer_chain_depth(cur) + 1 > LAYERS_MAX) {
		cleanup_strv char **ids = NULL;
		strv_push(&ids, cur->upper);
		for (char **l = cur->lowers; l && *l; l++)
			strv_push(&ids, *l);
		if (flatten(storefd, ids, cur->template_key, &top, err) < 0)
			return -1;
		strv_push(&out->lowers, top);
		free(top);
		return 0;
	}
	if (live && copy_layer(storefd, cur->upper, &top, err) < 0)
		return -1;
	strv_push(&out->lowers, top ? top : cur->upper);
	free(top);
	for (char **l = cur->lowers; l && *l; l++)
		strv_push(&out->lowers, *l);
	out->template_key = cur->template_key ? xstrdup(cur->template_key) : NULL;
	return 0;
}

int storage_overlay_take(int cfd, int dfd, bool live, bool with_upper, int *storefd, box_err_t *err)
{
	struct layer_chain cur, mine = { 0 }, out = { 0 };
	int ufd = -1;
	*storefd = -1;
	if (layer_chain_read(cfd, &cur, err) < 0)
		return box_error_wrap(err, "the overlay layers");
	int r = -1;
	if ((*storefd = layers_lock(err)) < 0)
		goto out;
	/* live: the mounted upper stays the container's */
	if (new_top(*storefd, &cur, live, &out, err) < 0)
		goto out;
	ufd = open_layer(*storefd, cur.upper, err);
	if (ufd < 0 || (with_upper && layers_new(*storefd, ufd, "diff", &out.upper, err) < 0) ||
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
		if (layers_new(*storefd, ufd, "diff", &mine.upper, err) < 0 || layer_chain_write(cfd, &mine, err) < 0)
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

int storage_overlay_from(int snapfd, int dfd, int *storefd, box_err_t *err)
{
	struct layer_chain snap, out = { 0 };
	*storefd = -1;
	if (layer_chain_read(snapfd, &snap, err) < 0)
		return box_error_wrap(err, "the snapshot's overlay layers");
	int r = -1;
	cleanup_free char *top = layer_chain_top_path(&snap);
	out.template_key = snap.template_key ? xstrdup(snap.template_key) : NULL;
	out.lowers = strv_copy(snap.lowers);
	if ((*storefd = layers_lock(err)) >= 0 && layers_new(*storefd, AT_FDCWD, top, &out.upper, err) == 0 &&
	    layer_chain_write(dfd, &out, err) == 0)
		r = 0;
	layer_chain_free(&snap);
	layer_chain_free(&out);
	return r;
}
