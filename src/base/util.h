/* Small helpers every module uses: cleanup attributes, allocation that
 * cannot fail (OOM aborts), whole-file I/O, directory creation. */
#ifndef BOX_UTIL_H
#define BOX_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/log.h"

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

/* Reads a whole file (at most max bytes, 0 = 1 MiB) relative to dirfd; NUL-terminated. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, box_err_t *err);
/* Writes a small file (a cgroup knob, a pid file): open O_WRONLY|O_TRUNC, one write. */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode, box_err_t *err);
/* Writes data to path atomically: temporary file in the same folder, fsync, rename. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, box_err_t *err);
/* The same without the fsync, for runtime state that means nothing after a
 * crash of the host: readers see the old or the new file, never half of one,
 * and no disk I/O is waited for (it costs milliseconds). */
int write_file_replace(const char *path, const char *data, size_t len, mode_t mode, box_err_t *err);
/* mkdir -p; existing folders are fine. */
int mkdir_p(const char *path, mode_t mode, box_err_t *err);
/* rm -rf below dirfd/name without crossing mount points or following symlinks. */
int rm_rf_at(int dirfd, const char *name, box_err_t *err);

/* Monotonic clock in nanoseconds / milliseconds. */
uint64_t now_ns(void);
uint64_t now_ms(void);

/* Retries on EINTR and short writes. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

#endif
