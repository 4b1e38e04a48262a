/* A copy's metadata: owner and mode, extended attributes, times, with the
 * owners shifted from one id range to another (meta.h). */
#include "storage/meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/util.h"

static uint32_t shift_id(const struct storage_id_shift *o, uint32_t id)
{
	return o->size && id >= o->from && id - o->from < o->size ? id - o->from + o->to : id;
}

/* The ids inside an attribute's value: the qualifiers of a POSIX ACL
 * (a 4-byte version, then 8-byte entries: tag, perm, id; USER 2, GROUP 8)
 * and the root id of a v3 file capability (24 bytes, the last 4). */
static void shift_xattr(const struct storage_id_shift *o, const char *k, char *val, ssize_t v)
{
	if (!o->size)
		return;
	if (!strcmp(k, "system.posix_acl_access") || !strcmp(k, "system.posix_acl_default")) {
		for (ssize_t i = 4; i + 8 <= v; i += 8) {
			uint16_t tag;
			uint32_t id;
			memcpy(&tag, val + i, 2);
			memcpy(&id, val + i + 4, 4);
			if (tag == 2 || tag == 8) {
				id = shift_id(o, id);
				memcpy(val + i + 4, &id, 4);
			}
		}
	} else if (!strcmp(k, "security.capability") && v == 24) {
		uint32_t id;
		memcpy(&id, val + 20, 4);
		id = shift_id(o, id);
		memcpy(val + 20, &id, 4);
	}
}

/* Extended attributes by fd, or (fd < 0) by "/proc/self/fd/DIR/NAME" without
 * following NAME: devices, FIFOs and symlinks are never opened. */
static int copy_xattrs(const struct storage_id_shift *o, int sfd, int dfd, const char *spath, const char *dpath,
		       const char *what, box_err_t *err)
{
	char list[65536];
	ssize_t n = sfd >= 0 ? flistxattr(sfd, list, sizeof(list)) : llistxattr(spath, list, sizeof(list));
	if (n < 0) {
		if (errno == ENOTSUP)
			return 0;
		return box_error(err, errno, "listing the extended attributes of %s", what);
	}
	cleanup_free char *val = xmalloc(65536);
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		ssize_t v = sfd >= 0 ? fgetxattr(sfd, k, val, 65536) : lgetxattr(spath, k, val, 65536);
		if (v < 0)
			return box_error(err, errno, "reading %s of %s", k, what);
		shift_xattr(o, k, val, v);
		if ((dfd >= 0 ? fsetxattr(dfd, k, val, v, 0) : lsetxattr(dpath, k, val, v, 0)) < 0)
			return box_error(err, errno, "setting %s on the copy of %s", k, what);
	}
	return 0;
}

/* chown first, as it clears the set-id bits that chmod then restores */
int storage_copy_meta_fd(const struct storage_id_shift *o, int sfd, int dfd, const struct stat *s, const char *what,
			 box_err_t *err)
{
	if (fchown(dfd, shift_id(o, s->st_uid), shift_id(o, s->st_gid)) < 0 || fchmod(dfd, s->st_mode & 07777) < 0)
		return box_error(err, errno, "setting the owner and mode of the copy of %s", what);
	if (copy_xattrs(o, sfd, dfd, NULL, NULL, what, err) < 0)
		return -1;
	struct timespec ts[2] = { s->st_atim, s->st_mtim };
	if (futimens(dfd, ts) < 0)
		return box_error(err, errno, "setting the times of the copy of %s", what);
	return 0;
}

int storage_copy_meta_at(const struct storage_id_shift *o, int sdir, int ddir, const char *name, const struct stat *s,
			 const char *what, box_err_t *err)
{
	if (fchownat(ddir, name, shift_id(o, s->st_uid), shift_id(o, s->st_gid), AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "setting the owner of the copy of %s", what);
	if (!S_ISLNK(s->st_mode) && fchmodat(ddir, name, s->st_mode & 07777, 0) < 0)
		return box_error(err, errno, "setting the mode of the copy of %s", what);
	char sp[64 + NAME_MAX], dp[64 + NAME_MAX];
	snprintf(sp, sizeof(sp), "/proc/self/fd/%d/%s", sdir, name);
	snprintf(dp, sizeof(dp), "/proc/self/fd/%d/%s", ddir, name);
	if (copy_xattrs(o, -1, -1, sp, dp, what, err) < 0)
		return -1;
	struct timespec ts[2] = { s->st_atim, s->st_mtim };
	if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return box_error(err, errno, "setting the times of the copy of %s", what);
	return 0;
}
