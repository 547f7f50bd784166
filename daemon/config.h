/*
 * config.h - shipwormd.conf(5) as the daemon uses it: the file read and
 * parsed (lib/conf), the server names resolved (CLI-CFG-4) and the
 * KeyFile read, all in the privileged parent before the engine starts.
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
};

/*
 * Read path, parse it, resolve the server names (AF_INET) and read the
 * KeyFile.  0, or -1 with one line in err naming the file and the
 * setting, e.g. "/etc/shipwormd.conf:3: ServerAddress: ..." or
 * "/etc/shipwormd.conf: KeyFile: '/k' is readable by group or others".
 */
int config_load(struct config *cf, const char *path,
    char err[static CONFIG_ERR_MAX]);

/* Forget the key (explicit_bzero). */
void config_wipe(struct config *cf);

#endif /* SW_DAEMON_CONFIG_H */
