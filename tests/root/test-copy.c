/* storage_copy_tree on a tree with every kind of entry: folders (a default
 * ACL, set-gid, trusted.* marks), files (empty, sparse, big, set-uid owned
 * by another user, a capability, hundreds in one folder), symlinks, FIFOs,
 * devices, sockets, hard links across folders, times of everything. The copy
 * is compared entry by entry (lstat, xattrs, data, link targets), as it is
 * and with owners shifted; then failures: a full disk, a taken name, a tree
 * too deep. Needs root (owners, devices, trusted.*): tests/run runs it with
 * the integration tests. Runs in a mount namespace of its own, so the small
 * tmpfs of the full-disk case goes with it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/copy.h"
#include "storage/internal.h"
#include "tap.h"
#include "base/util.h"

static char top[64];

static void put(const char *rel, const char *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	char *p = xasprintf("%s/src/%s", top, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		printf("# making %s: %s\n", p, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(p);
}

static void dir(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	char *p = xasprintf("%s/src/%s", top, rel);
	if (mkdir(p, 0700) < 0 || chown(p, uid, gid) < 0 || chmod(p, mode) < 0)
		printf("# making %s: %s\n", p, strerror(errno));
	free(p);
}

/* a POSIX ACL: user::rwx, user:UID:r-x, group::r-x, mask::r-x, other::r-x */
static void set_acl(const char *rel, const char *name, uint32_t uid)
{
	unsigned char v[4 + 5 * 8] = { 2, 0, 0, 0 };
	const struct {
		uint16_t tag, perm;
		uint32_t id;
	} e[5] = { { 1, 7, ~0u }, { 2, 5, uid }, { 4, 5, ~0u }, { 0x10, 5, ~0u }, { 0x20, 5, ~0u } };
	memcpy(v + 4, e, sizeof(e));
	char *p = xasprintf("%s/src/%s", top, rel);
	if (setxattr(p, name, v, sizeof(v), 0) < 0)
		printf("# %s on %s: %s\n", name, p, strerror(errno));
	free(p);
}

static void make_source(void)
{
	char *p = xasprintf("%s/src", top);
	mkdir(p, 0755);
	free(p);
	dir("etc", 0755, 0, 0);
	put("etc/empty", "", 0, 0644, 0, 0);
	put("etc/hostname", "src\n", 4, 0644, 0, 0);
	put("etc/shadow", "root:*:1::::::\n", 15, 0640, 0, 42);
	dir("home", 0755, 0, 0);
	dir("home/u", 02770, 1000, 1000);
	put("home/u/plain", "no acl here\n", 12, 0600, 1000, 1000);
	put("home/u/suid", "#!/bin/sh\n", 10, 04755, 1000, 1000);
	set_acl("home/u", "system.posix_acl_default", 1001); /* after its files: they have none */
	set_acl("home/u/suid", "system.posix_acl_access", 1001);
	dir("bin", 0755, 0, 0);
	put("bin/ping", "\177ELF", 4, 0755, 0, 0);
	/* v3 capability: cap_net_raw, root id 0 (shifted with the owners) */
	unsigned char cap[24] = { 0, 0, 0, 3, 0, 0x20, 0, 0 };
	p = xasprintf("%s/src/bin/ping", top);
	if (setxattr(p, "security.capability", cap, sizeof(cap), 0) < 0 || setxattr(p, "user.note", "pinger", 6, 0) < 0)
		printf("# xattrs on %s: %s\n", p, strerror(errno));
	free(p);
	/* a sparse file: 8 MiB with 4 KiB of data in its middle and a hole at its end */
	p = xasprintf("%s/src/bin/sparse", top);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || pwrite(fd, "data", 4, 4 << 20) != 4 || ftruncate(fd, 8 << 20) < 0)
		printf("# sparse: %s\n", strerror(errno));
	close(fd);
	free(p);
	/* a big one, more than one copy_file_range maybe */
	char *big = xmalloc(3 << 20);
	for (size_t i = 0; i < (3 << 20); i++)
		big[i] = (char)(i * 7 + i / 4096);
	put("bin/big", big, 3 << 20, 0755, 0, 0);
	free(big);
	dir("lib", 0755, 0, 0);
	for (int i = 0; i < 300; i++) {
		char n[32], d[64];
		snprintf(n, sizeof(n), "lib/f%03d", i);
		int len = snprintf(d, sizeof(d), "file %d\n", i);
		put(n, d, (size_t)len, 0644, (uid_t)(i % 3), 0);
	}
	for (int i = 0; i < 40; i++) {
		char n[32];
		snprintf(n, sizeof(n), "lib/d%02d", i);
		dir(n, 0755, 0, 0);
		for (int k = 0; k < 5; k++) {
			char f[48];
			snprintf(f, sizeof(f), "lib/d%02d/g%d", i, k);
			put(f, f, strlen(f), 0644, 0, 0);
		}
	}
	dir("lib/deep", 0755, 0, 0);
	dir("lib/deep/er", 0711, 0, 0);
	dir("lib/deep/er/est", 0700, 5, 5);
	put("lib/deep/er/est/x", "x", 1, 0444, 5, 5);
	p = xasprintf("%s/src/lib/deep/er", top);
	if (setxattr(p, "trusted.overlay.opaque", "y", 1, 0) < 0)
		printf("# trusted.*: %s\n", strerror(errno));
	free(p);
	dir("dev", 0755, 0, 0);
	char *q = xasprintf("%s/src/dev", top);
	int dfd = open(q, O_RDONLY | O_DIRECTORY);
	free(q);
	if (mknodat(dfd, "null", S_IFCHR | 0666, makedev(1, 3)) < 0 || mknodat(dfd, "fifo", S_IFIFO | 0600, 0) < 0 ||
	    mknodat(dfd, "sock", S_IFSOCK | 0755, 0) < 0 || mknodat(dfd, "wh", S_IFCHR | 0000, makedev(0, 0)) < 0 ||
	    symlinkat("/etc/passwd", dfd, "abs") < 0 || symlinkat("nowhere/at/all", dfd, "dangling") < 0 ||
	    fchownat(dfd, "abs", 7, 8, AT_SYMLINK_NOFOLLOW) < 0 || fchownat(dfd, "fifo", 9, 9, AT_SYMLINK_NOFOLLOW) < 0)
		printf("# dev: %s\n", strerror(errno));
	/* hard links: one in the same folder, one across folders */
	char *a = xasprintf("%s/src/etc/hostname", top), *b = xasprintf("%s/src/etc/hostname2", top),
	     *c = xasprintf("%s/src/lib/d07/hostname3", top);
	if (link(a, b) < 0 || link(a, c) < 0)
		printf("# links: %s\n", strerror(errno));
	free(a);
	free(b);
	free(c);
	close(dfd);
}

/* distinct times on everything, deepest first (a folder's mtime after its entries) */
static int stamp(int fd, int depth, long *t)
{
	int d = dup(fd);
	DIR *dd = fdopendir(d);
	struct dirent *de;
	while ((de = readdir(dd))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat s;
		fstatat(fd, de->d_name, &s, AT_SYMLINK_NOFOLLOW);
		if (S_ISDIR(s.st_mode)) {
			int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY);
			stamp(sub, depth + 1, t);
			close(sub);
		}
		struct timespec ts[2] = { { *t, 111 }, { *t + 1, 222 } };
		*t += 10;
		utimensat(fd, de->d_name, ts, AT_SYMLINK_NOFOLLOW);
	}
	closedir(dd);
	return 0;
}

struct cmp {
	uint32_t shift_from, shift_to, shift_size;
	int entries, bad;
};

static uint32_t sh(const struct cmp *c, uint32_t id)
{
	return c->shift_size && id >= c->shift_from && id - c->shift_from < c->shift_size
		   ? id - c->shift_from + c->shift_to
		   : id;
}

static void diff(struct cmp *c, const char *rel, const char *what)
{
	if (c->bad++ < 10)
		printf("#   %s: %s differs\n", rel, what);
}

static void cmp_xattrs(struct cmp *c, const char *a, const char *b, const char *rel)
{
	char la[4096], lb[4096];
	ssize_t na = llistxattr(a, la, sizeof(la)), nb = llistxattr(b, lb, sizeof(lb));
	if (na != nb || (na > 0 && memcmp(la, lb, (size_t)na))) {
		diff(c, rel, "the xattr list");
		return;
	}
	for (char *k = la; na > 0 && k < la + na; k += strlen(k) + 1) {
		unsigned char va[256], vb[256];
		ssize_t x = lgetxattr(a, k, va, sizeof(va)), y = lgetxattr(b, k, vb, sizeof(vb));
		if (c->shift_size && !strncmp(k, "system.posix_acl_", 17) && x == 44) {
			uint32_t id;
			memcpy(&id, va + 4 + 8 + 4, 4);
			id = sh(c, id);
			memcpy(va + 4 + 8 + 4, &id, 4);
		}
		if (c->shift_size && !strcmp(k, "security.capability") && x == 24) {
			uint32_t id;
			memcpy(&id, va + 20, 4);
			id = sh(c, id);
			memcpy(va + 20, &id, 4);
		}
		if (x != y || x < 0 || memcmp(va, vb, (size_t)x))
			diff(c, rel, k);
	}
}

static void cmp_tree(struct cmp *c, const char *a, const char *b, const char *rel)
{
	DIR *d = opendir(a);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		char *pa = xasprintf("%s/%s", a, de->d_name), *pb = xasprintf("%s/%s", b, de->d_name),
		     *r = xasprintf("%s/%s", rel, de->d_name);
		struct stat sa, sb;
		c->entries++;
		if (lstat(pb, &sb) < 0) {
			diff(c, r, "existence");
		} else {
			lstat(pa, &sa);
			if (sa.st_mode != sb.st_mode)
				diff(c, r, "the mode");
			if (sh(c, sa.st_uid) != sb.st_uid || sh(c, sa.st_gid) != sb.st_gid)
				diff(c, r, "the owner");
			if (sa.st_size != sb.st_size || sa.st_rdev != sb.st_rdev || sa.st_nlink != sb.st_nlink)
				diff(c, r, "the size, device or link count");
			/* (atimes: reading the source moves its own) */
			if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
				diff(c, r, "the mtime");
			if (S_ISREG(sa.st_mode) && sb.st_blocks > sa.st_blocks + 8)
				diff(c, r, "the blocks (holes filled)");
			if (!S_ISLNK(sa.st_mode))
				cmp_xattrs(c, pa, pb, r);
			if (S_ISDIR(sa.st_mode))
				cmp_tree(c, pa, pb, r);
			if (S_ISLNK(sa.st_mode)) {
				char ta[256] = "", tb[256] = "";
				if (readlink(pa, ta, sizeof(ta) - 1) < 0 || readlink(pb, tb, sizeof(tb) - 1) < 0 ||
				    strcmp(ta, tb))
					diff(c, r, "the link target");
			}
			if (S_ISREG(sa.st_mode)) {
				char *x = NULL, *y = NULL;
				size_t lx = 0, ly = 0;
				box_err_t e = NULL;
				if (read_file_at(AT_FDCWD, pa, &x, &lx, &e) < 0 ||
				    read_file_at(AT_FDCWD, pb, &y, &ly, &e) < 0 || lx != ly || memcmp(x, y, lx))
					diff(c, r, "the data");
				box_error_release(&e);
				free(x);
				free(y);
			}
		}
		free(pa);
		free(pb);
		free(r);
	}
	closedir(d);
	d = opendir(b);
	while ((de = readdir(d)))
		n -= strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (n)
		diff(c, rel, "the number of entries");
}

/* no ".copy.*" left in path (make_root's temporary name) */
static bool no_temp(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool none = d != NULL;
	while (d && (de = readdir(d)))
		none = none && strncmp(de->d_name, ".copy.", 6);
	if (d)
		closedir(d);
	return none;
}

static void copy_and_compare(const char *dst, struct copy_stats *st, const char *label)
{
	char *src = xasprintf("%s/src", top), *out = xasprintf("%s/%s", top, dst);
	int fd = open(top, O_RDONLY | O_DIRECTORY);
	box_err_t e = NULL;
	int r = storage_copy_tree(fd, "src", fd, dst, st, &e);
	tap_ok(r == 0 && !e, "%s: copied", label);
	if (e)
		printf("#   %s\n", e->msg);
	box_error_release(&e);
	struct cmp c = { st->shift.from, st->shift.to, st->shift.size, 0, 0 };
	cmp_tree(&c, src, out, "");
	struct stat sa, sb;
	lstat(src, &sa);
	lstat(out, &sb);
	if (sa.st_mode != sb.st_mode || sa.st_mtim.tv_sec != sb.st_mtim.tv_sec)
		diff(&c, "/", "the root's mode or times");
	tap_ok(c.entries > 500 && c.bad == 0, "%s: %d entries, every one as in the source", label, c.entries);
	tap_ok(st->files == 300 + 200 + 9 && st->reflinked <= st->files, "%s: %llu files counted", label,
	       (unsigned long long)st->files);
	close(fd);
	free(src);
	free(out);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("not ok 1 - needs root (tests/run runs it with the integration tests)\n1..1\n");
		return 1;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("not ok 1 - a mount namespace: %s\n1..1\n", strerror(errno));
		return 1;
	}
	snprintf(top, sizeof(top), "/tmp/box-test-copy.XXXXXX");
	if (!mkdtemp(top)) {
		printf("not ok 1 - mkdtemp: %s\n1..1\n", strerror(errno));
		return 1;
	}
	make_source();
	char *src = xasprintf("%s/src", top);
	int sfd = open(src, O_RDONLY | O_DIRECTORY);
	long t = 1500000000;
	stamp(sfd, 0, &t);
	struct timespec ts[2] = { { 1400000000, 1 }, { 1400000001, 2 } };
	futimens(sfd, ts);

	struct copy_stats st1 = { 0 };
	copy_and_compare("one", &st1, "a copy");
	char *r1 = xasprintf("%s/one", top);
	struct stat rs;
	tap_ok(stat(r1, &rs) == 0 && S_ISDIR(rs.st_mode) && no_temp(top),
	       "the copy's root is at its name, no temporary name left");
	free(r1);
	struct copy_stats st3 = { .shift = { .from = 0, .to = 100000, .size = 65536 } };
	copy_and_compare("shifted", &st3, "owners shifted");
	char *acl = xasprintf("%s/shifted/home/u/plain", top);
	tap_ok(lgetxattr(acl, "system.posix_acl_access", NULL, 0) < 0 && errno == ENODATA,
	       "a file in a folder with a default ACL gets no ACL of its own in the copy");
	free(acl);

	box_err_t e = NULL;
	tap_ok(storage_copy_tree(AT_FDCWD, src, sfd, "..", NULL, &e) < 0 && e && e->errnum == EEXIST && no_temp(src),
	       "a destination that exists: EEXIST, no temporary name left");
	box_error_release(&e);

	/* a full disk: 1 MiB of tmpfs for 3 MiB of file (and 500 more) */
	char *full = xasprintf("%s/full", top);
	mkdir(full, 0755);
	tap_ok(mount("tmpfs", full, "tmpfs", 0, "size=1m") == 0, "a 1 MiB tmpfs");
	int ffd = open(full, O_RDONLY | O_DIRECTORY);
	int r = storage_copy_tree(sfd, ".", ffd, "c", NULL, &e);
	tap_ok(r < 0 && e && e->errnum == ENOSPC, "a full disk: ENOSPC (%s)", e ? e->msg : "no error");
	box_error_release(&e);
	close(ffd);
	tap_ok(umount(full) == 0, "nothing holds the full tmpfs (every fd closed)");

	/* deeper than STORAGE_COPY_MAX_DEPTH */
	char *deep = xasprintf("%s/deep", top);
	mkdir(deep, 0755);
	int dfd = open(deep, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < STORAGE_COPY_MAX_DEPTH + 2; i++) {
		mkdirat(dfd, "d", 0755);
		int n = openat(dfd, "d", O_RDONLY | O_DIRECTORY);
		close(dfd);
		dfd = n;
	}
	close(dfd);
	int tfd = open(top, O_RDONLY | O_DIRECTORY);
	r = storage_copy_tree(tfd, "deep", tfd, "deep-copy", NULL, &e);
	tap_ok(r < 0 && e && e->errnum == ELOOP, "too deep: ELOOP");
	box_error_release(&e);
	close(tfd);

	close(sfd);
	if (storage_remove_tree_at(AT_FDCWD, top, &e) < 0)
		printf("# removing %s: %s\n", top, e->msg);
	box_error_release(&e);
	free(deep);
	free(full);
	free(src);
	return tap_done();
}
