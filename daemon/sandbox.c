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
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

#define ENGINE_USER		"_shipworm"
#define ENGINE_USER_FALLBACK	"nobody"

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

int
sandbox_user(uid_t *uid, gid_t *gid, const char **name)
{
	static const char *const users[] = { ENGINE_USER,
	    ENGINE_USER_FALLBACK };

	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		const struct passwd *pw = getpwnam(users[i]);

		if (pw == NULL || pw->pw_uid == 0 || pw->pw_gid == 0)
			continue;
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		*name = users[i];
		return 0;
	}
	return -1;
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
