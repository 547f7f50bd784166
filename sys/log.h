/*
 * log.h - daemon logging, after OpenBSD's log.c: to stderr in the
 * foreground, to syslog(3) otherwise, each line tagged with the process
 * ("parent", "engine").  log_warn() appends strerror(errno); log_warnx()
 * does not.  fatal()/fatalx() are for broken invariants and set-up
 * failures only; the core never logs (it returns actions).
 */
#ifndef SW_SYS_LOG_H
#define SW_SYS_LOG_H

#include <stdarg.h>
#include <stdbool.h>

void log_init(const char *progname, bool foreground, int verbose);
void log_procinit(const char *procname);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif /* SW_SYS_LOG_H */
