/* inomap.h: slots of { key, record }, the record aligned for any type. */
#include "storage/inomap.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

struct key {
	dev_t dev;
	ino_t ino;
	bool used;
};

#define ALIGN alignof(max_align_t)
#define ROUND(x) (((x) + ALIGN - 1) / ALIGN * ALIGN)

void inomap_init(struct inomap *m, size_t value_size)
{
	*m = (struct inomap){ .value_size = value_size, .slot_size = ROUND(sizeof(struct key)) + ROUND(value_size) };
}

static struct key *key_at(const struct inomap *m, size_t i)
{
	return (struct key *)(m->slots + i * m->slot_size);
}

static void *value_of(struct key *k)
{
	return (unsigned char *)k + ROUND(sizeof(struct key));
}

/* (dev, ino)'s slot, or the free one where it would go */
static struct key *slot(const struct inomap *m, dev_t dev, ino_t ino)
{
	size_t i = (((size_t)ino * 0x9e3779b97f4a7c15ull) ^ (size_t)dev) & (m->cap - 1);
	struct key *k;
	while ((k = key_at(m, i))->used && (k->ino != ino || k->dev != dev))
		i = (i + 1) & (m->cap - 1);
	return k;
}

void *inomap_find(const struct inomap *m, dev_t dev, ino_t ino)
{
	if (!m->cap)
		return NULL;
	struct key *k = slot(m, dev, ino);
	return k->used ? value_of(k) : NULL;
}

void *inomap_add(struct inomap *m, dev_t dev, ino_t ino)
{
	if (2 * (m->n + 1) > m->cap) {
		struct inomap old = *m;
		m->cap = old.cap ? old.cap * 2 : 256;
		m->slots = xzalloc(m->cap * m->slot_size);
		for (size_t i = 0; i < old.cap; i++) {
			struct key *k = key_at(&old, i);
			if (k->used)
				memcpy(slot(m, k->dev, k->ino), k, m->slot_size);
		}
		free(old.slots);
	}
	struct key *k = slot(m, dev, ino);
	*k = (struct key){ dev, ino, true };
	m->n++;
	void *v = value_of(k);
	memset(v, 0, m->value_size);
	return v;
}

void inomap_free(struct inomap *m, void (*each)(void *value))
{
	for (size_t i = 0; each && i < m->cap; i++)
		if (key_at(m, i)->used)
			each(value_of(key_at(m, i)));
	free(m->slots);
	inomap_init(m, m->value_size);
}
