/* The root folder of a tree about to be written in bulk (a copy, a
 * pre-copy), placed where ext4 puts a top folder: away from the inodes of a
 * tree just removed, which ext4 without a journal skips one by one for each
 * new inode (place.c says more). Elsewhere a hint, or nothing. */
#ifndef BOX_STORAGE_PLACE_H
#define BOX_STORAGE_PLACE_H

/* dirfd/name (absent) made so; its fd, or -1 with errno. */
int storage_place_root(int dirfd, const char *name);

#endif
