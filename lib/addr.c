/*
 * addr.c - Teredo IPv6 addresses: encode, decode, flags and the special
 * link-local forms (RFC 4380 §4, §5.2.1, §5.3.2; RFC 5991 §3.1).
 *
 * Layout (COM-ADDR-1..5): prefix(4) server(4) flags(2) ~port(2) ~IPv4(4).
 * Fields are host order in struct sw_teredo, clear (un-obfuscated).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

void
sw_addr_encode(uint8_t out[static 16], const struct sw_teredo *t)
{
	sw_put32(out, t->prefix);
	sw_put32(out + 4, t->server);			/* COM-ADDR-2 */
	sw_put16(out + 8, t->flags);
	sw_put16(out + 10, sw_addr_obf16(t->mapped.port));	/* COM-ADDR-3 */
	sw_put32(out + 12, sw_addr_obf32(t->mapped.addr));
}

void
sw_addr_decode(const uint8_t a[static 16], struct sw_teredo *t)
{
	t->prefix = sw_get32(a);
	t->server = sw_get32(a + 4);
	t->flags = sw_get16(a + 8);			/* as carried: COM-FLAG-2 */
	t->mapped.port = sw_addr_obf16(sw_get16(a + 10));
	t->mapped.addr = sw_addr_obf32(sw_get32(a + 12));
}

bool
sw_addr_is_teredo(const uint8_t a[static 16], uint32_t prefix)
{
	return sw_get32(a) == prefix;			/* COM-ADDR-5 */
}

bool
sw_addr_is_cone(const uint8_t a[static 16])
{
	return (sw_get16(a + 8) & SW_FLAG_CONE) != 0;
}

/*
 * RFC 5991 §3.1 (COM-FLAG-3): Random1 and Random2 from rng, bit 1 zero,
 * U and G zero (COM-FLAG-1).  The rng must be a CSPRNG in the daemon
 * (COM-FLAG-4).
 */
uint16_t
sw_addr_random_flags(bool cone, const struct sw_rng *rng)
{
	uint8_t r[2];

	sw_rng_fill(rng, r, sizeof r);
	return (uint16_t)((sw_get16(r) & SW_FLAG_RANDOM_MASK) |
	    (cone ? SW_FLAG_CONE : 0));
}

static void
ll_prefix(uint8_t out[static 16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
}

/* COM-LL-1: fe80::ffff:ffff:ffff (C = 0), or the cone probe
 * fe80::8000:ffff:ffff:fffe (C = 1, RFC 4380 only). */
void
sw_addr_client_ll(uint8_t out[static 16], bool cone)
{
	ll_prefix(out);
	if (cone) {
		sw_put16(out + 8, SW_FLAG_CONE);
		sw_put16(out + 10, 0xffff);
		sw_put32(out + 12, 0xfffffffe);
	} else {
		sw_put16(out + 10, 0xffff);
		sw_put32(out + 12, 0xffffffff);
	}
}

/* COM-LL-2 (4380 §5.3.2): C = 1, ~3544, ~server IPv4. */
void
sw_addr_server_ll(uint8_t out[static 16], uint32_t server)
{
	ll_prefix(out);
	sw_put16(out + 8, SW_FLAG_CONE);
	sw_put16(out + 10, sw_addr_obf16(SW_TEREDO_PORT));
	sw_put32(out + 12, sw_addr_obf32(server));
}

bool
sw_addr_is_link_local(const uint8_t a[static 16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;	/* fe80::/10 */
}

/* Text helpers: inet_ntop(3) and inet_pton(3) are pure libc. */
char *
sw_addr_format6(const uint8_t a[static 16], char buf[static 46])
{
	if (inet_ntop(AF_INET6, a, buf, 46) == NULL)
		buf[0] = '\0';
	return buf;
}

char *
sw_addr_format4(uint32_t a, char buf[static 16])
{
	uint8_t b[4];

	sw_put32(b, a);
	if (inet_ntop(AF_INET, b, buf, 16) == NULL)
		buf[0] = '\0';
	return buf;
}

int
sw_addr_parse6(const char *s, uint8_t out[static 16])
{
	uint8_t tmp[16];

	if (s == NULL || inet_pton(AF_INET6, s, tmp) != 1)
		return -EINVAL;
	memcpy(out, tmp, sizeof tmp);
	return 0;
}

int
sw_addr_parse4(const char *s, uint32_t *out)
{
	uint8_t tmp[4];

	if (s == NULL || out == NULL || inet_pton(AF_INET, s, tmp) != 1)
		return -EINVAL;
	*out = sw_get32(tmp);
	return 0;
}
