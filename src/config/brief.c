/* The brief cache (brief.h): one text file, "c" lines keyed by the config
 * file's stat, each followed by the lines of its brief ("o" the top-level
 * keys, "n" a network with its "a" addresses, "f" a forward), "end" last. */
#include "config/brief.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/paths.h"
#include "base/util.h"
#include "base/version.h"
#include "config/config.h"
#include "config/values.h"

#define MAGIC "boxes-config-brief 1"

struct key {
	uint64_t dev, ino, size;
	int64_t ms, mns, cs, cns;
};

struct entry {
	char *name;
	struct key k;
	const char *text; /* the brief's lines: in the file's buffer, or owned */
	size_t len;
	bool owned, used;
};

struct config_briefs {
	char *buf; /* the file as read */
	struct entry *v;
	size_t n;
	bool dirty;
};

static char *cache_path(void)
{
	return xasprintf("%s/.config-brief", paths_run_dir());
}

static void key_of(const struct stat *st, struct key *k)
{
	*k = (struct key){ st->st_dev,		st->st_ino,	    (uint64_t)st->st_size, st->st_mtim.tv_sec,
			   st->st_mtim.tv_nsec, st->st_ctim.tv_sec, st->st_ctim.tv_nsec };
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void entries_free(struct config_briefs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		if (b->v[i].owned)
			free((char *)b->v[i].text);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/* n space-separated decimal numbers from p to the end of the string
 * (sscanf cost 40% of 500 lookups). */
static bool numbers(const char *p, int64_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		char *end;
		if (*p != ' ')
			return false;
		errno = 0;
		v[i] = strtoll(p + 1, &end, 10);
		if (end == p + 1 || errno)
			return false;
		p = end;
	}
	return *p == '\0';
}

/* "c NAME DEV INO SIZE MTIME NS CTIME NS" (line NUL-terminated): a new
 * entry, its brief's lines from rest on. */
static bool add_entry(struct config_briefs *b, char *line, const char *rest)
{
	char *sp = strchr(line + 2, ' ');
	int64_t k[7];
	if (!sp || !numbers(sp, k, 7))
		return false;
	*sp = '\0';
	if (!paths_valid_name(line + 2))
		return false;
	b->v = xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
	b->v[b->n++] = (struct entry){ .name = xstrdup(line + 2),
				       .k = { (uint64_t)k[0], (uint64_t)k[1], (uint64_t)k[2], k[3], k[4], k[5], k[6] },
				       .text = rest };
	return true;
}

/* Splits the file into entries, whose lines stay in buf; false when it is
 * not one this build wrote for this config folder, or is cut short. */
static bool parse_file(struct config_briefs *b, char *buf)
{
	cleanup_free char *head = xasprintf(MAGIC " %s\ndir %s\n", box_version, paths_config_dir());
	size_t hl = strlen(head);
	if (strncmp(buf, head, hl))
		return false;
	for (char *line = buf + hl, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		bool entry = line[0] == 'c' && line[1] == ' ', end = !strncmp(line, "end\n", 4);
		if ((entry || end) && b->n)
			b->v[b->n - 1].len = (size_t)(line - b->v[b->n - 1].text);
		if (end)
			return true;
		if (!entry && !b->n)
			return false;
		if (entry) {
			*nl = '\0';
			if (!add_entry(b, line, nl + 1))
				return false;
		}
	}
	return false; /* no "end": not a file this module wrote */
}

struct config_briefs *config_briefs_open(void)
{
	struct config_briefs *b = xzalloc(sizeof(*b));
	cleanup_free char *path = cache_path();
	cleanup_free char *buf = NULL;
	box_err_t e = NULL;
	if (read_file_at(AT_FDCWD, path, &buf, NULL, &e) < 0) {
		box_error_release(&e);
		return b;
	}
	if (!parse_file(b, buf))
		entries_free(b);
	b->buf = steal_pointer(&buf);
	qsort(b->v, b->n, sizeof(*b->v), cmp_entry);
	return b;
}

static struct entry *find(struct config_briefs *b, const char *name)
{
	struct entry k = { .name = (char *)name };
	return b->n ? bsearch(&k, b->v, b->n, sizeof(*b->v), cmp_entry) : NULL;
}

/* --- a brief as text, and back --- */

static void write_brief(FILE *f, const struct box_config *c)
{
	fprintf(f, "o %d %d %" PRIu32 " %" PRIu32 " %u\n", c->autostart, c->unprivileged, c->idmap_base, c->idmap_size,
		c->line_of_idmap_base);
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		char mac[32] = "-";
		if (n->has_hwaddr)
			value_format_mac(n->hwaddr, mac, sizeof(mac));
		fprintf(f, "n %s %d %s %s %d %u %u %u %u\n", n->name, (int)n->type, n->bridge[0] ? n->bridge : "-", mac,
			n->dhcp, n->line, n->line_of_hwaddr, n->line_of_bridge, n->line_of_dhcp);
		for (size_t j = 0; j < n->n_addrs; j++)
			fprintf(f, "a %s %u\n", n->addrs[j].text, n->addrs[j].line);
	}
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct box_forward *w = &c->forwards[i];
		fprintf(f, "f %s %u %s %u\n", w->title, w->to, w->has_listen ? w->listen.text : "-", w->line);
	}
}

static char *brief_text(const struct box_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	write_brief(f, c);
	if (fclose(f) != 0)
		oom();
	return buf;
}

static bool read_net(struct box_config *c, const char *line)
{
	char name[64], bridge[64], mac[64];
	int type, dhcp;
	struct box_net n = { 0 };
	value_why_t why;
	if (sscanf(line, "n %63s %d %63s %63s %d %u %u %u %u", name, &type, bridge, mac, &dhcp, &n.line,
		   &n.line_of_hwaddr, &n.line_of_bridge, &n.line_of_dhcp) != 9 ||
	    strlen(name) >= IFNAMSIZ || strlen(bridge) >= IFNAMSIZ || type < NET_VETH || type > NET_HOST)
		return false;
	/* lengths checked above (snprintf would warn of truncation at -O1) */
	memcpy(n.name, name, strlen(name) + 1);
	if (strcmp(bridge, "-"))
		memcpy(n.bridge, bridge, strlen(bridge) + 1);
	n.type = (enum box_net_type)type;
	n.dhcp = dhcp;
	n.has_hwaddr = strcmp(mac, "-") != 0;
	if (n.has_hwaddr && value_mac(mac, n.hwaddr, why) < 0)
		return false;
	c->nets = xrealloc(c->nets, (c->n_nets + 1) * sizeof(*c->nets));
	c->nets[c->n_nets++] = n;
	return true;
}

static bool read_addr(struct box_config *c, const char *line)
{
	char text[64];
	struct box_addr a;
	unsigned l;
	value_why_t why;
	if (!c->n_nets || sscanf(line, "a %63s %u", text, &l) != 2 || value_cidr(text, &a, why) < 0)
		return false;
	a.line = l;
	struct box_net *n = &c->nets[c->n_nets - 1];
	n->addrs = xrealloc(n->addrs, (n->n_addrs + 1) * sizeof(*n->addrs));
	n->addrs[n->n_addrs++] = a;
	return true;
}

static bool read_forward(struct box_config *c, const char *line)
{
	char title[64], listen[64];
	struct box_forward w = { 0 };
	value_why_t why;
	if (sscanf(line, "f %63s %u %63s %u", title, &w.to, listen, &w.line) != 4 || strlen(title) >= sizeof(w.title))
		return false;
	memcpy(w.title, title, strlen(title) + 1);
	if (!strncmp(title, "tcp/", 4))
		w.proto = IPPROTO_TCP;
	else if (!strncmp(title, "udp/", 4))
		w.proto = IPPROTO_UDP;
	else
		return false;
	w.port = (unsigned)strtoul(title + 4, NULL, 10);
	w.has_listen = strcmp(listen, "-") != 0;
	if (w.has_listen && value_ip(listen, &w.listen, why) < 0)
		return false;
	c->forwards = xrealloc(c->forwards, (c->n_forwards + 1) * sizeof(*c->forwards));
	c->forwards[c->n_forwards++] = w;
	return true;
}

/* NULL when the text is not a brief (then the config is parsed). */
static struct box_config *read_brief(const char *name, const char *text, size_t len)
{
	struct box_config *c = xzalloc(sizeof(*c));
	c->name = xstrdup(name);
	c->path = paths_config_path(name);
	cleanup_free char *buf = xstrndup(text, len);
	char *save = NULL;
	bool ok = false;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int64_t o[5];
		if (line[0] == 'o')
			ok = numbers(line + 1, o, 5) && o[2] >= 0 && o[2] <= UINT32_MAX && o[3] >= 0 &&
			     o[3] <= UINT32_MAX && o[4] >= 0 && o[4] <= UINT32_MAX;
		else
			ok = (line[0] == 'n' && read_net(c, line)) || (line[0] == 'a' && read_addr(c, line)) ||
			     (line[0] == 'f' && read_forward(c, line));
		if (!ok)
			break;
		if (line[0] == 'o') {
			c->autostart = o[0];
			c->unprivileged = o[1];
			c->idmap_base = (uint32_t)o[2];
			c->idmap_size = (uint32_t)o[3];
			c->line_of_idmap_base = (unsigned)o[4];
		}
	}
	if (!ok) {
		config_free(c);
		return NULL;
	}
	return c;
}

/* --- lookups --- */

int config_briefs_load(struct config_briefs *b, const char *name, struct box_config **out, box_err_t *err)
{
	*out = NULL;
	if (paths_check_name(name, err) < 0)
		return -1;
	cleanup_free char *path = paths_config_path(name);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct stat st = { 0 };
	struct key k = { 0 };
	struct entry *e = find(b, name);
	if (stat(path, &st) == 0) {
		key_of(&st, &k);
		if (e && !memcmp(&e->k, &k, sizeof(k)) && (*out = read_brief(name, e->text, e->len))) {
			e->used = true;
			return 0;
		}
	}
	if (config_load(name, out, err) < 0)
		return -1;
	/* racily clean: a change in the tick of this stat would keep its
	 * ctime, so only a file left alone for a second is remembered */
	int64_t age_ns = (int64_t)(now.tv_sec - st.st_ctim.tv_sec) * 1000000000 + (now.tv_nsec - st.st_ctim.tv_nsec);
	if (!S_ISREG(st.st_mode) || age_ns <= 1000000000)
		return 0;
	if (!e) {
		/* kept sorted for find(): insert in place */
		size_t at = 0;
		while (at < b->n && strcmp(b->v[at].name, name) < 0)
			at++;
		b->v = xrealloc(b->v, (b->n + 1) * sizeof(*b->v));
		memmove(&b->v[at + 1], &b->v[at], (b->n - at) * sizeof(*b->v));
		b->n++;
		e = &b->v[at];
		*e = (struct entry){ .name = xstrdup(name) };
	}
	if (e->owned)
		free((char *)e->text);
	e->text = brief_text(*out);
	e->len = strlen(e->text);
	e->owned = true;
	e->k = k;
	e->used = true;
	b->dirty = true;
	return 0;
}

/* --- a look at a brief without loading it --- */

/* Up to max space-separated fields of the line [p, eol). */
static size_t fields(const char *p, const char *eol, const char **f, size_t *fn, size_t max)
{
	size_t n = 0;
	while (p < eol && n < max) {
		while (p < eol && *p == ' ')
			p++;
		const char *s = p;
		while (p < eol && *p != ' ')
			p++;
		if (p > s) {
			f[n] = s;
			fn[n++] = (size_t)(p - s);
		}
	}
	return n;
}

static bool same(const char *a, size_t an, const char *b)
{
	return strlen(b) == an && !memcmp(a, b, an);
}

/* Whether one of c's veths on bridge br has the IP ip (the texts are both
 * inet_ntop's: one text per address) or the MAC mac (value_format_mac's). */
static bool c_has(const struct box_config *c, const char *br, size_t brn, const char *ip, size_t ipn, const char *mac,
		  size_t macn)
{
	for (size_t i = 0; i < c->n_nets; i++) {
		const struct box_net *n = &c->nets[i];
		if (n->type != NET_VETH || !same(br, brn, n->bridge))
			continue;
		for (size_t j = 0; ip && j < n->n_addrs; j++)
			if (strcspn(n->addrs[j].text, "/") == ipn && !memcmp(n->addrs[j].text, ip, ipn))
				return true;
		char m[32];
		if (mac && n->has_hwaddr) {
			value_format_mac(n->hwaddr, m, sizeof(m));
			if (same(mac, macn, m))
				return true;
		}
	}
	return false;
}

int config_briefs_may_clash(struct config_briefs *b, const char *name, const struct box_config *c)
{
	struct entry *e = find(b, name);
	cleanup_free char *path = paths_config_path(name);
	struct stat st;
	struct key k;
	if (!e || stat(path, &st) < 0)
		return 1;
	key_of(&st, &k);
	if (memcmp(&e->k, &k, sizeof(k)))
		return 1;
	e->used = true;
	const char *br = NULL, *end = e->text + e->len;
	size_t brn = 0;
	for (const char *p = e->text, *eol; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *f[5];
		size_t fn[5], nf = fields(p, eol, f, fn, 5);
		if (*p == 'o')
			continue;
		if (*p == 'n' && nf == 5) { /* n NAME TYPE BRIDGE MAC ... */
			bool veth = fn[2] == 1 && f[2][0] == '0' + NET_VETH, bridged = !same(f[3], fn[3], "-");
			br = veth && bridged ? f[3] : NULL;
			brn = fn[3];
			if (br && !same(f[4], fn[4], "-") && c_has(c, br, brn, NULL, 0, f[4], fn[4]))
				return 1;
		} else if (*p == 'a' && nf >= 2) { /* a TEXT LINE, of the last network */
			if (br && c_has(c, br, brn, f[1], strcspn(f[1], "/ \n"), NULL, 0))
				return 1;
		} else if (*p != 'f' || c->n_forwards) {
			return 1; /* a forward against c's, or a line this does not know */
		}
	}
	return 0;
}

static void save(struct config_briefs *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		oom();
	fprintf(f, MAGIC " %s\ndir %s\n", box_version, paths_config_dir());
	for (size_t i = 0; i < b->n; i++) {
		const struct entry *e = &b->v[i];
		/* one not asked for stays while its config is there */
		cleanup_free char *path = e->used ? NULL : paths_config_path(e->name);
		if (path && access(path, F_OK) < 0)
			continue;
		fprintf(
		    f, "c %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n%.*s",
		    e->name, e->k.dev, e->k.ino, e->k.size, e->k.ms, e->k.mns, e->k.cs, e->k.cns, (int)e->len, e->text);
	}
	fputs("end\n", f);
	if (fclose(f) != 0)
		oom();
	cleanup_free char *path = cache_path();
	box_err_t err = NULL;
	if (mkdir_p(paths_run_dir(), 0755, &err) < 0 || write_file_replace(path, buf, len, 0600, &err) < 0)
		box_error_release(&err);
	/* a writer killed between its create and its rename left its own */
	cleanup_close int rfd = open(paths_run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd >= 0)
		sweep_dead_temporaries(rfd, ".config-brief.");
	free(buf);
}

void config_briefs_close(struct config_briefs *b)
{
	if (!b)
		return;
	if (b->dirty)
		save(b);
	entries_free(b);
	free(b->buf);
	free(b);
}
