/*
 * auth.c - the Teredo authentication value (RFC 4380 §5.2.2, CLI-SQ-3/4):
 * HMAC-SHA1(key, nonce(8) || conf(1) || origin(8, if present) || IPv6)
 * through OpenSSL 3's EVP_MAC.
 *
 * sw_auth_new() fetches HMAC and keys the context once; every compute
 * re-initialises it with a NULL key, which makes the provider reuse the
 * key already set, so compute and verify call no allocator themselves.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "auth.h"

struct sw_auth {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
};

/*
 * No copy of the key is kept here: EVP_MAC_init() copies it into the
 * provider context, which clears it when the context is freed.
 */
int
sw_auth_new(struct sw_auth **out, const uint8_t *key, size_t key_len)
{
	struct sw_auth *a;
	OSSL_PARAM params[2];
	char digest[] = "SHA1";

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (key == NULL || key_len == 0 || key_len > SW_AUTH_KEY_MAX)
		return -EINVAL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return -ENOMEM;
	if ((a->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (a->ctx = EVP_MAC_CTX_new(a->mac)) == NULL)
		goto err;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(a->ctx, key, key_len, params) != 1 ||
	    EVP_MAC_CTX_get_mac_size(a->ctx) != SW_AUTH_HMAC_LEN)
		goto err;
	*out = a;
	return 0;
 err:
	/* libcrypto failures in set-up are reported as -ENOMEM (auth.h) */
	sw_auth_free(a);
	return -ENOMEM;
}

void
sw_auth_free(struct sw_auth *a)
{
	if (a == NULL)
		return;
	EVP_MAC_CTX_free(a->ctx);	/* clears the key and HMAC pads */
	EVP_MAC_free(a->mac);
	OPENSSL_cleanse(a, sizeof *a);
	free(a);
}

/* CLI-SQ-4: the client identifier is not covered. */
int
sw_auth_compute(struct sw_auth *a, const uint8_t nonce[static SW_NONCE_LEN],
    uint8_t conf, const uint8_t *origin, const uint8_t *ip6, size_t ip6_len,
    uint8_t mac[static SW_AUTH_HMAC_LEN])
{
	size_t outl = 0;

	if (a == NULL || (ip6 == NULL && ip6_len != 0))
		return -EINVAL;
	/* NULL key: start over with the key given to sw_auth_new() */
	if (EVP_MAC_init(a->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(a->ctx, nonce, SW_NONCE_LEN) != 1 ||
	    EVP_MAC_update(a->ctx, &conf, 1) != 1)
		return -EIO;
	if (origin != NULL &&
	    EVP_MAC_update(a->ctx, origin, SW_ORIGIN_LEN) != 1)
		return -EIO;
	if (ip6_len != 0 && EVP_MAC_update(a->ctx, ip6, ip6_len) != 1)
		return -EIO;
	if (EVP_MAC_final(a->ctx, mac, &outl, SW_AUTH_HMAC_LEN) != 1 ||
	    outl != SW_AUTH_HMAC_LEN)
		return -EIO;
	return 0;
}

/* CLI-SQ-3: recompute on receipt, discard on mismatch (full length,
 * constant time: HARD-5). */
bool
sw_auth_verify(struct sw_auth *a, const struct sw_teredo_view *v)
{
	uint8_t mac[SW_AUTH_HMAC_LEN];
	const uint8_t *origin = NULL;
	bool ok;

	if (a == NULL || v == NULL || !v->has_auth ||
	    v->auth.au_len != SW_AUTH_HMAC_LEN || v->auth.au == NULL ||
	    v->auth.nonce == NULL || v->ip6 == NULL)
		return false;
	if (v->has_origin) {
		if (v->origin_raw == NULL)
			return false;
		origin = v->origin_raw;
	}
	if (sw_auth_compute(a, v->auth.nonce, v->auth.conf, origin, v->ip6,
	    v->ip6_len, mac) != 0)
		return false;
	ok = sw_auth_equal(mac, v->auth.au, SW_AUTH_HMAC_LEN);
	OPENSSL_cleanse(mac, sizeof mac);
	return ok;
}

bool
sw_auth_equal(const void *x, const void *y, size_t n)
{
	return CRYPTO_memcmp(x, y, n) == 0;
}
