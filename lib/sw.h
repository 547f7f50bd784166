/*
 * sw.h - types shared by every module of libshipworm, the pure Teredo core.
 *
 * The core never makes a system call: time arrives as an sw_time argument,
 * randomness through struct sw_rng, and everything it wants done (send,
 * deliver, count a drop) is returned to the caller.  See
 * shared/design/architecture.md, "Properties that matter".
 *
 * Conventions: IPv4 addresses and UDP ports are held in host byte order
 * (uint32_t / uint16_t) inside the core; IPv6 addresses are 16-byte arrays
 * in network order.  Functions return 0 or -errno.
 */
#ifndef SW_SW_H
#define SW_SW_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Monotonic time in microseconds.  The origin is the caller's business. */
typedef uint64_t sw_time;

#define SW_USEC ((sw_time)1)
#define SW_MSEC ((sw_time)1000)
#define SW_SEC  ((sw_time)1000000)
#define SW_TIME_NEVER UINT64_MAX

/*
 * Randomness is injected: the daemon fills from getrandom(2), the simulator
 * and tests from a seeded generator.  fill() must write exactly len bytes.
 */
struct sw_rng {
	void (*fill)(void *ctx, void *buf, size_t len);
	void *ctx;
};

static inline void
sw_rng_fill(const struct sw_rng *rng, void *buf, size_t len)
{
	rng->fill(rng->ctx, buf, len);
}

/* An IPv4 UDP endpoint, host byte order. */
struct sw_v4ep {
	uint32_t addr;
	uint16_t port;
};

static inline bool
sw_v4ep_eq(const struct sw_v4ep *a, const struct sw_v4ep *b)
{
	return a->addr == b->addr && a->port == b->port;
}

/* Host-order IPv4 literal: SW_IP4(192, 0, 2, 1). */
#define SW_IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	 ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Big-endian loads and stores on byte buffers (no alignment assumed). */
static inline uint16_t
sw_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
sw_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
sw_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
sw_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* SW_SW_H */
