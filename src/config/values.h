/* Pure parsers for the values a config holds: no I/O, no global state.
 *
 * Each parser returns 0 and fills *out, or returns -1 and writes into `why`
 * the rest of a sentence that starts with the quoted value, saying what is
 * wrong and what is allowed:  '12X' + why = "'12X' is not a size (a number
 * with an optional K, M, G or T suffix, or max)". */
#ifndef BOX_VALUES_H
#define BOX_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VALUE_WHY_MAX 256
typedef char value_why_t[VALUE_WHY_MAX];

/* "512M", "1G", "4096", "max"/"unlimited" (UINT64_MAX); K M G T are powers of 1024. */
int value_size(const char *s, uint64_t *out, value_why_t why);
/* 1073741824 -> "1G", 1000 -> "1000", UINT64_MAX -> "max". */
void value_format_size(uint64_t v, char *buf, size_t len);
/* Decimal integer in [min, max]. */
int value_int(const char *s, long long min, long long max, long long *out, value_why_t why);
/* yes/no, true/false, on/off, 1/0. */
int value_bool(const char *s, bool *out, value_why_t why);
/* "1.5" -> 1500 milli-CPUs; "max" -> 0 (no quota). At most 3 decimals, 0.001..4096. */
int value_cpus(const char *s, uint32_t *out, value_why_t why);
/* 1500 -> "1.5", 0 -> "max". */
void value_format_cpus(uint32_t milli, char *buf, size_t len);
/* "3,0-2,5" -> "0-3,5" (malloc'd): sorted, merged; CPUs 0..8191. */
int value_cpuset(const char *s, char **out, value_why_t why);
/* "SIGRTMIN+3", "RTMIN+3", "SIGPWR", "pwr", "30"; "auto" -> 0. Not SIGKILL/SIGSTOP. */
int value_signal(const char *s, int *out, value_why_t why);
/* 0 -> "auto", 30 -> "SIGPWR", SIGRTMIN+3 -> "SIGRTMIN+3" (into buf). */
void value_format_signal(int sig, char *buf, size_t len);

struct box_addr;
/* "10.0.0.2/24", "fd00::2/64": a host address with its prefix (required). */
int value_cidr(const char *s, struct box_addr *out, value_why_t why);
/* "10.0.0.1", "fd00::1": a host address without prefix (prefix set to 32/128). */
int value_ip(const char *s, struct box_addr *out, value_why_t why);
/* A DNS server: an IP address as value_ip, but a loopback one is allowed (a
 * resolver inside the container, 127.0.0.53), and a link-local IPv6 one may
 * name its interface (fe80::1%eth0), as resolv.conf takes it. The normalised
 * text goes to out. */
int value_nameserver(const char *s, char *out, size_t len, value_why_t why);
/* True when `ip` lies in the subnet of `net` (same family). */
bool value_addr_in_subnet(const struct box_addr *net, const struct box_addr *ip);
/* Same family and address bytes (prefix ignored). */
bool value_addr_same_ip(const struct box_addr *a, const struct box_addr *b);

/* "aa:bb:cc:dd:ee:ff": unicast, not all zero. */
int value_mac(const char *s, unsigned char out[6], value_why_t why);
void value_format_mac(const unsigned char mac[6], char *buf, size_t len);
/* A network interface or bridge name: 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
int value_ifname(const char *s, value_why_t why);
/* An RFC 1123 host name, at most 64 bytes (the kernel's limit). */
int value_hostname(const char *s, value_why_t why);
/* A DNS domain name (search domain), at most 253 bytes. */
int value_domain(const char *s, value_why_t why);
/* An absolute path without ".." components, normalised (no "//", no trailing '/'); malloc'd. */
int value_abspath(const char *s, char **out, value_why_t why);
/* "KEY=VALUE" with KEY [A-Za-z_][A-Za-z0-9_]*, no newline. */
int value_env(const char *s, value_why_t why);
/* "sys_admin", "CAP_SYS_ADMIN" -> "sys_admin" (malloc'd), checked with libcap. */
int value_capability(const char *s, char **out, value_why_t why);

#endif
