/*
 * edge.h - `shipworm edge`: the edge policy (shipworm-edge.d(5)) as the
 * administrator edits it, and what the daemon makes of it.
 *
 *	shipworm edge allow|deny|defer unit NAME|cgroup PATH|uid N
 *	shipworm edge remove unit NAME|cgroup PATH|uid N
 *	shipworm edge list
 *
 * allow/deny/defer/remove rewrite <dir>/50-shipworm-cli.conf (atomically:
 * a temporary file renamed over it), then ask the daemon to reload over
 * its edge socket.  list prints every rule of every policy file, then the
 * daemon's view (firewall, granted listeners and their ports).
 */
#ifndef SW_CLI_EDGE_H
#define SW_CLI_EDGE_H

#define EDGE_CLI_FILE	"50-shipworm-cli.conf"

struct edge_opts {
	const char *dir;		/* EdgePolicyDir */
	const char *edge_sock;		/* the daemon's edge socket */
	const char *ctl_sock;		/* its control socket */
};

/* argv: what follows "edge".  The exit status. */
int edge_main(const struct edge_opts *o, int argc, char **argv);

#endif /* SW_CLI_EDGE_H */
