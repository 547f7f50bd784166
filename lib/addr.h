/*
 * addr.h - Teredo IPv6 addresses (RFC 4380 §4, RFC 5991 §3.1).
 *
 *  bits 0..31 prefix | 32..63 server IPv4 | 64..79 flags | 80..95 ~port |
 *  96..127 ~mapped IPv4                              (COM-ADDR-1..5)
 *
 * Flags (COM-FLAG-*): C = 0x8000 (cone), reserved bit 1 = 0x4000 (always 0
 * on send), U = 0x0200, G = 0x0100 (0), random bits 0x3CFF (RFC 5991).
 * Flag bits other than C are never interpreted on receipt (COM-FLAG-2).
 */
#ifndef SW_ADDR_H
#define SW_ADDR_H

#include "sw.h"

#define SW_TEREDO_PREFIX      0x20010000u  /* 2001:0::/32, COM-ADDR-1 */
#define SW_TEREDO_PORT        3544         /* COM-PORT-1 */
#define SW_DISCOVERY_V4       SW_IP4(224, 0, 0, 253) /* COM-PORT-2 */

#define SW_FLAG_CONE          0x8000u
#define SW_FLAG_RESERVED      0x4000u
#define SW_FLAG_U             0x0200u
#define SW_FLAG_G             0x0100u
#define SW_FLAG_RANDOM_MASK   0x3CFFu      /* RFC 5991 §3.1 */

/* The decoded fields of a Teredo address, in host byte order, clear
 * (un-obfuscated) values. */
struct sw_teredo {
	uint32_t prefix;	/* bits 0..31, normally SW_TEREDO_PREFIX */
	uint32_t server;	/* server IPv4 (COM-ADDR-2) */
	uint16_t flags;		/* as carried, no bit cleared */
	struct sw_v4ep mapped;	/* mapped IPv4 and UDP port (COM-ADDR-3) */
};

/* Build a Teredo address; obfuscates port and IPv4 (COM-ADDR-3). */
void sw_addr_encode(uint8_t out[static 16], const struct sw_teredo *t);

/* Decode any 16 bytes into Teredo fields (no validation: callers check
 * sw_addr_is_teredo first). */
void sw_addr_decode(const uint8_t a[static 16], struct sw_teredo *t);

/* True when the first 32 bits equal prefix (COM-ADDR-5). */
bool sw_addr_is_teredo(const uint8_t a[static 16], uint32_t prefix);

/* True when the cone bit is set (only servers act on it: COM-FLAG-6). */
bool sw_addr_is_cone(const uint8_t a[static 16]);

/*
 * Flags for a new client address (COM-FLAG-3..5, CLI-ADDR-2): C as given,
 * reserved bit 1, U and G zero, the twelve bits of SW_FLAG_RANDOM_MASK drawn
 * from rng.  Callers keep the result while the mapping is unchanged.
 */
uint16_t sw_addr_random_flags(bool cone, const struct sw_rng *rng);

/*
 * Link-local addresses in Teredo-identifier form (§1.3):
 *  - sw_addr_client_ll: the RS source (COM-LL-1): fe80::ffff:ffff:ffff with
 *    C = 0, fe80::8000:ffff:ffff:fffe-style cone probe when cone is true
 *    (C = 1, RFC 4380 only);
 *  - sw_addr_server_ll: the RA source (COM-LL-2),
 *    fe80::8000:f227:<~server IPv4> (0xF227 = ~3544).
 */
void sw_addr_client_ll(uint8_t out[static 16], bool cone);
void sw_addr_server_ll(uint8_t out[static 16], uint32_t server);

/* True for fe80::/10. */
bool sw_addr_is_link_local(const uint8_t a[static 16]);

/* Origin indication obfuscation (RFC 4380 §5.1.1): value XOR all-ones. */
static inline uint16_t sw_addr_obf16(uint16_t v) { return (uint16_t)~v; }
static inline uint32_t sw_addr_obf32(uint32_t v) { return ~v; }

/*
 * Text helpers for tests, logs and status (not on the packet path).
 * sw_addr_format6 writes RFC 5952 text; buf must hold 46 bytes.
 * sw_addr_parse6 / sw_addr_parse4 return 0 or -EINVAL.
 * sw_addr_format4 writes dotted quad; buf must hold 16 bytes.
 */
char *sw_addr_format6(const uint8_t a[static 16], char buf[static 46]);
char *sw_addr_format4(uint32_t a, char buf[static 16]);
int sw_addr_parse6(const char *s, uint8_t out[static 16]);
int sw_addr_parse4(const char *s, uint32_t *out);

#endif /* SW_ADDR_H */
