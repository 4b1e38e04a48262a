/* The device allowlist on cgroup v2: a BPF_CGROUP_DEVICE program, built
 * instruction by instruction and loaded with bpf(2) directly, as crun's
 * ebpf.c does (no libbpf). The kernel runs it on every open/mknod of a device
 * node by a task of the cgroup or below; 1 allows, 0 refuses (EPERM).
 *
 * It is attached with BPF_F_ALLOW_MULTI to <parent>/<name>, above the
 * container's cgroup namespace root: programs systemd attaches inside run as
 * well, and every one of them must allow an access, so the container can
 * narrow the list but never widen it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "base/util.h"

/* The list LXC and crun give a privileged container (SYSTEM-CONTAINER.md). */
const struct cgroup_dev_rule cgroup_dev_allow[] = {
	{ 'c', -1, -1, "m" }, /* mknod of anything: opening it is what counts */
	{ 'b', -1, -1, "m" },
	{ 'c', 1, 3, "rwm" }, /* null */
	{ 'c', 1, 5, "rwm" }, /* zero */
	{ 'c', 1, 7, "rwm" }, /* full */
	{ 'c', 1, 8, "rwm" }, /* random */
	{ 'c', 1, 9, "rwm" }, /* urandom */
	{ 'c', 5, 0, "rwm" }, /* tty */
	/* not c 5:1, the host's system console: the container's /dev/console is its pty */
	{ 'c', 5, 2, "rwm" },	 /* ptmx */
	{ 'c', 136, -1, "rwm" }, /* pts */
	{ 'c', 10, 229, "rwm" }, /* fuse */
};
const size_t cgroup_dev_allow_n = sizeof(cgroup_dev_allow) / sizeof(cgroup_dev_allow[0]);

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned access_mask(const char *a)
{
	unsigned m = 0;
	for (; *a; a++)
		m |= *a == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
		     : *a == 'm' ? BPF_DEVCG_ACC_MKNOD
				 : 0;
	return m;
}

/* Registers: r2 = device type, r3 = access, r4 = major, r5 = minor. One block
 * per rule; a mismatch jumps to the next block; the end refuses. */
size_t cgroup_bpf_build(void *buf, size_t max)
{
	struct bpf_insn *p = buf;
	size_t n = 0;
#define EMIT(x)                                                                                                        \
	do {                                                                                                           \
		if (n < max)                                                                                           \
			p[n] = (x);                                                                                    \
		n++;                                                                                                   \
	} while (0)
	EMIT(LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	EMIT(ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
	EMIT(LDX_W(BPF_REG_3, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	EMIT(ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
	EMIT(LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major)));
	EMIT(LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor)));
	for (size_t i = 0; i < cgroup_dev_allow_n; i++) {
		const struct cgroup_dev_rule *r = &cgroup_dev_allow[i];
		unsigned acc = access_mask(r->access);
		bool all = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
		/* block length: type test, [3 access], [major], [minor], r0 = 1, exit */
		int len = 1 + (all ? 0 : 3) + (r->major >= 0) + (r->minor >= 0) + 2;
		int at = 0; /* position inside the block; jumps go to its end */
		EMIT(JNE_IMM(BPF_REG_2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, len - at - 1));
		at++;
		if (!all) {
			EMIT(MOV64_REG(BPF_REG_6, BPF_REG_3));
			EMIT(ALU32_IMM(BPF_AND, BPF_REG_6, (int)~acc));
			at += 2;
			EMIT(JNE_IMM(BPF_REG_6, 0, len - at - 1));
			at++;
		}
		if (r->major >= 0) {
			EMIT(JNE_IMM(BPF_REG_4, r->major, len - at - 1));
			at++;
		}
		if (r->minor >= 0) {
			EMIT(JNE_IMM(BPF_REG_5, r->minor, len - at - 1));
			at++;
		}
		EMIT(MOV64_IMM(BPF_REG_0, 1));
		EMIT(EXIT());
	}
	EMIT(MOV64_IMM(BPF_REG_0, 0));
	EMIT(EXIT());
#undef EMIT
	return n;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_bpf_count(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (unsigned)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return -1;
	return (int)attr.query.prog_cnt;
}

int cgroup_bpf_attach_devices(const char *dir, box_err_t *err)
{
	cleanup_close int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return box_error(err, errno, "opening %s", dir);
	if (cgroup_bpf_count(dir) > 0)
		return 0;
	struct bpf_insn insns[128];
	size_t n = cgroup_bpf_build(insns, 128);
	if (n > 128)
		return box_error(err, E2BIG, "device program too long (%zu instructions)", n);
	char log[65536] = "";
	union bpf_attr attr;
	cleanup_close int prog = -1;
	for (int verbose = 0; verbose < 2 && prog < 0; verbose++) {
		/* quiet first; on a failure again with the verifier's log for the message */
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
		attr.insns = (uint64_t)(uintptr_t)insns;
		attr.insn_cnt = (uint32_t)n;
		attr.license = (uint64_t)(uintptr_t) "GPL";
		if (verbose) {
			attr.log_buf = (uint64_t)(uintptr_t)log;
			attr.log_size = sizeof(log);
			attr.log_level = 1;
		}
		prog = sys_bpf(BPF_PROG_LOAD, &attr);
	}
	if (prog < 0) {
		int e = errno;
		/* the verifier's last line says why */
		size_t len = strlen(log);
		while (len && log[len - 1] == '\n')
			log[--len] = '\0';
		const char *last = strrchr(log, '\n') ? strrchr(log, '\n') + 1 : log;
		return box_error(err, e, "loading the device allowlist program (BPF_PROG_TYPE_CGROUP_DEVICE)%s%s",
				 *last ? ": " : "", last);
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (unsigned)cgfd;
	attr.attach_bpf_fd = (unsigned)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return box_error(err, errno, "attaching the device allowlist program to %s", dir);
	/* the cgroup holds the program now; our fd can go */
	return 0;
}
