/*
 * sandbox.h - least privilege for the two processes (architecture.md,
 * property 4).
 *
 * The engine, which parses untrusted packets, becomes an unprivileged
 * user with no capabilities (bounding and ambient sets emptied too), no
 * supplementary groups, no_new_privs and not dumpable, and checks that it
 * can no longer act as root.  The parent keeps uid 0 but only the
 * capabilities it still needs after start-up: CAP_NET_ADMIN (addresses
 * and routes over rtnetlink) and CAP_KILL (to stop the engine, another
 * uid); a server's parent only CAP_KILL.
 *
 * Both fatal() on any failure: a half-dropped sandbox must not run.
 */
#ifndef SW_DAEMON_SANDBOX_H
#define SW_DAEMON_SANDBOX_H

#include <sys/types.h>

#include <stdbool.h>

/* The engine's user, "_shipworm": 0, or -1 and one line in why when it
 * does not exist, is root, has nobody's uid or gid (65534), or shares its
 * uid with another passwd entry (issue 10 item 17; shipwormd(8)). */
int sandbox_user(uid_t *uid, gid_t *gid, const char **name, char *why,
    size_t n);

/* In the engine, after every fd it needs is open. */
void sandbox_engine(uid_t uid, gid_t gid);

/* In the parent, once the engine runs; net_admin: keep CAP_NET_ADMIN
 * (the parent configures the tunnel: a client's address and routes, a
 * server's route, and removes them on the way out).  CAP_KILL is kept
 * either way. */
void sandbox_parent(bool net_admin);

#endif /* SW_DAEMON_SANDBOX_H */
