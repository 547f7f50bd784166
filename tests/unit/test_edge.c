/*
 * test_edge.c - the core's edge policy (lib/edge.h; HARD-2, HARD-3,
 * SEC-7, CVE-2006-6265/6266): sw_edge_set sorts and deduplicates, and
 * sw_edge_check refuses every unsolicited packet it should AND passes the
 * nearest legitimate one, through extension header chains.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "edge.h"
#include "weaken.h"
#include "wire.h"

static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst[16] = { 0x20, 0x01, 0, 0, [15] = 2 };

/* A packet: IPv6 header, the extension headers in ext (already chained,
 * their first Next Header is first_nh), then an upper layer of type ulp
 * whose first bytes are ul[0..ul_len). */
struct pkt {
	uint8_t buf[512];
	struct sw_ip6_view ip;
};

static void
mk(struct pkt *p, uint8_t first_nh, const uint8_t *ext, size_t ext_len,
    const uint8_t *ul, size_t ul_len)
{
	enum sw_drop why;
	size_t plen = ext_len + ul_len;

	assert_int_equal(sw_ip6_build(p->buf, sizeof p->buf, src, dst,
	    first_nh, 64, (uint16_t)plen), SW_IP6_HLEN);
	if (ext_len > 0)
		memcpy(p->buf + SW_IP6_HLEN, ext, ext_len);
	if (ul_len > 0)
		memcpy(p->buf + SW_IP6_HLEN + ext_len, ul, ul_len);
	assert_int_equal(sw_ip6_parse(p->buf, SW_IP6_HLEN + plen, &p->ip,
	    &why), 0);
}

/* TCP/UDP header start: source port 40000, destination port dport. */
static void
ports(uint8_t ul[8], uint16_t dport)
{
	memset(ul, 0, 8);
	sw_put16(ul, 40000);
	sw_put16(ul + 2, dport);
}

static struct sw_edge
edge_22_53(void)
{
	static const uint16_t tcp[] = { 443, 22, 22 }, udp[] = { 53 };
	struct sw_edge e;

	assert_int_equal(sw_edge_set(&e, tcp, 3, udp, 1), 0);
	return e;
}

static void
test_set_sorts_dedups(void **state)
{
	static const uint16_t tcp[] = { 8080, 22, 443, 22, 1, 65535, 443 };
	struct sw_edge e;

	(void)state;
	assert_int_equal(sw_edge_set(&e, tcp, 7, NULL, 0), 0);
	assert_int_equal(e.n_tcp, 5);
	assert_int_equal(e.n_udp, 0);
	assert_int_equal(e.tcp[0], 1);
	assert_int_equal(e.tcp[1], 22);
	assert_int_equal(e.tcp[2], 443);
	assert_int_equal(e.tcp[3], 8080);
	assert_int_equal(e.tcp[4], 65535);
	assert_true(sw_edge_has(e.tcp, e.n_tcp, 443));
	assert_true(sw_edge_has(e.tcp, e.n_tcp, 1));
	assert_true(sw_edge_has(e.tcp, e.n_tcp, 65535));
	assert_false(sw_edge_has(e.tcp, e.n_tcp, 444));
	assert_false(sw_edge_has(e.tcp, e.n_tcp, 0));
	assert_false(sw_edge_has(e.udp, e.n_udp, 22));
}

/* More than SW_EDGE_MAX_PORTS distinct ports: -E2BIG, the smallest kept,
 * duplicates do not count against the limit. */
static void
test_set_too_many(void **state)
{
	uint16_t many[SW_EDGE_MAX_PORTS + 10], dup[2 * SW_EDGE_MAX_PORTS];
	struct sw_edge e;

	(void)state;
	for (unsigned i = 0; i < SW_EDGE_MAX_PORTS + 10; i++)
		many[i] = (uint16_t)(60000 - i);	/* descending */
	assert_int_equal(sw_edge_set(&e, NULL, 0, many,
	    SW_EDGE_MAX_PORTS + 10), -E2BIG);
	assert_int_equal(e.n_udp, SW_EDGE_MAX_PORTS);
	assert_int_equal(e.udp[0], 60000 - (SW_EDGE_MAX_PORTS + 9));
	assert_int_equal(e.udp[SW_EDGE_MAX_PORTS - 1], 60000 - 10);
	for (unsigned i = 1; i < e.n_udp; i++)
		assert_true(e.udp[i - 1] < e.udp[i]);
	assert_false(sw_edge_has(e.udp, e.n_udp, 60000));
	/* exactly the maximum, each twice: fine */
	for (unsigned i = 0; i < 2 * SW_EDGE_MAX_PORTS; i++)
		dup[i] = (uint16_t)(1000 + i % SW_EDGE_MAX_PORTS);
	assert_int_equal(sw_edge_set(&e, dup, 2 * SW_EDGE_MAX_PORTS, NULL, 0),
	    0);
	assert_int_equal(e.n_tcp, SW_EDGE_MAX_PORTS);
}

/* TCP and UDP: granted ports pass, the others (and the other protocol's
 * ports) are refused; no edge at all refuses every port. */
static void
test_tcp_udp_ports(void **state)
{
	struct sw_edge e = edge_22_53();
	struct pkt p;
	uint8_t ul[8];

	(void)state;
	ports(ul, 22);
	mk(&p, SW_NH_TCP, NULL, 0, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
	assert_int_equal(sw_edge_check(NULL, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	ports(ul, 23);
	mk(&p, SW_NH_TCP, NULL, 0, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	ports(ul, 53);
	mk(&p, SW_NH_TCP, NULL, 0, ul, 8);	/* 53 is granted for UDP */
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	mk(&p, SW_NH_UDP, NULL, 0, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
	ports(ul, 22);
	mk(&p, SW_NH_UDP, NULL, 0, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	/* a header too short to hold the ports */
	mk(&p, SW_NH_TCP, NULL, 0, ul, 3);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_BAD_EXT_HEADER);
}

/* ICMPv6 on its own: echo requests and NS/NA pass; [harden] errors and
 * echo replies only as part of a flow (flow.h), and RS, RA and redirects
 * never (without SW_DEFENCE(FLOW): errors, echo, RS/RA/NS/NA pass); the
 * rest (MLD, node information, unknown) are refused. */
static void
test_icmp6_types(void **state)
{
	static const uint8_t pass_flow[] = { 128, 135, 136 };
	static const uint8_t pass_old[] = { 1, 2, 3, 4, 128, 129, 133, 134,
	    135, 136 };
	static const uint8_t refuse_flow[] = { 0, 1, 2, 3, 4, 5, 127, 129,
	    130, 131, 132, 133, 134, 137, 139, 143, 200, 255 };
	static const uint8_t refuse_old[] = { 0, 5, 127, 130, 131, 132, 137,
	    139, 143, 200, 255 };
	const uint8_t *pass = SW_DEFENCE(FLOW) ? pass_flow : pass_old;
	const uint8_t *refuse = SW_DEFENCE(FLOW) ? refuse_flow : refuse_old;
	size_t n_pass = SW_DEFENCE(FLOW) ? sizeof pass_flow : sizeof pass_old;
	size_t n_refuse = SW_DEFENCE(FLOW) ? sizeof refuse_flow :
	    sizeof refuse_old;
	struct sw_edge e = edge_22_53();
	struct pkt p;
	uint8_t ul[8] = { 0 };

	(void)state;
	for (size_t i = 0; i < n_pass; i++) {
		ul[0] = pass[i];
		mk(&p, SW_NH_ICMP6, NULL, 0, ul, 8);
		assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
		/* not even a grant is needed */
		assert_int_equal(sw_edge_check(NULL, &p.ip), SW_DROP_NONE);
	}
	for (size_t i = 0; i < n_refuse; i++) {
		ul[0] = refuse[i];
		mk(&p, SW_NH_ICMP6, NULL, 0, ul, 8);
		assert_int_equal(sw_edge_check(&e, &p.ip),
		    SW_DROP_EDGE_NOT_GRANTED);
	}
	mk(&p, SW_NH_ICMP6, NULL, 0, ul, 0);	/* no type byte */
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_BAD_EXT_HEADER);
}

/* Other upper layers (ESP, SCTP, No Next Header: a bubble) are refused. */
static void
test_other_protocols(void **state)
{
	struct sw_edge e = edge_22_53();
	struct pkt p;
	uint8_t ul[8];

	(void)state;
	ports(ul, 22);
	mk(&p, SW_NH_ESP, NULL, 0, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	mk(&p, 132, NULL, 0, ul, 8);		/* SCTP */
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	mk(&p, SW_NH_NONE, NULL, 0, NULL, 0);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
}

/* The port is found behind Hop-by-Hop, Destination Options and Routing
 * headers (a scanner cannot hide behind them, a granted flow is not
 * broken by them); a chain that runs off the packet is BAD_EXT_HEADER. */
static void
test_extension_chain(void **state)
{
	struct sw_edge e = edge_22_53();
	struct pkt p;
	uint8_t ext[24], ul[8];

	(void)state;
	memset(ext, 0, sizeof ext);
	ext[0] = SW_NH_DSTOPTS;		/* HBH -> DST -> TCP */
	ext[1] = 0;
	ext[8] = SW_NH_TCP;
	ext[9] = 0;
	ports(ul, 23);
	mk(&p, SW_NH_HOPOPTS, ext, 16, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	ports(ul, 22);
	mk(&p, SW_NH_HOPOPTS, ext, 16, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
	/* Routing header (type 2, segments left 0) -> UDP 53 */
	memset(ext, 0, sizeof ext);
	ext[0] = SW_NH_UDP;
	ext[1] = 2;			/* 24 bytes */
	ext[2] = 2;
	ports(ul, 53);
	mk(&p, SW_NH_ROUTING, ext, 24, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
	ports(ul, 54);
	mk(&p, SW_NH_ROUTING, ext, 24, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	/* ICMPv6 echo behind a Destination Options header */
	memset(ext, 0, sizeof ext);
	ext[0] = SW_NH_ICMP6;
	memset(ul, 0, sizeof ul);
	ul[0] = SW_ICMP6_ECHO_REQ;
	mk(&p, SW_NH_DSTOPTS, ext, 8, ul, 8);
	assert_int_equal(sw_edge_check(NULL, &p.ip), SW_DROP_NONE);
	ul[0] = 137;			/* redirect */
	mk(&p, SW_NH_DSTOPTS, ext, 8, ul, 8);
	assert_int_equal(sw_edge_check(NULL, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	/* a header claiming more than the packet holds */
	memset(ext, 0, sizeof ext);
	ext[0] = SW_NH_TCP;
	ext[1] = 5;			/* 48 bytes, only 8 + 8 there */
	ports(ul, 22);
	mk(&p, SW_NH_DSTOPTS, ext, 8, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_BAD_EXT_HEADER);
}

/* Fragments: a first fragment is judged by its ports; a later fragment
 * (no ports to judge, harmless without its first) passes. */
static void
test_fragments(void **state)
{
	struct sw_edge e = edge_22_53();
	struct pkt p;
	uint8_t frag[8], ul[8];

	(void)state;
	memset(frag, 0, sizeof frag);
	frag[0] = SW_NH_TCP;
	sw_put16(frag + 2, 0x0001);		/* offset 0, M = 1 */
	ports(ul, 23);
	mk(&p, SW_NH_FRAGMENT, frag, 8, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_EDGE_NOT_GRANTED);
	ports(ul, 22);
	mk(&p, SW_NH_FRAGMENT, frag, 8, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
	sw_put16(frag + 2, 0x00a8);		/* offset 21 (x 8) */
	ports(ul, 23);
	mk(&p, SW_NH_FRAGMENT, frag, 8, ul, 8);
	assert_int_equal(sw_edge_check(&e, &p.ip), SW_DROP_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_sorts_dedups),
		cmocka_unit_test(test_set_too_many),
		cmocka_unit_test(test_tcp_udp_ports),
		cmocka_unit_test(test_icmp6_types),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_extension_chain),
		cmocka_unit_test(test_fragments),
	};
	return cmocka_run_group_tests_name("edge", tests, NULL, NULL);
}
