/* A running container's tree copied (a snapshot or clone of it: an overlay
 * upper, a dir rootfs): where the filesystem reflinks, frozen for the copy,
 * which is metadata there; else its files' data first while it runs
 * (precopy.h, into DNAME.pre beside the copy), then frozen for a copy that
 * takes from there each file whose data cannot have changed since: the
 * freeze costs the tree's entries and what changed, not its bytes. */
#include "storage/internal.h"

#include <unistd.h>

#include "base/util.h"
#include "storage/copy.h"
#include "storage/filedata.h"
#include "storage/precopy.h"
#include "storage/storage.h"

/* None where the caller froze it already (a container frozen by `box
 * freeze`: nothing changes while it is copied), or the filesystem
 * reflinks. */
static int precopy(int sdir, const char *sname, const struct storage_live *live, int ddir, const char *pname,
		   const struct storage_id_shift *shift, struct storage_precopy **pre, box_err_t *err)
{
	if (!live || !live->freeze || storage_can_reflink(ddir))
		return 0;
	uint64_t files = 0, bytes = 0;
	if (storage_precopy(sdir, sname, ddir, pname, shift, isatty(STDERR_FILENO), &files, &bytes, pre, err) < 0)
		return -1;
	box_trace("snapshot: pre-copied %llu files, %llu bytes", (unsigned long long)files, (unsigned long long)bytes);
	return 0;
}

int storage_copy_live(int sdir, const char *sname, int ddir, const char *dname, const struct storage_live *live,
		      struct copy_stats *st, box_err_t *err)
{
	struct storage_precopy *pre = NULL;
	cleanup_free char *pname = xasprintf("%s.pre", dname);
	int r = precopy(sdir, sname, live, ddir, pname, &st->shift, &pre, err) < 0 || storage_live_freeze(live, err) < 0
		    ? -1
		    : 0;
	if (live)
		box_trace("snapshot: frozen");
	st->pre = pre;
	if (r == 0 && storage_copy_tree(sdir, sname, ddir, dname, st, err) < 0)
		r = -1;
	storage_live_thaw(live);
	if (live)
		box_trace("snapshot: thawed, %llu files copied, %llu of them pre-copied", (unsigned long long)st->files,
			  (unsigned long long)st->reused);
	st->pre = NULL;
	storage_precopy_free(pre);
	/* what the pre-copy read of files changed or gone since */
	box_err_t e = NULL;
	if (pre && storage_remove_tree_at(ddir, pname, &e) < 0)
		log_warn_ignored(&e, "removing the pre-copy %s", pname);
	return r;
}
