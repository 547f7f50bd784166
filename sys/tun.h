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

#endif /* SW_SYS_TUN_H */
