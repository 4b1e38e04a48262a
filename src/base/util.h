/* Small helpers every module uses: whole-file I/O, directory creation,
 * clocks; and, through base/mem.h, allocation and cleanup attributes. */
#ifndef BOX_UTIL_H
#define BOX_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/log.h"
#include "base/mem.h"

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
/* Removes the temporaries of those two (NAME.tmp.PID) in dirfd whose NAME
 * starts with prefix and whose writer is dead: a kill between create and
 * rename left them. A live writer's are left to it. */
void sweep_dead_temporaries(int dirfd, const char *prefix);
/* mkdir -p; existing folders are fine. */
int mkdir_p(const char *path, mode_t mode, box_err_t *err);
/* Opens (creating, mode 0600, never through a symlink) and flock()s the lock
 * file path exclusively, waiting for its holder (an EINTR from
 * catch_interrupts is retried); flags: O_CLOEXEC or 0. The fd holds it. */
int lock_path(const char *path, int flags, box_err_t *err);
/* rm -rf below dirfd/name without crossing mount points or following symlinks. */
int rm_rf_at(int dirfd, const char *name, box_err_t *err);

/* SIGINT, SIGTERM and SIGHUP call `handler` (which sets a flag the work
 * checks), without SA_RESTART: a blocked read, write or lock wait returns
 * EINTR, so that a long operation stops and undoes what it made. */
void catch_interrupts(void (*handler)(int));

/* Monotonic clock in nanoseconds / milliseconds. */
uint64_t now_ns(void);
/* Code a supervisor runs while idle: the linker keeps it together
 * (.text.hot), so that what the loop faults back after a shed (shed.h) is
 * one fault-around window of box's text, not one per function. */
#define BOX_RESIDENT __attribute__((hot, noinline))

BOX_RESIDENT uint64_t now_ms(void);

/* Retries on EINTR and short writes. */
ssize_t write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

#endif
