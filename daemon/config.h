/*
 * config.h - shipwormd.conf(5) as the daemon uses it: the file read and
 * parsed (lib/conf), the server names resolved (CLI-CFG-4), the KeyFile
 * (client) or the ClientKey files (server) read, all in the privileged
 * parent before the engine starts.
 */
#ifndef SW_DAEMON_CONFIG_H
#define SW_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "client.h"
#include "conf.h"

#define CONFIG_DEFAULT_PATH	"/etc/shipwormd.conf"
#define CONFIG_FILE_MAX		(1 << 20)	/* bytes: far beyond any real file */
#define CONFIG_ERR_MAX		(SW_CONF_ERR_MAX + 512)

struct config {
	struct sw_conf conf;			/* the file, as parsed */
	const char *path;			/* the file's name, for messages */

	/* client: ServerAddress lines resolved, in the file's order */
	struct sw_client_server servers[SW_CONF_MAX_SERVERS];
	unsigned n_servers;

	/* client: the KeyFile's contents (secure qualification) */
	uint8_t key[SW_AUTH_KEY_MAX];
	size_t key_len;

	/* server: one keyed MAC per ClientKey, in the file's order
	 * (conf.client_keys[i] has the id); the raw key bytes are wiped
	 * as soon as the MAC is keyed */
	struct sw_auth *client_auth[SW_CONF_MAX_CLIENT_KEYS];
	unsigned n_client_auth;
};

/*
 * Read path, parse it, resolve the server names (AF_INET) and read the
 * KeyFile, or every ClientKey file of a server.  0, or -1 with one line
 * in err naming the file and the setting, e.g.
 * "/etc/shipwormd.conf:3: ServerAddress: ..." or
 * "/etc/shipwormd.conf: KeyFile: '/k' is accessible by group or others
 * ...".  On an error nothing is left to free.
 */
int config_load(struct config *cf, const char *path,
    char err[static CONFIG_ERR_MAX]);

/*
 * A sw_server_key_fn (ctx: the struct config): the MAC keyed for client
 * id, or NULL when no ClientKey has that id.
 */
struct sw_auth *config_client_key(void *ctx, const uint8_t *id,
    uint8_t id_len);

/* Forget the keys: the KeyFile's bytes (explicit_bzero) and the
 * ClientKey MACs (sw_auth_free wipes them).  Idempotent. */
void config_wipe(struct config *cf);

#endif /* SW_DAEMON_CONFIG_H */
