#include "base/mountinfo.h"

#include <stdlib.h>
#include <string.h>

/* the next space-separated field of *s, or NULL */
static char *field(char **s)
{
	char *f;
	do
		f = strsep(s, " \n");
	while (f && !*f);
	return f;
}

bool mountinfo_parse(char *line, struct mountinfo *m)
{
	char *s = line, *end, *id = field(&s);
	if (!id || !field(&s) || !field(&s)) /* id, parent, maj:min */
		return false;
	m->id = strtoull(id, &end, 10);
	if (*end || !(m->root = field(&s)) || !(m->mountpoint = field(&s)) || !(m->options = field(&s)))
		return false;
	/* the optional fields (shared:N, master:N...), up to the separator */
	char *f;
	while ((f = field(&s)) && strcmp(f, "-"))
		;
	return f && (m->fstype = field(&s)) && (m->source = field(&s)) && (m->superopts = field(&s));
}
