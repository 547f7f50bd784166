/*
 * quota.c - a fixed table of counts keyed by IPv4 endpoint or address.
 * See quota.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "quota.h"

struct quota_slot {
	uint64_t key;
	uint32_t count;		/* 0: free */
};

struct sw_quota {
	uint8_t hash_key[16];
	uint32_t mask;		/* slots - 1 */
	uint32_t max_keys;
	uint32_t keys;
	struct quota_slot slot[];
};

int
sw_quota_new(struct sw_quota **out, uint32_t max_keys,
    const uint8_t hash_key[static 16])
{
	struct sw_quota *q;
	uint32_t n = 4;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (max_keys == 0 || max_keys > UINT32_C(1) << 28)
		return -EINVAL;
	while (n < 2 * max_keys)
		n <<= 1;
	if ((q = calloc(1, sizeof *q + (size_t)n * sizeof q->slot[0])) == NULL)
		return -ENOMEM;
	memcpy(q->hash_key, hash_key, sizeof q->hash_key);
	q->mask = n - 1;
	q->max_keys = max_keys;
	*out = q;
	return 0;
}

void
sw_quota_free(struct sw_quota *q)
{
	if (q == NULL)
		return;
	explicit_bzero(q->hash_key, sizeof q->hash_key);
	free(q);
}

size_t
sw_quota_memsize(const struct sw_quota *q)
{
	return sizeof *q + ((size_t)q->mask + 1) * sizeof q->slot[0];
}

static uint32_t
home(const struct sw_quota *q, uint64_t key)
{
	return (uint32_t)sw_siphash(q->hash_key, &key, sizeof key) & q->mask;
}

/* The slot holding key, or the free slot that ends its probe sequence
 * (there is one: at most half the slots are used). */
static uint32_t
probe(const struct sw_quota *q, uint64_t key)
{
	uint32_t i = home(q, key);

	while (q->slot[i].count != 0 && q->slot[i].key != key)
		i = (i + 1) & q->mask;
	return i;
}

uint32_t
sw_quota_get(const struct sw_quota *q, uint64_t key)
{
	return q->slot[probe(q, key)].count;
}

int
sw_quota_add(struct sw_quota *q, uint64_t key)
{
	struct quota_slot *s = &q->slot[probe(q, key)];

	if (s->count == 0) {
		if (q->keys == q->max_keys)
			return -ENOSPC;
		q->keys++;
		s->key = key;
	}
	if (s->count < UINT32_MAX)
		s->count++;
	return 0;
}

/* Knuth's algorithm R (TAOCP 6.4): close the gap at i so that every
 * remaining key stays reachable from its home slot. */
static void
unlink_slot(struct sw_quota *q, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t h;

		j = (j + 1) & q->mask;
		if (q->slot[j].count == 0)
			break;
		h = home(q, q->slot[j].key);
		/* j may move to i unless its home lies cyclically in (i, j] */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		q->slot[i] = q->slot[j];
		i = j;
	}
	q->slot[i].count = 0;
	q->slot[i].key = 0;
}

void
sw_quota_sub(struct sw_quota *q, uint64_t key)
{
	uint32_t i = probe(q, key);

	if (q->slot[i].count == 0)
		return;
	if (--q->slot[i].count == 0) {
		q->keys--;
		unlink_slot(q, i);
	}
}

uint32_t
sw_quota_keys(const struct sw_quota *q)
{
	return q->keys;
}

void
sw_quota_clear(struct sw_quota *q)
{
	memset(q->slot, 0, ((size_t)q->mask + 1) * sizeof q->slot[0]);
	q->keys = 0;
}
