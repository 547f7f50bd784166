/*
 * udp.h - the Teredo UDP sockets, batched.
 *
 * Sockets are non-blocking, IPv4, bound to an explicit address and port
 * (HARD-8: never SO_BROADCAST), with DF off (IP_PMTUDISC_DONT, COM-MTU-2),
 * outer TOS/ECN 0 (COM-ECN-1/2) and large buffers for bursts.  Receiving
 * and sending use recvmmsg(2)/sendmmsg(2); a batch's buffers belong to the
 * caller.
 */
#ifndef SW_SYS_UDP_H
#define SW_SYS_UDP_H

#include <stddef.h>

#include "sw.h"
#include "action.h"

#define SYS_UDP_BATCH   32
#define SYS_UDP_BUFSIZE 65536	/* > any UDP payload (65507) */
#define SYS_UDP_SOCKBUF (4 << 20)

/* Open and bind local (host order; addr 0 = any, port 0 = kernel's
 * choice).  Returns the fd or -errno.  *bound gets the bound address. */
int sys_udp_open(const struct sw_v4ep *local, struct sw_v4ep *bound);

/* Local discovery (DISC-1): the service socket's multicast output (TTL 1,
 * no loopback, out of the interface of ifaddr unless 0, no multicast in);
 * the receive-only socket bound to group:port and joined on every IPv4
 * multicast interface (fd, -ENODEV when none, or -errno). */
int sys_udp_multicast_out(int fd, uint32_t ifaddr);
int sys_udp_open_group(uint32_t group, uint16_t port);

/*
 * UDP receive offload (UDP_GRO, Linux 5.0): the kernel may hand over a
 * run of datagrams from one source as one buffer of len bytes, cut every
 * seg bytes (the last piece may be shorter).  Returns 0 or -errno (then
 * datagrams simply come one by one).
 */
int sys_udp_gro(int fd);

/* A receive batch: n buffers, each with its source and length; with
 * UDP_GRO a buffer may hold several datagrams of seg bytes (0: one). */
struct sys_udp_batch {
	unsigned n;
	struct sw_v4ep from[SYS_UDP_BATCH];
	size_t len[SYS_UDP_BATCH];
	size_t seg[SYS_UDP_BATCH];
	uint8_t (*buf)[SYS_UDP_BUFSIZE];	/* SYS_UDP_BATCH buffers */
};

/* Allocate / free a batch's buffers (2 MiB; once, at start-up). */
int sys_udp_batch_init(struct sys_udp_batch *b);
void sys_udp_batch_free(struct sys_udp_batch *b);

/* Receive up to SYS_UDP_BATCH datagrams without blocking: the count (0
 * when none are waiting), or -errno. */
int sys_udp_recv(int fd, struct sys_udp_batch *b);

/*
 * Send every SW_ACT_SEND_UDP action of acts whose sock == sock out of fd,
 * in one sendmmsg(2) where possible (scatter-gather over seg[0], seg[1]);
 * consecutive datagrams to one endpoint, of one size but the last, go as
 * one UDP_SEGMENT message (the kernel cuts them up as late as it can).
 * Returns how many were sent, or -errno; datagrams the kernel refuses
 * (e.g. EPERM from a firewall) are skipped and counted in *errors.
 */
int sys_udp_send_actions(int fd, enum sw_sock sock,
    const struct sw_actions *acts, unsigned *errors);

#endif /* SW_SYS_UDP_H */
