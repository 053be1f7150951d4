#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/config.h"

Test(config, defaults)
{
	struct config cf;

	config_defaults(&cf);
	cr_assert_str_eq(cf.cf_listen, "127.0.0.1:8080");
	cr_assert_eq(cf.cf_token_lifetime, 3600);
	cr_assert_eq(cf.cf_body_limit, 1048576);
	cr_assert_eq(cf.cf_argon2_memory_kib, 19456);
	cr_assert_eq(cf.cf_list_default_limit, 100);
	cr_assert_eq(cf.cf_list_max_limit, 1000);
}

Test(config, parse_buffer_ok)
{
	struct config cf;
	char err[256];

	config_defaults(&cf);
	cr_assert_eq(config_parse_buffer(&cf, "t",
	                 "# comment\n\n  listen = 0.0.0.0:9000  \n"
	                 "token_lifetime=600\r\nlog_level = debug\n",
	                 err, sizeof(err)),
	    0, "%s", err);
	cr_assert_str_eq(cf.cf_listen, "0.0.0.0:9000");
	cr_assert_eq(cf.cf_token_lifetime, 600);
	cr_assert_str_eq(cf.cf_log_level, "debug");
}

Test(config, unknown_key_names_line)
{
	struct config cf;
	char err[256];

	config_defaults(&cf);
	cr_assert_eq(config_parse_buffer(&cf, "postern.conf",
	                 "listen = x:1\nlisten_adress = y\n", err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "postern.conf:2") != NULL, "%s", err);
	cr_assert(strstr(err, "listen_adress") != NULL, "%s", err);
}

Test(config, bad_values)
{
	struct config cf;
	char err[256];
	const char *bad[] = {"token_lifetime = 59\n", "token_lifetime = -5\n",
	    "token_lifetime = 12abc\n", "token_lifetime = \n",
	    "token_lifetime = +60\n", "pool_size = 99999999999999999999\n",
	    "log_level = loud\n", "no equals sign\n",
	    "argon2_memory_kib = 1024\n", "argon2_iterations = 1\n"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&cf);
		cr_assert_eq(
		    config_parse_buffer(&cf, "f", bad[i], err, sizeof(err)), -1,
		    "accepted: %s", bad[i]);
		cr_assert(strstr(err, "f:1") != NULL, "%s", err);
	}
}

Test(config, env_overrides_file)
{
	struct config cf;
	char err[256];

	setenv("POSTERN_TOKEN_LIFETIME", "120", 1);
	setenv("POSTERN_LISTEN", "127.0.0.1:1", 1);
	cr_assert_eq(config_load(&cf, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cf.cf_token_lifetime, 120);
	cr_assert_str_eq(cf.cf_listen, "127.0.0.1:1");
	setenv("POSTERN_TOKEN_LIFETIME", "abc", 1);
	cr_assert_eq(config_load(&cf, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "POSTERN_TOKEN_LIFETIME") != NULL, "%s", err);
	unsetenv("POSTERN_TOKEN_LIFETIME");
	unsetenv("POSTERN_LISTEN");
}

Test(config, missing_file)
{
	struct config cf;
	char err[256];

	cr_assert_eq(
	    config_load(&cf, "/nonexistent/postern.conf", err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "/nonexistent/postern.conf") != NULL);
}

Test(config, default_above_max_refused)
{
	struct config cf;
	char err[256];

	setenv("POSTERN_LIST_DEFAULT_LIMIT", "500", 1);
	setenv("POSTERN_LIST_MAX_LIMIT", "100", 1);
	cr_assert_eq(config_load(&cf, NULL, err, sizeof(err)), -1);
	unsetenv("POSTERN_LIST_DEFAULT_LIMIT");
	unsetenv("POSTERN_LIST_MAX_LIMIT");
}

Test(config, db_resolution)
{
	struct config cf;

	config_defaults(&cf);
	strcpy(cf.cf_database_url, "postgresql://h/db");
	cr_assert_str_eq(config_db_url(&cf, "gateway"), "postgresql://h/db");
	strcpy(cf.cf_authd_database_url, "postgresql://other/db");
	cr_assert_str_eq(config_db_url(&cf, "authd"), "postgresql://other/db");
	cr_assert_str_eq(config_db_url(&cf, "gateway"), "postgresql://h/db");
}

Test(config, overlong_line)
{
	struct config cf;
	char err[256], *text;
	size_t n = CONFIG_STR_MAX + 500;

	text = malloc(n + 1);
	memset(text, 'a', n);
	text[n] = '\0';
	config_defaults(&cf);
	cr_assert_eq(config_parse_buffer(&cf, "f", text, err, sizeof(err)), -1);
	free(text);
}
