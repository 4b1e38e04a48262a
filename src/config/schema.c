/* The schema: every key of <name>.conf and boxes.conf, its type, default,
 * an example and one line of documentation. `box config keys` prints it and
 * tests/unit/test-config.c checks the README reference against it. */
#include "config/schema.h"

#include <stddef.h>
#include <string.h>

#include "base/util.h"

#define C(field) offsetof(struct box_config, field)
#define N(field) offsetof(struct box_net, field)
#define M(field) offsetof(struct box_mount, field)
#define G(field) offsetof(struct box_global, field)
#define B(field) offsetof(struct box_bridge, field)
#define HAND CONFIG_HAND

/* keep lists all that stay: drop is then empty, and both may not be written */
static bool keep_is_set(const void *obj)
{
	return ((const struct box_config *)obj)->capabilities_keep != NULL;
}

const struct config_key config_schema[] = {
	/* identity and boot */
	{ SC_CONTAINER, "template", KT_TEMPLATE, false, 0, 0, NULL, "none", "debian-12-box_amd64.tar.gz",
	  "template tarball the rootfs is built from: a file in /var/lib/boxes/templates or an absolute path",
	  C(template_name), 0, NULL },
	{ SC_CONTAINER, "hostname", KT_HOSTNAME, false, 0, 0, NULL, "the container name", "web",
	  "host name inside the container", C(hostname), KF_NET, NULL },
	{ SC_CONTAINER, "init", KT_PATH, false, 0, 0, "/sbin/init", NULL, "/sbin/init",
	  "program started as PID 1 (a path inside the container)", C(init), 0, NULL },
	{ SC_CONTAINER, "init_args", KT_STRING, true, 0, 0, NULL, "none", "{\"--log-level=info\"}",
	  "extra arguments for init", C(init_args), 0, NULL },
	{ SC_CONTAINER, "halt_signal", KT_SIGNAL, false, 0, 0, "auto", NULL, "SIGPWR",
	  "signal that asks init to shut down; auto: SIGRTMIN+3 when init blocks or catches it (systemd), "
	  "else SIGPWR",
	  C(halt_signal), KF_RECORD, NULL },
	{ SC_CONTAINER, "stop_timeout", KT_UINT, false, 0, 86400, "60", NULL, "30",
	  "seconds box stop waits for init to halt before it kills every process", C(stop_timeout), KF_RECORD, NULL },
	{ SC_CONTAINER, "autostart", KT_BOOL, false, 0, 0, "no", NULL, "yes", "start the container when the host boots",
	  C(autostart), KF_RECORD, NULL },
	{ SC_CONTAINER, "start_order", KT_INT, false, -9999, 9999, "0", NULL, "10",
	  "autostart order: lower starts first, stops last", C(start_order), KF_RECORD, NULL },
	{ SC_CONTAINER, "environment", KT_ENV, true, 0, 0, NULL, "none", "{\"TZ=UTC\", \"LANG=C.UTF-8\"}",
	  "environment of init", C(environment), 0, NULL },
	/* resources */
	{ SC_CONTAINER, "memory", KT_SIZE, false, 0, 0, "max", NULL, "512M",
	  "memory limit (cgroup memory.max / memory.limit_in_bytes)", C(memory), KF_LIVE, NULL },
	{ SC_CONTAINER, "swap", KT_SIZE, false, 0, 0, "max", NULL, "256M",
	  "swap allowed on top of memory (needs memory)", C(swap), KF_LIVE, NULL },
	{ SC_CONTAINER, "cpus", KT_CPUS, false, 0, 0, "max", NULL, "1.5", "CPU time quota in CPUs (cpu.max)",
	  C(cpus_milli), KF_LIVE, NULL },
	{ SC_CONTAINER, "cpu_weight", KT_UINT, false, 1, 10000, "100", NULL, "200",
	  "relative CPU share against other containers (cpu.weight)", C(cpu_weight), KF_LIVE, NULL },
	{ SC_CONTAINER, "cpuset", KT_CPUSET, false, 0, 0, NULL, "all CPUs", "\"0-1,3\"",
	  "CPUs the container may run on (quote it when it has a comma)", C(cpuset), KF_LIVE, NULL },
	{ SC_CONTAINER, "pids", KT_COUNT, false, 0, 0, "max", NULL, "1024",
	  "most processes and threads at once (pids.max)", C(pids), KF_LIVE, NULL },
	{ SC_CONTAINER, "io_weight", KT_UINT, false, 1, 10000, "100", NULL, "50",
	  "relative block I/O share (io.weight / blkio.weight)", C(io_weight), KF_LIVE, NULL },
	/* isolation */
	{ SC_CONTAINER, "unprivileged", KT_BOOL, false, 0, 0, "yes", NULL, "no",
	  "own user namespace: container root is an unprivileged host id (the rootfs keeps the container's owners, "
	  "idmapped at start, or shifted at create where it cannot be); no: the host's root, for what needs it "
	  "(README)",
	  C(unprivileged), 0, NULL },
	{ SC_CONTAINER, "idmap_base", KT_IDBASE, false, 1, 4294967294LL, "auto", NULL, "200000",
	  "first host id of the container's ids (unprivileged); auto: a range of its own from root's in /etc/subuid "
	  "and /etc/subgid, recorded in <state>/NAME/idmap",
	  C(idmap_base), 0, NULL },
	{ SC_CONTAINER, "idmap_size", KT_UINT, false, 1, 4294967294LL, "65536", NULL, "65536",
	  "how many ids are mapped (unprivileged)", C(idmap_size), 0, NULL },
	{ SC_CONTAINER, "capabilities_drop", KT_CAP, true, 0, 0,
	  "sys_module sys_time sys_rawio mac_admin mac_override syslog bpf perfmon", NULL, "{sys_module, sys_time}",
	  "capabilities removed from the bounding set", C(capabilities_drop), 0, keep_is_set },
	{ SC_CONTAINER, "capabilities_keep", KT_CAP, true, 0, 0, NULL, "unset (keep all but the dropped)",
	  "{chown, net_bind_service}", "when set, the only capabilities kept (excludes capabilities_drop)",
	  C(capabilities_keep), 0, NULL },
	{ SC_CONTAINER, "seccomp", KT_SECCOMP, false, 0, 0, "default", NULL, "none",
	  "system call filter: default (blocks kernel-module, kexec, ...), none, or a profile's absolute path",
	  C(seccomp), 0, NULL },
	{ SC_CONTAINER, "keyctl", KT_BOOL, false, 0, 0, "no", NULL, "yes",
	  "allow the kernel keyring calls (keyctl, add_key, request_key; Proxmox's keyctl feature); no: the default "
	  "seccomp filter makes them fail with EPERM",
	  C(keyctl), 0, NULL },
	{ SC_CONTAINER, "nesting", KT_BOOL, false, 0, 0, "no", NULL, "yes",
	  "containers inside (Docker, podman, boxes; Proxmox's nesting feature; unprivileged only): new user, pid, "
	  "cgroup and time namespaces, a proc and a sysfs that may be mounted again (/dev/.box); no: the default "
	  "seccomp filter makes creating those namespaces fail with EPERM",
	  C(nesting), 0, NULL },
	{ SC_CONTAINER, "fuse", KT_BOOL, false, 0, 0, "no", NULL, "yes",
	  "/dev/fuse inside and allowed by the device rules, for FUSE file systems (fuse-overlayfs, sshfs; Proxmox's "
	  "fuse feature)",
	  C(fuse), 0, NULL },
	{ SC_CONTAINER, "storage", KT_STORAGE, false, 0, 0, "dir", NULL, "overlay",
	  "rootfs backend: dir (a plain copy), overlay or btrfs (a snapshot)", C(storage), 0, NULL },
	{ SC_CONTAINER, "nameserver", KT_NAMESERVER, true, 0, 0, NULL, "none", "{10.77.0.1}",
	  "DNS servers written to /etc/resolv.conf (127.0.0.53: a resolver inside; fe80::1%eth0: link-local)",
	  C(nameservers), KF_NET, NULL },
	{ SC_CONTAINER, "searchdomain", KT_DOMAIN, true, 0, 0, NULL, "none", "{example.org}",
	  "DNS search domains written to /etc/resolv.conf", C(searchdomains), KF_NET, NULL },
	{ SC_CONTAINER, "network", KT_SECTION, false, 0, 0, NULL, "none (no network section: only lo)", "eth0",
	  "a network interface; the title is its name inside the container", HAND, KF_NET, NULL },
	{ SC_CONTAINER, "mount", KT_SECTION, false, 0, 0, NULL, "none", "/srv/data",
	  "a bind mount from the host; the title is the absolute target path inside", HAND, 0, NULL },
	/* network NAME { } */
	{ SC_NETWORK, "type", KT_NETTYPE, false, 0, 0, "veth", NULL, "veth",
	  "veth (a veth pair, host side on bridge), empty (only lo) or host (the host's network)", N(type), 0, NULL },
	{ SC_NETWORK, "bridge", KT_IFNAME, false, 0, 0, NULL, "none (host side left unattached)", "box0",
	  "host bridge the host side of the veth joins (veth only)", N(bridge), KF_NET, NULL },
	{ SC_NETWORK, "address", KT_CIDR, true, 0, 0, NULL, "none", "{10.77.0.10/24, fd77::10/64}",
	  "addresses with prefix length (veth only)", HAND, KF_NET, NULL },
	{ SC_NETWORK, "gateway", KT_IP, true, 0, 0, NULL, "none", "10.77.0.1",
	  "default routes: at most one IPv4 and one IPv6; one outside every subnet is reached by an on-link host "
	  "route (veth only)",
	  HAND, KF_NET, NULL },
	{ SC_NETWORK, "hwaddr", KT_MAC, false, 0, 0, NULL, "random", "02:00:0a:4d:00:0a",
	  "MAC address inside the container (veth only)", HAND, KF_NET, NULL },
	{ SC_NETWORK, "mtu", KT_UINT, false, 68, 65535, NULL, "the kernel's (1500)", "9000", "MTU (veth only)", N(mtu),
	  KF_NET, NULL },
	/* mount TARGET { } */
	{ SC_MOUNT, "source", KT_PATH, false, 0, 0, NULL, "required", "/srv/web-data", "host path to bind-mount",
	  M(source), 0, NULL },
	{ SC_MOUNT, "readonly", KT_BOOL, false, 0, 0, "no", NULL, "yes", "mount read-only", M(readonly), 0, NULL },
	/* boxes.conf */
	{ SC_GLOBAL, "cgroup_parent", KT_CGROUP, false, 0, 0, "boxes", NULL, "boxes",
	  "cgroup under which every container's cgroup is made", G(cgroup_parent), 0, NULL },
	{ SC_GLOBAL, "log_size", KT_SIZE, false, 0, 0, "8M", NULL, "32M",
	  "most bytes of a container's console log (NAME.log) before it is rotated to NAME.log.1 (max: no cap)",
	  G(log_size), 0, NULL },
	{ SC_GLOBAL, "bridge", KT_SECTION, false, 0, 0, NULL, "none", "box0",
	  "a host bridge boxes creates on demand; the title is its name", HAND, 0, NULL },
	{ SC_BRIDGE, "address", KT_CIDR, true, 0, 0, NULL, "none", "{10.77.0.1/24}",
	  "the host's addresses on the bridge (the containers' gateway)", HAND, 0, NULL },
	{ SC_BRIDGE, "mtu", KT_UINT, false, 68, 65535, NULL, "the kernel's (1500)", "1500", "MTU of the bridge", B(mtu),
	  0, NULL },
};
const size_t config_schema_len = ARRAY_SIZE(config_schema);

const struct config_key *config_schema_find(enum config_scope scope, const char *name)
{
	for (size_t i = 0; i < config_schema_len; i++)
		if (config_schema[i].scope == scope && !strcmp(config_schema[i].name, name))
			return &config_schema[i];
	return NULL;
}

bool config_key_live(const char *name)
{
	const struct config_key *k = config_schema_find(SC_CONTAINER, name);
	return k && (k->flags & KF_LIVE);
}

const char *config_schema_section(enum config_scope scope)
{
	switch (scope) {
	case SC_NETWORK: return "network";
	case SC_MOUNT: return "mount";
	case SC_BRIDGE: return "bridge";
	default: return NULL;
	}
}

const char *config_schema_type_doc(const struct config_key *k)
{
	static const char *const single[] = {
		[KT_STRING] = "string",
		[KT_TEMPLATE] = "file name or path",
		[KT_PATH] = "absolute path",
		[KT_HOSTNAME] = "host name",
		[KT_DOMAIN] = "domain name",
		[KT_SIGNAL] = "signal",
		[KT_UINT] = "number",
		[KT_INT] = "number",
		[KT_BOOL] = "yes/no",
		[KT_SIZE] = "size",
		[KT_COUNT] = "number or max",
		[KT_IDBASE] = "number or auto",
		[KT_CPUS] = "CPUs",
		[KT_CPUSET] = "CPU list",
		[KT_ENV] = "KEY=VALUE",
		[KT_CAP] = "capability",
		[KT_SECCOMP] = "default, none or path",
		[KT_STORAGE] = "dir, overlay or btrfs",
		[KT_NETTYPE] = "veth, empty or host",
		[KT_IFNAME] = "interface name",
		[KT_CIDR] = "address/prefix",
		[KT_IP] = "IP address",
		[KT_NAMESERVER] = "IP address",
		[KT_MAC] = "MAC address",
		[KT_CGROUP] = "cgroup path",
		[KT_SECTION] = "section",
	};
	static const char *const lists[] = {
		[KT_STRING] = "list of strings",	  [KT_ENV] = "list of KEY=VALUE",
		[KT_CAP] = "list of capabilities",	  [KT_CIDR] = "list of address/prefix",
		[KT_IP] = "list of IP addresses",	  [KT_DOMAIN] = "list of domain names",
		[KT_NAMESERVER] = "list of IP addresses",
	};
	const char *s = k->list ? lists[k->type] : single[k->type];
	return s ? s : "?";
}
