/*
 * auth.h - the Teredo authentication value (RFC 4380 §5.2.2, CLI-SQ-*).
 *
 * MAC = HMAC-SHA1(key, nonce(8) || confirmation(1) || origin(8, if
 * present) || IPv6 packet)   (CLI-SQ-4; the client id is not covered)
 *
 * The HMAC comes from OpenSSL libcrypto's EVP_MAC interface.  The context
 * is allocated and keyed once by sw_auth_new(); computing and verifying
 * call no allocator of ours.  (libcrypto 3.0 itself duplicates the SHA-1
 * state while re-initialising an HMAC: two short-lived allocations per
 * MAC, freed before it returns; test_auth measures it.  MACs are computed
 * for RS/RA only, never for data packets.)  The core never draws random
 * bytes here: nonces are arguments.
 */
#ifndef SW_AUTH_H
#define SW_AUTH_H

#include "sw.h"
#include "wire.h"

#define SW_AUTH_HMAC_LEN 20	/* full HMAC-SHA1 output, CLI-SQ-4 */
#define SW_AUTH_KEY_MAX  64

struct sw_auth;

/* Key the MAC (1..SW_AUTH_KEY_MAX bytes). 0, -EINVAL or -ENOMEM. */
int sw_auth_new(struct sw_auth **out, const uint8_t *key, size_t key_len);
/* Frees and wipes the key; NULL is allowed. */
void sw_auth_free(struct sw_auth *a);

/* MAC over nonce, conf, origin (8 bytes, or NULL when absent) and the
 * IPv6 packet.  0 or -EIO (libcrypto failure). */
int sw_auth_compute(struct sw_auth *a, const uint8_t nonce[static SW_NONCE_LEN],
    uint8_t conf, const uint8_t *origin, const uint8_t *ip6, size_t ip6_len,
    uint8_t mac[static SW_AUTH_HMAC_LEN]);

/* True when v carries an auth header with au_len == 20 whose value equals
 * the MAC recomputed over v's nonce, conf, origin and IPv6 packet
 * (CLI-SQ-3); compared in constant time. */
bool sw_auth_verify(struct sw_auth *a, const struct sw_teredo_view *v);

/* Constant-time equality of n bytes (CRYPTO_memcmp); HARD-5. */
bool sw_auth_equal(const void *x, const void *y, size_t n);

#endif /* SW_AUTH_H */
