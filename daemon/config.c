/*
 * config.c - read, parse and complete shipwormd.conf(5) (see config.h).
 *
 * lib/conf parses and checks the text; what needs the system is done
 * here: reading the file, resolving ServerAddress names (the addresses
 * they resolve to must pass COM-V4G under the AddressPolicy, CLI-CFG-4)
 * and reading the key files, the client's KeyFile and the server's
 * ClientKey files, each of which must be a regular file that neither
 * group nor others may access.  Every error is one line that names the
 * file and the setting.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "check.h"
#include "config.h"
#include "os.h"

static const char *const policy_names[] = {
	[SW_V4_HARDENED] = "hardened",
	[SW_V4_STRICT] = "strict",
	[SW_V4_LAB] = "lab",
};

static const char *
policy_name(enum sw_v4_policy p)
{
	return (unsigned)p < sizeof policy_names / sizeof policy_names[0] ?
	    policy_names[p] : "?";
}

static int
fail(char err[static CONFIG_ERR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(char err[static CONFIG_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, CONFIG_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* The whole file into buf (NUL-terminated); its length, or -1. */
static ssize_t
read_file(const char *path, char *buf, size_t size,
    char err[static CONFIG_ERR_MAX])
{
	ssize_t len = sys_read_small(path, 0, buf, size);

	if (len == -EINVAL)
		return fail(err, "%s: not a regular file", path);
	if (len == -EFBIG)
		return fail(err, "%s: larger than %zu bytes", path, size - 1);
	if (len < 0)
		return fail(err, "%s: %s", path, strerror((int)-len));
	return len;
}

/*
 * lib/conf says "line N: Setting: why" or "Setting: why"; the daemon says
 * "file:N: Setting: why" or "file: Setting: why".
 */
static int
conf_error(const char *path, const char *msg, char err[static CONFIG_ERR_MAX])
{
	unsigned line;
	int used = 0;

	if (sscanf(msg, "line %u: %n", &line, &used) == 1 && used > 0)
		return fail(err, "%s:%u: %s", path, line, msg + used);
	return fail(err, "%s: %s", path, msg);
}

/* A host name or dotted quad to one IPv4 address (host order). */
static int
resolve4(const char *path, const char *host, uint32_t *out,
    char err[static CONFIG_ERR_MAX])
{
	const struct addrinfo hints = {
		.ai_family = AF_INET,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *res = NULL;
	int r;

	if (sw_addr_parse4(host, out) == 0)
		return 0;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0)
		return fail(err, "%s: ServerAddress: cannot resolve '%s': %s",
		    path, host, r == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(r));
	if (res == NULL || res->ai_family != AF_INET ||
	    res->ai_addrlen < sizeof(struct sockaddr_in)) {
		freeaddrinfo(res);
		return fail(err, "%s: ServerAddress: '%s' has no IPv4 "
		    "address", path, host);
	}
	*out = ntohl(((const struct sockaddr_in *)(const void *)
	    res->ai_addr)->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

/* CLI-CFG-4: every server address, resolved, must be global unicast. */
static int
resolve_servers(struct config *cf, char err[static CONFIG_ERR_MAX])
{
	const struct sw_v4_check chk = { .policy = cf->conf.v4_policy };
	const char *pol = policy_name(cf->conf.v4_policy);
	char a4[16];

	cf->n_servers = 0;
	for (unsigned i = 0; i < cf->conf.n_servers &&
	    i < SW_CONF_MAX_SERVERS; i++) {
		const struct sw_conf_server *s = &cf->conf.servers[i];
		struct sw_client_server *r = &cf->servers[i];

		if (resolve4(cf->path, s->primary, &r->primary, err) != 0)
			return -1;
		if (!sw_check_v4_global(&chk, r->primary))
			return fail(err, "%s: ServerAddress: '%s' resolves "
			    "to %s, which is not a global unicast IPv4 "
			    "address (AddressPolicy %s)", cf->path,
			    s->primary, sw_addr_format4(r->primary, a4), pol);
		if (s->secondary[0] != '\0') {
			if (resolve4(cf->path, s->secondary, &r->secondary,
			    err) != 0)
				return -1;
			if (!sw_check_v4_global(&chk, r->secondary))
				return fail(err, "%s: ServerAddress: "
				    "secondary '%s' resolves to %s, which is "
				    "not a global unicast IPv4 address "
				    "(AddressPolicy %s)", cf->path,
				    s->secondary,
				    sw_addr_format4(r->secondary, a4), pol);
		} else {
			/* CLI-CFG-1: primary + 1 */
			r->secondary = r->primary + 1;
			if (!sw_check_v4_global(&chk, r->secondary))
				return fail(err, "%s: ServerAddress: "
				    "secondary %s ('%s' + 1) is not a global "
				    "unicast IPv4 address (AddressPolicy %s); "
				    "give the secondary explicitly", cf->path,
				    sw_addr_format4(r->secondary, a4),
				    s->primary, pol);
		}
		if (r->secondary == r->primary)
			return fail(err, "%s: ServerAddress: '%s' and its "
			    "secondary are the same address %s", cf->path,
			    s->primary, sw_addr_format4(r->primary, a4));
		cf->n_servers++;
	}
	return 0;
}

/*
 * A key file (KeyFile, ClientKey) holds the shared secret byte for byte
 * (1..SW_AUTH_KEY_MAX bytes, a final newline included if there is one).
 * It must be a regular file owned by root (or by us) that group and
 * others cannot access.  The secret goes to key (*key_len bytes); on an
 * error nothing is left in key.
 */
static int
read_secret(const char *conf, const char *setting, const char *kf,
    uint8_t key[static SW_AUTH_KEY_MAX], size_t *key_len,
    char err[static CONFIG_ERR_MAX])
{
	uint8_t buf[SW_AUTH_KEY_MAX + 1];
	char why[96];
	struct stat st;
	ssize_t n;
	int fd, r;

	*key_len = 0;
	fd = open(kf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK);
	if (fd == -1)
		return fail(err, "%s: %s: '%s': %s", conf, setting, kf,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		int e = errno;

		close(fd);
		return fail(err, "%s: %s: '%s': %s", conf, setting, kf,
		    strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, "%s: %s: '%s' is not a regular file", conf,
		    setting, kf);
	}
	if ((r = sys_file_trusted(&st, S_IRWXG | S_IRWXO, why,
	    sizeof why)) != 0) {
		close(fd);
		return fail(err, "%s: %s: '%s' %s%s", conf, setting, kf, why,
		    r == -EACCES ? "; it must be 0600 or stricter" : "");
	}
	do
		n = read(fd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == -1)
		return fail(err, "%s: %s: '%s': %s", conf, setting, kf,
		    strerror(errno));
	if (n == 0 || (size_t)n > SW_AUTH_KEY_MAX) {
		explicit_bzero(buf, sizeof buf);
		return fail(err, "%s: %s: '%s' must hold 1 to %d bytes", conf,
		    setting, kf, SW_AUTH_KEY_MAX);
	}
	memcpy(key, buf, (size_t)n);
	*key_len = (size_t)n;
	explicit_bzero(buf, sizeof buf);
	return 0;
}

/* The client's KeyFile, kept until the engine has keyed its MAC. */
static int
read_key(struct config *cf, char err[static CONFIG_ERR_MAX])
{
	cf->key_len = 0;
	if (cf->conf.key_file[0] == '\0')
		return 0;
	return read_secret(cf->path, "KeyFile", cf->conf.key_file, cf->key,
	    &cf->key_len, err);
}

/*
 * The server's ClientKey files (CLI-SQ-*, SRV-RA-6): each read with the
 * checks of a KeyFile and turned into a keyed MAC at once; only the MAC
 * contexts are kept.  On an error, those already made are freed.
 */
static int
read_client_keys(struct config *cf, char err[static CONFIG_ERR_MAX])
{
	uint8_t key[SW_AUTH_KEY_MAX];
	size_t key_len;
	int r;

	cf->n_client_auth = 0;
	for (unsigned i = 0; i < cf->conf.n_client_keys &&
	    i < SW_CONF_MAX_CLIENT_KEYS; i++) {
		const char *kf = cf->conf.client_keys[i].key_file;

		if (read_secret(cf->path, "ClientKey", kf, key, &key_len,
		    err) != 0) {
			config_wipe(cf);
			return -1;
		}
		r = sw_auth_new(&cf->client_auth[i], key, key_len);
		explicit_bzero(key, sizeof key);
		if (r != 0) {
			config_wipe(cf);
			return fail(err, "%s: ClientKey: '%s': cannot key the "
			    "MAC: %s", cf->path, kf, strerror(-r));
		}
		cf->n_client_auth = i + 1;
	}
	return 0;
}

struct sw_auth *
config_client_key(void *ctx, const uint8_t *id, uint8_t id_len)
{
	const struct config *cf = ctx;

	/* Linear: at most SW_CONF_MAX_CLIENT_KEYS, and only for RSs.  The
	 * id is not secret (it travels in clear). */
	for (unsigned i = 0; i < cf->n_client_auth &&
	    i < SW_CONF_MAX_CLIENT_KEYS; i++) {
		const struct sw_conf_client_key *k = &cf->conf.client_keys[i];

		if (k->id_len == id_len && memcmp(k->id, id, id_len) == 0)
			return cf->client_auth[i];
	}
	return NULL;
}

int
config_load(struct config *cf, const char *path,
    char err[static CONFIG_ERR_MAX])
{
	static char text[CONFIG_FILE_MAX];
	char cerr[SW_CONF_ERR_MAX];
	ssize_t len;

	memset(cf, 0, sizeof *cf);
	cf->path = path;
	err[0] = '\0';
	if ((len = read_file(path, text, sizeof text, err)) < 0)
		return -1;
	if (sw_conf_parse(&cf->conf, text, (size_t)len, cerr) != 0)
		return conf_error(path, cerr, err);
	switch (cf->conf.role) {
	case SW_ROLE_CLIENT:
		if (resolve_servers(cf, err) != 0 || read_key(cf, err) != 0)
			return -1;
		break;
	case SW_ROLE_SERVER:
		if (read_client_keys(cf, err) != 0)
			return -1;
		break;
	case SW_ROLE_RELAY:
		break;
	default:
		return fail(err, "%s: Role: %s is not implemented by this "
		    "shipwormd", path, sw_role_name(cf->conf.role));
	}
	return 0;
}

void
config_wipe(struct config *cf)
{
	explicit_bzero(cf->key, sizeof cf->key);
	cf->key_len = 0;
	for (unsigned i = 0; i < SW_CONF_MAX_CLIENT_KEYS; i++) {
		sw_auth_free(cf->client_auth[i]);
		cf->client_auth[i] = NULL;
	}
	cf->n_client_auth = 0;
}
