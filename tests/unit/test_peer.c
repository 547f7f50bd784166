/* test_peer.c - the fixed-capacity peer table: bounded memory, LRU
 * eviction, O(1) lookups (CLI-ST-3, HARD-6), bounded FIFO queues
 * (CLI-TX-8, REL-TX-5) and D21 drop counting; plus a randomized run
 * against a naive reference model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <malloc.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"
#include "peer.h"
#include "../common/prng.h"

static const uint8_t test_key[16] = {
	0x5a, 0x17, 0x03, 0xc4, 0x9e, 0x21, 0x66, 0x0b,
	0xd2, 0x48, 0x7f, 0x90, 0x31, 0xee, 0x05, 0xab,
};

/* 2001:0:cb00:7178::<n> - a distinct Teredo-looking address per n. */
static void
mkaddr(uint8_t a[16], uint32_t n)
{
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01;
	a[4] = 0xcb; a[6] = 0x71; a[7] = 0x78;
	sw_put32(a + 12, n);
}

static struct sw_peer_table *
mktable(uint32_t cap, uint32_t slot, uint32_t per_peer, uint32_t total)
{
	struct sw_peer_table_conf c;
	struct sw_peer_table *t = NULL;

	memset(&c, 0, sizeof(c));
	c.capacity = cap;
	c.slot_size = slot;
	c.queue_peer_bytes = per_peer;
	c.queue_total_bytes = total;
	memcpy(c.hash_key, test_key, sizeof(c.hash_key));
	assert_int_equal(sw_peer_table_new(&t, &c), 0);
	assert_non_null(t);
	return t;
}

static bool
present(struct sw_peer_table *t, uint32_t n)
{
	uint8_t a[16];

	mkaddr(a, n);
	return sw_peer_lookup(t, a) != NULL;
}

static struct sw_peer *
ins(struct sw_peer_table *t, uint32_t n, bool *created,
    struct sw_drop_counters *drops)
{
	uint8_t a[16];

	mkaddr(a, n);
	return sw_peer_insert(t, a, created, drops);
}

/* The fields a new entry must have zero (CLI-ST-2). */
static void
assert_fresh(const struct sw_peer *p, uint32_t n)
{
	uint8_t a[16], zero[SW_PEER_NONCE_LEN] = { 0 };

	mkaddr(a, n);
	assert_memory_equal(p->addr, a, 16);
	assert_int_equal(p->mapped.addr, 0);
	assert_int_equal(p->mapped.port, 0);
	assert_int_equal(p->local.addr, 0);
	assert_int_equal(p->local.port, 0);
	assert_memory_equal(p->nonce, zero, sizeof(zero));
	assert_int_equal(p->last_rx, 0);
	assert_int_equal(p->last_tx, 0);
	assert_int_equal(p->last_discovery, 0);
	assert_int_equal(p->ping_sent, 0);
	assert_false(p->trusted);
	assert_false(p->local_peer);
	assert_int_equal(p->bubbles, 0);
	assert_int_equal(p->retries, 0);
	assert_int_equal(p->q_head, SW_PEER_NONE);
	assert_int_equal(p->q_tail, SW_PEER_NONE);
	assert_int_equal(p->q_bytes, 0);
	assert_int_equal(p->q_pkts, 0);
}

static void
scribble(struct sw_peer *p)
{
	p->mapped.addr = SW_IP4(198, 51, 100, 1);
	p->mapped.port = 4242;
	p->local.addr = SW_IP4(10, 0, 0, 1);
	p->local.port = 3544;
	memset(p->nonce, 0xaa, sizeof(p->nonce));
	p->last_rx = p->last_tx = p->last_discovery = p->ping_sent = 77;
	p->trusted = p->local_peer = true;
	p->bubbles = 3;
	p->retries = 2;
}

static void
test_basic(void **state)
{
	struct sw_peer_table *t = mktable(8, 1280, 4096, 65536);
	struct sw_peer *p, *q;
	uint8_t a[16];
	bool created;

	(void)state;
	assert_int_equal(sw_peer_capacity(t), 8);
	assert_int_equal(sw_peer_count(t), 0);
	assert_null(sw_peer_lru(t));
	assert_false(present(t, 1));

	p = ins(t, 1, &created, NULL);
	assert_non_null(p);
	assert_true(created);
	assert_fresh(p, 1);
	scribble(p);
	q = ins(t, 1, &created, NULL);
	assert_ptr_equal(p, q);
	assert_false(created);
	assert_true(p->trusted);	/* existing entry untouched */
	assert_int_equal(sw_peer_count(t), 1);

	q = ins(t, 2, NULL, NULL);	/* created may be NULL */
	assert_ptr_not_equal(p, q);
	assert_int_equal(sw_peer_count(t), 2);
	assert_ptr_equal(sw_peer_lru(t), p);
	mkaddr(a, 1);
	assert_ptr_equal(sw_peer_lookup(t, a), p);
	assert_ptr_equal(sw_peer_lru(t), q);	/* the hit became MRU */

	sw_peer_remove(t, p, NULL);
	assert_int_equal(sw_peer_count(t), 1);
	assert_false(present(t, 1));
	assert_true(present(t, 2));
	sw_peer_remove(t, p, NULL);		/* twice: harmless */
	assert_int_equal(sw_peer_count(t), 1);
	assert_int_equal(sw_peer_stats(t)->removals, 1);

	/* The freed entry is reused, zeroed but for addr. */
	q = ins(t, 3, &created, NULL);
	assert_true(created);
	assert_ptr_equal(q, p);
	assert_fresh(q, 3);
	assert_int_equal(sw_peer_stats(t)->inserts, 3);
	assert_int_equal(sw_peer_stats(t)->evictions, 0);
	sw_peer_table_free(t);
	sw_peer_table_free(NULL);
}

static void
test_reuse_after_eviction_is_zeroed(void **state)
{
	struct sw_peer_table *t = mktable(1, 100, 300, 1000);
	struct sw_drop_counters d;
	struct sw_peer *p, *q;
	uint8_t pkt[60] = { 1 };
	bool created;

	(void)state;
	memset(&d, 0, sizeof(d));
	p = ins(t, 10, NULL, &d);
	scribble(p);
	assert_int_equal(sw_peer_enqueue(t, p, pkt, sizeof(pkt), NULL), 0);
	assert_int_equal(sw_peer_enqueue(t, p, pkt, 40, NULL), 0);
	q = ins(t, 11, &created, &d);
	assert_true(created);
	assert_ptr_equal(p, q);		/* the only entry, evicted and reused */
	assert_fresh(q, 11);
	assert_false(present(t, 10));
	assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], 2);	/* D21 */
	assert_int_equal(sw_peer_queue_total(t), 0);
	assert_int_equal(sw_peer_stats(t)->evictions, 1);
	assert_int_equal(sw_peer_count(t), 1);
	sw_peer_table_free(t);
}

static void
test_conf_validation(void **state)
{
	static const struct {
		uint32_t cap, slot, per_peer, total;
		int rc;
	} v[] = {
		{ 0, 1280, 4096, 65536, -EINVAL },
		{ 1, 1280, 4096, 65536, 0 },
		{ (1u << 20), 1280, 4096, 65536, 0 },
		{ (1u << 24) + 1, 1280, 4096, 65536, -EINVAL },
		{ UINT32_MAX, 1280, 4096, 65536, -EINVAL },
		{ 16, 0, 4096, 65536, -EINVAL },
		{ 16, 39, 4096, 65536, -EINVAL },
		{ 16, 40, 4096, 65536, 0 },
		{ 16, 65535, 65535, 65535, 0 },
		{ 16, 65536, 65536, 65536, -EINVAL },
		{ 16, 1280, 0, 65536, -EINVAL },
		{ 16, 1280, 4096, 0, -EINVAL },
		{ 16, 1280, 4096, 4095, -EINVAL },	/* peer > total */
		{ 16, 1280, 1, 1, 0 },			/* pool of one slot */
		{ 16, 1280, 4096, (1u << 30), 0 },
		{ 16, 1280, 4096, (1u << 30) + 1, -EINVAL },
		{ 16, 1280, 4096, UINT32_MAX, -EINVAL },
	};
	struct sw_peer_table_conf c;
	struct sw_peer_table *t;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.capacity = v[i].cap;
		c.slot_size = v[i].slot;
		c.queue_peer_bytes = v[i].per_peer;
		c.queue_total_bytes = v[i].total;
		t = (void *)&c;		/* must be reset */
		assert_int_equal(sw_peer_table_new(&t, &c), v[i].rc);
		if (v[i].rc != 0) {
			assert_null(t);
			continue;
		}
		assert_non_null(t);
		assert_int_equal(sw_peer_capacity(t), v[i].cap);
		assert_true(sw_peer_table_memsize(t) >=
		    (size_t)v[i].cap * sizeof(struct sw_peer));
		sw_peer_table_free(t);
	}
}

/*
 * The requirement (CLI-ST-3, HARD-6): a flood of 1,000,000
 * distinct peers through a 65,536-entry table.
 */
#define BIG_CAP		65536u
#define FLOOD		1000000u

static void
test_flood_bounded_lru(void **state)
{
	struct sw_peer_table *t = mktable(BIG_CAP, 1280, 4096, 1 << 20);
	size_t mem, heap_before, heap_after;
	uint32_t n;

	(void)state;
	mem = sw_peer_table_memsize(t);
	assert_true(mem >= BIG_CAP * sizeof(struct sw_peer));

	/* (a) bounded memory: no byte allocated on the insert path. */
	heap_before = mallinfo2().uordblks;
	for (n = 0; n < FLOOD; n++)
		ins(t, n, NULL, NULL);
	heap_after = mallinfo2().uordblks;
	assert_int_equal(heap_after, heap_before);
	assert_int_equal(sw_peer_table_memsize(t), mem);
	assert_int_equal(sw_peer_count(t), BIG_CAP);
	assert_int_equal(sw_peer_stats(t)->inserts, FLOOD);
	assert_int_equal(sw_peer_stats(t)->evictions, FLOOD - BIG_CAP);

	/* (b) LRU: the least recently used is the oldest survivor... */
	{
		uint8_t a[16];

		mkaddr(a, FLOOD - BIG_CAP);
		assert_memory_equal(sw_peer_lru(t)->addr, a, 16);
	}
	/* ...exactly the last BIG_CAP are present, every earlier one gone. */
	for (n = 0; n < FLOOD - BIG_CAP; n++)
		if (present(t, n))
			fail_msg("peer %u should have been evicted", n);
	for (n = FLOOD - BIG_CAP; n < FLOOD; n++)
		if (!present(t, n))
			fail_msg("peer %u should be present", n);
	assert_int_equal(sw_peer_count(t), BIG_CAP);
	assert_int_equal(sw_peer_table_memsize(t), mem);
	sw_peer_table_free(t);
}

/* A peer in use survives a flood; untouched older ones go (CLI-ST-3). */
static void
test_touched_peer_survives(void **state)
{
	struct sw_peer_table *t = mktable(BIG_CAP, 1280, 4096, 1 << 20);
	const uint32_t keeper = 0, base = 1000000;
	uint32_t n;

	(void)state;
	for (n = 0; n < BIG_CAP; n++)
		ins(t, n, NULL, NULL);
	/* Touch the keeper (the current LRU) before every 60,000 inserts,
	 * fewer than the capacity: it never reaches the tail. */
	for (n = 0; n < 5 * BIG_CAP; n++) {
		if (n % 60000 == 0)
			assert_true(present(t, keeper));
		ins(t, base + n, NULL, NULL);
	}
	assert_true(present(t, keeper));
	for (n = 1; n < BIG_CAP; n++)
		assert_false(present(t, n));
	for (n = 5 * BIG_CAP - (BIG_CAP - 1); n < 5 * BIG_CAP; n++)
		assert_true(present(t, base + n));
	assert_false(present(t, base + 5 * BIG_CAP - BIG_CAP));
	assert_int_equal(sw_peer_count(t), BIG_CAP);
	assert_int_equal(sw_peer_stats(t)->evictions, 5 * BIG_CAP);

	/* Every other survivor was just touched after the keeper: left
	 * alone, it is now the LRU and the next newcomer evicts it. */
	{
		uint8_t a[16];

		mkaddr(a, keeper);
		assert_memory_equal(sw_peer_lru(t)->addr, a, 16);
	}
	ins(t, 2 * base, NULL, NULL);
	assert_false(present(t, keeper));
	assert_true(present(t, base + 5 * BIG_CAP - (BIG_CAP - 1)));
	sw_peer_table_free(t);
}

/* Probes per lookup, and the most any single lookup took. */
static void
probe_run(struct sw_peer_table *t, uint32_t from, uint32_t to,
    double *avg, uint64_t *max)
{
	const struct sw_peer_stats *st = sw_peer_stats(t);
	uint64_t l0 = st->lookups, p0 = st->probes, before;
	uint8_t a[16];

	*max = 0;
	for (uint32_t n = from; n < to; n++) {
		mkaddr(a, n);
		before = st->probes;
		(void)sw_peer_lookup(t, a);
		if (st->probes - before > *max)
			*max = st->probes - before;
	}
	*avg = (double)(st->probes - p0) / (double)(st->lookups - l0);
}

/* O(1) lookups, shown by counting chain steps, never by timing (HARD-6). */
static void
test_lookup_probes_bounded(void **state)
{
	struct sw_peer_table *t = mktable(BIG_CAP, 1280, 4096, 1 << 20);
	uint64_t max;
	double avg;
	uint32_t n;

	(void)state;
	/* Light fill: 1,000 entries. */
	for (n = 0; n < 1000; n++)
		ins(t, n, NULL, NULL);
	probe_run(t, 0, 1000, &avg, &max);		/* hits */
	print_message("fill 1000: hit avg %.3f max %llu\n", avg,
	    (unsigned long long)max);
	assert_true(avg >= 1.0 && avg <= 2.0);
	assert_true(max <= 4);
	probe_run(t, 5000000, 5100000, &avg, &max);	/* misses */
	assert_true(avg <= 2.0);

	/* Full: 65,536 entries, load factor 1. */
	for (; n < BIG_CAP; n++)
		ins(t, n, NULL, NULL);
	assert_int_equal(sw_peer_count(t), BIG_CAP);
	probe_run(t, 0, BIG_CAP, &avg, &max);		/* hits */
	print_message("fill %u: hit avg %.3f max %llu\n", BIG_CAP, avg,
	    (unsigned long long)max);
	assert_true(avg >= 1.0 && avg <= 2.0);
	/* Every entry was looked up, so max is the longest chain. */
	assert_true(max <= 12);
	probe_run(t, 5000000, 5100000, &avg, &max);	/* misses */
	print_message("fill %u: miss avg %.3f max %llu\n", BIG_CAP, avg,
	    (unsigned long long)max);
	assert_true(avg <= 2.0);
	assert_true(max <= 12);

	/* Still so after churn: a million more through the full table. */
	for (n = 0; n < FLOOD; n++)
		ins(t, 10000000 + n, NULL, NULL);
	probe_run(t, 10000000 + FLOOD - BIG_CAP, 10000000 + FLOOD, &avg,
	    &max);
	assert_true(avg >= 1.0 && avg <= 2.0);
	assert_true(max <= 12);
	sw_peer_table_free(t);
}

/* ---- queues (CLI-TX-8, REL-TX-5, D21) ---------------------------------- */

static void
fill_pkt(uint8_t *pkt, size_t len, uint32_t tag)
{
	for (size_t i = 0; i < len; i++)
		pkt[i] = (uint8_t)(tag * 31 + i);
}

static void
test_queue_fifo(void **state)
{
	struct sw_peer_table *t = mktable(4, 100, 1000, 1000);
	struct sw_peer *p;
	const uint8_t *f;
	uint8_t pkt[100], want[100];
	size_t len;
	uint32_t k;

	(void)state;
	p = ins(t, 1, NULL, NULL);
	assert_null(sw_peer_queue_front(t, p, &len));
	assert_int_equal(len, 0);
	sw_peer_queue_pop(t, p);		/* empty: harmless */

	for (k = 0; k < 5; k++) {
		fill_pkt(pkt, 40 + k, k);
		assert_int_equal(sw_peer_enqueue(t, p, pkt, 40 + k, NULL), 0);
	}
	assert_int_equal(p->q_pkts, 5);
	assert_int_equal(p->q_bytes, 5 * 40 + 0 + 1 + 2 + 3 + 4);
	assert_int_equal(sw_peer_queue_total(t), p->q_bytes);
	/* Oldest first (Miredo's queue was LIFO). */
	for (k = 0; k < 5; k++) {
		f = sw_peer_queue_front(t, p, &len);
		assert_non_null(f);
		assert_int_equal(len, 40 + k);
		fill_pkt(want, len, k);
		assert_memory_equal(f, want, len);
		assert_ptr_equal(sw_peer_queue_front(t, p, NULL), f);
		sw_peer_queue_pop(t, p);
	}
	assert_null(sw_peer_queue_front(t, p, &len));
	assert_int_equal(p->q_pkts, 0);
	assert_int_equal(p->q_bytes, 0);
	assert_int_equal(p->q_head, SW_PEER_NONE);
	assert_int_equal(p->q_tail, SW_PEER_NONE);
	assert_int_equal(sw_peer_queue_total(t), 0);
	sw_peer_table_free(t);
}

static void
test_queue_bounds(void **state)
{
	/* Slots of 100 bytes, 300 per peer, 1000 in all: 10 slots. */
	struct sw_peer_table *t = mktable(32, 100, 300, 1000);
	struct sw_peer *p[12];
	uint8_t pkt[101] = { 0 };
	enum sw_drop why;
	uint32_t k;

	(void)state;
	for (k = 0; k < 12; k++)
		p[k] = ins(t, k, NULL, NULL);

	/* Too big for a slot (CLI-TX-8); why may be NULL. */
	why = SW_DROP_NONE;
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 101, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_TOO_BIG);
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 101, NULL), -ENOBUFS);
	assert_int_equal(p[0]->q_pkts, 0);

	/* Per-peer bound in bytes. */
	for (k = 0; k < 3; k++)
		assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 100, &why), 0);
	why = SW_DROP_NONE;
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 1, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_PEER_FULL);
	assert_int_equal(p[0]->q_bytes, 300);
	sw_peer_queue_pop(t, p[0]);
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 100, &why), 0);

	/* Total bound across peers: 3 x 300 + 100 = 1000 bytes. */
	for (k = 1; k < 3; k++)
		for (uint32_t j = 0; j < 3; j++)
			assert_int_equal(sw_peer_enqueue(t, p[k], pkt, 100,
			    &why), 0);
	assert_int_equal(sw_peer_enqueue(t, p[3], pkt, 100, &why), 0);
	assert_int_equal(sw_peer_queue_total(t), 1000);
	why = SW_DROP_NONE;
	assert_int_equal(sw_peer_enqueue(t, p[3], pkt, 40, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_TOTAL_FULL);
	why = SW_DROP_NONE;
	assert_int_equal(sw_peer_enqueue(t, p[4], pkt, 0, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_TOTAL_FULL);
	assert_int_equal(p[3]->q_pkts, 1);
	assert_int_equal(p[4]->q_pkts, 0);
	/* The per-peer check comes first. */
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 1, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_PEER_FULL);

	/* Clear gives the slots back. */
	assert_int_equal(sw_peer_queue_clear(t, p[1]), 3);
	assert_int_equal(sw_peer_queue_clear(t, p[1]), 0);
	assert_int_equal(p[1]->q_bytes, 0);
	assert_int_equal(sw_peer_queue_total(t), 700);
	assert_int_equal(sw_peer_enqueue(t, p[4], pkt, 100, &why), 0);
	assert_int_equal(sw_peer_queue_clear(t, p[4]), 1);
	sw_peer_queue_clear(t, p[0]);
	sw_peer_queue_clear(t, p[2]);
	sw_peer_queue_clear(t, p[3]);
	assert_int_equal(sw_peer_queue_total(t), 0);

	/* Out of slots before out of bytes: 10 small packets fill the pool. */
	for (k = 0; k < 10; k++)
		assert_int_equal(sw_peer_enqueue(t, p[k], pkt, 40, &why), 0);
	assert_int_equal(sw_peer_queue_total(t), 400);
	why = SW_DROP_NONE;
	assert_int_equal(sw_peer_enqueue(t, p[10], pkt, 40, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_TOTAL_FULL);
	for (k = 0; k < 10; k++)
		sw_peer_queue_clear(t, p[k]);
	assert_int_equal(sw_peer_queue_total(t), 0);
	sw_peer_table_free(t);
}

/* q_pkts is 16 bits: empty packets cannot wrap it (CLI-TX-8). */
static void
test_queue_packet_count_bound(void **state)
{
	struct sw_peer_table *t = mktable(2, 40, 4096, 40 * 70000);
	struct sw_peer *p;
	enum sw_drop why = SW_DROP_NONE;
	uint8_t pkt[1] = { 0 };

	(void)state;
	p = ins(t, 1, NULL, NULL);
	for (uint32_t k = 0; k < UINT16_MAX; k++)
		assert_int_equal(sw_peer_enqueue(t, p, pkt, 0, NULL), 0);
	assert_int_equal(p->q_pkts, UINT16_MAX);
	assert_int_equal(sw_peer_enqueue(t, p, pkt, 0, &why), -ENOBUFS);
	assert_int_equal(why, SW_DROP_QUEUE_PEER_FULL);
	assert_int_equal(sw_peer_queue_clear(t, p), UINT16_MAX);
	sw_peer_table_free(t);
}

/* Removal and eviction drop the queue and count it under D21. */
static void
test_queue_dropped_with_peer(void **state)
{
	struct sw_peer_table *t = mktable(2, 100, 300, 600);
	struct sw_drop_counters d;
	struct sw_peer *a, *b;
	uint8_t pkt[100] = { 0 };
	uint32_t k;

	(void)state;
	memset(&d, 0, sizeof(d));
	a = ins(t, 1, NULL, &d);
	b = ins(t, 2, NULL, &d);
	for (k = 0; k < 3; k++) {
		assert_int_equal(sw_peer_enqueue(t, a, pkt, 100, NULL), 0);
		assert_int_equal(sw_peer_enqueue(t, b, pkt, 50, NULL), 0);
	}
	assert_int_equal(sw_peer_queue_total(t), 450);

	sw_peer_remove(t, a, &d);			/* REL-TX-5, D21 */
	assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], 3);
	assert_int_equal(sw_peer_queue_total(t), 150);

	a = ins(t, 3, NULL, &d);			/* free entry, no drop */
	assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], 3);
	assert_int_equal(sw_peer_enqueue(t, a, pkt, 100, NULL), 0);
	(void)ins(t, 4, NULL, &d);			/* evicts peer 2 */
	assert_false(present(t, 2));
	assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], 6);
	assert_int_equal(sw_peer_queue_total(t), 100);

	/* drops may be NULL: nothing counted, slots still freed. */
	sw_peer_remove(t, a, NULL);
	assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], 6);
	assert_int_equal(sw_peer_queue_total(t), 0);
	for (k = 0; k < sizeof(d.n) / sizeof(d.n[0]); k++)
		if (k != SW_DROP_QUEUE_PEER_GONE)
			assert_int_equal(d.n[k], 0);

	/* The whole pool (6 slots) is usable again. */
	a = ins(t, 5, NULL, NULL);
	b = ins(t, 4, NULL, NULL);
	assert_int_equal(sw_peer_count(t), 2);
	for (k = 0; k < 3; k++) {
		assert_int_equal(sw_peer_enqueue(t, a, pkt, 100, NULL), 0);
		assert_int_equal(sw_peer_enqueue(t, b, pkt, 100, NULL), 0);
	}
	assert_int_equal(sw_peer_queue_total(t), 600);
	sw_peer_table_free(t);
}

/* 100,000 packets through a 4-slot pool: nothing leaks. */
static void
test_queue_no_leak(void **state)
{
	struct sw_peer_table *t = mktable(8, 64, 128, 256);
	struct sw_drop_counters d;
	struct sw_peer *p[3];
	uint8_t pkt[64], want[64];
	const uint8_t *f;
	uint32_t k, sent[3] = { 0 }, got[3] = { 0 };
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (k = 0; k < 3; k++)
		p[k] = ins(t, k, NULL, NULL);
	for (k = 0; k < 100000; k++) {
		uint32_t w = k % 3;

		fill_pkt(pkt, 40 + sent[w] % 24, sent[w] ^ (w << 20));
		if (sw_peer_enqueue(t, p[w], pkt, 40 + sent[w] % 24,
		    NULL) == 0)
			sent[w]++;
		if (k % 2 == 1) {
			w = (k / 2) % 3;
			f = sw_peer_queue_front(t, p[w], &len);
			if (f == NULL)
				continue;
			assert_int_equal(len, 40 + got[w] % 24);
			fill_pkt(want, len, got[w] ^ (w << 20));
			assert_memory_equal(f, want, len);
			sw_peer_queue_pop(t, p[w]);
			got[w]++;
		}
	}
	assert_true(sent[0] + sent[1] + sent[2] > 49000);
	for (k = 0; k < 3; k++) {
		assert_int_equal(sent[k] - got[k], p[k]->q_pkts);
		sw_peer_remove(t, p[k], &d);
	}
	assert_int_equal(sw_peer_queue_total(t), 0);
	/* All 4 slots are free again. */
	p[0] = ins(t, 100, NULL, NULL);
	p[1] = ins(t, 101, NULL, NULL);
	for (k = 0; k < 2; k++) {
		assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 64, NULL), 0);
		assert_int_equal(sw_peer_enqueue(t, p[1], pkt, 64, NULL), 0);
	}
	assert_int_equal(sw_peer_queue_total(t), 256);
	sw_peer_table_free(t);
}

/* ---- randomized run against a naive model --------------------------------
 *
 * The model: an array of (address, last use stamp, queue) with linear
 * search; the victim is the smallest stamp.  Both must agree on
 * membership, on which peer is evicted, and on queue accounting.
 */
#define M_CAP		64u
#define M_UNIVERSE	160u
#define M_SLOT		64u
#define M_PEER_BYTES	200u
#define M_TOTAL_BYTES	1280u		/* 20 slots */
#define M_OPS		400000u

struct model_peer {
	uint32_t id;
	uint64_t stamp;
	uint32_t qlen[M_PEER_BYTES];	/* packet lengths, oldest first */
	uint32_t qn, qbytes;
};

struct model {
	struct model_peer e[M_CAP];
	uint32_t n;
	uint64_t clock;
	uint32_t total;
	uint64_t evictions, gone;
};

static int
m_find(const struct model *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].id == id)
			return (int)i;
	return -1;
}

static uint32_t
m_victim(const struct model *m)
{
	uint32_t v = 0;

	for (uint32_t i = 1; i < m->n; i++)
		if (m->e[i].stamp < m->e[v].stamp)
			v = i;
	return v;
}

static void
m_drop(struct model *m, uint32_t i)
{
	m->gone += m->e[i].qn;
	m->total -= m->e[i].qbytes;
	m->e[i] = m->e[--m->n];
}

static bool
m_lookup(struct model *m, uint32_t id)
{
	int i = m_find(m, id);

	if (i < 0)
		return false;
	m->e[i].stamp = ++m->clock;
	return true;
}

/* Returns the id evicted, or UINT32_MAX. */
static uint32_t
m_insert(struct model *m, uint32_t id)
{
	uint32_t victim = UINT32_MAX, v;
	int i = m_find(m, id);

	if (i >= 0) {
		m->e[i].stamp = ++m->clock;
		return victim;
	}
	if (m->n == M_CAP) {
		v = m_victim(m);
		victim = m->e[v].id;
		m_drop(m, v);
		m->evictions++;
	}
	memset(&m->e[m->n], 0, sizeof(m->e[m->n]));
	m->e[m->n].id = id;
	m->e[m->n].stamp = ++m->clock;
	m->n++;
	return victim;
}

static void
test_random_vs_model(void **state)
{
	static struct model m;
	struct sw_peer_table *t = mktable(M_CAP, M_SLOT, M_PEER_BYTES,
	    M_TOTAL_BYTES);
	struct sw_drop_counters d;
	struct sw_peer *p;
	uint64_t rs = 0x9e3779b97f4a7c15ULL;
	uint8_t a[16], pkt[M_SLOT];
	enum sw_drop why;
	size_t len;
	bool created;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&d, 0, sizeof(d));
	memset(pkt, 0x60, sizeof(pkt));
	for (uint32_t op = 0; op < M_OPS; op++) {
		uint64_t r = xorshift64(&rs);
		uint32_t id = (uint32_t)(r >> 8) % M_UNIVERSE;
		uint32_t kind = (uint32_t)(r & 0xff);
		int mi;

		mkaddr(a, id);
		if (kind < 90) {			/* insert */
			struct sw_peer *lru = sw_peer_lru(t);
			uint32_t victim, full = m.n == M_CAP;
			uint8_t va[16];

			if (lru != NULL && full)
				memcpy(va, lru->addr, 16);
			bool fresh = m_find(&m, id) < 0;

			victim = m_insert(&m, id);
			p = sw_peer_insert(t, a, &created, &d);
			assert_non_null(p);
			assert_memory_equal(p->addr, a, 16);
			assert_int_equal(created, fresh);
			if (fresh)
				assert_fresh(p, id);
			if (victim != UINT32_MAX) {
				uint8_t ma[16];

				assert_true(created);
				mkaddr(ma, victim);
				assert_memory_equal(va, ma, 16);
			}
		} else if (kind < 170) {		/* lookup */
			bool hit = m_lookup(&m, id);

			p = sw_peer_lookup(t, a);
			assert_int_equal(p != NULL, hit);
		} else if (kind < 195) {		/* remove */
			mi = m_find(&m, id);
			p = sw_peer_lookup(t, a);	/* a touch, then gone */
			assert_int_equal(p != NULL, mi >= 0);
			if (mi >= 0) {
				m_drop(&m, (uint32_t)mi);
				sw_peer_remove(t, p, &d);
			}
		} else if (kind < 235) {		/* enqueue */
			uint32_t l = 40 + (uint32_t)(r >> 40) % (M_SLOT - 39);
			enum sw_drop want = SW_DROP_NONE;
			struct model_peer *e;
			uint32_t used = 0;

			if (!m_lookup(&m, id)) {
				assert_null(sw_peer_lookup(t, a));
				continue;
			}
			p = sw_peer_lookup(t, a);
			assert_non_null(p);
			e = &m.e[m_find(&m, id)];
			for (uint32_t i = 0; i < m.n; i++)
				used += m.e[i].qn;
			if (e->qbytes + l > M_PEER_BYTES)
				want = SW_DROP_QUEUE_PEER_FULL;
			else if (m.total + l > M_TOTAL_BYTES ||
			    used == M_TOTAL_BYTES / M_SLOT)
				want = SW_DROP_QUEUE_TOTAL_FULL;
			why = SW_DROP_NONE;
			if (want == SW_DROP_NONE) {
				assert_int_equal(sw_peer_enqueue(t, p, pkt, l,
				    &why), 0);
				e->qlen[e->qn++] = l;
				e->qbytes += l;
				m.total += l;
			} else {
				assert_int_equal(sw_peer_enqueue(t, p, pkt, l,
				    &why), -ENOBUFS);
				assert_int_equal(why, want);
			}
		} else {				/* dequeue */
			struct model_peer *e;

			if (!m_lookup(&m, id)) {
				assert_null(sw_peer_lookup(t, a));
				continue;
			}
			p = sw_peer_lookup(t, a);
			assert_non_null(p);
			e = &m.e[m_find(&m, id)];
			if (e->qn == 0) {
				assert_null(sw_peer_queue_front(t, p, &len));
				continue;
			}
			assert_non_null(sw_peer_queue_front(t, p, &len));
			assert_int_equal(len, e->qlen[0]);
			sw_peer_queue_pop(t, p);
			memmove(e->qlen, e->qlen + 1,
			    --e->qn * sizeof(e->qlen[0]));
			e->qbytes -= (uint32_t)len;
			m.total -= (uint32_t)len;
		}

		assert_int_equal(sw_peer_count(t), m.n);
		assert_int_equal(sw_peer_queue_total(t), m.total);
		assert_int_equal(sw_peer_stats(t)->evictions, m.evictions);
		assert_int_equal(d.n[SW_DROP_QUEUE_PEER_GONE], m.gone);
		if (m.n > 0) {
			uint8_t va[16];

			mkaddr(va, m.e[m_victim(&m)].id);
			assert_memory_equal(sw_peer_lru(t)->addr, va, 16);
		} else
			assert_null(sw_peer_lru(t));

		/* Now and then, full membership (the model touches too). */
		if (op % 10000 == 0)
			for (uint32_t id2 = 0; id2 < M_UNIVERSE; id2++) {
				mkaddr(a, id2);
				assert_int_equal(sw_peer_lookup(t, a) != NULL,
				    m_lookup(&m, id2));
			}
	}
	assert_true(m.evictions > 1000);
	assert_true(m.gone > 100);
	sw_peer_table_free(t);
}

/* sw_peer_newer walks the LRU list from the tail without reordering. */
static void
test_lru_walk(void **state)
{
	struct sw_peer_table *t = mktable(8, 64, 256, 1024);
	struct sw_peer *p;
	uint8_t a[16];
	unsigned n = 0;

	(void)state;
	assert_null(sw_peer_newer(t, NULL));
	for (uint32_t i = 0; i < 5; i++)
		(void)ins(t, i, NULL, NULL);
	mkaddr(a, 1);
	(void)sw_peer_lookup(t, a);		/* order: 0 2 3 4 1 */
	for (p = sw_peer_lru(t); p != NULL; p = sw_peer_newer(t, p)) {
		static const uint32_t want[] = { 0, 2, 3, 4, 1 };

		mkaddr(a, want[n++]);
		assert_memory_equal(p->addr, a, 16);
	}
	assert_int_equal(n, 5);
	mkaddr(a, 0);
	assert_memory_equal(sw_peer_lru(t)->addr, a, 16);	/* unchanged */
	sw_peer_table_free(t);
}

/* HARD-6: the biggest queue by size class, first into its class. */
static void
test_queue_biggest(void **state)
{
	struct sw_peer_table *t = mktable(8, 1000, 4000, 16000);
	struct sw_peer *p[4];
	uint8_t pkt[1000] = { 0 };
	enum sw_drop why;

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		p[i] = ins(t, i, NULL, NULL);
	assert_null(sw_peer_queue_biggest(t, NULL));
	/* p0: 100 bytes (class 7); p1: 900 (class 10); p2: 600 (class 10,
	 * after p1); p3: 40 (class 6) */
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 100, &why), 0);
	assert_int_equal(sw_peer_enqueue(t, p[1], pkt, 900, &why), 0);
	assert_int_equal(sw_peer_enqueue(t, p[2], pkt, 600, &why), 0);
	assert_int_equal(sw_peer_enqueue(t, p[3], pkt, 40, &why), 0);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[1]);
	assert_ptr_equal(sw_peer_queue_biggest(t, p[1]), p[2]);
	assert_ptr_equal(sw_peer_queue_biggest(t, p[3]), p[1]);
	/* p0 grows into class 11: the biggest now */
	assert_int_equal(sw_peer_enqueue(t, p[0], pkt, 1000, &why), 0);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[0]);
	assert_ptr_equal(sw_peer_queue_biggest(t, p[0]), p[1]);
	/* popping moves it down: 1000 bytes, class 10, behind p1 and p2 */
	sw_peer_queue_pop(t, p[0]);
	assert_int_equal(p[0]->q_bytes, 1000);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[1]);
	/* cleared and removed peers leave their lists */
	assert_int_equal(sw_peer_queue_clear(t, p[1]), 1);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[2]);
	sw_peer_remove(t, p[2], NULL);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[0]);
	sw_peer_queue_pop(t, p[0]);
	assert_ptr_equal(sw_peer_queue_biggest(t, NULL), p[3]);
	assert_null(sw_peer_queue_biggest(t, p[3]));
	sw_peer_queue_pop(t, p[3]);
	assert_null(sw_peer_queue_biggest(t, NULL));
	/* an evicted peer's list entry goes with it */
	assert_int_equal(sw_peer_enqueue(t, p[3], pkt, 500, &why), 0);
	for (uint32_t i = 10; i < 20; i++)
		(void)ins(t, i, NULL, NULL);	/* evicts everything old */
	assert_null(sw_peer_queue_biggest(t, NULL));
	sw_peer_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_reuse_after_eviction_is_zeroed),
		cmocka_unit_test(test_conf_validation),
		cmocka_unit_test(test_flood_bounded_lru),
		cmocka_unit_test(test_touched_peer_survives),
		cmocka_unit_test(test_lookup_probes_bounded),
		cmocka_unit_test(test_queue_fifo),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_queue_packet_count_bound),
		cmocka_unit_test(test_queue_dropped_with_peer),
		cmocka_unit_test(test_queue_no_leak),
		cmocka_unit_test(test_random_vs_model),
		cmocka_unit_test(test_lru_walk),
		cmocka_unit_test(test_queue_biggest),
	};
	return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
