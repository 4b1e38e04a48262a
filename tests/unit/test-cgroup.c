/* Pure logic of the cgroup module: mountinfo parsing, v1/v2 mappings, stat
 * file parsing, and the BPF device program run through a small interpreter. */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "config/config.h"
#include "tap.h"

static void mountinfo(const char *line, bool want, const char *dir, const char *opts, bool v2)
{
	struct cgroup_hier h = { 0 };
	bool got = cgroup_parse_mountinfo_line(line, &h);
	tap_ok(got == want, "mountinfo %s: %s", want ? "accepts" : "rejects", line);
	if (got && want) {
		tap_streq(h.dir, dir, "  dir");
		if (opts)
			tap_streq(h.opts, opts, "  opts");
		else
			tap_ok(h.opts == NULL, "  no opts for cgroup2");
		tap_ok(h.v2 == v2, "  version");
	}
	free(h.mnt), free(h.dir), free(h.opts);
}

/* Runs the device program the way the kernel would for one access. */
static int run_prog(const struct bpf_insn *p, size_t n, char type, unsigned access, uint32_t major, uint32_t minor)
{
	uint32_t ctx[3] = { (access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor };
	uint64_t r[11] = { 0 };
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W: r[i->dst_reg] = ctx[i->off / 4]; break;
		case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm; break;
		case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm; break;
		case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = (uint64_t)(int64_t)i->imm; break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(int64_t)i->imm)
				pc += i->off;
			break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: return -1;
		}
		if (pc + 1 > n)
			return -2;
	}
	return -3; /* fell off the end */
}

int main(void)
{
	mountinfo("35 25 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu", true, "cpu", "cpu",
		  false);
	mountinfo("36 25 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct", true, "cpu,cpuacct",
		  "cpu,cpuacct", false);
	mountinfo("37 25 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd", true, "systemd",
		  "none,name=systemd", false);
	mountinfo("38 25 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate", true, "unified", NULL,
		  true);
	mountinfo("30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot", true,
		  "", NULL, true);
	mountinfo("39 25 0:34 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids,release_agent=/x,clone_children", true,
		  "pids", "pids", false);
	mountinfo("40 25 0:35 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755", false, NULL, NULL, false);
	mountinfo("41 25 0:36 / /mnt/cg rw - cgroup cgroup rw,memory", false, NULL, NULL, false);
	mountinfo("42 25 0:37 / /sys/fs/cgroup/a/b rw - cgroup cgroup rw,memory", false, NULL, NULL, false);
	mountinfo("garbage", false, NULL, NULL, false);

	tap_ok(cgroup_weight_to_shares(100) == 1024, "cpu_weight 100 = cpu.shares 1024 (both defaults)");
	tap_ok(cgroup_weight_to_shares(1) == 10, "cpu_weight 1 -> shares 10");
	tap_ok(cgroup_weight_to_shares(10000) == 102400, "cpu_weight 10000 -> shares 102400");
	bool round = true;
	for (unsigned w = 1; w <= 10000; w++)
		round &= cgroup_shares_to_weight(cgroup_weight_to_shares(w)) == w;
	tap_ok(round, "every cpu_weight survives weight -> shares -> weight");
	tap_ok(cgroup_shares_to_weight(2) == 1 && cgroup_shares_to_weight(262144) == 10000, "shares clamp to 1..10000");

	tap_ok(cgroup_cpus_to_quota(500) == 50000, "cpus 0.5 -> 50000/100000");
	tap_ok(cgroup_cpus_to_quota(1500) == 150000, "cpus 1.5 -> 150000");
	tap_ok(cgroup_cpus_to_quota(0) == -1, "no cpus -> no quota");
	tap_ok(cgroup_cpus_to_quota(1) == 1000, "tiny cpus -> the kernel's 1 ms minimum");
	tap_ok(cgroup_quota_to_cpus(50000, 100000) == 500 && cgroup_quota_to_cpus(-1, 100000) == 0, "quota -> cpus");

	uint64_t m = 512ULL << 20, hi = cgroup_memory_high(m);
	tap_ok(hi < m && hi >= m - m / 16 - 4096 && hi % 4096 == 0, "memory.high a little below memory.max");
	tap_ok(cgroup_memory_high(BOX_UNLIMITED) == BOX_UNLIMITED, "memory.high max for no limit");
	tap_ok((64ULL << 30) - cgroup_memory_high(64ULL << 30) == 256ULL << 20, "memory.high gap at most 256M");

	uint64_t v = 0;
	const char *events = "low 0\nhigh 3\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n";
	tap_ok(cgroup_keyed_u64(events, "oom_kill", &v) == 0 && v == 1, "memory.events oom_kill");
	tap_ok(cgroup_keyed_u64(events, "oom", &v) == 0 && v == 2, "memory.events oom is not oom_kill");
	tap_ok(cgroup_keyed_u64(events, "nosuch", &v) == -1, "absent key");
	tap_ok(cgroup_keyed_u64("oom_kill_disable 0\nunder_oom 0\noom_kill 4\n", "oom_kill", &v) == 0 && v == 4,
	       "v1 memory.oom_control oom_kill");

	uint64_t rd, wr;
	cgroup_parse_io_stat_v2("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
				"253:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
				&rd, &wr);
	tap_ok(rd == 4196 && wr == 8192, "io.stat sums devices");
	cgroup_parse_io_service_bytes_v1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Total 4608\nTotal 4608\n", &rd,
					 &wr);
	tap_ok(rd == 4096 && wr == 512, "blkio io_service_bytes Read/Write");

	tap_ok(cgroup_same_number("9223372036854771712", "-1"), "v1's unlimited equals -1");
	tap_ok(cgroup_same_number("max", "max") && !cgroup_same_number("max", "100"), "max compares");
	tap_ok(cgroup_same_trim("0-1\n", "0-1") && !cgroup_same_trim("0", "0-1"), "trimmed strings compare");

	struct bpf_insn prog[128];
	size_t n = cgroup_bpf_build(prog, 128);
	tap_ok(n > 10 && n <= 128, "device program built (%zu instructions)", n);
	bool jumps_ok = true;
	for (size_t i = 0; i < n; i++)
		if ((prog[i].code & 0x07) == BPF_JMP && prog[i].code != (BPF_JMP | BPF_EXIT))
			jumps_ok &= prog[i].off >= 0 && i + 1 + (size_t)prog[i].off < n;
	tap_ok(jumps_ok, "every jump lands inside the program");
	const unsigned R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;
	tap_ok(run_prog(prog, n, 'c', R | W, 1, 3) == 1, "c 1:3 (null) rw allowed");
	tap_ok(run_prog(prog, n, 'c', R, 1, 9) == 1, "c 1:9 (urandom) allowed");
	tap_ok(run_prog(prog, n, 'c', W, 5, 1) == 0, "c 5:1 (the host's console) refused");
	tap_ok(run_prog(prog, n, 'c', R | W, 5, 0) == 1, "c 5:0 (tty) allowed");
	tap_ok(run_prog(prog, n, 'c', R, 136, 7) == 1, "c 136:7 (pts) allowed");
	tap_ok(run_prog(prog, n, 'c', R, 10, 229) == 1, "c 10:229 (fuse) allowed");
	tap_ok(run_prog(prog, n, 'b', R, 8, 0) == 0, "b 8:0 (a disk) read refused");
	tap_ok(run_prog(prog, n, 'b', M, 8, 0) == 1, "b 8:0 mknod allowed");
	tap_ok(run_prog(prog, n, 'c', R, 1, 1) == 0, "c 1:1 (mem) refused");
	tap_ok(run_prog(prog, n, 'c', R | W, 10, 200) == 0, "c 10:200 (tun) refused");
	tap_ok(run_prog(prog, n, 'c', M, 4, 0) == 1, "c 4:0 mknod allowed");
	tap_ok(run_prog(prog, n, 'c', M | R, 4, 0) == 0, "c 4:0 read refused");
	tap_ok(run_prog(prog, n, 'c', R, 1, 0) == 0 && run_prog(prog, n, 'c', R, 0, 3) == 0, "near misses refused");
	return tap_done();
}
