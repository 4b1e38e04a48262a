/* box import: sniff the first member without seeking (recording the raw bytes
 * read so far, replayed when the first member turns out to be rootfs), build
 * the config, extract, and write the config last. */
#include "archive/import.h"
#include "config/idshift.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/extract.h"
#include "archive/import-commit.h"
#include "config/config.h"
#include "archive/instream.h"
#include "archive/libarchive.h"
#include "base/paths.h"
#include "archive/pct.h"
#include "config/idrange.h"
#include "base/util.h"
#include "base/notes.h"

#define PCT_CONF_MAX (1 << 20)
#define RECORD_MAX (64 << 20)
#define DECODED_BUF (256 << 10)

/* The input (decompressed by instream.h when gzip or zstd), with a record of
 * the bytes handed out until the first member is known, so that the stream
 * can start over without seeking. */
struct input {
	int fd;
	const char *label;
	struct instream *s;
	bool recording, replaying;
	unsigned char *rec;
	size_t rec_len, rec_cap, replay_pos;
	int read_errno;
	bool failed; /* the input itself failed (not its tar content) */
	/* xz, lzma and bzip2 (instream hands them on as they are) and plain tar:
	 * a libarchive reader of the raw format decodes them in front of the tar
	 * reader, so that the input can be read on past the end-of-archive
	 * blocks to its end (where xz and bzip2 check their trailers) while the
	 * tar reader stops there: what follows is padding, as GNU tar and bsdtar
	 * take it (libarchive's test_compat_plexus_archiver_tar.tar). */
	struct archive *dec;
	bool dec_eof;
	unsigned char *dbuf;
};

static la_ssize_t in_read(struct archive *a, void *data, const void **out)
{
	struct input *in = data;
	if (archive_interrupted) {
		archive_set_error(a, EINTR, "interrupted");
		return -1;
	}
	if (in->replaying && in->replay_pos < in->rec_len) {
		size_t n = in->rec_len - in->replay_pos;
		*out = in->rec + in->replay_pos;
		in->replay_pos += n;
		return (la_ssize_t)n;
	}
	const void *buf;
	ssize_t n = instream_read(in->s, &buf);
	if (n < 0) {
		in->read_errno = errno;
		in->failed = true;
		/* -1: libarchive's "no errno" (bad data, not a failed call) */
		archive_set_error(a, errno ? errno : -1, "%s", instream_error(in->s));
		return -1;
	}
	if (in->recording && n > 0) {
		if (in->rec_len + (size_t)n > RECORD_MAX) {
			archive_set_error(a, EFBIG, "first member of %s too far in", in->label);
			return -1;
		}
		if (in->rec_len + (size_t)n > in->rec_cap) {
			in->rec_cap = (in->rec_len + (size_t)n) * 2;
			in->rec = xrealloc(in->rec, in->rec_cap);
		}
		memcpy(in->rec + in->rec_len, buf, (size_t)n);
		in->rec_len += (size_t)n;
	}
	*out = buf;
	return n;
}

/* The tar reader's input: the decoder's output, or instream's. */
static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
	struct input *in = data;
	if (!in->dec)
		return in_read(a, data, out);
	if (in->dec_eof)
		return 0;
	la_ssize_t n = archive_read_data(in->dec, in->dbuf, DECODED_BUF);
	if (n < 0) {
		/* in->failed when the input below failed; else bad compressed
		 * data, which the tar reader's error then words */
		archive_set_error(a, in->failed && in->read_errno ? in->read_errno : -1, "%s",
				  archive_error_string(in->dec));
		return -1;
	}
	*out = in->dbuf;
	return n;
}

#define FORMATS "plain, or compressed with gzip, zstd, xz, lzma or bzip2"

static int open_decoder(struct input *in, box_err_t *err)
{
	if (in->dec)
		archive_read_free(in->dec);
	in->dec_eof = false;
	in->dec = archive_read_new();
	if (!in->dec)
		oom();
	if (!in->dbuf)
		in->dbuf = xmalloc(DECODED_BUF);
	/* in-process decompressors only: no external programs; the same as
	 * box create's (extract.c) */
	archive_read_support_filter_xz(in->dec);
	archive_read_support_filter_lzma(in->dec);
	archive_read_support_filter_bzip2(in->dec);
	archive_read_support_filter_none(in->dec);
	archive_read_support_format_raw(in->dec);
	struct archive_entry *e;
	if (archive_read_open(in->dec, in, NULL, in_read, NULL) != ARCHIVE_OK) {
		/* the raw format takes any byte: only an empty or failing input fails */
		return box_error(err, in->read_errno,
				 in->failed ? "%s: %s" : "%s is not a tar archive (" FORMATS "): %s", in->label,
				 archive_error_string(in->dec));
	}
	int r = archive_read_next_header(in->dec, &e);
	if (r == ARCHIVE_EOF)
		in->dec_eof = true;
	else if (r < ARCHIVE_WARN)
		return box_error(err, in->read_errno, "%s: %s", in->label, archive_error_string(in->dec));
	return 0;
}

static int open_stream(struct input *in, struct archive **out, box_err_t *err)
{
	if (instream_codec(in->s) == INSTREAM_RAW && open_decoder(in, err) < 0)
		return -1;
	struct archive *a = archive_read_new();
	if (!a)
		oom();
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, in, NULL, tar_read, NULL) != ARCHIVE_OK) {
		box_error(err, in->read_errno, in->failed ? "%s: %s" : "%s is not a tar archive (" FORMATS "): %s",
			  in->label, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* After the end-of-archive blocks: the rest of the input is read to its
 * end, not parsed, so that every checksum of the compression is checked. */
static int read_to_end(struct input *in, box_err_t *err)
{
	la_ssize_t n;
	if (in->dec) {
		while (!in->dec_eof && !archive_interrupted &&
		       (n = archive_read_data(in->dec, in->dbuf, DECODED_BUF)) != 0)
			if (n < 0)
				return box_error(err, in->read_errno, "%s: after the end of the tar archive: %s",
						 in->label, archive_error_string(in->dec));
	} else {
		const void *buf;
		while (!archive_interrupted && (n = instream_read(in->s, &buf)) != 0)
			if (n < 0)
				return box_error(err, errno, "%s", instream_error(in->s));
	}
	if (archive_interrupted)
		return box_error(err, 0, "interrupted by signal %d", (int)archive_interrupted);
	return 0;
}

/* "./etc/x", "etc/x" and "/etc/x" all name etc/x */
static const char *norm(const char *p)
{
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	return p;
}

enum kind { KIND_VZDUMP, KIND_INCUS, KIND_PLAIN };

struct filter_state {
	enum kind kind;
	bool has_sbin;
	unsigned long entries;
	struct archive *a;
	/* a pct.conf that was not the first member: read where it comes, as
	 * Proxmox does, and translated at the end */
	char *late_pct;
	size_t late_len;
	const char *late_problem; /* why it could not be read, or NULL */
	la_int64_t fw_size;	  /* ./etc/vzdump/pct.fw: firewall rules */
};

/* Reads the pct.conf member met inside the rootfs part of the archive. */
static void read_late_pct(struct filter_state *s, struct archive_entry *e)
{
	la_int64_t size = archive_entry_size(e);
	if (s->late_pct || s->late_problem)
		return;
	if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > PCT_CONF_MAX) {
		s->late_problem = "./etc/vzdump/pct.conf is not a small file";
		return;
	}
	s->late_pct = xmalloc((size_t)size + 1);
	la_ssize_t n = archive_read_data(s->a, s->late_pct, (size_t)size);
	if (n != size) {
		s->late_problem = "./etc/vzdump/pct.conf could not be read";
		free(s->late_pct);
		s->late_pct = NULL;
		return;
	}
	s->late_pct[size] = '\0';
	s->late_len = (size_t)size;
}

#define INCUS_ROOT "backup/container/rootfs/"

static enum archive_entry_action filter(struct archive_entry *e, void *data)
{
	struct filter_state *s = data;
	if (archive_interrupted)
		return ENTRY_SKIP;
	const char *p = norm(archive_entry_pathname(e));
	if (s->kind == KIND_INCUS) {
		size_t l = strlen(INCUS_ROOT);
		if (strncmp(p, INCUS_ROOT, l) && strcmp(p, "backup/container/rootfs"))
			return ENTRY_SKIP;
		cleanup_free char *np = xasprintf("./%s", p[l - 1] ? p + l : "");
		archive_entry_copy_pathname(e, np);
		const char *hl = archive_entry_hardlink(e);
		if (hl && !strncmp(norm(hl), INCUS_ROOT, l)) {
			cleanup_free char *nh = xasprintf("./%s", norm(hl) + l);
			archive_entry_copy_hardlink(e, nh);
		}
		p = norm(archive_entry_pathname(e));
	}
	/* pct restore's own rules: its config is not part of the rootfs, and
	 * /dev is made at every start */
	if (s->kind != KIND_INCUS && !strcmp(p, "etc/vzdump/pct.conf") && s->kind != KIND_VZDUMP)
		read_late_pct(s, e);
	if (s->kind != KIND_INCUS && !strcmp(p, "etc/vzdump/pct.fw"))
		s->fw_size = archive_entry_size(e);
	if (!strncmp(p, "etc/vzdump/", 11) || (!strncmp(p, "dev/", 4) && p[4]))
		return ENTRY_SKIP;
	if (!strcmp(p, "sbin") || !strcmp(p, "sbin/"))
		s->has_sbin = true;
	s->entries++;
	return ENTRY_EXTRACT;
}

/* The config of a pct.conf met after the rootfs began (NULL on an error).
 * Its ids were extracted unshifted: an unprivileged one is refused. */
static char *late_config(struct filter_state *fs, const char *name, const char *hostname, const char *label,
			 box_err_t *err)
{
	if (fs->late_problem) {
		box_error(err, 0, "%s: %s", label, fs->late_problem);
		return NULL;
	}
	struct pct_import pi;
	if (pct_import(fs->late_pct, fs->late_len, name, hostname, &pi, err) < 0) {
		box_error_wrap(err, "%s", label);
		return NULL;
	}
	struct box_config *c = NULL;
	if (config_load_buffer(pi.config_text, strlen(pi.config_text), "pct.conf", name, &c, err) == 0 &&
	    c->unprivileged)
		box_error(err, 0,
			  "%s: its pct.conf comes after the rootfs began and says unprivileged, but the files "
			  "before it were extracted with the container's ids unshifted: repack the archive "
			  "with ./etc/vzdump/pct.conf first (as vzdump does)",
			  label);
	bool ok = c && !c->unprivileged;
	config_free(c);
	if (ok && pi.untranslated)
		box_warn("%s: pct.conf keys without a boxes counterpart, left out: %s", label, pi.untranslated);
	fs->kind = KIND_VZDUMP;
	free(pi.untranslated);
	if (!ok) {
		free(pi.config_text);
		return NULL;
	}
	return pi.config_text;
}

/* One line on what the archive was, and what of it has no counterpart. */
static void say_kind(const struct filter_state *fs, const char *label, bool ours)
{
	if (fs->fw_size > 0)
		box_warn("%s: ./etc/vzdump/pct.fw (Proxmox firewall rules, %lld bytes) left out: boxes has no "
			 "firewall",
			 label, (long long)fs->fw_size);
	const char *what = fs->kind == KIND_INCUS   ? "an Incus backup: the rootfs, a minimal config"
			   : fs->kind == KIND_PLAIN ? "a plain rootfs archive (no pct.conf): a minimal config"
			   : ours		    ? "a boxes export: its config restored"
			   : fs->late_pct ? "a Proxmox vzdump archive (pct.conf not first): pct.conf translated"
					  : "a Proxmox vzdump archive: pct.conf translated";
	box_note("%s: %s", label, what);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int check_free_name(const char *name, box_err_t *err)
{
	cleanup_free char *conf = paths_config_path(name), *state = paths_container_path(name),
			  *run = xasprintf("%s/%s/state", paths_run_dir(), name);
	if (exists(conf))
		return box_error(err, 0, "container %s already exists (%s): choose another name", name, conf);
	if (exists(state))
		return box_error(err, 0,
				 "container %s already has state in %s: choose another name (or 'box destroy %s')",
				 name, state, name);
	/* the state file, not the folder: a dead start's empty folder is no container */
	if (exists(run))
		return box_error(err, 0, "container %s already has runtime state in %s: choose another name", name,
				 run);
	return 0;
}

/* Leftovers of imports of `name` killed half-way (".import-NAME.PID" whose
 * process is gone): removed, best effort. */
static void remove_stale_imports(int sfd, const char *name)
{
	cleanup_free char *prefix = xasprintf(".import-%s.", name);
	size_t pl = strlen(prefix);
	int dfd = dup(sfd);
	if (dfd < 0)
		return;
	cleanup_dir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, pl) || !de->d_name[pl] ||
		    strspn(de->d_name + pl, "0123456789") != strlen(de->d_name + pl))
			continue;
		pid_t pid = (pid_t)atoi(de->d_name + pl);
		if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		box_err_t e = NULL;
		if (rm_rf_at(sfd, de->d_name, &e) < 0)
			log_warn_ignored(&e, "removing the leftover of an interrupted import");
		else
			box_note("removed %s, left by an interrupted import", de->d_name);
	}
}

/* What one import holds, freed by job_free whatever step it stopped at. */
struct job {
	const char *name, *file;
	const struct import_opts *o;
	struct input in;
	struct box_config *c;
	struct pct_import pi;
	char *config_text;
	struct filter_state fs;
	int sfd;
	char *tmp, *rootfs; /* the hidden folder under the state folder */
	bool made_tmp;
};

static void job_free(struct job *j)
{
	instream_free(j->in.s);
	if (j->in.fd > STDIN_FILENO)
		close(j->in.fd);
	free(j->in.rec);
	archive_read_freep(&j->in.dec);
	free(j->in.dbuf);
	free(j->fs.late_pct);
	pct_import_free(&j->pi);
	config_free(j->c);
	free(j->config_text);
	if (j->sfd >= 0)
		close(j->sfd);
	free(j->tmp);
	free(j->rootfs);
}

/* What can be refused before anything is read: the name, and the hostname
 * by the config's own rules (quoting first). */
static int check_request(const char *name, const struct import_opts *o, box_err_t *err)
{
	if (paths_check_name(name, err) < 0)
		return -1;
	/* a commit of NAME a kill interrupted: finished or rolled back first */
	import_recover(name);
	if (check_free_name(name, err) < 0)
		return -1;
	if (!o->hostname)
		return 0;
	if (!*o->hostname || strpbrk(o->hostname, "\"\\\n"))
		return box_usage_error(err, "--hostname %s: not a host name", o->hostname);
	cleanup_free char *t = xasprintf("hostname = \"%s\"\n", o->hostname);
	struct box_config *hc = NULL;
	int r = config_load_buffer(t, strlen(t), "--hostname", name, &hc, err);
	config_free(hc);
	return r < 0 ? -1 : 0;
}

/* stdin ("-", never a terminal) or a file, decompressed by instream. */
static int open_input(struct input *in, const char *file, box_err_t *err)
{
	if (!strcmp(file, "-")) {
		if (isatty(STDIN_FILENO))
			return box_usage_error(
			    err, "refusing to read an archive from a terminal (pipe one in, or give a file)");
		in->fd = STDIN_FILENO;
		in->label = "stdin";
	} else {
		in->fd = open(file, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return box_error(err, errno, "opening %s", file);
		struct stat st;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode))
			return box_usage_error(err, "%s is a folder: give an archive", file);
		in->label = file;
	}
	return instream_open(in->fd, in->label, &archive_interrupted, &in->s, err);
}

/* A first member ./etc/vzdump/pct.conf: read and translated; the tar
 * reader goes on with the rootfs. */
static int read_first_pct(struct job *j, struct archive *a, struct archive_entry *e, box_err_t *err)
{
	struct input *in = &j->in;
	j->fs.kind = KIND_VZDUMP;
	la_int64_t size = archive_entry_size(e);
	if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > PCT_CONF_MAX)
		return box_error(err, 0, "%s: ./etc/vzdump/pct.conf is not a small file", in->label);
	cleanup_free char *pct = xmalloc((size_t)size + 1);
	la_ssize_t n = archive_read_data(a, pct, (size_t)size);
	if (n != size)
		return box_error(err, in->read_errno, "%s: reading pct.conf: %s", in->label,
				 n < 0 ? archive_error_string(a) : "short");
	pct[size] = '\0';
	in->recording = false;
	free(in->rec);
	in->rec = NULL;
	if (pct_import(pct, (size_t)size, j->name, j->o->hostname, &j->pi, err) < 0)
		return box_error_wrap(err, "%s", in->label);
	j->config_text = steal_pointer(&j->pi.config_text);
	if (j->pi.untranslated)
		box_warn("%s: pct.conf keys without a boxes counterpart, left out: %s", in->label, j->pi.untranslated);
	return 0;
}

/* The first member decides what this is: a pct.conf gives the config;
 * anything else is the rootfs from the first member on, and the stream
 * starts over from the record. *a: the tar reader, at the rootfs. */
static int sniff(struct job *j, struct archive **a, box_err_t *err)
{
	struct input *in = &j->in;
	in->recording = true;
	if (open_stream(in, a, err) < 0)
		return -1;
	struct archive_entry *e;
	int r = archive_read_next_header(*a, &e);
	if (r == ARCHIVE_EOF)
		return box_error(err, 0, "%s is an empty archive", in->label);
	if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY || !archive_entry_pathname(e))
		return box_error(err, in->read_errno, "%s: %s", in->label,
				 r < ARCHIVE_WARN ? archive_error_string(*a) : "damaged tar header");
	const char *first = norm(archive_entry_pathname(e));
	if (!strcmp(first, "etc/vzdump/pct.conf"))
		return read_first_pct(j, *a, e, err);
	if (!strncmp(first, "backup/", 7))
		j->fs.kind = KIND_INCUS;
	archive_read_freep(a);
	in->recording = false;
	in->replaying = true;
	if (open_stream(in, a, err) < 0)
		return -1;
	j->config_text = xasprintf("# made by box import from %s (%s)\nhostname = \"%s\"\n", in->label,
				   j->fs.kind == KIND_INCUS ? "an Incus backup" : "a plain rootfs archive",
				   j->o->hostname ? j->o->hostname : j->name);
	return 0;
}

/* The rootfs, built under a hidden name that no container can have and
 * renamed into place when complete: a kill -9 leaves nothing under the
 * container's name (the next import of it removes the leftover). */
static int make_tmp(struct job *j, box_err_t *err)
{
	if (mkdir_p(paths_state_dir(), 0755, err) < 0)
		return -1;
	j->sfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->sfd < 0)
		return box_error(err, errno, "opening %s", paths_state_dir());
	remove_stale_imports(j->sfd, j->name);
	j->tmp = xasprintf(".import-%s.%d", j->name, (int)getpid());
	j->rootfs = xasprintf("%s/%s/rootfs", paths_state_dir(), j->tmp);
	if (mkdirat(j->sfd, j->tmp, 0700) < 0)
		return box_error(err, errno, "creating %s/%s", paths_state_dir(), j->tmp);
	j->made_tmp = true;
	if (mkdir(j->rootfs, 0755) < 0)
		return box_error(err, errno, "creating %s", j->rootfs);
	return 0;
}

/* An unprivileged rootfs keeps the container's owners where the filesystem
 * can be idmapped at start (config/idshift.h): the shift the files get. */
static int choose_shift(struct job *j, uint32_t *shift, box_err_t *err)
{
	cleanup_close int tfd = openat(j->sfd, j->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0)
		return box_error(err, errno, "opening %s/%s", paths_state_dir(), j->tmp);
	if (idrange_resolve(j->c, tfd, err) < 0)
		return -1;
	*shift = idshift_choose(j->c, tfd, false);
	return idshift_write(tfd, *shift, err);
}

/* The rootfs from the tar reader, the input read to its end, and the
 * checks that it is a rootfs. */
static int extract_rootfs(struct job *j, struct archive *a, box_err_t *err)
{
	struct input *in = &j->in;
	uint32_t shift = 0;
	if (make_tmp(j, err) < 0 || choose_shift(j, &shift, err) < 0)
		return -1;
	struct extract_opts xo = {
		.allow_devices = !j->c->unprivileged,
		.id_shift = shift,
		.id_range = j->c->unprivileged ? j->c->idmap_size : 0,
		.filter = filter,
		.filter_data = &j->fs,
	};
	j->fs.a = a;
	if (archive_extract(a, j->rootfs, &xo, err) < 0 || read_to_end(in, err) < 0) {
		/* when the input itself failed, libarchive may word it as its own
		 * "Truncated input file": the input's error says what happened */
		if (archive_interrupted || in->failed) {
			box_error_release(err);
			if (archive_interrupted)
				box_error(err, 0, "interrupted by signal %d", (int)archive_interrupted);
			else
				box_error(err, in->read_errno, "%s", instream_error(in->s));
		}
		return box_error_wrap(err, "extracting %s", in->label);
	}
	if (archive_interrupted)
		return box_error(err, EINTR, "interrupted");
	if (!j->fs.has_sbin)
		return box_error(err, 0, "%s holds no sbin: not a container's root filesystem%s", in->label,
				 j->fs.entries < 10 ? " (an LXC image's meta.tar.xz? import its rootfs.tar.xz)" : "");
	return 0;
}

static int load_config(struct job *j, box_err_t *err)
{
	return config_load_buffer(j->config_text, strlen(j->config_text), "the imported config", j->name, &j->c, err);
}

/* A pct.conf met after the rootfs began replaces the config sniffed. */
static int load_late_config(struct job *j, box_err_t *err)
{
	if (!j->fs.late_pct && !j->fs.late_problem)
		return 0;
	free(j->config_text);
	j->config_text = late_config(&j->fs, j->name, j->o->hostname, j->in.label, err);
	config_free(j->c);
	j->c = NULL;
	return j->config_text ? load_config(j, err) : -1;
}

static int import_steps(struct job *j, box_err_t *err)
{
	cleanup_archive_read struct archive *a = NULL;
	if (check_request(j->name, j->o, err) < 0)
		return -1;
	/* SIGINT, SIGTERM, SIGHUP: archive_extract stops at the next entry, the
	 * input at its next read, and the import undoes what it made */
	archive_catch_interrupts();
	if (open_input(&j->in, j->file, err) < 0 || sniff(j, &a, err) < 0 || load_config(j, err) < 0 ||
	    extract_rootfs(j, a, err) < 0 || load_late_config(j, err) < 0)
		return -1;
	/* the rootfs on disk before the renames make it count: after a power
	 * cut, a container the command called imported has its files, not
	 * empty ones (ext4's delayed allocation writes none before the
	 * writeback, 30 s later by default, while the renames are in the
	 * journal's next commit). One syncfs, as the template cache's fill
	 * does: an fsync a file would be a journal commit each. */
	if (syncfs(j->sfd) < 0)
		return box_error(err, errno, "writing the imported rootfs to the disk (%s)", paths_state_dir());
	/* the rootfs and the config, as one step */
	if (import_commit(j->sfd, j->tmp, j->name, j->config_text, err) < 0)
		return -1;
	j->made_tmp = false;
	say_kind(&j->fs, j->in.label, j->pi.ours);
	return 0;
}

int import_container(const char *name, const char *file, const struct import_opts *o, box_err_t *err)
{
	__attribute__((cleanup(job_free))) struct job j = {
		.name = name,
		.file = file,
		.o = o,
		.in.fd = -1,
		.fs.kind = KIND_PLAIN,
		.sfd = -1,
	};
	if (import_steps(&j, err) == 0)
		return 0;
	if (j.made_tmp) {
		box_err_t e2 = NULL;
		if (rm_rf_at(j.sfd, j.tmp, &e2) < 0)
			log_warn_ignored(&e2, "removing the partial import %s/%s", paths_state_dir(), j.tmp);
	}
	return box_error_wrap(err, "importing %s (nothing was created)", name);
}
