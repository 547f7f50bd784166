/*
 * sandbox.c - privilege dropping (see sandbox.h).
 *
 * Capabilities are handled with the raw capget(2)/capset(2) system calls
 * (version 3, two 32-bit words) so that the daemon needs no libcap.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "weaken.h"

#define ENGINE_USER		"_shipworm"
#define ENGINE_USER_FALLBACK	"nobody"	/* weak test build only */
#define SANDBOX_OVERFLOW_ID	65534	/* nobody, nogroup: the kernel's
					   overflow uid and gid */

static int
cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	memset(d, 0, 2 * sizeof d[0]);
	return (int)syscall(SYS_capget, &h, d);
}

static int
cap_set(const struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	return (int)syscall(SYS_capset, &h, d);
}

static bool
cap_keep(unsigned cap, const unsigned *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] == cap)
			return true;
	return false;
}

/* Empty the bounding set but for keep[] (needs CAP_SETPCAP, so before
 * setresuid); clear the ambient set. */
static void
cap_bound(const unsigned *keep, size_t n_keep)
{
	for (unsigned cap = 0; cap < 64; cap++) {
		if (cap_keep(cap, keep, n_keep))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)	/* past CAP_LAST_CAP */
				break;
			fatal("prctl(PR_CAPBSET_DROP, %u)", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		fatal("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
}

/*
 * Issue 10 item 17: whoever shares the engine's uid may signal it
 * (SIGSTOP, SIGKILL: Teredo is down).  So the engine's user must be its
 * own: not root, not nobody (the kernel's overflow uid, which unmapped
 * files and many services share), and no other passwd entry with its uid.
 * Other shipwormd engines on the host do share it, by design: they run
 * the same code with the same (no) privileges.  Processes are not looked
 * at: at start those would be exactly these other engines.
 */
int
sandbox_user(uid_t *uid, gid_t *gid, const char **name, char *why,
    size_t n)
{
	const struct passwd *pw;
	const char *other = NULL;
	uid_t u;
	gid_t g;

	why[0] = '\0';
	if (!SW_DEFENCE(ENGINE_USER)) {
		/* the weak test build: as before, nobody will do */
		*name = ENGINE_USER;
		if ((pw = getpwnam(ENGINE_USER)) == NULL || pw->pw_uid == 0) {
			*name = ENGINE_USER_FALLBACK;
			pw = getpwnam(ENGINE_USER_FALLBACK);
		}
		if (pw == NULL || pw->pw_uid == 0 || pw->pw_gid == 0) {
			(void)snprintf(why, n, "no user %s for the engine",
			    ENGINE_USER);
			return -1;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	if ((pw = getpwnam(ENGINE_USER)) == NULL) {
		(void)snprintf(why, n, "no user %s for the engine (make "
		    "install creates it: adduser --system --group "
		    "--no-create-home --home /nonexistent %s)", ENGINE_USER,
		    ENGINE_USER);
		return -1;
	}
	u = pw->pw_uid;
	g = pw->pw_gid;
	if (u == 0 || g == 0) {
		(void)snprintf(why, n, "user %s has uid %u gid %u: the engine "
		    "must not run as root", ENGINE_USER, (unsigned)u,
		    (unsigned)g);
		return -1;
	}
	if (u == SANDBOX_OVERFLOW_ID || g == SANDBOX_OVERFLOW_ID) {
		(void)snprintf(why, n, "user %s has uid %u gid %u, nobody's: "
		    "give it a uid and group of its own", ENGINE_USER,
		    (unsigned)u, (unsigned)g);
		return -1;
	}
	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid == u && strcmp(pw->pw_name, ENGINE_USER) != 0) {
			other = pw->pw_name;
			break;
		}
	if (other != NULL)
		(void)snprintf(why, n, "user %s shares uid %u with user '%s': "
		    "give it a uid of its own", ENGINE_USER, (unsigned)u,
		    other);
	endpwent();
	if (other != NULL)
		return -1;
	*uid = u;
	*gid = g;
	*name = ENGINE_USER;
	return 0;
}

void
sandbox_engine(uid_t uid, gid_t gid)
{
	struct __user_cap_data_struct d[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	cap_bound(NULL, 0);
	if (setgroups(0, NULL) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid(%u)", (unsigned)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid(%u)", (unsigned)uid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");

	/* Check, rather than trust, that nothing privileged is left. */
	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid ||
	    su != uid)
		fatalx("sandbox: uids not dropped");
	if (getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid ||
	    sg != gid)
		fatalx("sandbox: gids not dropped");
	if (getgroups(0, NULL) != 0)
		fatalx("sandbox: supplementary groups left");
	if (cap_get(d) == -1)
		fatal("capget");
	if ((d[0].effective | d[0].permitted | d[0].inheritable |
	    d[1].effective | d[1].permitted | d[1].inheritable) != 0)
		fatalx("sandbox: capabilities left");
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("sandbox: could become root again");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("sandbox: no_new_privs not set");
	log_debug("sandbox: uid %u gid %u, no capabilities, no_new_privs",
	    (unsigned)uid, (unsigned)gid);
}

void
sandbox_parent(bool net_admin)
{
	static const unsigned keep[] = { CAP_KILL, CAP_NET_ADMIN };
	size_t n_keep = net_admin ? 2 : 1;
	struct __user_cap_data_struct d[2];
	uint32_t want = 0;

	for (size_t i = 0; i < n_keep; i++)
		want |= 1u << keep[i];		/* both below 32 */
	cap_bound(keep, n_keep);
	if (cap_get(d) == -1)
		fatal("capget");
	d[0].effective &= want;
	d[0].permitted &= want;
	d[0].inheritable = 0;
	d[1].effective = d[1].permitted = d[1].inheritable = 0;
	if (cap_set(d) == -1)
		fatal("capset");
	log_debug("sandbox: parent keeps %s", net_admin ?
	    "CAP_NET_ADMIN and CAP_KILL" : "CAP_KILL");
}
