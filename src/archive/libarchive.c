/* libarchive, loaded on first use. Only create, import and export read or
 * write archives, but every exec of box paid for loading libarchive and what
 * it needs (libxml2, ICU, libstdc++, nettle, lzma, bzip2, acl: ~2.5 ms of
 * dynamic loading, page faults and exit, on every `box start`, `box stop`
 * and `box ls`), and every supervisor carried the mappings. So box is not
 * linked with it: each libarchive function the code calls is one line below,
 * defined here with the prototype <archive.h> declares (a wrong line does not
 * compile), and loads the library and the symbol the first time it is called.
 *
 * A call of a function missing here fails at link time with "undefined
 * reference to `archive_foo'": add its line (LA<number of arguments>, or
 * LAV<n> for a void one). */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "archive/libarchive.h"
#include "base/log.h"

#ifndef LIBARCHIVE_SONAME
#define LIBARCHIVE_SONAME "libarchive.so.13"
#endif

static void *lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	lib = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
}

/* The symbol, looked up once; the library is part of boxes' install, so
 * its absence ends the command as a missing shared library would. */
static void *sym(void **slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (p)
		return p;
	pthread_once(&once, load);
	p = lib ? dlsym(lib, name) : NULL;
	if (!p) {
		dprintf(STDERR_FILENO,
			"%s: cannot load %s from " LIBARCHIVE_SONAME " (needed to read and write "
			"archives): %s\n",
			box_progname, name, dlerror());
		exit(BOX_EXIT_FAIL);
	}
	__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	return p;
}

// clang-format off
#define FN(N) static void *N##_p
#define CALL(N, R, ...) ((R(*)(__VA_ARGS__))sym(&N##_p, #N))
#define LA0(R, N) FN(N); R N(void) { return CALL(N, R, void)(); }
#define LA1(R, N, T1) FN(N); R N(T1 a1) { return CALL(N, R, T1)(a1); }
#define LA2(R, N, T1, T2) FN(N); R N(T1 a1, T2 a2) { return CALL(N, R, T1, T2)(a1, a2); }
#define LA3(R, N, T1, T2, T3) FN(N); R N(T1 a1, T2 a2, T3 a3) { return CALL(N, R, T1, T2, T3)(a1, a2, a3); }
#define LA4(R, N, T1, T2, T3, T4)                                                                  \
	FN(N);                                                                                     \
	R N(T1 a1, T2 a2, T3 a3, T4 a4) { return CALL(N, R, T1, T2, T3, T4)(a1, a2, a3, a4); }
#define LA5(R, N, T1, T2, T3, T4, T5)                                                              \
	FN(N);                                                                                     \
	R N(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5) { return CALL(N, R, T1, T2, T3, T4, T5)(a1, a2, a3, a4, a5); }
#define LA6(R, N, T1, T2, T3, T4, T5, T6)                                                          \
	FN(N);                                                                                     \
	R N(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)                                              \
	{                                                                                          \
		return CALL(N, R, T1, T2, T3, T4, T5, T6)(a1, a2, a3, a4, a5, a6);                \
	}
#define LA7(R, N, T1, T2, T3, T4, T5, T6, T7)                                                      \
	FN(N);                                                                                     \
	R N(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)                                       \
	{                                                                                          \
		return CALL(N, R, T1, T2, T3, T4, T5, T6, T7)(a1, a2, a3, a4, a5, a6, a7);        \
	}
#define LAV1(N, T1) FN(N); void N(T1 a1) { CALL(N, void, T1)(a1); }
#define LAV2(N, T1, T2) FN(N); void N(T1 a1, T2 a2) { CALL(N, void, T1, T2)(a1, a2); }
#define LAV3(N, T1, T2, T3) FN(N); void N(T1 a1, T2 a2, T3 a3) { CALL(N, void, T1, T2, T3)(a1, a2, a3); }
#define LAV4(N, T1, T2, T3, T4)                                                                    \
	FN(N);                                                                                     \
	void N(T1 a1, T2 a2, T3 a3, T4 a4) { CALL(N, void, T1, T2, T3, T4)(a1, a2, a3, a4); }

/* clang-format off */
LA6(int, archive_entry_acl_add_entry, struct archive_entry *, int, int, int, int, const char *)
LAV1(archive_entry_acl_clear, struct archive_entry *)
LA2(int, archive_entry_acl_count, struct archive_entry *, int)
LA7(int, archive_entry_acl_next, struct archive_entry *, int, int *, int *, int *, int *, const char **)
LA2(int, archive_entry_acl_reset, struct archive_entry *, int)
LAV2(archive_entry_copy_hardlink, struct archive_entry *, const char *)
LAV2(archive_entry_copy_pathname, struct archive_entry *, const char *)
LA1(__LA_MODE_T, archive_entry_filetype, struct archive_entry *)
LAV1(archive_entry_free, struct archive_entry *)
LA1(la_int64_t, archive_entry_gid, struct archive_entry *)
LA1(const char *, archive_entry_hardlink, struct archive_entry *)
LAV3(archive_entry_linkify, struct archive_entry_linkresolver *, struct archive_entry **, struct archive_entry **)
LAV1(archive_entry_linkresolver_free, struct archive_entry_linkresolver *)
LA0(struct archive_entry_linkresolver *, archive_entry_linkresolver_new)
LAV2(archive_entry_linkresolver_set_strategy, struct archive_entry_linkresolver *, int)
LA0(struct archive_entry *, archive_entry_new)
LA1(const char *, archive_entry_pathname, struct archive_entry *)
LA1(dev_t, archive_entry_rdevmajor, struct archive_entry *)
LA1(dev_t, archive_entry_rdevminor, struct archive_entry *)
LAV2(archive_entry_set_filetype, struct archive_entry *, unsigned int)
LAV2(archive_entry_set_gid, struct archive_entry *, la_int64_t)
LAV2(archive_entry_set_gname, struct archive_entry *, const char *)
LAV3(archive_entry_set_mtime, struct archive_entry *, time_t, long)
LAV2(archive_entry_set_nlink, struct archive_entry *, unsigned int)
LAV2(archive_entry_set_pathname, struct archive_entry *, const char *)
LAV2(archive_entry_set_perm, struct archive_entry *, __LA_MODE_T)
LAV2(archive_entry_set_size, struct archive_entry *, la_int64_t)
LAV2(archive_entry_set_uid, struct archive_entry *, la_int64_t)
LAV2(archive_entry_set_uname, struct archive_entry *, const char *)
LA1(la_int64_t, archive_entry_size, struct archive_entry *)
LA1(const char *, archive_entry_sourcepath, struct archive_entry *)
LAV1(archive_entry_sparse_clear, struct archive_entry *)
LA1(la_int64_t, archive_entry_uid, struct archive_entry *)
LAV4(archive_entry_xattr_add_entry, struct archive_entry *, const char *, const void *, size_t)
LAV1(archive_entry_xattr_clear, struct archive_entry *)
LA1(int, archive_entry_xattr_count, struct archive_entry *)
LA4(int, archive_entry_xattr_next, struct archive_entry *, const char **, const void **, size_t *)
LA1(int, archive_entry_xattr_reset, struct archive_entry *)
LA1(int, archive_errno, struct archive *)
LA1(const char *, archive_error_string, struct archive *)
LA3(la_ssize_t, archive_read_data, struct archive *, void *, size_t)
LA4(int, archive_read_data_block, struct archive *, const void **, size_t *, la_int64_t *)
LA1(int, archive_read_disk_descend, struct archive *)
LA0(struct archive *, archive_read_disk_new)
LA2(int, archive_read_disk_open, struct archive *, const char *)
LA2(int, archive_read_disk_set_behavior, struct archive *, int)
LA1(int, archive_read_disk_set_symlink_physical, struct archive *)
LA1(int, archive_read_free, struct archive *)
LA0(struct archive *, archive_read_new)
LA2(int, archive_read_next_header, struct archive *, struct archive_entry **)
LA2(int, archive_read_next_header2, struct archive *, struct archive_entry *)
LA5(int, archive_read_open, struct archive *, void *, archive_open_callback *, archive_read_callback *, archive_close_callback *)
LA1(int, archive_read_support_filter_bzip2, struct archive *)
LA1(int, archive_read_support_filter_gzip, struct archive *)
LA1(int, archive_read_support_filter_lzma, struct archive *)
LA1(int, archive_read_support_filter_none, struct archive *)
LA1(int, archive_read_support_filter_xz, struct archive *)
LA1(int, archive_read_support_filter_zstd, struct archive *)
LA1(int, archive_read_support_format_raw, struct archive *)
LA1(int, archive_read_support_format_tar, struct archive *)
LA1(int, archive_write_close, struct archive *)
LA3(la_ssize_t, archive_write_data, struct archive *, const void *, size_t)
LA4(la_ssize_t, archive_write_data_block, struct archive *, const void *, size_t, la_int64_t)
LA0(struct archive *, archive_write_disk_new)
LA2(int, archive_write_disk_set_options, struct archive *, int)
LA1(int, archive_write_finish_entry, struct archive *)
LA1(int, archive_write_free, struct archive *)
LA2(int, archive_write_header, struct archive *, struct archive_entry *)
LA0(struct archive *, archive_write_new)
LA6(int, archive_write_open2, struct archive *, void *, archive_open_callback *, archive_write_callback *, archive_close_callback *, archive_free_callback *)
LA2(int, archive_write_set_bytes_per_block, struct archive *, int)
LA4(int, archive_write_set_format_option, struct archive *, const char *, const char *, const char *)
LA1(int, archive_write_set_format_pax_restricted, struct archive *)
// clang-format on
/* clang-format on */

/* printf-like: formatted here, passed on whole */
FN(archive_set_error);
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CALL(archive_set_error, void, struct archive *, int, const char *, ...)(a, err, "%s", msg);
}

void archive_read_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

void archive_write_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

void archive_entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

void archive_entry_linkresolver_freep(struct archive_entry_linkresolver **lr)
{
	if (*lr)
		archive_entry_linkresolver_free(*lr);
}
