/*
 * wire_tshark.c - one packet of each Teredo kind, built with lib/ builders
 * only, wrapped in Ethernet/IPv4/UDP and written to a pcap, plus a JSON
 * file of what a decoder must find in each frame.  wire_tshark.py runs
 * tshark on the pcap and compares, field by field.
 *
 * Expected values are written from the inputs (literals below), never read
 * back from the bytes the builders produced, except the MAC, which the
 * driver recomputes itself with Python's hmac module.
 *
 * usage: wire_tshark OUT.pcap OUT.json
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "addr.h"
#include "auth.h"
#include "wire.h"

#define MAX_FRAMES  16
#define MAX_EXPECT  48
#define ETH_HLEN    14
#define IP4_HLEN    20
#define UDP_HLEN    8

struct expect {
	char name[48];
	char value[112];
};

struct frame {
	const char *desc;
	const char *layers;	/* tshark's layer names after "frame" */
	const char *absent;	/* comma-separated fields that must not occur */
	struct sw_v4ep src, dst;
	uint8_t pl[1500];	/* the UDP payload */
	size_t len;
	bool hmac;		/* driver recomputes teredo.auth.value */
	bool trailers;		/* RFC 6081 nonce + ND trailers follow */
	int trl_nd;		/* ND discovery type, -1 when absent */
	uint16_t decode_as;	/* UDP port tshark must treat as Teredo */
	struct expect ex[MAX_EXPECT];
	unsigned nex;
};

static struct frame frames[MAX_FRAMES];
static unsigned nframes;

/* The HMAC-SHA1 key (CLI-SQ-4); the driver gets it in the JSON file. */
static const uint8_t key[] = "shipworm conformance key";
#define KEY_LEN (sizeof(key) - 1)

static void __attribute__((noreturn))
die(const char *what, int err)
{
	fprintf(stderr, "wire_tshark: %s failed (%d)\n", what, err);
	exit(1);
}

static void __attribute__((format(printf, 3, 4)))
expect(struct frame *f, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (f->nex == MAX_EXPECT)
		die("expect: too many fields", -ENOSPC);
	snprintf(f->ex[f->nex].name, sizeof(f->ex[0].name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(f->ex[f->nex].value, sizeof(f->ex[0].value), fmt, ap);
	va_end(ap);
	f->nex++;
}

/* tshark's FT_BYTES form: "c0:ff:ee:01". */
static const char *
hexcolon(const uint8_t *p, size_t n)
{
	static char buf[4][3 * 64];
	static unsigned which;
	char *out = buf[which++ % 4];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && i < 64; i++)
		snprintf(out + 3 * i, 4, "%02x:", p[i]);
	if (i)
		out[3 * i - 1] = '\0';	/* the last colon */
	return out;
}

static struct frame *
new_frame(const char *desc, uint32_t sa, uint16_t sp, uint32_t da,
    uint16_t dp)
{
	struct frame *f;

	if (nframes == MAX_FRAMES)
		die("new_frame", -ENOSPC);
	f = &frames[nframes++];
	f->desc = desc;
	f->src = (struct sw_v4ep){ sa, sp };
	f->dst = (struct sw_v4ep){ da, dp };
	f->trl_nd = -1;
	f->absent = "";
	return f;
}

/* Append a builder's result: r is its return value (bytes or -errno). */
static void
took(struct frame *f, int r, const char *what)
{
	if (r < 0)
		die(what, r);
	if ((size_t)r > sizeof(f->pl) - f->len)
		die(what, -EOVERFLOW);
	f->len += (size_t)r;
}

#define ROOM(f) ((f)->pl + (f)->len), (sizeof((f)->pl) - (f)->len)

/* ---- the scenario ------------------------------------------------------ */

/* Endpoints, all from the documentation ranges (RFC 5737, RFC 3849). */
#define SRV1      SW_IP4(192, 0, 2, 10)		/* A's server */
#define SRV2      SW_IP4(192, 0, 2, 11)		/* B's server */
#define A_MAPPED  SW_IP4(198, 51, 100, 1)
#define A_PORT    40000
#define B_MAPPED  SW_IP4(203, 0, 113, 7)
#define B_PORT    50000
#define RELAY     SW_IP4(203, 0, 113, 20)
#define RELAY_PORT 3545

/*
 * The same addresses in text, worked out by hand from the fields:
 * A = 2001:0 | 192.0.2.10 = c000:020a | flags 2c39 | ~40000 = 63bf |
 *     ~198.51.100.1 = 39cc:9bfe
 * B = 2001:0 | 192.0.2.11 = c000:020b | flags 0401 | ~50000 = 3caf |
 *     ~203.0.113.7 = 34ff:8ef8
 * Server link-local (COM-LL-2): fe80::8000:f227:<~192.0.2.10>.
 */
#define A_TEXT    "2001:0:c000:20a:2c39:63bf:39cc:9bfe"
#define B_TEXT    "2001:0:c000:20b:401:3caf:34ff:8ef8"
#define NATIVE_TEXT "2001:db8::1"
#define CLI_LL_TEXT "fe80::ffff:ffff:ffff"
#define SRV_LL_TEXT "fe80::8000:f227:3fff:fdf5"

static const uint8_t native[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
};
static const uint8_t nonce1[SW_NONCE_LEN] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};
static const uint8_t nonce2[SW_NONCE_LEN] = {
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10
};
static const uint8_t client_id[4] = { 0xc0, 0xff, 0xee, 0x01 };
static const uint8_t trl_nonce[4] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t echo_data[32] = "Shipworm echo, 32 bytes of data";

static uint8_t a_addr[16], b_addr[16];

static void
expect_ip6(struct frame *f, const char *src, const char *dst, unsigned nxt,
    unsigned plen, unsigned hlim)
{
	expect(f, "ipv6.version", "6");
	expect(f, "ipv6.tclass", "0x00000000");
	expect(f, "ipv6.flow", "0x000000");
	expect(f, "ipv6.src", "%s", src);
	expect(f, "ipv6.dst", "%s", dst);
	expect(f, "ipv6.nxt", "%u", nxt);
	expect(f, "ipv6.plen", "%u", plen);
	expect(f, "ipv6.hlim", "%u", hlim);
}

static void
expect_auth(struct frame *f, const uint8_t *id, uint8_t id_len,
    const uint8_t *mac, uint8_t au_len, const uint8_t *nonce, uint8_t conf)
{
	expect(f, "teredo.auth.idlen", "%u", id_len);
	expect(f, "teredo.auth.aulen", "%u", au_len);
	if (id_len)
		expect(f, "teredo.auth.id", "%s", hexcolon(id, id_len));
	if (au_len)
		expect(f, "teredo.auth.value", "%s", hexcolon(mac, au_len));
	expect(f, "teredo.auth.nonce", "%s", hexcolon(nonce, SW_NONCE_LEN));
	expect(f, "teredo.auth.conf", "%02x", conf);
}

static void
expect_origin(struct frame *f, uint32_t addr, uint16_t port)
{
	expect(f, "teredo.orig.port", "%u", port);
	expect(f, "teredo.orig.addr", "%u.%u.%u.%u", addr >> 24,
	    addr >> 16 & 0xff, addr >> 8 & 0xff, addr & 0xff);
}

/* tshark's own reading of a Teredo address (server, ~port, ~IPv4). */
static void
expect_teredo_addr(struct frame *f, const char *side, const char *server,
    unsigned port, const char *client)
{
	char name[48];

	snprintf(name, sizeof(name), "ipv6.%s_ts_ipv4", side);
	expect(f, name, "%s", server);
	snprintf(name, sizeof(name), "ipv6.%s_tc_port", side);
	expect(f, name, "%u", port);
	snprintf(name, sizeof(name), "ipv6.%s_tc_ipv4", side);
	expect(f, name, "%s", client);
}

static void
expect_teredo_end(struct frame *f, const char *side, const uint8_t *addr)
{
	if (addr == a_addr)
		expect_teredo_addr(f, side, "192.0.2.10", A_PORT,
		    "198.51.100.1");
	else if (addr == b_addr)
		expect_teredo_addr(f, side, "192.0.2.11", B_PORT,
		    "203.0.113.7");
}

static void
expect_teredo_ends(struct frame *f, const uint8_t *src, const uint8_t *dst)
{
	expect_teredo_end(f, "src", src);
	expect_teredo_end(f, "dst", dst);
}

static void
expect_icmp6(struct frame *f, unsigned type)
{
	expect(f, "icmpv6.type", "%u", type);
	expect(f, "icmpv6.code", "0");
	expect(f, "icmpv6.checksum.status", "1");	/* 1 = Good */
}

/* RS, nonce-only (CLI-SQ-1, COM-ENC-5) or with client id and HMAC. */
static void
rs(const char *desc, const uint8_t *nonce, bool strong,
    struct sw_auth *mac_ctx)
{
	struct frame *f = new_frame(desc, A_MAPPED, A_PORT, SRV1,
	    SW_TEREDO_PORT);
	uint8_t ll[16], ip6[64], mac[SW_AUTH_HMAC_LEN];
	int n, r;

	sw_addr_client_ll(ll, false);
	n = sw_wire_build_rs(ip6, sizeof(ip6), ll);
	if (n < 0)
		die("sw_wire_build_rs", n);
	if (n != 48)
		die("sw_wire_build_rs length", n);
	if (strong) {
		r = sw_auth_compute(mac_ctx, nonce, 0, NULL, ip6, (size_t)n,
		    mac);
		if (r < 0)
			die("sw_auth_compute", r);
		took(f, sw_wire_build_auth(ROOM(f), client_id,
		    sizeof(client_id), mac, SW_AUTH_HMAC_LEN, nonce, 0),
		    "sw_wire_build_auth");
	} else {
		took(f, sw_wire_build_auth(ROOM(f), NULL, 0, NULL, 0, nonce, 0),
		    "sw_wire_build_auth");
	}
	memcpy(f->pl + f->len, ip6, (size_t)n);
	took(f, n, "copy RS");

	f->layers = "eth,ip,udp,teredo,ipv6,icmpv6";
	f->hmac = strong;
	if (strong)
		expect_auth(f, client_id, sizeof(client_id), mac,
		    SW_AUTH_HMAC_LEN, nonce, 0);
	else
		expect_auth(f, NULL, 0, NULL, 0, nonce, 0);
	f->absent = strong ? "teredo.orig,icmpv6.opt" :
	    "teredo.orig,teredo.auth.id,teredo.auth.value,icmpv6.opt";
	expect_ip6(f, CLI_LL_TEXT, "ff02::2", SW_NH_ICMP6, 8, 255);
	expect_icmp6(f, SW_ICMP6_RS);
}

/* The server's RA (SRV-RA-1..8): auth echoed, origin, RA + PIO + MTU. */
static void
ra(const char *desc, const uint8_t *nonce, bool strong, uint8_t conf,
    struct sw_auth *mac_ctx)
{
	struct frame *f = new_frame(desc, SRV1, SW_TEREDO_PORT, A_MAPPED,
	    A_PORT);
	struct sw_v4ep mapped = { A_MAPPED, A_PORT };
	struct sw_ra adv = {
		.cur_hlim = 0, .flags = 0, .lifetime = 0, .reachable = 0,
		.retrans = 2000,
		.prefix_count = 1, .prefix_len = 64, .pio_flags = 0x40,
		.valid = 0xffffffffu, .preferred = 0xffffffffu,
		.has_mtu = true, .mtu = 1280,
	};
	uint8_t src[16], dst[16], oi[SW_ORIGIN_LEN], ip6[128];
	uint8_t mac[SW_AUTH_HMAC_LEN];
	int n, o, r;

	sw_put32(adv.prefix, SW_TEREDO_PREFIX);
	sw_put32(adv.prefix + 4, SRV1);
	sw_addr_server_ll(src, SRV1);
	sw_addr_client_ll(dst, false);
	n = sw_wire_build_ra(ip6, sizeof(ip6), src, dst, &adv);
	if (n < 0)
		die("sw_wire_build_ra", n);
	if (n != 96)
		die("sw_wire_build_ra length", n);
	o = sw_wire_build_origin(oi, sizeof(oi), &mapped);
	if (o != SW_ORIGIN_LEN)
		die("sw_wire_build_origin", o);
	if (strong) {
		r = sw_auth_compute(mac_ctx, nonce, conf, oi, ip6, (size_t)n,
		    mac);
		if (r < 0)
			die("sw_auth_compute", r);
		took(f, sw_wire_build_auth(ROOM(f), client_id,
		    sizeof(client_id), mac, SW_AUTH_HMAC_LEN, nonce, conf),
		    "sw_wire_build_auth");
	} else {
		took(f, sw_wire_build_auth(ROOM(f), NULL, 0, NULL, 0, nonce,
		    conf), "sw_wire_build_auth");
	}
	memcpy(f->pl + f->len, oi, SW_ORIGIN_LEN);
	took(f, SW_ORIGIN_LEN, "copy origin");
	memcpy(f->pl + f->len, ip6, (size_t)n);
	took(f, n, "copy RA");

	f->layers = "eth,ip,udp,teredo,ipv6,icmpv6";
	f->hmac = strong;
	if (strong)
		expect_auth(f, client_id, sizeof(client_id), mac,
		    SW_AUTH_HMAC_LEN, nonce, conf);
	else
		expect_auth(f, NULL, 0, NULL, 0, nonce, conf);
	if (!strong)
		f->absent = "teredo.auth.id,teredo.auth.value";
	expect_origin(f, A_MAPPED, A_PORT);
	expect_ip6(f, SRV_LL_TEXT, CLI_LL_TEXT, SW_NH_ICMP6, 56, 255);
	expect_icmp6(f, SW_ICMP6_RA);
	expect(f, "icmpv6.nd.ra.cur_hop_limit", "0");
	expect(f, "icmpv6.nd.ra.flag", "0x00");
	expect(f, "icmpv6.nd.ra.router_lifetime", "0");
	expect(f, "icmpv6.nd.ra.reachable_time", "0");
	expect(f, "icmpv6.nd.ra.retrans_timer", "2000");
	expect(f, "icmpv6.opt.type", "3,5");	/* one PIO, one MTU, in order */
	expect(f, "icmpv6.opt.length", "4,1");
	expect(f, "icmpv6.opt.prefix.length", "64");
	expect(f, "icmpv6.opt.prefix.flag", "0x40");	/* L = 0, A = 1 */
	expect(f, "icmpv6.opt.prefix.valid_lifetime", "4294967295");
	expect(f, "icmpv6.opt.prefix.preferred_lifetime", "4294967295");
	expect(f, "icmpv6.opt.prefix", "2001:0:c000:20a::");
	expect(f, "icmpv6.opt.mtu", "1280");
}

/* RFC 6081 nonce and ND option trailers after the IPv6 packet. */
static void
trailers(struct frame *f, uint8_t nd)
{
	took(f, sw_wire_build_trailer_nonce(ROOM(f), trl_nonce),
	    "sw_wire_build_trailer_nonce");
	took(f, sw_wire_build_trailer_nd(ROOM(f), nd),
	    "sw_wire_build_trailer_nd");
	f->trailers = true;
	f->trl_nd = nd;
	/*
	 * tshark's teredo_udp heuristic insists on UDP payload == headers +
	 * 40 + PL, so it never takes a packet with trailers (the equality
	 * COM-IP6-2 warns against): have the driver use "decode as".
	 */
	f->decode_as = f->dst.port;
}

/* A bubble (COM-BUB-1), direct or as relayed by B's server with the
 * origin of A (COM-BUB-2, COM-ENC-4); optional RFC 6081 trailers. */
static void
bubble(const char *desc, bool relayed, const uint8_t *src, const char *stext,
    const uint8_t *dst, const char *dtext, uint8_t hlim, int nd)
{
	struct frame *f;
	struct sw_v4ep origin = { A_MAPPED, A_PORT };
	bool a_to_b = src == a_addr;

	if (relayed)
		f = new_frame(desc, SRV2, SW_TEREDO_PORT, B_MAPPED, B_PORT);
	else if (a_to_b)
		f = new_frame(desc, A_MAPPED, A_PORT, B_MAPPED, B_PORT);
	else
		f = new_frame(desc, B_MAPPED, B_PORT, A_MAPPED, A_PORT);
	if (relayed)
		took(f, sw_wire_build_origin(ROOM(f), &origin),
		    "sw_wire_build_origin");
	took(f, sw_wire_build_bubble(ROOM(f), src, dst, hlim),
	    "sw_wire_build_bubble");
	if (nd >= 0)
		trailers(f, (uint8_t)nd);

	f->layers = "eth,ip,udp,teredo,ipv6";
	if (relayed) {
		f->absent = "teredo.auth";
		expect_origin(f, A_MAPPED, A_PORT);
	} else {
		f->absent = "teredo.auth,teredo.orig";
	}
	expect_ip6(f, stext, dtext, SW_NH_NONE, 0, hlim);
	expect_teredo_ends(f, src, dst);
}

/* ICMPv6 echo (RFC 4443 §4.1/4.2); trailers optional (RFC 6081 §4). */
static void
echo(const char *desc, uint8_t type, const uint8_t *src, const char *stext,
    const uint8_t *dst, const char *dtext, uint8_t hlim, uint16_t seq,
    int nd)
{
	struct frame *f;
	bool from_a = src == a_addr;
	bool to_b = dst == b_addr;

	if (from_a && to_b)
		f = new_frame(desc, A_MAPPED, A_PORT, B_MAPPED, B_PORT);
	else if (from_a)
		f = new_frame(desc, A_MAPPED, A_PORT, RELAY, RELAY_PORT);
	else
		f = new_frame(desc, RELAY, RELAY_PORT, A_MAPPED, A_PORT);
	took(f, sw_wire_build_echo(ROOM(f), type, src, dst, hlim, 0x5157,
	    seq, echo_data, sizeof(echo_data)), "sw_wire_build_echo");
	if (nd >= 0)
		trailers(f, (uint8_t)nd);

	f->layers = "eth,ip,udp,teredo,ipv6,icmpv6";
	f->absent = "teredo.auth,teredo.orig";
	expect_ip6(f, stext, dtext, SW_NH_ICMP6, 8 + sizeof(echo_data), hlim);
	expect_icmp6(f, type);
	expect(f, "icmpv6.echo.identifier", "0x5157");
	expect(f, "icmpv6.echo.sequence_number", "%u", seq);
	expect(f, "data.data", "%s", hexcolon(echo_data, sizeof(echo_data)));
	expect_teredo_ends(f, src, dst);
}

/* ---- Ethernet/IPv4/UDP and the files ----------------------------------- */

static uint32_t
sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += sw_get16(p + i);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t
fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Frame f as Ethernet II / IPv4 (no DF, COM-MTU-2) / UDP with checksums. */
static size_t
encapsulate(const struct frame *f, unsigned num, uint8_t *out, size_t cap)
{
	static const uint8_t macs[12] = {
		0x02, 0, 0, 0, 0, 0x02,		/* destination */
		0x02, 0, 0, 0, 0, 0x01,		/* source */
	};
	size_t udp_len = UDP_HLEN + f->len;
	size_t total = ETH_HLEN + IP4_HLEN + udp_len;
	uint8_t *ip = out + ETH_HLEN, *udp = ip + IP4_HLEN;
	uint8_t pseudo[12];
	uint16_t ck;

	if (total > cap)
		die("encapsulate", -EMSGSIZE);
	memcpy(out, macs, sizeof(macs));
	sw_put16(out + 12, 0x0800);

	memset(ip, 0, IP4_HLEN);
	ip[0] = 0x45;
	sw_put16(ip + 2, (uint16_t)(IP4_HLEN + udp_len));
	sw_put16(ip + 4, (uint16_t)(0x1000 + num));
	ip[8] = 64;
	ip[9] = 17;
	sw_put32(ip + 12, f->src.addr);
	sw_put32(ip + 16, f->dst.addr);
	sw_put16(ip + 10, fold(sum16(0, ip, IP4_HLEN)));

	sw_put16(udp, f->src.port);
	sw_put16(udp + 2, f->dst.port);
	sw_put16(udp + 4, (uint16_t)udp_len);
	sw_put16(udp + 6, 0);
	memcpy(udp + UDP_HLEN, f->pl, f->len);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	sw_put16(pseudo + 10, (uint16_t)udp_len);
	ck = fold(sum16(sum16(0, pseudo, sizeof(pseudo)), udp, udp_len));
	sw_put16(udp + 6, ck ? ck : 0xffff);
	return total;
}

static void
write_pcap(const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint8_t buf[2048];
	unsigned i;

	if (!p)
		die("pcap_open_dead", -ENOMEM);
	d = pcap_dump_open(p, path);
	if (!d) {
		fprintf(stderr, "wire_tshark: %s: %s\n", path, pcap_geterr(p));
		exit(1);
	}
	for (i = 0; i < nframes; i++) {
		struct pcap_pkthdr h;
		size_t n = encapsulate(&frames[i], i + 1, buf, sizeof(buf));

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + (long)i;
		h.caplen = h.len = (bpf_u_int32)n;
		pcap_dump((u_char *)d, &h, buf);
	}
	if (pcap_dump_flush(d) != 0)
		die("pcap_dump_flush", -EIO);
	pcap_dump_close(d);
	pcap_close(p);
}

static void
write_json(const char *path)
{
	FILE *out = fopen(path, "w");
	unsigned i, j;

	if (!out) {
		perror(path);
		exit(1);
	}
	fprintf(out, "{\"hmac_key\": \"%s\",\n \"frames\": [\n",
	    hexcolon(key, KEY_LEN));
	for (i = 0; i < nframes; i++) {
		const struct frame *f = &frames[i];

		fprintf(out, "  {\"frame\": %u, \"desc\": \"%s\",\n", i + 1,
		    f->desc);
		fprintf(out, "   \"layers\": \"%s\", \"absent\": \"%s\",\n",
		    f->layers, f->absent);
		fprintf(out, "   \"hmac\": %s, \"trl_nonce\": \"%s\", "
		    "\"trl_nd\": %d,\n", f->hmac ? "true" : "false",
		    f->trailers ? hexcolon(trl_nonce, sizeof(trl_nonce)) : "",
		    f->trl_nd);
		fprintf(out, "   \"decode_as\": %u,\n", f->decode_as);
		fprintf(out, "   \"fields\": {");
		for (j = 0; j < f->nex; j++)
			fprintf(out, "%s\n    \"%s\": \"%s\"", j ? "," : "",
			    f->ex[j].name, f->ex[j].value);
		fprintf(out, "}}%s\n", i + 1 < nframes ? "," : "");
	}
	fprintf(out, " ]}\n");
	if (fclose(out) != 0) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	struct sw_teredo a = {
		.prefix = SW_TEREDO_PREFIX, .server = SRV1, .flags = 0x2c39,
		.mapped = { A_MAPPED, A_PORT },
	};
	struct sw_teredo b = {
		.prefix = SW_TEREDO_PREFIX, .server = SRV2, .flags = 0x0401,
		.mapped = { B_MAPPED, B_PORT },
	};
	struct sw_auth *mac_ctx;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: wire_tshark OUT.pcap OUT.json\n");
		return 2;
	}
	r = sw_auth_new(&mac_ctx, key, KEY_LEN);
	if (r < 0)
		die("sw_auth_new", r);
	sw_addr_encode(a_addr, &a);
	sw_addr_encode(b_addr, &b);

	rs("RS, nonce-only auth (CLI-SQ-1, COM-ENC-5)", nonce1, false,
	    mac_ctx);
	rs("RS, client id + HMAC-SHA1 (CLI-SQ-1/4)", nonce2, true, mac_ctx);
	ra("RA to the nonce-only RS (SRV-RA-1/2/7/8)", nonce1, false, 0,
	    mac_ctx);
	ra("RA to the HMAC RS, conf 1 (SRV-RA-6, CLI-SQ-4/5)", nonce2, true,
	    1, mac_ctx);
	bubble("direct bubble A to B (COM-BUB-1/2)", false, a_addr, A_TEXT,
	    b_addr, B_TEXT, 255, -1);
	bubble("indirect bubble relayed with origin (COM-BUB-2, COM-ENC-4)",
	    true, a_addr, A_TEXT, b_addr, B_TEXT, 0, -1);
	echo("echo request Teredo to native (RFC 4443 4.1)",
	    SW_ICMP6_ECHO_REQ, a_addr, A_TEXT, native, NATIVE_TEXT, 64, 1, -1);
	echo("echo reply native to Teredo (RFC 4443 4.2)",
	    SW_ICMP6_ECHO_REPLY, native, NATIVE_TEXT, a_addr, A_TEXT, 63, 1,
	    -1);
	echo("echo A to B + nonce, ND trailers (COM-TRL-4/6)",
	    SW_ICMP6_ECHO_REQ, a_addr, A_TEXT, b_addr, B_TEXT, 64, 2,
	    SW_ND_SOLICIT);
	bubble("bubble B to A + nonce, ND trailers (COM-TRL-4/6)", false,
	    b_addr, B_TEXT, a_addr, A_TEXT, 255, SW_ND_ADVERT);

	sw_auth_free(mac_ctx);
	write_pcap(argv[1]);
	write_json(argv[2]);
	return 0;
}
