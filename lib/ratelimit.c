/*
 * ratelimit.c - token buckets on the caller's clock and a bounded,
 * 4-way set-associative table of them (HARD-3, HARD-6, SRV-OP-5, SEC-9).
 *
 * Integer arithmetic only: a bucket gains elapsed / interval tokens (at
 * most up to burst) and `last` moves by exactly that many intervals, so
 * the remainder carries over to the next call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "ratelimit.h"

#define RL_WAYS 4

void
sw_tb_init(struct sw_tb *b, const struct sw_tb_conf *c, sw_time now)
{
	b->last = now;
	b->tokens = c->burst;
	b->started = true;
}

/*
 * Tokens arrive on a fixed grid: last + k * interval.  `last` moves by
 * whole intervals only, even when the bucket overflows, so the phase (the
 * remainder elapsed % interval) is never lost nor counted twice.
 */
static void
tb_refill(struct sw_tb *b, const struct sw_tb_conf *c, sw_time now)
{
	uint64_t n;

	if (b->tokens > c->burst)
		b->tokens = c->burst;	/* conf shrunk under us */
	if (c->interval == 0) {
		/* not a valid conf (interval > 0): no limit, no division */
		b->tokens = c->burst;
		return;
	}
	if (now <= b->last)
		return;			/* clock went backwards: nothing */
	n = (now - b->last) / c->interval;
	if (n == 0)
		return;			/* part of an interval: nothing yet */
	b->last += n * c->interval;	/* <= now: cannot overflow */
	if (n >= (uint64_t)(c->burst - b->tokens))
		b->tokens = c->burst;	/* cap at burst */
	else
		b->tokens += (uint32_t)n;
}

bool
sw_tb_take(struct sw_tb *b, const struct sw_tb_conf *c, sw_time now)
{
	if (!b->started)
		sw_tb_init(b, c, now);
	tb_refill(b, c, now);
	if (b->tokens == 0)
		return false;
	b->tokens--;
	return true;
}

/* ---- keyed table ------------------------------------------------------ */

struct rl_slot {
	uint8_t key[16];
	struct sw_tb tb;
	uint64_t used;		/* LRU stamp (rl->tick); 0 = empty */
};

struct sw_rl {
	struct sw_tb_conf conf;
	uint8_t hash_key[16];
	uint32_t entries;	/* power of two, >= RL_WAYS */
	uint32_t set_mask;	/* number of sets - 1 */
	uint32_t start;		/* tokens of a new key's bucket under
				   pressure */
	sw_time last_evict;	/* valid once stats.evictions > 0 */
	uint64_t tick;
	struct sw_rl_stats stats;
	struct rl_slot slot[];
};

int
sw_rl_new(struct sw_rl **out, uint32_t entries, const struct sw_tb_conf *c,
    const uint8_t hash_key[static 16])
{
	struct sw_rl *rl;
	uint32_t n = RL_WAYS;
	size_t size;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (c == NULL || c->interval == 0 || c->burst == 0 ||
	    entries < RL_WAYS || entries > UINT32_C(1) << 31)
		return -EINVAL;
	while (n < entries)
		n <<= 1;
	if (__builtin_mul_overflow(n, sizeof rl->slot[0], &size) ||
	    __builtin_add_overflow(size, sizeof *rl, &size))
		return -ENOMEM;		/* 32-bit hosts */
	if ((rl = calloc(1, size)) == NULL)
		return -ENOMEM;
	rl->conf = *c;
	memcpy(rl->hash_key, hash_key, sizeof rl->hash_key);
	rl->entries = n;
	rl->set_mask = n / RL_WAYS - 1;
	rl->start = c->burst;
	*out = rl;
	return 0;
}

void
sw_rl_free(struct sw_rl *rl)
{
	if (rl == NULL)
		return;
	explicit_bzero(rl->hash_key, sizeof rl->hash_key);
	free(rl);
}

/* The way holding key, or the one it should take: a free way, else the
 * least recently used (counted as an eviction, HARD-6). */
static struct rl_slot *
rl_lookup(struct sw_rl *rl, const uint8_t key[static 16], sw_time now)
{
	uint64_t h = sw_siphash(rl->hash_key, key, 16);
	struct rl_slot *set, *victim;
	bool pressure;

	set = &rl->slot[(size_t)(h & rl->set_mask) * RL_WAYS];
	victim = &set[0];
	for (unsigned i = 0; i < RL_WAYS; i++) {
		if (set[i].used != 0 && memcmp(set[i].key, key, 16) == 0)
			return &set[i];
		if (set[i].used < victim->used)
			victim = &set[i];
	}
	/* Pressure: an earlier eviction within one full refill. */
	pressure = rl->stats.evictions > 0 && now >= rl->last_evict &&
	    (now - rl->last_evict) / rl->conf.interval < rl->conf.burst;
	if (victim->used != 0) {
		rl->stats.evictions++;
		rl->last_evict = now;
	}
	memcpy(victim->key, key, 16);
	sw_tb_init(&victim->tb, &rl->conf, now);
	if (pressure)
		victim->tb.tokens = rl->start;
	return victim;
}

bool
sw_rl_allow(struct sw_rl *rl, const uint8_t key[static 16], sw_time now)
{
	struct rl_slot *s = rl_lookup(rl, key, now);

	s->used = ++rl->tick;
	if (sw_tb_take(&s->tb, &rl->conf, now)) {
		rl->stats.allowed++;
		return true;
	}
	rl->stats.denied++;
	return false;
}

void
sw_rl_set_start(struct sw_rl *rl, uint32_t tokens)
{
	rl->start = tokens == 0 || tokens > rl->conf.burst ? rl->conf.burst :
	    tokens;
}

const struct sw_rl_stats *
sw_rl_stats(const struct sw_rl *rl)
{
	return &rl->stats;
}

uint32_t
sw_rl_entries(const struct sw_rl *rl)
{
	return rl->entries;
}
