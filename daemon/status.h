/*
 * status.h - the engine's answer to "status": stable key=value lines
 * (documented in shipworm(8)), drop counters as drop.<reason>=N for
 * every reason counted at least once (sw_drop_name).
 */
#ifndef SW_DAEMON_STATUS_H
#define SW_DAEMON_STATUS_H

#include <stddef.h>
#include <sys/types.h>

#include "sw.h"
#include "drop.h"

struct ipc_fw;
struct ipc_edge;
struct sw_client;
struct sw_server;
struct sw_relay;

/* What the engine counts besides the core's drops. */
struct engine_counters {
	uint64_t udp_rx;		/* datagrams received */
	uint64_t udp_rx_gro;		/* buffers of several (UDP_GRO) */
	uint64_t udp_tx;		/* datagrams sent */
	uint64_t udp_tx_errors;		/* refused by the kernel */
	uint64_t ip6_tx;		/* server: native IPv6 packets sent */
	uint64_t ip6_tx_errors;
	uint64_t ip6_rx;		/* server: IPv6 packets read from the
					   tunnel (for our clients) */
	uint64_t tun_rx_errors;		/* reads from the tunnel that failed */
	uint64_t tun_tx;		/* client, relay: packets written to
					   the tunnel */
	uint64_t tun_tx_errors;
	uint64_t tun_rx;		/* client, relay: packets the host sent
					   into the tunnel (to sw_client_send,
					   sw_relay_send) */
};

struct status_info {
	const char *ifname;
	pid_t pid;			/* the daemon's (the parent's) */
	sw_time now, started;
	uint32_t prefix;
	const struct sw_drop_counters *drops;
	const struct engine_counters *cnt;
	/* client */
	const struct sw_client *client;
	struct sw_v4ep local;		/* the service socket */
	unsigned n_servers;
	const struct ipc_fw *fw;	/* the firewall, as the parent said */
	const struct ipc_edge *edge;	/* granted listeners, ditto */
	sw_time dormant_after;		/* DormantAfter (0: never) */
	/* server */
	const struct sw_server *server;
	uint32_t primary, secondary;
	uint32_t mtu;
	bool require_auth;
	size_t relay_max_payload;
	/* relay (local: its socket) */
	const struct sw_relay *relay;
	const uint8_t *relay_addr;
	bool host_specific;
	const struct sw_ip6_net *served;	/* ServedPrefix */
	unsigned n_served;
};

/* Write the answer into buf (NUL-terminated); its length.  A buffer too
 * small ends with a line "truncated=1". */
size_t status_format(const struct status_info *si, char *buf, size_t size);

#endif /* SW_DAEMON_STATUS_H */
