/* The pure value parsers of src/config/values.c: each accepts what it documents,
 * normalises it, and rejects the rest with a reason. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>

#include "config/config.h"
#include "tap.h"
#include "config/values.h"

static void size_ok(const char *s, uint64_t want)
{
	value_why_t why;
	uint64_t v = 0;
	int rc = value_size(s, &v, why);
	tap_ok(rc == 0 && v == want, "size '%s' = %llu (got %llu)", s, (unsigned long long)want, (unsigned long long)v);
}

static void size_bad(const char *s, const char *why_want)
{
	value_why_t why = "";
	uint64_t v;
	int rc = value_size(s, &v, why);
	tap_ok(rc < 0 && strstr(why, why_want), "size '%s' rejected: %s", s, why);
}

static void fmt_size(uint64_t v, const char *want)
{
	char buf[32];
	value_format_size(v, buf, sizeof(buf));
	tap_streq(buf, want, "format size %llu", (unsigned long long)v);
}

static void cpus_ok(const char *s, uint32_t want, const char *back)
{
	value_why_t why;
	uint32_t v = 7;
	char buf[32];
	int rc = value_cpus(s, &v, why);
	tap_ok(rc == 0 && v == want, "cpus '%s' = %u milli (got %u)", s, want, v);
	value_format_cpus(v, buf, sizeof(buf));
	tap_ok(!strcmp(buf, back), "cpus %u formats as %s (got %s)", want, back, buf);
}

static void cpus_bad(const char *s)
{
	value_why_t why = "";
	uint32_t v;
	tap_ok(value_cpus(s, &v, why) < 0 && strstr(why, "(a decimal number of CPUs"), "cpus '%s' rejected: %s", s,
	       why);
}

static void cpuset_ok(const char *s, const char *want)
{
	value_why_t why;
	char *v = NULL;
	int rc = value_cpuset(s, &v, why);
	tap_ok(rc == 0, "cpuset '%s' accepted", s);
	tap_streq(v, want, "cpuset '%s' normalised", s);
	free(v);
}

static void cpuset_bad(const char *s)
{
	value_why_t why = "";
	char *v = NULL;
	tap_ok(value_cpuset(s, &v, why) < 0 && !v, "cpuset '%s' rejected: %s", s, why);
}

static void signal_ok(const char *s, int want, const char *name)
{
	value_why_t why;
	int v = -5;
	char buf[32];
	tap_ok(value_signal(s, &v, why) == 0 && v == want, "signal '%s' = %d (got %d)", s, want, v);
	value_format_signal(v, buf, sizeof(buf));
	tap_streq(buf, name, "signal %d formats", want);
}

static void signal_bad(const char *s)
{
	value_why_t why = "";
	int v;
	tap_ok(value_signal(s, &v, why) < 0, "signal '%s' rejected: %s", s, why);
}

static void cidr_ok(const char *s, int family, unsigned prefix, const char *text)
{
	value_why_t why = "";
	struct box_addr a;
	int rc = value_cidr(s, &a, why);
	tap_ok(rc == 0 && a.family == family && a.prefix == prefix, "cidr '%s' accepted %s", s, why);
	if (rc == 0)
		tap_streq(a.text, text, "cidr '%s' normalised", s);
}

static void cidr_bad(const char *s, const char *why_want)
{
	value_why_t why = "";
	struct box_addr a;
	tap_ok(value_cidr(s, &a, why) < 0 && strstr(why, why_want), "cidr '%s' rejected: %s", s, why);
}

static void ip_ok(const char *s, const char *text)
{
	value_why_t why = "";
	struct box_addr a;
	int rc = value_ip(s, &a, why);
	tap_ok(rc == 0 && a.prefix == (a.family == AF_INET ? 32u : 128u), "ip '%s' accepted %s", s, why);
	tap_streq(a.text, text, "ip '%s' normalised", s);
}

static void ip_bad(const char *s)
{
	value_why_t why = "";
	struct box_addr a;
	tap_ok(value_ip(s, &a, why) < 0, "ip '%s' rejected: %s", s, why);
}

static void mac_ok(const char *s, const char *text)
{
	value_why_t why;
	unsigned char m[6];
	char buf[32];
	tap_ok(value_mac(s, m, why) == 0, "mac '%s' accepted", s);
	value_format_mac(m, buf, sizeof(buf));
	tap_streq(buf, text, "mac '%s' normalised", s);
}

static void mac_bad(const char *s)
{
	value_why_t why = "";
	unsigned char m[6];
	tap_ok(value_mac(s, m, why) < 0, "mac '%s' rejected: %s", s, why);
}

static void path_ok(const char *s, const char *want)
{
	value_why_t why;
	char *p = NULL;
	tap_ok(value_abspath(s, &p, why) == 0, "path '%s' accepted", s);
	tap_streq(p, want, "path '%s' normalised", s);
	free(p);
}

static void path_bad(const char *s)
{
	value_why_t why = "";
	char *p = NULL;
	tap_ok(value_abspath(s, &p, why) < 0 && !p, "path '%s' rejected: %s", s, why);
}

static void cap_ok(const char *s, const char *want)
{
	value_why_t why;
	char *p = NULL;
	tap_ok(value_capability(s, &p, why) == 0, "capability '%s' accepted", s);
	tap_streq(p, want, "capability '%s' normalised", s);
	free(p);
}

static void cap_bad(const char *s)
{
	value_why_t why = "";
	char *p = NULL;
	tap_ok(value_capability(s, &p, why) < 0 && !p, "capability '%s' rejected: %s", s, why);
}

#define OK(call, desc) tap_ok((call) == 0, desc)
#define BAD(call, desc) tap_ok((call) < 0, desc)

int main(void)
{
	value_why_t why;

	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("512M", 512ull << 20);
	size_ok("512m", 512ull << 20);
	size_ok("1G", 1ull << 30);
	size_ok("2T", 2ull << 40);
	size_ok("64K", 64ull << 10);
	size_ok("1GB", 1ull << 30);
	size_ok("1GiB", 1ull << 30);
	size_ok("max", UINT64_MAX);
	size_ok("unlimited", UINT64_MAX);
	size_bad("", "is not a size");
	size_bad("12X", "is not a size");
	size_bad("-1", "is not a size");
	size_bad("1.5G", "is not a size");
	size_bad("G", "is not a size");
	size_bad("1 G", "is not a size");
	size_bad("99999999999999999999", "is too large");
	size_bad("20000000T", "is too large");
	size_bad("18446744073709551615", "is too large");
	fmt_size(512ull << 20, "512M");
	fmt_size(1ull << 30, "1G");
	fmt_size(1536ull << 20, "1536M");
	fmt_size(1000, "1000");
	fmt_size(0, "0");
	fmt_size(UINT64_MAX, "max");
	fmt_size(3ull << 40, "3T");
	fmt_size(1ull << 50, "1024T");

	long long n;
	OK(value_int("100", 1, 10000, &n, why), "int 100 in 1..10000");
	tap_ok(n == 100, "int value");
	OK(value_int("-5", -9999, 9999, &n, why), "int -5");
	tap_ok(n == -5, "negative int value");
	BAD(value_int("0", 1, 10000, &n, why), "int 0 below 1..10000");
	tap_streq(why, "is out of range (1..10000)", "int range message");
	BAD(value_int("10001", 1, 10000, &n, why), "int above range");
	BAD(value_int("1e3", 1, 10000, &n, why), "int 1e3");
	tap_streq(why, "is not a whole number (1..10000)", "int message");
	BAD(value_int("", 1, 10, &n, why), "int empty");
	BAD(value_int("99999999999999999999999", 0, 10, &n, why), "int overflow");

	bool b;
	OK(value_bool("yes", &b, why), "bool yes");
	tap_ok(b, "yes is true");
	OK(value_bool("Off", &b, why), "bool Off");
	tap_ok(!b, "Off is false");
	OK(value_bool("1", &b, why), "bool 1");
	BAD(value_bool("maybe", &b, why), "bool maybe");
	tap_streq(why, "is not a boolean (yes or no)", "bool message");

	cpus_ok("1.5", 1500, "1.5");
	cpus_ok("2", 2000, "2");
	cpus_ok("0.25", 250, "0.25");
	cpus_ok("0.001", 1, "0.001");
	cpus_ok(".5", 500, "0.5");
	cpus_ok("4096", 4096000, "4096");
	cpus_ok("max", 0, "max");
	cpus_bad("0");
	cpus_bad("0.0001");
	cpus_bad("4097");
	cpus_bad("1.");
	cpus_bad("-1");
	cpus_bad("1,5");
	cpus_bad("");
	cpus_bad("abc");
	cpus_bad("99999999999999999");

	cpuset_ok("0-3,5", "0-3,5");
	cpuset_ok("5,3,0-2", "0-3,5");
	cpuset_ok("1,1,1", "1");
	cpuset_ok("0-1,1-2", "0-2");
	cpuset_ok("7", "7");
	cpuset_ok("8191", "8191");
	cpuset_bad("");
	cpuset_bad("3-1");
	cpuset_bad("0-");
	cpuset_bad("a");
	cpuset_bad("1,");
	cpuset_bad("8192");
	cpuset_bad("0 1");
	cpuset_bad("-1");

	signal_ok("SIGPWR", SIGPWR, "SIGPWR");
	signal_ok("PWR", SIGPWR, "SIGPWR");
	signal_ok("pwr", SIGPWR, "SIGPWR");
	signal_ok("SIGRTMIN+3", SIGRTMIN + 3, "SIGRTMIN+3");
	signal_ok("RTMIN+3", SIGRTMIN + 3, "SIGRTMIN+3");
	signal_ok("SIGRTMIN", SIGRTMIN, "SIGRTMIN");
	signal_ok("SIGRTMAX-1", SIGRTMAX - 1, "SIGRTMIN+29");
	signal_ok("30", 30, "SIGPWR");
	signal_ok("TERM", SIGTERM, "SIGTERM");
	signal_ok("auto", 0, "auto");
	signal_bad("SIGKILL");
	signal_bad("9");
	signal_bad("STOP");
	signal_bad("SIGFOO");
	signal_bad("SIGRTMIN+99");
	signal_bad("SIGRTMIN-1");
	signal_bad("65");
	signal_bad("");
	signal_bad("-1");

	cidr_ok("10.77.0.10/24", AF_INET, 24, "10.77.0.10/24");
	cidr_ok("fd00::2/64", AF_INET6, 64, "fd00::2/64");
	cidr_ok("FD00:0:0::2/64", AF_INET6, 64, "fd00::2/64");
	cidr_ok("10.0.0.1/32", AF_INET, 32, "10.0.0.1/32");
	cidr_ok("10.0.0.0/31", AF_INET, 31, "10.0.0.0/31");
	cidr_bad("10.77.0.10", "has no prefix length");
	cidr_bad("10.77.0.10/33", "bad prefix length");
	cidr_bad("10.77.0.10/0", "bad prefix length");
	cidr_bad("10.77.0/24", "is not an IP address");
	cidr_bad("10.77.0.0/24", "network address");
	cidr_bad("10.77.0.255/24", "broadcast address");
	cidr_bad("127.0.0.2/8", "loopback");
	cidr_bad("0.0.0.0/8", "unspecified");
	cidr_bad("224.0.0.1/24", "multicast");
	cidr_bad("ff02::1/64", "multicast");
	cidr_bad("::1/128", "loopback");
	cidr_bad("fd00::2/129", "bad prefix length");
	cidr_bad("/24", "is not an IP address");
	cidr_bad("10.0.0.1/24x", "bad prefix length");

	ip_ok("10.77.0.1", "10.77.0.1");
	ip_ok("fd00::0:1", "fd00::1");
	ip_bad("10.77.0.1/24");
	ip_bad("10.77.0");
	ip_bad("hello");
	ip_bad("0.0.0.0");
	ip_bad("");

	struct box_addr net, in, out6;
	value_cidr("10.77.0.10/24", &net, why);
	value_ip("10.77.0.1", &in, why);
	tap_ok(value_addr_in_subnet(&net, &in), "10.77.0.1 in 10.77.0.10/24");
	value_ip("10.77.1.1", &in, why);
	tap_ok(!value_addr_in_subnet(&net, &in), "10.77.1.1 not in 10.77.0.10/24");
	value_cidr("10.77.0.10/23", &net, why);
	tap_ok(value_addr_in_subnet(&net, &in), "10.77.1.1 in 10.77.0.10/23");
	value_ip("fd00::1", &out6, why);
	tap_ok(!value_addr_in_subnet(&net, &out6), "IPv6 never in an IPv4 subnet");
	value_cidr("fd00::2/64", &net, why);
	tap_ok(value_addr_in_subnet(&net, &out6), "fd00::1 in fd00::2/64");

	mac_ok("02:00:0a:4d:00:0a", "02:00:0a:4d:00:0a");
	mac_ok("02:AB:CD:EF:00:01", "02:ab:cd:ef:00:01");
	mac_bad("01:00:5e:00:00:01");
	mac_bad("00:00:00:00:00:00");
	mac_bad("02:00:0a:4d:00");
	mac_bad("02-00-0a-4d-00-0a");
	mac_bad("02:00:0a:4d:00:0g");
	mac_bad("");

	OK(value_ifname("eth0", why), "ifname eth0");
	OK(value_ifname("box0", why), "ifname box0");
	OK(value_ifname("eth0.100", why), "ifname eth0.100");
	OK(value_ifname("abcdefghijklmno", why), "ifname of 15 bytes");
	BAD(value_ifname("abcdefghijklmnop", why), "ifname of 16 bytes");
	BAD(value_ifname("", why), "ifname empty");
	BAD(value_ifname("a/b", why), "ifname with /");
	BAD(value_ifname("a b", why), "ifname with a space");
	BAD(value_ifname("a:1", why), "ifname with :");
	BAD(value_ifname(".", why), "ifname .");
	BAD(value_ifname("..", why), "ifname ..");

	OK(value_hostname("web", why), "hostname web");
	OK(value_hostname("web-1.example.org", why), "hostname with domain");
	OK(value_hostname("1web", why), "hostname starting with a digit (RFC 1123)");
	BAD(value_hostname("-web", why), "hostname starting with -");
	BAD(value_hostname("web-", why), "hostname ending with -");
	BAD(value_hostname("we_b", why), "hostname with _");
	BAD(value_hostname("a..b", why), "hostname with an empty label");
	BAD(value_hostname("", why), "hostname empty");
	BAD(value_hostname("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", why),
	    "hostname of 65 bytes");
	OK(value_domain("example.org", why), "domain");
	BAD(value_domain("exa mple.org", why), "domain with a space");

	path_ok("/srv/data", "/srv/data");
	path_ok("/srv//data/", "/srv/data");
	path_ok("/srv/./data", "/srv/data");
	path_ok("/", "/");
	path_bad("srv/data");
	path_bad("/srv/../etc");
	path_bad("");
	path_bad("/a\nb");

	OK(value_env("TZ=UTC", why), "env TZ=UTC");
	OK(value_env("A_1=", why), "env with an empty value");
	OK(value_env("PATH=/bin:/usr/bin=x", why), "env value with '='");
	BAD(value_env("=x", why), "env without a name");
	BAD(value_env("1A=x", why), "env name starting with a digit");
	BAD(value_env("A-B=x", why), "env name with -");
	BAD(value_env("NOEQUALS", why), "env without =");
	BAD(value_env("A=x\ny", why), "env with a newline");

	cap_ok("sys_admin", "sys_admin");
	cap_ok("CAP_SYS_ADMIN", "sys_admin");
	cap_ok("net_raw", "net_raw");
	cap_bad("sys_foo");
	cap_bad("");
	cap_bad("12");
	cap_bad("sys_admin,net_raw");

	int sig;
	tap_ok(value_signal("SIGPWR", &sig, why) == 0 && sig == SIGPWR, "value_signal SIGPWR");
	tap_ok(value_signal("nope", &sig, why) < 0, "value_signal unknown");
	tap_streq(config_signal_name(SIGRTMIN + 3), "SIGRTMIN+3", "config_signal_name");
	uint64_t sz;
	tap_ok(value_size("1G", &sz, why) == 0 && sz == 1ull << 30, "value_size 1G");
	tap_ok(value_size("1Q", &sz, why) < 0, "value_size bad");
	char buf[32];
	value_format_size(256ull << 20, buf, sizeof(buf));
	tap_streq(buf, "256M", "value_format_size");
	return tap_done();
}
