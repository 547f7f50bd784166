/*
 * os.h - the small system services the core is kept away from: the
 * monotonic clock and getrandom(2) behind struct sw_rng.
 */
#ifndef SW_SYS_OS_H
#define SW_SYS_OS_H

#include <sys/stat.h>
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

/*
 * May the file of st hold settings or secrets?  0 when it is owned by
 * root (or by us) and has none of the mode bits in deny (S_IWGRP |
 * S_IWOTH: no one else may write it; S_IRWXG | S_IRWXO: nor read it).
 * Else -EACCES (a mode bit) or -EPERM (the owner), and a phrase in why
 * to follow the file's name: "is writable by group or others (mode
 * 0664)", "is owned by uid 1000, not by root".
 */
int sys_file_trusted(const struct stat *st, mode_t deny, char *why,
    size_t n);

/* sys_read_small of a file that sys_file_trusted(deny) accepts, judged
 * by the descriptor that is read; -EACCES or -EPERM with why set. */
ssize_t sys_read_trusted(const char *path, int oflags, mode_t deny,
    char *buf, size_t size, char *why, size_t n);

/* The descriptors of the SCM_RIGHTS messages in mh, which recvmsg(2)
 * filled and answered n: the first max go to fds, the others are closed;
 * how many came (stored or closed).  None when n < 0: then mh's control
 * length and buffer are still the caller's, not what the kernel wrote. */
struct msghdr;
size_t sys_cmsg_rights(const struct msghdr *mh, ssize_t n, int *fds,
    size_t max);

#endif /* SW_SYS_OS_H */
