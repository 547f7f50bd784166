/*
 * hash.h - keyed hash for the core's tables.
 *
 * SipHash-2-4 (Aumasson & Bernstein) with a 128-bit secret key drawn at
 * init, so that an attacker who picks peer addresses cannot pick hash
 * collisions (HARD-6).  libcrypto has SipHash behind EVP_MAC, but a
 * context set-up per lookup would cost more than the lookup itself; the
 * function is small and tested against the reference vectors.
 */
#ifndef SW_HASH_H
#define SW_HASH_H

#include "sw.h"

uint64_t sw_siphash(const uint8_t key[static 16], const void *data, size_t len);

#endif /* SW_HASH_H */
