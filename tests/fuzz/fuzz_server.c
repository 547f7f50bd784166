/*
 * fuzz_server.c - the Teredo server (lib/server.c, RFC 4380 §5.3) on
 * arbitrary datagrams, both from the UDP side and from the IPv6 side.
 *
 * Input: 7 header bytes, then the payload.
 *   byte 0    bit 0: socket (0 primary, 1 secondary)
 *             bit 1: secure qualification required (D12)
 *             bit 2: hardened COM-V4G policy instead of the lab one,
 *                    and one RS per source per hour after the first
 *                    (SRV-OP-5, a 4-entry table: the limit is hit)
 *   bytes 1-4 UDP source IPv4, bytes 5-6 UDP source port
 * The payload goes to sw_server_input() and then, alone, to
 * sw_server_input_ip6().
 *
 * Invariants: each call has exactly one outcome, an action or a counted
 * discard; at most SW_ACTIONS_MAX actions; every segment lies in the
 * action arena or in the input; a SEND_UDP goes to a non-zero port of a
 * global unicast address (D15, D16) that is not ours, unless it answers a
 * sender there (SRV-OP-3), and carries a well-formed Teredo payload; a
 * SEND_IP6 is exactly one IPv6 packet.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "check.h"
#include "server.h"
#include "wire.h"

#define PRIMARY   SW_IP4(192, 0, 2, 10)
#define SECONDARY SW_IP4(192, 0, 2, 11)
#define HDR_LEN   7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_auth *key;
static struct sw_server *srv[4];	/* [require_auth | hardened << 1] */
static struct sw_actions acts;
static struct sw_drop_counters drops;
static uint8_t flat[SW_MAX_UDP_PAYLOAD + 2 * SW_ORIGIN_LEN];

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static struct sw_auth *
key_for(void *ctx, const uint8_t *id, uint8_t id_len)
{
	(void)ctx;
	return id_len == 4 && memcmp(id, "fuzz", 4) == 0 ? key : NULL;
}

/* The rate table's hash key: fixed, so that runs repeat. */
static void
fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5a, len);
}

static bool
setup(void)
{
	static const uint8_t secret[] = "fuzzing key";
	struct sw_server_conf c;

	if (key != NULL)
		return true;
	if (sw_auth_new(&key, secret, sizeof secret - 1) != 0)
		return false;
	for (int i = 0; i < 4; i++) {
		sw_server_conf_default(&c);
		c.primary = PRIMARY;
		c.secondary = SECONDARY;
		c.require_auth = (i & 1) != 0;
		c.v4.policy = (i & 2) != 0 ? SW_V4_HARDENED : SW_V4_LAB;
		c.key_for = key_for;
		c.rng = (struct sw_rng){ fill, NULL };
		/* SRV-OP-5: two of them with a tiny table and one RS per
		 * source per hour after the first, so the limit is hit */
		if ((i & 2) != 0) {
			c.rs_rate.interval = 3600 * SW_SEC;
			c.rs_rate.burst = 1;
			c.rl_entries = 4;
		}
		if (sw_server_new(&srv[i], &c) != 0)
			return false;
	}
	return true;
}

static bool
within(const struct sw_seg *s, const uint8_t *base, size_t len)
{
	return s->p >= base && s->len <= len &&
	    (size_t)(s->p - base) <= len - s->len;
}

static uint64_t
total_drops(void)
{
	uint64_t n = 0;

	for (int i = 0; i < SW_DROP__COUNT; i++)
		n += drops.n[i];
	return n;
}

/* from: the UDP source, NULL for the IPv6 side. */
static void
check(const uint8_t *in, size_t in_len, enum sw_v4_policy pol,
    const struct sw_v4ep *from)
{
	const struct sw_v4_check v4 = { .policy = pol };

	require(acts.n <= SW_ACTIONS_MAX);
	require(acts.used <= sizeof acts.arena);
	require(acts.n + total_drops() == 1);
	for (unsigned i = 0; i < acts.n; i++) {
		const struct sw_action *a = &acts.a[i];
		struct sw_teredo_view v;
		struct sw_ip6_view ip;
		enum sw_drop why;
		size_t len = 0;

		for (int s = 0; s < 2; s++) {
			const struct sw_seg *g = &a->seg[s];

			if (g->len == 0)
				continue;
			require(within(g, acts.arena, acts.used) ||
			    within(g, in, in_len));
			require(len + g->len <= sizeof flat);
			memcpy(flat + len, g->p, g->len);
			len += g->len;
		}
		switch (a->kind) {
		case SW_ACT_SEND_UDP:
			require(a->sock == SW_SOCK_PRIMARY ||
			    a->sock == SW_SOCK_SECONDARY);
			require(a->dst.port != 0);
			require(sw_check_v4_global(&v4, a->dst.addr));
			/* only an RA may go back to a sender on one of
			 * our own addresses (not from 3544: SRV-OP-3) */
			require((a->dst.addr != PRIMARY &&
			    a->dst.addr != SECONDARY) ||
			    (from != NULL && sw_v4ep_eq(&a->dst, from) &&
			    from->port != SW_TEREDO_PORT));
			require(sw_wire_parse(flat, len, &v, &why) == 0);
			break;
		case SW_ACT_SEND_IP6:
			require(sw_ip6_parse(flat, len, &ip, &why) == 0);
			require(len == SW_IP6_HLEN + (size_t)ip.plen);
			break;
		default:
			require(false);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_server *s;
	struct sw_v4ep from;
	enum sw_v4_policy pol;
	enum sw_sock sock;

	if (!setup() || size < HDR_LEN)
		return 0;
	sock = (data[0] & 1) != 0 ? SW_SOCK_SECONDARY : SW_SOCK_PRIMARY;
	s = srv[(data[0] >> 1) & 3];
	pol = (data[0] & 4) != 0 ? SW_V4_HARDENED : SW_V4_LAB;
	from.addr = sw_get32(data + 1);
	from.port = sw_get16(data + 5);
	data += HDR_LEN;
	size -= HDR_LEN;

	sw_actions_reset(&acts);
	memset(&drops, 0, sizeof drops);
	acts.drops = &drops;
	sw_server_input(s, 0, sock, &from, data, size, &acts);
	check(data, size, pol, &from);

	sw_actions_reset(&acts);
	memset(&drops, 0, sizeof drops);
	sw_server_input_ip6(s, 0, data, size, &acts);
	check(data, size, pol, NULL);
	return 0;
}
