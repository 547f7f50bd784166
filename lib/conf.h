/*
 * conf.h - shipwormd.conf(5), parsed from a buffer, pure.
 *
 * The file is lines of "Setting value..." (settings are matched without
 * regard to case; '#' starts a comment; blank lines are ignored).  The
 * parser resolves nothing: host names are kept as text for the daemon to
 * resolve.  Every error is one line that names the setting (and the line
 * number), for the daemon to print before exiting non-zero.
 *
 * Shape (after WireGuard's config reader): sw_conf_init(), then
 * sw_conf_line() per line, then sw_conf_finish() for the checks that need
 * the whole file (a client without a server, ...).  sw_conf_parse() does
 * all three over a buffer.
 *
 * [guard] settings (the Teredo security model, HARD-1..8):
 *   AllowUnfirewalled yes|no    client, no: run without the edge firewall
 *   DormantAfter SECONDS        client, 3600 (0 = never): idle -> dormant
 *   EdgePolicyDir PATH          client, /etc/shipworm/edge.d (absolute)
 *   IntranetPrefix A.B.C.D/N    client or relay, repeatable (16): HARD-4
 *   Protocol41Interface IFNAME  client, repeatable (4): decapsulating
 *                               interfaces the edge firewall covers
 *   RsRateLimit PER_SEC BURST   server, 10 20: RSs per IPv4 source
 *                               (SRV-OP-5)
 *   RateLimitTableSize N        server, 4096: sources tracked
 * Repeatable ones refuse an exact duplicate; every other setting may be
 * given once.
 */
#ifndef SW_CONF_H
#define SW_CONF_H

#include "sw.h"
#include "check.h"

#define SW_CONF_MAX_SERVERS 4
#define SW_CONF_MAX_CLIENT_KEYS 64
#define SW_CONF_HOST_MAX    256	/* host name or address text, with NUL */
#define SW_CONF_IFNAME_MAX  16	/* IFNAMSIZ, with NUL */
#define SW_CONF_PATH_MAX    256
#define SW_CONF_ID_MAX      255
#define SW_CONF_ERR_MAX     256
#define SW_CONF_MAX_SERVED  16	/* ServedPrefix, = SW_RELAY_MAX_SERVED */
#define SW_CONF_MAX_INTRANET 16	/* IntranetPrefix */
#define SW_CONF_MAX_P41     4	/* Protocol41Interface */

enum sw_role {
	SW_ROLE_CLIENT,
	SW_ROLE_SERVER,
	SW_ROLE_RELAY,
};

struct sw_conf_server {
	char primary[SW_CONF_HOST_MAX];
	char secondary[SW_CONF_HOST_MAX];	/* "" = primary + 1 */
};

/* Server: one client's key for secure qualification (ClientKey). */
struct sw_conf_client_key {
	uint8_t id[SW_CONF_ID_MAX];		/* the ClientId, as bytes */
	uint8_t id_len;				/* 1..SW_CONF_ID_MAX */
	char key_file[SW_CONF_PATH_MAX];	/* absolute path */
};

struct sw_conf {
	enum sw_role role;			/* Role (client) */
	char ifname[SW_CONF_IFNAME_MAX];	/* InterfaceName (teredo) */
	uint32_t prefix;			/* Prefix (2001:0::/32) */
	uint32_t mtu;				/* MTU (1280) */
	enum sw_v4_policy v4_policy;		/* AddressPolicy (hardened) */

	/* client */
	struct sw_conf_server servers[SW_CONF_MAX_SERVERS]; /* ServerAddress */
	unsigned n_servers;
	uint32_t bind_addr;			/* BindAddress (0 = any) */
	uint16_t bind_port;			/* BindPort (0 = random) */
	uint32_t refresh;			/* RefreshInterval, seconds (30) */
	uint8_t client_id[SW_CONF_ID_MAX];	/* ClientId, hex */
	uint8_t client_id_len;
	char key_file[SW_CONF_PATH_MAX];	/* KeyFile ("" = none) */
	bool local_discovery;			/* LocalDiscovery (yes) */
	bool allow_unfirewalled;		/* AllowUnfirewalled (no) */
	uint32_t dormant_after;			/* DormantAfter, seconds (3600;
						   0 = never) */
	char edge_dir[SW_CONF_PATH_MAX];	/* EdgePolicyDir
						   (/etc/shipworm/edge.d) */
	char p41_ifnames[SW_CONF_MAX_P41][SW_CONF_IFNAME_MAX];
	unsigned n_p41;				/* Protocol41Interface */

	/* server */
	uint32_t server_primary;		/* ServerBindAddress */
	uint32_t server_secondary;		/* SecondaryBindAddress (primary+1) */
	bool require_auth;			/* RequireAuth (no) */
	struct sw_conf_client_key client_keys[SW_CONF_MAX_CLIENT_KEYS];
	unsigned n_client_keys;			/* ClientKey, in file order */
	uint32_t relay_max_payload;		/* RelayMaxPayload (88) */
	uint32_t rs_per_second;			/* RsRateLimit (10 20): SRV-OP-5 */
	uint32_t rs_burst;
	uint32_t rl_entries;			/* RateLimitTableSize (4096) */
	uint32_t rs_total_per_second;		/* RsRateLimitTotal (1000 2000) */
	uint32_t rs_total_burst;

	/* client and relay: HARD-6 bounds; 0 = the core's default */
	uint32_t peers;				/* PeerTableSize (1024) */
	uint32_t queue_peer_bytes;		/* QueuePeerBytes */
	uint32_t queue_total_bytes;		/* QueueTotalBytes (256 KiB) */
	/* client and relay: HARD-4 */
	struct sw_v4_net intranet[SW_CONF_MAX_INTRANET]; /* IntranetPrefix */
	unsigned n_intranet;
	/* client and relay: [harden]; 0 = the core's default */
	uint32_t peers_per_mapping;		/* PeersPerMapping (8) */
	uint32_t peers_per_address;		/* PeersPerAddress (64) */

	/* relay (BindAddress, BindPort too: port 3544 by default) */
	uint8_t relay_addr[16];			/* RelayAddress (required) */
	bool host_specific;			/* HostSpecific (no) */
	struct sw_ip6_net served[SW_CONF_MAX_SERVED]; /* ServedPrefix (::/0;
						   host-specific: the
						   RelayAddress/128) */
	unsigned n_served;
	uint32_t bubble_per_second;		/* BubbleRateLimit (50 20) */
	uint32_t bubble_burst;
	uint32_t bubble_total_per_second;	/* BubbleRateLimitTotal
						   (1000 200) */
	uint32_t bubble_total_burst;

	/* internal: which settings were given, for duplicate checks */
	uint64_t seen;
	unsigned lineno;
};

/* Defaults for every setting. */
void sw_conf_init(struct sw_conf *c);

/*
 * One line (without its newline; len bytes, no NUL needed).  0, or
 * -EINVAL with a one-line message in err, e.g.
 *   "line 3: ServerAddress: 'x..y' is not a host name or IPv4 address"
 *   "line 7: unknown setting 'Serveraddres'"
 */
int sw_conf_line(struct sw_conf *c, const char *line, size_t len,
    char err[static SW_CONF_ERR_MAX]);

/* Whole-file checks (required settings, role-specific ones). */
int sw_conf_finish(struct sw_conf *c, char err[static SW_CONF_ERR_MAX]);

/* init + every line + finish. */
int sw_conf_parse(struct sw_conf *c, const char *buf, size_t len,
    char err[static SW_CONF_ERR_MAX]);

const char *sw_role_name(enum sw_role r);

/* A word of a line, as sw_conf_split() finds it (not NUL-terminated). */
struct sw_conf_tok {
	const char *p;
	size_t len;
};

/*
 * Split a line (len bytes) into blank-separated words after dropping a
 * '#' comment and trailing blanks and CRs (also lib/edgepol).  Fills at
 * most max words; the number filled (0: blank or comment).
 */
size_t sw_conf_split(const char *line, size_t len, struct sw_conf_tok *t,
    size_t max);

/* A word equals word, ASCII case ignored (also lib/edgepol). */
bool sw_conf_tok_eq(const struct sw_conf_tok *t, const char *word);

/*
 * 'value' for a one-line error message (also lib/edgepol): anything but
 * printable ASCII escaped as \xNN (the quote and the backslash with a
 * backslash), cut after SW_CONF_QUOTE_SHOW characters with "...".
 */
#define SW_CONF_QUOTE_SHOW 48
#define SW_CONF_QUOTE_BUF  (SW_CONF_QUOTE_SHOW + 8)
const char *sw_conf_quote(char q[static SW_CONF_QUOTE_BUF], const char *p,
    size_t len);

#endif /* SW_CONF_H */
