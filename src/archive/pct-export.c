/* box config -> pct.conf. The description encoding is PVE's
 * (PVE::Tools::encode_text: control, non-ASCII and ':' bytes as %XX, read
 * back with uri_unescape), plus '%' itself: encode_text leaves it, so
 * "p%40ss" came back as "p@ss" (from Proxmox too). Every value pct.conf
 * cannot carry, or carries as something else after a pct restore, is named
 * in one list for the export's warning. */
#include "archive/pct-export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "archive/internal.h"
#include "base/util.h"

static void put_descr_line(FILE *f, const char *s, size_t n)
{
	fputc('#', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || ch == ':' || ch == '%')
			fprintf(f, "%%%02X", ch);
		else
			fputc(ch, f);
	}
	fputc('\n', f);
}

const char *pct_arch(void)
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

static void note(char **changes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(char **changes, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = NULL;
	if (vasprintf(&what, fmt, ap) < 0)
		oom();
	va_end(ap);
	char *n = *changes ? xasprintf("%s; %s", *changes, what) : xstrdup(what);
	free(what);
	free(*changes);
	*changes = n;
}

static void put_description(FILE *f, const struct box_config *c)
{
	char *cfg = NULL;
	size_t cfg_len = 0;
	FILE *cf = open_memstream(&cfg, &cfg_len);
	if (!cf)
		oom();
	config_write(cf, c);
	fclose(cf);
	put_descr_line(f, PCT_MARKER, strlen(PCT_MARKER));
	for (char *p = cfg; p && *p;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		put_descr_line(f, p, n);
		p += n + (nl ? 1 : 0);
	}
	free(cfg);
}

/* mpN: SOURCE,mp=TARGET[,ro=1]: pct's bind mount point */
static void put_mounts(FILE *f, const struct box_config *c, char **changes)
{
	unsigned idx = 0;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct box_mount *m = &c->mounts[i];
		if (strpbrk(m->source, ",=\n") || strpbrk(m->target, ",=\n")) {
			note(changes, "mount %s: a path with ',' or '=' has no pct spelling, left out", m->target);
			continue;
		}
		fprintf(f, "mp%u: %s,mp=%s%s\n", idx++, m->source, m->target, m->readonly ? ",ro=1" : "");
	}
}

/* netN: pct has one address per family and no host or empty network */
static void put_nets(FILE *f, const struct box_config *c, char **changes)
{
	size_t idx = 0;
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type == NET_HOST)
			note(changes, "network %s: type = host has no pct counterpart, left out", n->name);
		if (n->type != NET_VETH)
			continue; /* empty: only lo, as pct without a netN */
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
		bool v4 = false, v6 = false;
		for (size_t a = 0; a < n->n_addrs; a++) {
			bool is4 = n->addrs[a].family == AF_INET;
			if (is4 ? v4 : v6) {
				note(changes, "network %s: address %s (pct has one address per family), left out",
				     n->name, n->addrs[a].text);
				continue;
			}
			fprintf(f, is4 ? ",ip=%s" : ",ip6=%s", n->addrs[a].text);
			*(is4 ? &v4 : &v6) = true;
		}
		if (n->mtu)
			fprintf(f, ",mtu=%u", n->mtu);
		fputs(",type=veth\n", f);
	}
}

static unsigned long long mib_up(uint64_t bytes)
{
	return (unsigned long long)((bytes + (1 << 20) - 1) >> 20);
}

/* memory and swap: Proxmox has no "unlimited" (no line = 512 MiB each) and
 * takes at least 16 MiB of memory */
static void put_memory(FILE *f, const struct box_config *c, char **changes)
{
	if (c->memory == BOX_UNLIMITED) {
		note(changes, "memory = max: Proxmox has no unlimited memory, pct restore gives %u MiB",
		     PCT_DEFAULT_MIB);
	} else if (mib_up(c->memory) < PCT_MIN_MEMORY_MIB) {
		note(changes, "memory = %lluM is below Proxmox's least %u MiB: pct.conf says %u", mib_up(c->memory),
		     PCT_MIN_MEMORY_MIB, PCT_MIN_MEMORY_MIB);
		fprintf(f, "memory: %u\n", PCT_MIN_MEMORY_MIB);
	} else {
		fprintf(f, "memory: %llu\n", mib_up(c->memory));
	}
}

char *pct_export(const struct box_config *c, const char *ostype, uint64_t rootfs_bytes, char **changes)
{
	char *text = NULL;
	size_t len = 0;
	*changes = NULL;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		oom();
	put_description(f, c);

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
	if (c->nesting || c->keyctl || c->fuse) {
		/* Proxmox's order: fuse, keyctl, mknod, mount, nesting */
		const char *sep = "features: ";
		if (c->fuse)
			fprintf(f, "%sfuse=1", sep), sep = ",";
		if (c->keyctl)
			fprintf(f, "%skeyctl=1", sep), sep = ",";
		if (c->nesting)
			fprintf(f, "%snesting=1", sep);
		fputc('\n', f);
	}
	fprintf(f, "hostname: %s\n", c->hostname ? c->hostname : c->name);
	put_memory(f, c, changes);
	put_mounts(f, c, changes);
	if (c->nameservers && c->nameservers[0]) {
		fputs("nameserver:", f);
		for (size_t i = 0; c->nameservers[i]; i++)
			fprintf(f, " %s", c->nameservers[i]);
		fputc('\n', f);
	}
	put_nets(f, c, changes);
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
	/* PVE's startup order is a number from 0 on */
	if (c->start_order > 0)
		fprintf(f, "startup: order=%d\n", c->start_order);
	else if (c->start_order < 0)
		note(changes, "start_order = %d: Proxmox's order is 0 or more, left out", c->start_order);
	if (c->swap != BOX_UNLIMITED)
		fprintf(f, "swap: %llu\n", mib_up(c->swap));
	else
		note(changes, "swap = max: pct restore gives %u MiB of swap", PCT_DEFAULT_MIB);
	if (c->unprivileged)
		fputs("unprivileged: 1\n", f);
	fclose(f);
	return text;
}
