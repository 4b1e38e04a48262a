/* pct.conf translation: our export reads back to the same config; a real
 * Proxmox pct.conf translates key by key with one list of what was left out;
 * bad values are refused. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "archive/pct-export.h"
#include "archive/pct.h"
#include "tap.h"
#include "base/util.h"

static struct box_config *load(const char *text, const char *name)
{
	struct box_config *c = NULL;
	box_err_t err = NULL;
	if (config_load_buffer(text, strlen(text), "test", name, &c, &err) < 0) {
		char *t = box_error_text(err);
		printf("# load: %s\n", t);
		free(t);
		box_error_release(&err);
	}
	return c;
}

static const char *ours_conf =
    "hostname = web\n"
    "memory = 512M\nswap = 256M\ncpus = 1.5\ncpu_weight = 200\n"
    "autostart = yes\nstart_order = 3\nunprivileged = yes\n"
    "environment = {\"GREETING=a:b ü\", \"http_proxy=http://u:p%40ss@proxy:3128\"}\n"
    "mount /data {\n source = /srv/data\n readonly = yes\n}\nmount /cache { source = /var/cache/x }\n"
    "network eth0 {\n bridge = box0\n address = {10.77.0.10/24, \"fd77::10/64\"}\n"
    " gateway = {10.77.0.1}\n hwaddr = \"02:00:0a:4d:00:0a\"\n mtu = 1400\n}\n"
    "network eth1 {\n bridge = box1\n}\n";

static const char *proxmox_conf =
    "#My web server%3A notes\n"
    "#second line\n"
    "arch: amd64\n"
    "cores: 1\n"
    "cpulimit: 0.5\n"
    "cpuunits: 512\n"
    "features: mknod=1,nesting=1\n"
    "hostname: pve-web\n"
    "memory: 1024\n"
    "nameserver: 1.1.1.1 9.9.9.9\n"
    "net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.168.1.1,hwaddr=BC:24:11:AA:BB:CC,ip=192.168.1.50/24,type=veth\n"
    "net1: name=eth1,bridge=vmbr1,hwaddr=BC:24:11:AA:BB:CD,ip=dhcp,ip6=fd00::5/64,mtu=9000,type=veth\n"
    "onboot: 1\n"
    "ostype: debian\n"
    "rootfs: local-lvm:vm-105-disk-0,size=8G\n"
    "searchdomain: example.org\n"
    "startup: order=2\n"
    "swap: 512\n"
    "tags: web;prod\n"
    "unprivileged: 1\n"
    "lxc.apparmor.profile: unconfined\n"
    "\n"
    "[snap1]\n"
    "hostname: old-name\n"
    "memory: 64\n";

/* pct_export of `conf`: the text, and the changes in *changes */
static char *export_of(const char *conf, char **changes)
{
	struct box_config *c = load(conf, "x");
	*changes = NULL;
	if (!c)
		return xstrdup("");
	char *pct = pct_export(c, NULL, 1, changes);
	config_free(c);
	return pct;
}

/* What Proxmox's parser rejects or reads otherwise: never written as is,
 * always said. */
static void test_export_changes(void)
{
	char *ch, *pct = export_of("start_order = -5\nmemory = 1G\nswap = 0\n", &ch);
	tap_ok(!strstr(pct, "startup:"), "a negative start_order writes no startup line (PVE: order=\\d+)");
	tap_ok(ch && strstr(ch, "start_order = -5: Proxmox's order is 0 or more, left out"), "and says so: %s",
	       ch ? ch : "");
	free(pct);
	free(ch);

	pct = export_of("memory = 8M\nswap = 0\n", &ch);
	tap_ok(strstr(pct, "\nmemory: 16\n") != NULL, "memory = 8M: memory: 16, Proxmox's least");
	tap_ok(ch && strstr(ch, "memory = 8M is below Proxmox's least 16 MiB: pct.conf says 16"), "and says so: %s",
	       ch ? ch : "");
	free(pct);
	free(ch);

	pct = export_of("hostname = u\n", &ch);
	tap_ok(!strstr(pct, "\nmemory:") && !strstr(pct, "\nswap:"), "unlimited: no memory or swap line");
	tap_ok(ch && strstr(ch, "memory = max: Proxmox has no unlimited memory, pct restore gives 512 MiB") &&
		   strstr(ch, "swap = max: pct restore gives 512 MiB of swap"),
	       "and says what pct restore makes of it: %s", ch ? ch : "");
	free(pct);
	free(ch);

	pct = export_of("memory = 1G\nswap = 0\nnetwork eth0 {\n address = {10.0.0.2/24, 10.0.0.3/24, fd00::2/64, "
			"fd00::3/64}\n}\n",
			&ch);
	tap_ok(strstr(pct, "\nnet0: name=eth0,ip=10.0.0.2/24,ip6=fd00::2/64,type=veth\n") != NULL,
	       "the first address of each family");
	tap_ok(ch && strstr(ch, "network eth0: address 10.0.0.3/24 (pct has one address per family), left out") &&
		   strstr(ch, "network eth0: address fd00::3/64"),
	       "the others named: %s", ch ? ch : "");
	free(pct);
	free(ch);
	pct = export_of("memory = 1G\nswap = 0\nnetwork h {\n type = host\n}\n", &ch);
	tap_ok(!strstr(pct, "\nnet0:") && ch && strstr(ch, "network h: type = host has no pct counterpart, left out"),
	       "type = host named: %s", ch ? ch : "");
	free(pct);
	free(ch);
}

static struct box_config *import_of(const char *pct, char **untranslated)
{
	struct pct_import pi;
	box_err_t err = NULL;
	struct box_config *c = NULL;
	*untranslated = NULL;
	if (pct_import(pct, strlen(pct), "x", NULL, &pi, &err) < 0) {
		char *t = box_error_text(err);
		printf("# pct_import: %s\n", t);
		free(t);
		box_error_release(&err);
		return NULL;
	}
	c = load(pi.config_text, "x");
	*untranslated = pi.untranslated;
	pi.untranslated = NULL;
	pct_import_free(&pi);
	return c;
}

/* Proxmox's meaning of what a pct.conf leaves out, and of mpN */
static void test_import_defaults(void)
{
	char *u;
	struct box_config *c = import_of("hostname: d\narch: amd64\n", &u);
	tap_ok(c && c->memory == 512ULL << 20 && c->swap == 512ULL << 20,
	       "no memory, no swap: 512 MiB each, as on Proxmox");
	config_free(c);
	free(u);
	c = import_of("hostname: d\nmemory: 2048\nswap: 0\n", &u);
	tap_ok(c && c->memory == 2048ULL << 20 && c->swap == 0, "memory: 2048, swap: 0 as written");
	config_free(c);
	free(u);

	c = import_of("hostname: m\nmp0: /srv/data,mp=/mnt/data,ro=1,backup=0\n"
		      "mp1: local-lvm:vm-101-disk-1,mp=/data,size=8G\n",
		      &u);
	tap_ok(c && c->n_mounts == 0, "a bind mount point is no active mount (the archive chose the host path)");
	tap_ok(u &&
		   strstr(u, "mp0 (bind mount of /srv/data on /mnt/data: written commented out, uncomment it to "
			     "use it)") &&
		   strstr(u, "mp1 (a storage volume, not a bind mount)"),
	       "both named in the warning: %s", u ? u : "");
	config_free(c);
	free(u);

	/* valid Proxmox configs boxes refused: a routed /32, resolvers inside */
	c = import_of("hostname: r\nnameserver: 127.0.0.53 fe80::1%eth0\n"
		      "net0: name=eth0,bridge=vmbr0,gw=203.0.113.1,ip=203.0.113.10/32,type=veth\n",
		      &u);
	tap_ok(c && c->n_nets == 1 && c->nets[0].has_gateway4 && strv_len(c->nameservers) == 2,
	       "a /32 with its gateway outside, nameservers 127.0.0.53 and fe80::1%%eth0");
	config_free(c);
	free(u);
	c = import_of("hostname: e\nmp0: /x\x1b[2J,mp=/y\nfeat\x1b]0;t\x07: 1\n", &u);
	tap_ok(u && !strchr(u, 0x1b) && !strchr(u, 0x07) && strstr(u, "/x?[2J"),
	       "the warning carries no escape sequence of the archive's: %s", u ? u : "");
	config_free(c);
	free(u);
	c = import_of("hostname: s\nstartup: order=-5\n", &u);
	tap_ok(c && c->start_order == -5, "startup order read as written");
	config_free(c);
	free(u);
}

int main(void)
{
	/* ours, both ways */
	struct box_config *c = load(ours_conf, "web");
	tap_ok(c != NULL, "test config loads");
	if (!c)
		return tap_done();
	char *changes = NULL;
	char *pct = pct_export(c, "debian", 3ULL << 30, &changes);
	tap_ok(!changes, "a config pct.conf carries whole: nothing to warn of (%s)", changes ? changes : "");
	free(changes);
	tap_ok(strstr(pct, "\nmp0: /srv/data,mp=/data,ro=1\nmp1: /var/cache/x,mp=/cache\n") != NULL,
	       "mount sections as pct's bind mount points, in order");
	tap_ok(strstr(pct, "p%2540ss") != NULL, "'%%' is escaped in the description (%%25)");
	tap_ok(strstr(pct, "\nhostname: web\n") != NULL, "pct.conf has hostname");
	tap_ok(strstr(pct, "\nmemory: 512\n") && strstr(pct, "\nswap: 256\n"), "memory and swap in MiB");
	tap_ok(strstr(pct, "\ncpulimit: 1.500\n") && strstr(pct, "\ncpuunits: 200\n"), "cpulimit and cpuunits");
	tap_ok(strstr(pct, "\nnet0: name=eth0,bridge=box0,gw=10.77.0.1,hwaddr=02:00:0A:4D:00:0A,"
			   "ip=10.77.0.10/24,ip6=fd77::10/64,mtu=1400,type=veth\n") != NULL,
	       "net0 as pct writes it");
	tap_ok(strstr(pct, "\nnet1: name=eth1,bridge=box1,type=veth\n") != NULL, "net1");
	tap_ok(strstr(pct, "\nonboot: 1\n") && strstr(pct, "\nunprivileged: 1\n") &&
		   strstr(pct, "\nstartup: order=3\n") && strstr(pct, "\nostype: debian\n"),
	       "onboot, unprivileged, startup, ostype");
	tap_ok(strstr(pct, "\nrootfs: local:subvol-box-web-disk-0,size=3G\n") != NULL, "rootfs with size");
	tap_ok(!strncmp(pct, "#boxes-config-v1\n", 17), "description starts with the marker");
	/* every description line is a comment, with ':' and non-ASCII encoded */
	const char *keys = strstr(pct, "\narch: ");
	int bad = 0;
	for (const char *p = pct; p < keys; p = strchr(p, '\n') + 1)
		if (*p != '#' || memchr(p, ':', (size_t)(strchr(p, '\n') - p)))
			bad++;
	tap_ok(keys && !bad, "description: only # lines, no raw ':'");

	struct pct_import pi;
	box_err_t err = NULL;
	tap_ok(pct_import(pct, strlen(pct), "web2", NULL, &pi, &err) == 0, "our pct.conf imports");
	tap_ok(pi.ours, "recognised as ours");
	tap_ok(pi.untranslated &&
		   !strcmp(pi.untranslated, "mount /data (bind mount of /srv/data on /data: written commented out, "
					    "uncomment it to use it), mount /cache (bind mount of /var/cache/x on "
					    "/cache: written commented out, uncomment it to use it)"),
	       "its mount sections named: an archive does not choose host paths (%s)",
	       pi.untranslated ? pi.untranslated : "");
	struct box_config *back = pi.config_text ? load(pi.config_text, "web") : NULL;
	tap_ok(back && back->n_mounts == 0 &&
		   strstr(pi.config_text, "\n# mount \"/data\" {\n#\tsource   = "
					  "\"/srv/data\"\n#\treadonly = yes\n# }\n"),
	       "the mount sections are there, commented out");
	size_t n_mounts = c->n_mounts;
	c->n_mounts = 0;
	tap_ok(back && config_equal(c, back), "the rest of the config comes back exactly");
	c->n_mounts = n_mounts;
	pct_import_free(&pi);
	config_free(back);

	tap_ok(pct_import(pct, strlen(pct), "web2", "other", &pi, &err) == 0, "with --hostname");
	back = pi.config_text ? load(pi.config_text, "web2") : NULL;
	tap_streq(back ? back->hostname : NULL, "other", "--hostname replaces the archive's");
	pct_import_free(&pi);
	config_free(back);
	free(pct);
	config_free(c);

	/* Proxmox's */
	tap_ok(pct_import(proxmox_conf, strlen(proxmox_conf), "pve", NULL, &pi, &err) == 0, "a PVE pct.conf imports");
	if (err) {
		char *t = box_error_text(err);
		printf("# %s\n", t);
		free(t);
		box_error_release(&err);
	}
	tap_ok(!pi.ours, "not ours");
	c = pi.config_text ? load(pi.config_text, "pve") : NULL;
	tap_ok(c != NULL, "the translation loads");
	if (c) {
		tap_streq(c->hostname, "pve-web", "hostname (not the snapshot's)");
		tap_ok(c->memory == 1024ULL << 20 && c->swap == 512ULL << 20, "memory 1024 MiB, swap 512 MiB");
		tap_ok(c->cpus_milli == 500 && c->cpu_weight == 512, "cpulimit 0.5, cpuunits 512");
		tap_streq(c->cpuset, "0", "cores 1 -> cpuset 0");
		tap_ok(c->unprivileged && c->autostart && c->start_order == 2, "unprivileged, onboot, startup order");
		tap_ok(c->n_nets == 2, "two networks");
		if (c->n_nets == 2) {
			tap_streq(c->nets[0].bridge, "vmbr0", "net0 bridge");
			tap_ok(c->nets[0].n_addrs == 1 && c->nets[0].has_gateway4 && c->nets[0].has_hwaddr &&
				   c->nets[0].hwaddr[5] == 0xCC,
			       "net0 ip, gw, hwaddr");
			tap_ok(c->nets[1].n_addrs == 1 && c->nets[1].addrs[0].family == AF_INET6 &&
				   c->nets[1].mtu == 9000,
			       "net1: ip6 and mtu kept, dhcp not an address");
		}
		tap_ok(c->nameservers && c->nameservers[0] && c->nameservers[1] && c->searchdomains &&
			   c->searchdomains[0],
		       "nameserver and searchdomain lists");
	}
	tap_ok(c && c->nesting && !c->keyctl, "features: nesting=1 -> nesting = yes");
	tap_ok(pi.untranslated && strstr(pi.untranslated, "features.mknod=1") && !strstr(pi.untranslated, "nesting") &&
		   strstr(pi.untranslated, "tags") && strstr(pi.untranslated, "lxc.apparmor.profile") &&
		   strstr(pi.untranslated, "net0.firewall") && strstr(pi.untranslated, "net1.ip=dhcp") &&
		   !strstr(pi.untranslated, "rootfs") && !strstr(pi.untranslated, "arch"),
	       "one list of what was left out");
	if (pi.untranslated)
		printf("# untranslated: %s\n", pi.untranslated);
	tap_ok(pi.config_text && strstr(pi.config_text, "My web server: notes"), "notes kept as comments, decoded");
	config_free(c);
	pct_import_free(&pi);

	test_export_changes();
	test_import_defaults();

	/* bad ones */
	const char *bad_host = "hostname: -bad_host\"x\n";
	tap_ok(pct_import(bad_host, strlen(bad_host), "x", NULL, &pi, &err) < 0, "bad hostname refused");
	box_error_release(&err);
	const char *bad_mem = "memory: 99999999999999999999\nhostname: a\n";
	tap_ok(pct_import(bad_mem, strlen(bad_mem), "x", NULL, &pi, &err) == 0 && pi.untranslated &&
		   strstr(pi.untranslated, "memory"),
	       "absurd memory is left out with a warning");
	pct_import_free(&pi);
	box_error_release(&err);
	const char nul[] = "hostname: a\0b\n";
	tap_ok(pct_import(nul, sizeof(nul) - 1, "x", NULL, &pi, &err) < 0, "NUL byte refused");
	box_error_release(&err);
	const char *ours_bad = "#boxes-config-v1\n#memory = lots\nhostname: a\n";
	tap_ok(pct_import(ours_bad, strlen(ours_bad), "x", NULL, &pi, &err) < 0, "our config with a bad value refused");
	box_error_release(&err);
	return tap_done();
}
