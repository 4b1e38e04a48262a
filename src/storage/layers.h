/* Overlay layers: what an overlay container's tree is made of, and the
 * store that shares them between a container, its snapshots and its clones.
 *
 *   <state>/.layers/ID/diff/    a layer's tree (ID: 16 hex digits)
 *   <state>/.layers/ID/work/    overlay's work folder, while it is an upper
 *   <state>/NAME/layers         the container's chain: its upper, its lowers
 *   <state>/NAME/snapshots/SNAP/layers   a snapshot's chain (lowers only)
 *
 * A chain record is a text file, one layer a line, top first:
 *
 *   upper ID          the writable layer (a container's; never shared)
 *   lower ID          read-only layers, shared by snapshots and clones
 *   template KEY      the bottom: the template cache entry
 *                     <state>/templates/.cache/KEY (kept when unused);
 *                     none in a chain flattened into one whole layer
 *
 * A record is replaced by one rename (written beside it, fsynced): that
 * rename is the one commit point of a snapshot's, clone's or rollback's
 * change of a chain; the rest (new empty layers, a snapshot folder) is
 * made before it and is nobody's until then. A layer is never changed once
 * it is a lower. Layers are not counted: a layer is kept while a record
 * (a container's or a snapshot's, under a name not starting with '.')
 * names it, and layers_gc removes the others, so a kill at any point leaves
 * at most a layer that nothing names, removed by the next gc; a count that
 * a kill could leave wrong would instead delete a layer under a clone.
 * Whoever makes a layer or changes a record holds the store's lock
 * (layers_lock) from the layer's mkdir until a record names it, and gc
 * holds it too. Lock order: the container's lock, its snapshots folder's,
 * then the store's. */
#ifndef BOX_STORAGE_LAYERS_H
#define BOX_STORAGE_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/log.h"

#define LAYERS_FILE "layers"
#define LAYERS_STORE ".layers"
/* The most lower layers (the template included) a chain may have. The
 * kernel stacks at most 500 (OVL_MAX_STACK); the mount options of mount(2)
 * (kernels before 6.8, without fsconfig "lowerdir+") fit in one page: 4095
 * bytes hold about 220 layers named /proc/self/fd/N. 128 leaves room for
 * both; a snapshot or clone that would go past it flattens the chain: its
 * whole tree copied into one layer (snapshot-overlay.c). */
#ifndef LAYERS_MAX /* -DLAYERS_MAX=N: a build that flattens sooner */
#define LAYERS_MAX 128
#endif

struct layer_chain {
	char *upper;	    /* NULL in a snapshot's record */
	char **lowers;	    /* layer ids, top first (strv; NULL when none) */
	char *template_key; /* the bottom layer; NULL in a flattened chain */
};

void layer_chain_free(struct layer_chain *ch);
/* How many lower layers the chain stacks (the template included). */
size_t layer_chain_depth(const struct layer_chain *ch);
/* Reads dirfd/LAYERS_FILE; ENOENT when there is none. */
int layer_chain_read(int dirfd, struct layer_chain *ch, box_err_t *err);
/* Replaces dirfd/LAYERS_FILE by one rename (tmp LAYERS_FILE.tmp.PID,
 * fsynced; the folder fsynced after). */
int layer_chain_write(int dirfd, const struct layer_chain *ch, box_err_t *err);

/* The store, made if needed, locked (flock) until the fd is closed. */
int layers_lock(box_err_t *err);
/* A fresh layer id (random; nothing made). */
char *layers_new_id(box_err_t *err);
/* A new empty layer in the store (locked: storefd from layers_lock): diff/
 * with the owner and mode of like_fd/like_name's root (the merged root's
 * take the upper's), work/; *id gets its name. */
int layers_new(int storefd, int like_fd, const char *like_name, char **id, box_err_t *err);
/* A layer's diff/ folder path, and its work/ (work may be NULL). */
char *layers_diff_path(const char *id);
char *layers_work_path(const char *id);
/* The path of the folder of the chain's top lower (a layer's diff/ or the
 * template cache entry). */
char *layer_chain_top_path(const struct layer_chain *ch);
/* Removes the layers no record names (the store locked by the caller:
 * storefd), and the temporaries of dead processes. A record it cannot read
 * stops it (nothing removed). */
int layers_gc_locked(int storefd, box_err_t *err);
/* The same, taking the lock; nothing to do without a store. */
int layers_gc(box_err_t *err);
/* Who else names layer `id` (containers and snapshots, "NAME" or
 * "NAME@SNAP"), for box info; strv, NULL when none. */
char **layers_users(const char *id);

#endif
