/*
 * guard.c - the parent's firewall, edge policy, granted listeners and
 * edge socket (see guard.h).  HARD-2, HARD-3 (edge), HARD-7/8 (what the
 * host accepts from the tunnel), D25 (routing headers, in the table).
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "escape.h"
#include "fw.h"
#include "guard.h"
#include "log.h"
#include "os.h"
#include "sockdiag.h"
#include "weaken.h"

struct guard_conn {
	int fd;				/* -1: free */
	uint32_t uid;			/* the peer's (SO_PEERCRED) */
	sw_time deadline;
	size_t len;
	char req[GUARD_REQ_MAX];
	int passed;			/* the socket handed over, or -1 */
	bool extra;			/* more than one descriptor came */
};

/* A socket handed over and marked (issue 10 item 13): granted while a
 * listener with this mark has this cookie. */
struct guard_handed {
	uint64_t cookie;
	uint32_t mark;			/* never 0 */
	bool seen;			/* in this tick's listing */
};

struct guard {
	const struct config *cf;
	char dir[SW_CONF_PATH_MAX];	/* EdgePolicyDir */
	char table[64];
	char cgroot[256];		/* the cgroup2 mount, "" if none */

	struct sys_fw *fw;		/* NULL: missing */
	uint32_t state;			/* enum ipc_fw_state */
	char reason[IPC_REASON_MAX];
	struct sys_fw_counters counters;
	bool grants_valid;		/* fw holds grants[] */

	struct sw_edge_policy policy;
	struct sys_fw_cgroup grants[SW_EDGE_MAX_RULES];
	size_t n_grants;
	uint32_t marks[GUARD_HANDED_MAX];	/* as the firewall has them */
	size_t n_marks;

	struct guard_handed handed[GUARD_HANDED_MAX];
	size_t n_handed;
	uint32_t forged;		/* marks withdrawn */

	/* each cgroup rule's tree (ids of its path and below) */
	uint64_t tree[GUARD_TREE_MAX];
	size_t tree_off[SW_EDGE_MAX_RULES + 1];
	bool tree_cut;			/* no cgroup rule matches */
	bool listeners_cut;		/* last listing */

	struct sys_listener ls[GUARD_LISTENERS_MAX];
	struct ipc_edge edge;

	const char *edge_path;
	int edge_fd;
	bool edge_made;
	struct guard_conn conns[GUARD_CONNS];
	uint32_t conns_shed;		/* closed unserved to make room */
	int ep;
	uint32_t tag0;
};

/* ---- the policy --------------------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
policy_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".conf") == 0;
}

int
guard_policy_load(const char *dir, struct sw_edge_policy *p,
    char err[static GUARD_ERR_MAX])
{
	char *names[SW_EDGE_MAX_RULES * 2], *buf = NULL, why[96];
	struct stat st = { .st_mode = 0 };
	size_t n = 0;
	struct dirent *d;
	DIR *dp;
	int r = -1;

	memset(p, 0, sizeof *p);
	err[0] = '\0';
	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;	/* no policy: nothing granted */
		(void)snprintf(err, GUARD_ERR_MAX, "%s: %s", dir,
		    strerror(errno));
		return -1;
	}
	/* Issue 10 item 18: what may reach the host is root's to say, as
	 * a key file is: no one else may write the directory (add a file)
	 * or a file in it. */
	if (fstat(dirfd(dp), &st) == -1 ||
	    sys_file_trusted(&st, S_IWGRP | S_IWOTH, why, sizeof why) != 0) {
		(void)snprintf(err, GUARD_ERR_MAX, "%s %s", dir,
		    st.st_mode == 0 ? strerror(errno) : why);
		goto out;
	}
	while ((d = readdir(dp)) != NULL) {
		if (!policy_name(d->d_name))
			continue;
		if (n == sizeof names / sizeof names[0]) {
			(void)snprintf(err, GUARD_ERR_MAX, "%s: too many "
			    "policy files", dir);
			goto out;
		}
		if ((names[n] = strdup(d->d_name)) == NULL) {
			(void)snprintf(err, GUARD_ERR_MAX, "%s: out of "
			    "memory", dir);
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof names[0], name_cmp);
	if ((buf = malloc(GUARD_POLICY_FILE_MAX)) == NULL) {
		(void)snprintf(err, GUARD_ERR_MAX, "%s: out of memory", dir);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char path[SW_CONF_PATH_MAX + 256], perr[SW_CONF_ERR_MAX];
		ssize_t len;

		(void)snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if ((len = sys_read_trusted(path, O_NOFOLLOW, S_IWGRP |
		    S_IWOTH, buf, GUARD_POLICY_FILE_MAX, why,
		    sizeof why)) < 0) {
			if (len == -EACCES || len == -EPERM)
				(void)snprintf(err, GUARD_ERR_MAX, "%s %s",
				    path, why);
			else
				(void)snprintf(err, GUARD_ERR_MAX, "%s: %s",
				    path, len == -EFBIG ? "file too large" :
				    len == -EINVAL ? "not a regular file" :
				    strerror((int)-len));
			goto out;
		}
		if (sw_edge_policy_parse(p, path, buf, (size_t)len,
		    perr) != 0) {
			(void)snprintf(err, GUARD_ERR_MAX, "%s", perr);
			goto out;
		}
	}
	r = 0;
out:
	closedir(dp);
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (r != 0)
		memset(p, 0, sizeof *p);
	return r;
}

/* Path components: "/" 0, "/a" 1, "/a/b" 2. */
static unsigned
depth(const char *path)
{
	unsigned n = 0;

	for (const char *c = path; *c != '\0'; c++)
		if (*c != '/' && (c == path || c[-1] == '/'))
			n++;
	return n;
}

/* ---- the firewall -------------------------------------------------------- */

static void
fw_state(struct guard *g, uint32_t state, const char *why, bool *changed)
{
	bool same = g->state == state && strcmp(g->reason, why) == 0;

	if (same)
		return;
	*changed = true;
	if (state == IPC_FW_ACTIVE)
		log_info("firewall: table inet %s active%s", g->table,
		    g->state == 0 ? "" : " again");
	else if (state == IPC_FW_UNFIREWALLED)
		log_warnx("firewall: NONE (AllowUnfirewalled yes): %s; "
		    "inbound Teredo traffic reaches the host unfiltered by "
		    "the edge policy", why);
	else if (g->state != IPC_FW_MISSING)
		/* logged once per loss, not every second */
		log_warnx("firewall: missing: %s; %s until it is back", why,
		    g->cf->conf.role == SW_ROLE_CLIENT ? "the client does "
		    "not qualify" : "the host-specific relay stays down");
	g->state = state;
	memset(g->reason, 0, sizeof g->reason);	/* no stale bytes */
	(void)snprintf(g->reason, sizeof g->reason, "%s",
	    state == IPC_FW_ACTIVE ? "" : why);
	/* printable ASCII only: the status line carries it */
	for (char *c = g->reason; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
}

static void
fw_try_open(struct guard *g, bool *changed)
{
	const struct sw_conf *c = &g->cf->conf;
	struct sys_fw_conf fc = { .table = g->table };
	char err[IPC_REASON_MAX];
	int r;

	fc.ifnames[fc.n_ifnames++] = c->ifname;
	/* A host-specific relay's host has native IPv6 (HSR-1), which may
	 * come over protocol 41. */
	fc.keep_p41 = c->role == SW_ROLE_RELAY;
	for (unsigned i = 0; i < c->n_p41 && fc.n_ifnames < 5; i++)
		fc.ifnames[fc.n_ifnames++] = c->p41_ifnames[i];
	err[0] = '\0';
	r = sys_fw_open(&g->fw, &fc, err, sizeof err);
	if (r == 0) {
		g->grants_valid = false;
		memset(&g->counters, 0, sizeof g->counters);
		fw_state(g, IPC_FW_ACTIVE, "", changed);
		return;
	}
	g->fw = NULL;
	if (err[0] == '\0')
		(void)snprintf(err, sizeof err, "%s", strerror(-r));
	fw_state(g, c->allow_unfirewalled ? IPC_FW_UNFIREWALLED :
	    IPC_FW_MISSING, err, changed);
}

static void
fw_check(struct guard *g, bool *changed)
{
	char err[IPC_REASON_MAX], why[IPC_REASON_MAX + 16];
	struct sys_fw_counters cnt;

	if (g->fw == NULL) {
		fw_try_open(g, changed);
		return;
	}
	err[0] = '\0';
	if (sys_fw_verify(g->fw, err, sizeof err) != 0) {
		(void)snprintf(why, sizeof why, "lost: %s",
		    err[0] != '\0' ? err : "verification failed");
		sys_fw_close(g->fw);
		g->fw = NULL;
		fw_state(g, g->cf->conf.allow_unfirewalled ?
		    IPC_FW_UNFIREWALLED : IPC_FW_MISSING, why, changed);
		return;
	}
	if (sys_fw_counters(g->fw, &cnt) == 0 &&
	    memcmp(&cnt, &g->counters, sizeof cnt) != 0) {
		g->counters = cnt;
		*changed = true;
	}
}

static int
grant_cmp(const void *a, const void *b)
{
	const struct sys_fw_cgroup *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->level - (int)y->level;
}

/* The allow rules' cgroups that exist, as ids, and the marks of the
 * handed sockets; to the firewall when they changed (or the table is
 * new). */
static void
grants_update(struct guard *g)
{
	struct sys_fw_cgroup want[SW_EDGE_MAX_RULES];
	uint32_t marks[GUARD_HANDED_MAX];
	size_t n = 0, n_marks = 0;
	int r;

	for (unsigned i = 0; i < g->policy.n && g->cgroot[0] != '\0'; i++) {
		const struct sw_edge_rule *ru = &g->policy.rules[i];
		uint64_t id;
		uint8_t level;

		if (ru->mode != SW_EDGE_ALLOW || ru->kind != SW_EDGE_CGROUP)
			continue;
		if (sys_cgroup_id(g->cgroot, ru->path, &id, &level) != 0)
			continue;	/* not there (yet) */
		want[n].id = id;
		want[n].level = level;
		n++;
	}
	qsort(want, n, sizeof want[0], grant_cmp);
	for (size_t i = 0; i < g->n_handed; i++)
		marks[n_marks++] = g->handed[i].mark;
	if (g->fw == NULL)
		return;
	if (g->grants_valid && n == g->n_grants &&
	    memcmp(want, g->grants, n * sizeof want[0]) == 0 &&
	    n_marks == g->n_marks &&
	    memcmp(marks, g->marks, n_marks * sizeof marks[0]) == 0)
		return;
	if ((r = sys_fw_set_grants(g->fw, want, n, marks, n_marks)) != 0) {
		log_warnx("firewall: setting %zu grants: %s", n + n_marks,
		    strerror(-r));
		g->grants_valid = false;
		return;
	}
	memcpy(g->grants, want, n * sizeof want[0]);
	g->n_grants = n;
	memcpy(g->marks, marks, n_marks * sizeof marks[0]);
	g->n_marks = n_marks;
	g->grants_valid = true;
	log_info("firewall: %zu cgroup grant%s, %zu handed socket%s", n,
	    n == 1 ? "" : "s", n_marks, n_marks == 1 ? "" : "s");
}

/* ---- the listeners ------------------------------------------------------- */

/* Every cgroup rule's tree of ids (bounded in all by GUARD_TREE_MAX).
 * Cut short, a later rule's tree would be missing and a deny below an
 * allow would stop matching (issue 10 item 18b): then no cgroup rule
 * matches at all until the trees fit again. */
static void
trees_update(struct guard *g)
{
	size_t used = 0;
	bool cut = false;

	for (unsigned i = 0; i < g->policy.n; i++) {
		const struct sw_edge_rule *ru = &g->policy.rules[i];
		size_t n = 0;

		g->tree_off[i] = used;
		if (ru->kind == SW_EDGE_CGROUP && g->cgroot[0] != '\0' &&
		    used < GUARD_TREE_MAX &&
		    sys_cgroup_tree(g->cgroot, ru->path, g->tree + used,
		    GUARD_TREE_MAX - used, &n) == 0) {
			if (n > GUARD_TREE_MAX - used) {
				cut = true;
				n = GUARD_TREE_MAX - used;
			}
			used += n;
		} else if (ru->kind == SW_EDGE_CGROUP && used >= GUARD_TREE_MAX)
			cut = true;
	}
	g->tree_off[g->policy.n] = used;
	if (cut && !g->tree_cut)
		log_warnx("edge: the policy's cgroup trees have more than %d "
		    "cgroups: no cgroup rule grants anything until they "
		    "fit (handed sockets and the firewall's cgroup grants "
		    "stay)", GUARD_TREE_MAX);
	else if (!cut && g->tree_cut)
		log_info("edge: the policy's cgroup trees fit again");
	g->tree_cut = cut;
}

/* Longest matching cgroup rule (by path components) for a cgroup id;
 * DENY when none (*matched false), or when the trees are cut. */
static enum sw_edge_mode
cgroup_mode(const struct guard *g, uint64_t cgroup, bool *matched)
{
	enum sw_edge_mode mode = SW_EDGE_DENY;
	int best = -1;

	*matched = false;
	if (g->tree_cut)
		return SW_EDGE_DENY;
	for (unsigned i = 0; i < g->policy.n; i++) {
		const struct sw_edge_rule *ru = &g->policy.rules[i];

		if (ru->kind != SW_EDGE_CGROUP)
			continue;
		for (size_t k = g->tree_off[i]; k < g->tree_off[i + 1]; k++) {
			if (g->tree[k] != cgroup)
				continue;
			if ((int)depth(ru->path) >= best) {
				best = (int)depth(ru->path);
				mode = ru->mode;
				*matched = true;
			}
			break;
		}
	}
	return mode;
}

static enum sw_edge_mode
listener_mode(const struct guard *g, uint64_t cgroup)
{
	bool matched;

	return cgroup_mode(g, cgroup, &matched);
}

/* A handed socket's own cgroup and owner (shipworm-edge.d(5)): the cgroup
 * rule, else its owner's uid rule, else DENY. */
static enum sw_edge_mode
socket_mode(const struct guard *g, uint64_t cgroup, uint32_t uid)
{
	bool matched;
	enum sw_edge_mode mode = cgroup_mode(g, cgroup, &matched);

	if (matched)
		return mode;
	for (unsigned i = 0; i < g->policy.n; i++)
		if (g->policy.rules[i].kind == SW_EDGE_UID &&
		    g->policy.rules[i].uid == uid)
			return g->policy.rules[i].mode;
	return SW_EDGE_DENY;
}

static struct guard_handed *
handed_by_mark(struct guard *g, uint32_t mark)
{
	for (size_t i = 0; mark != 0 && i < g->n_handed; i++)
		if (g->handed[i].mark == mark)
			return &g->handed[i];
	return NULL;
}

static void
handed_drop(struct guard *g, struct guard_handed *h)
{
	*h = g->handed[--g->n_handed];
}

static int
port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static uint16_t
uniq(uint16_t *p, size_t n)
{
	size_t k = 0;

	qsort(p, n, sizeof p[0], port_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || p[i] != p[k - 1])
			p[k++] = p[i];
	return (uint16_t)k;
}

/* In the sock_diag callback: only what could be granted takes room in
 * g->ls (issue 10 item 18c); a socket with a handed mark is kept either
 * way, to see whether it is the one we marked. */
static bool
grantable(const struct sys_listener *l, void *arg)
{
	struct guard *g = arg;

	/* IPv4-only sockets get nothing from the tunnel */
	if (l->port == 0 || l->family == AF_INET)
		return false;
	return handed_by_mark(g, l->mark) != NULL ||
	    listener_mode(g, l->cgroup) == SW_EDGE_ALLOW;
}

static void
listeners_update(struct guard *g, bool *changed)
{
	uint16_t tcp[SW_EDGE_MAX_PORTS], udp[SW_EDGE_MAX_PORTS];
	size_t n = 0, n_tcp = 0, n_udp = 0, n_handed = g->n_handed;
	struct ipc_edge e;
	uint32_t count = 0;
	bool cut;
	int r;

	memset(&e, 0, sizeof e);
	for (size_t i = 0; i < g->n_handed; i++)
		g->handed[i].seen = false;
	if ((r = sys_sockdiag_listeners_keep(AF_INET6, grantable, g, g->ls,
	    GUARD_LISTENERS_MAX, &n)) != 0) {
		log_debug("sock_diag: %s", strerror(-r));
		return;			/* keep what we had */
	}
	cut = n > GUARD_LISTENERS_MAX;
	if (cut && !g->listeners_cut)
		log_warnx("edge: more than %d grantable sockets listen: "
		    "the others are not granted", GUARD_LISTENERS_MAX);
	g->listeners_cut = cut;
	if (cut)
		n = GUARD_LISTENERS_MAX;
	for (size_t i = 0; i < n; i++) {
		const struct sys_listener *l = &g->ls[i];
		struct guard_handed *h = handed_by_mark(g, l->mark);

		if (h != NULL && h->cookie != l->cookie) {
			/* Our mark on a socket we did not mark: set by
			 * someone who learnt it (issue 10 item 13).  Fail
			 * closed: the mark goes, both sockets lose it. */
			log_warnx("edge: a socket (%s port %u, uid %u, cgroup "
			    "id %llu) carries the mark of a handed socket it "
			    "is not: mark withdrawn", l->proto == IPPROTO_TCP ?
			    "tcp" : "udp", l->port, l->uid,
			    (unsigned long long)l->cgroup);
			handed_drop(g, h);
			g->forged++;
			continue;
		}
		if (h != NULL)
			h->seen = true;
		else if (listener_mode(g, l->cgroup) != SW_EDGE_ALLOW)
			continue;	/* a withdrawn mark's socket */
		count++;
		if (l->proto == IPPROTO_TCP && n_tcp < SW_EDGE_MAX_PORTS)
			tcp[n_tcp++] = l->port;
		else if (l->proto == IPPROTO_UDP && n_udp < SW_EDGE_MAX_PORTS)
			udp[n_udp++] = l->port;
	}
	e.n_tcp = uniq(tcp, n_tcp);
	e.n_udp = uniq(udp, n_udp);
	memcpy(e.tcp, tcp, e.n_tcp * sizeof tcp[0]);
	memcpy(e.udp, udp, e.n_udp * sizeof udp[0]);
	/* A handed socket not listed any more is closed (or connected):
	 * its mark goes; unless the view was cut. */
	for (size_t i = 0; !cut && i < g->n_handed; )
		if (!g->handed[i].seen)
			handed_drop(g, &g->handed[i]);
		else
			i++;
	if (g->n_handed != n_handed)
		grants_update(g);
	e.listeners = count;
	e.granted = count > 0;
	e.forged = g->forged;
	e.conns_shed = g->conns_shed;
	e.cut = (uint8_t)((cut ? IPC_EDGE_CUT_LISTENERS : 0) |
	    (g->tree_cut ? IPC_EDGE_CUT_TREE : 0));
	if (memcmp(&e, &g->edge, sizeof e) != 0) {
		g->edge = e;
		*changed = true;
	}
}

void
guard_tick(struct guard *g, bool *fw_changed, bool *edge_changed)
{
	*fw_changed = *edge_changed = false;
	fw_check(g, fw_changed);
	grants_update(g);
	trees_update(g);
	listeners_update(g, edge_changed);
}

void
guard_fw_msg(const struct guard *g, struct ipc_fw *m)
{
	memset(m, 0, sizeof *m);
	m->state = g->state;
	memcpy(m->reason, g->reason, sizeof m->reason);
	m->reason[sizeof m->reason - 1] = '\0';
	m->edge_denied = g->counters.edge_denied;
	m->routing_header = g->counters.routing_header;
	m->p41_dropped = g->counters.p41_dropped;
	m->edge_granted = g->counters.edge_granted;
	m->nd_dropped = g->counters.nd_dropped;
}

void
guard_edge_msg(const struct guard *g, struct ipc_edge *m)
{
	*m = g->edge;
}

/* ---- the edge socket ------------------------------------------------------ */

static int
edge_socket(struct guard *g, char err[static GUARD_ERR_MAX])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(g->edge_path) >= sizeof sun.sun_path) {
		(void)snprintf(err, GUARD_ERR_MAX, "%s: path too long",
		    g->edge_path);
		return -1;
	}
	memcpy(sun.sun_path, g->edge_path, strlen(g->edge_path) + 1);
	/* The control socket beside it is ours already: a socket file
	 * here is a leftover of a daemon that died. */
	if (lstat(g->edge_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || unlink(g->edge_path) == -1) {
			(void)snprintf(err, GUARD_ERR_MAX, "%s exists and "
			    "cannot be replaced", g->edge_path);
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		(void)snprintf(err, GUARD_ERR_MAX, "edge socket: %s",
		    strerror(errno));
		return -1;
	}
	old = umask(0);
	r = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (r == -1) {
		(void)snprintf(err, GUARD_ERR_MAX, "bind %s: %s",
		    g->edge_path, strerror(errno));
		close(fd);
		return -1;
	}
	g->edge_made = true;
	/* 0666: any local application may hand a socket; who it is
	 * decides (SO_PEERCRED), not who may connect. */
	if (chmod(g->edge_path, 0666) == -1 ||
	    listen(fd, GUARD_ACCEPT_BURST) == -1) {
		(void)snprintf(err, GUARD_ERR_MAX, "%s: %s", g->edge_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	g->edge_fd = fd;
	return 0;
}

int
guard_edge_fd(const struct guard *g)
{
	return g->edge_fd;
}

static void
conn_close(struct guard *g, struct guard_conn *c)
{
	if (c->fd == -1)
		return;
	(void)epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->passed != -1)
		close(c->passed);
	c->fd = c->passed = -1;
	c->len = 0;
	c->extra = false;
}

/*
 * The slot for a new connection from uid (issue 10 item 17): a free one;
 * else, when uid holds GUARD_CONNS_PER_UID already, its own oldest; else
 * the oldest of another non-root uid.  Root's are never taken for
 * another's, and a uid flooding connections only churns its own slots.
 * -1: none (every other slot is root's): the new one is refused.
 * Without SW_DEFENCE(EDGE_SLOTS): a free slot, else the oldest, whoever's.
 */
static int
conn_slot(const struct guard *g, uint32_t uid)
{
	int free_slot = -1, own = -1, other = -1, oldest = 0;
	unsigned n_own = 0;

	for (unsigned i = 0; i < GUARD_CONNS; i++) {
		const struct guard_conn *c = &g->conns[i];

		if (c->fd == -1) {
			if (free_slot == -1)
				free_slot = (int)i;
			continue;
		}
		if (c->deadline < g->conns[oldest].deadline ||
		    g->conns[oldest].fd == -1)
			oldest = (int)i;
		if (c->uid == uid) {
			n_own++;
			if (own == -1 || c->deadline < g->conns[own].deadline)
				own = (int)i;
		} else if (c->uid != 0 && (other == -1 ||
		    c->deadline < g->conns[other].deadline))
			other = (int)i;
	}
	if (free_slot != -1 && (!SW_DEFENCE(EDGE_SLOTS) || uid == 0 ||
	    n_own < GUARD_CONNS_PER_UID))
		return free_slot;
	if (!SW_DEFENCE(EDGE_SLOTS))
		return oldest;
	if (uid != 0 && n_own >= GUARD_CONNS_PER_UID)
		return own;
	return other;
}

void
guard_edge_accept(struct guard *g, int ep, uint32_t tag0)
{
	g->ep = ep;
	g->tag0 = tag0;
	for (unsigned tries = 0; tries < GUARD_ACCEPT_BURST; tries++) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct guard_conn *c;
		struct ucred cr;
		socklen_t len = sizeof cr;
		int fd, slot;

		fd = accept4(g->edge_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("edge: accept");
			return;
		}
		/* unknown: a uid of no one, never root */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
			cr.uid = (uid_t)-1;
		if ((slot = conn_slot(g, (uint32_t)cr.uid)) == -1) {
			close(fd);
			g->conns_shed++;
			continue;
		}
		c = &g->conns[slot];
		if (c->fd != -1)
			g->conns_shed++;
		conn_close(g, c);
		c->fd = fd;
		c->uid = (uint32_t)cr.uid;
		c->passed = -1;
		c->len = 0;
		c->deadline = sys_now() + GUARD_TIMEOUT;
		ev.data.u32 = tag0 + (uint32_t)slot;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("edge: epoll_ctl");
			close(fd);
			c->fd = -1;
		}
	}
}

/* One answer line: what, then ": why" when given. */
static void
answer(struct guard_conn *c, const char *what, const char *why)
{
	char buf[GUARD_ERR_MAX + 32];
	int n = snprintf(buf, sizeof buf, "%s%s%s\n", what,
	    why != NULL ? ": " : "", why != NULL ? why : "");

	if (n > 0)
		(void)send(c->fd, buf, (size_t)n < sizeof buf ? (size_t)n :
		    sizeof buf - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The handed socket: an IPv6 TCP socket that listens, or a UDP socket
 * bound to a port (an IPv4 one gets nothing from the tunnel).  NULL, or
 * why not. */
static const char *
passed_ok(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int), slen = sizeof ss;
	int domain = 0, type = 0, acc = 0;
	uint16_t port = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1)
		return "not a socket";
	len = sizeof(int);
	if (domain == AF_INET)
		return "an IPv4 socket: Teredo carries IPv6 only";
	if (domain != AF_INET6)
		return "not an IPv6 socket";
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return "not a socket";
	len = sizeof(int);
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == -1)
		return "not a socket";
	if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (type == SOCK_STREAM) {
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc,
		    &len) == -1 || acc == 0)
			return "TCP socket not listening";
		return NULL;
	}
	if (type == SOCK_DGRAM)
		return port != 0 ? NULL : "UDP socket not bound";
	return "neither TCP nor UDP";
}

/* The handing process, for the log only: pid and cgroup path, escaped
 * (a delegated cgroup's name is its user's choice, issue 10 item 18d). */
static void
who(const struct guard_conn *c, char *buf, size_t n)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	char cg[512], esc[256];
	const char *path;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.pid <= 0) {
		(void)snprintf(buf, n, "an unknown process");
		return;
	}
	if (sys_cgroup_of_pid(cr.pid, cg, sizeof cg) != 0)
		cg[0] = '\0';
	cg[strcspn(cg, "\n")] = '\0';
	path = strncmp(cg, "0::", 3) == 0 ? cg + 3 : cg;
	sw_escape(esc, sizeof esc, path, strlen(path), false);
	(void)snprintf(buf, n, "pid %ld uid %u (%s)", (long)cr.pid,
	    (unsigned)cr.uid, esc);
}

/* A mark no handed socket has, never 0: 32 bits from getrandom. */
static int
new_mark(struct guard *g, uint32_t *mark)
{
	int r;

	do {
		if ((r = sys_random(mark, sizeof *mark)) != 0)
			return r;
	} while (*mark == 0 || handed_by_mark(g, *mark) != NULL);
	return 0;
}

/*
 * Issue 10 item 14: who the socket is, not who hands it.  SO_PEERCRED's
 * pid is read later than it connected and may be another process by then;
 * the socket's own cgroup id and owner, as the kernel recorded them when
 * it was made (sock_diag, found by SO_COOKIE), cannot be.
 */
static void
hand(struct guard *g, struct guard_conn *c)
{
	struct sys_listener l;
	socklen_t len = sizeof(int);
	char by[600];
	const char *why;
	enum sw_edge_mode mode;
	struct guard_handed *h;
	uint64_t cookie = 0;
	uint32_t mark;
	int proto = 0, r;

	if (c->extra || c->passed == -1) {
		answer(c, "denied", c->extra ? "one socket at a time" :
		    "no socket passed (SCM_RIGHTS)");
		return;
	}
	if ((why = passed_ok(c->passed)) != NULL) {
		answer(c, "denied", why);
		return;
	}
	who(c, by, sizeof by);
	if (getsockopt(c->passed, SOL_SOCKET, SO_PROTOCOL, &proto,
	    &len) == -1 ||
	    (len = sizeof cookie, getsockopt(c->passed, SOL_SOCKET, SO_COOKIE,
	    &cookie, &len)) == -1) {
		answer(c, "denied", strerror(errno));
		return;
	}
	if ((r = sys_sockdiag_find(AF_INET6, (uint8_t)proto, cookie,
	    &l)) != 0) {
		answer(c, "denied", r == -ENOENT ? "socket not found by "
		    "sock_diag" : strerror(-r));
		return;
	}
	trees_update(g);		/* a cgroup made just now */
	if (g->tree_cut) {
		answer(c, "denied", "the edge policy's cgroup view is "
		    "incomplete (too many cgroups)");
		return;
	}
	mode = socket_mode(g, l.cgroup, l.uid);
	if (mode != SW_EDGE_ALLOW && mode != SW_EDGE_DEFER) {
		log_info("edge: socket (uid %u, cgroup id %llu) handed by %s "
		    "denied", l.uid, (unsigned long long)l.cgroup, by);
		answer(c, "denied", "not allowed by the edge policy");
		return;
	}
	h = NULL;
	for (size_t i = 0; i < g->n_handed; i++)
		if (g->handed[i].cookie == cookie)
			h = &g->handed[i];
	if (h == NULL && g->n_handed == GUARD_HANDED_MAX) {
		answer(c, "denied", "too many handed sockets");
		return;
	}
	if (h != NULL)
		mark = h->mark;
	else if ((r = new_mark(g, &mark)) != 0) {
		answer(c, "denied", strerror(-r));
		return;
	}
	if (setsockopt(c->passed, SOL_SOCKET, SO_MARK, &mark,
	    sizeof mark) == -1) {
		answer(c, "denied", strerror(errno));
		return;
	}
	if (h == NULL) {
		h = &g->handed[g->n_handed++];
		h->cookie = cookie;
		h->mark = mark;
		h->seen = true;
	}
	grants_update(g);		/* in the table before "ok" */
	log_info("edge: socket (uid %u, cgroup id %llu) handed by %s granted "
	    "(%s)", l.uid, (unsigned long long)l.cgroup, by,
	    mode == SW_EDGE_DEFER ? "deferred to the application" :
	    "allowed");
	answer(c, "ok", NULL);
}

static void
reload(struct guard *g, struct guard_conn *c)
{
	static struct sw_edge_policy p;
	char err[GUARD_ERR_MAX];
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.uid != 0) {
		answer(c, "denied", "reload needs uid 0");
		return;
	}
	if (guard_policy_load(g->dir, &p, err) != 0) {
		log_warnx("edge policy: %s; the old policy stays", err);
		answer(c, "error", err);
		return;
	}
	g->policy = p;
	log_info("edge policy reloaded: %u rule%s", p.n,
	    p.n == 1 ? "" : "s");
	grants_update(g);
	trees_update(g);
	answer(c, "ok", NULL);
}

void
guard_conn_input(struct guard *g, unsigned i)
{
	struct guard_conn *c;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov;
	struct msghdr mh;
	char *nl;
	ssize_t n;

	if (i >= GUARD_CONNS || g->conns[i].fd == -1)
		return;
	c = &g->conns[i];
	iov.iov_base = c->req + c->len;
	iov.iov_len = sizeof c->req - c->len;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	/* On an error mh (msg_controllen, msg_flags) is not the kernel's:
	 * nothing came, there is nothing to walk. */
	if (n == -1) {
		conn_close(g, c);
		return;
	}
	/* Every descriptor that came is ours: the first kept, the rest
	 * closed. */
	{
		int fd = -1;
		size_t got = sys_cmsg_rights(&mh, n, &fd,
		    c->passed == -1 ? 1 : 0);

		if (got > 0 && c->passed == -1)
			c->passed = fd;
		if (got > 1 || (got > 0 && c->passed != fd))
			c->extra = true;
	}
	if ((mh.msg_flags & MSG_CTRUNC) != 0)
		c->extra = true;
	if (n <= 0) {
		conn_close(g, c);
		return;
	}
	c->len += (size_t)n;
	if ((nl = memchr(c->req, '\n', c->len)) == NULL) {
		if (c->len == sizeof c->req) {
			answer(c, "error", "request too long");
			conn_close(g, c);
		}
		return;
	}
	*nl = '\0';
	if (strcmp(c->req, "hand") == 0)
		hand(g, c);
	else if (strcmp(c->req, "reload") == 0)
		reload(g, c);
	else
		answer(c, "error", "unknown request");
	conn_close(g, c);
}

int
guard_conns_expire(struct guard *g)
{
	sw_time now = sys_now(), next = SW_TIME_NEVER;

	for (unsigned i = 0; i < GUARD_CONNS; i++) {
		struct guard_conn *c = &g->conns[i];

		if (c->fd == -1)
			continue;
		if (c->deadline <= now)
			conn_close(g, c);
		else if (c->deadline < next)
			next = c->deadline;
	}
	if (next == SW_TIME_NEVER)
		return -1;
	return (int)((next - now + SW_MSEC - 1) / SW_MSEC);
}

/* ---- life ------------------------------------------------------------------ */

int
guard_open(struct guard **out, const struct config *cf,
    const struct sw_edge_policy *policy, const char *edge_path,
    char err[static GUARD_ERR_MAX])
{
	struct guard *g;
	bool changed = false;
	int r;

	*out = NULL;
	if ((g = calloc(1, sizeof *g)) == NULL) {
		(void)snprintf(err, GUARD_ERR_MAX, "out of memory");
		return -1;
	}
	g->cf = cf;
	g->edge_path = edge_path;
	g->edge_fd = -1;
	g->ep = -1;
	for (unsigned i = 0; i < GUARD_CONNS; i++)
		g->conns[i].fd = g->conns[i].passed = -1;
	(void)snprintf(g->dir, sizeof g->dir, "%s", cf->conf.edge_dir);
	(void)snprintf(g->table, sizeof g->table, "shipworm_%s",
	    cf->conf.ifname);
	g->policy = *policy;
	log_info("edge policy %s: %u rule%s", g->dir, g->policy.n,
	    g->policy.n == 1 ? "" : "s");
	if ((r = sys_cgroup2_root(g->cgroot, sizeof g->cgroot)) != 0) {
		g->cgroot[0] = '\0';
		log_warnx("edge: no cgroup2 hierarchy (%s): no cgroup grants",
		    strerror(-r));
	}
	if (edge_socket(g, err) != 0)
		goto fail;
	fw_try_open(g, &changed);
	if (g->state == IPC_FW_UNFIREWALLED)
		log_warnx("RUNNING WITHOUT A FIREWALL (AllowUnfirewalled yes)");
	grants_update(g);
	trees_update(g);
	listeners_update(g, &changed);
	*out = g;
	return 0;
fail:
	guard_close(g);
	return -1;
}

void
guard_close(struct guard *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < GUARD_CONNS; i++)
		conn_close(g, &g->conns[i]);
	if (g->edge_fd != -1)
		close(g->edge_fd);
	if (g->edge_made && unlink(g->edge_path) == -1 && errno != ENOENT)
		log_warn("edge: unlink %s", g->edge_path);
	if (g->fw != NULL)
		sys_fw_close(g->fw);	/* the table goes with its socket */
	free(g);
}
