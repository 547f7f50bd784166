/*
 * peer.h - the fixed-capacity peer table (CLI-ST-2/3, REL-GEN-3, HARD-6).
 *
 * A hash (SipHash on the IPv6 address, chained through indices) plus an
 * LRU list.  Every byte is allocated in sw_peer_table_new(); insert,
 * lookup, eviction and the packet queues allocate nothing.  When the table
 * is full, inserting evicts the least recently used entry (its queue is
 * dropped and counted).  Lookups and inserts are O(1): the bucket array
 * has a power-of-two size >= capacity.
 *
 * Queues: each peer has a FIFO of IPv6 packets waiting for the NAT to open
 * (CLI-TX-2/5, REL-TX-5).  Packets live in a shared pool of fixed-size
 * slots; a queue is bounded in bytes per peer and the pool in total.
 * Peers holding packets are also kept in lists by size class (the bit
 * length of their queued bytes), so that the peer holding (about) the
 * most bytes is found in O(1) (sw_peer_queue_biggest, HARD-6: a relay
 * whose pool is full makes room at the biggest queue's expense).
 */
#ifndef SW_PEER_H
#define SW_PEER_H

#include "sw.h"
#include "drop.h"

#define SW_PEER_NONE UINT32_MAX
#define SW_PEER_NONCE_LEN 8	/* ping-test nonce, CLI-PING-3 */

/* One peer (CLI-ST-2).  Fields below "table" are the table's own. */
struct sw_peer {
	uint8_t addr[16];		/* peer IPv6 address (key) */
	struct sw_v4ep mapped;		/* mapped IPv4/port */
	struct sw_v4ep local;		/* local IPv4/port (discovery, §6) */
	uint8_t nonce[SW_PEER_NONCE_LEN];	/* last ping-test nonce sent */
	sw_time last_rx;
	sw_time last_tx;
	sw_time last_discovery;		/* local peers: last discovery bubble */
	sw_time ping_sent;
	bool trusted;
	bool local_peer;
	bool inbound;			/* client: a resolution an inbound
					   packet started, counted (CLI-RX-9) */
	uint8_t bubbles;		/* bubble count (CLI-BUB-4/5) */
	uint8_t retries;		/* bubble/ping retries done (CLI-TX-2/5) */
	/* table */
	uint32_t hnext, lru_prev, lru_next;
	uint32_t q_head, q_tail;
	uint32_t q_bytes;
	uint16_t q_pkts;
	uint8_t q_class;		/* bit length of q_bytes: its list */
	uint32_t qc_prev, qc_next;	/* that size-class list */
};


struct sw_peer_table_conf {
	uint32_t capacity;		/* peers, >= 1 */
	uint32_t queue_peer_bytes;	/* per-peer queue bound (bytes) */
	uint32_t queue_total_bytes;	/* all queues together (bytes) */
	uint32_t slot_size;		/* largest packet a queue takes */
	uint8_t hash_key[16];		/* random, from the caller's RNG */
};

struct sw_peer_stats {
	uint64_t lookups;
	uint64_t probes;		/* chain entries examined by lookups */
	uint64_t inserts;
	uint64_t evictions;
	uint64_t removals;
};

struct sw_peer_table;

/* 0, -EINVAL (a zero or absurd size) or -ENOMEM. */
int sw_peer_table_new(struct sw_peer_table **out,
    const struct sw_peer_table_conf *conf);
void sw_peer_table_free(struct sw_peer_table *t);

/* Bytes allocated by sw_peer_table_new (constant for the table's life). */
size_t sw_peer_table_memsize(const struct sw_peer_table *t);
uint32_t sw_peer_count(const struct sw_peer_table *t);
uint32_t sw_peer_capacity(const struct sw_peer_table *t);
const struct sw_peer_stats *sw_peer_stats(const struct sw_peer_table *t);

/* Find a peer; a hit becomes most recently used.  NULL when absent. */
struct sw_peer *sw_peer_lookup(struct sw_peer_table *t,
    const uint8_t addr[static 16]);

/*
 * Find or create a peer (most recently used either way).  A new entry has
 * every field zero but addr; when the table is full the LRU entry is
 * evicted first, its queued packets dropped and counted in drops under
 * QUEUE_PEER_GONE (D21).  Never fails.
 */
struct sw_peer *sw_peer_insert(struct sw_peer_table *t,
    const uint8_t addr[static 16], bool *created,
    struct sw_drop_counters *drops);

/* Remove a peer; its queue is dropped and counted (D21). */
void sw_peer_remove(struct sw_peer_table *t, struct sw_peer *p,
    struct sw_drop_counters *drops);

/* The least recently used peer (for expiry sweeps), or NULL. */
struct sw_peer *sw_peer_lru(struct sw_peer_table *t);
/* The peer used just after p (one step from the LRU end towards the most
 * recently used), or NULL when p is the most recently used: for bounded
 * scans of the LRU tail.  Does not change the order. */
struct sw_peer *sw_peer_newer(struct sw_peer_table *t,
    const struct sw_peer *p);

/* The entry in slot i (0 <= i < capacity) if in use, else NULL: for
 * sweeps that must reach every entry in bounded steps (a cursor over the
 * slots survives removals, unlike one into the LRU list).  Does not
 * change the order. */
struct sw_peer *sw_peer_at(struct sw_peer_table *t, uint32_t i);

/*
 * Queue a copy of pkt behind the peer's other packets.  -ENOBUFS with
 * *why = QUEUE_TOO_BIG (len > slot_size), QUEUE_PEER_FULL (peer bound) or
 * QUEUE_TOTAL_FULL (pool bound); the packet is not queued then.
 */
int sw_peer_enqueue(struct sw_peer_table *t, struct sw_peer *p,
    const uint8_t *pkt, size_t len, enum sw_drop *why);

/* The oldest queued packet (no copy), or NULL when the queue is empty. */
const uint8_t *sw_peer_queue_front(const struct sw_peer_table *t,
    const struct sw_peer *p, size_t *len);
/* Remove the oldest queued packet. */
void sw_peer_queue_pop(struct sw_peer_table *t, struct sw_peer *p);
/* Drop the whole queue; returns how many packets went. */
unsigned sw_peer_queue_clear(struct sw_peer_table *t, struct sw_peer *p);
/*
 * The peer whose queue holds the most bytes, by size class (bit length of
 * its byte count: within a factor of 2 of the true maximum), the one that
 * entered that class first; never `except` (may be NULL).  NULL when no
 * other peer holds a byte.  O(1): 32 classes.
 */
struct sw_peer *sw_peer_queue_biggest(struct sw_peer_table *t,
    const struct sw_peer *except);
/* Bytes queued across all peers. */
size_t sw_peer_queue_total(const struct sw_peer_table *t);

#endif /* SW_PEER_H */
