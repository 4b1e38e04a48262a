/* The container's declarative description, /etc/boxes/<name>.conf, and the
 * host-wide boxes.conf. Parsed with libconfuse from one schema table
 * (config/load.c); every error is one line "FILE:LINE: KEY: what is wrong (what is
 * allowed)" with exit status 2.
 *
 * Values are fully validated and normalised here: the rest of the program
 * never parses a config string again. */
#ifndef BOX_CONFIG_H
#define BOX_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/log.h"

#define BOX_UNLIMITED UINT64_MAX
/* idmap_base = auto until resolved (config/idrange.h) */
#define BOX_IDMAP_AUTO 0u

enum box_storage { STORAGE_DIR, STORAGE_OVERLAY, STORAGE_BTRFS };
enum box_net_type { NET_VETH, NET_EMPTY, NET_HOST };

struct box_addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order */
	unsigned prefix;	/* 0..32 / 0..128; 32/128 for a gateway */
	char text[64];		/* as written, normalised: "10.0.0.2/24" */
	unsigned line;		/* where it was written; 0 = not from a file */
};

struct box_net {
	char name[IFNAMSIZ]; /* the section title: the interface name inside */
	enum box_net_type type;
	char bridge[IFNAMSIZ]; /* "" = none (veth left unattached) */
	struct box_addr *addrs;
	size_t n_addrs;
	bool has_gateway4, has_gateway6;
	struct box_addr gateway4, gateway6;
	bool has_hwaddr;
	unsigned char hwaddr[6];
	unsigned mtu;  /* 0 = kernel default */
	unsigned line; /* of the section's title */
	unsigned line_of_hwaddr, line_of_bridge;
};

struct box_mount {
	char *target; /* the section title: absolute path inside */
	char *source; /* absolute host path */
	bool readonly;
	unsigned line;
};

struct box_config {
	char *name; /* container name (file name without .conf) */
	char *path; /* the file it came from; "-" for stdin */

	/* identity and boot */
	char *template_name;   /* as written: a file in the templates folder or an absolute path; may be NULL */
	char *hostname;	       /* default: the container name */
	char *init;	       /* default "/sbin/init" */
	char **init_args;      /* extra argv after init, NULL-terminated, may be empty */
	int halt_signal;       /* 0 = auto (SIGRTMIN+3 if init blocks/catches it, else SIGPWR) */
	unsigned stop_timeout; /* seconds, default 60 */
	bool autostart;
	int start_order;
	char **environment; /* "KEY=VALUE", NULL-terminated */

	/* resources; BOX_UNLIMITED = no limit */
	uint64_t memory;     /* bytes */
	uint64_t swap;	     /* bytes of swap on top of memory */
	uint32_t cpus_milli; /* 1500 = 1.5 CPUs; 0 = no quota */
	unsigned cpu_weight; /* 1..10000, default 100 */
	char *cpuset;	     /* normalised list "0-3,5"; NULL = all */
	uint64_t pids;
	unsigned io_weight; /* 1..10000, default 100 */

	/* isolation */
	bool unprivileged;
	uint32_t idmap_base;	  /* BOX_IDMAP_AUTO (idrange.h), the default */
	uint32_t idmap_size;	  /* default 65536 */
	char **capabilities_drop; /* names without "cap_", lower case */
	char **capabilities_keep; /* when set (never empty): keep only these; drop is then empty */
	char *seccomp;		  /* "default", "none" or an absolute path */
	bool keyctl;		  /* the default filter allows the keyring calls */
	bool nesting;		  /* containers inside: the namespaces, a fully visible proc and sysfs */
	bool fuse;		  /* /dev/fuse bound in and allowed */
	enum box_storage storage;

	struct box_net *nets;
	size_t n_nets;
	struct box_mount *mounts;
	size_t n_mounts;
	char **nameservers;
	char **searchdomains;

	/* line of each top-level key, for later cross-checks that name file:line
	 * (0 = not written, default used) */
	unsigned line_of_template, line_of_hostname, line_of_memory, line_of_idmap_base;
};

struct box_bridge {
	char name[IFNAMSIZ];
	struct box_addr *addrs;
	size_t n_addrs;
	unsigned mtu;
	unsigned line;
};

struct box_global {
	char *path;
	char *cgroup_parent; /* default "boxes" */
	uint64_t log_size;   /* console log cap in bytes, default 8 MiB; BOX_UNLIMITED = none */
	struct box_bridge *bridges;
	size_t n_bridges;
};

/* Loads <config dir>/<name>.conf. */
int config_load(const char *name, struct box_config **out, box_err_t *err);
/* Loads a given file ("-" = stdin) as container `name`. */
int config_load_file(const char *path, const char *name, struct box_config **out, box_err_t *err);
/* Loads a config held in memory (import, fuzzing); `label` names it in messages. */
int config_load_buffer(const char *buf, size_t len, const char *label, const char *name, struct box_config **out,
		       box_err_t *err);
/* The same, and every problem of the text, for `box config check`: *errors
 * and *warnings (either may be NULL) get NULL-terminated vectors of one-line
 * messages "LABEL:LINE: KEY: what is wrong (what is allowed)" in file order
 * (caller frees with strv_free). err gets the first error, as the plain
 * loaders give it. A syntax error stops libconfuse, so it ends the list (with
 * the bad values before it); unknown keys do not. */
int config_load_buffer_report(const char *buf, size_t len, const char *label, const char *name, struct box_config **out,
			      char ***errors, char ***warnings, box_err_t *err);
/* Reads a file ("-" = stdin) and calls config_load_buffer_report. */
int config_load_file_report(const char *path, const char *name, struct box_config **out, char ***errors,
			    char ***warnings, box_err_t *err);
/* Same values (file names and line numbers aside). */
bool config_equal(const struct box_config *a, const struct box_config *b);
/* The reference of every key (`box config keys`): one row per key,
 * "SECTION KEY | TYPE | DEFAULT | EXAMPLE | what it does" in Markdown. */
void config_print_keys(FILE *f);
/* True when top-level key `name` reaches a running container at once (the
 * resource limits: box set applies them live). */
bool config_key_live(const char *name);
void config_free(struct box_config *c);

/* One difference between two configs of a container (config_diff). */
enum config_change_kind {
	CHANGE_LIVE,	/* a cgroup limit, written into the running container */
	CHANGE_NET,	/* its network (or resolv.conf), changed live */
	CHANGE_RECORD,	/* nothing to do in the running container (autostart) */
	CHANGE_RESTART, /* takes a restart */
};
struct config_change {
	char *key;	 /* "memory", "network eth1" (a whole section), "network eth0: mtu", "mount /srv" */
	char *from, *to; /* the values as config show writes them; NULL = not set, or no such section */
	enum config_change_kind kind;
	char *net; /* the network section's title, NULL for other keys */
};
/* Every difference from `from` to `to`, in schema order (top-level keys,
 * then network sections matched by title, then mounts by target); the kind
 * of each from the schema's flags. *out is NULL when they agree. */
size_t config_diff(const struct box_config *from, const struct box_config *to, struct config_change **out);
void config_changes_free(struct config_change *v, size_t n);
/* "live", "recorded", "restart". */
const char *config_change_kind_name(enum config_change_kind k);
/* The config a running container has after a live apply: `file`'s keys of
 * the kinds asked for -- CONFIG_MERGE_LIMITS (KF_LIVE), CONFIG_MERGE_RECORD
 * (autostart...), CONFIG_MERGE_NET (its network sections but those whose
 * type changes or of type host: they wait for the restart) -- with
 * `running`'s other keys and mounts. */
#define CONFIG_MERGE_LIMITS 1u
#define CONFIG_MERGE_NET 2u
#define CONFIG_MERGE_RECORD 4u
int config_write_merged(FILE *f, const struct box_config *running, const struct box_config *file, unsigned kinds);

/* Writes the effective config (defaults filled in) in the config's own
 * syntax; the output loads back to an equal config. */
int config_write(FILE *f, const struct box_config *c);

/* Host-wide settings; a missing boxes.conf gives the defaults. */
int global_load(struct box_global **out, box_err_t *err);
/* boxes.conf from a file or memory (config check); same report as above. */
int global_load_buffer_report(const char *buf, size_t len, const char *label, struct box_global **out, char ***errors,
			      char ***warnings, box_err_t *err);
void global_free(struct box_global *g);
/* boxes.conf's effective settings in its own syntax (`box config show boxes`). */
int global_write(FILE *f, const struct box_global *g);
const struct box_bridge *global_find_bridge(const struct box_global *g, const char *name);

/* Cross-container checks: an address already used by another configured
 * container on the same bridge is an error naming the other container. */
int config_check_conflicts(const struct box_config *c, box_err_t *err);

/* Sets top-level keys ("memory=1G") in <config dir>/<name>.conf: each value is
 * validated by the schema first, the rest of the file (comments, layout) is
 * kept, and the file is replaced atomically; nothing changes on an error. */
int config_set_keys(const char *name, char *const *assignments, box_err_t *err);

/* Things that are allowed but likely wrong, given boxes.conf: a bridge it
 * does not define (it must then exist when the container starts), an
 * address outside every subnet of its bridge. One line each, like errors;
 * appended to *warnings (a NULL-terminated vector, may start NULL). */
void config_bridge_warnings(const struct box_config *c, const struct box_global *g, char ***warnings);

/* Every container name that has a config file, sorted. */
int config_list(char ***names, box_err_t *err);

/* Table helpers shared with other modules. */
const char *config_storage_name(enum box_storage s);
const char *config_net_type_name(enum box_net_type t);
/* number -> "SIGRTMIN+3" (static buffer). */
const char *config_signal_name(int sig);

#endif
