/*
 * report.h - a status answer from shipwormd (key=value lines, see
 * shipworm(8)), checked and split, and its two renderings.
 */
#ifndef SW_CLI_REPORT_H
#define SW_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#define REPORT_MAX_BYTES	65536	/* a status answer is a few KiB */
#define REPORT_MAX_LINES	256

struct report_kv {
	const char *key;
	const char *value;
};

struct report {
	struct report_kv kv[REPORT_MAX_LINES];
	size_t n;
};

/*
 * Split text (NUL-terminated, modified in place) into r.  Every line must
 * be key=value with a key of [a-z0-9_.-] and a value of printable ASCII;
 * 0, or -1 with the reason in why.
 */
int report_parse(struct report *r, char *text, const char **why);

/* The value of key, or NULL. */
const char *report_get(const struct report *r, const char *key);

/* A readable report, after `netsh interface teredo show state`. */
void report_text(FILE *f, const struct report *r);

/* One JSON object: keys as given, decimal values as numbers, the
 * drop.<reason> keys as a nested object "drops". */
void report_json(FILE *f, const struct report *r);

/* "shipworm: <message>" on stderr, exit 1 (cli/main.c). */
void cli_die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/*
 * One request to the daemon's Unix stream socket at path (cli/main.c),
 * each step within CLI_TIMEOUT_S; the answer read to end of file or until
 * buf is full, NUL-terminated (*len bytes).  0, or -errno with *step
 * naming what failed: "path" (too long), "socket", "setsockopt",
 * "connect", "send" or "recv" (-EAGAIN: no answer in time).
 */
#define CLI_TIMEOUT_S	5
int cli_talk(const char *path, const char *req, char *buf, size_t size,
    size_t *len, const char **step);

#endif /* SW_CLI_REPORT_H */
