/*
 * log.c - daemon logging after OpenBSD's log.c (see log.h).
 *
 * In the foreground every line goes to stderr as "procname: message";
 * otherwise to syslog(3) with LOG_DAEMON, the process tag still leading
 * the message so that the parent's and the engine's lines can be told
 * apart.  log_debug() prints only when verbose > 0.  errno is preserved
 * across every call, so that log_warn() can be used between a failing
 * call and a "return -errno".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool		 log_foreground = true;
static int		 log_verbose;
static const char	*log_procname;

static void	vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	logit(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	vfatalc(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0), noreturn));

void
log_init(const char *progname, bool foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	log_procname = progname;

	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved_errno = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (log_procname != NULL)
			fprintf(stderr, "%s: %s\n", log_procname, msg);
		else
			fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else {
		if (log_procname != NULL)
			syslog(pri, "%s: %s", log_procname, msg);
		else
			syslog(pri, "%s", msg);
	}
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* The message, then ": strerror(code)" when code != 0. */
static void
vlogc(int pri, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vlogc(int pri, int code, const char *fmt, va_list ap)
{
	char	 msg[1024];

	if (fmt == NULL) {
		if (code != 0)
			logit(pri, "%s", strerror(code));
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code != 0)
		logit(pri, "%s: %s", msg, strerror(code));
	else
		logit(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlogc(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static void
vfatalc(int code, const char *fmt, va_list ap)
{
	vlogc(LOG_CRIT, code, fmt, ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vfatalc(saved_errno, fmt, ap);
	/* NOTREACHED */
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatalc(0, fmt, ap);
	/* NOTREACHED */
}
