/* Internal to the config module: the one schema table every part of it
 * (loading, defaults, writing, `box config keys`, the README reference and
 * its unit test) is derived from. */
#ifndef BOX_CONFIG_SCHEMA_H
#define BOX_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

enum config_type {
	KT_STRING,   /* free text (one line) */
	KT_TEMPLATE, /* a file name in the templates folder or an absolute path */
	KT_PATH,     /* an absolute path */
	KT_HOSTNAME,
	KT_DOMAIN,
	KT_SIGNAL,
	KT_UINT, /* min..max */
	KT_INT,	 /* min..max */
	KT_BOOL,
	KT_SIZE,
	KT_COUNT,  /* a number or max (BOX_UNLIMITED), in a uint64_t */
	KT_IDBASE, /* a number (min..max) or auto (BOX_IDMAP_AUTO), in a uint32_t */
	KT_CPUS,
	KT_CPUSET,
	KT_ENV,
	KT_CAP,
	KT_SECCOMP,
	KT_STORAGE,
	KT_NETTYPE,
	KT_IFNAME,
	KT_CIDR,
	KT_IP,
	KT_NAMESERVER, /* an IP address, loopback too, fe80::1%eth0 */
	KT_MAC,
	KT_CGROUP, /* a relative cgroup path */
	KT_SECTION,
};

/* Where a key lives: which file, which section. */
enum config_scope {
	SC_CONTAINER, /* top level of <name>.conf */
	SC_NETWORK,   /* network NAME { } */
	SC_MOUNT,     /* mount TARGET { } */
	SC_GLOBAL,    /* top level of boxes.conf */
	SC_BRIDGE,    /* bridge NAME { } in boxes.conf */
};

struct config_key {
	enum config_scope scope;
	const char *name;
	enum config_type type;
	bool list;
	long long min, max; /* KT_UINT, KT_INT */
	/* The default as written in a config (parsed by the same code as a
	 * user's value; NULL = none/empty; lists: words separated by spaces). */
	const char *def;
	const char *def_doc; /* the default in words, when `def` cannot say it */
	const char *example; /* as it would be written after "KEY = " (or the title) */
	const char *doc;     /* one line */
	size_t offset;	     /* into the scope's struct; CONFIG_HAND = handled by hand */
	unsigned flags;	     /* KF_* */
	/* When it returns true for the struct, the key is not written (config
	 * show): capabilities_drop beside a capabilities_keep. NULL = never. */
	bool (*omit)(const void *obj);
};

#define CONFIG_HAND ((size_t)-1)
/* How a change of the key reaches a running container (box apply, box
 * diff); a key with none of these needs a restart. */
#define KF_LIVE 1u /* a cgroup limit: written live (box set, box apply) */
#define KF_NET 2u  /* the network and identity: changed live in its namespaces */
#define KF_RECORD                                                                                                      \
	4u /* nothing in the running container: only recorded (autostart; stop_timeout and                             \
	    * halt_signal, which its supervisor reads from the record at the stop) */

extern const struct config_key config_schema[];
extern const size_t config_schema_len;

/* The schema entry for `name` in `scope`, or NULL. */
const struct config_key *config_schema_find(enum config_scope scope, const char *name);
/* "size", "list of addresses", ...: the type in words for the reference. */
const char *config_schema_type_doc(const struct config_key *k);
/* The section keyword of a scope ("network"), or NULL for a top level. */
const char *config_schema_section(enum config_scope scope);

#endif
