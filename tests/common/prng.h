/*
 * prng.h - a deterministic, seeded generator for tests, benchmarks and the
 * simulator (never for production: the daemon's struct sw_rng reads
 * getrandom(2)).  xorshift64 (Marsaglia, 2003); the seed must not be 0.
 */
#ifndef SW_TESTS_PRNG_H
#define SW_TESTS_PRNG_H

#include <stdint.h>
#include <string.h>

#include "sw.h"

static inline uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* struct sw_rng adapter: ctx is a uint64_t state. */
static inline void
prng_fill(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		uint64_t v = xorshift64(ctx);
		size_t n = len < sizeof v ? len : sizeof v;

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

#endif /* SW_TESTS_PRNG_H */
