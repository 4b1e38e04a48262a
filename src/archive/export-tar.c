/* The tar stream of an export: pct.conf, pct.fw, then the rootfs walked with
 * libarchive's archive_read_disk (metadata, xattrs, ACLs, sparse maps) and
 * written with its pax writer through our own compressing output callbacks. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "archive/export.h"
#include "archive/libarchive.h"
#include "archive/pct-export.h"
#include "archive/pct.h"
#include "archive/pgzip.h"
#include "base/rootfs.h"
#include "base/util.h"
#include "base/notes.h"

volatile int export_interrupted;

/* ---- output: compression and progress ---- */

struct out {
	int fd;
	enum export_compress comp;
	struct pgzip *gz;
	ZSTD_CCtx *zc;
	unsigned char *zbuf;
	size_t zbuf_len;
	box_err_t err; /* the first output error, reported after libarchive's */
	/* progress */
	bool progress;
	uint64_t total, done;
	uint64_t t0, last_print;
};

static int out_raw(struct out *o, const void *buf, size_t len)
{
	if (write_all(o->fd, buf, len) < 0)
		return box_error(&o->err, errno, "writing the archive");
	return 0;
}

static int zstd_pump(struct out *o, const void *buf, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	for (;;) {
		ZSTD_outBuffer ob = { o->zbuf, o->zbuf_len, 0 };
		size_t left = ZSTD_compressStream2(o->zc, &ob, &in, mode);
		if (ZSTD_isError(left))
			return box_error(&o->err, EIO, "zstd: %s", ZSTD_getErrorName(left));
		if (ob.pos && out_raw(o, o->zbuf, ob.pos) < 0)
			return -1;
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static void print_progress(struct out *o, bool final)
{
	uint64_t now = now_ms();
	if (!final && now - o->last_print < 500)
		return;
	o->last_print = now;
	double secs = (now - o->t0) / 1000.0;
	double rate = secs > 0 ? o->done / secs : 0;
	char eta[32] = "";
	if (!final && rate > 0 && o->total > o->done) {
		unsigned s = (unsigned)((o->total - o->done) / rate);
		snprintf(eta, sizeof(eta), "  ETA %u:%02u", s / 60, s % 60);
	}
	box_progress("\r%8.1f MiB of %.1f MiB  %6.1f MB/s%s   %s", o->done / 1048576.0, o->total / 1048576.0,
		     rate / 1e6, eta, final ? "\n" : "");
}

static la_ssize_t out_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct out *o = data;
	if (export_interrupted) {
		box_error(&o->err, EINTR, "interrupted");
		archive_set_error(a, EINTR, "interrupted");
		return -1;
	}
	int r;
	switch (o->comp) {
	case EXPORT_GZIP: r = pgzip_write(o->gz, buf, len, &o->err); break;
	case EXPORT_ZSTD: r = zstd_pump(o, buf, len, ZSTD_e_continue); break;
	default: r = out_raw(o, buf, len); break;
	}
	if (r < 0) {
		archive_set_error(a, o->err ? o->err->errnum : EIO, "writing the archive");
		return -1;
	}
	return (la_ssize_t)len;
}

static int out_close(struct archive *a, void *data)
{
	struct out *o = data;
	int r = 0;
	if (o->err || export_interrupted)
		return ARCHIVE_FATAL;
	if (o->comp == EXPORT_GZIP)
		r = pgzip_finish(o->gz, &o->err);
	else if (o->comp == EXPORT_ZSTD)
		r = zstd_pump(o, NULL, 0, ZSTD_e_end);
	return r < 0 ? ARCHIVE_FATAL : ARCHIVE_OK;
}

/* ---- what goes in ---- */

/* vzdump's --stdexcludes, and its own two files if the rootfs has them.
 * On every current distribution /var/run is a symlink to /run, so the pid
 * files vzdump means by ./var/run/?*.pid live in ./run: both are left out. */
static bool excluded(const char *p)
{
	if (!strncmp(p, "./tmp/", 6) && p[6])
		return true;
	if (!strncmp(p, "./var/tmp/", 10) && p[10])
		return true;
	size_t l = strlen(p);
	if (l > 4 && !strcmp(p + l - 4, ".pid") &&
	    ((!strncmp(p, "./var/run/", 10) && l > 14) || (!strncmp(p, "./run/", 6) && l > 10)))
		return true;
	return !strcmp(p, "./etc/vzdump/pct.conf") || !strcmp(p, "./etc/vzdump/pct.fw");
}

static bool under(const char *p, const char *dir)
{
	size_t l = strlen(dir);
	return !strncmp(p, dir, l) && p[l] == '/' && p[l + 1];
}

static bool ends_with(const char *p, const char *suffix)
{
	size_t l = strlen(p), s = strlen(suffix);
	return l >= s && !strcmp(p + l - s, suffix);
}

/* --template: what the Proxmox custom-template recipe removes by hand */
static bool template_dropped(const char *p, bool is_dir)
{
	static const char *const histories[] = { "/.bash_history", "/.ash_history",    "/.sh_history",
						 "/.zsh_history",  "/.python_history", "/.lesshst",
						 "/.viminfo",	   "/.mysql_history",  "/.psql_history" };
	if (!strcmp(p, "./etc/vzdump") || under(p, "./etc/vzdump"))
		return true;
	if (!strncmp(p, "./etc/ssh/ssh_host_", 19))
		return true;
	if (!strcmp(p, "./var/lib/dbus/machine-id") && !is_dir)
		return true;
	if (!strcmp(p, "./root/.ssh/known_hosts"))
		return true;
	if (is_dir)
		return false; /* folders stay: services expect /var/log/apt and the like */
	if (under(p, "./var/log") || under(p, "./var/cache") || under(p, "./var/lib/apt/lists") ||
	    under(p, "./etc/network/interfaces.d") || under(p, "./var/lib/dhcp"))
		return true;
	if (!strncmp(p, "./etc/systemd/network/", 22) && ends_with(p, ".network"))
		return true;
	if (under(p, "./root") || under(p, "./home"))
		for (size_t i = 0; i < ARRAY_SIZE(histories); i++)
			if (ends_with(p, histories[i]))
				return true;
	return false;
}

/* --template: files whose content is replaced; returns the new content or NULL */
static char *template_content(const char *p, int rootfd, const char *hostname)
{
	if (!strcmp(p, "./etc/machine-id"))
		return xstrdup(""); /* empty: systemd makes a new one at first boot */
	if (!strcmp(p, "./etc/hostname"))
		return xstrdup("localhost\n");
	if (!strcmp(p, "./etc/network/interfaces"))
		return xstrdup("# reset by box export --template\nauto lo\niface lo inet loopback\n\n"
			       "source /etc/network/interfaces.d/*\n");
	if (!strcmp(p, "./etc/hosts") && hostname) {
		cleanup_free char *text = NULL;
		box_err_t e = NULL;
		if (rootfs_read_file(rootfd, "etc/hosts", 1 << 20, &text, NULL, &e) < 0) {
			box_error_release(&e);
			return NULL;
		}
		/* drop the lines naming the old host ("127.0.1.1 web") */
		char *res = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&res, &n);
		if (!f)
			oom();
		for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			size_t l = nl ? (size_t)(nl - line) : strlen(line);
			cleanup_free char *copy = xstrndup(line, l);
			bool names_host = false;
			char *save = NULL;
			for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
				if (w != copy && (!strcmp(w, hostname) || (!strncmp(w, hostname, strlen(hostname)) &&
									   w[strlen(hostname)] == '.')))
					names_host = true;
			if (!names_host)
				fprintf(f, "%.*s\n", (int)l, line);
		}
		fclose(f);
		return res;
	}
	return NULL;
}

/* ---- owners: container view ---- */

struct idmap {
	bool on;
	uint32_t base, size;
	uint64_t unmapped; /* ids outside the map, written as nobody */
};

static int64_t unshift(struct idmap *m, int64_t id)
{
	if (!m->on)
		return id;
	if (id >= m->base && id < (int64_t)m->base + m->size)
		return id - m->base;
	m->unmapped++;
	return 65534;
}

static void unshift_acls(struct archive_entry *e, struct idmap *m)
{
	if (!m->on || archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) == 0)
		return;
	struct acl {
		int type, perm, tag, id;
		char *name;
	} *v = NULL;
	size_t n = 0;
	int type, perm, tag, id;
	const char *name;
	archive_entry_acl_reset(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E);
	while (archive_entry_acl_next(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E, &type, &perm, &tag, &id, &name) ==
	       ARCHIVE_OK) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		if (tag == ARCHIVE_ENTRY_ACL_USER || tag == ARCHIVE_ENTRY_ACL_GROUP)
			id = (int)unshift(m, id);
		v[n++] = (struct acl){ type, perm, tag, id, NULL };
	}
	archive_entry_acl_clear(e);
	for (size_t i = 0; i < n; i++)
		archive_entry_acl_add_entry(e, v[i].type, v[i].perm, v[i].tag, v[i].id, NULL);
	free(v);
}

/* Keeps user.* and security.capability (vzdump's --xattrs-include); a v3
 * (namespaced) file capability of an unprivileged container becomes the v2
 * form its root sees. */
static void filter_xattrs(struct archive_entry *e, struct idmap *m)
{
	if (archive_entry_xattr_count(e) == 0)
		return;
	struct xa {
		char *name;
		void *value;
		size_t size;
	} *v = NULL;
	size_t n = 0;
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (strncmp(name, "user.", 5) && strcmp(name, "security.capability"))
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].name = xstrdup(name);
		v[n].value = xmalloc(size ? size : 1);
		memcpy(v[n].value, value, size);
		v[n].size = size;
		if (m->on && !strcmp(name, "security.capability") && size == 24) {
			unsigned char *c = v[n].value;
			uint32_t magic = c[0] | c[1] << 8 | c[2] << 16 | (uint32_t)c[3] << 24;
			uint32_t rootid = c[20] | c[21] << 8 | c[22] << 16 | (uint32_t)c[23] << 24;
			if ((magic & 0xff000000) == 0x03000000 && rootid == m->base) {
				magic = (magic & 0x00ffffff) | 0x02000000;
				for (int i = 0; i < 4; i++)
					c[i] = (unsigned char)(magic >> (8 * i));
				v[n].size = 20;
			}
		}
		n++;
	}
	archive_entry_xattr_clear(e);
	for (size_t i = 0; i < n; i++) {
		archive_entry_xattr_add_entry(e, v[i].name, v[i].value, v[i].size);
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* ---- the walk ---- */

static uint64_t walk_total;
static int sum_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	if (S_ISREG(st->st_mode)) {
		uint64_t alloc = (uint64_t)st->st_blocks * 512;
		walk_total += (uint64_t)st->st_size < alloc ? (uint64_t)st->st_size : alloc;
	}
	return export_interrupted ? 1 : 0;
}

static int write_member(struct archive *a, struct archive_entry *e, const char *data, size_t len, box_err_t *err)
{
	if (archive_write_header(a, e) < ARCHIVE_OK)
		return box_error(err, archive_errno(a), "writing %s: %s", archive_entry_pathname(e),
				 archive_error_string(a));
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return box_error(err, archive_errno(a), "writing %s: %s", archive_entry_pathname(e),
				 archive_error_string(a));
	return 0;
}

static int copy_data(struct archive *disk, struct archive *a, struct archive_entry *e, struct out *o, box_err_t *err)
{
	static const char zeros[1 << 20];
	const void *buf;
	size_t size;
	la_int64_t offset, progress = 0, total = archive_entry_size(e);
	int r;
	while ((r = archive_read_data_block(disk, &buf, &size, &offset)) == ARCHIVE_OK) {
		if (export_interrupted)
			return box_error(err, EINTR, "interrupted");
		/* holes are fed as zeros: the pax writer skips them using the sparse map */
		while (offset > progress) {
			size_t n =
			    offset - progress > (la_int64_t)sizeof(zeros) ? sizeof(zeros) : (size_t)(offset - progress);
			if (archive_write_data(a, zeros, n) < 0)
				goto werr;
			progress += n;
		}
		if (size && archive_write_data(a, buf, size) != (la_ssize_t)size)
			goto werr;
		progress += size;
		o->done += size;
		if (o->progress)
			print_progress(o, false);
	}
	if (r != ARCHIVE_EOF)
		return box_error(err, archive_errno(disk), "reading %s: %s", archive_entry_sourcepath(e),
				 archive_error_string(disk));
	while (total > progress) {
		size_t n = total - progress > (la_int64_t)sizeof(zeros) ? sizeof(zeros) : (size_t)(total - progress);
		if (archive_write_data(a, zeros, n) < 0)
			goto werr;
		progress += n;
	}
	return 0;
werr:
	return box_error(err, archive_errno(a), "writing %s: %s", archive_entry_pathname(e), archive_error_string(a));
}

static int walk_rootfs(struct archive *a, struct out *o, const struct box_config *c, const char *rootfs,
		       const struct export_opts *opts, int rootfd, box_err_t *err)
{
	bool template_ = opts->template_;
	struct idmap m = { c->unprivileged, opts->id_shift, c->idmap_size, 0 };
	cleanup_archive_read struct archive *disk = archive_read_disk_new();
	cleanup_archive_linkresolver struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
	cleanup_archive_entry struct archive_entry *e = NULL;
	size_t rlen = strlen(rootfs);
	if (!disk || !lr)
		oom();
	archive_entry_linkresolver_set_strategy(lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_symlink_physical(disk);
	/* one filesystem (tar --one-file-system); no atime games */
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	if (archive_read_disk_open(disk, rootfs) != ARCHIVE_OK)
		return box_error(err, archive_errno(disk), "opening %s: %s", rootfs, archive_error_string(disk));
	for (;;) {
		if (export_interrupted)
			return box_error(err, EINTR, "interrupted");
		archive_entry_free(e);
		e = archive_entry_new();
		int r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY)
			continue;
		if (r == ARCHIVE_WARN)
			box_warn("%s: %s", archive_entry_sourcepath(e) ? archive_entry_sourcepath(e) : rootfs,
				 archive_error_string(disk));
		else if (r != ARCHIVE_OK)
			return box_error(err, archive_errno(disk), "reading %s: %s", rootfs,
					 archive_error_string(disk));
		const char *src = archive_entry_pathname(e);
		cleanup_free char *rel = NULL;
		if (strncmp(src, rootfs, rlen) || (src[rlen] && src[rlen] != '/'))
			return box_error(err, EINVAL, "unexpected path %s outside %s", src, rootfs);
		rel = src[rlen] ? xasprintf(".%s", src + rlen) : xstrdup("./");
		bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
		if (excluded(rel) || (template_ && template_dropped(rel, is_dir)))
			continue; /* and, for a folder, not descended into */
		if (is_dir)
			archive_read_disk_descend(disk);

		archive_entry_copy_pathname(e, rel);
		archive_entry_set_uid(e, unshift(&m, archive_entry_uid(e)));
		archive_entry_set_gid(e, unshift(&m, archive_entry_gid(e)));
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		unshift_acls(e, &m);
		filter_xattrs(e, &m);

		cleanup_free char *content = NULL;
		if (template_ && archive_entry_filetype(e) == AE_IFREG &&
		    (content = template_content(rel, rootfd, c->hostname ? c->hostname : c->name))) {
			archive_entry_set_nlink(e, 1);
			archive_entry_sparse_clear(e);
			archive_entry_set_size(e, (la_int64_t)strlen(content));
			if (write_member(a, e, content, strlen(content), err) < 0)
				return -1;
			continue;
		}

		struct archive_entry *sparse = NULL;
		archive_entry_linkify(lr, &e, &sparse);
		if (!e)
			continue;
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			return box_error(err, archive_errno(a), "writing %s: %s", rel, archive_error_string(a));
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 && !archive_entry_hardlink(e) &&
		    copy_data(disk, a, e, o, err) < 0)
			return -1;
	}
	if (m.unmapped)
		box_warn("%llu owner(s) outside the container's id map (%u..%u) exported as nobody (65534)",
			 (unsigned long long)m.unmapped, m.base, m.base + m.size - 1);
	return 0;
}

/* The compressor of the output, if any. */
static void out_start(struct out *o, int fd)
{
	if (o->comp == EXPORT_GZIP) {
		o->gz = pgzip_new_fd(6, 0, fd);
	} else if (o->comp == EXPORT_ZSTD) {
		o->zc = ZSTD_createCCtx();
		if (!o->zc)
			oom();
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_checksumFlag, 1);
		/* 0 workers if this libzstd is single-threaded: the call fails, harmless */
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_nbWorkers, cpus > 0 ? (int)cpus : 1);
		o->zbuf_len = ZSTD_CStreamOutSize();
		o->zbuf = xmalloc(o->zbuf_len);
	}
}

/* ./etc/vzdump/pct.conf and an empty pct.fw, first, as vzdump writes them. */
static int write_pct(struct archive *a, const struct box_config *c, int rootfd, box_err_t *err)
{
	time_t now = time(NULL);
	cleanup_free char *changes = NULL;
	cleanup_free char *pct = pct_export(c, pct_detect_ostype(rootfd), walk_total, &changes);
	if (changes)
		box_warn("pct.conf: what a pct restore of this archive would not give back: %s (box "
			 "import gives back all of it)",
			 changes);
	const char *names[] = { "./etc/vzdump/pct.conf", "./etc/vzdump/pct.fw" };
	for (int i = 0; i < 2; i++) {
		cleanup_archive_entry struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, now, 0);
		archive_entry_set_size(e, i ? 0 : (la_int64_t)strlen(pct));
		if (write_member(a, e, pct, i ? 0 : strlen(pct), err) < 0)
			return -1;
	}
	return 0;
}

/* The archive through o; the writer is freed (o's close callback run) on
 * return. */
static int write_archive(struct out *o, const struct box_config *c, const char *rootfs, const struct export_opts *opts,
			 int rootfd, box_err_t *err)
{
	cleanup_archive_write struct archive *a = archive_write_new();
	if (!a)
		oom();
	/* ustar where it fits, pax headers for long names, xattrs, ACLs, sparse
	 * maps, big ids: what GNU tar --format=posix writes */
	archive_write_set_format_pax_restricted(a);
	/* xattrs as SCHILY.xattr.* only: GNU tar (pct restore) reads those and
	 * warns about every LIBARCHIVE.xattr.* key */
	archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
	archive_write_set_bytes_per_block(a, 10240);
	if (archive_write_open2(a, o, NULL, out_write, out_close, NULL) != ARCHIVE_OK)
		return box_error(err, archive_errno(a), "starting the archive: %s", archive_error_string(a));
	if (!opts->template_ && write_pct(a, c, rootfd, err) < 0)
		return -1;
	if (walk_rootfs(a, o, c, rootfs, opts, rootfd, err) < 0)
		return -1;
	if (archive_write_close(a) != ARCHIVE_OK)
		return box_error(err, archive_errno(a), "finishing the archive: %s", archive_error_string(a));
	return 0;
}

int export_write_fd(int fd, const struct box_config *c, const char *rootfs, const struct export_opts *opts,
		    box_err_t *err)
{
	struct out o = { .fd = fd, .comp = opts->compress };
	cleanup_close int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return box_error(err, errno, "opening %s", rootfs);

	/* the size first: pct.conf's rootfs line and the progress line need it */
	walk_total = 0;
	if (nftw(rootfs, sum_cb, 64, FTW_PHYS | FTW_MOUNT) < 0)
		return box_error(err, errno, "reading %s", rootfs);
	o.total = walk_total;
	o.progress = opts->progress > 0;
	o.t0 = now_ms();
	out_start(&o, fd);
	int ret = write_archive(&o, c, rootfs, opts, rootfd, err);
	if (ret == 0 && o.progress)
		print_progress(&o, true);
	if (ret < 0 && o.err) {
		/* the output's own error (ENOSPC, EPIPE...) says more than libarchive's */
		box_error_release(err);
		*err = o.err;
		o.err = NULL;
	}
	box_error_release(&o.err);
	pgzip_free(o.gz);
	ZSTD_freeCCtx(o.zc);
	free(o.zbuf);
	if (ret < 0 && o.progress)
		box_progress("\n");
	return ret;
}
