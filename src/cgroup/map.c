/* Pure conversions between the config's values and v1's and v2's knobs
 * (weights, CPU quotas, sizes) and the parsing of the I/O counters;
 * unit-tested. */
#include "cgroup/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

/* systemd's mapping: CPUWeight=100 is CPUShares=1024, the defaults of each. */
uint64_t cgroup_weight_to_shares(unsigned weight)
{
	uint64_t s = (uint64_t)weight * 1024 / 100;
	return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

unsigned cgroup_shares_to_weight(uint64_t shares)
{
	uint64_t w = (shares * 100 + 512) / 1024;
	return w < 1 ? 1 : w > 10000 ? 10000 : (unsigned)w;
}

int64_t cgroup_cpus_to_quota(uint32_t cpus_milli)
{
	if (!cpus_milli)
		return -1;
	int64_t q = (int64_t)cpus_milli * CGROUP_CPU_PERIOD / 1000;
	return q < 1000 ? 1000 : q; /* the kernel's minimum quota is 1 ms */
}

uint32_t cgroup_quota_to_cpus(int64_t quota, uint64_t period)
{
	if (quota < 0 || !period)
		return 0;
	return (uint32_t)(((uint64_t)quota * 1000 + period / 2) / period);
}

uint64_t cgroup_memory_high(uint64_t max)
{
	if (max == BOX_UNLIMITED)
		return BOX_UNLIMITED;
	/* 1/16 below (at most 256 MiB), page aligned: reclaim pressure before the OOM killer */
	uint64_t gap = max / 16;
	if (gap > (256ULL << 20))
		gap = 256ULL << 20;
	return (max - gap) & ~4095ULL;
}

const char *cgroup_knob_value(uint64_t v, char *buf, size_t len)
{
	if (v == BOX_UNLIMITED)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

void cgroup_parse_io_stat_v2(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchrnul(p, '\n');
		for (const char *q = p; q < nl; q++) {
			if (q != p && q[-1] != ' ')
				continue;
			if (!strncmp(q, "rbytes=", 7))
				*rd += strtoull(q + 7, NULL, 10);
			else if (!strncmp(q, "wbytes=", 7))
				*wr += strtoull(q + 7, NULL, 10);
		}
		p = *nl ? nl + 1 : NULL;
	}
}

void cgroup_parse_io_service_bytes_v1(const char *text, uint64_t *rd, uint64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p;) {
		char dev[64], op[16];
		unsigned long long v;
		/* "8:0 Read 4096"; the "Total N" line has two fields and is skipped */
		if (sscanf(p, "%63s %15s %llu", dev, op, &v) == 3) {
			if (!strcmp(op, "Read"))
				*rd += v;
			else if (!strcmp(op, "Write"))
				*wr += v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}
