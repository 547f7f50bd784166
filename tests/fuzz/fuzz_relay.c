/*
 * fuzz_relay.c - the Teredo relay (lib/relay.c, RFC 4380 §5.4) driven by
 * an arbitrary script of events on a fresh, small relay.
 *
 * Input: byte 0 bit 0: always_direct_bubble, bit 1: host-specific served
 * range (2001:db8:1::5/128) instead of ::/0, bit 2: the relay's own IPv4
 * addresses are 192.0.2.10 and 198.51.100.1 (RFC 6324).  Then records:
 *   op(1) len(2, big-endian) data(len)
 *   op & 3 == 0  sw_relay_send(data)
 *   op & 3 == 1  sw_relay_input(from = data[0..5], payload = data[6..])
 *   op & 3 == 2  sw_relay_tick()
 *   op & 3 == 3  sw_relay_tick() at sw_relay_next_deadline()
 * Before each event the clock advances by (op >> 2) * 250 ms.
 *
 * Invariants: at most SW_ACTIONS_MAX actions; every segment lies in the
 * arena, in the input or (flushed packets) is a whole IPv6 packet; a
 * SEND_UDP goes from the primary socket to a non-zero port of a global
 * address and carries an IPv6 packet for a Teredo address: a bubble from
 * our bubble source to the server in it (port 3544) or its mapping, or a
 * packet to its mapping; a DELIVER is exactly one IPv6 packet for a
 * served, non-Teredo, non-multicast address whose hop limit was > 1;
 * peers, queued bytes and timers stay within their bounds, memory
 * constant; nothing is ever sent to one of our own addresses (RFC 6324)
 * and no valid trusted peer is evicted (HARD-6), unless this is a
 * weakened test build.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "relay.h"
#include "weaken.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t relay_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t host_ip[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5 };

static struct sw_actions acts;
static struct sw_drop_counters drops;
static uint8_t flat[SW_MAX_UDP_PAYLOAD + 64];

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void
fill(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5a, len);
}

static bool
within(const struct sw_seg *s, const uint8_t *base, size_t len)
{
	return s->p >= base && s->len <= len &&
	    (size_t)(s->p - base) <= len - s->len;
}

static void
check(const struct sw_relay_conf *c, const uint8_t *in, size_t in_len)
{
	const struct sw_v4_check v4 = { .policy = SW_V4_LAB };

	require(acts.n <= SW_ACTIONS_MAX);
	require(acts.used <= sizeof acts.arena);
	for (unsigned i = 0; i < acts.n; i++) {
		const struct sw_action *a = &acts.a[i];
		struct sw_ip6_view ip;
		struct sw_teredo t;
		enum sw_drop why;
		size_t len = 0;

		for (int s = 0; s < 2; s++) {
			const struct sw_seg *g = &a->seg[s];

			if (g->len == 0)
				continue;
			/* seg[0] is always the header copy, the bubble or
			 * an ICMPv6 error, in the arena */
			if (s == 0)
				require(within(g, acts.arena, acts.used) &&
				    (g->len == SW_IP6_HLEN ||
				    (a->kind == SW_ACT_DELIVER &&
				    a->seg[1].len == 0 &&
				    g->len <= SW_ICMP6_ERROR_MAX)));
			require(len + g->len <= sizeof flat);
			memcpy(flat + len, g->p, g->len);
			len += g->len;
		}
		(void)in;
		(void)in_len;
		require(sw_ip6_parse(flat, len, &ip, &why) == 0);
		require(len == SW_IP6_HLEN + (size_t)ip.plen);
		switch (a->kind) {
		case SW_ACT_SEND_UDP:
			require(a->sock == SW_SOCK_PRIMARY);
			require(a->dst.port != 0);
			require(sw_check_v4_global(&v4, a->dst.addr));
			require(sw_addr_is_teredo(ip.dst, c->prefix));
			for (unsigned k = 0; SW_DEFENCE(LOOP) && k < c->n_own;
			    k++)
				require(a->dst.addr != c->own[k]);
			sw_addr_decode(ip.dst, &t);
			if (sw_ip6_is_bubble(&ip) &&
			    memcmp(ip.src, relay_ip, 16) == 0)
				require(sw_v4ep_eq(&a->dst, &t.mapped) ||
				    (a->dst.addr == t.server &&
				    a->dst.port == SW_TEREDO_PORT));
			else
				require(sw_v4ep_eq(&a->dst, &t.mapped) &&
				    ip.hlim < 255);
			break;
		case SW_ACT_DELIVER:
			if (a->seg[0].len > SW_IP6_HLEN) {
				/* an error for a queue given up (SEC-9) */
				require(memcmp(ip.src, relay_ip, 16) == 0);
				require(ip.nxt == SW_NH_ICMP6 && ip.plen >= 8 +
				    SW_IP6_HLEN);
				require(ip.payload[0] == SW_ICMP6_DST_UNREACH &&
				    ip.payload[1] == SW_ICMP6_UNREACH_ADDR);
				require(sw_icmp6_checksum_ok(&ip));
				require(sw_icmp6_error_allowed(ip.payload + 8,
				    ip.plen - 8u));
				require(memcmp(ip.dst, ip.payload + 16, 16) == 0);
				break;
			}
			require(!sw_addr_is_teredo(ip.dst, c->prefix));
			require(ip.dst[0] != 0xff);
			require(!sw_addr_is_link_local(ip.dst));
			require(!sw_ip6_is_bubble(&ip));
			require(sw_check_dst_served(ip.dst, c->served,
			    c->n_served) == SW_DROP_NONE);
			break;
		default:
			require(false);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_relay_conf c;
	struct sw_relay *r;
	struct sw_relay_status st0, st;
	struct sw_rng rng = { fill, NULL };
	sw_time now = 1000 * SW_SEC;

	if (size < 1)
		return 0;
	sw_relay_conf_default(&c);
	c.v4.policy = SW_V4_LAB;
	memcpy(c.bubble_src, relay_ip, 16);
	c.capacity = 4;
	c.max_packet = 256;
	c.queue_peer_bytes = 600;
	c.queue_total_bytes = 1024;
	c.always_direct_bubble = (data[0] & 1) != 0;
	if ((data[0] & 2) != 0) {
		memcpy(c.served[0].addr, host_ip, 16);
		c.served[0].plen = 128;
	}
	if ((data[0] & 4) != 0) {
		c.own[0] = SW_IP4(192, 0, 2, 10);
		c.own[1] = SW_IP4(198, 51, 100, 1);
		c.n_own = 2;
	}
	if ((data[0] & 8) != 0) {	/* a host-specific relay's guard */
		static const uint16_t tcp[] = { 22 }, udp[] = { 53 };
		struct sw_edge e;

		c.host_guard = true;
		c.flows = 16;
		c.dormant_after = 5 * SW_SEC;
		if (sw_relay_new(&r, &c, &rng) != 0)
			__builtin_trap();
		(void)sw_edge_set(&e, tcp, 1, udp, 1);
		sw_relay_set_edge(r, &e);
		sw_relay_start(r, now);
	} else if (sw_relay_new(&r, &c, &rng) != 0)
		__builtin_trap();
	sw_relay_status(r, &st0);
	data++;
	size--;
	acts.drops = &drops;

	while (size >= 3) {
		uint8_t op = data[0];
		size_t len = sw_get16(data + 1);
		const uint8_t *p = data + 3;

		if (len > size - 3)
			len = size - 3;
		data += 3 + len;
		size -= 3 + len;
		now += (sw_time)(op >> 2) * 250 * SW_MSEC;
		sw_actions_reset(&acts);
		memset(&drops, 0, sizeof drops);
		switch (op & 3) {
		case 0:
			sw_relay_send(r, now, p, len, &acts);
			break;
		case 1:
			if (len < 6)
				continue;
			sw_relay_input(r, now, &(struct sw_v4ep){
			    sw_get32(p), sw_get16(p + 4) }, p + 6, len - 6,
			    &acts);
			break;
		case 2:
			sw_relay_tick(r, now, &acts);
			break;
		default:
			if (sw_relay_next_deadline(r) != SW_TIME_NEVER &&
			    sw_relay_next_deadline(r) > now)
				now = sw_relay_next_deadline(r);
			sw_relay_tick(r, now, &acts);
			break;
		}
		check(&c, p, len);
		sw_relay_status(r, &st);
		require(st.peers <= c.capacity);
		require(st.queued_bytes <= c.queue_total_bytes);
		require(st.timers <= 2 * c.capacity);
		require(st.memsize == st0.memsize);
		require(st.flows <= c.flows);
		require(!SW_DEFENCE(RELAY_PEERS) ||
		    st.stats.evicted_trusted == 0);
	}
	sw_relay_free(r);
	return 0;
}
