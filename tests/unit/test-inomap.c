/* The inode map (storage/inomap.c): records found by (dev, ino) across its
 * growth, the same inode on another device and the same device with other
 * inodes kept apart, colliding hashes probed past, records zeroed on add and
 * kept whole, each record handed to the free callback once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/inomap.h"
#include "tap.h"

struct rec {
	uint64_t tag;
	char *name;
	char pad[13]; /* an odd size: the records' alignment */
};

static int freed;

static void free_rec(void *v)
{
	struct rec *r = v;
	free(r->name);
	freed++;
}

int main(void)
{
	struct inomap m;
	inomap_init(&m, sizeof(struct rec));
	tap_ok(inomap_find(&m, 1, 1) == NULL, "an empty map finds nothing (and allocated nothing)");
	tap_ok(m.cap == 0, "... its capacity is 0");

	/* 100000 files on two devices: the map grows past 2^17 slots */
	const int n = 100000;
	int fresh = 1;
	for (int i = 1; i <= n; i++) {
		struct rec *r = inomap_add(&m, (dev_t)(i & 1), (ino_t)i * 7);
		fresh &= r->tag == 0 && r->name == NULL && r->pad[12] == 0;
		r->tag = (uint64_t)i;
		r->name = malloc(16);
		memset(r->pad, 'x', sizeof(r->pad));
	}
	tap_ok(fresh, "each record added is zeroed");
	tap_ok(m.n == (size_t)n, "%d entries (got %zu)", n, m.n);
	tap_ok(m.cap >= 2 * m.n && (m.cap & (m.cap - 1)) == 0, "at most half full, a power of two (%zu slots)", m.cap);
	int all = 1;
	for (int i = 1; i <= n; i++) {
		struct rec *r = inomap_find(&m, (dev_t)(i & 1), (ino_t)i * 7);
		all &= r && r->tag == (uint64_t)i && r->pad[0] == 'x' && r->pad[12] == 'x' &&
		       ((uintptr_t)r % _Alignof(max_align_t)) == 0;
	}
	tap_ok(all, "every record found after the growth, whole and aligned");
	int none = 1;
	for (int i = 1; i <= 1000; i++)
		none &= inomap_find(&m, (dev_t)((i & 1) ^ 1), (ino_t)i * 7) == NULL &&
			inomap_find(&m, (dev_t)(i & 1), (ino_t)i * 7 + 1) == NULL;
	tap_ok(none, "the same inode on the other device, and other inodes, are not found");

	/* keys that hash to one slot: ino * K ^ dev equal when dev absorbs it */
	struct inomap c;
	inomap_init(&c, sizeof(int));
	*(int *)inomap_add(&c, 0, 0) = 10; /* ino 0: a key like any other */
	*(int *)inomap_add(&c, 256, 0) = 11;
	*(int *)inomap_add(&c, 512, 0) = 12;
	int *a = inomap_find(&c, 0, 0), *b = inomap_find(&c, 256, 0), *d = inomap_find(&c, 512, 0);
	tap_ok(a && b && d && *a == 10 && *b == 11 && *d == 12, "colliding keys probed past each other");
	inomap_free(&c, NULL);
	tap_ok(c.cap == 0 && c.n == 0 && inomap_find(&c, 0, 0) == NULL, "a freed map is empty again");

	inomap_free(&m, free_rec);
	tap_ok(freed == n, "the free callback saw every record once (%d)", freed);
	return tap_done();
}
