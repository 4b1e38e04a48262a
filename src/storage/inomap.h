/* A map from a file's identity (dev, ino) to a small record of the
 * caller's, held inline: the copy's hard links (copy.c: the first copy's
 * path of a file with several names) and the pre-copy's files (precopy.c).
 * Open addressing with linear probing, grown to keep it at most half full,
 * since a hostile tree may hold a million links. */
#ifndef BOX_STORAGE_INOMAP_H
#define BOX_STORAGE_INOMAP_H

#include <stddef.h>
#include <sys/types.h>

struct inomap {
	size_t value_size, slot_size; /* set by inomap_init */
	size_t n, cap;		      /* entries, slots (0 or a power of two) */
	unsigned char *slots;
};

/* An empty map of records of value_size bytes; allocates nothing yet. */
void inomap_init(struct inomap *m, size_t value_size);
/* The record of (dev, ino), NULL when there is none. Valid until the next
 * inomap_add (which may move every record). */
void *inomap_find(const struct inomap *m, dev_t dev, ino_t ino);
/* Adds (dev, ino), which must not be there, and returns its record, zeroed,
 * for the caller to fill (valid as inomap_find's). */
void *inomap_add(struct inomap *m, dev_t dev, ino_t ino);
/* Calls each (when not NULL) on every record, to free what it points to,
 * then frees the map; it is empty again (inomap_init's state). */
void inomap_free(struct inomap *m, void (*each)(void *value));

#endif
