/*
 * ratelimit.h - token buckets on the caller's clock (HARD-3, SRV-OP-5,
 * SEC-9), and a bounded table of them keyed by address.
 *
 * A bucket holds up to `burst` tokens and gains one every `interval`.
 * Time is whatever sw_time the caller passes; going backwards adds
 * nothing.  The table has a fixed number of entries fixed at init
 * (set-associative, 4 ways): a new key takes the least recently used way
 * of its set, which is counted as an eviction.  A new key's bucket starts
 * full, except while the table is under pressure (an eviction less than
 * one full refill, burst x interval, ago) with sw_rl_set_start() set:
 * then it starts with that many tokens, so that a key that lost its
 * history to a flood of other keys does not come back with a full burst.
 * Nothing allocates after sw_rl_new().
 */
#ifndef SW_RATELIMIT_H
#define SW_RATELIMIT_H

#include "sw.h"

struct sw_tb_conf {
	sw_time interval;	/* one token per interval (> 0) */
	uint32_t burst;		/* bucket size (>= 1) */
};

struct sw_tb {
	sw_time last;		/* time the token count was last brought up to date */
	uint32_t tokens;
	bool started;		/* false: zeroed, full at the first take */
};

/* A full bucket at now. */
void sw_tb_init(struct sw_tb *b, const struct sw_tb_conf *c, sw_time now);
/* Take one token if there is one: true = allowed.  A zeroed bucket (an
 * owner made without a clock) is first sw_tb_init'ed at now. */
bool sw_tb_take(struct sw_tb *b, const struct sw_tb_conf *c, sw_time now);

struct sw_rl_stats {
	uint64_t allowed;
	uint64_t denied;
	uint64_t evictions;
};

struct sw_rl;

/* entries >= 4 (rounded up to a power of two).  0, -EINVAL or -ENOMEM. */
int sw_rl_new(struct sw_rl **out, uint32_t entries, const struct sw_tb_conf *c,
    const uint8_t hash_key[static 16]);
void sw_rl_free(struct sw_rl *rl);
/* One event for key (16 bytes: IPv6, or IPv4 in ::ffff:0:0/96 form). */
bool sw_rl_allow(struct sw_rl *rl, const uint8_t key[static 16], sw_time now);
/* Tokens a new key's bucket starts with under pressure (at most burst;
 * 0: burst, the default). */
void sw_rl_set_start(struct sw_rl *rl, uint32_t tokens);
const struct sw_rl_stats *sw_rl_stats(const struct sw_rl *rl);
uint32_t sw_rl_entries(const struct sw_rl *rl);

#endif /* SW_RATELIMIT_H */
