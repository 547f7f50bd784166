/*
 * peer.c - the fixed-capacity peer table (CLI-ST-2/3, HARD-6, REL-TX-5).
 *
 * sw_peer_table_new() makes one allocation, laid out as
 *
 *	struct sw_peer_table		sizes, list heads, counters
 *	struct sw_peer	[capacity]	the entries
 *	struct slot	[nslots]	queue slot headers (next, len)
 *	uint32_t	[nbuckets]	hash bucket heads, nbuckets = 2^k >= capacity
 *	uint8_t		[nslots * slot_size]	queued packets
 *
 * and nothing is allocated afterwards.  Every link is a uint32_t index;
 * SW_PEER_NONE ends a list.
 *
 *  - Hash chains: buckets[siphash(key, addr) & mask] -> peer.hnext -> ...
 *    The key is secret, so an attacker choosing addresses cannot choose
 *    collisions (HARD-6); with nbuckets >= capacity a chain holds about
 *    one entry.
 *  - LRU: a doubly linked list through lru_prev/lru_next, from t->mru
 *    (most recently used) to t->lru (the next victim, CLI-ST-3).
 *  - Unused entries: those at or past t->used have never been handed out
 *    (calloc left them zero, so a big table costs no RSS until used);
 *    removed ones form a stack through lru_next, with lru_prev = FREE_MARK.
 *  - Queues: each peer's FIFO runs from q_head to q_tail through
 *    slot.next; unused slots are those past t->slots_used plus a stack of
 *    returned ones from t->free_slot.  A queue is bounded by
 *    queue_peer_bytes (and 65535 packets), all queues by
 *    queue_total_bytes and the slot count (CLI-TX-8, REL-TX-5).  Dropping
 *    a whole queue splices its chain onto the free stack in one step.
 *  - Size classes: a peer with q_bytes > 0 sits in list q_class = bit
 *    length of q_bytes (1..32), through qc_prev/qc_next, appended when it
 *    enters the class; t->qc_bits has bit c set while list c is not empty,
 *    so the biggest class is one count-leading-zeros away.
 *
 * Every operation is O(1), expected for the hash, including queue clear;
 * an eviction hashes the victim's address again to find its chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "peer.h"

#define CAPACITY_MAX	(UINT32_C(1) << 24)
#define SLOT_MIN	40		/* a bare IPv6 header */
#define SLOT_MAX	65535		/* slot.len is 16 bits */
#define QUEUE_TOTAL_MAX	(UINT32_C(1) << 30)
#define FREE_MARK	(SW_PEER_NONE - 1)	/* lru_prev of a removed entry */
#define NCLASS		33		/* size classes: bit length 0..32 */

struct slot {
	uint32_t next;
	uint16_t len;
};

struct sw_peer_table {
	struct sw_peer *peers;
	struct slot *slots;
	uint32_t *buckets;
	uint8_t *data;
	size_t memsize;
	size_t q_total;			/* bytes queued, all peers */
	struct sw_peer_stats stats;
	uint32_t capacity;
	uint32_t count;
	uint32_t mask;			/* nbuckets - 1 */
	uint32_t mru, lru;		/* LRU list ends */
	uint32_t used;			/* entries ever handed out */
	uint32_t free_peer;		/* removed entries */
	uint32_t nslots;
	uint32_t slots_used;		/* slots ever handed out */
	uint32_t free_slot;		/* returned slots */
	uint32_t slot_size;
	uint32_t q_peer_max;
	uint32_t q_total_max;
	uint32_t qc_head[NCLASS], qc_tail[NCLASS];	/* size-class lists */
	uint64_t qc_bits;		/* bit c: list c not empty */
	uint8_t key[16];
};

/* Place n objects of size sz at the next multiple of align past *off. */
static int
layout(size_t *off, size_t align, size_t n, size_t sz, size_t *at)
{
	size_t o;

	o = (*off + align - 1) & ~(align - 1);
	if (o < *off || (sz != 0 && n > (SIZE_MAX - o) / sz))
		return -1;
	*at = o;
	*off = o + n * sz;
	return 0;
}

static int
conf_ok(const struct sw_peer_table_conf *c)
{
	if (c->capacity < 1 || c->capacity > CAPACITY_MAX)
		return 0;
	if (c->slot_size < SLOT_MIN || c->slot_size > SLOT_MAX)
		return 0;
	if (c->queue_peer_bytes < 1 ||
	    c->queue_peer_bytes > c->queue_total_bytes ||
	    c->queue_total_bytes > QUEUE_TOTAL_MAX)
		return 0;
	return 1;
}

int
sw_peer_table_new(struct sw_peer_table **out,
    const struct sw_peer_table_conf *conf)
{
	struct sw_peer_table *t;
	size_t off, o_peers, o_slots, o_buckets, o_data;
	uint32_t nbuckets, nslots, i;
	uint8_t *base;

	*out = NULL;
	if (!conf_ok(conf))
		return -EINVAL;
	for (nbuckets = 1; nbuckets < conf->capacity; nbuckets <<= 1)
		;
	nslots = conf->queue_total_bytes / conf->slot_size;
	if (nslots == 0)
		nslots = 1;

	off = sizeof(*t);
	if (layout(&off, _Alignof(struct sw_peer), conf->capacity,
	    sizeof(struct sw_peer), &o_peers) != 0 ||
	    layout(&off, _Alignof(struct slot), nslots,
	    sizeof(struct slot), &o_slots) != 0 ||
	    layout(&off, _Alignof(uint32_t), nbuckets,
	    sizeof(uint32_t), &o_buckets) != 0 ||
	    layout(&off, 16, nslots, conf->slot_size, &o_data) != 0)
		return -EINVAL;

	if ((base = calloc(1, off)) == NULL)
		return -ENOMEM;
	t = (struct sw_peer_table *)(void *)base;
	t->peers = (struct sw_peer *)(void *)(base + o_peers);
	t->slots = (struct slot *)(void *)(base + o_slots);
	t->buckets = (uint32_t *)(void *)(base + o_buckets);
	t->data = base + o_data;
	t->memsize = off;
	t->capacity = conf->capacity;
	t->mask = nbuckets - 1;
	t->mru = t->lru = SW_PEER_NONE;
	t->nslots = nslots;
	t->slot_size = conf->slot_size;
	t->q_peer_max = conf->queue_peer_bytes;
	t->q_total_max = conf->queue_total_bytes;
	memcpy(t->key, conf->hash_key, sizeof(t->key));

	t->free_peer = t->free_slot = SW_PEER_NONE;
	for (i = 0; i < NCLASS; i++)
		t->qc_head[i] = t->qc_tail[i] = SW_PEER_NONE;
	for (i = 0; i < nbuckets; i++)
		t->buckets[i] = SW_PEER_NONE;

	*out = t;
	return 0;
}

void
sw_peer_table_free(struct sw_peer_table *t)
{
	free(t);
}

size_t
sw_peer_table_memsize(const struct sw_peer_table *t)
{
	return t->memsize;
}

uint32_t
sw_peer_count(const struct sw_peer_table *t)
{
	return t->count;
}

uint32_t
sw_peer_capacity(const struct sw_peer_table *t)
{
	return t->capacity;
}

const struct sw_peer_stats *
sw_peer_stats(const struct sw_peer_table *t)
{
	return &t->stats;
}

static uint32_t
bucket_of(const struct sw_peer_table *t, const uint8_t *addr)
{
	return (uint32_t)(sw_siphash(t->key, addr, 16) & t->mask);
}

/* Walk bucket b for addr; *probes counts the entries examined. */
static uint32_t
find(const struct sw_peer_table *t, uint32_t b, const uint8_t *addr,
    uint64_t *probes)
{
	uint32_t i;

	for (i = t->buckets[b]; i != SW_PEER_NONE; i = t->peers[i].hnext) {
		(*probes)++;
		if (memcmp(t->peers[i].addr, addr, 16) == 0)
			break;
	}
	return i;
}

static void
hash_unlink(struct sw_peer_table *t, uint32_t i)
{
	uint32_t *pp;

	pp = &t->buckets[bucket_of(t, t->peers[i].addr)];
	while (*pp != i && *pp != SW_PEER_NONE)
		pp = &t->peers[*pp].hnext;
	if (*pp == i)
		*pp = t->peers[i].hnext;
	t->peers[i].hnext = SW_PEER_NONE;
}

static void
lru_unlink(struct sw_peer_table *t, uint32_t i)
{
	struct sw_peer *p = &t->peers[i];

	if (p->lru_prev != SW_PEER_NONE)
		t->peers[p->lru_prev].lru_next = p->lru_next;
	else
		t->mru = p->lru_next;
	if (p->lru_next != SW_PEER_NONE)
		t->peers[p->lru_next].lru_prev = p->lru_prev;
	else
		t->lru = p->lru_prev;
}

static void
lru_push(struct sw_peer_table *t, uint32_t i)
{
	struct sw_peer *p = &t->peers[i];

	p->lru_prev = SW_PEER_NONE;
	p->lru_next = t->mru;
	if (t->mru != SW_PEER_NONE)
		t->peers[t->mru].lru_prev = i;
	else
		t->lru = i;
	t->mru = i;
}

static void
touch(struct sw_peer_table *t, uint32_t i)
{
	if (t->mru != i) {
		lru_unlink(t, i);
		lru_push(t, i);
	}
}

static uint8_t
size_class(uint32_t bytes)
{
	return bytes == 0 ? 0 : (uint8_t)(32 - __builtin_clz(bytes));
}

/* Move peer i to the size-class list its q_bytes now call for (class 0,
 * an empty queue, is no list).  O(1). */
static void
qclass_update(struct sw_peer_table *t, uint32_t i)
{
	struct sw_peer *p = &t->peers[i];
	uint8_t c = size_class(p->q_bytes), o = p->q_class;

	if (c == o)
		return;
	if (o != 0) {
		if (p->qc_prev != SW_PEER_NONE)
			t->peers[p->qc_prev].qc_next = p->qc_next;
		else
			t->qc_head[o] = p->qc_next;
		if (p->qc_next != SW_PEER_NONE)
			t->peers[p->qc_next].qc_prev = p->qc_prev;
		else
			t->qc_tail[o] = p->qc_prev;
		if (t->qc_head[o] == SW_PEER_NONE)
			t->qc_bits &= ~(UINT64_C(1) << o);
	}
	p->q_class = c;
	p->qc_prev = p->qc_next = SW_PEER_NONE;
	if (c == 0)
		return;
	p->qc_prev = t->qc_tail[c];
	if (t->qc_tail[c] != SW_PEER_NONE)
		t->peers[t->qc_tail[c]].qc_next = i;
	else
		t->qc_head[c] = i;
	t->qc_tail[c] = i;
	t->qc_bits |= UINT64_C(1) << c;
}

/* Give the whole queue back to the pool; returns the packet count. */
static unsigned
queue_drop(struct sw_peer_table *t, struct sw_peer *p)
{
	unsigned n = p->q_pkts;

	if (p->q_head == SW_PEER_NONE)
		return 0;
	t->slots[p->q_tail].next = t->free_slot;
	t->free_slot = p->q_head;
	t->q_total -= p->q_bytes;
	p->q_head = p->q_tail = SW_PEER_NONE;
	p->q_bytes = 0;
	p->q_pkts = 0;
	qclass_update(t, (uint32_t)(p - t->peers));
	return n;
}

/* Take entry i out of the hash and the LRU list, dropping its queue (D21). */
static void
detach(struct sw_peer_table *t, uint32_t i, struct sw_drop_counters *drops)
{
	unsigned n;

	n = queue_drop(t, &t->peers[i]);
	if (drops != NULL)
		drops->n[SW_DROP_QUEUE_PEER_GONE] += n;
	hash_unlink(t, i);
	lru_unlink(t, i);
	t->count--;
}

struct sw_peer *
sw_peer_lookup(struct sw_peer_table *t, const uint8_t addr[static 16])
{
	uint32_t i;

	t->stats.lookups++;
	i = find(t, bucket_of(t, addr), addr, &t->stats.probes);
	if (i == SW_PEER_NONE)
		return NULL;
	touch(t, i);
	return &t->peers[i];
}

struct sw_peer *
sw_peer_insert(struct sw_peer_table *t, const uint8_t addr[static 16],
    bool *created, struct sw_drop_counters *drops)
{
	struct sw_peer *p;
	uint64_t probes = 0;
	uint32_t b, i;

	b = bucket_of(t, addr);
	if ((i = find(t, b, addr, &probes)) != SW_PEER_NONE) {
		touch(t, i);
		if (created != NULL)
			*created = false;
		return &t->peers[i];
	}

	if (t->free_peer != SW_PEER_NONE) {
		i = t->free_peer;
		t->free_peer = t->peers[i].lru_next;
	} else if (t->used < t->capacity) {
		i = t->used++;
	} else {
		/* Full: the least recently used goes (CLI-ST-3, HARD-6). */
		i = t->lru;
		detach(t, i, drops);
		t->stats.evictions++;
	}

	p = &t->peers[i];
	memset(p, 0, sizeof(*p));
	memcpy(p->addr, addr, sizeof(p->addr));
	p->q_head = p->q_tail = SW_PEER_NONE;
	p->qc_prev = p->qc_next = SW_PEER_NONE;
	p->hnext = t->buckets[b];
	t->buckets[b] = i;
	lru_push(t, i);
	t->count++;
	t->stats.inserts++;
	if (created != NULL)
		*created = true;
	return p;
}

void
sw_peer_remove(struct sw_peer_table *t, struct sw_peer *p,
    struct sw_drop_counters *drops)
{
	uint32_t i = (uint32_t)(p - t->peers);

	if (p->lru_prev == FREE_MARK)
		return;			/* removed twice */
	detach(t, i, drops);
	p->lru_prev = FREE_MARK;
	p->lru_next = t->free_peer;
	t->free_peer = i;
	t->stats.removals++;
}

struct sw_peer *
sw_peer_lru(struct sw_peer_table *t)
{
	if (t->lru == SW_PEER_NONE)
		return NULL;
	return &t->peers[t->lru];
}

struct sw_peer *
sw_peer_at(struct sw_peer_table *t, uint32_t i)
{
	if (i >= t->used || t->peers[i].lru_prev == FREE_MARK)
		return NULL;
	return &t->peers[i];
}

struct sw_peer *
sw_peer_newer(struct sw_peer_table *t, const struct sw_peer *p)
{
	if (p == NULL || p->lru_prev == SW_PEER_NONE || p->lru_prev == FREE_MARK)
		return NULL;
	return &t->peers[p->lru_prev];
}

struct sw_peer *
sw_peer_queue_biggest(struct sw_peer_table *t, const struct sw_peer *except)
{
	uint64_t bits = t->qc_bits;

	while (bits != 0) {
		unsigned c = 63u - (unsigned)__builtin_clzll(bits);
		uint32_t i = t->qc_head[c];

		if (i != SW_PEER_NONE && &t->peers[i] == except)
			i = t->peers[i].qc_next;
		if (i != SW_PEER_NONE)
			return &t->peers[i];
		bits &= ~(UINT64_C(1) << c);
	}
	return NULL;
}

int
sw_peer_enqueue(struct sw_peer_table *t, struct sw_peer *p,
    const uint8_t *pkt, size_t len, enum sw_drop *why)
{
	struct slot *s;
	enum sw_drop r;
	uint32_t i;

	/* Bounds per peer and in total (CLI-TX-8, REL-TX-5, HARD-6). */
	if (len > t->slot_size)
		r = SW_DROP_QUEUE_TOO_BIG;
	else if (p->q_bytes + len > t->q_peer_max || p->q_pkts == UINT16_MAX)
		r = SW_DROP_QUEUE_PEER_FULL;
	else if (t->q_total + len > t->q_total_max ||
	    (t->free_slot == SW_PEER_NONE && t->slots_used == t->nslots))
		r = SW_DROP_QUEUE_TOTAL_FULL;
	else
		r = SW_DROP_NONE;
	if (r != SW_DROP_NONE) {
		if (why != NULL)
			*why = r;
		return -ENOBUFS;
	}

	if ((i = t->free_slot) != SW_PEER_NONE)
		t->free_slot = t->slots[i].next;
	else
		i = t->slots_used++;
	s = &t->slots[i];
	s->next = SW_PEER_NONE;
	s->len = (uint16_t)len;
	if (len != 0)
		memcpy(t->data + (size_t)i * t->slot_size, pkt, len);

	/* FIFO: append at the tail (Miredo's queue was LIFO). */
	if (p->q_tail != SW_PEER_NONE)
		t->slots[p->q_tail].next = i;
	else
		p->q_head = i;
	p->q_tail = i;
	p->q_bytes += (uint32_t)len;
	p->q_pkts++;
	t->q_total += len;
	qclass_update(t, (uint32_t)(p - t->peers));
	return 0;
}

const uint8_t *
sw_peer_queue_front(const struct sw_peer_table *t, const struct sw_peer *p,
    size_t *len)
{
	if (p->q_head == SW_PEER_NONE) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = t->slots[p->q_head].len;
	return t->data + (size_t)p->q_head * t->slot_size;
}

void
sw_peer_queue_pop(struct sw_peer_table *t, struct sw_peer *p)
{
	struct slot *s;
	uint32_t i = p->q_head;

	if (i == SW_PEER_NONE)
		return;
	s = &t->slots[i];
	p->q_head = s->next;
	if (p->q_head == SW_PEER_NONE)
		p->q_tail = SW_PEER_NONE;
	p->q_bytes -= s->len;
	p->q_pkts--;
	t->q_total -= s->len;
	s->next = t->free_slot;
	t->free_slot = i;
	qclass_update(t, (uint32_t)(p - t->peers));
}

unsigned
sw_peer_queue_clear(struct sw_peer_table *t, struct sw_peer *p)
{
	return queue_drop(t, p);
}

size_t
sw_peer_queue_total(const struct sw_peer_table *t)
{
	return t->q_total;
}
