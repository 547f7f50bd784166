/*
 * os.h - the small system services the core is kept away from: the
 * monotonic clock and getrandom(2) behind struct sw_rng.
 */
#ifndef SW_SYS_OS_H
#define SW_SYS_OS_H

#include "sw.h"

/* CLOCK_MONOTONIC in microseconds. */
sw_time sys_now(void);

/* A struct sw_rng reading getrandom(2) (blocking only until the kernel's
 * pool is initialised, once at boot).  Aborts (fatal) on failure: without
 * randomness there are no safe nonces (COM-FLAG-4, SEC-1). */
struct sw_rng sys_rng(void);

/* Fill buf from getrandom(2); 0 or -errno. */
int sys_random(void *buf, size_t len);

#endif /* SW_SYS_OS_H */
