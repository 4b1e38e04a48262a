/* Where a new tree's root goes on disk (place.h). */
#include "storage/place.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* ext4 places it as a top folder (its parent marked
 * FS_TOPDIR_FL, chattr +T: "the folders below are unrelated trees"): in the
 * block group with the fewest folders, searched from a hash of its name,
 * rather than in its parent's group. Made under a name of its own (the hash
 * differs each time), then renamed. Why: a fresh inode costs ext4 without a
 * journal one buffer lookup for each inode of its group freed in the last
 * minute (it skips them, ialloc.c recently_deleted), so a copy made where a
 * tree was just removed (a snapshot deleted, then taken again) pays for every
 * inode of the removed tree, for each of its own: 80 % of the copy of the
 * Debian tree (165 MB, 8449 entries), 1.9-3.8 s for cp -a against 0.8-1.1 s
 * for the same placed so. Elsewhere (a journal, another filesystem) the flag
 * is ignored or only spreads unrelated trees apart, as it is meant to. */
int storage_place_root(int dirfd, const char *name)
{
	int flags;
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
		flags |= FS_TOPDIR_FL;
		(void)!ioctl(dirfd, FS_IOC_SETFLAGS, &flags); /* a hint: none, where not had */
	}
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".copy.%d.%llx", (int)getpid(), (unsigned long long)now_ns());
	if (mkdirat(dirfd, tmp, 0700) < 0)
		return -1;
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, AT_REMOVEDIR);
		errno = e;
		return -1;
	}
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}
