/*
 * test_check.c - every silent-discard predicate (teredo-requirements.md
 * §8.2, D1..D25) rejects a bad input AND accepts the nearest good one.
 * D1/D2 and D22 are sw_wire_parse*() and tested with it here too; D21 is
 * in test_peer.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "auth.h"
#include "check.h"
#include "weaken.h"
#include "wire.h"

/* What a check gives in this build: a weakened test build (weaken.h)
 * compiled that defence out, and its tests expect the attack through. */
#define RH0_DROP (SW_DEFENCE(ROUTING_HEADER) ? SW_DROP_ROUTING_HEADER0 : \
	SW_DROP_NONE)
#define NONCE_DROP (SW_DEFENCE(RA_NONCE) ? SW_DROP_RA_NONCE : SW_DROP_NONE)
#define INTRANET_DROP (SW_DEFENCE(INTRANET) ? SW_DROP_SRC_INTRANET : \
	SW_DROP_NONE)
#define LOOP_DROP (SW_DEFENCE(LOOP) ? SW_DROP_LOOP : SW_DROP_NONE)

static uint8_t
a6(const char *s, uint8_t out[16])
{
	assert_int_equal(sw_addr_parse6(s, out), 0);
	return out[0];
}

/* A hand-made view over a 40-byte header plus payload (no wire.c). */
struct pkt {
	uint8_t buf[1500];
	struct sw_ip6_view ip;
};

static void
mkpkt(struct pkt *p, const char *src, const char *dst, uint8_t nxt,
    const uint8_t *payload, uint16_t plen)
{
	enum sw_drop why;

	memset(p, 0, sizeof *p);
	p->buf[0] = 0x60;
	sw_put16(p->buf + 4, plen);
	p->buf[6] = nxt;
	p->buf[7] = 64;
	a6(src, p->buf + 8);
	a6(dst, p->buf + 24);
	if (plen > 0)
		memcpy(p->buf + 40, payload, plen);
	assert_int_equal(sw_ip6_parse(p->buf, 40u + plen, &p->ip, &why), 0);
}

/* ---- COM-V4G -------------------------------------------------------------- */

static void
test_v4_global_table(void **state)
{
	static const struct {
		const char *addr;
		bool strict, hardened, lab;
	} v[] = {
		/* RFC 4380 §5.2.4 list: edges of each block */
		{ "0.255.255.255",   false, false, false },
		{ "1.0.0.0",         true,  true,  true },
		{ "9.255.255.255",   true,  true,  true },
		{ "10.0.0.0",        false, false, false },
		{ "10.255.255.255",  false, false, false },
		{ "11.0.0.0",        true,  true,  true },
		{ "126.255.255.255", true,  true,  true },
		{ "127.0.0.1",       false, false, false },
		{ "128.0.0.0",       true,  true,  true },
		{ "169.253.255.255", true,  true,  true },
		{ "169.254.1.1",     false, false, false },
		{ "169.255.0.0",     true,  true,  true },
		{ "172.15.255.255",  true,  true,  true },
		{ "172.16.0.0",      false, false, false },
		{ "172.31.255.255",  false, false, false },
		{ "172.32.0.0",      true,  true,  true },
		{ "192.88.98.255",   true,  true,  true },
		{ "192.88.99.1",     false, false, false },
		{ "192.88.100.0",    true,  true,  true },
		{ "192.167.255.255", true,  true,  true },
		{ "192.168.0.1",     false, false, false },
		{ "192.169.0.0",     true,  true,  true },
		{ "223.255.255.255", true,  true,  true },
		{ "224.0.0.253",     false, false, false },
		{ "239.255.255.255", false, false, false },
		{ "255.255.255.255", false, false, false },
		/* COM-V4G-2 hardened additions */
		{ "100.63.255.255",  true,  true,  true },
		{ "100.64.0.1",      true,  false, false },
		{ "100.128.0.0",     true,  true,  true },
		{ "192.0.0.8",       true,  false, false },
		{ "192.0.1.0",       true,  true,  true },
		{ "198.17.255.255",  true,  true,  true },
		{ "198.18.0.1",      true,  false, false },
		{ "198.19.255.255",  true,  false, false },
		{ "198.20.0.0",      true,  true,  true },
		{ "240.0.0.1",       true,  false, false },
		{ "255.255.255.254", true,  false, false },
		/* RFC 5737: not global, except with the explicit lab option */
		{ "192.0.2.10",      true,  false, true },
		{ "192.0.3.0",       true,  true,  true },
		{ "198.51.100.1",    true,  false, true },
		{ "198.51.101.0",    true,  true,  true },
		{ "203.0.113.120",   true,  false, true },
		{ "203.0.114.0",     true,  true,  true },
		/* a real global address */
		{ "65.54.227.126",   true,  true,  true },
	};
	struct sw_v4_check strict = { .policy = SW_V4_STRICT };
	struct sw_v4_check hard = { .policy = SW_V4_HARDENED };
	struct sw_v4_check lab = { .policy = SW_V4_LAB };

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint32_t a;

		assert_int_equal(sw_addr_parse4(v[i].addr, &a), 0);
		if (sw_check_v4_global(&strict, a) != v[i].strict ||
		    sw_check_v4_global(&hard, a) != v[i].hardened ||
		    sw_check_v4_global(&lab, a) != v[i].lab)
			fail_msg("COM-V4G: %s", v[i].addr);
		assert_int_equal(sw_check_v4(&hard, a), v[i].hardened ?
		    SW_DROP_NONE : SW_DROP_V4_NOT_GLOBAL);
	}
	/* The default policy (NULL, or zero-initialised) is the hardened one:
	 * production never allows the documentation ranges by accident. */
	assert_false(sw_check_v4_global(NULL, SW_IP4(192, 0, 2, 10)));
	assert_true(sw_check_v4_global(NULL, SW_IP4(65, 54, 227, 126)));
}

static void
test_v4_directed_broadcast(void **state)
{
	/* COM-V4G-1: directed broadcasts of attached subnets. */
	const struct sw_v4_net nets[] = {
		{ SW_IP4(65, 54, 227, 0), 24 },
		{ SW_IP4(80, 0, 0, 4), 31 },
	};
	struct sw_v4_check c = { SW_V4_HARDENED, nets, 2 };

	(void)state;
	assert_false(sw_check_v4_global(&c, SW_IP4(65, 54, 227, 255)));
	assert_true(sw_check_v4_global(&c, SW_IP4(65, 54, 227, 254)));
	assert_true(sw_check_v4_global(&c, SW_IP4(65, 54, 228, 255)));
	/* a /31 has no broadcast address (RFC 3021) */
	assert_true(sw_check_v4_global(&c, SW_IP4(80, 0, 0, 5)));
}

/* ---- D1, D2: wire parse --------------------------------------------------- */

static void
test_d1_d2_parse(void **state)
{
	uint8_t buf[64] = { 0 };
	struct sw_teredo_view v;
	enum sw_drop why;

	(void)state;
	buf[0] = 0x60;		/* a bubble: PL 0, NH 59 */
	buf[6] = 59;
	assert_int_equal(sw_wire_parse(buf, 40, &v, &why), 0);
	/* D2: version 4 */
	buf[0] = 0x40;
	assert_int_equal(sw_wire_parse(buf, 40, &v, &why), -EBADMSG);
	/* (version 4 where an IPv6 header must start: either reason) */
	assert_true(why == SW_DROP_IP6_VERSION ||
	    why == SW_DROP_BAD_HEADER_CODE);
	buf[0] = 0x60;
	/* D2: 40 + PL beyond the payload; equal is fine, shorter too
	 * (COM-IP6-2: trailers follow) */
	sw_put16(buf + 4, 8);
	assert_int_equal(sw_wire_parse(buf, 47, &v, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_IP6_LENGTH);
	assert_int_equal(sw_wire_parse(buf, 48, &v, &why), 0);
	assert_int_equal(sw_wire_parse(buf, 52, &v, &why), 0);
	assert_int_equal(v.trailers_len, 4);
	/* D1: unknown 00 xx header code */
	memset(buf, 0, sizeof buf);
	buf[1] = 0x02;
	assert_int_equal(sw_wire_parse(buf, 48, &v, &why), -EBADMSG);
	assert_int_equal(why, SW_DROP_BAD_HEADER_CODE);
}

/* ---- D3, D4: Router Advertisement (CLI-RA-1, CLI-SQ-2/3) ------------------ */

struct ra_case {
	uint8_t pkt[256];
	size_t len;
	uint8_t rs_src[16];
	uint8_t nonce[8];
};

/* A server's RA (SRV-RA-8) for server 203.0.113.120 to mapped
 * 192.0.2.1:4096, with auth (nonce, optional MAC) and origin. */
static void
build_ra(struct ra_case *c, bool with_origin, bool with_auth,
    struct sw_auth *mac, void (*mutate)(struct sw_ra *, uint8_t *ll_dst))
{
	struct sw_ra ra = {
		.retrans = 2000, .prefix_count = 1, .prefix_len = 64,
		.pio_flags = 0x40, .valid = UINT32_MAX, .preferred = UINT32_MAX,
		.has_mtu = true, .mtu = 1280,
	};
	struct sw_v4ep o = { SW_IP4(192, 0, 2, 1), 4096 };
	uint8_t src[16], dst[16], ip6[200], au[SW_AUTH_HMAC_LEN], ob[8];
	int n, off = 0, alen = 0;

	sw_addr_client_ll(c->rs_src, false);
	memcpy(dst, c->rs_src, 16);
	for (int i = 0; i < 8; i++)
		c->nonce[i] = (uint8_t)(0xa0 + i);
	sw_put32(ra.prefix, SW_TEREDO_PREFIX);
	sw_put32(ra.prefix + 4, SW_IP4(203, 0, 113, 120));
	sw_addr_server_ll(src, SW_IP4(203, 0, 113, 120));
	if (mutate != NULL)
		mutate(&ra, dst);
	n = sw_wire_build_ra(ip6, sizeof ip6, src, dst, &ra);
	assert_true(n > 0);
	assert_int_equal(sw_wire_build_origin(ob, sizeof ob, &o), 8);
	if (with_auth) {
		if (mac != NULL)
			assert_int_equal(sw_auth_compute(mac, c->nonce, 0,
			    with_origin ? ob : NULL, ip6, (size_t)n, au), 0);
		alen = sw_wire_build_auth(c->pkt, sizeof c->pkt, NULL, 0,
		    mac != NULL ? au : NULL, mac != NULL ? SW_AUTH_HMAC_LEN : 0,
		    c->nonce, 0);
		assert_true(alen > 0);
		off = alen;
	}
	if (with_origin) {
		memcpy(c->pkt + off, ob, 8);
		off += 8;
	}
	memcpy(c->pkt + off, ip6, (size_t)n);
	c->len = (size_t)(off + n);
}

static enum sw_drop
run_ra(struct ra_case *c, const uint8_t *nonce, struct sw_auth *mac,
    const struct sw_v4_check *v4, struct sw_ra_info *info)
{
	struct sw_teredo_view v;
	enum sw_drop why;
	struct sw_ra_expect e = {
		.rs_src = c->rs_src, .prefix = SW_TEREDO_PREFIX,
		.server = SW_IP4(203, 0, 113, 120), .nonce = nonce, .mac = mac,
		.v4 = v4,
	};

	assert_int_equal(sw_wire_parse(c->pkt, c->len, &v, &why), 0);
	return sw_check_ra(&v, &e, info);
}

static void mut_hlim(struct sw_ra *ra, uint8_t *d) { (void)ra; (void)d; }
static void mut_dst(struct sw_ra *ra, uint8_t *d) { (void)ra; d[15] ^= 1; }
static void mut_two_pio(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix_count = 2; }
static void mut_no_pio(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix_count = 0; }
static void mut_plen(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix_len = 48; }
static void mut_server(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix[7] ^= 1; }
static void mut_prefix(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix[1] = 0x02; }
static void mut_low64(struct sw_ra *ra, uint8_t *d) { (void)d; ra->prefix[15] = 1; }
static void mut_mtu_low(struct sw_ra *ra, uint8_t *d) { (void)d; ra->mtu = 1279; }
static void mut_mtu_high(struct sw_ra *ra, uint8_t *d) { (void)d; ra->mtu = 65536; }
static void mut_mtu_max(struct sw_ra *ra, uint8_t *d) { (void)d; ra->mtu = 65535; }
static void mut_no_mtu(struct sw_ra *ra, uint8_t *d) { (void)d; ra->has_mtu = false; }

static void
test_d3_ra(void **state)
{
	static const struct {
		void (*mutate)(struct sw_ra *, uint8_t *);
		enum sw_drop want;
		const char *what;
	} v[] = {
		{ NULL,         SW_DROP_NONE,            "good RA" },
		{ mut_hlim,     SW_DROP_NONE,            "identity mutation" },
		{ mut_dst,      SW_DROP_RA_WRONG_DST,    "CLI-RA-1(3) destination" },
		{ mut_two_pio,  SW_DROP_RA_PREFIX_COUNT, "CLI-RA-1(4) two PIOs" },
		{ mut_no_pio,   SW_DROP_RA_PREFIX_COUNT, "CLI-RA-1(4) no PIO" },
		{ mut_plen,     SW_DROP_RA_WRONG_PREFIX, "CLI-RA-1(5) /48" },
		{ mut_server,   SW_DROP_RA_WRONG_PREFIX, "CLI-RA-1(5) server" },
		{ mut_prefix,   SW_DROP_RA_WRONG_PREFIX, "CLI-RA-1(5) 2001:2::" },
		{ mut_low64,    SW_DROP_RA_WRONG_PREFIX, "CLI-RA-1(5) low 64" },
		{ mut_mtu_low,  SW_DROP_RA_BAD_MTU,      "COM-MTU-4 1279" },
		{ mut_mtu_high, SW_DROP_RA_BAD_MTU,      "COM-MTU-4 65536" },
		{ mut_mtu_max,  SW_DROP_NONE,            "COM-MTU-4 65535" },
		{ mut_no_mtu,   SW_DROP_NONE,            "no MTU option" },
	};
	struct ra_case c;
	struct sw_ra_info info;

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		build_ra(&c, true, true, NULL, v[i].mutate);
		if (run_ra(&c, c.nonce, NULL, NULL, &info) != v[i].want)
			fail_msg("%s", v[i].what);
	}
	/* CLI-RA-2: what a good RA tells. */
	build_ra(&c, true, true, NULL, NULL);
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, &info), SW_DROP_NONE);
	assert_int_equal(info.mapped.addr, SW_IP4(192, 0, 2, 1));
	assert_int_equal(info.mapped.port, 4096);
	assert_int_equal(info.ra.mtu, 1280);
	/* CLI-RA-1(1): no origin indication */
	build_ra(&c, false, true, NULL, NULL);
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, NULL),
	    SW_DROP_RA_NO_ORIGIN);
	/* CLI-RA-1(2): RFC 4861 validity - hop limit 254 */
	build_ra(&c, true, true, NULL, NULL);
	c.pkt[13 + 8 + 7] = 254;
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, NULL),
	    SW_DROP_RA_INVALID);
	/* ... and a broken checksum */
	build_ra(&c, true, true, NULL, NULL);
	c.pkt[13 + 8 + 40 + 2] ^= 0x55;
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, NULL),
	    SW_DROP_RA_INVALID);
	/* CLI-RA-4: a mapping that is not global unicast; the lab policy
	 * accepts the documentation range, the hardened one does not. */
	{
		struct sw_v4_check hard = { .policy = SW_V4_HARDENED };
		struct sw_v4_check lab = { .policy = SW_V4_LAB };

		build_ra(&c, true, true, NULL, NULL);
		assert_int_equal(run_ra(&c, c.nonce, NULL, &hard, NULL),
		    SW_DROP_V4_NOT_GLOBAL);
		assert_int_equal(run_ra(&c, c.nonce, NULL, &lab, NULL),
		    SW_DROP_NONE);
	}
}

static void
test_d4_ra_nonce_mac(void **state)
{
	static const uint8_t key[] = "shared secret of enough entropy";
	static const uint8_t other[] = "another secret";
	struct sw_auth *mac, *wrong;
	struct ra_case c;
	uint8_t bad[8];

	(void)state;
	assert_int_equal(sw_auth_new(&mac, key, sizeof key - 1), 0);
	assert_int_equal(sw_auth_new(&wrong, other, sizeof other - 1), 0);

	/* CLI-SQ-2: nonce must match in full */
	build_ra(&c, true, true, NULL, NULL);
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, NULL), SW_DROP_NONE);
	memcpy(bad, c.nonce, 8);
	bad[7] ^= 1;
	assert_int_equal(run_ra(&c, bad, NULL, NULL, NULL), NONCE_DROP);
	/* no auth header at all while we sent a nonce */
	build_ra(&c, true, false, NULL, NULL);
	assert_int_equal(run_ra(&c, c.nonce, NULL, NULL, NULL), NONCE_DROP);

	/* CLI-SQ-3: MAC verifies under our key, not under another */
	build_ra(&c, true, true, mac, NULL);
	assert_int_equal(run_ra(&c, c.nonce, mac, NULL, NULL), SW_DROP_NONE);
	assert_int_equal(run_ra(&c, c.nonce, wrong, NULL, NULL),
	    SW_DROP_RA_MAC);
	/* nonce-only RA while a key is configured */
	build_ra(&c, true, true, NULL, NULL);
	assert_int_equal(run_ra(&c, c.nonce, mac, NULL, NULL), SW_DROP_RA_MAC);
	sw_auth_free(mac);
	sw_auth_free(wrong);
}

/* ---- D5: received RS ------------------------------------------------------ */

static void
test_d5_rs(void **state)
{
	uint8_t rs[8] = { SW_ICMP6_RS }, ra[16] = { SW_ICMP6_RA };
	struct pkt p;

	(void)state;
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::2", SW_NH_ICMP6, rs, 8);
	assert_int_equal(sw_check_not_rs(&p.ip), SW_DROP_RS_RECEIVED);
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::2", SW_NH_ICMP6, ra, 16);
	assert_int_equal(sw_check_not_rs(&p.ip), SW_DROP_NONE);
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::2", SW_NH_UDP, rs, 8);
	assert_int_equal(sw_check_not_rs(&p.ip), SW_DROP_NONE);
}

/* ---- D6: client tx to non-global IPv4 (CLI-TX-6) --------------------------- */

static void
test_d6_client_tx(void **state)
{
	/* The peer's embedded mapping decides (cases 4/5). */
	struct sw_teredo t;
	uint8_t a[16];

	(void)state;
	a6("2001:0:4136:e37e:0:f7ff:f5ff:fffe", a);	/* 10.0.0.1:2048 */
	sw_addr_decode(a, &t);
	assert_int_equal(sw_check_v4(NULL, t.mapped.addr),
	    SW_DROP_V4_NOT_GLOBAL);
	a6("2001::4136:e37e:8000:eefb:3fff:dd59", a);	/* 192.0.34.166 */
	sw_addr_decode(a, &t);
	assert_int_equal(sw_check_v4(NULL, t.mapped.addr), SW_DROP_NONE);
}

/* ---- D7, D8, D9: local discovery (DISC-3..5) -------------------------------- */

static void
test_d7_d8_d9_discovery(void **state)
{
	const struct sw_v4_net lan = { SW_IP4(10, 1, 0, 0), 24 };
	const uint32_t lan_peer = SW_IP4(10, 1, 0, 7);
	const uint32_t own_mapped = SW_IP4(192, 0, 34, 166);
	struct sw_teredo t = {
		SW_TEREDO_PREFIX, SW_IP4(65, 54, 227, 126), 0,
		{ own_mapped, 40000 },
	};
	char txt[46];
	uint8_t src[16];
	struct pkt p;

	(void)state;
	sw_addr_encode(src, &t);
	mkpkt(&p, sw_addr_format6(src, txt), "ff02::1", SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, true,
	    lan_peer, &lan, 1, own_mapped), SW_DROP_NONE);
	/* D7: unicast */
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, false,
	    lan_peer, &lan, 1, own_mapped), SW_DROP_DISC_UNICAST);
	/* D8: IPv4 source off the local subnet (10.1.1.7) */
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, true,
	    SW_IP4(10, 1, 1, 7), &lan, 1, own_mapped), SW_DROP_DISC_OFF_LINK);
	/* D9: embeds another NAT's address; unknown own mapping skips it */
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, true,
	    lan_peer, &lan, 1, own_mapped + 1), SW_DROP_DISC_FOREIGN);
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, true,
	    lan_peer, &lan, 1, 0), SW_DROP_NONE);
	/* D8: source not Teredo (2001:1::/32 is not the service prefix) */
	src[3] = 1;
	mkpkt(&p, sw_addr_format6(src, txt), "ff02::1", SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_discovery(&p.ip, SW_TEREDO_PREFIX, true,
	    lan_peer, &lan, 1, own_mapped), SW_DROP_DISC_NOT_TEREDO);
}

/* ---- D10..D16: server ------------------------------------------------------- */

static void
test_d10_relayable(void **state)
{
	uint8_t echo[8] = { SW_ICMP6_ECHO_REQ }, udp[8] = { 0 };
	struct pkt p;

	(void)state;
	mkpkt(&p, "2001:db8::1", "2001::1", SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_srv_relayable(&p.ip), SW_DROP_NONE);
	mkpkt(&p, "2001:db8::1", "2001::1", SW_NH_ICMP6, echo, 8);
	assert_int_equal(sw_check_srv_relayable(&p.ip), SW_DROP_NONE);
	mkpkt(&p, "2001:db8::1", "2001::1", SW_NH_UDP, udp, 8);
	assert_int_equal(sw_check_srv_relayable(&p.ip),
	    SW_DROP_SRV_NOT_RELAYABLE);
	/* NH 59 with a payload is not a bubble */
	mkpkt(&p, "2001:db8::1", "2001::1", SW_NH_NONE, udp, 8);
	assert_int_equal(sw_check_srv_relayable(&p.ip),
	    SW_DROP_SRV_NOT_RELAYABLE);
}

static void
test_d11_d15_d16_server_v4(void **state)
{
	/* D11 (SRV-RX-3): source; D15 (SRV-FWD-4): Teredo destination's
	 * mapping; D16 (SRV-RA-5): RA destination.  All COM-V4G. */
	struct sw_v4_check c = { .policy = SW_V4_HARDENED };

	(void)state;
	assert_int_equal(sw_check_v4(&c, SW_IP4(192, 168, 1, 1)),
	    SW_DROP_V4_NOT_GLOBAL);
	assert_int_equal(sw_check_v4(&c, SW_IP4(192, 169, 1, 1)),
	    SW_DROP_NONE);
}

static void
test_d12_rs_auth(void **state)
{
	static const uint8_t key[] = "client 7 key";
	uint8_t ip6[64], pkt[160], src[16], nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t mac[SW_AUTH_HMAC_LEN], id[4] = { 0, 0, 0, 7 };
	struct sw_teredo_view v;
	struct sw_auth *a;
	enum sw_drop why;
	int n, h;

	(void)state;
	assert_int_equal(sw_auth_new(&a, key, sizeof key - 1), 0);
	sw_addr_client_ll(src, false);
	n = sw_wire_build_rs(ip6, sizeof ip6, src);
	assert_int_equal(n, 48);
	assert_int_equal(sw_auth_compute(a, nonce, 0, NULL, ip6, 48, mac), 0);
	h = sw_wire_build_auth(pkt, sizeof pkt, id, 4, mac, 20, nonce, 0);
	assert_int_equal(h, 13 + 4 + 20);
	memcpy(pkt + h, ip6, 48);
	assert_int_equal(sw_wire_parse(pkt, (size_t)h + 48, &v, &why), 0);

	assert_int_equal(sw_check_srv_rs_auth(&v, true, a), SW_DROP_NONE);
	assert_int_equal(sw_check_srv_rs_auth(&v, true, NULL),
	    SW_DROP_SRV_RS_AUTH);			/* unknown client id */
	pkt[h + 47] ^= 1;				/* tampered RS */
	assert_int_equal(sw_wire_parse(pkt, (size_t)h + 48, &v, &why), 0);
	assert_int_equal(sw_check_srv_rs_auth(&v, true, a),
	    SW_DROP_SRV_RS_AUTH);
	assert_int_equal(sw_check_srv_rs_auth(&v, false, NULL), SW_DROP_NONE);
	/* no auth header at all */
	assert_int_equal(sw_wire_parse(ip6, 48, &v, &why), 0);
	assert_int_equal(sw_check_srv_rs_auth(&v, true, a),
	    SW_DROP_SRV_RS_AUTH);
	sw_auth_free(a);
}

static void
test_d13_server_accept(void **state)
{
	const uint32_t server = SW_IP4(65, 54, 227, 126);
	struct sw_v4ep from = { SW_IP4(192, 0, 34, 166), 4356 };
	uint8_t rs[8] = { SW_ICMP6_RS }, echo[8] = { SW_ICMP6_ECHO_REQ };
	struct pkt p;

	(void)state;
	/* SRV-RX-4 */
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::2", SW_NH_ICMP6, rs, 8);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_NONE);
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::1", SW_NH_ICMP6, rs, 8);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_SRV_NOT_ACCEPTED);
	mkpkt(&p, "fe80::ffff:ffff:ffff", "ff02::2", SW_NH_ICMP6, echo, 8);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_SRV_NOT_ACCEPTED);
	/* SRV-RX-5: Teredo source embedding 192.0.34.166:4356 */
	mkpkt(&p, "2001::4136:e37e:8000:eefb:3fff:dd59", "2001:db8::1",
	    SW_NH_ICMP6, echo, 8);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_NONE);
	from.port++;
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_SRV_NOT_ACCEPTED);
	/* SRV-RX-6: native source to a client of this server, not another */
	mkpkt(&p, "2001:db8::1", "2001::4136:e37e:8000:eefb:3fff:dd59",
	    SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_NONE);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server + 1), SW_DROP_SRV_NOT_ACCEPTED);
	/* SRV-RX-7: native to native */
	mkpkt(&p, "2001:db8::1", "2001:db8::2", SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_srv_accept(&p.ip, &from, SW_TEREDO_PREFIX,
	    server), SW_DROP_SRV_NOT_ACCEPTED);
}

static void
test_d14_dst_global(void **state)
{
	static const struct { const char *a; bool ok; } v[] = {
		{ "2001:db8::1", true }, { "2001::1", true },
		{ "fe80::1", false }, { "febf::1", false }, { "fec0::1", false },
		{ "ff00::", false }, { "::", false }, { "::1", false },
		{ "::ffff:192.0.2.1", false }, { "ff02::1", false },
		{ "ff05::1", false }, { "ff0e::1", true }, { "ff1e::1", true },
		{ "fc00::1", true },
	};
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		a6(v[i].a, a);
		if ((sw_check_ip6_dst_global(a) == SW_DROP_NONE) != v[i].ok)
			fail_msg("D14: %s", v[i].a);
	}
}

/* ---- D17..D20: relay ---------------------------------------------------------- */

static void
test_d18_relay_src(void **state)
{
	struct sw_v4ep from = { SW_IP4(192, 0, 34, 166), 4356 };
	struct pkt p;

	(void)state;
	mkpkt(&p, "2001::4136:e37e:8000:eefb:3fff:dd59", "2001:db8::1",
	    SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_relay_src(&p.ip, &from, SW_TEREDO_PREFIX),
	    SW_DROP_NONE);
	from.addr++;
	assert_int_equal(sw_check_relay_src(&p.ip, &from, SW_TEREDO_PREFIX),
	    SW_DROP_SRC_MAPPING);
	mkpkt(&p, "2001:db8:4136:e37e:8000:eefb:3fff:dd59", "2001:db8::1",
	    SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_relay_src(&p.ip, &from, SW_TEREDO_PREFIX),
	    SW_DROP_SRC_NOT_TEREDO);
	/* a configured service prefix other than 2001:0::/32 */
	from.addr--;
	assert_int_equal(sw_check_relay_src(&p.ip, &from, 0x20010db8u),
	    SW_DROP_NONE);
}

static void
test_d19_d20_relay(void **state)
{
	struct sw_ip6_net served[2];
	uint8_t a[16];

	(void)state;
	assert_int_equal(sw_check_peer_known(true), SW_DROP_NONE);
	assert_int_equal(sw_check_peer_known(false), SW_DROP_NO_PEER);

	a6("2001:db8:1::", served[0].addr);
	served[0].plen = 48;
	a6("2001:db8:2:8000::", served[1].addr);
	served[1].plen = 49;
	a6("2001:db8:1:ffff::1", a);
	assert_int_equal(sw_check_dst_served(a, served, 2), SW_DROP_NONE);
	a6("2001:db8:2:8000::1", a);
	assert_int_equal(sw_check_dst_served(a, served, 2), SW_DROP_NONE);
	a6("2001:db8:2:7fff::1", a);
	assert_int_equal(sw_check_dst_served(a, served, 2),
	    SW_DROP_DST_NOT_SERVED);
	a6("2001:db8:3::1", a);
	assert_int_equal(sw_check_dst_served(a, served, 2),
	    SW_DROP_DST_NOT_SERVED);
	assert_int_equal(sw_check_dst_served(a, served, 0),
	    SW_DROP_DST_NOT_SERVED);
}

/* ---- D22, D23, D24: RFC 6081 -------------------------------------------------- */

static void
test_d22_trailer_must_drop(void **state)
{
	/* COM-TRL-1: unknown 0x41 (high bits 01) drops; 0x81 is skipped */
	uint8_t must[] = { 0x41, 2, 0, 0 }, skip[] = { 0x81, 2, 0, 0 };
	struct sw_trailers t;
	enum sw_drop why;

	(void)state;
	assert_int_equal(sw_wire_parse_trailers(must, sizeof must, &t, &why),
	    -EBADMSG);
	assert_int_equal(why, SW_DROP_TRAILER_MUST_DROP);
	assert_int_equal(sw_wire_parse_trailers(skip, sizeof skip, &t, &why),
	    0);
	assert_int_equal(t.skipped, 1);
}

static void
test_d23_direct_bubble(void **state)
{
	const uint8_t sent[4] = { 9, 8, 7, 6 };
	struct sw_v4ep from = { SW_IP4(192, 0, 34, 166), 4356 };
	struct sw_trailers t = { .has_nonce = true, .nonce = { 9, 8, 7, 6 } };
	struct pkt p;

	(void)state;
	mkpkt(&p, "2001::4136:e37e:8000:eefb:3fff:dd59",
	    "2001::1", SW_NH_NONE, NULL, 0);
	/* embedded mapping matches */
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    NULL, NULL), SW_DROP_NONE);
	/* symmetric NAT peer: other port, but our nonce echoed (EXT-SNS-5) */
	from.port = 50000;
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    &t, sent), SW_DROP_NONE);
	t.nonce[3] ^= 1;
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    &t, sent), SW_DROP_BUBBLE_UNMATCHED);
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    NULL, sent), SW_DROP_BUBBLE_UNMATCHED);
	t.nonce[3] ^= 1;
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    &t, NULL), SW_DROP_BUBBLE_UNMATCHED);
	/* a non-Teredo source whose low bits happen to encode from */
	from.port = 4356;
	mkpkt(&p, "2001:db8:4136:e37e:8000:eefb:3fff:dd59",
	    "2001::1", SW_NH_NONE, NULL, 0);
	assert_int_equal(sw_check_direct_bubble(&p.ip, SW_TEREDO_PREFIX, &from,
	    NULL, NULL), SW_DROP_BUBBLE_UNMATCHED);
}

static void
test_d24_alt_trailer(void **state)
{
	/* EXT-HP-3: the whole bubble goes when the list is malformed. */
	uint8_t good[] = { 0x03, 8, 0, 0, 10, 1, 0, 7, 0x9c, 0x40 };
	uint8_t bad[] = { 0x03, 9, 0, 0, 10, 1, 0, 7, 0x9c, 0x40, 0 };
	struct sw_trailers t;
	enum sw_drop why;

	(void)state;
	assert_int_equal(sw_wire_parse_trailers(good, sizeof good, &t, &why), 0);
	assert_int_equal(sw_check_alt_trailer(&t), SW_DROP_NONE);
	assert_int_equal(t.alt_count, 1);
	assert_int_equal(sw_wire_parse_trailers(bad, sizeof bad, &t, &why), 0);
	assert_int_equal(sw_check_alt_trailer(&t), SW_DROP_TRAILER_ALT_ADDR);
	good[9] = 0;	/* port 0 is not allowed (COM-TRL-5) */
	good[8] = 0;
	assert_int_equal(sw_wire_parse_trailers(good, sizeof good, &t, &why), 0);
	assert_int_equal(sw_check_alt_trailer(&t), SW_DROP_TRAILER_ALT_ADDR);
}

/* ---- D25 and IPv6 hygiene ------------------------------------------------------ */

static void
test_d25_routing_header(void **state)
{
	/* Routing header: NH, hdr ext len 2 (24 bytes), type, segments
	 * left, reserved, one address. */
	uint8_t rh[24 + 8] = { SW_NH_NONE, 2, 0, 1 };
	struct pkt p;

	(void)state;
	mkpkt(&p, "2001::1", "2001:db8::1", SW_NH_ROUTING, rh, 24);
	assert_int_equal(sw_check_routing_header(&p.ip), RH0_DROP);
	rh[3] = 0;	/* Segments Left 0: ignored (RFC 5095 §3) */
	mkpkt(&p, "2001::1", "2001:db8::1", SW_NH_ROUTING, rh, 24);
	assert_int_equal(sw_check_routing_header(&p.ip), SW_DROP_NONE);
	rh[2] = 2, rh[3] = 1;	/* type 2 (Mobile IPv6) is not RH0 */
	mkpkt(&p, "2001::1", "2001:db8::1", SW_NH_ROUTING, rh, 24);
	assert_int_equal(sw_check_routing_header(&p.ip), SW_DROP_NONE);
	/* behind a hop-by-hop header */
	{
		uint8_t hbh[8 + 24] = { SW_NH_ROUTING, 0 };

		memcpy(hbh + 8, rh, 24);
		hbh[8 + 2] = 0;
		mkpkt(&p, "2001::1", "2001:db8::1", SW_NH_HOPOPTS, hbh, 32);
		assert_int_equal(sw_check_routing_header(&p.ip), RH0_DROP);
	}
	/* a routing header claiming more than the packet holds */
	rh[1] = 8;
	mkpkt(&p, "2001::1", "2001:db8::1", SW_NH_ROUTING, rh, 24);
	assert_int_equal(sw_check_routing_header(&p.ip),
	    SW_DROP_BAD_EXT_HEADER);
}

static void
test_hard7_sources(void **state)
{
	static const struct { const char *a; enum sw_drop want; } v[] = {
		{ "2001:db8::1", SW_DROP_NONE },
		{ "2001::4136:e37e:8000:eefb:3fff:dd59", SW_DROP_NONE },
		{ "::", SW_DROP_SRC_BAD },
		{ "::1", SW_DROP_SRC_BAD },
		{ "::2", SW_DROP_NONE },
		{ "ff02::1", SW_DROP_SRC_BAD },
		{ "::ffff:192.0.2.1", SW_DROP_SRC_BAD },
		{ "::fffe:c000:201", SW_DROP_NONE },
		{ "fe80::1", SW_DROP_SRC_LINK_LOCAL },
		{ "fec0::1", SW_DROP_NONE },
	};
	uint8_t a[16];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		a6(v[i].a, a);
		if (sw_check_ip6_src(a) != v[i].want)
			fail_msg("HARD-7 source %s", v[i].a);
	}
	a6("ff02::1", a);
	assert_int_equal(sw_check_ip6_dst_unicast(a, true), SW_DROP_NONE);
	assert_int_equal(sw_check_ip6_dst_unicast(a, false),
	    SW_DROP_DST_MULTICAST);
	a6("ff02::2", a);
	assert_int_equal(sw_check_ip6_dst_unicast(a, true),
	    SW_DROP_DST_MULTICAST);
	a6("2001::1", a);
	assert_int_equal(sw_check_ip6_dst_unicast(a, false), SW_DROP_NONE);
}

static void
test_hard8_udp_src(void **state)
{
	const uint32_t own[] = { SW_IP4(65, 54, 227, 126),
	    SW_IP4(65, 54, 227, 127) };
	struct sw_v4ep from = { SW_IP4(65, 54, 227, 127), 3544 };

	(void)state;
	assert_int_equal(sw_check_udp_src(&from, own, 2), SW_DROP_OWN_ADDRESS);
	from.port = 3545;
	assert_int_equal(sw_check_udp_src(&from, own, 2), SW_DROP_NONE);
	from.port = 0;
	assert_int_equal(sw_check_udp_src(&from, own, 2), SW_DROP_SRC_PORT_ZERO);
	from.port = 3544;
	from.addr = SW_IP4(65, 54, 227, 128);
	assert_int_equal(sw_check_udp_src(&from, own, 2), SW_DROP_NONE);
}

static void
test_udp_dst(void **state)
{
	/* COM-V4G + HARD-8: each fault rejected, the nearest good one not. */
	const struct sw_v4_check lab = { .policy = SW_V4_LAB };
	struct sw_v4ep ep = { SW_IP4(198, 51, 100, 1), 1 };

	(void)state;
	assert_int_equal(sw_check_udp_dst(&lab, &ep), SW_DROP_NONE);
	ep.port = 0;
	assert_int_equal(sw_check_udp_dst(&lab, &ep), SW_DROP_DST_PORT_ZERO);
	ep.port = 65535;
	assert_int_equal(sw_check_udp_dst(&lab, &ep), SW_DROP_NONE);
	ep.addr = SW_IP4(10, 0, 0, 1);
	assert_int_equal(sw_check_udp_dst(&lab, &ep), SW_DROP_V4_NOT_GLOBAL);
	ep.addr = SW_IP4(198, 51, 100, 1);
	assert_int_equal(sw_check_udp_dst(NULL, &ep), SW_DROP_V4_NOT_GLOBAL);
}

/* ---- [guard]: HARD-4 (intranet sources) and RFC 6324 (loops) ---------------- */

static void
test_hard4_intranet(void **state)
{
	static const struct sw_v4_check hard = { .policy = SW_V4_HARDENED };
	static const struct sw_v4_check lab = { .policy = SW_V4_LAB };
	const struct sw_v4_net intranet[] = {
		{ SW_IP4(65, 54, 0, 0), 16 },		/* a site's own range */
		{ SW_IP4(198, 51, 100, 128), 25 },
	};
	static const struct {
		uint32_t v4;
		const struct sw_v4_check *c;
		size_t n;
		bool drop;
	} v[] = {
		/* not global unicast (COM-V4G): never trusted */
		{ SW_IP4(10, 1, 2, 3), &hard, 0, true },
		{ SW_IP4(192, 168, 0, 1), &hard, 0, true },
		{ SW_IP4(100, 64, 0, 1), &hard, 0, true },	/* CGN */
		{ SW_IP4(127, 0, 0, 1), &hard, 0, true },
		{ SW_IP4(192, 0, 2, 1), &hard, 0, true },	/* doc range */
		{ SW_IP4(192, 0, 2, 1), &lab, 0, false },	/* ... in a lab */
		/* global, no intranet configured: fine */
		{ SW_IP4(65, 54, 227, 126), &hard, 0, false },
		/* global but inside a configured intranet prefix: edges */
		{ SW_IP4(65, 54, 227, 126), &hard, 2, true },
		{ SW_IP4(65, 54, 0, 0), &hard, 2, true },
		{ SW_IP4(65, 54, 255, 255), &hard, 2, true },
		{ SW_IP4(65, 53, 255, 255), &hard, 2, false },
		{ SW_IP4(65, 55, 0, 0), &hard, 2, false },
		{ SW_IP4(198, 51, 100, 128), &lab, 2, true },
		{ SW_IP4(198, 51, 100, 255), &lab, 2, true },
		{ SW_IP4(198, 51, 100, 127), &lab, 2, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		enum sw_drop got = sw_check_intranet(v[i].v4, v[i].c,
		    intranet, v[i].n);

		if (got != (v[i].drop ? INTRANET_DROP : SW_DROP_NONE))
			fail_msg("HARD-4 case %zu: got %s", i,
			    sw_drop_name(got));
	}
	/* No prefix list at all is allowed. */
	assert_int_equal(sw_check_intranet(SW_IP4(65, 54, 227, 126), &hard,
	    NULL, 0), SW_DROP_NONE);
}

static void
test_rfc6324_loop(void **state)
{
	const uint32_t own[] = { SW_IP4(65, 54, 227, 126),
	    SW_IP4(65, 54, 227, 127), 0 };
	struct sw_teredo t = {
		.prefix = SW_TEREDO_PREFIX,
		.server = SW_IP4(65, 54, 227, 120),
		.mapped = { SW_IP4(192, 0, 2, 45), 40000 },
	};

	(void)state;
	/* neither server nor mapping ours: no loop */
	assert_int_equal(sw_check_loop(&t, own, 3), SW_DROP_NONE);
	assert_int_equal(sw_check_loop(&t, NULL, 0), SW_DROP_NONE);
	/* embedded server is ours (either of the list) */
	t.server = own[0];
	assert_int_equal(sw_check_loop(&t, own, 3), LOOP_DROP);
	t.server = own[1];
	assert_int_equal(sw_check_loop(&t, own, 3), LOOP_DROP);
	/* ... but not when only the first entry is compared */
	assert_int_equal(sw_check_loop(&t, own, 1), SW_DROP_NONE);
	/* embedded mapping is ours, whatever its port */
	t.server = SW_IP4(65, 54, 227, 120);
	t.mapped.addr = own[1];
	t.mapped.port = 1;
	assert_int_equal(sw_check_loop(&t, own, 3), LOOP_DROP);
	/* one address off: no loop */
	t.mapped.addr = own[1] + 1;
	assert_int_equal(sw_check_loop(&t, own, 3), SW_DROP_NONE);
	/* an unused (0) slot never matches a 0.0.0.0 mapping */
	t.mapped.addr = 0;
	assert_int_equal(sw_check_loop(&t, own, 3), SW_DROP_NONE);
}

static void
test_drop_names(void **state)
{
	(void)state;
	for (int i = 0; i < SW_DROP__COUNT; i++) {
		const char *n = sw_drop_name((enum sw_drop)i);

		assert_non_null(n);
		assert_true(strlen(n) > 1);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n,
			    sw_drop_name((enum sw_drop)j));
	}
	assert_string_equal(sw_drop_name(SW_DROP__COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_global_table),
		cmocka_unit_test(test_v4_directed_broadcast),
		cmocka_unit_test(test_d1_d2_parse),
		cmocka_unit_test(test_d3_ra),
		cmocka_unit_test(test_d4_ra_nonce_mac),
		cmocka_unit_test(test_d5_rs),
		cmocka_unit_test(test_d6_client_tx),
		cmocka_unit_test(test_d7_d8_d9_discovery),
		cmocka_unit_test(test_d10_relayable),
		cmocka_unit_test(test_d11_d15_d16_server_v4),
		cmocka_unit_test(test_d12_rs_auth),
		cmocka_unit_test(test_d13_server_accept),
		cmocka_unit_test(test_d14_dst_global),
		cmocka_unit_test(test_d18_relay_src),
		cmocka_unit_test(test_d19_d20_relay),
		cmocka_unit_test(test_d22_trailer_must_drop),
		cmocka_unit_test(test_d23_direct_bubble),
		cmocka_unit_test(test_d24_alt_trailer),
		cmocka_unit_test(test_d25_routing_header),
		cmocka_unit_test(test_hard7_sources),
		cmocka_unit_test(test_hard8_udp_src),
		cmocka_unit_test(test_udp_dst),
		cmocka_unit_test(test_hard4_intranet),
		cmocka_unit_test(test_rfc6324_loop),
		cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
