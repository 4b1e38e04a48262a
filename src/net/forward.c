/* The boxes table's rules for nat bridges and forwards (net/forward.h). */
#include "net/forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/paths.h"
#include "base/util.h"
#include "net/nft.h"

static const char *const sysctl_path[2] = { "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding" };
static const char *const family_name[2] = { "ipv4", "ipv6" };

/* "10.77.0.0/24" of an address with its prefix. */
static void subnet_text(const struct box_addr *a, char *buf, size_t len)
{
	unsigned char net[16];
	memcpy(net, a->addr, 16);
	unsigned bytes = a->family == AF_INET ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bits = a->prefix > i * 8 ? a->prefix - i * 8 : 0;
		net[i] &= bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
	}
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, net, ip, sizeof(ip));
	snprintf(buf, len, "%s/%u", ip, a->prefix);
}

static char *record_path(int fam)
{
	return xasprintf(NFT_HOST_DIR "/forwarding-%s", family_name[fam]);
}

static int read_flag(const char *path, bool *on, box_err_t *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	if (read_file_at(AT_FDCWD, path, &buf, &len, err) < 0)
		return -1;
	*on = len && buf[0] != '0';
	return 0;
}

static int write_flag(const char *path, bool on, box_err_t *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return box_error(err, errno, "opening %s", path);
	ssize_t n = write(fd, on ? "1\n" : "0\n", 2);
	int e = errno;
	close(fd);
	if (n != 2)
		return box_error(err, n < 0 ? e : EIO, "writing %s", path);
	return 0;
}

/* Forwarding of family fam on; when it was off, recorded (the guard and the
 * switch back off depend on it). */
static int forwarding_on(int fam, box_err_t *err)
{
	bool on;
	if (read_flag(sysctl_path[fam], &on, err) < 0)
		return -1;
	if (on)
		return 0;
	cleanup_free char *rec = record_path(fam);
	int fd = open(rec, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return box_error(err, errno, "creating %s", rec);
	close(fd);
	return write_flag(sysctl_path[fam], true, err);
}

/* The guard chain, from the records: rebuilt whole each time. Where
 * br_netfilter is loaded (bridge-nf-call-iptables = 1, as Docker hosts have
 * it), frames bridged between two ports of one bridge pass the forward hook
 * too, with the bridge as both iif and oif: forwarding off never stopped
 * them, so the guard lets them by (by the interfaces' kind: nft cannot
 * compare iif with oif). What it then lets by beyond them is routing from
 * one bridge to another. */
static char *guard_script(void)
{
	char *s = xstrdup("add chain " NFT_TABLE " guard { type filter hook forward priority filter; policy accept; }\n"
			  "flush chain " NFT_TABLE " guard\n"
			  "add rule " NFT_TABLE " guard meta iifkind \"bridge\" meta oifkind \"bridge\" accept\n");
	for (int fam = 0; fam < 2; fam++) {
		cleanup_free char *rec = record_path(fam);
		if (access(rec, F_OK) < 0)
			continue;
		char *t = xasprintf("%sadd rule " NFT_TABLE " guard meta nfproto %s iifname != @natifs "
				    "oifname != @natifs drop\n",
				    s, family_name[fam]);
		free(s);
		s = t;
	}
	return s;
}

static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *add = NULL;
	if (vasprintf(&add, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *t = xasprintf("%s%s", *s ? *s : "", add);
	free(add);
	free(*s);
	*s = t;
}

/* A bridge's name as part of a chain name: nft's bare words are letters,
 * digits, '_', '.', '-' (1.0.6 takes no quoted chain names). */
static void chain_word(const char *name, char out[IFNAMSIZ])
{
	snprintf(out, IFNAMSIZ, "%s", name);
	for (char *p = out; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			*p = '_';
}

int forward_bridge_up(const struct box_bridge *b, box_err_t *err)
{
	bool fam_used[2] = { false, false };
	char word[IFNAMSIZ];
	chain_word(b->name, word);
	cleanup_free char *script = NULL;
	append(&script,
	       "add table " NFT_TABLE "\n"
	       "add set " NFT_TABLE " natifs { type ifname; }\n"
	       "add element " NFT_TABLE " natifs { \"%s\" }\n"
	       "add chain " NFT_TABLE " nat-%s { type nat hook postrouting priority srcnat; policy accept; }\n"
	       "flush chain " NFT_TABLE " nat-%s\n",
	       b->name, word, word);
	for (size_t i = 0; i < b->n_addrs; i++) {
		const struct box_addr *a = &b->addrs[i];
		const char *ip = a->family == AF_INET ? "ip" : "ip6";
		char net[80];
		subnet_text(a, net, sizeof(net));
		fam_used[a->family == AF_INET ? 0 : 1] = true;
		append(&script, "add rule " NFT_TABLE " nat-%s %s saddr %s %s daddr != %s masquerade\n", word, ip, net,
		       ip, net);
	}
	int lock = nft_lock(err);
	if (lock < 0)
		return -1;
	int ret = 0;
	for (int fam = 0; fam < 2 && ret == 0; fam++)
		if (fam_used[fam])
			ret = forwarding_on(fam, err);
	if (ret == 0) {
		char *guard = guard_script();
		append(&script, "%s", guard);
		free(guard);
		ret = nft_run(script, NULL, err);
		if (ret < 0)
			box_error_wrap(err, "bridge %s: masquerading", b->name);
	}
	close(lock);
	return ret;
}

/* Deletes the chains of `names` that exist, then the table if it is empty;
 * with no nat chain left, forwarding goes back off where boxes turned it on. */
static int drop_chains(const char *const *names, const char *bridge, box_err_t *err)
{
	cleanup_strv char **chains = NULL;
	if (nft_chains(&chains, err) < 0)
		return -1;
	cleanup_free char *script = NULL;
	for (size_t i = 0; names[i]; i++)
		for (size_t j = 0; chains[j]; j++)
			if (!strcmp(chains[j], names[i]))
				append(&script, "delete chain " NFT_TABLE " %s\n", names[i]);
	if (bridge)
		append(&script,
		       "add set " NFT_TABLE " natifs { type ifname; }\n"
		       "add element " NFT_TABLE " natifs { \"%s\" }\n"
		       "delete element " NFT_TABLE " natifs { \"%s\" }\n",
		       bridge, bridge);
	if (script && nft_run(script, NULL, err) < 0)
		return -1;
	bool nat_left = false;
	cleanup_strv char **after = NULL;
	if (nft_chains(&after, err) < 0)
		return -1;
	for (size_t j = 0; after[j]; j++)
		nat_left |= !strncmp(after[j], "nat-", 4);
	if (!nat_left) {
		for (int fam = 0; fam < 2; fam++) {
			cleanup_free char *rec = record_path(fam);
			if (access(rec, F_OK) < 0)
				continue;
			if (write_flag(sysctl_path[fam], false, err) < 0)
				return -1;
			unlink(rec);
		}
		bool guard = false;
		for (size_t j = 0; after[j]; j++)
			guard |= !strcmp(after[j], "guard");
		if (guard && nft_run("delete chain " NFT_TABLE " guard\n", NULL, err) < 0)
			return -1;
	}
	return nft_gc(err);
}

int forward_bridge_down(const char *bridge, box_err_t *err)
{
	char word[IFNAMSIZ];
	chain_word(bridge, word);
	cleanup_free char *chain = xasprintf("nat-%s", word);
	const char *names[] = { chain, NULL };
	int lock = nft_lock(err);
	if (lock < 0)
		return -1;
	int ret = drop_chains(names, bridge, err);
	close(lock);
	return ret < 0 ? box_error_wrap(err, "bridge %s: removing its masquerading", bridge) : 0;
}

const struct box_addr *forward_target(const struct box_config *c)
{
	for (size_t i = 0; i < c->n_nets; i++)
		for (size_t j = 0; c->nets[i].type == NET_VETH && j < c->nets[i].n_addrs; j++)
			if (c->nets[i].addrs[j].family == AF_INET)
				return &c->nets[i].addrs[j];
	return NULL;
}

int forward_container_up(const struct box_config *c, box_err_t *err)
{
	const struct box_addr *to = forward_target(c);
	if (!c->n_forwards)
		return 0;
	if (!to)
		return box_error(err, 0, "%s: forwards, but no fixed IPv4 address to forward to", c->name);
	char ip[INET_ADDRSTRLEN], net[80];
	inet_ntop(AF_INET, to->addr, ip, sizeof(ip));
	subnet_text(to, net, sizeof(net));
	cleanup_free char *script = NULL;
	static const char *const hooks[][2] = {
		{ "pre", "type nat hook prerouting priority dstnat" },
		{ "out", "type nat hook output priority -100" },
		{ "post", "type nat hook postrouting priority srcnat" },
	};
	append(&script, "add table " NFT_TABLE "\n");
	for (size_t h = 0; h < ARRAY_SIZE(hooks); h++)
		append(&script,
		       "add chain " NFT_TABLE " fwd-%s-%s { %s; policy accept; }\n"
		       "flush chain " NFT_TABLE " fwd-%s-%s\n",
		       c->name, hooks[h][0], hooks[h][1], c->name, hooks[h][0]);
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct box_forward *f = &c->forwards[i];
		const char *proto = f->proto == IPPROTO_TCP ? "tcp" : "udp";
		cleanup_free char *match = f->has_listen ? xasprintf("ip daddr %s", f->listen.text)
							 : xstrdup("ip daddr != 127.0.0.0/8 fib daddr type local");
		for (size_t h = 0; h < 2; h++)
			append(&script, "add rule " NFT_TABLE " fwd-%s-%s %s %s dport %u dnat ip to %s:%u\n", c->name,
			       hooks[h][0], match, proto, f->port, ip, f->to);
	}
	/* a neighbour on the same subnet reaching it through a host port: its
	 * reply must come back through the host, not straight over the bridge */
	append(&script, "add rule " NFT_TABLE " fwd-%s-post ct status dnat ip saddr %s ip daddr %s masquerade\n",
	       c->name, net, ip);
	int lock = nft_lock(err);
	if (lock < 0)
		return -1;
	int ret = nft_run(script, NULL, err);
	close(lock);
	return ret < 0 ? box_error_wrap(err, "%s: its forwards", c->name) : 0;
}

int forward_container_down(const char *name, box_err_t *err)
{
	cleanup_free char *pre = xasprintf("fwd-%s-pre", name);
	cleanup_free char *out = xasprintf("fwd-%s-out", name);
	cleanup_free char *post = xasprintf("fwd-%s-post", name);
	const char *names[] = { pre, out, post, NULL };
	int lock = nft_lock(err);
	if (lock < 0)
		return -1;
	int ret = drop_chains(names, NULL, err);
	close(lock);
	return ret < 0 ? box_error_wrap(err, "%s: removing its forwards", name) : 0;
}
