/*
 * fuzz_client.c - the client FSM (lib/client.c) driven by a fuzzed
 * sequence of events, with its invariants checked after every step.
 *
 * Input:
 *   cfg(1)   bits 0-1: servers - 1; bit 2: key (secure qualification);
 *            bit 3: local address 203.0.113.5:40000 (an answer with
 *            that mapping means no NAT);
 *            bit 4: rs_tries 1 instead of 3; bit 5: local discovery,
 *            the host on 10.1.0.0/16 and 192.0.2.0/24; bit 6: the
 *            guard's edge check on, intranet 203.0.113.128/25 (HARD-4);
 *            bit 7: dormant after 60 s
 *   seed(8)  the RNG seed (nonces, flag bits, refresh jitter)
 *   records, each: op(1) step(2, ms, big-endian), then by op % 7:
 *     0 tick        -; with op bit 7, a guard entry point, sel(1) % 3:
 *                   0 sw_client_set_edge: n_tcp(1) n_udp(1), then
 *                   (n_tcp + n_udp) % 16 ports(2 each) through
 *                   sw_edge_set; 1 sw_client_set_listening (sel bit 2:
 *                   granted); 2 sw_client_stop (reason = sel >> 3)
 *     1 datagram    from IPv4(4) port(2) len(2) bytes(len); with op bit 7
 *                   and discovery on, as received on 224.0.0.253:3544
 *                   (sw_client_input_discovery)
 *     2 answer      sel(1) mapped IPv4(4) port(2) conf(1) flip(2)
 *                   an RA as the server would send it, echoing the nonce
 *                   of the last RS (so the fuzzer reaches QUALIFIED):
 *                   sel bit 0 from the secondary address, bit 1 from a
 *                   stranger, bit 2 two PIOs, bit 3 no MAC; flip =
 *                   offset, xor mask applied to the datagram
 *     3 start       -
 *     4 jump        now = the next deadline + step
 *     5 server dgram sel(1) len(2) bytes(len), from the current server's
 *                   primary (sel bit 0: secondary) address, port 3544
 *     6 tun packet  sel(1) nxt(1) len(1) dst(16 or 10) bytes(len): an
 *                   IPv6 packet from the tunnel (sw_client_send); sel
 *                   bit 0: source = our address (else ::1), bit 1: the
 *                   destination is a Teredo address built from
 *                   server(4) port(2) IPv4(4)
 *   The clock first advances by step; a due timer is then ticked.
 *
 * Invariants: state and reason in range; QUALIFIED: a preferred address,
 * DORMANT: a deprecated one, OFFLINE: none, PROBE_*: none or (waking from
 * DORMANT) a deprecated one; ADDR_SET / ADDR_DEPRECATE / ADDR_CLEAR pair
 * up to the same answer; status dormant <=> DORMANT; after a stop, no
 * deadline; next deadline >= now
 * (or never) after each step; a tick before the deadline does nothing;
 * every action well formed: only RSs are sent (CLI-QUAL-1), on the
 * service port to a configured server address on 3544, each a valid RS
 * with a fresh nonce (CLI-SQ-1) and, with a key, a MAC that verifies;
 * every address is the configured prefix + a configured primary + C = 0,
 * reserved 0, random bits within 0x3CFF (CLI-ADDR-2, COM-FLAG-3).
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "client.h"
#include "wire.h"
#include "../common/prng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_auth *key;
static struct sw_actions acts;
static struct sw_drop_counters drops;

struct run {
	struct sw_client *c;
	struct sw_client_conf conf;
	sw_time now;
	bool model_addr;
	bool model_deprecated;
	uint8_t model[16];
	bool have_rs;
	uint8_t rs_nonce[SW_NONCE_LEN];
	uint32_t rs_dst;
};

struct input {
	const uint8_t *p;
	size_t left;
};

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static uint8_t
get8(struct input *in)
{
	uint8_t v = 0;

	if (in->left > 0) {
		v = *in->p++;
		in->left--;
	}
	return v;
}

static uint16_t
get16(struct input *in)
{
	return (uint16_t)(get8(in) << 8 | get8(in));
}

static uint32_t
get32(struct input *in)
{
	return (uint32_t)get16(in) << 16 | get16(in);
}

static bool
is_server_addr(const struct run *r, uint32_t a, bool primary_only)
{
	for (unsigned i = 0; i < r->conf.n_servers; i++) {
		uint32_t p = r->conf.servers[i].primary;

		if (a == p || (!primary_only && a == p + 1))
			return true;
	}
	return false;
}

static void
check_rs(struct run *r, const struct sw_action *a)
{
	const uint8_t *arena = acts.arena;
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t ll[16];

	require(a->sock == SW_SOCK_PRIMARY);
	require(a->dst.port == SW_TEREDO_PORT);
	require(is_server_addr(r, a->dst.addr, false));
	require(a->seg[1].len == 0);
	require(a->seg[0].len > 0 && a->seg[0].p >= arena &&
	    a->seg[0].p + a->seg[0].len <= arena + acts.used);
	require(sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why) == 0);
	require(v.has_auth && !v.has_origin && v.auth.conf == 0);
	require(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) == 0);
	require(sw_wire_parse_rs(&ip) == 0);
	sw_addr_client_ll(ll, false);
	require(memcmp(ip.src, ll, 16) == 0);
	if (r->conf.key != NULL)
		require(v.auth.au_len == SW_AUTH_HMAC_LEN &&
		    sw_auth_verify(key, &v));
	else
		require(v.auth.id_len == 0 && v.auth.au_len == 0);
	/* CLI-SQ-1: fresh nonce (2^-64 chance of a false alarm) */
	if (r->have_rs)
		require(memcmp(r->rs_nonce, v.auth.nonce, SW_NONCE_LEN) != 0);
	memcpy(r->rs_nonce, v.auth.nonce, SW_NONCE_LEN);
	r->rs_dst = a->dst.addr;
	r->have_rs = true;
}

/* An action's segments, one after the other, into buf (the caller
 * checked that sw_action_len(a) fits). */
static void
gather(uint8_t *buf, const struct sw_action *a)
{
	memcpy(buf, a->seg[0].p, a->seg[0].len);
	if (a->seg[1].len > 0)
		memcpy(buf + a->seg[0].len, a->seg[1].p, a->seg[1].len);
}

/*
 * The data path (CLI-TX, CLI-RX): only while an address is set; what goes
 * out over UDP is a Teredo packet (bubble, ping test or data) from our own
 * address, and what is delivered is exactly one IPv6 packet to our own
 * address, never a bubble.
 */
static void
check_data_send(struct run *r, const struct sw_action *a)
{
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[SW_MAX_UDP_PAYLOAD];
	size_t len = sw_action_len(a);

	require(r->model_addr);
	require(a->sock == SW_SOCK_PRIMARY && a->dst.port != 0);
	require(len > 0 && len <= sizeof buf);
	gather(buf, a);
	require(sw_wire_parse(buf, len, &v, &why) == 0);
	require(!v.has_auth && !v.has_origin);
	require(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) == 0);
	require(memcmp(ip.src, r->model, 16) == 0);
}

static void
check_deliver(struct run *r, const struct sw_action *a)
{
	struct sw_ip6_view ip;
	enum sw_drop why;
	uint8_t buf[SW_MAX_UDP_PAYLOAD];
	size_t len = sw_action_len(a);

	require(r->model_addr);
	require(len >= SW_IP6_HLEN && len <= sizeof buf);
	gather(buf, a);
	require(sw_ip6_parse(buf, len, &ip, &why) == 0);
	require(len == SW_IP6_HLEN + (size_t)ip.plen);
	require(memcmp(ip.dst, r->model, 16) == 0);
	require(!sw_ip6_is_bubble(&ip));
}

/* An RS always carries an auth header (CLI-SQ-1); data never does. */
static bool
is_rs_action(const struct sw_action *a)
{
	struct sw_teredo_view v;
	enum sw_drop why;

	return a->seg[1].len == 0 &&
	    sw_wire_parse(a->seg[0].p, a->seg[0].len, &v, &why) == 0 &&
	    v.has_auth;
}

static void
check_step(struct run *r)
{
	struct sw_client_status st;
	sw_time d = sw_client_next_deadline(r->c);
	int last_state = -1;

	require(acts.n <= SW_ACTIONS_MAX && acts.used <= SW_ACTIONS_ARENA);
	for (unsigned i = 0; i < acts.n; i++) {
		const struct sw_action *a = &acts.a[i];
		struct sw_teredo t;

		switch (a->kind) {
		case SW_ACT_SEND_UDP:
			if (is_rs_action(a))
				check_rs(r, a);
			else
				check_data_send(r, a);
			break;
		case SW_ACT_DELIVER:
			check_deliver(r, a);
			break;
		case SW_ACT_ADDR_SET:
			sw_addr_decode(a->addr, &t);
			require(t.prefix == r->conf.prefix);
			require(is_server_addr(r, t.server, true));
			require((t.flags & ~SW_FLAG_RANDOM_MASK) == 0);
			require(sw_check_v4_global(&r->conf.v4, t.mapped.addr));
			r->model_addr = true;
			r->model_deprecated = false;
			memcpy(r->model, a->addr, 16);
			break;
		case SW_ACT_ADDR_DEPRECATE:
			require(r->model_addr && !r->model_deprecated);
			require(memcmp(a->addr, r->model, 16) == 0);
			r->model_deprecated = true;
			break;
		case SW_ACT_ADDR_CLEAR:
			require(r->model_addr);
			r->model_addr = false;
			r->model_deprecated = false;
			break;
		case SW_ACT_STATE:
			require(a->state >= 0 && a->state < SW_CLIENT__STATES);
			require(a->reason >= 0 &&
			    a->reason < SW_CLIENT__REASONS);
			last_state = a->state;
			break;
		default:
			require(false);	/* a client emits nothing else */
		}
	}
	sw_client_status(r->c, &st);
	require(st.state < SW_CLIENT__STATES);
	require(st.reason < SW_CLIENT__REASONS);
	require(st.server_index < r->conf.n_servers);
	require(last_state < 0 || last_state == (int)st.state);
	switch (st.state) {
	case SW_CLIENT_QUALIFIED:
		require(st.has_addr && !r->model_deprecated);
		break;
	case SW_CLIENT_DORMANT:
		require(st.has_addr && r->model_deprecated);
		break;
	case SW_CLIENT_OFFLINE:
		require(!st.has_addr);
		break;
	default:
		require(!st.has_addr || r->model_deprecated);
		break;
	}
	require(st.dormant == (st.state == SW_CLIENT_DORMANT));
	require(st.has_addr == r->model_addr);
	if (st.has_addr)
		require(memcmp(st.addr, r->model, 16) == 0);
	require(d == SW_TIME_NEVER || d >= r->now);
	require(sw_client_state_name(st.state)[0] != '?');
}

static void begin(void);

/* op 0 with bit 7: the guard's entry points. */
static void
guard_op(struct run *r, struct input *in)
{
	uint8_t sel = get8(in);
	uint16_t ports[16];
	struct sw_edge e;
	unsigned nt, nu;

	switch (sel % 3) {
	case 0:
		nt = get8(in);
		nu = get8(in);
		nt %= 16;
		nu = nu % 16 > 16 - nt ? 16 - nt : nu % 16;
		for (unsigned i = 0; i < nt + nu; i++)
			ports[i] = get16(in);
		(void)sw_edge_set(&e, ports, nt, ports + nt, nu);
		require(e.n_tcp <= nt && e.n_udp <= nu);
		for (unsigned i = 1; i < e.n_tcp; i++)
			require(e.tcp[i - 1] < e.tcp[i]);
		for (unsigned i = 1; i < e.n_udp; i++)
			require(e.udp[i - 1] < e.udp[i]);
		sw_client_set_edge(r->c, &e);
		break;
	case 1:
		begin();
		sw_client_set_listening(r->c, r->now, (sel & 4) != 0, &acts);
		check_step(r);
		break;
	default:
		begin();
		sw_client_stop(r->c, r->now, (enum sw_client_reason)
		    ((sel >> 3) % SW_CLIENT__REASONS), &acts);
		check_step(r);
		require(!r->model_addr);
		require(sw_client_next_deadline(r->c) == SW_TIME_NEVER);
		break;
	}
}

/* op 6: an IPv6 packet the host writes into the tunnel. */
static void
tun_packet(struct run *r, struct input *in)
{
	uint8_t pkt[SW_IP6_HLEN + 255], src[16] = { 0 }, dst[16];
	uint8_t sel = get8(in), nxt = get8(in), len = get8(in);
	int n;

	if (sel & 1) {
		if (r->model_addr)
			memcpy(src, r->model, 16);
	} else
		src[15] = 1;
	if (sel & 2) {
		struct sw_teredo t = { .prefix = r->conf.prefix };

		t.server = get32(in);
		t.mapped.port = get16(in);
		t.mapped.addr = get32(in);
		sw_addr_encode(dst, &t);
	} else
		for (unsigned i = 0; i < 16; i++)
			dst[i] = get8(in);
	n = sw_ip6_build(pkt, sizeof pkt, src, dst, nxt, 64, len);
	require(n == SW_IP6_HLEN);
	for (unsigned i = 0; i < len; i++)
		pkt[SW_IP6_HLEN + i] = get8(in);
	begin();
	sw_client_send(r->c, r->now, pkt, SW_IP6_HLEN + (size_t)len, &acts);
	check_step(r);
}

static void
begin(void)
{
	sw_actions_reset(&acts);
	acts.drops = &drops;
}

/* Advance the clock, tick a due timer; an early tick must do nothing. */
static void
advance(struct run *r, sw_time step)
{
	sw_time d;

	r->now = step >= SW_TIME_NEVER - r->now ? SW_TIME_NEVER - 1 :
	    r->now + step;
	d = sw_client_next_deadline(r->c);
	begin();
	sw_client_tick(r->c, r->now, &acts);
	if (r->now < d) {
		require(acts.n == 0);
		require(sw_client_next_deadline(r->c) == d);
	}
	check_step(r);
}

static void
answer(struct run *r, struct input *in)
{
	uint8_t sel = get8(in), conf, flip_at, flip;
	struct sw_v4ep m;
	struct sw_client_status st;
	struct sw_ra ra = {
		.retrans = 2000, .prefix_len = 64, .pio_flags = 0x40,
		.valid = UINT32_MAX, .preferred = UINT32_MAX, .has_mtu = true,
		.mtu = 1280,
	};
	uint8_t src[16], dst[16], ip6[256], au[SW_AUTH_HMAC_LEN], ob[8];
	uint8_t pkt[512];
	bool mac;
	int n, alen;
	struct sw_v4ep from;

	m.addr = get32(in);
	m.port = get16(in);
	conf = get8(in);
	flip_at = get8(in);
	flip = get8(in);
	if (!r->have_rs)
		return;
	sw_client_status(r->c, &st);
	ra.prefix_count = (sel & 4) ? 2 : 1;
	sw_put32(ra.prefix, r->conf.prefix);
	sw_put32(ra.prefix + 4, st.server.primary);
	sw_addr_server_ll(src, st.server.primary);
	sw_addr_client_ll(dst, false);
	n = sw_wire_build_ra(ip6, sizeof ip6, src, dst, &ra);
	require(n > 0);
	require(sw_wire_build_origin(ob, sizeof ob, &m) == 8);
	mac = r->conf.key != NULL && !(sel & 8);
	if (mac)
		require(sw_auth_compute(key, r->rs_nonce, conf, ob, ip6,
		    (size_t)n, au) == 0);
	alen = sw_wire_build_auth(pkt, sizeof pkt, NULL, 0, mac ? au : NULL,
	    mac ? SW_AUTH_HMAC_LEN : 0, r->rs_nonce, conf);
	require(alen > 0);
	memcpy(pkt + alen, ob, 8);
	memcpy(pkt + alen + 8, ip6, (size_t)n);
	n += alen + 8;
	if (flip != 0)
		pkt[flip_at % n] ^= flip;
	from.addr = (sel & 2) ? SW_IP4(203, 0, 113, 99) :
	    (sel & 1) ? st.server.secondary : st.server.primary;
	from.port = SW_TEREDO_PORT;
	begin();
	sw_client_input(r->c, r->now, &from, pkt, (size_t)n, &acts);
	check_step(r);
}

static void
datagram(struct run *r, struct input *in, bool from_server, bool disc)
{
	struct sw_client_status st;
	struct sw_v4ep from;
	size_t len;
	uint8_t sel = 0;

	if (from_server) {
		sw_client_status(r->c, &st);
		sel = get8(in);
		from.addr = (sel & 1) ? st.server.secondary : st.server.primary;
		from.port = SW_TEREDO_PORT;
	} else {
		from.addr = get32(in);
		from.port = get16(in);
	}
	len = get16(in);
	if (len > in->left)
		len = in->left;
	begin();
	if (disc)
		sw_client_input_discovery(r->c, r->now, &from, in->p, len,
		    &acts);
	else
		sw_client_input(r->c, r->now, &from, in->p, len, &acts);
	in->p += len;
	in->left -= len;
	check_step(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzz client key";
	static const uint8_t id[] = "fuzz-client";
	static struct run r;
	struct input in = { data, size };
	uint64_t seed;
	uint8_t cfg;

	if (key == NULL && sw_auth_new(&key, secret, sizeof secret - 1) != 0)
		return 0;
	if (size < 9)
		return 0;
	memset(&r, 0, sizeof r);
	cfg = get8(&in);
	seed = (uint64_t)get32(&in) << 32 | get32(&in);
	if (seed == 0)
		seed = 0x5eed;

	sw_client_conf_default(&r.conf);
	r.conf.n_servers = 1 + (cfg & 3);
	r.conf.servers[0].primary = SW_IP4(192, 0, 2, 10);
	r.conf.servers[1].primary = SW_IP4(198, 51, 100, 20);
	r.conf.servers[2].primary = SW_IP4(203, 0, 113, 30);
	r.conf.servers[3].primary = SW_IP4(192, 0, 2, 200);
	r.conf.v4.policy = SW_V4_LAB;
	r.conf.rng.fill = prng_fill;
	r.conf.rng.ctx = &seed;
	if (cfg & 4) {
		r.conf.key = key;
		r.conf.client_id = id;
		r.conf.client_id_len = sizeof id - 1;
	}
	if (cfg & 8) {
		r.conf.local.addr = SW_IP4(203, 0, 113, 5);
		r.conf.local.port = 40000;
	}
	if (cfg & 16)
		r.conf.rs_tries = 1;
	if (cfg & 64) {
		r.conf.edge = true;
		r.conf.intranet[0] = (struct sw_v4_net){
			SW_IP4(203, 0, 113, 128), 25 };
		r.conf.n_intranet = 1;
	}
	if (cfg & 128)
		r.conf.dormant_after = 60 * SW_SEC;
	if (cfg & 32) {
		static const struct sw_v4_net lans[] = {
			{ SW_IP4(10, 1, 0, 0), 16 },
			{ SW_IP4(192, 0, 2, 0), 24 },
		};

		r.conf.discovery = true;
		r.conf.v4.attached = lans;
		r.conf.v4.n_attached = 2;
	}
	r.now = SW_SEC;
	require(sw_client_new(&r.c, &r.conf) == 0);

	begin();
	sw_client_start(r.c, r.now, &acts);
	check_step(&r);
	while (in.left > 0) {
		uint8_t op = get8(&in);
		sw_time step = get16(&in) * SW_MSEC, d;

		advance(&r, step);
		switch (op % 7) {
		case 0:
			if (op & 0x80)
				guard_op(&r, &in);
			break;
		case 1:
			datagram(&r, &in, false, (op & 0x80) && (cfg & 32));
			break;
		case 2:
			answer(&r, &in);
			break;
		case 3:
			begin();
			sw_client_start(r.c, r.now, &acts);
			check_step(&r);
			break;
		case 4:
			d = sw_client_next_deadline(r.c);
			if (d != SW_TIME_NEVER && d > r.now)
				advance(&r, d - r.now);
			break;
		case 5:
			datagram(&r, &in, true, false);
			break;
		default:
			tun_packet(&r, &in);
			break;
		}
	}
	sw_client_free(r.c);
	return 0;
}
