/*
 * peer_bench.c - cost of the peer table (CLI-ST-3, HARD-6): ns per lookup
 * (hit and miss) and per insert that evicts, at 1,024 and 65,536 entries,
 * to show that neither grows with the table; and its bytes per entry.
 *
 * Each table is filled to capacity first.  Hits and misses read 65,536
 * precomputed addresses in a ring (random peers for hits, absent ones for
 * misses); every insert is a new address, so each one evicts.  Timing is
 * CLOCK_MONOTONIC around the whole loop, best of TRIALS.  The probe counts are the
 * size-independent part; the last row (65,536 entries, hits among 1,024
 * peers) separates the table's own cost from cache misses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer.h"
#include "../tests/common/prng.h"

#define RING		65536u
#define LOOKUPS		1500000u
#define INSERTS		750000u
#define TRIALS		3		/* the best of them is reported */
#define POOL_BYTES	65536u

struct result {
	uint32_t cap, hot;
	size_t memsize;
	double hit_ns, miss_ns, insert_ns;
	double probes_hit, probes_miss;
};

static volatile uint64_t sink;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 2001:0:cb00:7178:<hi>::<n> */
static void
mkaddr(uint8_t a[16], uint32_t hi, uint32_t n)
{
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01;
	a[4] = 0xcb; a[6] = 0x71; a[7] = 0x78;
	sw_put32(a + 8, hi);
	sw_put32(a + 12, n);
}

static double
dmin(double a, double b)
{
	return a < b ? a : b;
}

static void
die(const char *what)
{
	fprintf(stderr, "peer_bench: %s\n", what);
	exit(1);
}

/* ns per lookup over LOOKUPS lookups of the ring; *found counts hits. */
static double
time_lookups(struct sw_peer_table *t, uint8_t (*ring)[16], uint64_t *found)
{
	struct sw_peer *p;
	uint64_t t0, acc = 0, n = 0;
	double ns;

	t0 = now_ns();
	for (uint32_t i = 0; i < LOOKUPS; i++) {
		p = sw_peer_lookup(t, ring[i & (RING - 1)]);
		if (p != NULL) {
			n++;
			acc += p->addr[15];
		}
	}
	ns = (double)(now_ns() - t0) / LOOKUPS;
	sink += acc;
	*found = n;
	return ns;
}

/* A cap-entry table, filled; hits are drawn from its first hot peers. */
static void
run(uint32_t cap, uint32_t hot, uint8_t (*ring)[16], struct result *r)
{
	struct sw_peer_table_conf c;
	struct sw_peer_table *t;
	const struct sw_peer_stats *st;
	uint64_t rs = 0x2545f4914f6cdd1dULL, t0, l0, p0, hits, acc = 0;
	uint8_t a[16];

	memset(&c, 0, sizeof(c));
	c.capacity = cap;
	c.slot_size = 1280;
	c.queue_peer_bytes = 4096;
	c.queue_total_bytes = POOL_BYTES;
	memset(c.hash_key, 0x3c, sizeof(c.hash_key));
	if (sw_peer_table_new(&t, &c) != 0)
		die("sw_peer_table_new failed");
	st = sw_peer_stats(t);
	r->cap = cap;
	r->hot = hot;
	r->memsize = sw_peer_table_memsize(t);

	for (uint32_t n = 0; n < cap; n++) {
		mkaddr(a, 0, n);
		(void)sw_peer_insert(t, a, NULL, NULL);
	}
	if (sw_peer_count(t) != cap)
		die("fill failed");

	/* Hits: random present peers. */
	for (uint32_t i = 0; i < RING; i++)
		mkaddr(ring[i], 0, (uint32_t)(xorshift64(&rs) % hot));
	l0 = st->lookups;
	p0 = st->probes;
	r->hit_ns = 1e30;
	for (int k = 0; k < TRIALS; k++) {
		r->hit_ns = dmin(r->hit_ns, time_lookups(t, ring, &hits));
		if (hits != LOOKUPS)
			die("a hit missed");
	}
	r->probes_hit = (double)(st->probes - p0) / (double)(st->lookups - l0);

	/* Misses: absent peers, same ring size. */
	for (uint32_t i = 0; i < RING; i++)
		mkaddr(ring[i], 1, (uint32_t)xorshift64(&rs));
	l0 = st->lookups;
	p0 = st->probes;
	r->miss_ns = 1e30;
	for (int k = 0; k < TRIALS; k++) {
		r->miss_ns = dmin(r->miss_ns, time_lookups(t, ring, &hits));
		if (hits != 0)
			die("a miss hit");
	}
	r->probes_miss = (double)(st->probes - p0) /
	    (double)(st->lookups - l0);

	/* Inserts of new peers: each evicts the LRU. */
	r->insert_ns = 1e30;
	for (uint32_t k = 0; k < TRIALS; k++) {
		l0 = st->evictions;
		t0 = now_ns();
		for (uint32_t i = 0; i < INSERTS; i++) {
			mkaddr(a, 2 + k, i);
			acc += (uintptr_t)sw_peer_insert(t, a, NULL, NULL);
		}
		r->insert_ns = dmin(r->insert_ns,
		    (double)(now_ns() - t0) / INSERTS);
		if (st->evictions - l0 != INSERTS || sw_peer_count(t) != cap)
			die("inserts did not all evict");
	}
	if (sw_peer_table_memsize(t) != r->memsize)
		die("memsize changed");

	sink += acc;
	sw_peer_table_free(t);
}

int
main(void)
{
	static const struct {
		uint32_t cap, hot;
	} runs[] = {
		{ 1024, 1024 },
		{ 65536, 65536 },
		{ 65536, 1024 },
	};
	const size_t nruns = sizeof(runs) / sizeof(runs[0]);
	struct result r[sizeof(runs) / sizeof(runs[0])];
	uint8_t (*ring)[16];
	size_t i;

	if ((ring = malloc(RING * sizeof(*ring))) == NULL)
		die("out of memory");
	for (i = 0; i < nruns; i++)
		run(runs[i].cap, runs[i].hot, ring, &r[i]);
	free(ring);

	printf("peer table: sizeof(struct sw_peer) = %zu, queue pool %u bytes,"
	    " best of %d runs of %u lookups / %u inserts\n\n",
	    sizeof(struct sw_peer), POOL_BYTES, TRIALS, LOOKUPS, INSERTS);
	printf("%9s %7s %10s %8s %8s %8s %8s %11s %11s\n", "capacity",
	    "hits in", "memsize", "B/entry", "hit ns", "miss ns", "ins ns",
	    "probes/hit", "probes/miss");
	for (i = 0; i < nruns; i++)
		printf("%9u %7u %10zu %8.1f %8.1f %8.1f %8.1f %11.3f %11.3f\n",
		    r[i].cap, r[i].hot, r[i].memsize,
		    (double)r[i].memsize / r[i].cap, r[i].hit_ns, r[i].miss_ns,
		    r[i].insert_ns, r[i].probes_hit, r[i].probes_miss);
	printf("\nhits in: how many distinct peers the hit lookups touch "
	    "(cache footprint).\nins ns: a new peer into the full table, "
	    "which evicts the LRU entry.\n");
	return 0;
}
