/* Managed bridges and forwards at a container's start and stop (net/managed.h). */
#include "net/managed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/paths.h"
#include "base/util.h"
#include "net/dnsmasq.h"
#include "net/forward.h"

struct managed_bridge {
	char name[IFNAMSIZ];
	bool nat, dnsmasq;
};

struct managed {
	char *container;
	bool forwards;
	size_t n;
	struct managed_bridge *bridges;
};

static int bridge_lock(const char *bridge, box_err_t *err)
{
	cleanup_free char *dir = xasprintf("%s/bridges.d/%s", paths_run_dir(), bridge);
	if (mkdir_p(dir, 0755, err) < 0)
		return -1;
	cleanup_free char *path = xasprintf("%s/lock", dir);
	return lock_path(path, O_CLOEXEC, err);
}

char **managed_bridge_users(const char *bridge)
{
	char **v = xzalloc(sizeof(char *));
	cleanup_free char *dir = xasprintf("/sys/class/net/%s/brif", bridge);
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		cleanup_free char *p = xasprintf("/sys/class/net/%s/ifalias", de->d_name);
		cleanup_free char *alias = NULL;
		size_t len = 0;
		box_err_t e = NULL;
		if (read_file_at(AT_FDCWD, p, &alias, &len, &e) < 0) {
			box_error_release(&e);
			continue;
		}
		/* "boxes:CONTAINER:IFNAME" (net.c) */
		if (strncmp(alias, "boxes:", 6))
			continue;
		char *name = alias + 6;
		name[strcspn(name, ":\n")] = '\0';
		bool seen = false;
		for (size_t i = 0; v[i]; i++)
			seen |= !strcmp(v[i], name);
		if (!seen)
			strv_push(&v, name);
	}
	if (d)
		closedir(d);
	return v;
}

/* Under the bridge's lock: with no container left on it, dnsmasq and the
 * masquerading go; else dnsmasq restarts without the entries of the gone. */
static int release_bridge(const struct managed_bridge *mb, const char *container, box_err_t *err)
{
	int lock = bridge_lock(mb->name, err);
	if (lock < 0)
		return -1;
	int ret = 0;
	if (container)
		dnsmasq_host_remove(mb->name, container);
	cleanup_strv char **users = managed_bridge_users(mb->name);
	if (users[0]) {
		if (mb->dnsmasq && dnsmasq_running(mb->name, NULL)) {
			cleanup_free char *pidpath = xasprintf("%s/bridges.d/%s/daemon.pid", paths_run_dir(), mb->name);
			cleanup_free char *buf = NULL;
			size_t len = 0;
			box_err_t e = NULL;
			if (read_file_at(AT_FDCWD, pidpath, &buf, &len, &e) == 0 && atoi(buf) > 0)
				kill(atoi(buf), SIGHUP);
			box_error_release(&e);
		}
	} else {
		if (mb->dnsmasq)
			ret = dnsmasq_stop(mb->name, err);
		if (mb->nat && ret == 0)
			ret = forward_bridge_down(mb->name, err);
	}
	close(lock);
	return ret;
}

static int bridge_up(const struct box_bridge *b, const struct box_config *c, box_err_t *err)
{
	int lock = bridge_lock(b->name, err);
	if (lock < 0)
		return -1;
	int ret = 0;
	if (b->nat)
		ret = forward_bridge_up(b, err);
	if (ret == 0 && (b->dhcp || b->dns)) {
		if (c)
			ret = dnsmasq_host_set(b, c, err);
		if (ret == 0)
			ret = dnsmasq_ensure(b, err);
	}
	close(lock);
	return ret;
}

static void first_error(int *ret, box_err_t *err, box_err_t *e)
{
	if (*ret == 0)
		*err = *e;
	else
		box_error_release(e);
	*e = NULL;
	*ret = -1;
}

int managed_down(struct managed *m, box_err_t *err)
{
	int ret = 0;
	box_err_t e = NULL;
	if (!m)
		return 0;
	if (m->forwards && forward_container_down(m->container, &e) < 0)
		first_error(&ret, err, &e);
	for (size_t i = 0; i < m->n; i++)
		if (release_bridge(&m->bridges[i], m->container, &e) < 0)
			first_error(&ret, err, &e);
	return ret;
}

void managed_free(struct managed *m)
{
	if (!m)
		return;
	free(m->container);
	free(m->bridges);
	free(m);
}

/* What the container's config asks for (bridges once each). */
static struct managed *plan(const struct box_config *c, const struct box_global *g)
{
	struct managed *m = xzalloc(sizeof(*m));
	m->container = xstrdup(c->name);
	m->forwards = c->n_forwards > 0;
	m->bridges = xzalloc((c->n_nets + 1) * sizeof(*m->bridges));
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		const struct box_bridge *b =
		    n->type == NET_VETH && n->bridge[0] ? global_find_bridge(g, n->bridge) : NULL;
		if (!global_bridge_managed(b))
			continue;
		bool seen = false;
		for (size_t j = 0; j < m->n; j++)
			seen |= !strcmp(m->bridges[j].name, b->name);
		if (seen)
			continue;
		struct managed_bridge *mb = &m->bridges[m->n++];
		snprintf(mb->name, sizeof(mb->name), "%s", b->name);
		mb->nat = b->nat;
		mb->dnsmasq = b->dhcp || b->dns;
	}
	return m;
}

int managed_up(const struct box_config *c, const struct box_global *g, struct managed **out, box_err_t *err)
{
	*out = NULL;
	struct managed *m = plan(c, g);
	if (!m->n && !m->forwards) {
		managed_free(m);
		return 0;
	}
	size_t done = 0;
	for (; done < m->n; done++)
		if (bridge_up(global_find_bridge(g, m->bridges[done].name), c, err) < 0)
			goto undo;
	if (m->forwards && forward_container_up(c, err) < 0)
		goto undo;
	*out = m;
	return 0;
undo:
	/* the caller removes the veths, then managed_cleanup releases what is unused */
	managed_free(m);
	return -1;
}

int managed_cleanup(const struct box_config *c, const struct box_global *g, box_err_t *err)
{
	struct managed *m = plan(c, g);
	int ret = managed_down(m, err);
	managed_free(m);
	return ret;
}

int managed_bridge_start(const struct box_bridge *b, box_err_t *err)
{
	if (!global_bridge_managed(b))
		return box_usage_error(err, "bridge %s: nothing to start (its section says no nat, dhcp or dns = yes)",
				       b->name);
	if (access(paths_run_dir(), F_OK) < 0 && mkdir_p(paths_run_dir(), 0755, err) < 0)
		return -1;
	return bridge_up(b, NULL, err);
}

int managed_bridge_stop(const char *bridge, bool force, box_err_t *err)
{
	cleanup_strv char **users = managed_bridge_users(bridge);
	if (users[0] && !force) {
		cleanup_free char *list = xstrdup(users[0]);
		for (size_t i = 1; users[i]; i++) {
			char *t = xasprintf("%s, %s", list, users[i]);
			free(list);
			list = t;
		}
		return box_error(err, EBUSY,
				 "bridge %s: containers use it (%s): stop them first, or --force (they lose DHCP, DNS "
				 "and NAT)",
				 bridge, list);
	}
	int lock = bridge_lock(bridge, err);
	if (lock < 0)
		return -1;
	int ret = dnsmasq_stop(bridge, err);
	if (ret == 0)
		ret = forward_bridge_down(bridge, err);
	close(lock);
	return ret;
}
