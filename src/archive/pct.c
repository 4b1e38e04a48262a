/* pct.conf <-> boxes config. The description encoding is PVE's
 * (PVE::Tools::encode_text: control, non-ASCII and ':' bytes as %XX; read back
 * with uri_unescape), so Proxmox shows our config as the container's notes. */
#include "archive/pct.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/rootfs.h"
#include "base/util.h"
#include "config/values.h"

/* First description line of a pct.conf that carries a boxes config. */
#define MARKER "boxes-config-v1"

static void put_descr_line(FILE *f, const char *s, size_t n)
{
	fputc('#', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || ch == ':')
			fprintf(f, "%%%02X", ch);
		else
			fputc(ch, f);
	}
	fputc('\n', f);
}

static const char *pct_arch(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	if (!strncmp(u.machine, "i", 1) && strstr(u.machine, "86"))
		return "i386";
	return "amd64";
}

static unsigned cpuset_count(const char *s)
{
	unsigned n = 0;
	while (s && *s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		n += b >= a ? (unsigned)(b - a + 1) : 0;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	return n;
}

static void strip_prefix_len(char *buf, size_t len, const char *text)
{
	snprintf(buf, len, "%s", text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
}

char *pct_export(const struct box_config *c, const char *ostype, uint64_t rootfs_bytes)
{
	char *text = NULL, *cfg = NULL;
	size_t len = 0, cfg_len = 0;
	FILE *cf = open_memstream(&cfg, &cfg_len);
	if (!cf)
		oom();
	config_write(cf, c);
	fclose(cf);
	FILE *f = open_memstream(&text, &len);
	if (!f)
		oom();

	put_descr_line(f, MARKER, strlen(MARKER));
	for (char *p = cfg; p && *p;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		put_descr_line(f, p, n);
		p += n + (nl ? 1 : 0);
	}
	free(cfg);

	/* keys in PVE's (sorted) order */
	fprintf(f, "arch: %s\n", pct_arch());
	if (c->cpuset && cpuset_count(c->cpuset))
		fprintf(f, "cores: %u\n", cpuset_count(c->cpuset));
	if (c->cpus_milli) {
		if (c->cpus_milli % 1000)
			fprintf(f, "cpulimit: %u.%03u\n", c->cpus_milli / 1000, c->cpus_milli % 1000);
		else
			fprintf(f, "cpulimit: %u\n", c->cpus_milli / 1000);
	}
	if (c->cpu_weight && c->cpu_weight != 100)
		fprintf(f, "cpuunits: %u\n", c->cpu_weight);
	fprintf(f, "hostname: %s\n", c->hostname ? c->hostname : c->name);
	if (c->memory != BOX_UNLIMITED)
		fprintf(f, "memory: %llu\n", (unsigned long long)((c->memory + (1 << 20) - 1) >> 20));
	if (c->nameservers && c->nameservers[0]) {
		fputs("nameserver:", f);
		for (size_t i = 0; c->nameservers[i]; i++)
			fprintf(f, " %s", c->nameservers[i]);
		fputc('\n', f);
	}
	size_t idx = 0;
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH)
			continue; /* pct has no "empty" or "host" network */
		fprintf(f, "net%zu: name=%s", idx++, n->name);
		if (n->bridge[0])
			fprintf(f, ",bridge=%s", n->bridge);
		char buf[64];
		if (n->has_gateway4) {
			strip_prefix_len(buf, sizeof(buf), n->gateway4.text);
			fprintf(f, ",gw=%s", buf);
		}
		if (n->has_gateway6) {
			strip_prefix_len(buf, sizeof(buf), n->gateway6.text);
			fprintf(f, ",gw6=%s", buf);
		}
		if (n->has_hwaddr) {
			const unsigned char *m = n->hwaddr;
			fprintf(f, ",hwaddr=%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
		}
		/* pct has one address per family: the first of each */
		bool v4 = false, v6 = false;
		for (size_t a = 0; a < n->n_addrs; a++) {
			if (n->addrs[a].family == AF_INET && !v4) {
				fprintf(f, ",ip=%s", n->addrs[a].text);
				v4 = true;
			} else if (n->addrs[a].family == AF_INET6 && !v6) {
				fprintf(f, ",ip6=%s", n->addrs[a].text);
				v6 = true;
			}
		}
		if (n->mtu)
			fprintf(f, ",mtu=%u", n->mtu);
		fputs(",type=veth\n", f);
	}
	if (c->autostart)
		fputs("onboot: 1\n", f);
	fprintf(f, "ostype: %s\n", ostype ? ostype : "unmanaged");
	/* pct restore sizes the new volume from this (GiB, at least 1) */
	unsigned long long gib = (rootfs_bytes + (1ULL << 30) - 1) >> 30;
	fprintf(f, "rootfs: local:subvol-box-%s-disk-0,size=%lluG\n", c->name, gib ? gib : 1);
	if (c->searchdomains && c->searchdomains[0]) {
		fputs("searchdomain:", f);
		for (size_t i = 0; c->searchdomains[i]; i++)
			fprintf(f, " %s", c->searchdomains[i]);
		fputc('\n', f);
	}
	if (c->start_order)
		fprintf(f, "startup: order=%d\n", c->start_order);
	/* unlimited swap has no pct spelling: left out, pct's default applies */
	if (c->memory != BOX_UNLIMITED && c->swap != BOX_UNLIMITED)
		fprintf(f, "swap: %llu\n", (unsigned long long)((c->swap + (1 << 20) - 1) >> 20));
	if (c->unprivileged)
		fputs("unprivileged: 1\n", f);
	fclose(f);
	return text;
}

/* ---- import ---- */

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

static void add_untranslated(char **list, const char *what)
{
	char *n = *list ? xasprintf("%s, %s", *list, what) : xstrdup(what);
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
	config_write(f, c);
	fclose(f);
	config_free(c);
	out->ours = true;
	return 0;
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
	bool have_hostname = false, in_descr = true, have_unpriv = false;
	unsigned long long memory = 0, swap = 0;
	bool have_memory = false, have_swap = false;
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
		char *colon = strchr(line, ':');
		char *eq = strchr(line, '=');
		if (!strncmp(line, "lxc.", 4) && (!colon || (eq && eq < colon)))
			colon = eq; /* "lxc.x = y" */
		if (!colon) {
			cleanup_free char *w = xasprintf("line %u (not 'key: value')", lineno);
			add_untranslated(&out->untranslated, w);
			continue;
		}
		*colon = '\0';
		char *key = line, *value = colon + 1;
		for (char *k = key + strlen(key); k > key && (k[-1] == ' ' || k[-1] == '\t');)
			*--k = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		unsigned long long v;

		if (!strcmp(key, "hostname")) {
			have_hostname = true;
			fputs("hostname = ", f);
			put_str(f, hostname ? hostname : value);
			fputc('\n', f);
		} else if (!strcmp(key, "memory") && parse_uint(value, &v)) {
			memory = v;
			have_memory = true;
		} else if (!strcmp(key, "swap") && parse_uint(value, &v)) {
			swap = v;
			have_swap = true;
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
			put_net(f, key, value, &out->untranslated);
		} else if (!strcmp(key, "onboot") && parse_uint(value, &v)) {
			fprintf(f, "autostart = %s\n", v ? "yes" : "no");
		} else if (!strcmp(key, "startup")) {
			const char *o = strstr(value, "order=");
			if (o)
				fprintf(f, "start_order = %d\n", atoi(o + 6));
			if (strstr(value, "up=") || strstr(value, "down="))
				add_untranslated(&out->untranslated, "startup.up/down");
		} else if (!strcmp(key, "unprivileged") && parse_uint(value, &v)) {
			have_unpriv = true;
			fprintf(f, "unprivileged = %s\n", v ? "yes" : "no");
		} else if (!strcmp(key, "nameserver")) {
			put_words_list(f, "nameserver", value);
		} else if (!strcmp(key, "searchdomain")) {
			put_words_list(f, "searchdomain", value);
		} else if (!strcmp(key, "arch") || !strcmp(key, "ostype") || !strcmp(key, "rootfs") ||
			   !strcmp(key, "digest") || !strcmp(key, "lock")) {
			/* what pct restore also ignores or detects again */
			if (!strcmp(key, "arch") && strcmp(value, pct_arch()))
				log_warn("pct.conf: arch %s, this host is %s", value, pct_arch());
		} else {
			add_untranslated(&out->untranslated, key);
		}
	}
	/* no key: Proxmox's default, a privileged container (ours is not) */
	if (!have_unpriv)
		fputs("unprivileged = no\n", f);
	if (have_memory)
		fprintf(f, "memory = %lluM\n", memory);
	if (have_memory && have_swap)
		fprintf(f, "swap = %lluM\n", swap);
	else if (have_swap && swap)
		add_untranslated(&out->untranslated, "swap (without memory)");
	if (!have_hostname && hostname) {
		fputs("hostname = ", f);
		put_str(f, hostname);
		fputc('\n', f);
	}
	fclose(d);

	/* ours: the description is our config, the pct keys are only its translation */
	size_t ml = strlen(MARKER);
	if (descr_len > ml && !strncmp(descr, MARKER, ml) && descr[ml] == '\n') {
		fclose(f);
		free(cfg);
		free(out->untranslated);
		out->untranslated = NULL;
		int r = import_ours(descr + ml + 1, descr_len - ml - 1, name, hostname, out, err);
		free(descr);
		return r;
	}
	/* Proxmox's notes as comments */
	if (descr_len) {
		fputs("# notes from Proxmox VE:\n", f);
		for (char *p = descr, *nl; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				break;
			fprintf(f, "#   %.*s\n", (int)(nl - p), p);
		}
	}
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
