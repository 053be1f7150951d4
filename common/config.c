#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/config.h"
#include "common/log.h"
#include "common/util.h"

#define S(f) offsetof(struct config, f)
#define KSTR(n, f, d, w)                                                       \
	{                                                                      \
		n, CONFIG_T_STR, S(f), d, 0, 0, w                              \
	}
#define KINT(n, f, d, lo, hi, w)                                               \
	{                                                                      \
		n, CONFIG_T_INT, S(f), d, lo, hi, w                            \
	}

static const struct config_key config_table[] = {
    KSTR("listen", cf_listen, "127.0.0.1:8080", "gateway"),
    KSTR("socket", cf_socket, "/run/postern/authd.sock", "both"),
    KSTR("database_url", cf_database_url, "", "both"),
    KSTR("gateway_database_url", cf_gateway_database_url, "", "gateway"),
    KSTR("gateway_database_user", cf_gateway_database_user, "", "gateway"),
    KSTR("gateway_database_password_file", cf_gateway_database_password_file,
        "", "gateway"),
    KSTR("authd_database_url", cf_authd_database_url, "", "authd"),
    KSTR("authd_database_user", cf_authd_database_user, "", "authd"),
    KSTR("authd_database_password_file", cf_authd_database_password_file, "",
        "authd"),
    KSTR("key_file", cf_key_file, "/var/lib/postern/signing.key", "authd"),
    KSTR("authd_user", cf_authd_user, "postern", "authd"),
    KSTR("gateway_user", cf_gateway_user, "", "both"),
    KSTR("log_level", cf_log_level, "info", "both"),
    KINT("token_lifetime", cf_token_lifetime, "3600", 60, 2592000, "authd"),
    KINT("refresh_lifetime", cf_refresh_lifetime, "2592000", 300, 31536000,
        "authd"),
    KINT("token_leeway", cf_token_leeway, "30", 0, 300, "authd"),
    KINT("hash_workers", cf_hash_workers, "2", 1, 64, "authd"),
    KINT("argon2_memory_kib", cf_argon2_memory_kib, "19456", 19456, 4194304,
        "authd"),
    KINT("argon2_iterations", cf_argon2_iterations, "2", 2, 100, "authd"),
    KINT("argon2_parallelism", cf_argon2_parallelism, "1", 1, 16, "authd"),
    KINT("body_limit", cf_body_limit, "1048576", 1024, 67108864, "gateway"),
    KINT("body_memory_limit", cf_body_memory_limit, "67108864", 1024,
        17179869184L, "gateway"),
    KINT("header_limit", cf_header_limit, "16384", 1024, 1048576, "gateway"),
    KINT("max_connections", cf_max_connections, "1024", 1, 100000, "gateway"),
    KINT("request_timeout_ms", cf_request_timeout_ms, "30000", 100, 3600000,
        "gateway"),
    KINT("idle_timeout_ms", cf_idle_timeout_ms, "60000", 100, 3600000,
        "gateway"),
    KINT("pool_size", cf_pool_size, "4", 1, 256, "gateway"),
    KINT("pool_acquire_timeout_ms", cf_pool_acquire_timeout_ms, "5000", 1,
        600000, "gateway"),
    KINT("ipc_timeout_ms", cf_ipc_timeout_ms, "5000", 50, 600000, "gateway"),
    KINT("ipc_max_pending", cf_ipc_max_pending, "1024", 1, 1000000, "gateway"),
    KINT("list_default_limit", cf_list_default_limit, "100", 1, 1000000,
        "gateway"),
    KINT("list_max_limit", cf_list_max_limit, "1000", 1, 1000000, "gateway"),
    KSTR("password_blocklist", cf_password_blocklist,
        "/usr/share/john/password.lst", "authd"),
    KSTR("trusted_proxies", cf_trusted_proxies, "", "gateway"),
    KINT("verify_cache", cf_verify_cache, "8192", 0, 1000000, "gateway"),
    KSTR("admin_key_file", cf_admin_key_file, "/var/lib/postern/admin.key",
        "gateway"),
    KSTR("log_file", cf_log_file, "", "both"),
    KINT(
        "drain_timeout_ms", cf_drain_timeout_ms, "10000", 0, 600000, "gateway"),
    KSTR("cors_origins", cf_cors_origins, "", "gateway"),
    KSTR("socket_group", cf_socket_group, "", "authd"),
    KINT("seccomp", cf_seccomp, "1", 0, 1, "authd"),
    KINT("login_limit_per_email", cf_login_limit_per_email, "10", 1, 1000000,
        "authd"),
    KINT("login_limit_per_email_global", cf_login_limit_per_email_global, "100",
        1, 1000000, "authd"),
    KINT("login_limit_per_addr", cf_login_limit_per_addr, "100", 1, 1000000,
        "authd"),
    KINT("login_limit_window", cf_login_limit_window, "900", 1, 86400, "authd"),
    KINT("signup_limit_per_addr", cf_signup_limit_per_addr, "100", 1, 1000000,
        "authd"),
    KINT("signup_limit_window", cf_signup_limit_window, "3600", 1, 86400,
        "authd"),
    KSTR("db_pooler", cf_db_pooler, "", "both"),
    KSTR("listen_database_url", cf_listen_database_url, "", "both"),
    KINT("db_timeout_ms", cf_db_timeout_ms, "5000", 100, 600000, "both"),
};

const struct config_key *
config_keys(size_t *n)
{
	*n = sizeof(config_table) / sizeof(config_table[0]);
	return config_table;
}

static const struct config_key *
config_find(const char *key)
{
	size_t i, n;
	const struct config_key *t = config_keys(&n);

	for (i = 0; i < n; i++)
		if (strcmp(t[i].ck_name, key) == 0)
			return &t[i];
	return NULL;
}

static int
config_apply(struct config *cf, const struct config_key *k, const char *value,
    char *err, size_t errlen)
{
	char *end;
	long v;

	if (k->ck_type == CONFIG_T_STR) {
		if (strlen(value) >= CONFIG_STR_MAX) {
			snprintf(err, errlen, "%s: value too long", k->ck_name);
			return -1;
		}
		x_strlcpy((char *)cf + k->ck_off, value, CONFIG_STR_MAX);
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || v < k->ck_min ||
	    v > k->ck_max || !isdigit((unsigned char)value[0])) {
		snprintf(err, errlen,
		    "%s: expected an integer from %ld to %ld, got \"%.64s\"",
		    k->ck_name, k->ck_min, k->ck_max, value);
		return -1;
	}
	*(long *)(void *)((char *)cf + k->ck_off) = v;
	return 0;
}

int
config_set(struct config *cf, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct config_key *k;

	if ((k = config_find(key)) == NULL) {
		snprintf(err, errlen, "unknown key \"%.64s\"", key);
		return -1;
	}
	if (config_apply(cf, k, value, err, errlen) == -1)
		return -1;
	if (strcmp(key, "log_level") == 0 && log_level_parse(value) == -1) {
		snprintf(err, errlen,
		    "log_level: expected error, warn, info or debug");
		return -1;
	}
	return 0;
}

void
config_defaults(struct config *cf)
{
	size_t i, n;
	const struct config_key *t = config_keys(&n);
	char err[256];

	memset(cf, 0, sizeof(*cf));
	for (i = 0; i < n; i++)
		if (config_apply(
		        cf, &t[i], t[i].ck_default, err, sizeof(err)) == -1)
			fatalx("config default broken: %s", err);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
config_parse_buffer(struct config *cf, const char *name, const char *text,
    char *err, size_t errlen)
{
	char line[CONFIG_STR_MAX + 128], msg[256], *k, *v, *eq;
	const char *p = text, *nl;
	size_t len;
	int lineno = 0;

	while (*p != '\0') {
		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			snprintf(
			    err, errlen, "%s:%d: line too long", name, lineno);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;
		if (memchr(line, '\0', len) != NULL) {
			snprintf(err, errlen, "%s:%d: NUL byte", name, lineno);
			return -1;
		}
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"",
			    name, lineno);
			return -1;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (config_set(cf, k, v, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			return -1;
		}
	}
	return 0;
}

static int
config_env(struct config *cf, char *err, size_t errlen)
{
	size_t i, j, n;
	const struct config_key *t = config_keys(&n);
	char envname[128], msg[256];
	const char *v;

	for (i = 0; i < n; i++) {
		snprintf(envname, sizeof(envname), "POSTERN_");
		for (j = 0;
		     t[i].ck_name[j] != '\0' && 8 + j + 1 < sizeof(envname);
		     j++)
			envname[8 + j] =
			    (char)toupper((unsigned char)t[i].ck_name[j]);
		envname[8 + j] = '\0';
		if ((v = getenv(envname)) == NULL)
			continue;
		if (config_set(cf, t[i].ck_name, v, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s: %s", envname, msg);
			return -1;
		}
	}
	return 0;
}

int
config_load(struct config *cf, const char *path, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *text = NULL;
	size_t cap = 0, len = 0, r;
	int rv = -1;

	config_defaults(cf);
	if (path != NULL) {
		if ((f = fopen(path, "r")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		for (;;) {
			if (len + 4096 + 1 > cap) {
				char *nt;
				if (cap > 1024 * 1024) {
					snprintf(
					    err, errlen, "%s: too large", path);
					goto fail;
				}
				cap = cap ? cap * 2 : 8192;
				if ((nt = realloc(text, cap)) == NULL) {
					snprintf(err, errlen, "out of memory");
					goto fail;
				}
				text = nt;
			}
			r = fread(text + len, 1, 4096, f);
			len += r;
			if (r < 4096)
				break;
		}
		if (ferror(f)) {
			snprintf(err, errlen, "%s: read error", path);
			goto fail;
		}
		text[len] = '\0';
		if (strlen(text) != len) {
			snprintf(err, errlen, "%s: NUL byte in file", path);
			goto fail;
		}
		if (config_parse_buffer(cf, path, text, err, errlen) == -1)
			goto fail;
	}
	if (config_env(cf, err, errlen) == -1)
		goto fail;
	if (cf->cf_list_default_limit > cf->cf_list_max_limit) {
		snprintf(err, errlen,
		    "list_default_limit must not exceed list_max_limit");
		goto fail;
	}
	if (cf->cf_db_pooler[0] != '\0' &&
	    strcmp(cf->cf_db_pooler, "none") != 0 &&
	    strcmp(cf->cf_db_pooler, "transaction") != 0) {
		snprintf(err, errlen,
		    "db_pooler must be none or transaction, not \"%.64s\"",
		    cf->cf_db_pooler);
		goto fail;
	}
	rv = 0;
fail:
	if (f != NULL)
		fclose(f);
	free(text);
	return rv;
}

const char *
config_db_url(const struct config *cf, const char *who)
{
	const char *s = strcmp(who, "gateway") == 0
	                    ? cf->cf_gateway_database_url
	                    : cf->cf_authd_database_url;

	return s[0] != '\0' ? s : cf->cf_database_url;
}

const char *
config_listen_url(const struct config *cf, const char *who)
{
	return cf->cf_listen_database_url[0] != '\0'
	           ? cf->cf_listen_database_url
	           : config_db_url(cf, who);
}

int
config_pooled(const struct config *cf)
{
	return strcmp(cf->cf_db_pooler, "transaction") == 0;
}

const char *
config_db_user(const struct config *cf, const char *who)
{
	return strcmp(who, "gateway") == 0 ? cf->cf_gateway_database_user
	                                   : cf->cf_authd_database_user;
}

const char *
config_db_password_file(const struct config *cf, const char *who)
{
	return strcmp(who, "gateway") == 0
	           ? cf->cf_gateway_database_password_file
	           : cf->cf_authd_database_password_file;
}

int
config_read_secret(const char *path, char *out, size_t outcap)
{
	ssize_t n;
	int fd, rv = -1;
	size_t len;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, out, outcap - 1);
	if (n < 0 || (size_t)n >= outcap - 1)
		goto fail;
	out[n] = '\0';
	len = strcspn(out, "\r\n");
	out[len] = '\0';
	if (len == 0)
		goto fail;
	rv = 0;
fail:
	if (rv == -1)
		OPENSSL_cleanse(out, outcap);
	close(fd);
	return rv;
}

const char *
config_cmdline(int argc, char *argv[], const char *prog)
{
	const char *path = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--help") == 0 ||
		         strcmp(argv[i], "-h") == 0) {
			printf("usage: %s [--config FILE]\n"
			       "Settings come from FILE (key = value) and "
			       "POSTERN_<KEY> environment variables.\n",
			    prog);
			exit(0);
		} else {
			fprintf(stderr, "usage: %s [--config FILE]\n", prog);
			exit(2);
		}
	}
	if (path == NULL && access("/etc/postern/postern.conf", R_OK) == 0)
		path = "/etc/postern/postern.conf";
	return path;
}
