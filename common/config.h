/*
 * Configuration shared by both daemons: one "key = value" file, every key
 * overridable by the environment as POSTERN_<KEY>.  Each daemon reads the
 * keys it needs and ignores the rest; an unknown key is an error everywhere,
 * so a typo never silently falls back to a default.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stddef.h>

#define CONFIG_STR_MAX 1024

struct config {
	char cf_listen[CONFIG_STR_MAX];
	char cf_socket[CONFIG_STR_MAX];
	char cf_database_url[CONFIG_STR_MAX];
	char cf_gateway_database_url[CONFIG_STR_MAX];
	char cf_gateway_database_user[CONFIG_STR_MAX];
	char cf_gateway_database_password_file[CONFIG_STR_MAX];
	char cf_authd_database_url[CONFIG_STR_MAX];
	char cf_authd_database_user[CONFIG_STR_MAX];
	char cf_authd_database_password_file[CONFIG_STR_MAX];
	char cf_key_file[CONFIG_STR_MAX];
	char cf_authd_user[CONFIG_STR_MAX];
	char cf_gateway_user[CONFIG_STR_MAX];
	char cf_log_level[CONFIG_STR_MAX];
	long cf_token_lifetime;
	long cf_refresh_lifetime;
	long cf_token_leeway;
	long cf_hash_workers;
	long cf_argon2_memory_kib;
	long cf_argon2_iterations;
	long cf_argon2_parallelism;
	long cf_body_limit;
	long cf_body_memory_limit; /* all bodies in flight together */
	long cf_header_limit;
	long cf_max_connections;
	long cf_request_timeout_ms;
	long cf_idle_timeout_ms;
	long cf_pool_size;
	long cf_pool_acquire_timeout_ms;
	long cf_ipc_timeout_ms;
	long cf_ipc_max_pending;
	long cf_list_default_limit;
	long cf_list_max_limit;
	char cf_password_blocklist[CONFIG_STR_MAX];
	char cf_trusted_proxies[CONFIG_STR_MAX];
	long cf_login_limit_per_email;
	long cf_login_limit_per_email_global;
	long cf_login_limit_per_addr;
	long cf_login_limit_window;
	long cf_signup_limit_per_addr;
	long cf_signup_limit_window;
	long cf_verify_cache;
	char cf_admin_key_file[CONFIG_STR_MAX];
	char cf_log_file[CONFIG_STR_MAX];
	long cf_drain_timeout_ms;
	char cf_cors_origins[CONFIG_STR_MAX];
	char cf_socket_group[CONFIG_STR_MAX];
	long cf_seccomp;
	char cf_db_pooler[CONFIG_STR_MAX];
	char cf_listen_database_url[CONFIG_STR_MAX];
	long cf_db_timeout_ms;
};

/* One row per key; the documented table in README.md mirrors this. */
struct config_key {
	const char *ck_name;
	int ck_type; /* CONFIG_T_* */
	size_t ck_off;
	const char *ck_default;
	long ck_min;
	long ck_max;
	const char *ck_who; /* "gateway", "authd" or "both" */
};

enum { CONFIG_T_STR, CONFIG_T_INT };

void config_defaults(struct config *cf);
/* Parses one "key = value" line's worth; used by the file loader and tests. */
int config_set(struct config *cf, const char *key, const char *value, char *err,
    size_t errlen);
/* Defaults, then the file (if path is not NULL), then POSTERN_* variables. */
int config_load(struct config *cf, const char *path, char *err, size_t errlen);
int config_parse_buffer(struct config *cf, const char *name, const char *text,
    char *err, size_t errlen);
const struct config_key *config_keys(size_t *n);

/* Resolves the effective conninfo pieces for one daemon ("gateway"/"authd"). */
const char *config_db_url(const struct config *cf, const char *who);
const char *config_db_user(const struct config *cf, const char *who);
const char *config_db_password_file(const struct config *cf, const char *who);
/* LISTEN's conninfo: listen_database_url, else config_db_url(). */
const char *config_listen_url(const struct config *cf, const char *who);
/* db_pooler = transaction: unnamed statements only, LISTEN elsewhere. */
int config_pooled(const struct config *cf);

/* Reads a small secret file (first line, trailing newline stripped). */
int config_read_secret(const char *path, char *out, size_t outcap);

/* Parses the common command line: --config PATH, --help.  Returns the
 * config path or NULL; exits on --help or bad usage. */
const char *config_cmdline(int argc, char *argv[], const char *prog);

#endif
