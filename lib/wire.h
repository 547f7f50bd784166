/*
 * wire.h - bounds-checked parse and build of everything Teredo puts in a
 * UDP payload (RFC 4380 §5.1.1, RFC 4861 §4, RFC 4443 §4, RFC 6081 §4).
 *
 *   UDP payload := [auth] [origin] IPv6-packet [trailer...]   (COM-ENC-*)
 *
 * Parsers never read outside [buf, buf + len) whatever the length fields
 * claim, never allocate and never copy: views point into the caller's
 * buffer, which must outlive them.  Builders write into a caller buffer of
 * capacity cap and return the number of bytes written, or -EMSGSIZE when
 * cap is too small (nothing useful is left in out then).  Parsers return 0,
 * or -EBADMSG with *why set to the discard reason (drop.h).
 */
#ifndef SW_WIRE_H
#define SW_WIRE_H

#include "sw.h"
#include "drop.h"

#define SW_IP6_HLEN        40
#define SW_ORIGIN_LEN      8
#define SW_AUTH_MIN_LEN    13	/* 00 01 idlen aulen nonce(8) conf(1) */
#define SW_NONCE_LEN       8
#define SW_MAX_UDP_PAYLOAD 65507	/* COM-MTU-1 */

#define SW_NH_HOPOPTS  0
#define SW_NH_TCP      6
#define SW_NH_UDP      17
#define SW_NH_ROUTING  43
#define SW_NH_FRAGMENT 44
#define SW_NH_ESP      50
#define SW_NH_AH       51
#define SW_NH_ICMP6    58
#define SW_NH_NONE     59	/* COM-IP6-3 */
#define SW_NH_DSTOPTS  60

#define SW_ICMP6_DST_UNREACH 1
#define SW_ICMP6_PKT_TOO_BIG 2
#define SW_ICMP6_TIME_EXCEED 3
#define SW_ICMP6_PARAM_PROB  4
#define SW_ICMP6_ECHO_REQ    128
#define SW_ICMP6_ECHO_REPLY  129
#define SW_ICMP6_RS          133
#define SW_ICMP6_RA          134

/* ---- Teredo encapsulation (§1.4) ---------------------------------- */

/* The authentication encapsulation, as received (COM-ENC-5/6). */
struct sw_auth_view {
	const uint8_t *id;	/* id_len bytes (may be 0) */
	const uint8_t *au;	/* au_len bytes (may be 0) */
	const uint8_t *nonce;	/* SW_NONCE_LEN bytes */
	uint8_t id_len;
	uint8_t au_len;
	uint8_t conf;		/* confirmation byte (CLI-SQ-5) */
};

/* One UDP payload, split (sw_wire_parse). */
struct sw_teredo_view {
	bool has_auth;
	bool has_origin;
	struct sw_auth_view auth;
	const uint8_t *origin_raw;	/* the 8 OI bytes, as on the wire */
	struct sw_v4ep origin;		/* de-obfuscated OI address and port */
	const uint8_t *ip6;		/* the IPv6 packet: ip6_len = 40 + PL */
	size_t ip6_len;
	const uint8_t *trailers;	/* bytes after the IPv6 packet (RFC 6081) */
	size_t trailers_len;
};

/*
 * Split a UDP payload (COM-ENC-2/3/6, COM-IP6-1/2): at most one auth
 * header, then at most one origin indication, then an IPv6 header with
 * version 6 and 40 + Payload Length <= the bytes left; the rest is
 * trailers (not parsed here).  Discards (D1, D2): TRUNCATED,
 * BAD_HEADER_CODE, AUTH_AFTER_ORIGIN, DUP_HEADER, BAD_AUTH_LEN,
 * IP6_VERSION, IP6_LENGTH.
 */
int sw_wire_parse(const uint8_t *buf, size_t len, struct sw_teredo_view *v,
    enum sw_drop *why);

/* Auth encapsulation, 13 + id_len + au_len bytes (nonce: 8 bytes). */
int sw_wire_build_auth(uint8_t *out, size_t cap, const uint8_t *id,
    uint8_t id_len, const uint8_t *au, uint8_t au_len,
    const uint8_t nonce[static SW_NONCE_LEN], uint8_t conf);

/* Origin indication, 8 bytes: 00 00 ~port ~IPv4 (RFC 4380 §5.1.1). */
int sw_wire_build_origin(uint8_t *out, size_t cap, const struct sw_v4ep *o);

/* ---- IPv6 header and extension headers ------------------------------ */

struct sw_ip6_view {
	const uint8_t *hdr;	/* 40 bytes */
	const uint8_t *src;	/* 16 bytes */
	const uint8_t *dst;	/* 16 bytes */
	const uint8_t *payload;	/* plen bytes */
	uint32_t flow;		/* 20 bits */
	uint16_t plen;
	uint8_t tclass;
	uint8_t nxt;
	uint8_t hlim;
};

/* Parse an IPv6 header; len must be >= 40 + Payload Length (extra bytes
 * are ignored).  -EBADMSG with IP6_VERSION or IP6_LENGTH (D2). */
int sw_ip6_parse(const uint8_t *p, size_t len, struct sw_ip6_view *ip,
    enum sw_drop *why);

/* Write a 40-byte IPv6 header (version 6, traffic class and flow 0). */
int sw_ip6_build(uint8_t *out, size_t cap, const uint8_t src[static 16],
    const uint8_t dst[static 16], uint8_t nxt, uint8_t hlim, uint16_t plen);

/* COM-BUB-1: Next Header 59 and Payload Length 0. */
bool sw_ip6_is_bubble(const struct sw_ip6_view *ip);

/*
 * Walk the extension header chain (RFC 8200 §4) of a parsed packet up to
 * the upper-layer header.  Recognised: Hop-by-Hop (0), Routing (43),
 * Fragment (44), Destination Options (60).  A chain that runs off the
 * payload gives -EBADMSG / BAD_EXT_HEADER.  rh_* describe the first
 * routing header met (rh_present false when none); rh0 and rh0_active
 * tell whether any routing header of the chain is type 0, and whether
 * any such one has Segments Left > 0 (a chain may hold several).
 */
struct sw_ip6_chain {
	uint8_t ulp;		/* upper-layer protocol, or 59 */
	uint16_t ulp_off;	/* offset of the ULP header in payload */
	bool rh_present;
	uint8_t rh_type;
	uint8_t rh_segleft;
	uint16_t rh_off;	/* offset of the routing header in payload */
	bool rh0;		/* some routing header is type 0 */
	bool rh0_active;	/* ... with Segments Left > 0 */
	bool fragment;		/* a Fragment header was seen */
	bool fragment_later;	/* ... with a non-zero offset: ulp is its
				   Next Header, ulp_off its data */
};
int sw_ip6_walk(const struct sw_ip6_view *ip, struct sw_ip6_chain *c,
    enum sw_drop *why);

/* ---- ICMPv6 ---------------------------------------------------------- */

/*
 * Internet checksum of the IPv6 pseudo-header (src, dst, length,
 * next header 58) and len bytes of msg (RFC 4443 §2.3), as a value to
 * store in the checksum field (msg's own checksum field is included in
 * the sum, so callers zero it before computing).  A message whose stored
 * checksum is right sums to zero: sw_icmp6_checksum_ok().
 */
uint16_t sw_icmp6_checksum(const uint8_t src[static 16],
    const uint8_t dst[static 16], const uint8_t *msg, size_t len);
bool sw_icmp6_checksum_ok(const struct sw_ip6_view *ip);

/* Echo request/reply (RFC 4443 §4.1/4.2), ICMPv6 directly after the IPv6
 * header; data may be NULL when data_len is 0. */
int sw_wire_build_echo(uint8_t *out, size_t cap, uint8_t type,
    const uint8_t src[static 16], const uint8_t dst[static 16], uint8_t hlim,
    uint16_t id, uint16_t seq, const uint8_t *data, size_t data_len);

struct sw_echo_view {
	uint8_t type;		/* 128 or 129 */
	uint16_t id;
	uint16_t seq;
	const uint8_t *data;
	size_t data_len;
};
/* Accepts only nxt == 58 directly, type 128/129, code 0, length >= 8 and
 * a valid checksum; else -EBADMSG. */
int sw_wire_parse_echo(const struct sw_ip6_view *ip, struct sw_echo_view *e);

/*
 * ICMPv6 errors (RFC 4443 §2.4, spec SEC-9): the message about the
 * invoking packet inv (its first inv_len bytes, IPv6 header first), from
 * src to inv's source, hop limit 64, carrying as much of inv as keeps
 * the whole within SW_ICMP6_ERROR_MAX bytes.  -EINVAL when no error may
 * be sent about inv (sw_icmp6_error_allowed), -EMSGSIZE when cap is too
 * small.  out and inv must not overlap.  The caller rate-limits.
 */
#define SW_ICMP6_ERROR_MAX    1280	/* RFC 4443 §2.4(c) */
#define SW_ICMP6_UNREACH_ADDR 3		/* Destination Unreachable code */
bool sw_icmp6_error_allowed(const uint8_t *inv, size_t len);
int sw_wire_build_icmp6_error(uint8_t *out, size_t cap, uint8_t type,
    uint8_t code, uint32_t param, const uint8_t src[static 16],
    const uint8_t *inv, size_t inv_len);

/* A bubble: bare IPv6 header, NH 59, PL 0 (COM-BUB-1). */
int sw_wire_build_bubble(uint8_t *out, size_t cap,
    const uint8_t src[static 16], const uint8_t dst[static 16], uint8_t hlim);

/* ---- Router Solicitation / Advertisement (RFC 4861 §4.1, §4.2) ------- */

/* RS: hop limit 255, dst ff02::2, no options (CLI-QUAL-2). 48 bytes. */
int sw_wire_build_rs(uint8_t *out, size_t cap, const uint8_t src[static 16]);

/*
 * Validity of a received RS as a server needs it (RFC 4861 §6.1.1): NH 58
 * directly, hop limit 255, code 0, ICMP length >= 8, checksum right,
 * every option length > 0.  -EBADMSG otherwise.
 */
int sw_wire_parse_rs(const struct sw_ip6_view *ip);

/* RA contents (SRV-RA-*, CLI-RA-*). */
struct sw_ra {
	uint8_t cur_hlim;
	uint8_t flags;		/* M/O byte */
	uint16_t lifetime;
	uint32_t reachable;
	uint32_t retrans;
	/* Prefix Information (type 3, length 4) */
	unsigned prefix_count;	/* on parse: how many PIOs were present */
	uint8_t prefix[16];	/* the first PIO */
	uint8_t prefix_len;
	uint8_t pio_flags;	/* L = 0x80, A = 0x40 */
	uint32_t valid;
	uint32_t preferred;
	/* MTU (type 5, length 1) */
	bool has_mtu;
	uint32_t mtu;
};

/*
 * Build an RA from src to dst with hop limit 255, ra->prefix_count copies
 * of the PIO (at most SW_RA_BUILD_MAX_PIO, else -EINVAL; more than one
 * only makes sense in tests of CLI-RA-1 item 4) and an MTU option when
 * ra->has_mtu (SRV-RA-2/7/8; the server's form is 40 + 16 + 32 + 8 = 96
 * bytes).
 */
#define SW_RA_BUILD_MAX_PIO 4
int sw_wire_build_ra(uint8_t *out, size_t cap, const uint8_t src[static 16],
    const uint8_t dst[static 16], const struct sw_ra *ra);

/*
 * Parse and validate an RA (RFC 4861 §6.1.2; CLI-RA-1 items 2 and 4's
 * count): NH 58 directly, source link-local, hop limit 255, code 0, ICMP
 * length >= 16, checksum right, every option length > 0 and inside the
 * message (unknown options skipped).  Fills ra (the first PIO and the
 * first MTU option; prefix_count counts all PIOs).  -EBADMSG/RA_INVALID.
 */
int sw_wire_parse_ra(const struct sw_ip6_view *ip, struct sw_ra *ra,
    enum sw_drop *why);

/* ---- RFC 6081 trailers (§1.10) --------------------------------------- */

#define SW_TRL_NONCE        0x01
#define SW_TRL_RANDOM_PORT  0x05	/* §4.5; 0x02 per §9 also accepted */
#define SW_TRL_RANDOM_PORT_IANA 0x02
#define SW_TRL_ALT_ADDR     0x03
#define SW_TRL_ND           0x04
#define SW_TRL_ALT_MAX      4	/* (26 - 2) / 6, COM-TRL-5 */
#define SW_ND_SOLICIT       0x00
#define SW_ND_ADVERT        0x01

struct sw_trailers {
	bool has_nonce;
	uint8_t nonce[4];
	bool has_random_port;
	uint16_t random_port;
	bool has_alt;
	bool alt_malformed;	/* D24: bad length, unicast or port rule */
	unsigned alt_count;
	struct sw_v4ep alt[SW_TRL_ALT_MAX];
	bool has_nd;
	uint8_t nd_type;
	bool stopped;		/* COM-TRL-3: parsing stopped at a malformed trailer */
	unsigned skipped;	/* unknown trailers skipped (COM-TRL-1) */
};

/*
 * Parse trailers in order (COM-TRL-1..7).  The first instance of each
 * known type counts; later duplicates are skipped.  A known type with a
 * wrong length stops parsing (COM-TRL-3), except Alternate Address, which
 * sets alt_malformed (the caller drops the bubble, D24).  An unknown type
 * whose two high bits are 01 gives -EBADMSG / TRAILER_MUST_DROP (D22).
 */
int sw_wire_parse_trailers(const uint8_t *p, size_t len, struct sw_trailers *t,
    enum sw_drop *why);

int sw_wire_build_trailer_nonce(uint8_t *out, size_t cap,
    const uint8_t nonce[static 4]);
int sw_wire_build_trailer_random_port(uint8_t *out, size_t cap, uint8_t type,
    uint16_t port);
int sw_wire_build_trailer_alt(uint8_t *out, size_t cap,
    const struct sw_v4ep *alt, unsigned n);	/* 1 <= n <= 4 */
int sw_wire_build_trailer_nd(uint8_t *out, size_t cap, uint8_t discovery_type);

#endif /* SW_WIRE_H */
