/* pct.conf -> boxes config (the export is pct-export.c). A description that
 * starts with our marker is our config (%XX-decoded as PVE's uri_unescape
 * does); anything else is Proxmox's and translated key by key, with
 * Proxmox's meaning of what is absent (512 MiB of memory and of swap). */
#include "archive/pct.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/internal.h"
#include "archive/pct-export.h"
#include "base/rootfs.h"
#include "base/util.h"
#include "config/values.h"
#include "base/notes.h"

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static void url_decode(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			fputc(hexval(s[i + 1]) * 16 + hexval(s[i + 2]), f);
			i += 2;
		} else {
			fputc(s[i], f);
		}
	}
}

/* Quotes a value for the boxes config (libconfuse string syntax). */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

/* The list goes to the user's terminal: the archive's bytes in it (key
 * names, paths) have their control characters (escape sequences) replaced. */
static void add_untranslated(char **list, const char *what)
{
	char *n = *list ? xasprintf("%s, %s", *list, what) : xstrdup(what);
	for (char *p = n + (*list ? strlen(*list) : 0); *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	free(*list);
	*list = n;
}

static bool parse_uint(const char *s, unsigned long long *v)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && *end == '\0';
}

/* netN: name=eth0,bridge=vmbr0,firewall=1,gw=..,hwaddr=..,ip=..,ip6=..,mtu=..,type=veth */
static void put_net(FILE *f, const char *key, char *value, char **untranslated)
{
	char *name = NULL, *bridge = NULL, *ip = NULL, *ip6 = NULL, *gw = NULL, *gw6 = NULL, *hw = NULL, *mtu = NULL;
	char *save = NULL;
	for (char *kv = strtok_r(value, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq) {
			cleanup_free char *w = xasprintf("%s.%s", key, kv);
			add_untranslated(untranslated, w);
			continue;
		}
		*eq = '\0';
		char *v = eq + 1;
		if (!strcmp(kv, "name"))
			name = v;
		else if (!strcmp(kv, "bridge"))
			bridge = v;
		else if (!strcmp(kv, "ip") && strcmp(v, "dhcp") && strcmp(v, "manual"))
			ip = v;
		else if (!strcmp(kv, "ip6") && strcmp(v, "dhcp") && strcmp(v, "auto") && strcmp(v, "manual"))
			ip6 = v;
		else if (!strcmp(kv, "gw"))
			gw = v;
		else if (!strcmp(kv, "gw6"))
			gw6 = v;
		else if (!strcmp(kv, "hwaddr"))
			hw = v;
		else if (!strcmp(kv, "mtu"))
			mtu = v;
		else if (!strcmp(kv, "type") && !strcmp(v, "veth"))
			;
		else {
			cleanup_free char *w = xasprintf("%s.%s=%s", key, kv, v);
			add_untranslated(untranslated, w);
		}
	}
	if (!name) {
		cleanup_free char *w = xasprintf("%s (no name=)", key);
		add_untranslated(untranslated, w);
		return;
	}
	fputs("network ", f);
	put_str(f, name);
	fputs(" {\n", f);
	if (bridge) {
		fputs("\tbridge  = ", f);
		put_str(f, bridge);
		fputc('\n', f);
	}
	if (ip || ip6) {
		fputs("\taddress = {", f);
		if (ip)
			put_str(f, ip);
		if (ip && ip6)
			fputs(", ", f);
		if (ip6)
			put_str(f, ip6);
		fputs("}\n", f);
	}
	if (gw || gw6) {
		fputs("\tgateway = {", f);
		if (gw)
			put_str(f, gw);
		if (gw && gw6)
			fputs(", ", f);
		if (gw6)
			put_str(f, gw6);
		fputs("}\n", f);
	}
	if (hw) {
		fputs("\thwaddr  = ", f);
		put_str(f, hw);
		fputc('\n', f);
	}
	if (mtu) {
		fputs("\tmtu     = ", f);
		put_str(f, mtu);
		fputc('\n', f);
	}
	fputs("}\n", f);
}

static void put_words_list(FILE *f, const char *key, const char *value)
{
	cleanup_free char *v = xstrdup(value);
	char *save = NULL;
	fprintf(f, "%s = {", key);
	bool first = true;
	for (char *w = strtok_r(v, " ,;", &save); w; w = strtok_r(NULL, " ,;", &save)) {
		fputs(first ? "" : ", ", f);
		put_str(f, w);
		first = false;
	}
	fputs("}\n", f);
}

/* A bind mount from an archive, as a mount section written commented out
 * and named in the warning: an archive must not choose which host paths a
 * container sees (a hostile one would say mp0: /,mp=/host). */
static void put_commented_mount(FILE *f, const char *what, const char *source, const char *target, bool ro,
				char **untranslated)
{
	fprintf(f, "# %s, commented out by box import (the archive chose this host path: check it)\n# mount ", what);
	put_str(f, target);
	fputs(" {\n#\tsource   = ", f);
	put_str(f, source);
	fprintf(f, "\n#\treadonly = %s\n# }\n", ro ? "yes" : "no");
	cleanup_free char *w = xasprintf("%s (bind mount of %s on %s: written commented out, uncomment it to use it)",
					 what, source, target);
	add_untranslated(untranslated, w);
}

static int import_ours(const char *cfg, size_t len, const char *name, const char *hostname, struct pct_import *out,
		       box_err_t *err)
{
	struct box_config *c = NULL;
	if (config_load_buffer(cfg, len, "the archive's boxes config (pct.conf)", name, &c, err) < 0)
		return -1;
	if (hostname) {
		free(c->hostname);
		c->hostname = xstrdup(hostname);
	}
	/* the imported rootfs is a plain folder whatever the source used */
	c->storage = STORAGE_DIR;
	size_t n = 0;
	FILE *f = open_memstream(&out->config_text, &n);
	if (!f)
		oom();
	fprintf(f, "# restored by box import from a boxes export\n");
	/* its mount sections too are the archive's choice of host paths */
	size_t n_mounts = c->n_mounts;
	c->n_mounts = 0;
	config_write(f, c);
	c->n_mounts = n_mounts;
	for (size_t i = 0; i < n_mounts; i++) {
		const struct box_mount *m = &c->mounts[i];
		cleanup_free char *what = xasprintf("mount %s", m->target);
		put_commented_mount(f, what, m->source, m->target, m->readonly, &out->untranslated);
	}
	fclose(f);
	config_free(c);
	out->ours = true;
	return 0;
}

/* mpN: a bind mount (a host path first) maps to a mount section, written
 * commented out (put_commented_mount). Volumes have no counterpart. */
static void put_mount(FILE *f, const char *key, char *value, char **untranslated)
{
	char *save = NULL, *source = strtok_r(value, ",", &save), *target = NULL;
	bool ro = false;
	if (!source || source[0] != '/') {
		cleanup_free char *w = xasprintf("%s (a storage volume, not a bind mount)", key);
		add_untranslated(untranslated, w);
		return;
	}
	for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		if (!strncmp(kv, "mp=", 3))
			target = kv + 3;
		else if (!strcmp(kv, "ro=1"))
			ro = true;
		else if (strcmp(kv, "ro=0") && strncmp(kv, "backup=", 7)) {
			cleanup_free char *w = xasprintf("%s.%s", key, kv);
			add_untranslated(untranslated, w);
		}
	}
	if (!target || target[0] != '/') {
		cleanup_free char *w = xasprintf("%s (no mp=/path)", key);
		add_untranslated(untranslated, w);
		return;
	}
	put_commented_mount(f, key, source, target, ro, untranslated);
}

/* The translation of one Proxmox pct.conf: the boxes config being written and
 * what needs the whole file first. */
struct translation {
	FILE *f;
	const char *hostname; /* --hostname, or NULL */
	bool have_hostname, have_memory, have_swap, have_unpriv, unpriv, nesting;
	unsigned long long memory, swap; /* MiB */
	char **untranslated;
};

/* "features: fuse=1,keyctl=1,nesting=1": the keys of the same names.
 * nesting waits for the end, where it is known whether the container is
 * unprivileged (nesting is refused for a privileged one). */
static void put_features(struct translation *t, char *value)
{
	char *save = NULL;
	for (char *kv = strtok_r(value, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (v && (!strcmp(v + 1, "0") || !strcmp(v + 1, "no")))
			continue; /* off: as without it */
		bool on = v && (!strcmp(v + 1, "1") || !strcmp(v + 1, "yes"));
		if (on && !strncmp(kv, "nesting=", 8)) {
			t->nesting = true;
		} else if (on && (!strncmp(kv, "keyctl=", 7) || !strncmp(kv, "fuse=", 5))) {
			fprintf(t->f, "%.*s = yes\n", (int)(v - kv), kv);
		} else if (on && !strncmp(kv, "mknod=", 6)) {
			/* Proxmox's mknod=1 makes null, zero, full, random, urandom,
			 * tty, console and ptmx through a seccomp notify daemon; boxes
			 * has none. Docker and podman need no mknod since kernel 5.8
			 * (a whiteout, c 0:0, needs no CAP_MKNOD; in a user namespace
			 * they bind the host's /dev nodes and skip those of images). */
			add_untranslated(t->untranslated, "features.mknod=1 (no device node can be made in an "
							  "unprivileged container here; Docker and podman need none)");
		} else {
			/* mount=nfs;cifs, force_rw_sys */
			cleanup_free char *w = xasprintf("features.%s", kv);
			add_untranslated(t->untranslated, w);
		}
	}
}

static void translate_key(struct translation *t, const char *key, char *value)
{
	FILE *f = t->f;
	unsigned long long v;
	if (!strcmp(key, "hostname")) {
		t->have_hostname = true;
		fputs("hostname = ", f);
		put_str(f, t->hostname ? t->hostname : value);
		fputc('\n', f);
	} else if (!strcmp(key, "memory") && parse_uint(value, &v)) {
		t->memory = v;
		t->have_memory = true;
	} else if (!strcmp(key, "swap") && parse_uint(value, &v)) {
		t->swap = v;
		t->have_swap = true;
	} else if (!strcmp(key, "cores") && parse_uint(value, &v) && v > 0) {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		if (online > 0 && v > (unsigned long long)online)
			v = (unsigned long long)online;
		fprintf(f, "cpuset = \"0-%llu\"\n", v - 1);
	} else if (!strcmp(key, "cpulimit")) {
		if (strcmp(value, "0")) {
			fputs("cpus = ", f);
			put_str(f, value);
			fputc('\n', f);
		}
	} else if (!strcmp(key, "cpuunits") && parse_uint(value, &v)) {
		/* PVE: 1024 (cgroup v1) and 100 (v2) are both "default" */
		if (v != 1024 && v != 100 && v > 0)
			fprintf(f, "cpu_weight = %llu\n", v > 10000 ? 10000ULL : v);
	} else if (!strncmp(key, "net", 3) && parse_uint(key + 3, &v)) {
		put_net(f, key, value, t->untranslated);
	} else if (!strncmp(key, "mp", 2) && parse_uint(key + 2, &v)) {
		put_mount(f, key, value, t->untranslated);
	} else if (!strcmp(key, "onboot") && parse_uint(value, &v)) {
		fprintf(f, "autostart = %s\n", v ? "yes" : "no");
	} else if (!strcmp(key, "startup")) {
		const char *o = strstr(value, "order=");
		if (o)
			fprintf(f, "start_order = %d\n", atoi(o + 6));
		if (strstr(value, "up=") || strstr(value, "down="))
			add_untranslated(t->untranslated, "startup.up/down");
	} else if (!strcmp(key, "features")) {
		put_features(t, value);
	} else if (!strcmp(key, "unprivileged") && parse_uint(value, &v)) {
		t->have_unpriv = true;
		t->unpriv = v;
		fprintf(f, "unprivileged = %s\n", v ? "yes" : "no");
	} else if (!strcmp(key, "nameserver")) {
		put_words_list(f, "nameserver", value);
	} else if (!strcmp(key, "searchdomain")) {
		put_words_list(f, "searchdomain", value);
	} else if (!strcmp(key, "arch") || !strcmp(key, "ostype") || !strcmp(key, "rootfs") || !strcmp(key, "digest") ||
		   !strcmp(key, "lock")) {
		/* what pct restore also ignores or detects again */
		if (!strcmp(key, "arch") && strcmp(value, pct_arch()))
			box_warn("pct.conf: arch %s, this host is %s", value, pct_arch());
	} else {
		add_untranslated(t->untranslated, key);
	}
}

/* What needs the whole file: memory and swap with Proxmox's defaults (a
 * pct.conf without them means 512 MiB each, not unlimited), the hostname. */
static void translate_end(struct translation *t)
{
	/* no key: Proxmox's default, a privileged container (ours is not) */
	if (!t->have_unpriv)
		fputs("unprivileged = no\n", t->f);
	if (t->nesting && t->unpriv)
		fputs("nesting = yes\n", t->f);
	else if (t->nesting)
		add_untranslated(t->untranslated, "features.nesting=1 (boxes nests only in an unprivileged container)");
	fprintf(t->f, "memory = %lluM\n", t->have_memory ? t->memory : PCT_DEFAULT_MIB);
	fprintf(t->f, "swap = %lluM\n", t->have_swap ? t->swap : PCT_DEFAULT_MIB);
	if (!t->have_hostname && t->hostname) {
		fputs("hostname = ", t->f);
		put_str(t->f, t->hostname);
		fputc('\n', t->f);
	}
}

/* Splits "key: value" (or "lxc.x = y") in place; false when it is neither. */
static bool split_line(char *line, char **key, char **value)
{
	char *colon = strchr(line, ':');
	char *eq = strchr(line, '=');
	if (!strncmp(line, "lxc.", 4) && (!colon || (eq && eq < colon)))
		colon = eq;
	if (!colon)
		return false;
	*colon = '\0';
	*key = line;
	*value = colon + 1;
	for (char *k = line + strlen(line); k > line && (k[-1] == ' ' || k[-1] == '\t');)
		*--k = '\0';
	while (**value == ' ' || **value == '\t')
		(*value)++;
	return true;
}

static void put_notes(FILE *f, char *descr, size_t descr_len)
{
	if (!descr_len)
		return;
	fputs("# notes from Proxmox VE:\n", f);
	for (char *p = descr, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		fprintf(f, "#   %.*s\n", (int)(nl - p), p);
	}
}

int pct_import(const char *text, size_t len, const char *name, const char *hostname, struct pct_import *out,
	       box_err_t *err)
{
	memset(out, 0, sizeof(*out));
	cleanup_free char *copy = xstrndup(text, len);
	if (strlen(copy) != len)
		return box_usage_error(err, "pct.conf: holds a NUL byte: not a config file");

	char *descr = NULL, *cfg = NULL;
	size_t descr_len = 0, cfg_len = 0;
	FILE *d = open_memstream(&descr, &descr_len);
	FILE *f = open_memstream(&cfg, &cfg_len);
	if (!d || !f)
		oom();
	fprintf(f, "# translated by box import from a Proxmox VE pct.conf\n");
	struct translation t = { .f = f, .hostname = hostname, .untranslated = &out->untranslated };
	bool in_descr = true;
	unsigned lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (line[0] == '#') {
			if (in_descr) {
				url_decode(d, line + 1, l - 1);
				fputc('\n', d);
			}
			continue;
		}
		in_descr = false;
		if (!*line)
			continue;
		if (line[0] == '[')
			break; /* snapshots and pending changes: not the current config */
		char *key, *value;
		if (!split_line(line, &key, &value)) {
			cleanup_free char *w = xasprintf("line %u (not 'key: value')", lineno);
			add_untranslated(&out->untranslated, w);
			continue;
		}
		translate_key(&t, key, value);
	}
	translate_end(&t);
	fclose(d);

	/* ours: the description is our config, the pct keys are only its translation */
	size_t ml = strlen(PCT_MARKER);
	if (descr_len > ml && !strncmp(descr, PCT_MARKER, ml) && descr[ml] == '\n') {
		fclose(f);
		free(cfg);
		free(out->untranslated);
		out->untranslated = NULL;
		int r = import_ours(descr + ml + 1, descr_len - ml - 1, name, hostname, out, err);
		free(descr);
		return r;
	}
	put_notes(f, descr, descr_len);
	free(descr);
	fclose(f);
	out->config_text = cfg;

	struct box_config *c = NULL;
	if (config_load_buffer(cfg, cfg_len, "pct.conf (translated)", name, &c, err) < 0) {
		pct_import_free(out);
		return -1;
	}
	config_free(c);
	return 0;
}

void pct_import_free(struct pct_import *p)
{
	free(p->config_text);
	free(p->untranslated);
	p->config_text = p->untranslated = NULL;
}

const char *pct_detect_ostype(int rootfs_fd)
{
	static const char *const known[] = { "debian",	 "devuan",    "ubuntu", "centos", "fedora",
					     "opensuse", "archlinux", "alpine", "gentoo", "nixos" };
	cleanup_free char *text = NULL;
	size_t len;
	box_err_t e = NULL;
	/* /etc/os-release is often a symlink: read it through /usr/lib too;
	 * both are the container's: resolved inside it, bounded, never a FIFO */
	if (rootfs_read_file(rootfs_fd, "usr/lib/os-release", 64 << 10, &text, &len, &e) < 0) {
		box_error_release(&e);
		if (rootfs_read_file(rootfs_fd, "etc/os-release", 64 << 10, &text, &len, &e) < 0) {
			box_error_release(&e);
			return NULL;
		}
	}
	for (char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "ID=", 3))
			continue;
		p += 3;
		if (*p == '"')
			p++;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			if (!strncmp(p, known[i], strlen(known[i])))
				return known[i];
		if (!strncmp(p, "opensuse", 8))
			return "opensuse";
		return NULL;
	}
	return NULL;
}
