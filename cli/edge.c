/*
 * edge.c - `shipworm edge` (see edge.h and shipworm(8)).
 *
 * The rules are checked with the daemon's own parser (lib/edgepol): a
 * rule written here is one the daemon reads.  Only the CLI's file is
 * ever written; the others are read for `list`.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge.h"
#include "edgepol.h"
#include "os.h"
#include "report.h"

#define FILE_MAX	(256 * 1024)	/* bytes of a policy file */
#define FILES_MAX	256

static struct sw_edge_policy pol;	/* the CLI's file */
static char text[FILE_MAX];

static void __attribute__((noreturn))
edge_usage(void)
{
	fprintf(stderr,
	    "usage: shipworm edge allow|deny|defer unit NAME|cgroup PATH|uid N\n"
	    "       shipworm edge remove unit NAME|cgroup PATH|uid N\n"
	    "       shipworm edge list\n"
	    "       options: [-c config] [-D dir] [-i ifname | -s socket]\n");
	exit(2);
}

/* Parse file into p (appending); exits on a bad file. */
static void
parse_file(struct sw_edge_policy *p, const char *path, bool missing_ok)
{
	char err[SW_CONF_ERR_MAX];
	ssize_t len = sys_read_small(path, O_NOFOLLOW, text, sizeof text);

	if (len == -ENOENT && missing_ok)
		return;
	if (len < 0)
		cli_die("%s: %s", path, strerror((int)-len));
	if (sw_edge_policy_parse(p, path, text, (size_t)len, err) != 0)
		cli_die("%s", err);
}

/* One rule from the command line ("MODE KIND SUBJECT"), checked by the
 * daemon's parser. */
static struct sw_edge_rule
rule_from_args(const char *mode, const char *kind, const char *subject)
{
	static struct sw_edge_policy one;
	char line[SW_CONF_PATH_MAX + 64], err[SW_CONF_ERR_MAX];
	int n;

	if (strpbrk(subject, " \t\r\n#") != NULL || subject[0] == '\0')
		cli_die("%s: a subject without blanks or '#'", subject);
	n = snprintf(line, sizeof line, "%s %s %s\n", mode, kind, subject);
	if (n < 0 || (size_t)n >= sizeof line)
		cli_die("%s: too long", subject);
	memset(&one, 0, sizeof one);
	if (sw_edge_policy_parse(&one, "command line", line, (size_t)n,
	    err) != 0 || one.n != 1)
		cli_die("%s", err);
	return one.rules[0];
}

static bool
same_subject(const struct sw_edge_rule *a, const struct sw_edge_rule *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == SW_EDGE_UID)
		return a->uid == b->uid;
	return strcmp(a->path, b->path) == 0;
}

/* Remove every rule for r's subject from pol: how many. */
static unsigned
remove_subject(const struct sw_edge_rule *r)
{
	unsigned k = 0, removed = 0;

	for (unsigned i = 0; i < pol.n; i++) {
		if (same_subject(&pol.rules[i], r)) {
			removed++;
			continue;
		}
		pol.rules[k++] = pol.rules[i];
	}
	pol.n = k;
	return removed;
}

/* Write pol to dir/EDGE_CLI_FILE: a temporary file, synced, renamed. */
static void
write_policy(const char *dir)
{
	char path[4096], tmp[4096], line[SW_CONF_PATH_MAX + 64];
	FILE *f;
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, EDGE_CLI_FILE) >=
	    (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, EDGE_CLI_FILE,
	    (long)getpid()) >= (int)sizeof tmp)
		cli_die("%s: path too long", dir);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		cli_die("mkdir %s: %s", dir, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL)
		cli_die("%s: %s", tmp, strerror(errno));
	fprintf(f, "# %s: written by shipworm edge; edit with it "
	    "(shipworm-edge.d(5))\n", EDGE_CLI_FILE);
	for (unsigned i = 0; i < pol.n; i++) {
		if (sw_edge_rule_format(&pol.rules[i], line, sizeof line) < 0) {
			(void)unlink(tmp);
			cli_die("rule %u cannot be written", i + 1);
		}
		fprintf(f, "%s\n", line);
	}
	if (fflush(f) == EOF || fsync(fd) == -1 || ferror(f)) {
		(void)unlink(tmp);
		cli_die("%s: %s", tmp, strerror(errno));
	}
	if (fclose(f) == EOF) {
		(void)unlink(tmp);
		cli_die("%s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		cli_die("rename %s: %s", path, strerror(errno));
	}
}

/* After a change: the daemon re-reads the policy (it may not run). */
static int
reload(const struct edge_opts *o)
{
	char ans[512];
	const char *step;
	size_t len;
	int r = cli_talk(o->edge_sock, "reload\n", ans, sizeof ans, &len,
	    &step);

	if (r != 0) {
		printf("shipwormd not reached at %s (%s): the policy applies "
		    "when it starts\n", o->edge_sock, strerror(-r));
		return 0;
	}
	ans[strcspn(ans, "\n")] = '\0';
	for (char *c = ans; *c != '\0'; c++)	/* printable only */
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	if (strcmp(ans, "ok") != 0) {
		fprintf(stderr, "shipworm: shipwormd did not reload: %s\n",
		    ans[0] != '\0' ? ans : "no answer");
		return 1;
	}
	printf("shipwormd reloaded the edge policy\n");
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every rule of every file, in the daemon's order. */
static void
list_rules(const char *dir)
{
	static struct sw_edge_policy p;
	char *names[FILES_MAX], line[SW_CONF_PATH_MAX + 64];
	size_t n = 0;
	struct dirent *d;
	DIR *dp;

	printf("Edge policy (%s)\n", dir);
	printf("---------------------------------------------\n");
	if ((dp = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			cli_die("%s: %s", dir, strerror(errno));
		printf("no policy: nothing may listen through Teredo\n");
		return;
	}
	while ((d = readdir(dp)) != NULL && n < FILES_MAX) {
		size_t len = strlen(d->d_name);

		if (d->d_name[0] == '.' || len <= 5 ||
		    strcmp(d->d_name + len - 5, ".conf") != 0)
			continue;
		if ((names[n] = strdup(d->d_name)) == NULL)
			cli_die("out of memory");
		n++;
	}
	closedir(dp);
	qsort(names, n, sizeof names[0], name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		(void)snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		memset(&p, 0, sizeof p);
		parse_file(&p, path, true);
		for (unsigned k = 0; k < p.n; k++) {
			if (sw_edge_rule_format(&p.rules[k], line,
			    sizeof line) < 0)
				continue;
			printf("%-40s (%s)\n", line, names[i]);
		}
		free(names[i]);
	}
	if (n == 0)
		printf("no rules: nothing may listen through Teredo\n");
}

/* The daemon's view, from its status. */
static void
list_daemon(const struct edge_opts *o)
{
	static char buf[REPORT_MAX_BYTES];
	static struct report r;
	const char *why, *v, *step;
	size_t len;

	printf("\nshipwormd (%s)\n", o->ctl_sock);
	printf("---------------------------------------------\n");
	if (cli_talk(o->ctl_sock, "status\n", buf, sizeof buf, &len,
	    &step) != 0 ||
	    report_parse(&r, buf, &why) != 0 ||
	    report_get(&r, "firewall") == NULL) {
		printf("not reached, or not a client\n");
		return;
	}
	v = report_get(&r, "firewall");
	printf("%-24s: %s%s%s\n", "Firewall", v,
	    report_get(&r, "firewall_reason") != NULL ? " - " : "",
	    report_get(&r, "firewall_reason") != NULL ?
	    report_get(&r, "firewall_reason") : "");
	if ((v = report_get(&r, "edge_listeners")) != NULL)
		printf("%-24s: %s\n", "Granted Listeners", v);
	if ((v = report_get(&r, "edge_ports")) != NULL)
		printf("%-24s: %s\n", "Granted Ports", v);
	if ((v = report_get(&r, "fw.edge_denied")) != NULL)
		printf("%-24s: %s\n", "Inbound Denied", v);
	if ((v = report_get(&r, "fw.edge_granted")) != NULL)
		printf("%-24s: %s\n", "Inbound Granted", v);
}

int
edge_main(const struct edge_opts *o, int argc, char **argv)
{
	char path[4096];
	struct sw_edge_rule r;
	const char *cmd;

	if (argc < 1)
		edge_usage();
	cmd = argv[0];
	if (strcmp(cmd, "list") == 0) {
		if (argc != 1)
			edge_usage();
		list_rules(o->dir);
		list_daemon(o);
		return 0;
	}
	if (argc != 3)
		edge_usage();
	if (snprintf(path, sizeof path, "%s/%s", o->dir, EDGE_CLI_FILE) >=
	    (int)sizeof path)
		cli_die("%s: path too long", o->dir);
	memset(&pol, 0, sizeof pol);
	parse_file(&pol, path, true);
	if (strcmp(cmd, "remove") == 0) {
		r = rule_from_args("deny", argv[1], argv[2]);
		if (remove_subject(&r) == 0)
			cli_die("no rule for %s %s in %s", argv[1], argv[2], path);
	} else if (strcmp(cmd, "allow") == 0 || strcmp(cmd, "deny") == 0 ||
	    strcmp(cmd, "defer") == 0) {
		r = rule_from_args(cmd, argv[1], argv[2]);
		(void)remove_subject(&r);	/* one rule per subject */
		if (pol.n >= SW_EDGE_MAX_RULES)
			cli_die("%s: %u rules already", path, pol.n);
		pol.rules[pol.n++] = r;
	} else
		edge_usage();
	write_policy(o->dir);
	printf("%s: %u rule%s\n", path, pol.n, pol.n == 1 ? "" : "s");
	return reload(o);
}
