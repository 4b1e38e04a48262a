/* The config module: every bad config gives its exact one-line message with
 * file:line and exit status 2; good configs round-trip through
 * config_write; defaults; boxes.conf; config_list; conflicts; set_keys; the
 * key reference. Runs in a throw-away BOX_CONFIG_DIR. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/brief.h"
#include "config/config.h"
#include "config/idrange.h"
#include "config/schema.h"
#include "base/paths.h"
#include "tap.h"
#include "base/util.h"

struct bad {
	const char *text, *msg;
};

/* Each: the config text, and the exact first message. */
static const struct bad bads[] = {
	{ "memory = 12X\n",
	  "t.conf:1: memory: '12X' is not a size (a number of bytes with an optional K, M, G or T suffix, or max)" },
	{ "# comment\n# another\nmemroy = 1G\n", "t.conf:3: memroy: unknown key (did you mean memory?)" },
	{ "frobnicate = 1\n", "t.conf:1: frobnicate: unknown key (see 'box config keys' for every key)" },
	{ "memory = 1G\nmemory = 2G\n", "t.conf:2: memory: set twice, first on line 1 (keep one)" },
	/* forwards, dhcp (issue 18) */
	{ "network eth0 { address = 10.0.0.2/24 }\nforward sctp/80 { }\n",
	  "t.conf:2: forward sctp/80: 'sctp/80' is not a forward (tcp/PORT or udp/PORT, like tcp/8080)" },
	{ "network eth0 { address = 10.0.0.2/24 }\nforward tcp/0 { }\n",
	  "t.conf:2: forward tcp/0: 'tcp/0' has no port 1..65535 after the '/' (tcp/8080)" },
	{ "network eth0 { address = 10.0.0.2/24 }\nforward tcp/80 {\n  to = 0\n}\n",
	  "t.conf:3: forward tcp/80: to: '0' is out of range (1..65535)" },
	{ "network eth0 { address = 10.0.0.2/24 }\nforward tcp/80 {\n  listen = fd00::1\n}\n",
	  "t.conf:3: forward tcp/80: listen: 'fd00::1' is not an IPv4 address (forwards are IPv4: 192.0.2.7)" },
	{ "network eth0 { address = 10.0.0.2/24 }\nforward tcp/80 {\n  listen = 127.0.0.1\n}\n",
	  "t.conf:3: forward tcp/80: listen: '127.0.0.1' is a loopback address: forwards do not listen there "
	  "(another address of the host, or no listen: every address but loopback)" },
	{ "network eth0 { address = dhcp }\nforward udp/53 { }\n",
	  "t.conf:2: forward udp/53: the container has no fixed IPv4 address to forward to (a network section with "
	  "address = 10.77.0.10/24, say)" },
	{ "network eth0 { address = {10.0.0.2/24, 10.0.0.3/24} }\nforward tcp/80 { }\nforward tcp/080 { }\n",
	  "t.conf:3: forward tcp/080: tcp/80 is already forwarded on line 2 (each port once)" },
	{ "network eth0 {\n  address = {dhcp, 10.0.0.2/24}\n}\n",
	  "t.conf:2: network eth0: address: dhcp and the fixed IPv4 address 10.0.0.2/24 (line 2) exclude each other "
	  "(one of them)" },
	{ "network eth0 {\n  address = dhcp\n  gateway = 10.0.0.1\n}\n",
	  "t.conf:3: network eth0: gateway: 10.0.0.1: with address = dhcp the DHCP server gives the IPv4 gateway "
	  "(remove it)" },
	{ "cpus = 0\n",
	  "t.conf:1: cpus: '0' is too small (a decimal number of CPUs from 0.001 to 4096, like 1.5, or max)" },
	{ "cpus = 1.2345\n", "t.conf:1: cpus: '1.2345' has more than 3 decimals (a decimal number of CPUs from 0.001 "
			     "to 4096, like 1.5, or max)" },
	{ "cpu_weight = 0\n", "t.conf:1: cpu_weight: '0' is out of range (1..10000)" },
	{ "io_weight = 10001\n", "t.conf:1: io_weight: '10001' is out of range (1..10000)" },
	{ "stop_timeout = soon\n", "t.conf:1: stop_timeout: 'soon' is not a whole number (0..86400)" },
	{ "halt_signal = SIGKILL\n", "t.conf:1: halt_signal: 'SIGKILL' cannot be caught, so init could never halt "
				     "cleanly (a signal init handles, like SIGPWR or SIGRTMIN+3, or auto)" },
	{ "halt_signal = SIGWHAT\n", "t.conf:1: halt_signal: 'SIGWHAT' is not a signal (a signal name like SIGPWR, "
				     "SIGRTMIN+3 or TERM, a number, or auto)" },
	{ "hostname = web_1\n", "t.conf:1: hostname: 'web_1' has a character that is not a letter, digit, '-' or '.' "
				"(letters, digits and '-' in dot-separated labels, at most 64 bytes)" },
	{ "init = sbin/init\n", "t.conf:1: init: 'sbin/init' is not an absolute path (an absolute path like /srv/data, "
				"without .. components)" },
	{ "autostart = maybe\n", "t.conf:1: autostart: 'maybe' is not a boolean (yes or no)" },
	{ "environment = {\"TZ=UTC\", \"1X=2\"}\n", "t.conf:1: environment: '1X=2' has a bad variable name (KEY=VALUE "
						    "with KEY of letters, digits and '_', not starting with a digit)" },
	{ "environment = {\"TZ=UTC\",\n  \"TZ=CET\"}\n",
	  "t.conf:2: environment: TZ is set twice (each variable once)" },
	{ "cpuset = 0-3,5\n", "t.conf:1: syntax error: unexpected ',' (quote a value that has a comma: cpuset = "
			      "\"0-3,5\"; a list is written {a, b})" },
	{ "cpuset = \"4-2\"\n",
	  "t.conf:1: cpuset: '4-2' has a range that goes down (CPU numbers and ranges from 0 to 8191, like 0-3,5)" },
	{ "swap = 1G\n", "t.conf:1: swap: a swap limit needs a memory limit (set memory too, or swap = max)" },
	{ "memory = 1000\n", "t.conf:1: memory: '1000' is too small (at least 1M, or max)" },
	{ "pids = 0\n", "t.conf:1: pids: '0' is too small (at least 1, or max)" },
	{ "capabilities_drop = {sys_fun}\n", "t.conf:1: capabilities_drop: 'sys_fun' is not a capability (a capability "
					     "name like sys_admin or net_raw, see capabilities(7))" },
	{ "capabilities_drop = {sys_time}\ncapabilities_keep = {chown}\n",
	  "t.conf:2: capabilities_keep: cannot be combined with capabilities_drop on line 1 (keep lists all that stay, "
	  "drop all that go: use one)" },
	{ "capabilities_keep = {}\n", "t.conf:1: capabilities_keep: is empty (list the capabilities to keep, like "
				      "{chown, net_bind_service}, or remove it)" },
	{ "seccomp = strict\n",
	  "t.conf:1: seccomp: 'strict' is not a seccomp policy (default, none, or the absolute path of a profile)" },
	{ "unprivileged = no\nnesting = yes\n",
	  "t.conf:2: nesting: needs an unprivileged container: a privileged one's root is the host's, and what it "
	  "nests would be too (remove unprivileged = no, or nesting)" },
	{ "storage = zfs\n", "t.conf:1: storage: 'zfs' is not a storage backend (dir, overlay or btrfs)" },
	{ "template = ../x.tar.gz\n", "t.conf:1: template: '../x.tar.gz' is not an absolute path (an absolute path "
				      "like /srv/data, without .. components)" },
	{ "nameserver = {1.1.1.1, 300.1.1.1}\n",
	  "t.conf:1: nameserver: '300.1.1.1' is not an IP address (an IPv4 or IPv6 address, like 10.0.0.1, 127.0.0.53 "
	  "or fe80::1%eth0: a link-local one with its interface)" },
	{ "searchdomain = {\"bad domain\"}\n", "t.conf:1: searchdomain: 'bad domain' has a character that is not a "
					       "letter, digit, '-' or '.' (a domain name like example.org)" },
	{ "unprivileged = yes\nidmap_base = 4294967000\n",
	  "t.conf:2: idmap_base: idmap_base + idmap_size go beyond the last id 4294967294 (a smaller base or size)" },
	{ "memory = 1G\n}\n", "t.conf:2: syntax error: '}' without an open section (remove it)" },
	{ "network eth0 {\n  bridge = box0\n", "t.conf:1: syntax error: '{' is never closed (close it with '}')" },
	{ "nameserver = {1.1.1.1,\n",
	  "t.conf:2: syntax error: the file ends inside a section or before a value (close every '{' with '}')" },
	{ "memory 1G\n", "t.conf:1: memory: '=' is missing (memory = VALUE)" },
	{ "memory += 1G\n", "t.conf:1: memory: '+=' works only on lists (memory = VALUE)" },
	{ "hostname = \"web\n", "t.conf:1: syntax error: a quoted string is not closed (end it with \")" },
	{ "network {\n}\n", "t.conf:1: network: the title is missing (network eth0 { ... })" },
	{ "network eth0\nmemory = 1G\n", "t.conf:2: network: '{' is missing after the title (network eth0 { ... })" },
	{ "network eth0 {\n}\n\nnetwork eth0 {\n}\n",
	  "t.conf:4: network eth0: defined twice, first on line 1 (one section per name)" },
	{ "network eth0 {\n  brige = box0\n}\n", "t.conf:2: network eth0: brige: unknown key (did you mean bridge?)" },
	{ "network eth0 {\n  type = macvlan\n}\n",
	  "t.conf:2: network eth0: type: 'macvlan' is not a network type (veth, empty or host)" },
	{ "network averyveryverylongname {\n}\n",
	  "t.conf:1: network averyveryverylongname: 'averyveryverylongname' is longer than 15 bytes (1 to 15 bytes "
	  "without '/', ':' or spaces, not . or ..)" },
	{ "network eth0 {\n  bridge = \"br 0\"\n}\n", "t.conf:2: network eth0: bridge: 'br 0' is not an interface name "
						      "(1 to 15 bytes without '/', ':' or spaces, not . or ..)" },
	{ "network eth0 {\n  address = 10.0.0.2\n}\n",
	  "t.conf:2: network eth0: address: '10.0.0.2' has no prefix length (an IPv4 or IPv6 address with its prefix "
	  "length, like 10.0.0.2/24 or fd00::2/64)" },
	{ "nameserver = \"fe80::1%\"\n", "t.conf:1: nameserver: 'fe80::1%' names an interface that is empty (1 to 15 "
					 "bytes without '/', ':' or spaces, not . or ..)" },
	{ "nameserver = 0.0.0.0\n", "t.conf:1: nameserver: '0.0.0.0' is the unspecified address (an IPv4 or IPv6 "
				    "address, like 10.0.0.1, 127.0.0.53 or fe80::1%eth0: a link-local one with its "
				    "interface)" },
	{ "network eth0 {\n  address = 10.0.0.2/24\n  gateway = fd00::1\n}\n",
	  "t.conf:3: network eth0: gateway: fd00::1 needs an IPv6 address on this interface (address = ...)" },
	{ "network eth0 {\n  address = 10.0.0.2/24\n  gateway = {10.0.0.1, 10.0.0.3}\n}\n",
	  "t.conf:3: network eth0: gateway: a second IPv4 gateway '10.0.0.3' (at most one IPv4 and one IPv6 gateway)" },
	{ "network eth0 {\n  address = 10.0.0.2/24\n  gateway = 10.0.0.2\n}\n",
	  "t.conf:3: network eth0: gateway: 10.0.0.2 is this interface's own address (the router's address)" },
	{ "network eth0 {\n  type = empty\n  bridge = box0\n}\n",
	  "t.conf:3: network eth0: bridge is set, but type = empty has no veth to carry it (remove it, or type = "
	  "veth)" },
	{ "network eth0 {\n  hwaddr = 03:00:00:00:00:01\n}\n",
	  "t.conf:2: network eth0: hwaddr: '03:00:00:00:00:01' is a multicast address (six hex bytes like "
	  "02:00:0a:4d:00:0a, unicast, not all zero)" },
	{ "network eth0 {\n  mtu = 67\n}\n", "t.conf:2: network eth0: mtu: '67' is out of range (68..65535)" },
	{ "network eth0 {\n  address = fd00::2/64\n  mtu = 1000\n}\n",
	  "t.conf:3: network eth0: mtu: 1000 is below 1280, the least IPv6 works with (68..65535, 1280 or more with "
	  "IPv6)" },
	{ "network eth0 {\n  address = 10.0.0.2/24\n}\nnetwork eth1 {\n  address = 10.0.0.2/16\n}\n",
	  "t.conf:5: network eth1: address: 10.0.0.2/16 is already used on line 2 (each address once)" },
	{ "network a {\n  type = host\n}\nnetwork b {\n  type = host\n}\n",
	  "t.conf:4: network b: a second type = host network, the first on line 1 (at most one)" },
	{ "network eth0 {\n}\nnetwork h {\n  type = host\n}\n",
	  "t.conf:1: network eth0: the container shares the host's network (type = host on line 3), so it cannot have "
	  "interfaces of its own (remove one of them)" },
	{ "mount /srv {\n}\n", "t.conf:1: mount /srv: source is missing (source = /host/path)" },
	{ "mount srv {\n  source = /srv\n}\n", "t.conf:1: mount srv: 'srv' is not an absolute path (an absolute path "
					       "like /srv/data, without .. components)" },
	{ "mount / {\n  source = /srv\n}\n",
	  "t.conf:1: mount /: cannot mount over the container's root (a path below /)" },
	{ "mount /data {\n  source = /srv/a\n}\nmount /data/ {\n  source = /srv/b\n}\n",
	  "t.conf:4: mount /data/: /data is already a mount target on line 1 (one mount per target)" },
	{ "mount /data {\n  source = srv\n}\n", "t.conf:2: mount /data: source: 'srv' is not an absolute path (an "
						"absolute path like /srv/data, without .. components)" },
	{ "mount /data {\n  source = /srv\n  readonly = sure\n}\n",
	  "t.conf:3: mount /data: readonly: 'sure' is not a boolean (yes or no)" },
	{ "hostname = ${HOSTNAME}\n", "t.conf:1: syntax error: ${...} is not expanded (write the value itself)" },
	{ "memory = 1G\n/* never closed\n", "t.conf:2: syntax error: a /* comment is not closed (end it with */)" },
	{ "memory = {1G}\n", "t.conf:1: syntax error: unexpected '{' (KEY = VALUE, or SECTION TITLE { ... })" },
	{ "hostname = web\0\n", "t.conf:1: syntax error: a NUL byte (a config is text)" },
	{ "pids = lots\n", "t.conf:1: pids: 'lots' is not a number or max (0..4194304, or max)" },
	{ "network eth0 {\n  gateway = 10.0.0.1\n}\n",
	  "t.conf:2: network eth0: gateway: 10.0.0.1 needs an IPv4 address on this interface (address = ...)" },
	{ "network \"a/b\" {\n}\n", "t.conf:1: network a/b: 'a/b' is not an interface name (1 to 15 bytes without '/', "
				    "':' or spaces, not . or ..)" },
	{ "unprivileged = yes\nidmap_size = 0\n", "t.conf:2: idmap_size: '0' is out of range (1..4294967294)" },
	{ "network eth0 {\n  type = host\n  mtu = 1500\n}\n",
	  "t.conf:3: network eth0: mtu is set, but type = host has no veth to carry it (remove it, or type = veth)" },
	{ "\" line\" = here\n", "t.conf:1:  line: unknown key (see 'box config keys' for every key)" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct box_config *c = NULL;
		box_err_t err = NULL;
		size_t len = strlen(bads[i].text);
		if (strstr(bads[i].msg, "NUL byte"))
			len += 2; /* the text holds a NUL */
		int rc = config_load_buffer(bads[i].text, len, "t.conf", "t", &c, &err);
		tap_ok(rc == -1 && !c && err && err->status == BOX_EXIT_USAGE, "bad config %zu fails with status 2", i);
		tap_streq(err ? err->msg : NULL, bads[i].msg, "bad config %zu: message", i);
		box_error_release(&err);
	}
}

/* config check lists every error, in file order. */
static void test_all_errors(void)
{
	const char *text = "memory = 12X\n"
			   "cpus = 0\n"
			   "network eth0 {\n"
			   "  address = 10.0.0.2/24\n"
			   "  gateway = fd00::1\n"
			   "  mtu = 1\n"
			   "}\n"
			   "halt_signal = SIGSTOP\n"
			   "mount /x {\n"
			   "}\n";
	char **errors = NULL, **warnings = NULL;
	box_err_t err = NULL;
	int rc = config_load_buffer_report(text, strlen(text), "m.conf", "m", NULL, &errors, &warnings, &err);
	tap_ok(rc == -1 && errors && strv_len(errors) == 6, "every error is listed (%zu)",
	       errors ? strv_len(errors) : 0);
	const char *want[] = { "m.conf:1: memory:",
			       "m.conf:2: cpus:",
			       "m.conf:5: network eth0: gateway:",
			       "m.conf:6: network eth0: mtu:",
			       "m.conf:8: halt_signal:",
			       "m.conf:9: mount /x:" };
	for (size_t i = 0; errors && i < 6 && errors[i]; i++)
		tap_ok(!strncmp(errors[i], want[i], strlen(want[i])), "error %zu in file order: %s", i, errors[i]);
	tap_streq(err ? err->msg : NULL, errors && errors[0] ? errors[0] : "", "err holds the first error");
	tap_ok(warnings && !warnings[0], "no warnings");
	strv_free(errors);
	strv_free(warnings);
	box_error_release(&err);

	/* after a syntax error, the values before it are still checked */
	text = "memory = 12X\ncpus = abc\nnetwork eth0 {\n";
	rc = config_load_buffer_report(text, strlen(text), "s.conf", "s", NULL, &errors, NULL, &err);
	tap_ok(rc == -1 && errors && strv_len(errors) == 3, "value errors before a syntax error are listed too");
	strv_free(errors);
	box_error_release(&err);

	/* unknown keys do not stop the check */
	text = "memroy = 1G\nfoo += {a,\n b}\ncpus = x\nnetwork eth0 {\n  brige = box0\n  'addr' = 1\n}\nbaz = 1\n"
	       "swap = 1G\n";
	rc = config_load_buffer_report(text, strlen(text), "u.conf", "u", NULL, &errors, NULL, &err);
	tap_ok(rc == -1 && errors && strv_len(errors) == 7, "every unknown key is listed (%zu)",
	       errors ? strv_len(errors) : 0);
	const char *want_u[] = { "u.conf:1: memroy: unknown key (did you mean memory?)",
				 "u.conf:2: foo: unknown key (see 'box config keys' for every key)",
				 "u.conf:4: cpus: 'x' is not a number of CPUs",
				 "u.conf:6: network eth0: brige: unknown key (did you mean bridge?)",
				 "u.conf:7: network eth0: addr: unknown key (did you mean hwaddr?)",
				 "u.conf:9: baz: unknown key (see 'box config keys' for every key)",
				 "u.conf:10: swap: a swap limit needs a memory limit" };
	for (size_t i = 0; errors && i < 7 && errors[i]; i++)
		tap_ok(!strncmp(errors[i], want_u[i], strlen(want_u[i])), "unknown keys: error %zu: %s", i, errors[i]);
	strv_free(errors);
	box_error_release(&err);

	text = "network h {\n  type = host\n}\n";
	struct box_config *c = NULL;
	rc = config_load_buffer_report(text, strlen(text), "h.conf", "h", &c, &errors, &warnings, &err);
	tap_ok(rc == 0 && c && errors && !errors[0], "type = host loads");
	tap_streq(warnings ? warnings[0] : NULL,
		  "h.conf:1: network h: type = host gives the container the host's network (no network isolation)",
		  "type = host warns");
	strv_free(errors);
	strv_free(warnings);
	config_free(c);
}

static void test_defaults(void)
{
	{
		size_t big = (1u << 20) + 1;
		char *text = xmalloc(big);
		memset(text, '#', big);
		box_err_t e = NULL;
		tap_ok(config_load_buffer(text, big, "big.conf", "big", NULL, &e) < 0 && e && e->status == 2,
		       "a config over 1 MiB is refused");
		tap_streq(e ? e->msg : NULL, "big.conf: 1048577 bytes is too large for a config (at most 1 MiB)",
			  "too large message");
		box_error_release(&e);
		free(text);
	}
	struct box_config *c = NULL;
	box_err_t err = NULL;
	int rc = config_load_buffer("", 0, "e.conf", "empty", &c, &err);
	tap_ok(rc == 0 && c, "an empty config loads");
	if (!c)
		return;
	tap_streq(c->hostname, "empty", "hostname defaults to the name");
	tap_streq(c->init, "/sbin/init", "init defaults to /sbin/init");
	tap_ok(c->init_args && !c->init_args[0], "init_args empty");
	tap_ok(c->halt_signal == 0, "halt_signal auto");
	tap_ok(c->stop_timeout == 60, "stop_timeout 60");
	tap_ok(!c->autostart && c->start_order == 0, "autostart no, order 0");
	tap_ok(c->memory == BOX_UNLIMITED && c->swap == BOX_UNLIMITED && c->pids == BOX_UNLIMITED, "limits max");
	tap_ok(c->cpus_milli == 0 && c->cpu_weight == 100 && c->io_weight == 100 && !c->cpuset, "cpu defaults");
	tap_ok(c->unprivileged && c->idmap_base == BOX_IDMAP_AUTO && c->idmap_size == 65536, "id map defaults");
	tap_ok(strv_len(c->capabilities_drop) == 8 && !strcmp(c->capabilities_drop[0], "sys_module") &&
		   !strcmp(c->capabilities_drop[7], "perfmon") && !c->capabilities_keep,
	       "capabilities_drop as LXC and syslog bpf perfmon, keep unset");
	tap_ok(!c->keyctl, "keyctl no");
	tap_streq(c->seccomp, "default", "seccomp default");
	tap_ok(c->storage == STORAGE_DIR, "storage dir");
	tap_ok(c->n_nets == 0 && c->n_mounts == 0 && !c->template_name, "no network, mount, template");
	tap_ok(c->nameservers && !c->nameservers[0] && c->searchdomains && !c->searchdomains[0], "empty dns lists");
	tap_ok(c->environment && !c->environment[0], "empty environment");
	config_free(c);
}

static const char *const goods[] = {
	"",
	"template = debian-12-box_amd64.tar.gz\nhostname = web\nmemory = 512M\ncpus = 1.5\npids = 1024\n"
	"network eth0 {\n  bridge = box0\n  address = 10.77.0.10/24\n  gateway = 10.77.0.1\n}\n",
	"# everything\ntemplate = /srv/templates/x.tar.zst\nhostname = full.example.org\ninit = /lib/systemd/systemd\n"
	"init_args = {\"--log-level=info\", \"a b\", 'q\"uote'}\nhalt_signal = SIGRTMIN+3 # systemd\n"
	"stop_timeout = 5\nautostart = yes\nstart_order = -3\nenvironment = {\"TZ=UTC\", \"X=a,b\"}\n"
	"environment += \"Y=${NOT_EXPANDED}\"\nmemory = 1G\nswap = 0\ncpus = 0.25\ncpu_weight = 500\n"
	"cpuset = \"3,0-1\"\npids = 100\nio_weight = 1\nunprivileged = yes\nidmap_base = 200000\n"
	"idmap_size = 65536\ncapabilities_keep = {CAP_CHOWN, net_bind_service, chown}\nseccomp = /etc/x.json\n"
	"storage = overlay\nnameserver = {10.77.0.1, fd77::1}\nsearchdomain = {example.org}\n"
	"network eth0 {\n  type = veth\n  bridge = box0\n  address = {10.77.0.11/24, fd77::11/64}\n"
	"  gateway = {10.77.0.1, fd77::1}\n  hwaddr = 02:00:0A:4D:00:0B\n  mtu = 1400\n}\n"
	"network eth1 {\n  type = empty\n}\n"
	"mount /srv/data { source = /srv/web-data\n readonly = yes }\nmount /var/cache { source = /tmp }\n"
	"forward tcp/8080 {\n  to = 80\n  listen = 192.0.2.7\n}\nforward udp/53 { }\n",
	"halt_signal = PWR\nmemory = max\nnetwork lan { }\n",
	"network eth0 {\n  address = fd00::5/64\n  gateway = fe80::1\n}\nnetwork eth1 {\n  gateway = fe80::1\n}\n",
	"network h {\n  type = host\n}\n",
	"network eth0 {\n  bridge = box0\n  address = {dhcp, fd77::5/64}\n}\n",
	/* Proxmox's routed /32 and resolvers inside or link-local */
	"nameserver = {127.0.0.53, ::1, \"fe80::1%eth0\"}\nnetwork eth0 {\n  address = 203.0.113.10/32\n"
	"  gateway = 203.0.113.1\n}\n",
	"// C++ comment\n/* C comment\n over lines */ memory = 2G\r\ncpus = 2\r\n",
};

static void test_roundtrip(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		struct box_config *a = NULL, *b = NULL;
		box_err_t err = NULL;
		int rc = config_load_buffer(goods[i], strlen(goods[i]), "g.conf", "good", &a, &err);
		tap_ok(rc == 0, "good config %zu loads%s%s", i, err ? ": " : "", err ? err->msg : "");
		box_error_release(&err);
		if (rc < 0)
			continue;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		tap_ok(config_write(f, a) == 0, "good config %zu writes", i);
		fclose(f);
		rc = config_load_buffer(text, len, "w.conf", "good", &b, &err);
		tap_ok(rc == 0, "good config %zu: its written form loads%s%s", i, err ? ": " : "", err ? err->msg : "");
		box_error_release(&err);
		tap_ok(b && config_equal(a, b), "good config %zu round-trips", i);
		if (b && !config_equal(a, b))
			printf("# written:\n%s", text);
		free(text);
		config_free(a);
		config_free(b);
	}

	/* config_write writes every key of the schema (one of drop/keep) */
	{
		struct box_config *c = NULL;
		box_err_t err = NULL;
		config_load_buffer(goods[2], strlen(goods[2]), "g.conf", "good", &c, &err);
		box_error_release(&err);
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (c)
			config_write(f, c);
		fclose(f);
		size_t missing = 0;
		for (size_t i = 0; c && i < config_schema_len; i++) {
			const struct config_key *k = &config_schema[i];
			if (k->scope == SC_GLOBAL || k->scope == SC_BRIDGE || !strcmp(k->name, "capabilities_drop"))
				continue;
			cleanup_free char *pat =
			    k->type == KT_SECTION ? xasprintf("\n%s ", k->name)
						  : xasprintf("\n%s%s ", k->scope == SC_CONTAINER ? "" : "  ", k->name);
			if (!strstr(text, pat) && strncmp(text, pat + 1, strlen(pat) - 1)) {
				printf("# config_write lacks %s\n", k->name);
				missing++;
			}
		}
		tap_ok(c && missing == 0, "config_write writes every key of the schema");
		free(text);
		config_free(c);
	}

	/* the values of the full example */
	struct box_config *c = NULL;
	box_err_t err = NULL;
	config_load_buffer(goods[2], strlen(goods[2]), "g.conf", "good", &c, &err);
	box_error_release(&err);
	if (!c)
		return;
	tap_ok(c->halt_signal == SIGRTMIN + 3, "halt_signal SIGRTMIN+3 (a bare word with '+')");
	tap_ok(c->memory == 1ull << 30 && c->swap == 0 && c->pids == 100, "memory, swap, pids");
	tap_ok(c->cpus_milli == 250 && c->cpu_weight == 500, "cpus, cpu_weight");
	tap_streq(c->cpuset, "0-1,3", "cpuset normalised");
	tap_ok(strv_len(c->environment) == 3, "environment += appends");
	tap_streq(c->environment[2], "Y=${NOT_EXPANDED}", "${...} in a string is kept literally");
	tap_streq(c->environment[1], "X=a,b", "a quoted comma");
	tap_streq(c->init_args[2], "q\"uote", "single-quoted string");
	tap_ok(strv_len(c->capabilities_keep) == 2 && c->capabilities_drop && !c->capabilities_drop[0],
	       "capabilities_keep deduplicated, drop emptied");
	tap_ok(c->n_nets == 2 && c->nets[0].n_addrs == 2 && c->nets[0].has_gateway4 && c->nets[0].has_gateway6,
	       "network addresses and gateways");
	tap_ok(c->nets[0].line == 27 && c->nets[0].addrs[1].line == 30 && c->nets[0].line_of_hwaddr == 32,
	       "lines of the network section (%u), address (%u), hwaddr (%u)", c->nets[0].line,
	       c->nets[0].addrs[1].line, c->nets[0].line_of_hwaddr);
	tap_streq(c->nets[0].addrs[1].text, "fd77::11/64", "IPv6 address text");
	tap_ok(c->nets[0].hwaddr[5] == 0x0b && c->nets[0].mtu == 1400, "hwaddr, mtu");
	tap_ok(c->nets[1].type == NET_EMPTY, "type empty");
	tap_ok(c->n_mounts == 2 && c->mounts[0].readonly && !c->mounts[1].readonly, "mounts");
	tap_streq(c->mounts[0].source, "/srv/web-data", "mount source");
	tap_ok(c->line_of_template == 2 && c->line_of_hostname == 3, "line_of_template, line_of_hostname");
	config_free(c);
}

/* Every example of the reference is a valid value, every key is documented. */
static void test_schema(void)
{
	size_t bad = 0;
	for (size_t i = 0; i < config_schema_len; i++) {
		const struct config_key *k = &config_schema[i];
		if (!k->doc || !*k->doc || !k->example || !*k->example || (!k->def && !k->def_doc)) {
			printf("# %s: undocumented\n", k->name);
			bad++;
		}
		if (k->scope != SC_CONTAINER && k->scope != SC_NETWORK && k->scope != SC_MOUNT &&
		    k->scope != SC_FORWARD)
			continue;
		char *text;
		if (k->scope == SC_FORWARD)
			text = xasprintf("network eth0 { address = 10.77.0.10/24 }\nforward tcp/8080 {\n  %s = %s\n}\n",
					 k->name, k->example);
		else if (k->type == KT_SECTION && !strcmp(k->name, "forward"))
			text = xasprintf("network eth0 { address = 10.77.0.10/24 }\nforward %s { }\n", k->example);
		else if (k->type == KT_SECTION)
			text = xasprintf("%s %s {\n%s}\n", k->name, k->example,
					 !strcmp(k->name, "mount") ? "source = /srv\n" : "");
		else if (k->scope == SC_CONTAINER)
			text = xasprintf("%s%s = %s\n", !strcmp(k->name, "swap") ? "memory = 1G\n" : "", k->name,
					 k->example);
		else if (k->scope == SC_NETWORK)
			text = xasprintf("network eth0 {\n%s  %s = %s\n}\n",
					 strcmp(k->name, "address") ? "  address = {10.77.0.10/24, fd77::10/64}\n" : "",
					 k->name, k->example);
		else
			text = xasprintf("mount /x {\n  %s%s = %s\n}\n",
					 strcmp(k->name, "source") ? "source = /y\n" : "", k->name, k->example);
		box_err_t err = NULL;
		if (config_load_buffer(text, strlen(text), "x.conf", "x", NULL, &err) < 0) {
			printf("# example of %s: %s\n", k->name, err->msg);
			bad++;
		}
		box_error_release(&err);
		free(text);
	}
	tap_ok(bad == 0, "every key documented, every example valid (%zu schema keys)", config_schema_len);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	config_print_keys(f);
	fclose(f);
	size_t rows = 0;
	for (char *p = text; (p = strstr(p, "\n| ")); p++)
		rows++;
	tap_ok(rows == config_schema_len, "box config keys: one row per key (%zu)", rows);
	tap_ok(strstr(text, "| `memory` | size | max | `512M` |") != NULL, "memory's row");

	/* the README's reference names every key (tests/run runs this from the top) */
	cleanup_free char *readme = NULL;
	box_err_t err = NULL;
	if (!tap_ok(read_file_at(AT_FDCWD, "README.md", &readme, NULL, &err) == 0, "README.md is readable")) {
		cleanup_free char *t = box_error_text(err);
		printf("#   %s (run from the top of the tree)\n", t);
	} else {
		size_t missing = 0;
		for (size_t i = 0; i < config_schema_len; i++) {
			/* a key as `name`, a section as `name TITLE, a section's key as { name } */
			cleanup_free char *k = xasprintf("`%s`", config_schema[i].name);
			cleanup_free char *sec = xasprintf("`%s TITLE", config_schema[i].name);
			cleanup_free char *sk = xasprintf("{ %s }", config_schema[i].name);
			if (!strstr(readme, k) && !strstr(readme, sec) && !strstr(readme, sk)) {
				printf("# README.md lacks %s\n", config_schema[i].name);
				missing++;
			}
		}
		tap_ok(missing == 0, "README.md names every key of the schema");
	}
	box_error_release(&err);
	free(text);
}

static char dir[64];

static void put_file(const char *name, const char *text)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	box_err_t err = NULL;
	if (write_file_atomic(p, text, strlen(text), 0644, &err) < 0) {
		printf("# %s\n", err->msg);
		box_error_release(&err);
	}
}

static char *get_file(const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	char *s = NULL;
	box_err_t err = NULL;
	if (read_file_at(AT_FDCWD, p, &s, NULL, &err) < 0)
		box_error_release(&err);
	return s;
}

/* The same checks when the others' briefs are cached: most others are
 * passed over at a look at their brief (config_briefs_may_clash), the
 * ones that may clash loaded, with the same messages. */
static void test_briefs_clash(const char *want_addr, const char *want_mac)
{
	box_err_t err = NULL;
	sleep(2); /* a config changed in the second before is never cached (racily clean) */
	struct config_briefs *b = config_briefs_open();
	struct box_config *o1 = NULL, *o2 = NULL;
	tap_ok(config_briefs_load(b, "db", &o1, &err) == 0 && config_briefs_load(b, "web", &o2, &err) == 0,
	       "briefs made");
	config_free(o1);
	config_free(o2);
	config_briefs_close(b);
	static const struct {
		const char *text, *path, *what;
		int db, web; /* config_briefs_may_clash against each */
	} cases[] = {
		{ "network eth0 {\n  bridge = box0\n  address = 10.77.0.21/24\n}\n", "new.conf", "another address", 0,
		  0 },
		{ "hostname = x\nnetwork eth0 {\n  bridge = box0\n  address = 10.77.0.20/16\n}\n",
		  "/etc/boxes/new.conf", "db's IP, other prefix", 1, 0 },
		{ "network eth0 {\n  bridge = box1\n  address = 10.77.0.20/24\n}\n", "new.conf",
		  "db's IP, other bridge", 0, 0 },
		{ "network eth0 {\n  bridge = box0\n  address = 10.77.0.99/24\n  hwaddr = 02:00:00:00:00:10\n}\n",
		  "new.conf", "web's MAC", 0, 1 },
		{ "network eth1 {\n  bridge = box9\n}\nnetwork eth0 {\n  bridge = box0\n  address = 10.77.0.10/24\n}\n",
		  "new.conf", "web's IP on a second network", 0, 1 },
		{ "network eth0 {\n  bridge = box0\n  address = fd77::20/64\n}\n", "new.conf", "an IPv6 address", 0,
		  0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct box_config *c = NULL;
		config_load_buffer(cases[i].text, strlen(cases[i].text), cases[i].path, "new", &c, &err);
		b = config_briefs_open();
		tap_ok(c && config_briefs_may_clash(b, "db", c) == cases[i].db &&
			   config_briefs_may_clash(b, "web", c) == cases[i].web,
		       "%s: a look at the briefs of db and web", cases[i].what);
		config_briefs_close(b);
		int r = c ? config_check_conflicts(c, &err) : 0;
		tap_ok(c && (r < 0) == (cases[i].db || cases[i].web), "%s: the check agrees", cases[i].what);
		if (i == 1)
			tap_streq(err ? err->msg : NULL, want_addr, "the conflict message from a brief");
		if (i == 3)
			tap_streq(err ? err->msg : NULL, want_mac, "the MAC conflict message from a brief");
		config_free(c);
		box_error_release(&err);
	}
}

static void test_dir(void)
{
	box_err_t err = NULL;
	struct box_global *g = NULL;
	tap_ok(global_load(&g, &err) == 0 && g, "a missing boxes.conf gives the defaults");
	tap_streq(g ? g->cgroup_parent : NULL, "boxes", "cgroup_parent defaults to boxes");
	tap_ok(g && g->n_bridges == 0, "no bridges");
	tap_ok(g && g->log_size == 8u << 20, "log_size defaults to 8M");
	global_free(g);

	put_file("boxes.conf", "cgroup_parent = /machine/boxes/\n# the bridge\nbridge box0 {\n"
			       "  address = {10.77.0.1/24, fd77::1/64}\n  mtu = 1500\n}\n");
	put_file("web.conf", "network eth0 {\n  bridge = box0\n  address = 10.77.0.10/24\n"
			     "  hwaddr = 02:00:00:00:00:10\n}\n");
	put_file("db.conf", "# the database\nnetwork eth0 {\n  bridge = box0\n  address = 10.77.0.20/24\n}\n");
	put_file("a-1.conf", "");
	put_file("notes.txt", "");
	put_file("Bad_Name.conf", "");

	g = NULL;
	tap_ok(global_load(&g, &err) == 0 && g, "boxes.conf loads");
	tap_streq(g ? g->cgroup_parent : NULL, "machine/boxes", "cgroup_parent normalised");
	const struct box_bridge *b = global_find_bridge(g, "box0");
	tap_ok(b && b->n_addrs == 2 && b->mtu == 1500 && b->line == 3, "bridge box0");
	tap_ok(!global_find_bridge(g, "box1"), "no bridge box1");
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		global_write(f, g);
		fclose(f);
		struct box_global *g2 = NULL;
		tap_ok(global_load_buffer_report(text, len, "w.conf", &g2, NULL, NULL, &err) == 0 && g2,
		       "global_write's output loads");
		const struct box_bridge *b2 = global_find_bridge(g2, "box0");
		tap_ok(g2 && !strcmp(g2->cgroup_parent, "machine/boxes") && b2 && b2->n_addrs == 2 && b2->mtu == 1500 &&
			   !strcmp(b2->addrs[1].text, "fd77::1/64"),
		       "boxes.conf round-trips");
		global_free(g2);
		free(text);
	}
	global_free(g);
	box_error_release(&err);

	const char *gbad = "bridge box0 {\n  address = 10.77.0.1\n}\n";
	tap_ok(global_load_buffer_report(gbad, strlen(gbad), "boxes.conf", NULL, NULL, NULL, &err) < 0,
	       "bad boxes.conf");
	tap_streq(err ? err->msg : NULL,
		  "boxes.conf:2: bridge box0: address: '10.77.0.1' has no prefix length (an IPv4 or IPv6 address "
		  "with its prefix length, like 10.0.0.2/24 or fd00::2/64)",
		  "bad boxes.conf message");
	box_error_release(&err);
	gbad = "cgroup_parent = ../x\n";
	global_load_buffer_report(gbad, strlen(gbad), "boxes.conf", NULL, NULL, NULL, &err);
	tap_streq(err ? err->msg : NULL,
		  "boxes.conf:1: cgroup_parent: '../x' is not a cgroup path (names of letters, digits, '_', '-', "
		  "'.', separated by '/', like boxes or machine/boxes)",
		  "bad cgroup_parent");
	box_error_release(&err);
	gbad = "memory = 1G\n";
	global_load_buffer_report(gbad, strlen(gbad), "boxes.conf", NULL, NULL, NULL, &err);
	tap_streq(err ? err->msg : NULL, "boxes.conf:1: memory: unknown key (see 'box config keys' for every key)",
		  "a container key in boxes.conf");
	box_error_release(&err);

	char **names = NULL;
	tap_ok(config_list(&names, &err) == 0, "config_list");
	tap_ok(names && strv_len(names) == 3 && !strcmp(names[0], "a-1") && !strcmp(names[1], "db") &&
		   !strcmp(names[2], "web"),
	       "config_list: sorted container names, not boxes.conf, not bad names");
	strv_free(names);

	struct box_config *c = NULL;
	tap_ok(config_load("web", &c, &err) == 0 && c, "config_load web");
	tap_ok(c && config_check_conflicts(c, &err) == 0, "web conflicts with nobody");
	config_free(c);
	box_error_release(&err);
	tap_ok(config_load("nope", &c, &err) < 0 && err && err->status == 2, "config_load of a missing container");
	box_error_release(&err);
	tap_ok(config_load("../etc", &c, &err) < 0 && err && err->status == 2, "config_load of a bad name");
	box_error_release(&err);

	/* conflicts: same IP on the same bridge, the host's own address, a MAC */
	const char *text = "hostname = x\nnetwork eth0 {\n  bridge = box0\n  address = 10.77.0.20/16\n}\n";
	config_load_buffer(text, strlen(text), "/etc/boxes/new.conf", "new", &c, &err);
	tap_ok(c && config_check_conflicts(c, &err) < 0 && err && err->status == 2, "an address of db conflicts");
	cleanup_free char *want = xasprintf("/etc/boxes/new.conf:4: network eth0: address: 10.77.0.20/16 is already "
					    "used by container db on bridge box0 (%s/db.conf:4; each address once per "
					    "bridge)",
					    dir);
	tap_streq(err ? err->msg : NULL, want, "the conflict names the other container and its file:line");
	config_free(c);
	box_error_release(&err);
	text = "network eth0 {\n  bridge = box1\n  address = 10.77.0.20/24\n}\n";
	config_load_buffer(text, strlen(text), "new.conf", "new", &c, &err);
	tap_ok(c && config_check_conflicts(c, &err) == 0, "the same address on another bridge is fine");
	config_free(c);
	text = "network eth0 {\n  bridge = box0\n  address = 10.77.0.1/24\n}\n";
	config_load_buffer(text, strlen(text), "new.conf", "new", &c, &err);
	tap_ok(c && config_check_conflicts(c, &err) < 0, "the host's bridge address conflicts");
	cleanup_free char *want2 = xasprintf("new.conf:3: network eth0: address: 10.77.0.1/24 is the host's address on "
					     "bridge box0 (%s/boxes.conf:4; another address in the subnet)",
					     dir);
	tap_streq(err ? err->msg : NULL, want2, "host address conflict message");
	config_free(c);
	box_error_release(&err);
	text = "network eth0 {\n  bridge = box0\n  address = 10.77.0.99/24\n  hwaddr = 02:00:00:00:00:10\n}\n";
	config_load_buffer(text, strlen(text), "new.conf", "new", &c, &err);
	tap_ok(c && config_check_conflicts(c, &err) < 0, "a duplicate hwaddr on the bridge conflicts");
	cleanup_free char *want3 = xasprintf("new.conf:4: network eth0: hwaddr: 02:00:00:00:00:10 is already used by "
					     "container web on bridge box0 (%s/web.conf:4; each MAC once per bridge)",
					     dir);
	tap_streq(err ? err->msg : NULL, want3, "hwaddr conflict message");
	config_free(c);
	box_error_release(&err);
	test_briefs_clash(want, want3);
}

static void test_set_keys(void)
{
	box_err_t err = NULL;
	const char *orig = "# web server\n"
			   "template = debian.tar.gz\n"
			   "memory   = 512M   # half a gig\n"
			   "\n"
			   "network eth0 {\n"
			   "  bridge  = box0\n"
			   "  address = 10.77.0.30/24\n"
			   "}\n";
	put_file("s.conf", orig);
	char *set1[] = { "memory=1G", "cpus=2", NULL };
	tap_ok(config_set_keys("s", set1, &err) == 0, "set memory=1G cpus=2%s%s", err ? ": " : "", err ? err->msg : "");
	box_error_release(&err);
	cleanup_free char *got = get_file("s.conf");
	tap_streq(got,
		  "# web server\n"
		  "template = debian.tar.gz\n"
		  "memory = 1G   # half a gig\n"
		  "cpus = 2\n"
		  "\n"
		  "network eth0 {\n"
		  "  bridge  = box0\n"
		  "  address = 10.77.0.30/24\n"
		  "}\n",
		  "the line is edited, the new key follows the last key, comments and sections stay");

	char *set2[] = { "memory=", "nameserver={1.1.1.1, 9.9.9.9}", "halt_signal=SIGRTMIN+3", "hostname=a b", NULL };
	tap_ok(config_set_keys("s", set2, &err) < 0 && err && err->status == 2, "a bad value fails with status 2");
	tap_streq(err ? err->msg : NULL,
		  "hostname: 'a b' has a character that is not a letter, digit, '-' or '.' (letters, digits and '-' "
		  "in dot-separated labels, at most 64 bytes)",
		  "the bad value's message");
	box_error_release(&err);
	cleanup_free char *same = get_file("s.conf");
	tap_streq(same, got, "nothing changes on an error");

	set2[3] = NULL;
	tap_ok(config_set_keys("s", set2, &err) == 0, "remove memory, set a list and a signal%s%s", err ? ": " : "",
	       err ? err->msg : "");
	box_error_release(&err);
	cleanup_free char *got2 = get_file("s.conf");
	tap_streq(got2,
		  "# web server\n"
		  "template = debian.tar.gz\n"
		  "cpus = 2\n"
		  "nameserver = {1.1.1.1, 9.9.9.9}\n"
		  "halt_signal = SIGRTMIN+3\n"
		  "\n"
		  "network eth0 {\n"
		  "  bridge  = box0\n"
		  "  address = 10.77.0.30/24\n"
		  "}\n",
		  "an empty value removes the key");
	struct box_config *c = NULL;
	tap_ok(config_load("s", &c, &err) == 0 && c && c->memory == BOX_UNLIMITED && c->cpus_milli == 2000 &&
		   c->halt_signal == SIGRTMIN + 3 && strv_len(c->nameservers) == 2,
	       "the edited file loads with the new values");
	config_free(c);
	box_error_release(&err);

	char *set3[] = { "swap=1G", NULL };
	tap_ok(config_set_keys("s", set3, &err) < 0, "swap without memory is refused");
	cleanup_free char *want = xasprintf("%s/s.conf:6: swap: a swap limit needs a memory limit (set memory too, or "
					    "swap = max)",
					    dir);
	tap_streq(err ? err->msg : NULL, want, "checks across keys name the edited file's line");
	box_error_release(&err);
	char *set4[] = { "network=x", NULL };
	tap_ok(config_set_keys("s", set4, &err) < 0, "a section cannot be set");
	tap_streq(err ? err->msg : NULL, "network: is a section, set it by editing the config file", "section message");
	box_error_release(&err);
	char *set5[] = { "memroy=1G", NULL };
	config_set_keys("s", set5, &err);
	tap_streq(err ? err->msg : NULL, "memroy: unknown key (see 'box config keys' for every key)", "unknown key");
	box_error_release(&err);
	char *set_sp[] = { " cpus = 3 ", NULL };
	tap_ok(config_set_keys("s", set_sp, &err) == 0, "spaces around key and value are fine");
	box_error_release(&err);
	char *set6[] = { "memory", NULL };
	config_set_keys("s", set6, &err);
	tap_streq(err ? err->msg : NULL, "'memory' is not KEY=VALUE (like memory=1G)", "not an assignment");
	box_error_release(&err);
	tap_ok(config_set_keys("nope", set1, &err) < 0 && err && err->status == 2, "set on a missing container");
	box_error_release(&err);
	char *set7[] = { "environment={\"A=1\",\n\"B=2\"}", NULL };
	tap_ok(config_set_keys("s", set7, &err) == 0, "a multi-line list value");
	box_error_release(&err);
	char *set8[] = { "environment=C=3", NULL };
	tap_ok(config_set_keys("s", set8, &err) == 0, "a multi-line list is replaced");
	box_error_release(&err);
	cleanup_free char *got3 = get_file("s.conf");
	tap_ok(got3 && strstr(got3, "environment = {\"C=3\"}\n") && !strstr(got3, "B=2"),
	       "the whole list was replaced");
	char *set9[] = { "network_x=1", NULL };
	config_set_keys("s", set9, &err);
	box_error_release(&err);
	cleanup_free char *got4 = get_file("s.conf");
	tap_streq(got4, got3, "unchanged after another error");

	put_file("crowded.conf", "memory = 1G cpus = 2\n");
	tap_ok(config_set_keys("crowded", set1, &err) < 0, "a line with two keys is not edited");
	box_error_release(&err);
	put_file("empty.conf", "");
	tap_ok(config_set_keys("empty", set1, &err) == 0, "set into an empty file");
	cleanup_free char *got5 = get_file("empty.conf");
	tap_streq(got5, "memory = 1G\ncpus = 2\n", "keys appended to an empty file");
	box_error_release(&err);
	put_file("conflict.conf", "network eth0 {\n  bridge = box0\n  address = 10.77.0.31/24\n}\n");
	char *set10[] = { "hostname=ok", NULL };
	tap_ok(config_set_keys("conflict", set10, &err) == 0, "set on a file without top-level keys");
	box_error_release(&err);
	cleanup_free char *got6 = get_file("conflict.conf");
	tap_streq(got6, "hostname = ok\nnetwork eth0 {\n  bridge = box0\n  address = 10.77.0.31/24\n}\n",
		  "a new key goes first when the file has no top-level key");
}

static void cleanup_dir_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		cleanup_free char *p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/box-test-config.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	setenv("BOX_CONFIG_DIR", dir, 1);
	setenv("BOX_RUN_DIR", dir, 1); /* the brief cache (config/brief.h) */
	test_bad();
	test_all_errors();
	test_defaults();
	test_roundtrip();
	test_schema();
	test_dir();
	test_set_keys();
	cleanup_dir_files();
	return tap_done();
}
