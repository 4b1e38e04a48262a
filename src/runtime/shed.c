#include "runtime/shed.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

#define SHED_MAX 64
BOX_RESIDENT void shed_pages(void)
{
	static struct {
		unsigned long lo, hi;
	} r[SHED_MAX];
	int n = 0;
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	char line[512], perms[8] = "", path[256];
	unsigned long lo = 0, hi = 0;
	bool file = false;
	while (n < SHED_MAX && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &a, &b, perms, path) >= 3 && line[0] != ' ' &&
		    strchr(line, '-') < strchr(line, ' ')) {
			lo = a;
			hi = b;
			file = path[0] == '/' && perms[1] != 'w';
			continue;
		}
		unsigned long anon;
		if (file && sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
			if (anon == 0)
				r[n++] = (typeof(r[0])){ lo, hi };
			file = false;
		}
	}
	fclose(f);
	/* free heap pages go back too (glibc madvises them away) */
	malloc_trim(0);
	for (int i = 0; i < n; i++)
		syscall(SYS_madvise, r[i].lo, r[i].hi - r[i].lo, MADV_DONTNEED);
}
