/*
 * tun.h - the Teredo tunnel interface (TUN, IFF_NO_PI: raw IPv6 packets).
 * Not persistent: the interface disappears when the last fd closes, so a
 * daemon that dies leaves nothing behind.
 */
#ifndef SW_SYS_TUN_H
#define SW_SYS_TUN_H

/* Create (or attach to) TUN interface name (< 16 bytes).  Returns the fd
 * (non-blocking) or -errno; *ifindex gets the interface index. */
int sys_tun_open(const char *name, int *ifindex);

/*
 * The tunnel is no link to learn routes from (issue 10 item 12): writes
 * 0 to net.ipv6.conf.<name>.accept_ra, accept_redirects and autoconf (of
 * the caller's network namespace).  0, or -errno with *what naming the
 * setting that failed.
 */
int sys_tun_no_ra(const char *name, const char **what);

#endif /* SW_SYS_TUN_H */
