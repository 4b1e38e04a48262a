/* One line of /proc/PID/mountinfo split into the fields boxes reads
 * (proc(5)): "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
 * FSTYPE SOURCE SUPEROPTS". The one parser of the format: cgroup's
 * hierarchies and idmap's filesystem names use it. Pure: unit-tested. */
#ifndef BOX_MOUNTINFO_H
#define BOX_MOUNTINFO_H

#include <stdbool.h>

/* Pointers into the parsed line, cut there with NULs; the kernel's octal
 * escapes (a space is \040) are left as they are. */
struct mountinfo {
	unsigned long long id;
	char *root, *mountpoint, *options, *fstype, *source, *superopts;
};

/* line (a trailing newline is allowed) into m; false, m undefined, for a
 * line without every field. */
bool mountinfo_parse(char *line, struct mountinfo *m);

#endif
