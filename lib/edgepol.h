/*
 * edgepol.h - the edge policy: which listeners may be reached from the
 * Teredo side (HARD-2/HARD-3, CVE-2006-6265/6266), parsed from the files
 * of EdgePolicyDir (the *.conf files of /etc/shipworm/edge.d, shipworm-edge.d(5)).
 * Pure: the daemon reads each file and calls sw_edge_policy_parse() on
 * its bytes, in file-name order.
 *
 * One rule per line; '#' starts a comment; blank lines are ignored:
 *
 *	# mode  kind    subject
 *	allow   cgroup  /system.slice/sshd.service   path below the cgroup2 root
 *	allow   unit    sshd.service                 = cgroup /system.slice/<unit>
 *	deny    cgroup  /lab/x
 *	defer   cgroup  /user.slice                  defer to the application
 *	defer   uid     1000
 *
 * Modes and kinds are matched without regard to case.  A cgroup path
 * starts with '/', has no empty, "." or ".." component, no trailing '/',
 * printable ASCII only, shorter than SW_CONF_PATH_MAX; the root "/" alone
 * is refused (it would cover every process).  A unit name has no '/', is
 * not "." or "..", printable ASCII, and becomes the cgroup
 * /system.slice/<unit>.  A uid is decimal, 0..4294967294 ((uid_t)-1 is
 * "no uid").  A rule for a subject that already has one replaces it (so
 * a later file overrides an earlier one); at most SW_EDGE_MAX_RULES rules.
 *
 * Decisions: sw_edge_policy_cgroup() takes the rule whose path is the
 * longest prefix of the cgroup by whole components ("/a/b" covers "/a/b"
 * and "/a/b/c", not "/a/bc"); no rule: DENY.  sw_edge_policy_caller()
 * (the edge socket: a process handing over a listening socket) applies
 * the cgroup rules, then the uid rules, then DENY.
 */
#ifndef SW_EDGEPOL_H
#define SW_EDGEPOL_H

#include "sw.h"
#include "conf.h"

#define SW_EDGE_MAX_RULES 128

enum sw_edge_mode { SW_EDGE_DENY, SW_EDGE_ALLOW, SW_EDGE_DEFER };

enum sw_edge_kind { SW_EDGE_CGROUP, SW_EDGE_UID };

struct sw_edge_rule {
	enum sw_edge_mode mode;
	enum sw_edge_kind kind;
	char path[SW_CONF_PATH_MAX];	/* SW_EDGE_CGROUP */
	uint32_t uid;			/* SW_EDGE_UID */
};

struct sw_edge_policy {
	struct sw_edge_rule rules[SW_EDGE_MAX_RULES];
	unsigned n;
};

/* An empty policy (everything DENY). */
void sw_edge_policy_init(struct sw_edge_policy *p);

/*
 * Append the rules of one file (name: for messages only; buf, len: its
 * bytes, no NUL needed).  0, or -EINVAL with one printable line in err,
 * "name:line: ...".  On an error the rules of the lines before it stay.
 */
int sw_edge_policy_parse(struct sw_edge_policy *p, const char *name,
    const char *buf, size_t len, char err[static SW_CONF_ERR_MAX]);

/* The mode for a cgroup path ("/a/b", as /proc/PID/cgroup gives after
 * "0::"); NULL or no match: DENY.  uid rules are ignored. */
enum sw_edge_mode sw_edge_policy_cgroup(const struct sw_edge_policy *p,
    const char *cgroup_path);

/* A caller: the cgroup rule as above, else its uid's rule, else DENY. */
enum sw_edge_mode sw_edge_policy_caller(const struct sw_edge_policy *p,
    const char *cgroup_path, uint32_t uid);

/* "allow cgroup /x" / "defer uid 1000" into buf (n bytes, NUL-terminated
 * when n > 0): the length it needs (as snprintf), or -EINVAL. */
int sw_edge_rule_format(const struct sw_edge_rule *r, char *buf, size_t n);

/* "deny", "allow", "defer" ("?" otherwise). */
const char *sw_edge_mode_name(enum sw_edge_mode m);

#endif /* SW_EDGEPOL_H */
