/* Allocation that cannot fail (OOM aborts), cleanup attributes, string
 * vectors. The bottom of base/: it uses nothing of boxes, so that log and
 * util can both build on it. */
#ifndef BOX_MEM_H
#define BOX_MEM_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void oom(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
void cleanup_closedirp(DIR **d);
void cleanup_strvp(char ***v);

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

/* Takes ownership away from a cleanup-attributed local. */
#define steal_pointer(pp)                                                                                              \
	({                                                                                                             \
		__typeof__(*(pp)) _p = *(pp);                                                                          \
		*(pp) = NULL;                                                                                          \
		_p;                                                                                                    \
	})
#define steal_fd(fdp)                                                                                                  \
	({                                                                                                             \
		int _fd = *(fdp);                                                                                      \
		*(fdp) = -1;                                                                                           \
		_fd;                                                                                                   \
	})

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
void strv_push(char ***v, const char *s); /* copies s */
void strv_free(char **v);
char **strv_copy(char *const *v);

#endif
