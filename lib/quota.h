/*
 * quota.h - counts per IPv4 endpoint and per IPv4 address, in a table of
 * fixed size (HARD-6, issue [harden]).
 *
 * The flag and server bits of a Teredo address are free, so one IPv4:port
 * stands for 2^48 addresses: a limit keyed by the IPv6 address is no
 * limit.  The relay and the client count their entries here by the IPv4
 * endpoint an entry would be reached at (and by its IPv4 address alone),
 * and refuse or prefer entries by those counts.
 *
 * Open addressing with linear probing and backward-shift deletion; the
 * slot array holds at least twice as many slots as keys may exist
 * (max_keys), so every probe ends at a free slot and nothing allocates
 * after sw_quota_new().  Keys are hashed with SipHash under a random key.
 */
#ifndef SW_QUOTA_H
#define SW_QUOTA_H

#include "sw.h"

struct sw_quota;

/* A key for the endpoint e, or for e's address alone: never equal. */
static inline uint64_t
sw_quota_key_ep(const struct sw_v4ep *e)
{
	return UINT64_C(1) << 48 | (uint64_t)e->port << 32 | e->addr;
}

static inline uint64_t
sw_quota_key_v4(uint32_t addr)
{
	return UINT64_C(2) << 48 | addr;
}

/* max_keys >= 1 distinct keys with a non-zero count at a time.  0,
 * -EINVAL or -ENOMEM. */
int sw_quota_new(struct sw_quota **out, uint32_t max_keys,
    const uint8_t hash_key[static 16]);
void sw_quota_free(struct sw_quota *q);
size_t sw_quota_memsize(const struct sw_quota *q);

/* The count of key (0 when absent). */
uint32_t sw_quota_get(const struct sw_quota *q, uint64_t key);
/* Count one more: 0, or -ENOSPC when key is new and max_keys keys are
 * held already (nothing counted then). */
int sw_quota_add(struct sw_quota *q, uint64_t key);
/* Count one less; a count reaching 0 frees its key.  A key at 0 stays 0. */
void sw_quota_sub(struct sw_quota *q, uint64_t key);
/* Keys held. */
uint32_t sw_quota_keys(const struct sw_quota *q);
/* Forget every count. */
void sw_quota_clear(struct sw_quota *q);

#endif /* SW_QUOTA_H */
