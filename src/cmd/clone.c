#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"
#include "config/config.h"
#include "config/values.h"
#include "container/identity.h"
#include "runtime/quiesce.h"
#include "runtime/state.h"
#include "storage/snapshot.h"
#include "storage/storage.h"
#include "cmd/cmd.h"

static int run(int argc, char **argv);

const struct box_command cmd_clone = {
	.name = "clone",
	.run = run,
	.summary = "make a new container from another's rootfs or snapshot",
	.usage = "clone SRC DST [--snapshot SNAP] [--address IF=ADDR/PREFIX]...\n"
		 "  DST gets SRC's rootfs as it is now (a running SRC is frozen for the moment of the\n"
		 "  copy) or as snapshot SNAP kept it, and SRC's config with an identity of its own:\n"
		 "  hostname DST, new MAC addresses, no addresses (a warning names the dropped ones)\n"
		 "  unless --address gives one per interface, /etc/machine-id emptied (init makes a\n"
		 "  new one), the ssh host keys removed. The config is written in 'box config show'\n"
		 "  form (comments are not kept). btrfs: a snapshot; dir: a copy (reflinks where the\n"
		 "  filesystem has them); overlay: DST's own layer over SRC's, which both share (a running\n"
		 "  SRC's layer is copied). An unprivileged DST gets an id range of its own\n"
		 "  (idmap_base = auto, whatever SRC's).\n"
		 "  --snapshot SNAP        from SRC's snapshot SNAP\n"
		 "  --address IF=ADDR/LEN  DST's address on interface IF (repeat for more interfaces)",
};

/* The clone's own identity in its config; warnings for what is dropped. */
static int new_identity(struct box_config *c, const char *dst, char **addresses, box_err_t *err)
{
	free(c->hostname);
	c->hostname = xstrdup(dst);
	/* two containers on one range are one user to the host: a clone of a
	 * source with an explicit base would be refused at start beside it */
	if (c->unprivileged && c->idmap_base != BOX_IDMAP_AUTO) {
		cleanup_free char *conf = paths_config_path(dst);
		log_warn("%s: %s's idmap_base %" PRIu32 " not kept: %s gets an id range of its own "
			 "(idmap_base = auto); set a free one in %s if it must be fixed",
			 dst, c->name, c->idmap_base, dst, conf);
		c->idmap_base = BOX_IDMAP_AUTO;
		c->line_of_idmap_base = 0;
	}
	for (char **a = addresses; a && *a; a++) {
		char *eq = strchr(*a, '=');
		size_t i;
		for (i = 0; i < c->n_nets; i++)
			if (eq && strlen(c->nets[i].name) == (size_t)(eq - *a) &&
			    !strncmp(c->nets[i].name, *a, eq - *a))
				break;
		if (!eq || i == c->n_nets)
			return box_usage_error(err,
					       "--address %s: expected IF=ADDR/PREFIX with IF one of the config's "
					       "network sections",
					       *a);
	}
	for (size_t i = 0; i < c->n_nets; i++) {
		struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH)
			continue;
		n->has_hwaddr = false; /* a new random MAC at each start */
		const char *given = NULL;
		for (char **a = addresses; a && *a; a++)
			if (!strncmp(*a, n->name, strlen(n->name)) && (*a)[strlen(n->name)] == '=')
				given = *a + strlen(n->name) + 1;
		if (given) {
			struct box_addr addr;
			value_why_t why;
			if (value_cidr(given, &addr, why) < 0)
				return box_usage_error(err, "--address %s=%s: '%s' %s", n->name, given, given, why);
			free(n->addrs);
			n->addrs = xmalloc(sizeof(addr));
			n->addrs[0] = addr;
			n->n_addrs = 1;
			if (n->has_gateway4 && !(addr.family == AF_INET && value_addr_in_subnet(&addr, &n->gateway4)))
				n->has_gateway4 = false;
			if (n->has_gateway6 && !(addr.family == AF_INET6 && value_addr_in_subnet(&addr, &n->gateway6)))
				n->has_gateway6 = false;
			continue;
		}
		if (n->n_addrs) {
			log_warn("%s: %s: %s's address%s %s%s dropped: give --address %s=ADDR/PREFIX, or set one in "
				 "%s",
				 dst, n->name, c->name, n->n_addrs > 1 ? "es" : "", n->addrs[0].text,
				 n->n_addrs > 1 ? " and more" : "", n->name, paths_config_path(dst));
			n->n_addrs = 0;
			n->has_gateway4 = n->has_gateway6 = false;
		}
	}
	return 0;
}

/* DST.conf, never over an existing file. */
static int write_config(const struct box_config *c, const char *src, const char *dst, box_err_t *err)
{
	cleanup_free char *text = NULL, *path = paths_config_path(dst);
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return box_error(err, errno, "open_memstream");
	fprintf(f, "# made by box clone from %s\n", src);
	int r = config_write(f, c);
	if (fclose(f) != 0 || r < 0)
		return box_error(err, errno, "formatting the config of %s", dst);
	if (mkdir_p(paths_config_dir(), 0755, err) < 0)
		return -1;
	cleanup_free char *tmp = xasprintf("%s/.%s.conf.clone.%d", paths_config_dir(), dst, (int)getpid());
	if (write_file_atomic(tmp, text, len, 0644, err) < 0)
		return -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
		int e = errno;
		unlink(tmp);
		return box_error(err, e, "writing %s", path);
	}
	return 0;
}

static int forget_identity(struct box_config *c, box_err_t *err)
{
	cleanup_free char *root = NULL, *tmpdir = NULL;
	int r = storage_edit_begin(c, &root, &tmpdir, err);
	if (r == 0)
		r = identity_forget(root, err);
	box_err_t e = NULL;
	if (storage_edit_done(c, tmpdir, r == 0 ? err : &e) < 0 && r == 0)
		r = -1;
	box_error_release(&e);
	return r;
}

static int clone_container(const char *src, const char *dst, const char *snap, char **addresses, box_err_t *err)
{
	char *text = NULL, *label = NULL, *dconf = paths_config_path(dst);
	size_t len = 0;
	struct box_config *c = NULL;
	struct stat st;
	int ret = -1, lock = -1;
	bool made = false;
	if (lstat(dconf, &st) == 0) {
		box_error(err, EEXIST, "%s has a config already (%s): choose another name", dst, dconf);
		goto out;
	}
	if (snap) {
		label = xasprintf("snapshot %s of %s", snap, src);
		if (storage_snapshot_config(src, snap, &text, &len, err) < 0)
			goto out;
	} else {
		label = paths_config_path(src);
		if (read_file_at(AT_FDCWD, label, &text, &len, err) < 0)
			goto out;
	}
	if (config_load_buffer(text, len, label, src, &c, err) < 0 || new_identity(c, dst, addresses, err) < 0)
		goto out;
	free(c->name);
	c->name = xstrdup(dst);
	if (config_check_conflicts(c, err) < 0)
		goto out;
	free(c->name);
	c->name = xstrdup(src);
	if ((lock = state_lock(dst, "clone", err)) < 0) {
		if (lock == -EWOULDBLOCK) {
			box_error_release(err);
			box_error(err, EBUSY, "%s is in use by another command: try again", dst);
		}
		goto out;
	}
	struct quiesce q = { .lock = -1 };
	if (!snap && runtime_quiesce(src, "clone", QUIESCE_RUNNING_OK | QUIESCE_LATER, &q, err) < 0)
		goto out;
	struct box_config dc = *c;
	dc.name = (char *)dst;
	struct storage_live live;
	int r = storage_clone(&dc, src, snap, runtime_live(&q, &live), err);
	box_err_t e2 = NULL;
	if (runtime_release(src, &q, &e2) < 0)
		log_warn_ignored(&e2, "releasing %s", src);
	if (r < 0)
		goto out;
	made = true;
	free(c->name);
	c->name = xstrdup(dst);
	box_trace("clone: made");
	if (forget_identity(c, err) < 0 || write_config(c, src, dst, err) < 0 || storage_clone_commit(dst, err) < 0)
		goto out;
	box_trace("clone: committed");
	printf("%s: cloned from %s%s%s\n", dst, src, snap ? " snapshot " : "", snap ? snap : "");
	ret = 0;
out:
	if (ret < 0 && made) {
		/* the config was not written: the state is a dead clone's */
		box_err_t e3 = NULL;
		if (lstat(dconf, &st) < 0 && storage_destroy(dst, &e3) < 0)
			log_warn_ignored(&e3, "removing the half-made clone %s", dst);
	}
	if (ret < 0)
		box_error_wrap(err, "cloning %s%s%s to %s", src, snap ? " snapshot " : "", snap ? snap : "", dst);
	state_unlock(lock);
	config_free(c);
	free(text);
	free(label);
	free(dconf);
	return ret;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "snapshot", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *snap = NULL;
	cleanup_strv char **addresses = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "s:a:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': snap = optarg; break;
		case 'a': strv_push(&addresses, optarg); break;
		case 'h': cmd_print_usage(&cmd_clone); return 0;
		default: return cmd_usage_error(&cmd_clone, "unknown option");
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(&cmd_clone, "expected the source and the new container's name");
	const char *src = argv[optind], *dst = argv[optind + 1];
	box_err_t err = NULL;
	if (paths_check_name(src, &err) < 0 || paths_check_name(dst, &err) < 0)
		return box_error_report(&err);
	if (!strcmp(src, dst))
		return cmd_usage_error(&cmd_clone, "the new container needs a name of its own");
	clone_container(src, dst, snap, addresses, &err);
	return box_error_report(&err);
}
