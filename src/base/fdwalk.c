#include "base/fdwalk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/mem.h"

void fd_walk_add(struct fd_walk_level *l, const char *name)
{
	l->names = xrealloc(l->names, (l->n + 1) * sizeof(*l->names));
	l->names[l->n++] = xstrdup(name);
}

static void level_free(struct fd_walk_level *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

/* One more level on the stack, listed by w->list. */
static int enter(int fd, const struct fd_walk *w, struct fd_walk_level **stack, size_t *depth)
{
	*stack = xrealloc(*stack, (*depth + 1) * sizeof(**stack));
	(*stack)[*depth] = (struct fd_walk_level){ 0 };
	int ret = w->list(fd, &(*stack)[*depth], w->data);
	if (ret)
		level_free(&(*stack)[*depth]);
	else
		(*depth)++;
	return ret;
}

int fd_walk(int fd, const struct fd_walk *w)
{
	struct fd_walk_level *stack = NULL;
	size_t depth = 0;
	int ret = enter(fd, w, &stack, &depth);
	while (!ret && depth) {
		struct fd_walk_level *l = &stack[depth - 1];
		if (l->next < l->n) {
			const char *name = l->names[l->next++];
			int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (!w->skip_unopened)
					ret = -errno;
				continue;
			}
			close(fd);
			fd = sub;
			ret = enter(fd, w, &stack, &depth);
			continue;
		}
		level_free(&stack[--depth]);
		if (!depth)
			break;
		int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0) {
			ret = -errno;
			break;
		}
		close(fd);
		fd = up;
		l = &stack[depth - 1];
		if (w->leave)
			ret = w->leave(fd, l->names[l->next - 1], w->data);
	}
	while (depth)
		level_free(&stack[--depth]);
	free(stack);
	close(fd);
	return ret;
}
