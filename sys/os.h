/*
 * os.h - the small system services the core is kept away from: the
 * monotonic clock and getrandom(2) behind struct sw_rng.
 */
#ifndef SW_SYS_OS_H
#define SW_SYS_OS_H

#include <sys/types.h>

#include "sw.h"

/* CLOCK_MONOTONIC in microseconds. */
sw_time sys_now(void);

/* A struct sw_rng reading getrandom(2) (blocking only until the kernel's
 * pool is initialised, once at boot).  Aborts (fatal) on failure: without
 * randomness there are no safe nonces (COM-FLAG-4, SEC-1). */
struct sw_rng sys_rng(void);

/* Fill buf from getrandom(2); 0 or -errno. */
int sys_random(void *buf, size_t len);

/*
 * A small regular file into buf, NUL-terminated, opened with oflags
 * besides O_RDONLY | O_CLOEXEC | O_NOCTTY (O_NOFOLLOW: a symbolic link is
 * refused): its length, or -errno (ENOENT: none; EINVAL: not a regular
 * file; EFBIG: size - 1 bytes or more).
 */
ssize_t sys_read_small(const char *path, int oflags, char *buf, size_t size);

#endif /* SW_SYS_OS_H */
