/* Overlay layers: chain records, the shared store, its gc (layers.h). */
#include "storage/layers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "storage/internal.h"

#define ID_LEN 16

static bool valid_id(const char *s)
{
	return strlen(s) == ID_LEN && strspn(s, "0123456789abcdef") == ID_LEN;
}

static bool valid_key(const char *s)
{
	return *s && s[0] != '.' && !strchr(s, '/') && strlen(s) < 200;
}

void layer_chain_free(struct layer_chain *ch)
{
	free(ch->upper);
	strv_free(ch->lowers);
	free(ch->template_key);
	*ch = (struct layer_chain){ 0 };
}

size_t layer_chain_depth(const struct layer_chain *ch)
{
	return strv_len(ch->lowers) + (ch->template_key ? 1 : 0);
}

static int parse(char *text, struct layer_chain *ch, box_err_t *err)
{
	int line = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		line++;
		char *v = strchr(l, ' ');
		if (!v || ch->template_key)
			return box_error(err, EINVAL, "line %d: expected 'upper|lower ID' lines, then 'template KEY'",
					 line);
		*v++ = '\0';
		if (!strcmp(l, "template") && valid_key(v))
			ch->template_key = xstrdup(v);
		else if (!strcmp(l, "upper") && valid_id(v) && !ch->upper && !ch->lowers)
			ch->upper = xstrdup(v);
		else if (!strcmp(l, "lower") && valid_id(v))
			strv_push(&ch->lowers, v);
		else
			return box_error(err, EINVAL, "line %d: '%s %s' is not a layer", line, l, v);
	}
	/* a flattened chain's bottom layer is the whole tree */
	if (!ch->template_key && !ch->lowers)
		return box_error(err, EINVAL, "no lower layer");
	return 0;
}

int layer_chain_read(int dirfd, struct layer_chain *ch, box_err_t *err)
{
	*ch = (struct layer_chain){ 0 };
	cleanup_free char *text = NULL;
	if (read_file_at(dirfd, LAYERS_FILE, &text, NULL, err) < 0)
		return -1;
	if (parse(text, ch, err) < 0) {
		layer_chain_free(ch);
		return box_error_wrap(err, "the layer record %s", LAYERS_FILE);
	}
	return 0;
}

int layer_chain_write(int dirfd, const struct layer_chain *ch, box_err_t *err)
{
	cleanup_free char *text = NULL, *tmp = xasprintf(LAYERS_FILE ".tmp.%d", (int)getpid());
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return box_error(err, errno, "open_memstream");
	if (ch->upper)
		fprintf(f, "upper %s\n", ch->upper);
	for (char **l = ch->lowers; l && *l; l++)
		fprintf(f, "lower %s\n", *l);
	if (ch->template_key)
		fprintf(f, "template %s\n", ch->template_key);
	if (fclose(f) != 0)
		return box_error(err, errno, "formatting the layer record");
	unlinkat(dirfd, tmp, 0);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return box_error(err, errno, "creating %s", tmp);
	int r = write_all(fd, text, len) < 0 || fsync(fd) < 0 ? -1 : 0;
	int e = errno;
	close(fd);
	if (r < 0 || renameat(dirfd, tmp, dirfd, LAYERS_FILE) < 0) {
		e = r < 0 ? e : errno;
		unlinkat(dirfd, tmp, 0);
		return box_error(err, e, "writing the layer record");
	}
	if (fsync(dirfd) < 0)
		return box_error(err, errno, "syncing the layer record");
	return 0;
}

int layers_lock(box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/" LAYERS_STORE, paths_state_dir());
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s", path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return box_error(err, e, "locking %s", path);
		}
	return fd;
}

char *layers_new_id(box_err_t *err)
{
	unsigned char rnd[ID_LEN / 2];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		box_error(err, errno, "getrandom");
		return NULL;
	}
	char name[ID_LEN + 1];
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(name + 2 * i, 3, "%02x", rnd[i]);
	return xstrdup(name);
}

int layers_new(int storefd, int like_fd, const char *like_name, char **id, box_err_t *err)
{
	struct stat st;
	if (fstatat(like_fd, like_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return box_error(err, errno ? errno : ENOTDIR, "the layer %s", like_name);
	cleanup_free char *name = layers_new_id(err);
	if (!name)
		return -1;
	if (mkdirat(storefd, name, 0700) < 0)
		return box_error(err, errno, "creating the layer %s", name);
	cleanup_close int lfd = openat(storefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0 || mkdirat(lfd, "diff", 0755) < 0 || mkdirat(lfd, "work", 0700) < 0 ||
	    fchownat(lfd, "diff", st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(lfd, "diff", st.st_mode & 07777, 0) < 0 || fsync(lfd) < 0 || fsync(storefd) < 0)
		return box_error(err, errno, "creating the layer %s", name);
	*id = xstrdup(name);
	return 0;
}

char *layers_diff_path(const char *id)
{
	return xasprintf("%s/" LAYERS_STORE "/%s/diff", paths_state_dir(), id);
}

char *layers_work_path(const char *id)
{
	return xasprintf("%s/" LAYERS_STORE "/%s/work", paths_state_dir(), id);
}

char *layer_chain_top_path(const struct layer_chain *ch)
{
	if (ch->lowers && ch->lowers[0])
		return layers_diff_path(ch->lowers[0]);
	if (!ch->template_key)
		return NULL;
	return xasprintf("%s/templates/.cache/%s", paths_state_dir(), ch->template_key);
}

/* Calls fn for every record: each container's (who = NAME) and each of its
 * snapshots' (NAME@SNAP). A record that is there but cannot be read stops
 * the walk (-1). */
typedef void (*record_fn)(const char *who, const struct layer_chain *ch, void *arg);

static int visit(int dirfd, const char *who, record_fn fn, void *arg, box_err_t *err)
{
	struct layer_chain ch;
	if (layer_chain_read(dirfd, &ch, err) < 0) {
		if ((*err)->errnum == ENOENT) {
			box_error_release(err);
			return 0;
		}
		return box_error_wrap(err, "%s", who);
	}
	fn(who, &ch, arg);
	layer_chain_free(&ch);
	return 0;
}

static int walk_snapshots(int cfd, const char *name, record_fn fn, void *arg, box_err_t *err)
{
	int sfd = openat(cfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT ? 0 : box_error(err, errno, "opening the snapshots of %s", name);
	cleanup_dir DIR *d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		return box_error(err, errno, "reading the snapshots of %s", name);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_close int fd = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_free char *who = xasprintf("%s@%s", name, de->d_name);
		if (fd < 0)
			continue; /* a file: no snapshot of ours */
		if (visit(fd, who, fn, arg, err) < 0)
			return -1;
	}
	return 0;
}

static int walk_records(record_fn fn, void *arg, box_err_t *err)
{
	int stfd = open(paths_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (stfd < 0)
		return errno == ENOENT ? 0 : box_error(err, errno, "opening %s", paths_state_dir());
	cleanup_dir DIR *d = fdopendir(stfd);
	if (!d) {
		close(stfd);
		return box_error(err, errno, "reading %s", paths_state_dir());
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		/* dot names: the store, a destroy's trash, a clone being made
		 * (whose maker holds the store's lock) */
		if (de->d_name[0] == '.' || !paths_valid_name(de->d_name))
			continue;
		cleanup_close int cfd = openat(stfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		if (visit(cfd, de->d_name, fn, arg, err) < 0 || walk_snapshots(cfd, de->d_name, fn, arg, err) < 0)
			return box_error_wrap(err, "reading the layer records in %s", paths_state_dir());
	}
	return 0;
}

static void mark(const char *who, const struct layer_chain *ch, void *arg)
{
	(void)who;
	char ***used = arg;
	if (ch->upper)
		strv_push(used, ch->upper);
	for (char **l = ch->lowers; l && *l; l++)
		strv_push(used, *l);
}

static bool listed(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

/* ".tmp-ID.PID" of a process that is gone */
static bool dead_tmp(const char *n)
{
	const char *dot = strrchr(n, '.');
	if (strncmp(n, ".tmp-", 5) || !dot || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1))
		return false;
	pid_t pid = (pid_t)atoi(dot + 1);
	return pid > 0 && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH;
}

int layers_gc_locked(int storefd, box_err_t *err)
{
	cleanup_strv char **used = NULL, **gone = NULL;
	if (walk_records(mark, &used, err) < 0)
		return box_error_wrap(err, "keeping every layer (none removed)");
	int dfd = dup(storefd);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return box_error(err, errno, "reading the layer store");
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if ((valid_id(de->d_name) && !listed(used, de->d_name)) || dead_tmp(de->d_name))
			strv_push(&gone, de->d_name);
	for (char **g = gone; g && *g; g++)
		if (storage_remove_tree_at(storefd, *g, err) < 0)
			return box_error_wrap(err, "removing the unused layer %s", *g);
	return 0;
}

int layers_gc(box_err_t *err)
{
	cleanup_free char *path = xasprintf("%s/" LAYERS_STORE, paths_state_dir());
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	cleanup_close int fd = layers_lock(err);
	if (fd < 0)
		return -1;
	return layers_gc_locked(fd, err);
}

struct users {
	const char *id;
	char **who;
};

static void find_user(const char *who, const struct layer_chain *ch, void *arg)
{
	struct users *u = arg;
	if ((ch->upper && !strcmp(ch->upper, u->id)) || listed(ch->lowers, u->id))
		strv_push(&u->who, who);
}

char **layers_users(const char *id)
{
	struct users u = { id, NULL };
	box_err_t e = NULL;
	walk_records(find_user, &u, &e);
	box_error_release(&e);
	return u.who;
}
