/*
 * fuzz_check.c - every discard predicate of lib/check.c on arbitrary UDP
 * payloads: the RA validation with nonce and HMAC (CLI-RA-1, CLI-SQ-2/3),
 * the server and relay acceptance rules, discovery, direct bubbles and the
 * IPv6 hygiene checks.  The first 6 input bytes are the UDP source
 * (IPv4, port) the packet came from; the rest is the payload.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "check.h"
#include "wire.h"

static struct sw_auth *key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(bool ok)
{
	if (!ok)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzzing key";
	static const uint8_t nonce[8] = { 0x13, 0x50, 0x34, 0x3e, 0xf2, 0xf3,
	    0x25, 0x50 };
	const struct sw_v4_net lan = { SW_IP4(10, 0, 0, 0), 8 };
	const struct sw_v4_check v4 = { .policy = SW_V4_LAB };
	const uint32_t own[] = { SW_IP4(192, 0, 2, 10), SW_IP4(192, 0, 2, 11) };
	struct sw_ip6_net served = { { 0x20, 0x01 }, 32 };
	struct sw_teredo_view v;
	struct sw_ip6_view ip;
	struct sw_trailers t;
	struct sw_ra_info info;
	struct sw_v4ep from;
	uint8_t ll[16];
	enum sw_drop why;

	if (key == NULL && sw_auth_new(&key, secret, sizeof secret - 1) != 0)
		return 0;
	if (size < 6)
		return 0;
	from.addr = sw_get32(data);
	from.port = sw_get16(data + 4);
	data += 6;
	size -= 6;

	(void)sw_check_udp_src(&from, own, 2);
	if (sw_wire_parse(data, size, &v, &why) != 0) {
		require(why != SW_DROP_NONE);
		return 0;
	}
	require(sw_ip6_parse(v.ip6, v.ip6_len, &ip, &why) == 0);

	sw_addr_client_ll(ll, false);
	{
		struct sw_ra_expect e = {
			.rs_src = ll, .prefix = SW_TEREDO_PREFIX,
			.server = SW_IP4(192, 0, 2, 10), .nonce = nonce,
			.mac = key, .v4 = &v4,
		};
		struct sw_ra_expect e2 = e;

		e2.mac = NULL;
		if (sw_check_ra(&v, &e, &info) == SW_DROP_NONE)
			require(v.has_origin && v.has_auth &&
			    info.ra.prefix_count == 1);
		(void)sw_check_ra(&v, &e2, &info);
	}
	(void)sw_check_not_rs(&ip);
	(void)sw_check_discovery(&ip, SW_TEREDO_PREFIX, true, from.addr, &lan,
	    1, SW_IP4(198, 51, 100, 1));
	(void)sw_check_srv_relayable(&ip);
	(void)sw_check_srv_rs_auth(&v, true, key);
	(void)sw_check_srv_accept(&ip, &from, SW_TEREDO_PREFIX, own[0]);
	(void)sw_check_ip6_dst_global(ip.dst);
	(void)sw_check_relay_src(&ip, &from, SW_TEREDO_PREFIX);
	(void)sw_check_dst_served(ip.dst, &served, 1);
	(void)sw_check_routing_header(&ip);
	(void)sw_check_ip6_src(ip.src);
	(void)sw_check_ip6_dst_unicast(ip.dst, true);
	if (sw_wire_parse_trailers(v.trailers, v.trailers_len, &t, &why) == 0) {
		(void)sw_check_direct_bubble(&ip, SW_TEREDO_PREFIX, &from, &t,
		    nonce);
		(void)sw_check_alt_trailer(&t);
	}
	return 0;
}
