/* The commit of an import: a rootfs under <state>/NAME and a config at
 * <config>/NAME.conf, two renames on (maybe) two file systems, made to look
 * like one step:
 *
 *   0. the rootfs is on disk (import.c: a syncfs of the state folder's
 *      filesystem)
 *   1. the config is written to <config>/.NAME.conf.import.PID (synced)
 *   2. <state>/.import-NAME.PID is renamed to <state>/NAME
 *   3. <config>/.NAME.conf.import.PID is renamed to <config>/NAME.conf
 *
 * A kill between any two of them leaves a config temporary of a dead PID,
 * from which the next import of NAME or the next `box ls` tells how far it
 * got: the hidden rootfs still there (killed before 2) rolls back, the
 * rootfs in place without a config (killed between 2 and 3) is finished. */
#include "archive/import-commit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "base/notes.h"

/* renameat2(RENAME_NOREPLACE), or link + unlink where the file system has
 * no such flag: never over an existing file. */
static int rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	if (linkat(fromfd, from, tofd, to, 0) < 0)
		return -1;
	return unlinkat(fromfd, from, 0);
}

int import_commit(int sfd, const char *tmp, const char *name, const char *config_text, box_err_t *err)
{
	const char *cdir = paths_config_dir();
	if (mkdir_p(cdir, 0755, err) < 0)
		return -1;
	cleanup_close int cfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0)
		return box_error(err, errno, "opening %s", cdir);
	cleanup_free char *conf = xasprintf("%s.conf", name),
			  *ctmp = xasprintf(".%s.conf.import.%d", name, (int)getpid());
	cleanup_free char *ctmp_path = xasprintf("%s/%s", cdir, ctmp);
	if (write_file_atomic(ctmp_path, config_text, strlen(config_text), 0644, err) < 0)
		return -1;
	struct stat st;
	if (fstatat(cfd, conf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(cfd, ctmp, 0);
		return box_error(err, 0, "%s/%s appeared during the import: left as it is", cdir, conf);
	}
	if (rename_noreplace(sfd, tmp, sfd, name) < 0) {
		int e = errno;
		unlinkat(cfd, ctmp, 0);
		if (e == EEXIST || e == ENOTEMPTY)
			return box_error(err, 0, "%s/%s appeared during the import: left as it is", paths_state_dir(),
					 name);
		return box_error(err, e, "renaming %s/%s to %s", paths_state_dir(), tmp, name);
	}
	/* from here the import is whole: finished by us or by the next command */
	if (rename_noreplace(cfd, ctmp, cfd, conf) < 0) {
		int e = errno;
		unlinkat(cfd, ctmp, 0);
		if (renameat(sfd, name, sfd, tmp) < 0)
			box_warn("%s/%s is left without a config (%s), ignoring", paths_state_dir(), name,
				 strerror(errno));
		return box_error(err, e, "renaming %s to %s/%s", ctmp_path, cdir, conf);
	}
	if (fsync(cfd) < 0 || fsync(sfd) < 0)
		return box_error(err, errno, "syncing %s and %s", cdir, paths_state_dir());
	return 0;
}

/* The PID of ".NAME.conf.import.PID" (or of its own write temporary
 * ".NAME.conf.import.PID.tmp.PID"), and NAME into name[]; 0 if not one. */
static pid_t parse_tmp(const char *f, char *name, size_t len)
{
	const char *m = strstr(f, ".conf.import.");
	if (f[0] != '.' || !m || (size_t)(m - f - 1) >= len)
		return 0;
	memcpy(name, f + 1, (size_t)(m - f - 1));
	name[m - f - 1] = '\0';
	const char *p = m + strlen(".conf.import.");
	size_t digits = strspn(p, "0123456789");
	if (!digits || (p[digits] && strncmp(p + digits, ".tmp.", 5)) || !paths_valid_name(name))
		return 0;
	return (pid_t)atoi(p);
}

static bool exists_at(int dfd, const char *path)
{
	struct stat st;
	return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* One dead import's config temporary: finish or roll back (see the top). */
static void recover_one(int cfd, int sfd, const char *f, const char *name, pid_t pid)
{
	cleanup_free char *conf = xasprintf("%s.conf", name), *hidden = xasprintf(".import-%s.%d", name, (int)pid);
	bool whole = !strstr(f, ".tmp.") && !exists_at(sfd, hidden) && exists_at(sfd, name) && !exists_at(cfd, conf);
	if (whole && rename_noreplace(cfd, f, cfd, conf) == 0) {
		box_note("%s: finished its import, interrupted between its two renames", name);
		return;
	}
	/* killed before its rootfs was in place: .import-NAME.PID goes with
	 * the next import of NAME (import.c) */
	if (unlinkat(cfd, f, 0) == 0)
		box_note("removed %s/%s, left by an interrupted import", paths_config_dir(), f);
}

void import_recover(const char *only)
{
	cleanup_close int cfd = open(paths_config_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int sfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0 || sfd < 0)
		return;
	int dfd = dup(cfd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	cleanup_strv char **found = NULL;
	struct dirent *de;
	rewinddir(d); /* a dup shares the offset */
	while ((de = readdir(d))) {
		char name[256];
		pid_t pid = parse_tmp(de->d_name, name, sizeof(name));
		if (pid <= 0 || pid == getpid() || (only && strcmp(name, only)) || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		strv_push(&found, de->d_name);
	}
	/* the temporaries of write_file_atomic() first: they never finish */
	for (int pass = 0; pass < 2; pass++)
		for (char **f = found; f && *f; f++) {
			char name[256];
			pid_t pid = parse_tmp(*f, name, sizeof(name));
			if (!!strstr(*f, ".tmp.") == !pass)
				recover_one(cfd, sfd, *f, name, pid);
		}
}
