/*
 * engine.h - the unprivileged half of shipwormd: one epoll loop driving
 * the pure core (sw_client_* or sw_server_*) with the descriptors the
 * parent opened for it.
 *
 * Every input (datagrams, timer, control requests) becomes calls into the
 * core, whose actions are carried out here: datagrams out of the UDP
 * sockets (batched), native IPv6 out of the raw socket (server), packets
 * into the tunnel (client), address changes as messages to the parent.
 * A server also reads the tunnel, where the kernel routes what the IPv6
 * side sends to its clients (2001:0:<primary>::/64): those packets go
 * to sw_server_input_ip6 in bursts.
 * Nothing is allocated per packet: the receive batch, the tunnel's
 * buffers, the action list and the status buffer are allocated once.
 */
#ifndef SW_DAEMON_ENGINE_H
#define SW_DAEMON_ENGINE_H

#include <sys/types.h>

#include "check.h"
#include "config.h"
#include "sw.h"

#define ENGINE_MAX_ATTACHED 16		/* IPv4 subnets of the host */
#define ENGINE_MAX_UDP	2		/* a server's two addresses */
#define ENGINE_MAX_OWN	8		/* = SW_RELAY_MAX_OWN */

/* What the parent hands over (the engine owns every fd). */
struct engine_setup {
	const char *ifname;
	pid_t parent;
	uid_t uid;			/* the unprivileged user */
	gid_t gid;
	int ipc;			/* socketpair end to the parent */
	int ctl;			/* control socket, listening */
	int udp[ENGINE_MAX_UDP];	/* client: [0] service, [1] local
					   discovery, 224.0.0.253:3544
					   (receive only, when n_udp == 2);
					   server: primary, secondary
					   (port 3544) */
	struct sw_v4ep local[ENGINE_MAX_UDP];	/* their local endpoints; client: the
					   address the host would use, when
					   bound to any (NAT type NONE) */
	unsigned n_udp;
	int tun;			/* the tunnel (both roles), or -1 */
	int raw6;			/* server: IPPROTO_RAW, else -1 */
	struct sw_v4_net attached[ENGINE_MAX_ATTACHED];	/* COM-V4G-1 */
	size_t n_attached;
	uint32_t own[ENGINE_MAX_OWN];	/* the host's own IPv4 addresses
					   (RFC 6324 loops), bind first */
	unsigned n_own;
};

/* Runs the engine; never returns (exit 0 on SIGTERM/SIGINT/SIGHUP or when
 * the parent is gone, fatal otherwise). */
void engine_main(struct config *cf, const struct engine_setup *es)
    __attribute__((noreturn));

#endif /* SW_DAEMON_ENGINE_H */
