/* The version of this build: `git describe` of the tree it was built from
 * (a tag, commits since it, the commit, "-dirty" for local changes), or the
 * release number of a tarball without git (the Makefile's VERSION). */
#ifndef BOX_VERSION_H
#define BOX_VERSION_H

extern const char box_version[];

#endif
