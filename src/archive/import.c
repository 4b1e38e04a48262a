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
#include "base/paths.h"
#include "archive/pct.h"
#include "config/idrange.h"
#include "base/util.h"

#define PCT_CONF_MAX (1 << 20)
#define RECORD_MAX (64 << 20)
#define DECODED_BUF (256 << 10)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

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
	if (interrupted) {
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
		while (!in->dec_eof && !interrupted && (n = archive_read_data(in->dec, in->dbuf, DECODED_BUF)) != 0)
			if (n < 0)
				return box_error(err, in->read_errno, "%s: after the end of the tar archive: %s",
						 in->label, archive_error_string(in->dec));
	} else {
		const void *buf;
		while (!interrupted && (n = instream_read(in->s, &buf)) != 0)
			if (n < 0)
				return box_error(err, errno, "%s", instream_error(in->s));
	}
	if (interrupted)
		return box_error(err, 0, "interrupted by signal %d", (int)interrupted);
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
	if (interrupted)
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
		log_warn("%s: pct.conf keys without a boxes counterpart, left out: %s", label, pi.untranslated);
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
		log_warn("%s: ./etc/vzdump/pct.fw (Proxmox firewall rules, %lld bytes) left out: boxes has no "
			 "firewall",
			 label, (long long)fs->fw_size);
	const char *what = fs->kind == KIND_INCUS   ? "an Incus backup: the rootfs, a minimal config"
			   : fs->kind == KIND_PLAIN ? "a plain rootfs archive (no pct.conf): a minimal config"
			   : ours		    ? "a boxes export: its config restored"
			   : fs->late_pct ? "a Proxmox vzdump archive (pct.conf not first): pct.conf translated"
					  : "a Proxmox vzdump archive: pct.conf translated";
	log_info("%s: %s", label, what);
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
		if (rm_rf_at(sfd, de->d_name, &e) < 0) {
			box_error_wrap(&e, "removing the leftover of an interrupted import");
			box_error_report(&e);
		} else {
			log_info("removed %s, left by an interrupted import", de->d_name);
		}
	}
}

int import_container(const char *name, const char *file, const struct import_opts *o, box_err_t *err)
{
	struct input *in = xzalloc(sizeof(*in));
	struct archive *a = NULL;
	struct box_config *c = NULL;
	struct pct_import pi = { 0 };
	cleanup_free char *pct = NULL, *config_text = NULL, *rootfs = NULL, *tmp = NULL;
	cleanup_close int sfd = -1;
	bool made_tmp = false;
	int ret = -1;
	struct filter_state fs = { .kind = KIND_PLAIN };

	in->fd = -1;
	if (paths_check_name(name, err) < 0)
		goto out;
	/* a commit of NAME a kill interrupted: finished or rolled back first */
	import_recover(name);
	if (check_free_name(name, err) < 0)
		goto out;
	if (o->hostname) {
		/* the config's own rules, before anything is read; quoting first */
		if (!*o->hostname || strpbrk(o->hostname, "\"\\\n")) {
			box_usage_error(err, "--hostname %s: not a host name", o->hostname);
			goto out;
		}
		cleanup_free char *t = xasprintf("hostname = \"%s\"\n", o->hostname);
		struct box_config *hc = NULL;
		if (config_load_buffer(t, strlen(t), "--hostname", name, &hc, err) < 0)
			goto out;
		config_free(hc);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (!strcmp(file, "-")) {
		if (isatty(STDIN_FILENO)) {
			box_usage_error(err,
					"refusing to read an archive from a terminal (pipe one in, or give a file)");
			goto out;
		}
		in->fd = STDIN_FILENO;
		in->label = "stdin";
	} else {
		in->fd = open(file, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			box_error(err, errno, "opening %s", file);
			goto out;
		}
		struct stat st;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			box_usage_error(err, "%s is a folder: give an archive", file);
			goto out;
		}
		in->label = file;
	}
	if (instream_open(in->fd, in->label, &interrupted, &in->s, err) < 0)
		goto out;

	/* the first member decides what this is */
	in->recording = true;
	if (open_stream(in, &a, err) < 0)
		goto out;
	struct archive_entry *e;
	int r = archive_read_next_header(a, &e);
	if (r == ARCHIVE_EOF) {
		box_error(err, 0, "%s is an empty archive", in->label);
		goto out;
	}
	if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY || !archive_entry_pathname(e)) {
		box_error(err, in->read_errno, "%s: %s", in->label,
			  r < ARCHIVE_WARN ? archive_error_string(a) : "damaged tar header");
		goto out;
	}
	const char *first = norm(archive_entry_pathname(e));
	if (!strcmp(first, "etc/vzdump/pct.conf")) {
		fs.kind = KIND_VZDUMP;
		la_int64_t size = archive_entry_size(e);
		if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > PCT_CONF_MAX) {
			box_error(err, 0, "%s: ./etc/vzdump/pct.conf is not a small file", in->label);
			goto out;
		}
		pct = xmalloc((size_t)size + 1);
		la_ssize_t n = archive_read_data(a, pct, (size_t)size);
		if (n != size) {
			box_error(err, in->read_errno, "%s: reading pct.conf: %s", in->label,
				  n < 0 ? archive_error_string(a) : "short");
			goto out;
		}
		pct[size] = '\0';
		in->recording = false;
		free(in->rec);
		in->rec = NULL;
		if (pct_import(pct, (size_t)size, name, o->hostname, &pi, err) < 0) {
			box_error_wrap(err, "%s", in->label);
			goto out;
		}
		config_text = steal_pointer(&pi.config_text);
		if (pi.untranslated)
			log_warn("%s: pct.conf keys without a boxes counterpart, left out: %s", in->label,
				 pi.untranslated);
	} else {
		/* rootfs from the first member on: start the stream over from the record */
		if (!strncmp(first, "backup/", 7))
			fs.kind = KIND_INCUS;
		archive_read_free(a);
		a = NULL;
		in->recording = false;
		in->replaying = true;
		if (open_stream(in, &a, err) < 0)
			goto out;
		config_text = xasprintf("# made by box import from %s (%s)\nhostname = \"%s\"\n",
					strcmp(file, "-") ? file : "stdin",
					fs.kind == KIND_INCUS ? "an Incus backup" : "a plain rootfs archive",
					o->hostname ? o->hostname : name);
	}
	if (config_load_buffer(config_text, strlen(config_text), "the imported config", name, &c, err) < 0)
		goto out;

	/* the rootfs, built under a hidden name that no container can have and
	 * renamed into place when complete: a kill -9 leaves nothing under the
	 * container's name (the next import of it removes the leftover) */
	if (mkdir_p(paths_state_dir(), 0755, err) < 0)
		goto out;
	sfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		box_error(err, errno, "opening %s", paths_state_dir());
		goto out;
	}
	remove_stale_imports(sfd, name);
	tmp = xasprintf(".import-%s.%d", name, (int)getpid());
	rootfs = xasprintf("%s/%s/rootfs", paths_state_dir(), tmp);
	if (mkdirat(sfd, tmp, 0700) < 0) {
		box_error(err, errno, "creating %s/%s", paths_state_dir(), tmp);
		goto out;
	}
	made_tmp = true;
	if (mkdir(rootfs, 0755) < 0) {
		box_error(err, errno, "creating %s", rootfs);
		goto out;
	}
	/* an unprivileged rootfs keeps the container's owners where the
	 * filesystem can be idmapped at start (config/idshift.h) */
	int tfd = openat(sfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0) {
		box_error(err, errno, "opening %s/%s", paths_state_dir(), tmp);
		goto out;
	}
	if (idrange_resolve(c, tfd, err) < 0) {
		close(tfd);
		goto out;
	}
	uint32_t shift = idshift_choose(c, tfd, false);
	int wr = idshift_write(tfd, shift, err);
	close(tfd);
	if (wr < 0)
		goto out;
	struct extract_opts xo = {
		.allow_devices = !c->unprivileged,
		.id_shift = shift,
		.id_range = c->unprivileged ? c->idmap_size : 0,
		.filter = filter,
		.filter_data = &fs,
	};
	fs.a = a;
	if (archive_extract(a, rootfs, &xo, err) < 0 || read_to_end(in, err) < 0) {
		/* when the input itself failed, libarchive may word it as its own
		 * "Truncated input file": the input's error says what happened */
		if (interrupted || in->failed) {
			box_error_release(err);
			if (interrupted)
				box_error(err, 0, "interrupted by signal %d", (int)interrupted);
			else
				box_error(err, in->read_errno, "%s", instream_error(in->s));
		}
		box_error_wrap(err, "extracting %s", in->label);
		goto out;
	}
	if (interrupted) {
		box_error(err, EINTR, "interrupted");
		goto out;
	}
	if (!fs.has_sbin) {
		box_error(err, 0, "%s holds no sbin: not a container's root filesystem%s", in->label,
			  fs.entries < 10 ? " (an LXC image's meta.tar.xz? import its rootfs.tar.xz)" : "");
		goto out;
	}
	if (fs.late_pct || fs.late_problem) {
		free(config_text);
		config_text = late_config(&fs, name, o->hostname, in->label, err);
		config_free(c);
		c = NULL;
		if (!config_text ||
		    config_load_buffer(config_text, strlen(config_text), "the imported config", name, &c, err) < 0)
			goto out;
	}
	/* the rootfs and the config, as one step */
	if (import_commit(sfd, tmp, name, config_text, err) < 0)
		goto out;
	made_tmp = false;
	say_kind(&fs, in->label, pi.ours);
	ret = 0;
out:
	if (ret < 0 && made_tmp) {
		box_err_t e2 = NULL;
		if (rm_rf_at(sfd, tmp, &e2) < 0) {
			box_error_wrap(&e2, "removing the partial import %s/%s", paths_state_dir(), tmp);
			box_error_report(&e2);
		}
	}
	if (ret < 0)
		box_error_wrap(err, "importing %s (nothing was created)", name);
	if (a)
		archive_read_free(a);
	instream_free(in->s);
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	free(in->rec);
	if (in->dec)
		archive_read_free(in->dec);
	free(in->dbuf);
	free(in);
	free(fs.late_pct);
	pct_import_free(&pi);
	config_free(c);
	return ret;
}
