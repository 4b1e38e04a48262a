/* The net module: generated names and MACs (any user), and, as root, the
 * real thing on throw-away network namespaces: two "containers" (children
 * in their own netns) on a test bridge reach each other and the bridge over
 * IPv4 and IPv6, with the configured MAC and MTU; type empty has only lo;
 * failures leave nothing behind; stale host ends are found from the config.
 * Every netdev it makes is named from the pid and removed at exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "net/internal.h"
#include "net/net.h"
#include "tap.h"
#include "base/util.h"

static char bridge[IFNAMSIZ], bridge_ip[32], bridge_ip6[64];
static int sub_a, sub_b; /* 10.sub_a.sub_b.0/24, from the pid */

static void addr(struct box_addr *a, const char *text)
{
	char buf[64];
	char *slash;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s", text);
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	a->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->family, buf, a->addr) != 1)
		abort();
	a->prefix = slash ? (unsigned)atoi(slash) : a->family == AF_INET6 ? 128 : 32;
}

/* A config as config.c would hand it over: one network section. */
struct tconf {
	struct box_config c;
	struct box_net net;
	struct box_addr addrs[2];
};

static void tconf_init(struct tconf *t, const char *name, enum box_net_type type, int host_no)
{
	char a4[64], a6[64], gw[64];

	memset(t, 0, sizeof(*t));
	t->c.name = (char *)name;
	t->c.path = (char *)"test.conf";
	t->c.nets = &t->net;
	t->c.n_nets = 1;
	snprintf(t->net.name, IFNAMSIZ, "eth0");
	t->net.type = type;
	t->net.line = 7;
	if (type != NET_VETH)
		return;
	snprintf(t->net.bridge, IFNAMSIZ, "%s", bridge);
	snprintf(a4, sizeof(a4), "10.%d.%d.%d/24", sub_a, sub_b, host_no);
	snprintf(a6, sizeof(a6), "fd00:b0c5:%x:%x::%d/64", sub_a, sub_b, host_no);
	snprintf(gw, sizeof(gw), "10.%d.%d.1", sub_a, sub_b);
	addr(&t->addrs[0], a4);
	addr(&t->addrs[1], a6);
	addr(&t->net.gateway4, gw);
	t->net.has_gateway4 = true;
	t->net.addrs = t->addrs;
	t->net.n_addrs = 2;
}

/* A stand-in for the container: a child in a new netns that waits for "go"
 * and then runs `fn` there; its exit status is fn's result. */
struct kid {
	pid_t pid;
	int go;	  /* write a byte: run */
	int done; /* fn's one-line report */
};

static struct kid spawn(int (*fn)(int out, void *arg), void *arg)
{
	int ready[2], go[2], done[2];
	struct kid k = { 0 };
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		abort();
	k.pid = fork();
	if (k.pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(done[0]);
		/* as the container's child does: lo is its own business */
		if (unshare(CLONE_NEWNET) < 0 || net_loopback_up(NULL) < 0)
			_exit(100);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(101);
		_exit(fn(done[1], arg));
	}
	close(ready[1]);
	close(go[0]);
	close(done[1]);
	if (read(ready[0], &c, 1) != 1)
		abort();
	close(ready[0]);
	k.go = go[1];
	k.done = done[0];
	return k;
}

static void kid_go(struct kid *k)
{
	if (write(k->go, "g", 1) != 1)
		abort();
}

/* Waits for the kid's exit; returns its status and its report in msg. */
static int kid_wait(struct kid *k, char *msg, size_t len)
{
	ssize_t n = read(k->done, msg, len - 1);
	int st;

	msg[n > 0 ? n : 0] = '\0';
	close(k->done);
	close(k->go);
	waitpid(k->pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kid_kill(struct kid *k)
{
	kill(k->pid, SIGKILL);
	close(k->done);
	close(k->go);
	waitpid(k->pid, NULL, 0);
}

/* TCP connect with a timeout: reachability without raw sockets. */
static int reach(int family, const char *ip, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int e = 0;
	socklen_t el = sizeof(e);

	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s->sin_addr);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s->sin6_addr);
		len = sizeof(*s);
	}
	if (connect(fd, (void *)&ss, len) < 0 && errno != EINPROGRESS) {
		e = errno;
		close(fd);
		return e;
	}
	if (poll(&p, 1, 3000) != 1) {
		close(fd);
		return ETIMEDOUT;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
	close(fd);
	return e;
}

static int listen_on(int family, const char *ip, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int one = 1;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, ip, &s->sin_addr);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &s->sin6_addr);
		len = sizeof(*s);
	}
	if (bind(fd, (void *)&ss, len) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct inside_want {
	unsigned char mac[6];
	unsigned mtu;
	char ip[32], ip6[64];
	char peer_ip[32], peer_ip6[64]; /* "" = don't try */
	int listen_fd_out;
};

static void report(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int out, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(out, buf, (size_t)n) < 0)
		return;
}

/* Inside the netns: eth0 has the MAC, MTU, addresses; lo is up; the default
 * route is there; then listen (first kid) or reach the others (second). */
static int check_inside(int out, void *arg)
{
	struct inside_want *w = arg;
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char route[4096] = "";
	int r;

	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
		return report(out, "lo is not up"), 1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "eth0");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP) || !(ifr.ifr_flags & IFF_MULTICAST))
		return report(out, "eth0 is not up with multicast (flags %#x)", ifr.ifr_flags), 2;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || memcmp(ifr.ifr_hwaddr.sa_data, w->mac, 6) != 0)
		return report(out, "eth0 has another MAC"), 3;
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0 || (unsigned)ifr.ifr_mtu != w->mtu)
		return report(out, "eth0 MTU %d, want %u", ifr.ifr_mtu, w->mtu), 4;
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0 ||
	    strcmp(inet_ntoa(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr), w->ip) != 0)
		return report(out, "eth0 lacks %s", w->ip), 5;
	close(fd);
	fd = open("/proc/self/net/route", O_RDONLY | O_CLOEXEC);
	r = (int)read(fd, route, sizeof(route) - 1);
	close(fd);
	/* "eth0 00000000 <gateway>": the default route */
	if (r <= 0 || !strstr(route, "eth0\t00000000\t"))
		return report(out, "no default route on eth0"), 6;
	if (!w->peer_ip[0]) {
		int l4 = listen_on(AF_INET, w->ip, 4242), l6 = listen_on(AF_INET6, w->ip6, 4242);
		if (l4 < 0 || l6 < 0)
			return report(out, "cannot listen on %s / %s: %m", w->ip, w->ip6), 7;
		report(out, "listening");
		pause(); /* killed by the test */
		return 0;
	}
	if ((r = reach(AF_INET, w->peer_ip, 4242)))
		return report(out, "%s does not answer: %s", w->peer_ip, strerror(r)), 8;
	if ((r = reach(AF_INET6, w->peer_ip6, 4242)))
		return report(out, "[%s] does not answer: %s", w->peer_ip6, strerror(r)), 9;
	if ((r = reach(AF_INET, bridge_ip, 4243)))
		return report(out, "the bridge %s does not answer: %s", bridge_ip, strerror(r)), 10;
	if ((r = reach(AF_INET6, bridge_ip6, 4243)))
		return report(out, "the bridge [%s] does not answer: %s", bridge_ip6, strerror(r)), 11;
	report(out, "all reached");
	return 0;
}

static int check_only_lo(int out, void *arg)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return report(out, "getifaddrs: %m"), 1;
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") != 0)
			return report(out, "found %s", i->ifa_name), 2;
		if (!(i->ifa_flags & IFF_UP))
			return report(out, "lo is down"), 3;
		n++;
	}
	freeifaddrs(ifa);
	return n ? 0 : (report(out, "no lo"), 4);
}

static int idle(int out, void *arg)
{
	pause();
	return 0;
}

static void pr_err(box_err_t e)
{
	char *t = e ? box_error_text(e) : NULL;
	printf("#   %s\n", t ? t : "(no error)");
	free(t);
}

static bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static struct tconf *cleanup_confs[8];

static void cleanup(void)
{
	struct net_sock s;
	box_err_t e = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cleanup_confs); i++)
		if (cleanup_confs[i])
			net_cleanup(&cleanup_confs[i]->c, &e), box_error_release(&e);
	if (net_sock_open(&s, -1, &e) == 0) {
		net_nl_link_delete(&s, bridge, &e);
		net_sock_close(&s);
	}
	box_error_release(&e);
}

static void test_pure(void)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];
	unsigned char m1[6], m2[6];
	char text[18];
	int clashes = 0;

	net_host_ifname("web", "eth0", a);
	net_host_ifname("web", "eth0", b);
	net_host_ifname("web", "eth1", c);
	tap_streq(a, b, "host ifname is deterministic");
	tap_ok(strcmp(a, c) != 0, "host ifname differs per interface (%s, %s)", a, c);
	tap_ok(strlen(a) == 15 && !strncmp(a, "vb", 2), "host ifname is vb + 13 chars: %s", a);
	net_host_ifname("a-very-long-container-name-that-uses-all-63-bytes-of-the-limit-x", "a-long-ifname15", c);
	tap_ok(strlen(c) < IFNAMSIZ, "host ifname fits IFNAMSIZ for the longest names");
	/* "ab"+"c" vs "a"+"bc" must differ: the separator is hashed */
	net_host_ifname("ab", "c", b);
	net_host_ifname("a", "bc", c);
	tap_ok(strcmp(b, c) != 0, "host ifname separates container and interface");
	for (int i = 0; i < 2000; i++) {
		char n1[32], x[IFNAMSIZ], y[IFNAMSIZ];
		snprintf(n1, sizeof(n1), "ct%d", i);
		net_host_ifname(n1, "eth0", x);
		snprintf(n1, sizeof(n1), "ct%d", i + 1);
		net_host_ifname(n1, "eth0", y);
		clashes += !strcmp(x, y);
	}
	tap_ok(clashes == 0, "no clash between neighbouring names");

	net_default_hwaddr("web", "eth0", m1);
	net_default_hwaddr("web", "eth0", m2);
	tap_ok(!memcmp(m1, m2, 6), "default MAC is stable");
	tap_ok((m1[0] & 0x02) && !(m1[0] & 0x01), "default MAC is locally administered unicast");
	net_default_hwaddr("web2", "eth0", m2);
	tap_ok(memcmp(m1, m2, 6) != 0, "default MAC differs per container");
	net_format_hwaddr((const unsigned char[]){ 0x02, 0xab, 0, 0x10, 0xff, 1 }, text);
	tap_streq(text, "02:ab:00:10:ff:01", "MAC text");

	struct tconf t;
	struct net_desc *d;
	bridge[0] = 'x';
	sub_a = 1, sub_b = 2;
	tconf_init(&t, "web", NET_VETH, 5);
	size_t n = net_describe(&t.c, &d);
	char want[IFNAMSIZ];
	net_host_ifname("web", "eth0", want);
	tap_ok(n == 1 && !strcmp(d[0].host_ifname, want) && d[0].hwaddr_default && strlen(d[0].hwaddr_text) == 17,
	       "describe: host name and default MAC");
	free(d);
	char *l = net_ipv4_list(&t.c);
	tap_streq(l, "10.1.2.5", "IPv4 list without prefix and without IPv6");
	free(l);
	tap_ok(net_wants_netns(&t.c), "veth wants a netns");
	t.net.type = NET_HOST;
	tap_ok(!net_wants_netns(&t.c), "host does not");
	t.c.n_nets = 0;
	tap_ok(net_wants_netns(&t.c), "no network section: own netns");
	bridge[0] = '\0';
}

static void setup_names(void)
{
	int pid = getpid();
	sub_a = 128 + (pid >> 8) % 120;
	sub_b = pid & 0xff;
	snprintf(bridge, IFNAMSIZ, "bxn%d", pid);
	snprintf(bridge_ip, sizeof(bridge_ip), "10.%d.%d.1", sub_a, sub_b);
	snprintf(bridge_ip6, sizeof(bridge_ip6), "fd00:b0c5:%x:%x::1", sub_a, sub_b);
	atexit(cleanup);
}

/* tools/bench.d/net.sh: `test-net --bench N` prints, per run, the time of
 * net_setup for one veth on an existing bridge (IPv4 + IPv6 + gateway) and
 * of net_teardown after the "container" died, in ms. */
static int bench(int runs)
{
	static struct tconf t;
	char name[32];
	box_err_t e = NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "test-net --bench needs root\n");
		return 1;
	}
	setup_names();
	snprintf(name, sizeof(name), "bench%d", getpid());
	tconf_init(&t, name, NET_VETH, 2);
	cleanup_confs[0] = &t;
	for (int i = -1; i < runs; i++) {
		struct kid k = spawn(idle, NULL);
		struct net_state *st = NULL;
		uint64_t t0 = now_ns();
		if (net_setup(&t.c, NULL, k.pid, &st, &e) < 0) {
			pr_err(e);
			kid_kill(&k);
			return 1;
		}
		uint64_t t1 = now_ns();
		kid_kill(&k);
		uint64_t t2 = now_ns();
		net_teardown(st, &e);
		uint64_t t3 = now_ns();
		net_state_free(st);
		box_error_release(&e);
		if (i >= 0) /* the first run creates the bridge: not counted */
			printf("%.3f %.3f\n", (double)(t1 - t0) / 1e6, (double)(t3 - t2) / 1e6);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return bench(atoi(argv[2]));
	test_pure();
	if (geteuid() != 0) {
		printf("ok %d - real netns tests # skip not root\n", ++tap_n);
		return tap_done();
	}
	signal(SIGPIPE, SIG_IGN);

	int pid = getpid();
	setup_names();

	/* boxes.conf: the bridge with an IPv4 and an IPv6 address and mtu 1400 */
	struct box_addr baddrs[2];
	char b4[64], b6[80];
	snprintf(b4, sizeof(b4), "%s/24", bridge_ip);
	snprintf(b6, sizeof(b6), "%s/64", bridge_ip6);
	addr(&baddrs[0], b4);
	addr(&baddrs[1], b6);
	struct box_bridge gb = { .addrs = baddrs, .n_addrs = 2, .mtu = 1400, .line = 3 };
	snprintf(gb.name, IFNAMSIZ, "%s", bridge);
	struct box_global g = { .path = (char *)"boxes.conf", .bridges = &gb, .n_bridges = 1 };

	char name_a[32], name_b[32];
	snprintf(name_a, sizeof(name_a), "t%d-a", pid);
	snprintf(name_b, sizeof(name_b), "t%d-b", pid);
	static struct tconf ta, tb;
	tconf_init(&ta, name_a, NET_VETH, 2);
	tconf_init(&tb, name_b, NET_VETH, 3);
	ta.net.has_hwaddr = true;
	memcpy(ta.net.hwaddr, (unsigned char[]){ 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 }, 6);
	tb.net.mtu = 1280;
	cleanup_confs[0] = &ta;
	cleanup_confs[1] = &tb;

	struct inside_want wa = { .mtu = 1400 }, wb = { .mtu = 1280 };
	memcpy(wa.mac, ta.net.hwaddr, 6);
	net_default_hwaddr(name_b, "eth0", wb.mac);
	snprintf(wa.ip, sizeof(wa.ip), "10.%d.%d.2", sub_a, sub_b);
	snprintf(wa.ip6, sizeof(wa.ip6), "fd00:b0c5:%x:%x::2", sub_a, sub_b);
	snprintf(wb.ip, sizeof(wb.ip), "10.%d.%d.3", sub_a, sub_b);
	snprintf(wb.ip6, sizeof(wb.ip6), "fd00:b0c5:%x:%x::3", sub_a, sub_b);
	memcpy(wb.peer_ip, wa.ip, sizeof(wa.ip));
	memcpy(wb.peer_ip6, wa.ip6, sizeof(wa.ip6));

	struct kid ka = spawn(check_inside, &wa), kb = spawn(check_inside, &wb);
	struct net_state *sa = NULL, *sb = NULL;
	box_err_t e = NULL;
	char msg[256], ha[IFNAMSIZ], hb[IFNAMSIZ];
	net_host_ifname(name_a, "eth0", ha);
	net_host_ifname(name_b, "eth0", hb);

	setenv("BOX_NET_TIMING", "1", 1);
	int r = net_setup(&ta.c, &g, ka.pid, &sa, &e);
	if (!tap_ok(r == 0 && sa, "net_setup A (creates the bridge)"))
		pr_err(e), box_error_release(&e);
	r = net_setup(&tb.c, &g, kb.pid, &sb, &e);
	if (!tap_ok(r == 0 && sb, "net_setup B (bridge exists)"))
		pr_err(e), box_error_release(&e);
	tap_ok(link_exists(bridge) && link_exists(ha) && link_exists(hb), "bridge and host ends exist");

	int l4 = listen_on(AF_INET, bridge_ip, 4243), l6 = listen_on(AF_INET6, bridge_ip6, 4243);
	tap_ok(l4 >= 0 && l6 >= 0, "the host listens on the bridge's addresses");
	kid_go(&ka);
	ssize_t n = read(ka.done, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	tap_streq(msg, "listening", "A: MAC, MTU (the bridge's), address, default route, lo up");
	kid_go(&kb);
	r = kid_wait(&kb, msg, sizeof(msg));
	if (!tap_ok(r == 0, "B: default MAC, MTU 1280, reaches A and the bridge over IPv4 and IPv6"))
		printf("#   status %d: %s\n", r, msg);
	kid_kill(&ka);
	close(l4);
	close(l6);

	/* the netns are gone with the kids; teardown copes either way */
	tap_ok(net_teardown(sa, &e) == 0 && net_teardown(sb, &e) == 0, "teardown");
	box_error_release(&e);
	tap_ok(!link_exists(ha) && !link_exists(hb), "no host end left after teardown");
	tap_ok(link_exists(bridge), "the bridge stays");
	net_state_free(sa);
	net_state_free(sb);

	/* a leftover host end of the same container (crashed supervisor) is replaced */
	struct kid k1 = spawn(idle, NULL), k2 = spawn(idle, NULL);
	r = net_setup(&ta.c, &g, k1.pid, &sa, &e);
	box_error_release(&e);
	r |= net_setup(&ta.c, &g, k2.pid, &sb, &e);
	if (!tap_ok(r == 0, "a stale host end of the same container is replaced"))
		pr_err(e), box_error_release(&e);
	net_state_free(sa);
	net_state_free(sb);
	tap_ok(net_cleanup(&ta.c, &e) == 0 && !link_exists(ha), "net_cleanup finds it from the config");
	box_error_release(&e);
	kid_kill(&k1);
	kid_kill(&k2);

	/* a host end name taken by something that is not ours: refused, left alone */
	struct net_sock hs;
	net_sock_open(&hs, -1, &e);
	net_nl_bridge_create(&hs, ha, 0, &e);
	box_error_release(&e);
	k1 = spawn(idle, NULL);
	r = net_setup(&ta.c, &g, k1.pid, &sa, &e);
	tap_ok(r < 0 && e && strstr(e->msg, "taken by another interface") && link_exists(ha),
	       "a foreign interface with the host-side name is refused and kept");
	pr_err(e);
	box_error_release(&e);
	tap_ok(net_cleanup(&ta.c, &e) == 0 && link_exists(ha), "net_cleanup leaves a foreign interface");
	net_nl_link_delete(&hs, ha, &e);
	kid_kill(&k1);

	/* a bridge name that is not a bridge: clear error, nothing made */
	tconf_init(&tb, name_b, NET_VETH, 3);
	snprintf(tb.net.bridge, IFNAMSIZ, "lo");
	k1 = spawn(idle, NULL);
	r = net_setup(&tb.c, &g, k1.pid, &sb, &e);
	tap_ok(r < 0 && e && strstr(e->msg, "not a bridge") && !link_exists(hb) && !sb,
	       "a non-bridge named as bridge: error, nothing left");
	pr_err(e);
	box_error_release(&e);
	kid_kill(&k1);

	/* a gateway the kernel refuses (its subnet's broadcast address: "Nexthop
	 * has invalid gateway"; one outside the subnet gets an on-link route):
	 * its message, nothing left */
	tconf_init(&tb, name_b, NET_VETH, 3);
	char bcast[64];
	snprintf(bcast, sizeof(bcast), "10.%d.%d.255", sub_a, sub_b);
	addr(&tb.net.gateway4, bcast);
	k1 = spawn(idle, NULL);
	r = net_setup(&tb.c, &g, k1.pid, &sb, &e);
	tap_ok(r < 0 && e && strstr(e->msg, bcast) && !link_exists(hb) && !sb,
	       "a gateway the kernel refuses: error, veth removed");
	pr_err(e);
	box_error_release(&e);
	kid_kill(&k1);

	/* type = empty: only lo, up */
	struct tconf te;
	tconf_init(&te, name_b, NET_EMPTY, 0);
	k1 = spawn(check_only_lo, NULL);
	r = net_setup(&te.c, &g, k1.pid, &sb, &e);
	kid_go(&k1);
	int st = kid_wait(&k1, msg, sizeof(msg));
	tap_ok(r == 0 && st == 0, "type empty: only lo, and it is up");
	if (r || st)
		printf("#   %s %s\n", e ? e->msg : "", msg);
	box_error_release(&e);
	net_state_free(sb);

	/* type = host: nothing to do */
	tconf_init(&te, name_b, NET_HOST, 0);
	sb = (void *)1;
	tap_ok(net_setup(&te.c, &g, getpid(), &sb, &e) == 0 && !sb, "type host: nothing done");

	net_sock_close(&hs);
	return tap_done();
}
