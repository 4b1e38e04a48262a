#include "config/values.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "config/config.h"
#include "base/util.h"

__attribute__((format(printf, 2, 3))) static int why_set(value_why_t why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, VALUE_WHY_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int value_size(const char *s, uint64_t *out, value_why_t why)
{
	static const char allowed[] = "(a number of bytes with an optional K, M, G or T suffix, or max)";
	if (!strcasecmp(s, "max") || !strcasecmp(s, "unlimited")) {
		*out = UINT64_MAX;
		return 0;
	}
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return why_set(why, "is not a size %s", allowed);
	uint64_t v = 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return why_set(why, "is too large %s", allowed);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return why_set(why, "is not a size %s", allowed);
	}
	if (*p) {
		p++;
		/* "512MB", "512MiB" read as people mean them */
		if (!strcasecmp(p, "B") || !strcasecmp(p, "iB"))
			p += strlen(p);
		if (*p)
			return why_set(why, "is not a size %s", allowed);
	}
	if (shift && v > (UINT64_MAX >> shift) - 1)
		return why_set(why, "is too large %s", allowed);
	v <<= shift;
	if (v == UINT64_MAX)
		return why_set(why, "is too large %s", allowed);
	*out = v;
	return 0;
}

void value_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	if (v == UINT64_MAX) {
		snprintf(buf, len, "max");
		return;
	}
	int u = -1;
	while (u < 3 && v != 0 && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

int value_int(const char *s, long long min, long long max, long long *out, value_why_t why)
{
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!all_digits(p))
		return why_set(why, "is not a whole number (%lld..%lld)", min, max);
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno || v < min || v > max)
		return why_set(why, "is out of range (%lld..%lld)", min, max);
	*out = v;
	return 0;
}

int value_bool(const char *s, bool *out, value_why_t why)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return why_set(why, "is not a boolean (yes or no)");
}

int value_cpus(const char *s, uint32_t *out, value_why_t why)
{
	static const char allowed[] = "(a decimal number of CPUs from 0.001 to 4096, like 1.5, or max)";
	if (!strcasecmp(s, "max") || !strcasecmp(s, "unlimited")) {
		*out = 0;
		return 0;
	}
	const char *p = s;
	uint64_t whole = 0, frac = 0;
	int ndigits = 0, nfrac = 0;
	for (; isdigit((unsigned char)*p); p++, ndigits++) {
		if (whole > 100000)
			return why_set(why, "is too large %s", allowed);
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nfrac++) {
			if (nfrac >= 3)
				return why_set(why, "has more than 3 decimals %s", allowed);
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (!nfrac)
			return why_set(why, "is not a number of CPUs %s", allowed);
	}
	if (*p || (!ndigits && !nfrac))
		return why_set(why, "is not a number of CPUs %s", allowed);
	while (nfrac++ < 3)
		frac *= 10;
	uint64_t milli = whole * 1000 + frac;
	if (milli == 0)
		return why_set(why, "is too small %s", allowed);
	if (milli > 4096 * 1000)
		return why_set(why, "is too large %s", allowed);
	*out = (uint32_t)milli;
	return 0;
}

void value_format_cpus(uint32_t milli, char *buf, size_t len)
{
	if (!milli) {
		snprintf(buf, len, "max");
		return;
	}
	if (milli % 1000 == 0)
		snprintf(buf, len, "%u", milli / 1000);
	else if (milli % 100 == 0)
		snprintf(buf, len, "%u.%u", milli / 1000, milli % 1000 / 100);
	else if (milli % 10 == 0)
		snprintf(buf, len, "%u.%02u", milli / 1000, milli % 1000 / 10);
	else
		snprintf(buf, len, "%u.%03u", milli / 1000, milli % 1000);
}

#define CPUSET_MAX 8192

int value_cpuset(const char *s, char **out, value_why_t why)
{
	static const char allowed[] = "(CPU numbers and ranges from 0 to 8191, like 0-3,5)";
	cleanup_free unsigned char *set = xzalloc(CPUSET_MAX);
	const char *p = s;
	if (!*p)
		return why_set(why, "is empty %s", allowed);
	while (*p) {
		long a, b;
		char *end;
		if (!isdigit((unsigned char)*p))
			return why_set(why, "is not a CPU list %s", allowed);
		a = strtol(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return why_set(why, "is not a CPU list %s", allowed);
			b = strtol(p, &end, 10);
			p = end;
		}
		if (a >= CPUSET_MAX || b >= CPUSET_MAX)
			return why_set(why, "names a CPU above 8191 %s", allowed);
		if (b < a)
			return why_set(why, "has a range that goes down %s", allowed);
		for (long i = a; i <= b; i++)
			set[i] = 1;
		if (*p == ',') {
			p++;
			if (!*p)
				return why_set(why, "ends with a comma %s", allowed);
		} else if (*p) {
			return why_set(why, "is not a CPU list %s", allowed);
		}
	}
	char *buf = xzalloc(CPUSET_MAX * 6);
	size_t n = 0;
	for (int i = 0; i < CPUSET_MAX; i++) {
		if (!set[i])
			continue;
		int j = i;
		while (j + 1 < CPUSET_MAX && set[j + 1])
			j++;
		n += (size_t)sprintf(buf + n, n ? ",%d" : "%d", i);
		if (j > i)
			n += (size_t)sprintf(buf + n, "-%d", j);
		i = j;
	}
	*out = xrealloc(buf, n + 1);
	return 0;
}

int value_signal(const char *s, int *out, value_why_t why)
{
	static const char allowed[] = "(a signal name like SIGPWR, SIGRTMIN+3 or TERM, a number, or auto)";
	if (!strcasecmp(s, "auto") || !strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	int sig = -1;
	if (all_digits(s)) {
		if (strlen(s) <= 3)
			sig = atoi(s);
	} else {
		const char *n = s;
		if (!strncasecmp(n, "SIG", 3))
			n += 3;
		if (!strncasecmp(n, "RTMIN", 5) || !strncasecmp(n, "RTMAX", 5)) {
			bool min = !strncasecmp(n, "RTMIN", 5);
			const char *r = n + 5;
			int off = 0;
			if (*r) {
				if ((min && *r != '+') || (!min && *r != '-') || !all_digits(r + 1) ||
				    strlen(r + 1) > 2)
					return why_set(why, "is not a signal %s", allowed);
				off = atoi(r + 1);
			}
			sig = min ? SIGRTMIN + off : SIGRTMAX - off;
			if (sig < SIGRTMIN || sig > SIGRTMAX)
				return why_set(why, "is beyond SIGRTMIN..SIGRTMAX %s", allowed);
		} else {
			for (int i = 1; i < SIGRTMIN; i++) {
				const char *abbrev = sigabbrev_np(i);
				if (abbrev && !strcasecmp(abbrev, n)) {
					sig = i;
					break;
				}
			}
		}
	}
	if (sig <= 0 || sig > SIGRTMAX || (sig < SIGRTMIN && !sigabbrev_np(sig)))
		return why_set(why, "is not a signal %s", allowed);
	if (sig == SIGKILL || sig == SIGSTOP)
		return why_set(why, "cannot be caught, so init could never halt cleanly (a signal init handles, "
				    "like SIGPWR or SIGRTMIN+3, or auto)");
	*out = sig;
	return 0;
}

void value_format_signal(int sig, char *buf, size_t len)
{
	if (sig == 0)
		snprintf(buf, len, "auto");
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+%d", sig - SIGRTMIN);
	else if (sigabbrev_np(sig))
		snprintf(buf, len, "SIG%s", sigabbrev_np(sig));
	else
		snprintf(buf, len, "%d", sig);
}

static int parse_ip(const char *s, size_t n, struct box_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, tmp, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Addresses no interface of a container should carry. */
static const char *unusable(const struct box_addr *a)
{
	static const unsigned char zero[16];
	if (a->family == AF_INET) {
		if (!memcmp(a->addr, zero, 4))
			return "is the unspecified address";
		if (a->addr[0] == 127)
			return "is a loopback address";
		if (a->addr[0] >= 224)
			return a->addr[0] < 240 ? "is a multicast address" : "is a reserved or broadcast address";
	} else {
		if (!memcmp(a->addr, zero, 16))
			return "is the unspecified address";
		if (!memcmp(a->addr, zero, 15) && a->addr[15] == 1)
			return "is the loopback address";
		if (a->addr[0] == 0xff)
			return "is a multicast address";
	}
	return NULL;
}

static void addr_text(struct box_addr *a, bool with_prefix)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	if (with_prefix)
		snprintf(a->text, sizeof(a->text), "%s/%u", ip, a->prefix);
	else
		snprintf(a->text, sizeof(a->text), "%s", ip);
}

int value_cidr(const char *s, struct box_addr *out, value_why_t why)
{
	static const char allowed[] =
	    "(an IPv4 or IPv6 address with its prefix length, like 10.0.0.2/24 or fd00::2/64)";
	const char *slash = strchr(s, '/');
	struct box_addr a;
	if (!slash)
		return why_set(why, "has no prefix length %s", allowed);
	if (parse_ip(s, (size_t)(slash - s), &a) < 0)
		return why_set(why, "is not an IP address %s", allowed);
	unsigned max = a.family == AF_INET ? 32 : 128;
	if (!all_digits(slash + 1) || strlen(slash + 1) > 3 || (unsigned)atoi(slash + 1) > max || atoi(slash + 1) == 0)
		return why_set(why, "has a bad prefix length %s, 1..%u for %s)", allowed, max,
			       a.family == AF_INET ? "IPv4" : "IPv6");
	a.prefix = (unsigned)atoi(slash + 1);
	const char *bad = unusable(&a);
	if (bad)
		return why_set(why, "%s %s", bad, allowed);
	if (a.family == AF_INET && a.prefix <= 30) {
		uint32_t ip = ntohl(*(uint32_t *)(void *)a.addr);
		uint32_t host = ~(0xffffffffu << (32 - a.prefix)) & 0xffffffffu;
		if ((ip & host) == 0)
			return why_set(why, "is the network address of its subnet (a host address inside it)");
		if ((ip & host) == host)
			return why_set(why, "is the broadcast address of its subnet (a host address inside it)");
	}
	addr_text(&a, true);
	*out = a;
	return 0;
}

int value_ip(const char *s, struct box_addr *out, value_why_t why)
{
	static const char allowed[] = "(an IPv4 or IPv6 address without prefix, like 10.0.0.1 or fd00::1)";
	struct box_addr a;
	if (strchr(s, '/'))
		return why_set(why, "has a prefix length %s", allowed);
	if (parse_ip(s, strlen(s), &a) < 0)
		return why_set(why, "is not an IP address %s", allowed);
	const char *bad = unusable(&a);
	if (bad)
		return why_set(why, "%s %s", bad, allowed);
	a.prefix = a.family == AF_INET ? 32 : 128;
	addr_text(&a, false);
	*out = a;
	return 0;
}

int value_nameserver(const char *s, char *out, size_t len, value_why_t why)
{
	static const char allowed[] =
	    "(an IPv4 or IPv6 address, like 10.0.0.1, 127.0.0.53 or fe80::1%eth0: a link-local one with its "
	    "interface)";
	const char *zone = strchr(s, '%');
	struct box_addr a;
	if (strchr(s, '/'))
		return why_set(why, "has a prefix length %s", allowed);
	if (parse_ip(s, zone ? (size_t)(zone - s) : strlen(s), &a) < 0)
		return why_set(why, "is not an IP address %s", allowed);
	bool loopback = (a.family == AF_INET && a.addr[0] == 127) ||
			(a.family == AF_INET6 && !memcmp(a.addr, (const unsigned char[16]){ [15] = 1 }, 16));
	const char *bad = loopback ? NULL : unusable(&a);
	if (bad)
		return why_set(why, "%s %s", bad, allowed);
	if (zone) {
		value_why_t w;
		if (a.family != AF_INET6 || a.addr[0] != 0xfe || (a.addr[1] & 0xc0) != 0x80)
			return why_set(why,
				       "has an interface, but only a link-local IPv6 address (fe80::/10) takes one %s",
				       allowed);
		if (value_ifname(zone + 1, w) < 0)
			return why_set(why, "names an interface that %s", w);
	}
	a.prefix = a.family == AF_INET ? 32 : 128;
	addr_text(&a, false);
	snprintf(out, len, "%s%s", a.text, zone ? zone : "");
	return 0;
}

bool value_addr_in_subnet(const struct box_addr *net, const struct box_addr *ip)
{
	if (net->family != ip->family)
		return false;
	unsigned bits = net->prefix, i = 0;
	for (; bits >= 8; bits -= 8, i++)
		if (net->addr[i] != ip->addr[i])
			return false;
	if (bits) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits));
		if ((net->addr[i] & mask) != (ip->addr[i] & mask))
			return false;
	}
	return true;
}

bool value_addr_same_ip(const struct box_addr *a, const struct box_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

int value_mac(const char *s, unsigned char out[6], value_why_t why)
{
	static const char allowed[] = "(six hex bytes like 02:00:0a:4d:00:0a, unicast, not all zero)";
	unsigned char m[6];
	if (strlen(s) != 17)
		return why_set(why, "is not a MAC address %s", allowed);
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			return why_set(why, "is not a MAC address %s", allowed);
		char hex[3] = { p[0], p[1], 0 };
		m[i] = (unsigned char)strtoul(hex, NULL, 16);
	}
	if (m[0] & 1)
		return why_set(why, "is a multicast address %s", allowed);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return why_set(why, "is all zero %s", allowed);
	memcpy(out, m, 6);
	return 0;
}

void value_format_mac(const unsigned char mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int value_ifname(const char *s, value_why_t why)
{
	static const char allowed[] = "(1 to 15 bytes without '/', ':' or spaces, not . or ..)";
	size_t n = strlen(s);
	if (n == 0)
		return why_set(why, "is empty %s", allowed);
	if (n > 15)
		return why_set(why, "is longer than 15 bytes %s", allowed);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return why_set(why, "is not an interface name %s", allowed);
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return why_set(why, "is not an interface name %s", allowed);
	return 0;
}

static int check_labels(const char *s, size_t max, const char *allowed, value_why_t why)
{
	size_t n = strlen(s);
	if (n == 0)
		return why_set(why, "is empty %s", allowed);
	if (n > max)
		return why_set(why, "is longer than %zu bytes %s", max, allowed);
	const char *label = s;
	for (const char *p = s;; p++) {
		if (*p == '.' || !*p) {
			size_t l = (size_t)(p - label);
			if (l == 0 || l > 63)
				return why_set(why, "has an empty or too long label %s", allowed);
			if (label[0] == '-' || p[-1] == '-')
				return why_set(why, "has a label that starts or ends with '-' %s", allowed);
			if (!*p)
				break;
			label = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return why_set(why, "has a character that is not a letter, digit, '-' or '.' %s", allowed);
	}
	return 0;
}

int value_hostname(const char *s, value_why_t why)
{
	return check_labels(s, 64, "(letters, digits and '-' in dot-separated labels, at most 64 bytes)", why);
}

int value_domain(const char *s, value_why_t why)
{
	return check_labels(s, 253, "(a domain name like example.org)", why);
}

int value_abspath(const char *s, char **out, value_why_t why)
{
	static const char allowed[] = "(an absolute path like /srv/data, without .. components)";
	if (s[0] != '/')
		return why_set(why, "is not an absolute path %s", allowed);
	if (strlen(s) >= PATH_MAX)
		return why_set(why, "is too long %s", allowed);
	char *buf = xmalloc(strlen(s) + 2);
	size_t n = 0;
	const char *p = s;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, "/");
		if ((l == 2 && !strncmp(p, "..", 2))) {
			free(buf);
			return why_set(why, "has a .. component %s", allowed);
		}
		if (!(l == 1 && p[0] == '.')) {
			buf[n++] = '/';
			memcpy(buf + n, p, l);
			n += l;
		}
		p += l;
	}
	if (n == 0)
		buf[n++] = '/';
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			free(buf);
			return why_set(why, "has a line break %s", allowed);
		}
	}
	*out = buf;
	return 0;
}

int value_env(const char *s, value_why_t why)
{
	static const char allowed[] = "(KEY=VALUE with KEY of letters, digits and '_', not starting with a digit)";
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return why_set(why, "is not KEY=VALUE %s", allowed);
	for (const char *p = s; p < eq; p++)
		if (!(isalpha((unsigned char)*p) || *p == '_' || (p > s && isdigit((unsigned char)*p))))
			return why_set(why, "has a bad variable name %s", allowed);
	if (strpbrk(s, "\n\r"))
		return why_set(why, "has a line break %s", allowed);
	return 0;
}

int value_capability(const char *s, char **out, value_why_t why)
{
	static const char allowed[] = "(a capability name like sys_admin or net_raw, see capabilities(7))";
	cleanup_free char *name = strncasecmp(s, "cap_", 4) ? xasprintf("cap_%s", s) : xstrdup(s);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	cap_value_t v;
	if (!*s || strpbrk(s, " \t,") || cap_from_name(name, &v) < 0 || all_digits(s))
		return why_set(why, "is not a capability %s", allowed);
	*out = xstrdup(name + 4);
	return 0;
}
