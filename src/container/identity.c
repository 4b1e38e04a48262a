/* The container's identity files, pct style (PVE::LXC::Setup::Base):
 * /etc/hostname whole, a managed section in /etc/hosts and /etc/resolv.conf.
 *
 * Safety: /etc is opened with openat2(RESOLVE_IN_ROOT) from the rootfs, so a
 * symlinked /etc resolves inside the rootfs; the files themselves are never
 * written through: a new file is made next to them and renamed over the name.
 * A file that is a symlink (systemd-resolved's stub resolv.conf, a user's own
 * arrangement) is left alone, like one opted out with /etc/.box-keep-<file>.
 * Unchanged content is not rewritten: this runs at every start.
 * In a systemd container, address = dhcp also writes a systemd-networkd
 * .network file for the interface and enables networkd. */
#include "container/identity.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/rootfs.h"
#include "base/util.h"

#define BEGIN_MARK "# --- BEGIN boxes managed ---"
#define END_MARK "# --- END boxes managed ---"

static int open_in_root(int rootfd, const char *path, int flags, box_err_t *err)
{
	return rootfs_open(rootfd, path, flags, 0, err);
}

/* Replaces the managed section of `old` (or puts one first) with `section`. */
static char *merge_section(const char *old, const char *section)
{
	const char *b = old ? strstr(old, BEGIN_MARK "\n") : NULL;
	if (b && b != old && b[-1] != '\n')
		b = NULL;
	char *managed = xasprintf(BEGIN_MARK "\n%s" END_MARK "\n", section);
	if (!b) {
		char *r = xasprintf("%s%s", managed, old ? old : "");
		free(managed);
		return r;
	}
	const char *e = strstr(b, "\n" END_MARK);
	const char *after;
	if (e) {
		after = e + 1 + strlen(END_MARK);
		if (*after == '\n')
			after++;
	} else {
		/* an END line the user deleted: only the BEGIN line is ours */
		after = b + strlen(BEGIN_MARK) + 1;
	}
	char *r = xasprintf("%.*s%s%s", (int)(b - old), old, managed, after);
	free(managed);
	return r;
}

struct target {
	int etcfd;
	const char *file; /* name inside /etc */
	uid_t uid;	  /* owner of a new file: the container's root */
	gid_t gid;
};

/* Reads /etc/<file>: 0 and *out (NULL if absent), 1 when it must be left alone. */
static int read_current(const struct target *t, char **out, struct stat *st, box_err_t *err)
{
	*out = NULL;
	cleanup_free char *keep = xasprintf(".box-keep-%s", t->file);
	if (faccessat(t->etcfd, keep, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (fstatat(t->etcfd, t->file, st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return box_error(err, errno, "/etc/%s", t->file);
	}
	if (!S_ISREG(st->st_mode))
		return 1;
	cleanup_close int fd = openat(t->etcfd, t->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return box_error(err, errno, "/etc/%s", t->file);
	size_t cap = (size_t)st->st_size + 1, len = 0;
	char *buf = xmalloc(cap + 1);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap) {
			if (cap > (1 << 20)) {
				free(buf);
				return box_error(err, EFBIG, "/etc/%s is larger than 1 MiB", t->file);
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	if (r < 0) {
		free(buf);
		return box_error(err, errno, "reading /etc/%s", t->file);
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static int replace(const struct target *t, const char *data, const struct stat *old, box_err_t *err)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".box-%s.%d", t->file, (int)getpid());
	unlinkat(t->etcfd, tmp, 0);
	cleanup_close int fd = openat(t->etcfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return box_error(err, errno, "creating /etc/%s", tmp);
	uid_t uid = old ? old->st_uid : t->uid;
	gid_t gid = old ? old->st_gid : t->gid;
	mode_t mode = old ? old->st_mode & 07777 : 0644;
	if (write_all(fd, data, strlen(data)) < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0 ||
	    renameat(t->etcfd, tmp, t->etcfd, t->file) < 0) {
		int e = errno;
		unlinkat(t->etcfd, tmp, 0);
		return box_error(err, e, "writing /etc/%s", t->file);
	}
	return 0;
}

/* whole = the file is ours entirely (hostname); else a managed section */
static int update(const struct target *t, const char *content, bool whole, box_err_t *err)
{
	cleanup_free char *old = NULL, *merged = NULL;
	struct stat st;
	int r = read_current(t, &old, &st, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	const char *want = whole ? content : (merged = merge_section(old, content));
	if (old && !strcmp(old, want))
		return 0;
	return replace(t, want, old ? &st : NULL, err);
}

static bool loopback_ns(const char *line)
{
	const char *v = line + strlen("nameserver");
	v += strspn(v, " \t");
	return !strncmp(v, "127.", 4) || !strncmp(v, "::1", 3);
}

/* The host's resolvers, without those that only answer on the host's
 * loopback (systemd-resolved's 127.0.0.53): the container has its own. */
static char *host_resolv(bool host_net)
{
	cleanup_free char *text = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", &text, NULL, &e) < 0) {
		box_error_release(&e);
		return xstrdup("");
	}
	char *out = xstrdup("");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		bool ns = !strncmp(line, "nameserver", 10);
		if (!ns && strncmp(line, "search", 6) && strncmp(line, "domain", 6) && strncmp(line, "options", 7))
			continue;
		if (ns && !host_net && loopback_ns(line))
			continue;
		char *n = xasprintf("%s%s\n", out, line);
		free(out);
		out = n;
	}
	return out;
}

/* A link name -> target in the rootfs folder `dir` (made by systemctl
 * enable in an image); one there already is left as it is. */
static int enable_unit(int rootfd, const char *dir, const char *name, const char *target, uid_t owner, box_err_t *err)
{
	cleanup_close int dfd = open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, err);
	if (dfd < 0)
		return -1;
	if (symlinkat(target, dfd, name) < 0)
		return errno == EEXIST ? 0 : box_error(err, errno, "%s/%s", dir, name);
	if (fchownat(dfd, name, owner, (gid_t)owner, AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "%s/%s", dir, name);
	return 0;
}

/* address = dhcp in a systemd container: systemd-networkd (Debian ships it
 * in systemd, disabled) asks DHCP on that interface and on no other (a
 * .network file per interface; a fixed one is boxes' alone). Files of
 * interfaces no longer dhcp go. A rootfs without /etc/systemd/network
 * (busybox: its rcS runs udhcpc) is left alone. */
static int write_networkd(int rootfd, const struct box_config *c, uid_t owner, box_err_t *err)
{
	bool any = false;
	for (size_t i = 0; i < c->n_nets; i++)
		any |= c->nets[i].dhcp;
	cleanup_close int nfd = open_in_root(rootfd, "/etc/systemd/network", O_PATH | O_DIRECTORY, err);
	if (nfd < 0) {
		box_error_release(err);
		return 0;
	}
	struct target t = { .etcfd = nfd, .uid = owner, .gid = (gid_t)owner };
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		cleanup_free char *file = xasprintf("80-box-%s.network", n->name);
		if (!n->dhcp) {
			unlinkat(nfd, file, 0);
			continue;
		}
		cleanup_free char *text = xasprintf("# written by boxes at each start: address = dhcp (its config)\n"
						    "[Match]\nName=%s\n\n[Network]\nDHCP=ipv4\n",
						    n->name);
		t.file = file;
		if (update(&t, text, true, err) < 0)
			return -1;
	}
	if (!any)
		return 0;
	/* (its unit Wants= its socket itself) */
	if (enable_unit(rootfd, "/etc/systemd/system/multi-user.target.wants", "systemd-networkd.service",
			"/lib/systemd/system/systemd-networkd.service", owner, err) < 0)
		return box_error_wrap(err, "enabling systemd-networkd for address = dhcp");
	return 0;
}

/* /etc/hostname, /etc/hosts, /etc/resolv.conf (t->etcfd: the rootfs' /etc). */
static int write_files(const struct box_config *c, const char *host, struct target *t, box_err_t *err)
{
	cleanup_free char *hn = xasprintf("%s\n", host), *hosts = NULL, *resolv = NULL;

	/* hostname: one line, the whole file */
	t->file = "hostname";
	if (update(t, hn, true, err) < 0)
		return -1;

	/* hosts: 127.0.1.1 FQDN SHORT, as Debian's installer and pct write it */
	const char *dot = strchr(host, '.');
	if (dot)
		hosts = xasprintf("127.0.1.1\t%s %.*s\n", host, (int)(dot - host), host);
	else if (c->searchdomains && c->searchdomains[0])
		hosts = xasprintf("127.0.1.1\t%s.%s %s\n", host, c->searchdomains[0], host);
	else
		hosts = xasprintf("127.0.1.1\t%s\n", host);
	t->file = "hosts";
	if (update(t, hosts, false, err) < 0)
		return -1;

	/* resolv.conf: the config's, else the host's */
	if ((c->nameservers && c->nameservers[0]) || (c->searchdomains && c->searchdomains[0])) {
		resolv = xstrdup("");
		if (c->searchdomains && c->searchdomains[0]) {
			char *s = xstrdup("search");
			for (char **d = c->searchdomains; *d; d++) {
				char *n = xasprintf("%s %s", s, *d);
				free(s);
				s = n;
			}
			free(resolv);
			resolv = xasprintf("%s\n", s);
			free(s);
		}
		for (char **n = c->nameservers; n && *n; n++) {
			char *r = xasprintf("%snameserver %s\n", resolv, *n);
			free(resolv);
			resolv = r;
		}
	} else {
		bool host_net = false;
		for (size_t i = 0; i < c->n_nets; i++)
			host_net |= c->nets[i].type == NET_HOST;
		resolv = host_resolv(host_net);
	}
	t->file = "resolv.conf";
	if (update(t, resolv, false, err) < 0)
		return -1;
	return 0;
}

int identity_write(const struct box_config *c, const char *rootfs, uid_t owner, box_err_t *err)
{
	const char *host = c->hostname && *c->hostname ? c->hostname : c->name;
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return box_error(err, errno, "opening %s", rootfs);
	int etcfd = open_in_root(rootfd, "/etc", O_PATH | O_DIRECTORY, err);
	if (etcfd < 0) {
		if (etcfd != -ENOENT)
			return box_error_wrap(err, "%s", rootfs);
		/* no /etc at all: a minimal rootfs, nothing to tell it */
		box_error_release(err);
		return 0;
	}
	struct target t = { .etcfd = etcfd, .uid = owner, .gid = (gid_t)owner };
	int ret = write_files(c, host, &t, err);
	if (ret == 0)
		ret = write_networkd(rootfd, c, owner, err);
	close(etcfd);
	if (ret < 0)
		box_error_wrap(err, "writing the identity of %s into %s", c->name, rootfs);
	return ret;
}

/* The ssh host keys in /etc/ssh removed; *dirfd: the folder, when a key was
 * removed from it (-1 else), for the caller to sync. */
static int forget_ssh_keys(int rootfd, int *dirfd, box_err_t *err)
{
	*dirfd = -1;
	cleanup_close int ssh = open_in_root(rootfd, "/etc/ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, err);
	if (ssh < 0) {
		if (ssh != -ENOENT && ssh != -ENOTDIR && ssh != -ELOOP)
			return -1;
		box_error_release(err);
		return 0;
	}
	int dfd = dup(ssh);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	bool removed = false;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "ssh_host_", 9))
			continue;
		if (unlinkat(ssh, de->d_name, 0) == 0)
			removed = true;
		else if (errno != ENOENT && errno != EISDIR)
			return box_error(err, errno, "removing /etc/ssh/%s", de->d_name);
	}
	if (removed)
		*dirfd = steal_fd(&ssh);
	return 0;
}

int identity_forget(const char *rootfs, box_err_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return box_error(err, errno, "opening %s", rootfs);
	/* machine-id: emptied, not removed: an empty file is what systemd
	 * fills at the next boot (a missing one makes it read-only-root shy) */
	cleanup_close int mid = open_in_root(rootfd, "/etc/machine-id", O_PATH | O_NOFOLLOW, err);
	cleanup_close int w = -1, ssh = -1;
	struct stat st;
	if (mid >= 0) {
		/* reopened for writing only once seen to be a plain file: no
		 * device or FIFO of the container's is ever opened */
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", mid);
		if (fstat(mid, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
		    ((w = open(proc, O_WRONLY | O_CLOEXEC)) < 0 || ftruncate(w, 0) < 0))
			return box_error(err, errno, "emptying /etc/machine-id");
	} else if (mid == -ENOENT) {
		box_error_release(err); /* none: nothing to reset */
	} else {
		return -1;
	}
	if (forget_ssh_keys(rootfd, &ssh, err) < 0)
		return -1;
	/* On disk before the clone is called made: a power cut must not bring
	 * it back with its source's machine-id and host keys (its config, on
	 * another filesystem maybe, survives). The file and the one folder, not
	 * a syncfs of the rootfs's filesystem, which waits for every other
	 * writer's dirty data there; on ext4 the first fsync's journal commit
	 * holds the unlinks too, so the second costs nothing. */
	if (w >= 0 && fsync(w) < 0)
		return box_error(err, errno, "syncing /etc/machine-id");
	if (ssh >= 0 && fsync(ssh) < 0)
		return box_error(err, errno, "syncing /etc/ssh");
	return 0;
}
