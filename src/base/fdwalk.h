/* A walk of the folder tree below a folder fd, holding one folder fd at a
 * time: down by openat (O_NOFOLLOW), back up by "..", the names of each
 * level kept in memory. A container's root nests folders (or cgroups) past
 * PATH_MAX and deeper than the fd limit; a walk that held an fd per level
 * ran out at 1024, one by path failed at 4096 bytes. Used by rm_rf_at and
 * by the cgroup walks. Nothing may rename a folder of the walk to another
 * parent meanwhile ("..": a stopped tree, or cgroupfs, which renames only
 * within a parent). */
#ifndef BOX_FDWALK_H
#define BOX_FDWALK_H

#include <stdbool.h>
#include <stddef.h>

struct fd_walk_level {
	char **names;
	size_t n, next;
};
/* Adds a subfolder to go into (from a list callback). */
void fd_walk_add(struct fd_walk_level *l, const char *name);

struct fd_walk {
	/* Each folder entered, the top first: its subfolders to go into added
	 * with fd_walk_add. Non-zero stops the walk and is returned. */
	int (*list)(int fd, struct fd_walk_level *l, void *data);
	/* A subfolder's tree is done (parent: its folder's fd); may be NULL.
	 * Non-zero stops the walk and is returned. */
	int (*leave)(int parent, const char *name, void *data);
	/* A subfolder that cannot be opened is skipped (gone meanwhile), else
	 * the walk stops with -errno. */
	bool skip_unopened;
	void *data;
};

/* Walks the tree of fd (taken, closed). 0, or the first non-zero of a
 * callback, or -errno of an open that failed. */
int fd_walk(int fd, const struct fd_walk *w);

#endif
