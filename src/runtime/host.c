/* What the supervisor makes on the host for its container and removes at
 * its end: the cgroup, the network devices, the console pty, the
 * sd_notify socket, the console log, the control socket and the record;
 * init's environment; and its own detaching from the caller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "container/seccomp.h"
#include "net/net.h"
#include "runtime/control.h"
#include "runtime/internal.h"
#include "runtime/logfile.h"
#include "runtime/record.h"
#include "runtime/spawn.h"
#include "runtime/state.h"

int host_make_cgroup(struct sup *s, box_err_t *err)
{
	const char *parent = s->g->cgroup_parent;
	box_err_t e = NULL;
	box_trace("sup: cgroup_create");
	int r = cgroup_create_first(parent, s->name, &s->cg, &e);
	if (r < 0) {
		if (r != -EEXIST) {
			*err = e;
			return -1;
		}
		/* left by a supervisor that died: we hold the lock, so it is ours */
		box_error_release(&e);
		struct cgroup *old = NULL;
		if (cgroup_open(parent, s->name, &old, err) < 0 || cgroup_kill(old, err) < 0 ||
		    cgroup_destroy(old, err) < 0) {
			cgroup_free(old);
			return box_error_wrap(err, "removing a stale cgroup");
		}
		cgroup_free(old);
		if (cgroup_create_first(parent, s->name, &s->cg, err) < 0)
			return -1;
	}
	box_trace("sup: cgroup created");
	return 0;
}

/* While the child prepares: it is in the cgroup2 cgroup already, but runs
 * only our code until spawn_go(), when it joins the v1 ones made here. */
int host_limit_cgroup(struct sup *s, box_err_t *err)
{
	struct cgroup_limits l;
	cgroup_limits_from_config(s->c, &l);
	if (cgroup_create_rest(s->cg, err) < 0)
		return -1;
	box_trace("sup: cgroup rest");
	if (s->c->unprivileged && cgroup_delegate(s->cg, s->c->idmap_base, s->c->idmap_base, err) < 0)
		return -1;
	if (cgroup_set_limits(s->cg, &l, err) < 0 || cgroup_set_devices(s->cg, err) < 0)
		return -1;
	box_trace("sup: limits set");
	return 0;
}

/* What the first start needs before it reports but the child does not:
 * done while the child finishes after the go (off the start's path when a
 * core is free). The control socket: a `box stop` meanwhile waits for it
 * (runtime_stop); the record: removed with the state if the start fails. */
int host_while_child_finishes(struct sup *s, box_err_t *err)
{
	if (s->ctl_fd >= 0)
		return 0; /* a reboot from inside: made at the first start */
	cleanup_free char *ctl = xasprintf("%s/control", s->rundir);
	s->ctl_fd = control_listen(ctl, err);
	if (s->ctl_fd < 0 || (s->record_fd = record_write_held(s->name, s->c, err)) < 0)
		return -1;
	box_trace("sup: control socket, record");
	return 0;
}

int host_send_go(struct sup *s, int sync_fd, box_err_t *err)
{
	int filter = seccomp_export(s->c, err);
	if (filter < 0)
		return -1;
	struct cgroup_join join;
	int r = cgroup_join_open(s->cg, CGROUP_JOIN_PAYLOAD, &join, err);
	if (r == 0) {
		r = spawn_go(sync_fd, &join, filter, err);
		cgroup_join_close(&join);
	}
	close(filter);
	return r;
}

void host_drop_cgroup(struct sup *s)
{
	box_err_t err = NULL;
	if (!s->cg)
		return;
	cgroup_kill(s->cg, &err);
	log_warn_ignored(&err, "killing the container's processes");
	cgroup_destroy(s->cg, &err);
	log_warn_ignored(&err, "removing the cgroup");
	cgroup_free(s->cg);
	s->cg = NULL;
}

void host_drop_net(struct sup *s)
{
	box_err_t err = NULL;
	net_teardown(s->ns, &err);
	log_warn_ignored(&err, "removing the network devices");
	net_state_free(s->ns);
	s->ns = NULL;
	/* the veths box apply added while it ran: the record knows them (the
	 * one written at start has none but ours: not parsed, ~0.5 ms) */
	if (record_unchanged(s->name, s->record_fd))
		return;
	struct box_config *rc = NULL;
	if (record_load(s->name, &rc, &err) == 0 && net_cleanup(rc, &err) < 0)
		log_warn_ignored(&err, "removing the network devices added live");
	box_error_release(&err);
	config_free(rc);
}

void host_drop_root(struct sup *s)
{
	if (s->root_ref < 0)
		return;
	close(s->root_ref);
	s->root_ref = -1;
	box_trace("sup: rootfs mount dropped");
}

void host_end(struct sup *s)
{
	/* init's pid namespace is gone (act_kill); what was in the cgroup
	 * without being in it (a `box attach` on its way in) goes now */
	box_err_t err = NULL;
	if (s->cg && cgroup_kill(s->cg, &err) < 0)
		log_warn_ignored(&err, "killing the container's processes");
	/* the network before the answer, as LXC: a host end, a forward or a
	 * dnsmasq entry is the host's network configuration */
	host_drop_net(s);
	box_trace("sup: net dropped");
}

void host_tail(struct sup *s, int status)
{
	host_drop_root(s);
	host_drop_cgroup(s);
	box_trace("sup: cgroup dropped");
	box_err_t err = NULL;
	state_remove_all(s->name, &err);
	log_warn_ignored(&err, "removing the state");
	box_trace("sup: state removed");
	close(s->lock_fd);
	_exit(status);
}

/* Every fd of box's own is close-on-exec; one that is not came from the caller (`box start NAME
 * 7>file`, a pipe of a script) and must not live as long as the container. Read with getdents64
 * into the stack: opendir's 32 kB buffer costs the fresh supervisor ~10 page faults, 0.3 ms here. */
static void close_inherited(void)
{
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return;
	char buf[1024] __attribute__((aligned(8)));
	long n;
	while ((n = syscall(SYS_getdents64, d, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			off += de->d_reclen;
			int fd = atoi(de->d_name);
			if (fd < 3 || fd == d)
				continue;
			int fl = fcntl(fd, F_GETFD);
			if (fl >= 0 && !(fl & FD_CLOEXEC))
				close(fd);
		}
	close(d);
}

int host_detach(void)
{
	setsid();
	if (chdir("/") < 0)
		_exit(1);
	/* stdio must not keep `box start`'s pipes open (a $(box start) would hang) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	close_inherited();
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int host_open_console(struct sup *s, box_err_t *err)
{
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (s->master < 0)
		return box_error(err, errno, "opening a pty for the console");
	if (grantpt(s->master) < 0 || unlockpt(s->master) < 0 ||
	    ptsname_r(s->master, s->console, sizeof(s->console)) != 0)
		return box_error(err, errno, "setting up the console pty");
	/* kept open so that the master never reads EIO between two inits */
	s->slave = open(s->console, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave < 0)
		return box_error(err, errno, "opening %s", s->console);
	return 0;
}

int host_notify_dir(struct sup *s, box_err_t *err)
{
	s->notify_dir = xasprintf("%s/notify", s->rundir);
	if (mkdir(s->notify_dir, 0755) < 0 && errno != EEXIST)
		return box_error(err, errno, "creating %s", s->notify_dir);
	return 0;
}

int host_open_notify(struct sup *s, box_err_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", s->notify_dir);
	if (n >= (int)sizeof(sa.sun_path))
		return box_error(err, ENAMETOOLONG, "%s/notify", s->notify_dir);
	s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->notify_fd < 0)
		return box_error(err, errno, "socket");
	unlink(sa.sun_path);
	if (bind(s->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0666) < 0)
		return box_error(err, errno, "binding %s", sa.sun_path);
	return 0;
}

int host_open_log(struct sup *s, box_err_t *err)
{
	cleanup_free char *path = paths_log_path(s->name);
	if (mkdir_p(paths_log_dir(), 0755, err) < 0)
		return -1;
	return logfile_open(path, s->g->log_size, &s->log, err);
}

static bool env_has(char **env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], kv, klen) && env[i][klen] == '=')
			return true;
	return false;
}

int host_build_env(struct sup *s, box_err_t *err)
{
	char uuid[37];
	if (state_uuid(s->name, uuid, err) < 0)
		return -1;
	char **env = xzalloc(sizeof(char *));
	for (size_t i = 0; s->c->environment && s->c->environment[i]; i++)
		strv_push(&env, s->c->environment[i]);
	char *defaults[] = {
		"container=boxes",
		xasprintf("container_uuid=%s", uuid),
		"TERM=linux",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"NOTIFY_SOCKET=/run/host/notify",
	};
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (!env_has(env, defaults[i]) || !strncmp(defaults[i], "container=", 10))
			strv_push(&env, defaults[i]);
	free(defaults[1]);
	s->env = env;
	return 0;
}

void host_refresh_stop_keys(struct sup *s)
{
	struct box_config *rc = NULL;
	box_err_t err = NULL;
	if (record_load(s->name, &rc, &err) == 0) {
		s->c->stop_timeout = rc->stop_timeout;
		s->c->halt_signal = rc->halt_signal;
	}
	/* none, or unreadable: the values of the start stay */
	box_error_release(&err);
	config_free(rc);
}
