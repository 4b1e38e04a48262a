/* Secure extraction of tarballs with libarchive's write_disk.
 *
 * Every archive is hostile. The checks are layered: our own per-entry check
 * (no absolute path, no ".." component, in the entry's name and in a hard
 * link's target; device nodes only when allowed) refuses the archive with a
 * message naming the entry, and libarchive's SECURE_* flags refuse writing
 * through a symlink (also for hard link targets and the deferred directory
 * fixups, fixed in 3.6.0 for CVE-2021-31566).
 *
 * write_disk resolves names against the working directory, so we fchdir() into
 * the target for the duration and come back; the deferred fixups (directory
 * modes and mtimes) run at archive_write_close(), still inside the target.
 *
 * Speed: the flags are those bsdtar -x uses as root minus FFLAGS and
 * MAC_METADATA (each costs per-entry work); no user/group name lookup (numeric
 * owners, no NSS); data is copied block by block, so sparse entries stay
 * sparse. */
#include "archive/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "archive/instream.h"
#include "archive/libarchive.h"
#include "base/util.h"
#include "base/notes.h"

#define MAX_WARNINGS 10

volatile sig_atomic_t archive_interrupted;

/* The errno worth printing after libarchive's message: none for its own
 * complaints about the archive (EILSEQ = ARCHIVE_ERRNO_FILE_FORMAT, -1 =
 * ARCHIVE_ERRNO_MISC, and on the reading side EINVAL: "Damaged tar
 * archive"), the system's for a failed syscall. */
static int lerrno(struct archive *a)
{
	int e = archive_errno(a);
	return e > 0 && e != EILSEQ ? e : 0;
}

static int rerrno(struct archive *a)
{
	int e = lerrno(a);
	return e == EINVAL ? 0 : e;
}

/* The tarball's bytes, through instream.h (gzip and zstd decoded there, to
 * the end of the stream, checksums checked). */
struct input {
	int fd;
	struct instream *s;
};

static la_ssize_t input_read(struct archive *a, void *data, const void **buf)
{
	struct input *in = data;
	ssize_t n = instream_read(in->s, buf);
	if (n < 0)
		archive_set_error(a, errno ? errno : -1, "%s", instream_error(in->s));
	return n;
}

static int input_close(struct archive *a, void *data)
{
	struct input *in = data;
	instream_free(in->s);
	close(in->fd);
	free(in);
	return ARCHIVE_OK;
}

static int open_read(const char *path, struct archive **out, struct input **gout, box_err_t *err)
{
	bool std_in = !strcmp(path, "-");
	struct stat st;
	*out = NULL;
	int fd = std_in ? fcntl(0, F_DUPFD_CLOEXEC, 3) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "%s", std_in ? "standard input" : path);
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return box_error(err, e, "%s", path);
	}
	if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0)) {
		close(fd);
		return box_error(err, 0, "%s is %s, not a tarball", path, S_ISDIR(st.st_mode) ? "a folder" : "empty");
	}
	/* gzip and zstd are decoded (and checked) by instream's thread, the
	 * other compressions by libarchive: detection from content, the name's
	 * suffix is never trusted */
	struct input *g = xzalloc(sizeof(*g));
	g->fd = fd;
	if (instream_open(fd, path, &archive_interrupted, &g->s, err) < 0) {
		close(fd);
		free(g);
		return -1; /* (instream's messages name the file) */
	}
	struct archive *a = archive_read_new();
	if (!a)
		oom();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_format_tar(a);
	/* from here on libarchive owns g: input_close frees it, also when the open fails */
	if (archive_read_open(a, g, NULL, input_read, input_close) != ARCHIVE_OK) {
		if (archive_errno(a) == EILSEQ)
			box_error(err, 0,
				  "%s is not a tarball (%s): a template is a tar archive, plain or compressed "
				  "with gzip, zstd, xz, lzma or bzip2",
				  path, archive_error_string(a));
		else
			box_error(err, rerrno(a), "opening %s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	*out = a;
	if (gout)
		*gout = g;
	return 0;
}

/* A name inside the archive: relative, no ".." component. "./x", "x" are fine. */
static bool name_escapes(const char *p)
{
	if (p[0] == '/')
		return true;
	for (const char *s = p; *s;) {
		const char *e = strchrnul(s, '/');
		if (e - s == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}

static int shift_id(int64_t id, const struct extract_opts *o, const char *what, const char *path, int64_t *out,
		    box_err_t *err)
{
	if (id < 0 || (uint64_t)id >= o->id_range)
		return box_error(err, 0,
				 "entry '%s': %s %lld is outside the container's %u mapped ids "
				 "(raise idmap_size, or use a privileged container)",
				 path, what, (long long)id, o->id_range);
	*out = id + o->id_shift;
	return 0;
}

/* ACL qualifiers are ids too: rebuild the entry's ACL with shifted ids. */
static int shift_acl(struct archive_entry *e, const struct extract_opts *o, const char *path, box_err_t *err)
{
	int types = ARCHIVE_ENTRY_ACL_TYPE_ACCESS | ARCHIVE_ENTRY_ACL_TYPE_DEFAULT;
	if (archive_entry_acl_reset(e, types) == 0)
		return 0;
	struct acl_ent {
		int type, perm, tag, qual;
	} *v = NULL;
	size_t n = 0;
	int type, perm, tag, qual;
	const char *name;
	while (archive_entry_acl_next(e, types, &type, &perm, &tag, &qual, &name) == ARCHIVE_OK) {
		/* a qualifier known by name only (GNU tar writes "group:adm:r-x")
		 * would be looked up in the host's passwd and group: not a
		 * container's id, so the entry is left out */
		if ((tag == ARCHIVE_ENTRY_ACL_USER || tag == ARCHIVE_ENTRY_ACL_GROUP) && qual < 0)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		if (tag == ARCHIVE_ENTRY_ACL_USER || tag == ARCHIVE_ENTRY_ACL_GROUP) {
			int64_t q = 0;
			if (shift_id(qual, o, "ACL id", path, &q, err) < 0) {
				free(v);
				return -1;
			}
			qual = (int)q;
		}
		v[n++] = (struct acl_ent){ type, perm, tag, qual };
	}
	archive_entry_acl_clear(e);
	for (size_t i = 0; i < n; i++)
		archive_entry_acl_add_entry(e, v[i].type, v[i].perm, v[i].tag, v[i].qual, NULL);
	free(v);
	return 0;
}

static int check_entry(struct archive_entry *e, const struct extract_opts *o, box_err_t *err)
{
	const char *p = archive_entry_pathname(e);
	const char *hl = archive_entry_hardlink(e);
	if (!p || !*p)
		return box_error(err, 0, "an entry without a name: refusing the archive");
	if (name_escapes(p))
		return box_error(err, 0, "hostile archive: entry '%s' points outside the target (%s)", p,
				 p[0] == '/' ? "absolute path" : "\"..\" component");
	if (hl && name_escapes(hl))
		return box_error(err, 0, "hostile archive: hard link '%s' -> '%s' points outside the target", p, hl);
	mode_t type = archive_entry_filetype(e);
	if (!hl && (type == AE_IFCHR || type == AE_IFBLK) && !o->allow_devices)
		return box_error(err, EPERM,
				 "entry '%s' is a device node (%s %u:%u), refused for an unprivileged container", p,
				 type == AE_IFCHR ? "char" : "block", (unsigned)archive_entry_rdevmajor(e),
				 (unsigned)archive_entry_rdevminor(e));
	if (o->id_range) {
		int64_t id = 0;
		if (shift_id(archive_entry_uid(e), o, "uid", p, &id, err) < 0)
			return -1;
		archive_entry_set_uid(e, id);
		if (shift_id(archive_entry_gid(e), o, "gid", p, &id, err) < 0)
			return -1;
		archive_entry_set_gid(e, id);
		/* names would be looked up on the host: never */
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		if (shift_acl(e, o, p, err) < 0)
			return -1;
	}
	return 0;
}

/* A warning of write_disk is metadata it could not restore (an xattr the
 * file system refuses), said and not fatal as tar does; but a warning whose
 * errno says the disk itself failed or is full is a tree that is not whole. */
static bool warn_is_fatal(struct archive *w)
{
	int e = archive_errno(w);
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS || e == EFBIG;
}

static int copy_data(struct archive *a, struct archive *w, const char *path, uint64_t *bytes, box_err_t *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	for (;;) {
		if (archive_interrupted)
			return box_error(err, 0, "interrupted by SIG%s while extracting '%s'",
					 sigabbrev_np(archive_interrupted), path);
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return box_error(err, rerrno(a), "reading '%s': %s", path, archive_error_string(a));
		/* write_disk reports a failed write(2) (a full disk) as
		 * ARCHIVE_WARN: anything but OK is a file that is not whole */
		if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK)
			return box_error(err, lerrno(w), "writing '%s': %s", path, archive_error_string(w));
		*bytes += len;
	}
}

/* What an extraction counted so far. */
struct tally {
	uint64_t bytes;
	unsigned long entries, warnings;
};

/* A warning of libarchive's, said (the first MAX_WARNINGS of them). */
static void warn(struct tally *t, const char *what, const char *p, struct archive *x)
{
	if (t->warnings++ < MAX_WARNINGS)
		box_warn("%s%s%s%s: %s", what, p ? " '" : "", p ? p : "", p ? "'" : "", archive_error_string(x));
}

/* The next header: 1, 0 at the end, -1 on an error. */
static int next_header(struct archive *a, struct archive_entry **e, struct tally *t, box_err_t *err)
{
	if (archive_interrupted)
		return box_error(err, 0, "interrupted by SIG%s after %lu entries", sigabbrev_np(archive_interrupted),
				 t->entries);
	int r = archive_read_next_header(a, e);
	if (r == ARCHIVE_EOF)
		return 0;
	/* ARCHIVE_RETRY is a damaged header that libarchive would skip
	 * (bsdtar: "Retrying..."): a template missing a file is no template */
	if (r == ARCHIVE_RETRY)
		return box_error(err, 0, "damaged archive: a header after %lu good entries is unreadable (%s)",
				 t->entries, archive_error_string(a));
	if (r < ARCHIVE_WARN && t->entries)
		return box_error(err, rerrno(a), "reading the archive after %lu good entries: %s", t->entries,
				 archive_error_string(a));
	if (r < ARCHIVE_WARN)
		return box_error(err, rerrno(a), "reading the archive: %s", archive_error_string(a));
	if (r == ARCHIVE_WARN)
		warn(t, "reading the archive", NULL, a);
	return 1;
}

/* A result of write_disk: an error, or a warning that is one (a full disk). */
static int disk_result(int r, struct archive *w, struct tally *t, const char *p, box_err_t *err)
{
	if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && warn_is_fatal(w)))
		return box_error(err, lerrno(w), "extracting '%s': %s", p, archive_error_string(w));
	/* metadata that could not be restored (an xattr the filesystem
	 * refuses, ...): said, not fatal, as tar does */
	if (r == ARCHIVE_WARN)
		warn(t, "extracting", p, w);
	return 0;
}

/* One entry, checked, then written with its data. */
static int extract_entry(struct archive *a, struct archive *w, struct archive_entry *e, const struct extract_opts *o,
			 struct tally *t, box_err_t *err)
{
	const char *p = archive_entry_pathname(e);
	if (!p || !*p)
		return box_error(err, 0, "an entry without a name: refusing the archive");
	if (o->filter && o->filter(e, o->filter_data) == ENTRY_SKIP)
		return 0;
	if ((!strcmp(p, ".") || !strcmp(p, "./")) && archive_entry_filetype(e) != AE_IFDIR)
		return box_error(err, 0, "hostile archive: its root '%s' is not a folder", p);
	if (check_entry(e, o, err) < 0)
		return -1;
	p = archive_entry_pathname(e);
	if (disk_result(archive_write_header(w, e), w, t, p, err) < 0)
		return -1;
	if (archive_entry_size(e) > 0 && copy_data(a, w, p, &t->bytes, err) < 0)
		return -1;
	if (disk_result(archive_write_finish_entry(w), w, t, p, err) < 0)
		return -1;
	t->entries++;
	return 0;
}

/* The extraction proper, in the working folder (the target). The writer
 * is freed (its deferred fixups run) before the caller leaves the folder. */
static int extract_here(struct archive *a, const struct extract_opts *o, box_err_t *err)
{
	cleanup_archive_write struct archive *w = archive_write_disk_new();
	struct archive_entry *e;
	struct tally t = { 0 };
	int r;
	if (!w)
		oom();
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
					      ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
					      ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
					      ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	while ((r = next_header(a, &e, &t, err)) > 0)
		if (extract_entry(a, w, e, o, &t, err) < 0)
			return -1;
	if (r < 0)
		return -1;
	r = archive_write_close(w);
	if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && warn_is_fatal(w)))
		return box_error(err, lerrno(w), "finishing: %s", archive_error_string(w));
	if (!t.entries && !o->filter)
		return box_error(err, 0, "the archive holds no entries");
	if (t.warnings > MAX_WARNINGS)
		box_warn("%lu more extraction warnings not shown", t.warnings - MAX_WARNINGS);
	if (o->bytes_out)
		*o->bytes_out = t.bytes;
	return 0;
}

int archive_extract(struct archive *a, const char *target, const struct extract_opts *o, box_err_t *err)
{
	static const struct extract_opts defaults = { 0 };
	cleanup_close int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return box_error(err, errno, "opening the working folder");
	cleanup_close int tfd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return box_error(err, errno, "opening %s", target);
	if (fchdir(tfd) < 0)
		return box_error(err, errno, "entering %s", target);
	int r = extract_here(a, o ? o : &defaults, err);
	if (fchdir(cwd) < 0 && r == 0)
		r = box_error(err, errno, "returning to the working folder");
	return r;
}

int archive_extract_file(const char *tarball, const char *target, const struct extract_opts *o, box_err_t *err)
{
	cleanup_archive_read struct archive *a = NULL;
	struct input *g;
	if (open_read(tarball, &a, &g, err) < 0)
		return -1;
	int r = archive_extract(a, target, o, err);
	/* libarchive stops at the end-of-archive blocks; the gzip trailer with
	 * its CRC comes after them (and GNU tar's gzip checks it too) */
	const void *buf;
	ssize_t n = 1;
	while (r == 0 && n > 0 && !archive_interrupted)
		n = instream_read(g->s, &buf);
	if (r == 0 && n < 0)
		r = box_error(err, errno, "after the last entry: %s", instream_error(g->s));
	if (r < 0)
		return box_error_wrap(err, "%s", tarball);
	return 0;
}

/* A regular file of the tarball is there in the tree, with its size. */
static int check_file(int dirfd, const char *p, la_int64_t size, box_err_t *err)
{
	if (name_escapes(p))
		return box_error(err, 0, "'%s' is not a name inside", p);
	/* the tree is the container's: never through a symlink of it */
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	cleanup_close int fd = (int)syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != size)
		return box_error(err, 0, "'%s' is missing or not whole", p);
	return 0;
}

int archive_verify_tree(const char *tarball, int dirfd, box_err_t *err)
{
	cleanup_archive_read struct archive *a = NULL;
	if (open_read(tarball, &a, NULL, err) < 0)
		return -1;
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *p = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) || !p)
			continue;
		if (check_file(dirfd, p, archive_entry_size(e), err) < 0)
			return -1;
	}
	if (r != ARCHIVE_EOF)
		return box_error(err, rerrno(a), "reading %s: %s", tarball, archive_error_string(a));
	return 0;
}
