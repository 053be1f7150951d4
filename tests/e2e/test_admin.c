/*
 * The builder API (/_admin, docs/builder.md) against the fixture's stack:
 *
 *   - the admin key: required, compared exactly, a user's token refused,
 *     the key file created with mode 0600 and refused when others can read
 *     it (a gateway of our own, started on a throwaway config);
 *   - tables: listed from the catalog, created from a typed column list,
 *     invalid definitions refused with 400 and no table left behind, an
 *     existing name 409;
 *   - endpoints: auth groups and data endpoints created, listed, deleted,
 *     with their checks, and 409 on a route that exists;
 *   - the tutorial done purely through the admin API;
 *   - the live registry: an endpoint created through the fixture's gateway
 *     answers on a second gateway+authd pair within one second.
 *
 * Every test makes up its own table and path names, so they run in
 * parallel with each other and with the other suites.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP 4096
#define KEYCAP 1100
#define LIVE_DEADLINE_MS 1000

extern char **environ;

static char admin_key[KEYCAP];

static void
admin_setup(void)
{
	e2e_setup();
	e2e_admin_key(admin_key, sizeof(admin_key));
	cr_assert(strlen(admin_key) >= 32, "the admin key is too short");
}

static void admin_fini(void);

TestSuite(admin, .init = admin_setup, .fini = admin_fini, .timeout = 60);

/* An /_admin request with the admin key; the status. */
static long
admin(const char *method, const char *path, const char *body,
    struct e2e_resp *keep)
{
	struct e2e_resp r;
	long st;

	cr_assert(e2e_call(method, path, admin_key, NULL, body, &r) == 0,
	    "%s %s: no answer", method, path);
	st = r.er_status;
	if (keep != NULL)
		*keep = r;
	else
		e2e_resp_free(&r);
	return st;
}

/* A fresh lowercase name: prefix_<16 hex digits>. */
static void
fresh(char *out, size_t outlen, const char *prefix)
{
	char hex[17];

	e2e_rand_hex(hex, sizeof(hex), 8);
	cr_assert((size_t)snprintf(out, outlen, "%s_%s", prefix, hex) < outlen);
}

static void
create_table(const char *name, const char *columns)
{
	struct e2e_resp r;
	struct buf b;

	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"name\":\"%s\",\"columns\":%s}", name,
	              columns) == 0);
	cr_assert_eq(admin("POST", "/_admin/tables", b.b_data, &r), 201,
	    "create table %s: %ld %s", name, r.er_status, e2e_body(&r));
	e2e_resp_free(&r);
	buf_free(&b);
}

/* Creates an endpoint from a JSON definition; returns its id. */
static long long
create_endpoint(const char *def)
{
	struct e2e_resp r;
	struct json_object *id;
	char loc[128], want[128];
	long long v;

	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 201,
	    "create endpoint %s: %ld %s", def, r.er_status, e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	              json_object_object_get_ex(r.er_json, "id", &id) &&
	              json_object_is_type(id, json_type_int),
	    "no id: %s", e2e_body(&r));
	v = json_object_get_int64(id);
	snprintf(want, sizeof(want), "/_admin/endpoints/%lld", v);
	cr_assert(e2e_header(&r, "Location", loc, sizeof(loc)) == 0 &&
	              strcmp(loc, want) == 0,
	    "Location should be %s", want);
	e2e_resp_free(&r);
	return v;
}

/* Whether public.<name> exists (admin SQL). */
static int
table_exists(const char *name)
{
	char v[16];

	cr_assert(
	    e2e_sql_value(v, sizeof(v),
	        "select to_regclass('public.%s') is not null", name) == 0);
	return strcmp(v, "t") == 0;
}

/* The table object of name in a GET /_admin/tables answer, or NULL. */
static struct json_object *
find_table(struct json_object *list, const char *name)
{
	struct json_object *t, *n;
	size_t i;

	cr_assert(list != NULL && json_object_is_type(list, json_type_array));
	for (i = 0; i < json_object_array_length(list); i++) {
		t = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(t, "name", &n) &&
		    strcmp(json_object_get_string(n), name) == 0)
			return t;
	}
	return NULL;
}

/* ------------------------------------------------------------ the key */

Test(admin, key_required)
{
	static const char *const wrong[] = {
	    "Authorization: Bearer not-the-admin-key", NULL};
	static const char *const basic[] = {
	    "Authorization: Basic YWRtaW46YWRtaW4=", NULL};
	struct e2e_resp r;
	char h[256], altered[KEYCAP];

	cr_assert(e2e_call("GET", "/_admin/tables", NULL, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	cr_assert(e2e_header(&r, "WWW-Authenticate", h, sizeof(h)) == 0 &&
	          strncmp(h, "Bearer", 6) == 0);
	e2e_resp_free(&r);

	cr_assert(
	    e2e_call("GET", "/_admin/tables", NULL, wrong, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	cr_assert(e2e_header(&r, "WWW-Authenticate", h, sizeof(h)) == 0 &&
	          strstr(h, "invalid_token") != NULL);
	e2e_resp_free(&r);

	cr_assert(
	    e2e_call("GET", "/_admin/tables", NULL, basic, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);

	/* One character off, and a prefix of the key, are wrong keys. */
	memcpy(altered, admin_key, strlen(admin_key) + 1);
	altered[0] = altered[0] == 'A' ? 'B' : 'A';
	cr_assert(
	    e2e_call("GET", "/_admin/endpoints", altered, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
	altered[0] = admin_key[0];
	altered[strlen(altered) - 1] = '\0';
	cr_assert(
	    e2e_call("GET", "/_admin/endpoints", altered, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);

	/* Unknown admin routes are not revealed without the key. */
	cr_assert(e2e_call("GET", "/_admin/nope", NULL, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
	cr_assert_eq(admin("GET", "/_admin/nope", NULL, &r), 404);
	e2e_assert_error(&r, 404);
	e2e_resp_free(&r);

	cr_assert_eq(admin("GET", "/_admin/tables", NULL, NULL), 200);
}

Test(admin, user_token_refused)
{
	char email[128], tok[TOKCAP];
	struct e2e_resp r;

	e2e_email(email, sizeof(email), "admin-user");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	cr_assert(e2e_call("GET", "/_admin/tables", tok, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
	cr_assert(e2e_call("POST", "/_admin/endpoints", tok, NULL,
	              "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/x\","
	              "\"table\":\"table_1\",\"op\":\"list\"}",
	              &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
}

Test(admin, key_file_mode)
{
	char path[E2E_PATH_MAX];
	struct stat sb;

	cr_assert(e2e_conf_get("admin_key_file", path, sizeof(path)) == 0);
	cr_assert(stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	cr_assert_eq(sb.st_mode & 0777, 0600, "%s has mode %o", path,
	    (unsigned)(sb.st_mode & 0777));
	/* 32 random bytes, base64url without padding. */
	cr_assert_eq(strlen(admin_key), 43);
	cr_assert_eq(
	    strspn(admin_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                      "opqrstuvwxyz0123456789-_"),
	    43);
}

/* ------------------------------------ a gateway on a throwaway config */

/* Whether a config line sets one of keys (NULL-terminated). */
static int
conf_line_sets(const char *line, const char *const *keys)
{
	const char *p = line;
	size_t i, n;

	while (isspace((unsigned char)*p))
		p++;
	for (i = 0; keys[i] != NULL; i++) {
		n = strlen(keys[i]);
		if (strncmp(p, keys[i], n) == 0 &&
		    (p[n] == ' ' || p[n] == '\t' || p[n] == '='))
			return 1;
	}
	return 0;
}

/*
 * Copies the fixture's config to conf, replacing the keys of extra
 * (NULL-terminated "key = value" lines).
 */
static void
conf_copy(const char *conf, const char *const *keys, const char *extra)
{
	char line[2048];
	FILE *in, *out;
	int fd;

	cr_assert((in = fopen(e2e_cf.ee_conf, "r")) != NULL);
	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fd != -1 && (out = fdopen(fd, "w")) != NULL);
	while (fgets(line, sizeof(line), in) != NULL)
		if (!conf_line_sets(line, keys))
			fputs(line, out);
	fputs(extra, out);
	fclose(in);
	cr_assert(fclose(out) == 0);
}

/* Starts build/postern-<name> --config conf, output to log, without any
 * POSTERN_* variable of ours. */
static pid_t
spawn_daemon(const char *name, const char *conf, const char *log)
{
	char bin[E2E_PATH_MAX + 32];

	snprintf(bin, sizeof(bin), "%s/postern-%s", e2e_cf.ee_build_dir, name);
	return e2e_spawn_daemon(bin, conf, log);
}

static const char *const gw_keys[] = {
    "listen", "socket", "admin_key_file", NULL};

Test(admin, key_file_created_0600)
{
	char dir[] = "/tmp/postern-admkey.XXXXXX", conf[128], key[128],
	     log[128], extra[512], buf[128];
	struct stat sb;
	int64_t deadline;
	pid_t pid;
	FILE *fp;
	size_t n;

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	snprintf(key, sizeof(key), "%s/admin.key", dir);
	snprintf(log, sizeof(log), "%s/gateway.log", dir);
	snprintf(extra, sizeof(extra),
	    "listen = 127.0.0.1:%d\nsocket = %s/none.sock\n"
	    "admin_key_file = %s\n",
	    e2e_free_port(), dir, key);
	conf_copy(conf, gw_keys, extra);
	pid = spawn_daemon("gateway", conf, log);
	deadline = e2e_now_ms() + 10000;
	while (stat(key, &sb) == -1 || sb.st_size < 43) {
		cr_assert(e2e_now_ms() < deadline, "no key made (log %s)", log);
		e2e_sleep_ms(20);
	}
	e2e_child_stop(&pid);
	cr_assert_eq(
	    sb.st_mode & 0777, 0600, "mode %o", (unsigned)(sb.st_mode & 0777));
	cr_assert((fp = fopen(key, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	cr_assert(n == 44 && buf[43] == '\n', "key file: %zu bytes", n);
	unlink(key);
	unlink(conf);
	unlink(log);
	rmdir(dir);
}

Test(admin, key_file_readable_by_others_refused)
{
	char dir[] = "/tmp/postern-admkey.XXXXXX", conf[128], key[128],
	     log[128], extra[512];
	int64_t deadline;
	pid_t pid;
	int fd, st;

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	snprintf(key, sizeof(key), "%s/admin.key", dir);
	snprintf(log, sizeof(log), "%s/gateway.log", dir);
	cr_assert((fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	cr_assert(
	    write(fd, "0123456789abcdef0123456789abcdef0123\n", 37) == 37);
	close(fd);
	cr_assert(chmod(key, 0644) == 0);
	snprintf(extra, sizeof(extra),
	    "listen = 127.0.0.1:%d\nsocket = %s/none.sock\n"
	    "admin_key_file = %s\n",
	    e2e_free_port(), dir, key);
	conf_copy(conf, gw_keys, extra);
	pid = spawn_daemon("gateway", conf, log);
	deadline = e2e_now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (e2e_now_ms() >= deadline) {
			e2e_child_stop(&pid);
			cr_assert_fail("the gateway ran with a 0644 admin key");
		}
		e2e_sleep_ms(20);
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	unlink(key);
	unlink(conf);
	unlink(log);
	rmdir(dir);
}

/* ---------------------------------------------------------- tables */

Test(admin, tables_list)
{
	struct e2e_resp r;
	struct json_object *t, *cols, *c, *v, *pk;
	size_t i;
	int seen_email = 0;

	cr_assert_eq(admin("GET", "/_admin/tables", NULL, &r), 200);
	cr_assert((t = find_table(r.er_json, "users")) != NULL,
	    "users not listed: %s", e2e_body(&r));
	cr_assert(json_object_object_get_ex(t, "auth_capable", &v) &&
	          json_object_get_boolean(v));
	cr_assert(
	    json_object_object_get_ex(t, "primary_key", &pk) &&
	    json_object_array_length(pk) == 1 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(pk, 0)),
	        "id") == 0);
	cr_assert(json_object_object_get_ex(t, "columns", &cols));
	for (i = 0; i < json_object_array_length(cols); i++) {
		c = json_object_array_get_idx(cols, i);
		cr_assert(json_object_object_get_ex(c, "name", &v));
		if (strcmp(json_object_get_string(v), "email") != 0)
			continue;
		seen_email = 1;
		cr_assert(json_object_object_get_ex(c, "type", &v) &&
		          strcmp(json_object_get_string(v), "text") == 0);
		cr_assert(json_object_object_get_ex(c, "not_null", &v) &&
		          json_object_get_boolean(v));
		cr_assert(json_object_object_get_ex(c, "unique", &v) &&
		          json_object_get_boolean(v));
		cr_assert(json_object_object_get_ex(c, "default", NULL));
	}
	cr_assert(seen_email);
	/* table_1 cannot back an auth group. */
	cr_assert((t = find_table(r.er_json, "table_1")) != NULL);
	cr_assert(json_object_object_get_ex(t, "auth_capable", &v) &&
	          !json_object_get_boolean(v));
	e2e_resp_free(&r);
}

Test(admin, tables_create)
{
	char name[64], v[8];
	struct e2e_resp r;
	struct json_object *t, *cols, *c, *jv;

	fresh(name, sizeof(name), "adm_t");
	create_table(name,
	    "[{\"name\":\"title\",\"type\":\"text\",\"not_null\":true},"
	    "{\"name\":\"done\",\"type\":\"boolean\",\"default\":false},"
	    "{\"name\":\"n\",\"type\":\"integer\",\"default\":7},"
	    "{\"name\":\"code\",\"type\":\"uuid\",\"unique\":true,"
	    "\"default\":\"gen_random_uuid()\"},"
	    "{\"name\":\"at\",\"type\":\"timestamptz\",\"default\":\"now()\"},"
	    "{\"name\":\"meta\",\"type\":\"jsonb\",\"default\":{\"a\":[1]}},"
	    "{\"name\":\"price\",\"type\":\"numeric\"},"
	    "{\"name\":\"big\",\"type\":\"bigint\"},"
	    "{\"name\":\"day\",\"type\":\"date\"}]");
	cr_assert(table_exists(name));
	cr_assert_eq(admin("GET", "/_admin/tables", NULL, &r), 200);
	cr_assert((t = find_table(r.er_json, name)) != NULL);
	cr_assert(json_object_object_get_ex(t, "columns", &cols));
	cr_assert_eq(json_object_array_length(cols), 10, "%s",
	    json_object_to_json_string(cols));
	/* id first, the primary key. */
	c = json_object_array_get_idx(cols, 0);
	cr_assert(json_object_object_get_ex(c, "name", &jv) &&
	          strcmp(json_object_get_string(jv), "id") == 0);
	cr_assert(json_object_object_get_ex(c, "primary_key", &jv) &&
	          json_object_get_boolean(jv));
	e2e_resp_free(&r);
	/* The gateway's role may use it: a row through admin SQL, a public
	 * list endpoint reads it. */
	cr_assert(
	    e2e_sql("insert into public.%s (title) values ('x')", name) == 0);
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select has_table_privilege('postern_gateway', "
	              "'public.%s', 'insert')::text",
	              name) == 0);
	cr_assert_str_eq(v, "true");
}

Test(admin, tables_create_explicit_id)
{
	char name[64], v[64];

	fresh(name, sizeof(name), "adm_tid");
	create_table(name, "[{\"name\":\"id\",\"type\":\"uuid\"},"
	                   "{\"name\":\"x\",\"type\":\"text\"}]");
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select format_type(atttypid, atttypmod) from "
	              "pg_attribute where attrelid = 'public.%s'::regclass "
	              "and attname = 'id'",
	              name) == 0);
	cr_assert_str_eq(v, "uuid");
}

/* A default is a literal of the column's type, never SQL. */
Test(admin, tables_default_is_a_literal)
{
	char name[64], v[128];

	fresh(name, sizeof(name), "adm_lit");
	create_table(name, "[{\"name\":\"n\",\"type\":\"text\",\"default\":"
	                   "\"1'); drop table users; --\"}]");
	cr_assert(table_exists("users"));
	cr_assert(e2e_sql("insert into public.%s default values", name) == 0);
	cr_assert(
	    e2e_sql_value(v, sizeof(v), "select n from public.%s", name) == 0);
	cr_assert_str_eq(v, "1'); drop table users; --");
}

/* Each definition is refused with 400 and leaves no table behind. */
Test(admin, tables_invalid)
{
	static const char *const bad[] = {
	    "[{\"name\":\"a\",\"type\":\"money\"}]",
	    "[{\"name\":\"a\",\"type\":\"text\"},{\"name\":\"b\",\"type\":"
	    "\"text; drop table users\"}]",
	    "[{\"name\":\"a\",\"type\":\"text\"},{\"name\":\"A\",\"type\":"
	    "\"text\"}]",
	    "[{\"name\":\"a b\",\"type\":\"text\"}]",
	    "[{\"name\":\"a\\\"\",\"type\":\"text\"}]",
	    "[{\"name\":\"a\",\"type\":\"text\"},{\"name\":\"a\",\"type\":"
	    "\"text\"}]",
	    "[{\"name\":\"xmin\",\"type\":\"integer\"}]",
	    "[{\"name\":\"n\",\"type\":\"integer\",\"default\":\"abc\"}]",
	    "[{\"name\":\"n\",\"type\":\"integer\",\"default\":\"now()\"}]",
	    "[{\"name\":\"n\",\"type\":\"text\",\"default\":[1]}]",
	    "[{\"name\":\"n\",\"type\":\"text\",\"not_null\":\"yes\"}]",
	    "[{\"name\":\"n\",\"type\":\"text\",\"check\":\"n > 0\"}]",
	    "[{\"name\":\"id\",\"type\":\"boolean\"}]",
	    "[{\"type\":\"text\"}]",
	    "[\"title text\"]",
	    "{\"title\":\"text\"}",
	};
	char name[64];
	struct e2e_resp r;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh(name, sizeof(name), "adm_bad");
		buf_init(&b);
		cr_assert(buf_printf(&b, "{\"name\":\"%s\",\"columns\":%s}",
		              name, bad[i]) == 0);
		cr_assert_eq(admin("POST", "/_admin/tables", b.b_data, &r), 400,
		    "%s: %ld %s", bad[i], r.er_status, e2e_body(&r));
		e2e_assert_error(&r, 400);
		e2e_resp_free(&r);
		buf_free(&b);
		cr_assert(!table_exists(name), "%s left a table", bad[i]);
	}
	/* Bad names. */
	cr_assert_eq(admin("POST", "/_admin/tables",
	                 "{\"name\":\"Users\",\"columns\":[]}", NULL),
	    400);
	cr_assert_eq(
	    admin("POST", "/_admin/tables",
	        "{\"name\":\"a;drop table users\",\"columns\":[]}", NULL),
	    400);
	cr_assert_eq(
	    admin("POST", "/_admin/tables", "{\"columns\":[]}", NULL), 400);
	cr_assert_eq(admin("POST", "/_admin/tables",
	                 "{\"name\":5,\"columns\":[]}", NULL),
	    400);
	cr_assert_eq(admin("POST", "/_admin/tables",
	                 "{\"name\":\"pg_x\",\"columns\":[]}", NULL),
	    400);
	/* Shape: unknown key, not JSON, not an object. */
	cr_assert_eq(
	    admin("POST", "/_admin/tables",
	        "{\"name\":\"x\",\"columns\":[],\"owner\":\"me\"}", NULL),
	    400);
	cr_assert_eq(admin("POST", "/_admin/tables", "{\"name\":", NULL), 400);
	cr_assert_eq(admin("POST", "/_admin/tables", "[]", NULL), 400);
}

Test(admin, tables_content_type)
{
	static const char *const text[] = {"Content-Type: text/plain", NULL};
	struct e2e_resp r;

	cr_assert(e2e_call("POST", "/_admin/tables", admin_key, text,
	              "{\"name\":\"x\",\"columns\":[]}", &r) == 0);
	e2e_assert_error(&r, 415);
	e2e_resp_free(&r);
	cr_assert(
	    e2e_call("PUT", "/_admin/tables", admin_key, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 405);
	e2e_resp_free(&r);
}

Test(admin, tables_duplicate)
{
	char name[64];
	struct e2e_resp r;
	struct buf b;

	fresh(name, sizeof(name), "adm_dup");
	create_table(name, "[{\"name\":\"a\",\"type\":\"text\"}]");
	buf_init(&b);
	cr_assert(
	    buf_printf(&b, "{\"name\":\"%s\",\"columns\":[]}", name) == 0);
	cr_assert_eq(admin("POST", "/_admin/tables", b.b_data, &r), 409);
	e2e_assert_error(&r, 409);
	e2e_resp_free(&r);
	cr_assert_eq(admin("POST", "/_admin/tables",
	                 "{\"name\":\"users\",\"columns\":[]}", NULL),
	    409);
	buf_free(&b);
}

/* ------------------------------------------------------- endpoints */

/* A users-like table of a fresh name, in tbl. */
static void
users_like(char *tbl, size_t cap)
{
	fresh(tbl, cap, "adm_u");
	create_table(tbl,
	    "[{\"name\":\"email\",\"type\":\"text\",\"not_null\":true,"
	    "\"unique\":true},{\"name\":\"name\",\"type\":\"text\"}]");
}

/* Whether GET /_admin/endpoints lists id. */
static int
endpoint_listed(long long id)
{
	struct e2e_resp r;
	struct json_object *e, *v;
	size_t i;
	int found = 0;

	cr_assert_eq(admin("GET", "/_admin/endpoints", NULL, &r), 200);
	cr_assert(r.er_json != NULL &&
	          json_object_is_type(r.er_json, json_type_array));
	for (i = 0; i < json_object_array_length(r.er_json); i++) {
		e = json_object_array_get_idx(r.er_json, i);
		if (json_object_object_get_ex(e, "id", &v) &&
		    json_object_get_int64(v) == id)
			found = 1;
	}
	e2e_resp_free(&r);
	return found;
}

Test(admin, endpoints_data_lifecycle)
{
	char tbl[64], def[512], path[128];
	struct e2e_resp r;
	struct json_object *v;
	long long id;

	fresh(tbl, sizeof(tbl), "adm_d");
	create_table(tbl, "[{\"name\":\"title\",\"type\":\"text\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\"}",
	    tbl, tbl);
	id = create_endpoint(def);
	cr_assert(endpoint_listed(id));
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", id);
	cr_assert_eq(admin("GET", path, NULL, &r), 200);
	cr_assert(json_object_object_get_ex(r.er_json, "op", &v) &&
	          strcmp(json_object_get_string(v), "list") == 0);
	cr_assert(json_object_object_get_ex(r.er_json, "auth", &v) &&
	          strcmp(json_object_get_string(v), "none") == 0);
	e2e_resp_free(&r);
	snprintf(path, sizeof(path), "/%s", tbl);
	cr_assert_eq(e2e_wait_route("GET", path, NULL, 2000), 200);

	/* The same definition again: 200 with it, nothing new. */
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 200, "%s",
	    e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "id", &v) &&
	          json_object_get_int64(v) == id);
	cr_assert(e2e_header(&r, "Location", path, sizeof(path)) == -1);
	e2e_resp_free(&r);
	/* Another definition on the same method and path: 409. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"bearer\"}",
	    tbl, tbl);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 409);
	e2e_assert_error(&r, 409);
	e2e_resp_free(&r);

	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", id);
	cr_assert_eq(admin("DELETE", path, NULL, &r), 204);
	cr_assert_eq(r.er_body.b_len, 0);
	e2e_resp_free(&r);
	cr_assert(!endpoint_listed(id));
	cr_assert_eq(admin("DELETE", path, NULL, &r), 404);
	e2e_assert_error(&r, 404);
	e2e_resp_free(&r);
	cr_assert_eq(admin("DELETE", "/_admin/endpoints/x1", NULL, NULL), 404);
	cr_assert_eq(admin("GET", path, NULL, NULL), 404);

	/* Gone from the routes too. */
	snprintf(path, sizeof(path), "/%s", tbl);
	{
		int64_t deadline = e2e_now_ms() + 2000;
		long st;
		do {
			cr_assert(
			    e2e_call("GET", path, NULL, NULL, NULL, &r) == 0);
			st = r.er_status;
			e2e_resp_free(&r);
			if (st == 404)
				break;
			e2e_sleep_ms(25);
		} while (e2e_now_ms() < deadline);
		cr_assert_eq(st, 404);
	}
}

Test(admin, endpoints_data_checks)
{
	char tbl[64], own[64], def[512];
	size_t i;
	static const char *const fmt_bad[] = {
	    /* no such table */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s_x\","
	    "\"table\":\"%s_nope\",\"op\":\"list\"}",
	    /* method does not match the op */
	    "{\"kind\":\"data\",\"method\":\"POST\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    /* unknown op */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"drop\"}",
	    /* invalid paths */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"%s\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s/\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s/../x\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s/{id}\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"get\"}",
	    /* auth rules */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"basic\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"bearer:table_1\"}",
	    /* owner column missing, or without a token */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"owner_column\":\"nope\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\","
	    "\"owner_column\":\"owner_id\"}",
	    /* shapes */
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"ops\":[\"login\"]}",
	    "{\"kind\":\"view\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":1,\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"extra\":1}",
	};

	fresh(tbl, sizeof(tbl), "adm_c");
	create_table(tbl, "[{\"name\":\"owner_id\",\"type\":\"bigint\"}]");
	for (i = 0; i < sizeof(fmt_bad) / sizeof(fmt_bad[0]); i++) {
		struct e2e_resp r;
		snprintf(def, sizeof(def), fmt_bad[i], tbl, tbl);
		cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 400,
		    "%s: %ld %s", def, r.er_status, e2e_body(&r));
		e2e_assert_error(&r, 400);
		e2e_resp_free(&r);
	}
	/* The good ones of the same table: owner rule with a token. */
	users_like(own, sizeof(own));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\",\"login\"]}",
	    own, own);
	create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"bearer:%s\","
	    "\"owner_column\":\"owner_id\"}",
	    tbl, tbl, own);
	create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/%s/{id}\",\"table\":\"%s\","
	    "\"op\":\"delete\"}",
	    tbl, tbl);
	create_endpoint(def);
}

Test(admin, endpoints_auth_group)
{
	char users[64], plain[64], def[512];
	struct e2e_resp r;
	struct json_object *routes, *v;
	size_t i;
	static const char *const fmt_bad[] = {
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[]}",
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\",\"delete_everything\"]}",
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":\"signup\"}",
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
	    "\"ops\":[\"signup\"]}",
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s/{id}\","
	    "\"ops\":[\"signup\"]}",
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"],\"method\":\"POST\"}",
	};

	users_like(users, sizeof(users));
	for (i = 0; i < sizeof(fmt_bad) / sizeof(fmt_bad[0]); i++) {
		snprintf(def, sizeof(def), fmt_bad[i], users, users);
		cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 400,
		    "%s: %ld %s", def, r.er_status, e2e_body(&r));
		e2e_assert_error(&r, 400);
		e2e_resp_free(&r);
	}

	/* A table without a unique email column cannot be an auth table. */
	fresh(plain, sizeof(plain), "adm_p");
	create_table(plain, "[{\"name\":\"email\",\"type\":\"text\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"]}",
	    plain, plain);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 400);
	e2e_assert_error(&r, 400);
	cr_assert(strstr(e2e_body(&r), "email") != NULL, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	fresh(plain, sizeof(plain), "adm_p");
	create_table(plain, "[{\"name\":\"mail\",\"type\":\"text\","
	                    "\"unique\":true}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"]}",
	    plain, plain);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, NULL), 400);

	/* The ops asked for, and only those, in a fixed order. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s/auth\","
	    "\"ops\":[\"me\",\"signup\",\"login\",\"logout\",\"refresh\","
	    "\"signup\"]}",
	    users, users);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 201, "%s",
	    e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "ops", &v) &&
	          json_object_array_length(v) == 5);
	cr_assert(json_object_object_get_ex(r.er_json, "routes", &routes) &&
	          json_object_array_length(routes) == 5);
	cr_assert_str_eq(
	    json_object_get_string(json_object_array_get_idx(v, 0)), "signup");
	e2e_resp_free(&r);
	/* The same group again: 200, unchanged. */
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 200);
	cr_assert(json_object_object_get_ex(r.er_json, "ops", &v) &&
	          json_object_array_length(v) == 5);
	e2e_resp_free(&r);
	/* A data route on one of the group's routes: 409. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s/auth/me\","
	    "\"table\":\"%s\",\"op\":\"list\"}",
	    users, plain);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 409);
	e2e_assert_error(&r, 409);
	e2e_resp_free(&r);
	/* And a group over an existing data route: 409. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"POST\",\"path\":\"/%s/a2/login\","
	    "\"table\":\"%s\",\"op\":\"create\",\"auth\":\"none\"}",
	    users, plain);
	create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s/a2\","
	    "\"ops\":[\"signup\",\"login\"]}",
	    users, users);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, NULL), 409);

	/* authd may now create and read the table's users. */
	{
		char v2[8];
		cr_assert(e2e_sql_value(v2, sizeof(v2),
		              "select has_table_privilege('postern_authd', "
		              "'public.%s', 'insert')::text",
		              users) == 0);
		cr_assert_str_eq(v2, "true");
	}
}

/* ---------------------------------------------------- the tutorial */

Test(admin, tutorial_through_the_admin_api)
{
	char tbl[64], users[64], def[512], prefix[128], path[128], email[128];
	char tok[TOKCAP];
	struct e2e_resp r;
	long st;

	/* A table and a users table, made by the admin API. */
	fresh(tbl, sizeof(tbl), "adm_tut");
	create_table(tbl, "[{\"name\":\"title\",\"type\":\"text\","
	                  "\"not_null\":true},{\"name\":\"done\",\"type\":"
	                  "\"boolean\",\"not_null\":true,\"default\":false}]");
	fresh(users, sizeof(users), "adm_tu");
	create_table(users,
	    "[{\"name\":\"email\",\"type\":\"text\",\"unique\":true,"
	    "\"not_null\":true},{\"name\":\"name\",\"type\":\"text\"}]");
	/* The auth group, then GET and POST /<tbl> behind its tokens. */
	snprintf(prefix, sizeof(prefix), "/%s/auth", users);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
	    "\"ops\":[\"signup\",\"login\",\"refresh\",\"me\",\"logout\"]}",
	    users, prefix);
	create_endpoint(def);
	snprintf(path, sizeof(path), "/%s", tbl);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"bearer:%s\"}",
	    path, tbl, users);
	create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"POST\",\"path\":\"%s\","
	    "\"table\":\"%s\",\"op\":\"create\",\"auth\":\"bearer\"}",
	    path, tbl);
	create_endpoint(def);

	/* Sign up, be refused without the token, served with it. */
	cr_assert_eq(e2e_wait_route("GET", path, NULL, 2000), 401);
	e2e_email(email, sizeof(email), "tutorial");
	e2e_signup_at(prefix, email, PASSWORD, tok, sizeof(tok), NULL);
	cr_assert(e2e_call("GET", path, NULL, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
	cr_assert(e2e_call("POST", path, tok, NULL,
	              "{\"title\":\"made through the admin API\"}", &r) == 0);
	cr_assert_eq(r.er_status, 201, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert(e2e_call("GET", path, tok, NULL, NULL, &r) == 0);
	st = r.er_status;
	cr_assert_eq(st, 200, "%s", e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	              json_object_is_type(r.er_json, json_type_array) &&
	              json_object_array_length(r.er_json) == 1,
	    "%s", e2e_body(&r));
	e2e_resp_free(&r);
	/* A token of the demo's /auth group is another group's: 403. */
	{
		char email2[128], tok2[TOKCAP];
		e2e_email(email2, sizeof(email2), "tutorial-other");
		e2e_signup(email2, PASSWORD, tok2, sizeof(tok2));
		cr_assert(e2e_call("GET", path, tok2, NULL, NULL, &r) == 0);
		e2e_assert_error(&r, 403);
		e2e_resp_free(&r);
	}
}

/* ------------------------------------- the builder API's input rules */

/* The "code" of an error answer ("" if none). */
static const char *
code_of(const struct e2e_resp *r)
{
	struct json_object *c;

	if (r->er_json != NULL &&
	    json_object_object_get_ex(r->er_json, "code", &c) &&
	    json_object_is_type(c, json_type_string))
		return json_object_get_string(c);
	return "";
}

/* POST def to /_admin/endpoints; asserts the status (and the code). */
static void
expect_create(const char *def, long status, const char *code)
{
	struct e2e_resp r;

	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), status,
	    "%s: %ld %s", def, r.er_status, e2e_body(&r));
	if (status >= 400)
		e2e_assert_error(&r, status);
	if (code != NULL)
		cr_assert_str_eq(
		    code_of(&r), code, "%s: %s", def, e2e_body(&r));
	e2e_resp_free(&r);
}

/* Whether role has privilege on a table (or sequence, seq != 0). */
static int
has_priv(const char *role, const char *obj, const char *priv, int seq)
{
	char v[8];

	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select has_%s_privilege('%s', 'public.%s', '%s')::text",
	              seq ? "sequence" : "table", role, obj, priv) == 0);
	return strcmp(v, "true") == 0;
}

/* The ops of an endpoint answer, joined with commas, into out. */
static void
ops_of(const struct e2e_resp *r, char *out, size_t cap)
{
	struct json_object *ops;
	size_t i, o = 0;

	out[0] = '\0';
	cr_assert(r->er_json != NULL &&
	              json_object_object_get_ex(r->er_json, "ops", &ops) &&
	              json_object_is_type(ops, json_type_array),
	    "no ops: %s", e2e_body(r));
	for (i = 0; i < json_object_array_length(ops); i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "",
		    json_object_get_string(json_object_array_get_idx(ops, i)));
}

static long long
id_of(const struct e2e_resp *r)
{
	struct json_object *id;

	cr_assert(r->er_json != NULL &&
	              json_object_object_get_ex(r->er_json, "id", &id) &&
	              json_object_is_type(id, json_type_int),
	    "no id: %s", e2e_body(r));
	return json_object_get_int64(id);
}

/* Polls method path until its status is want (a route taking effect). */
static void
wait_status(const char *method, const char *path, const char *bearer, long want)
{
	int64_t deadline = e2e_now_ms() + 3000;
	struct e2e_resp r;
	long st;

	for (;;) {
		cr_assert(e2e_call(method, path, bearer, NULL, NULL, &r) == 0);
		st = r.er_status;
		e2e_resp_free(&r);
		if (st == want)
			return;
		cr_assert(e2e_now_ms() < deadline, "%s %s: %ld, not %ld",
		    method, path, st, want);
		e2e_sleep_ms(25);
	}
}

/* §6: the auth table was published as a data endpoint (201). */
Test(admin, auth_table_is_never_a_data_table)
{
	char users[64], other[64], def[512];
	static const char *const ops[] = {"list", "create", "update", "delete"};
	size_t i;

	/* The issue's own request, on the demo's users. */
	expect_create(
	    "{\"kind\":\"data\",\"table\":\"users\",\"op\":\"create\"}", 400,
	    "PN111");
	expect_create("{\"kind\":\"data\",\"method\":\"POST\",\"path\":"
	              "\"/users_pub\",\"table\":\"users\",\"op\":\"create\","
	              "\"auth\":\"bearer\"}",
	    400, "PN111");
	/* A group of our own: every data op on its table is refused. */
	users_like(users, sizeof(users));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"]}",
	    users, users);
	create_endpoint(def);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		snprintf(def, sizeof(def),
		    "{\"kind\":\"data\",\"table\":\"%s\",\"op\":\"%s\","
		    "\"auth\":\"none\"}",
		    users, ops[i]);
		expect_create(def, 400, "PN111");
	}
	/* The other way round: a group on a table data endpoints serve. */
	users_like(other, sizeof(other));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"table\":\"%s\",\"op\":\"list\"}", other);
	create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"]}",
	    other, other);
	expect_create(def, 400, "PN111");
}

/* Defence in depth: a data row on an auth table that reached the registry
 * through SQL is not served. */
Test(admin, auth_table_row_in_registry_not_served)
{
	char users[64], ctl[64], ctl2[64], path[128];

	users_like(users, sizeof(users));
	fresh(ctl, sizeof(ctl), "adm_ctl");
	create_table(ctl, "[{\"name\":\"t\",\"type\":\"text\"}]");
	cr_assert(e2e_sql("grant select on public.%1$s to postern_gateway;"
	                  "insert into postern.endpoints"
	                  " (kind, path, table_name, ops)"
	                  " values ('auth', '/%1$s', '%1$s', '{signup}');"
	                  "insert into postern.endpoints"
	                  " (kind, method, path, table_name, op, auth) values"
	                  " ('data', 'GET', '/%1$s_rows', '%1$s', 'list',"
	                  "  'none'),"
	                  " ('data', 'GET', '/%2$s', '%2$s', 'list', 'none');",
	              users, ctl) == 0);
	/* The control endpoint came with the same reload. */
	snprintf(path, sizeof(path), "/%s", ctl);
	wait_status("GET", path, NULL, 200);
	snprintf(path, sizeof(path), "/%s_rows", users);
	wait_status("GET", path, NULL, 404);
	/* A data row older than the group is dropped too (a second
	 * control table shows the reload happened). */
	fresh(ctl2, sizeof(ctl2), "adm_ctl");
	create_table(ctl2, "[{\"name\":\"t\",\"type\":\"text\"}]");
	cr_assert(e2e_sql("insert into postern.endpoints"
	                  " (kind, path, table_name, ops)"
	                  " values ('auth', '/%1$s_g', '%1$s', '{signup}');"
	                  "insert into postern.endpoints"
	                  " (kind, method, path, table_name, op, auth) values"
	                  " ('data', 'GET', '/%2$s', '%2$s', 'list', 'none');",
	              ctl, ctl2) == 0);
	snprintf(path, sizeof(path), "/%s", ctl2);
	wait_status("GET", path, NULL, 200);
	snprintf(path, sizeof(path), "/%s", ctl);
	wait_status("GET", path, NULL, 404);
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name in ('%s', '%s', '%s')",
	              users, ctl, ctl2) == 0);
}

/* §6: deleting an endpoint left its grants behind. */
Test(admin, delete_revokes_the_grants_it_added)
{
	char tbl[64], seq[96], users[64], own[64], def[512], path[128];
	long long ins, lst, grp, e1;

	/* A table of our own, without any grant to the gateway. */
	fresh(tbl, sizeof(tbl), "adm_gr");
	snprintf(seq, sizeof(seq), "%s_id_seq", tbl);
	cr_assert(e2e_sql("create table public.%s (id bigserial primary key,"
	                  " t text)",
	              tbl) == 0);
	cr_assert(!has_priv("postern_gateway", tbl, "select", 0));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/"
	    "%s\",\"table\":\"%s\",\"op\":\"create\","
	    "\"auth\":\"none\"}",
	    tbl, tbl);
	ins = create_endpoint(def);
	cr_assert(has_priv("postern_gateway", tbl, "insert", 0));
	cr_assert(has_priv("postern_gateway", seq, "usage", 1));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/"
	    "%s\",\"table\":\"%s\",\"op\":\"list\","
	    "\"auth\":\"none\"}",
	    tbl, tbl);
	lst = create_endpoint(def);
	/* Deleting create revokes insert and the sequence; list still
	 * needs select. */
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", ins);
	cr_assert_eq(admin("DELETE", path, NULL, NULL), 204);
	cr_assert(!has_priv("postern_gateway", tbl, "insert", 0));
	cr_assert(!has_priv("postern_gateway", seq, "usage", 1));
	cr_assert(has_priv("postern_gateway", tbl, "select", 0));
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", lst);
	cr_assert_eq(admin("DELETE", path, NULL, NULL), 204);
	cr_assert(!has_priv("postern_gateway", tbl, "select", 0));

	/* Grants the endpoint did not add stay: a table made by the admin
	 * API has them from its creation. */
	fresh(own, sizeof(own), "adm_gk");
	create_table(own, "[{\"name\":\"t\",\"type\":\"text\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/%s/"
	    "{id}\",\"table\":\"%s\",\"op\":\"delete\"}",
	    own, own);
	e1 = create_endpoint(def);
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", e1);
	cr_assert_eq(admin("DELETE", path, NULL, NULL), 204);
	cr_assert(has_priv("postern_gateway", own, "delete", 0));
	cr_assert(has_priv("postern_gateway", own, "select", 0));

	/* An auth group: authd's grants go with the last group. */
	fresh(users, sizeof(users), "adm_gu");
	cr_assert(e2e_sql("create table public.%s (id bigserial primary key,"
	                  " email text unique not null)",
	              users) == 0);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"/%s\","
	    "\"ops\":[\"signup\"]}",
	    users, users);
	grp = create_endpoint(def);
	cr_assert(has_priv("postern_authd", users, "insert", 0));
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", grp);
	cr_assert_eq(admin("DELETE", path, NULL, NULL), 204);
	cr_assert(!has_priv("postern_authd", users, "insert", 0));
	cr_assert(!has_priv("postern_authd", users, "select", 0));
	/* The demo's users keep theirs. */
	cr_assert(has_priv("postern_authd", "users", "insert", 0));
}

/* §6: endpoints at the gateway's own paths were accepted (201). */
Test(admin, builtin_paths_refused)
{
	static const char *const paths[] = {"/_admin", "/_admin/tables",
	    "/_console", "/_console/x", "/healthz", "/readyz", "/metrics",
	    "/openapi.json", "/.well-known", "/.well-known/jwks.json",
	    "/_ADMIN/x", "/Metrics", "/healthz/x"};
	static const char *const prefixes[] = {"/_admin", "/_console",
	    "/healthz", "/readyz", "/metrics", "/openapi.json", "/.well-known",
	    "/_admin/auth", "/.well-known/auth"};
	char tbl[64], users[64], def[512];
	size_t i;

	fresh(tbl, sizeof(tbl), "adm_bi");
	create_table(tbl, "[{\"name\":\"t\",\"type\":\"text\"}]");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(def, sizeof(def),
		    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"%s\","
		    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\"}",
		    paths[i], tbl);
		expect_create(def, 400, "PN112");
		snprintf(def, sizeof(def),
		    "{\"kind\":\"data\",\"path\":\"%s/{id}\",\"table\":\"%s\","
		    "\"op\":\"delete\"}",
		    paths[i], tbl);
		expect_create(def, 400, "PN112");
	}
	users_like(users, sizeof(users));
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(def, sizeof(def),
		    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
		    "\"ops\":[\"signup\",\"login\"]}",
		    users, prefixes[i]);
		expect_create(def, 400, "PN112");
	}
	/* Paths that merely start alike are fine. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/metrics_%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\"}",
	    tbl, tbl);
	create_endpoint(def);
}

/* §6: a 409 told a caller that another user's row exists. */
Test(admin, conflict_reveals_no_key)
{
	char tbl[64], child[64], def[512], path[128], body[256], email[128];
	char ta[TOKCAP], tb[TOKCAP];
	struct e2e_resp r;
	struct json_object *d;
	long long ida;

	fresh(tbl, sizeof(tbl), "adm_own");
	create_table(tbl, "[{\"name\":\"owner_id\",\"type\":\"bigint\"},"
	                  "{\"name\":\"title\",\"type\":\"text\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/"
	    "%s\",\"table\":\"%s\",\"op\":\"create\","
	    "\"auth\":\"bearer:users\",\"owner_column\":\"owner_id\"}",
	    tbl, tbl);
	create_endpoint(def);
	snprintf(path, sizeof(path), "/%s", tbl);
	e2e_email(email, sizeof(email), "own-a");
	e2e_signup(email, PASSWORD, ta, sizeof(ta));
	e2e_email(email, sizeof(email), "own-b");
	e2e_signup(email, PASSWORD, tb, sizeof(tb));
	cr_assert_neq(e2e_wait_route("POST", path, ta, 2000), 404);
	cr_assert(
	    e2e_call("POST", path, ta, NULL, "{\"title\":\"a's\"}", &r) == 0);
	cr_assert_eq(r.er_status, 201, "%s", e2e_body(&r));
	if (json_object_is_type(r.er_json, json_type_array))
		d = json_object_array_get_idx(r.er_json, 0);
	else
		d = r.er_json;
	cr_assert(json_object_object_get_ex(d, "id", &d));
	ida = json_object_get_int64(d);
	e2e_resp_free(&r);
	/* B takes A's id: 409, and nothing in the body names the key. */
	snprintf(body, sizeof(body), "{\"id\":%lld,\"title\":\"b's\"}", ida);
	cr_assert(e2e_call("POST", path, tb, NULL, body, &r) == 0);
	e2e_assert_error(&r, 409);
	cr_assert_str_eq(code_of(&r), "23505");
	cr_assert(json_object_object_get_ex(r.er_json, "details", &d) &&
	              json_object_is_type(d, json_type_null),
	    "%s", e2e_body(&r));
	cr_assert(strstr(e2e_body(&r), "Key") == NULL, "%s", e2e_body(&r));
	cr_assert(strstr(e2e_body(&r), "=(") == NULL, "%s", e2e_body(&r));
	e2e_resp_free(&r);

	/* A foreign-key violation names no key either. */
	fresh(child, sizeof(child), "adm_fk");
	cr_assert(e2e_sql("create table public.%1$s (id bigserial primary key,"
	                  " parent_id bigint references public.%2$s (id));"
	                  "grant select, insert on public.%1$s"
	                  " to postern_gateway;"
	                  "grant usage on sequence public.%1$s_id_seq"
	                  " to postern_gateway",
	              child, tbl) == 0);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/"
	    "%s\",\"table\":\"%s\",\"op\":\"create\"}",
	    child, child);
	create_endpoint(def);
	snprintf(path, sizeof(path), "/%s", child);
	cr_assert_neq(e2e_wait_route("POST", path, ta, 2000), 404);
	cr_assert(e2e_call("POST", path, ta, NULL, "{\"parent_id\":987654321}",
	              &r) == 0);
	e2e_assert_error(&r, 409);
	cr_assert(
	    strstr(e2e_body(&r), "987654321") == NULL, "%s", e2e_body(&r));
	cr_assert(strstr(e2e_body(&r), "Key") == NULL, "%s", e2e_body(&r));
	e2e_resp_free(&r);
}

/* §7: "generate a login endpoint following the same steps" answered 409. */
Test(admin, auth_group_gains_and_loses_ops)
{
	char users[64], other[64], def[512], prefix[128], path[192];
	char ops[128], email[128], tok[TOKCAP], body[256];
	struct e2e_resp r;
	long long id;

	users_like(users, sizeof(users));
	snprintf(prefix, sizeof(prefix), "/%s/auth", users);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
	    "\"ops\":[\"signup\"]}",
	    users, prefix);
	id = create_endpoint(def);
	snprintf(path, sizeof(path), "%s/login", prefix);
	cr_assert_eq(e2e_wait_route("POST", path, NULL, 2000), 404);
	/* The tutorial's second step: Log In at the same path. */
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
	    "\"ops\":[\"login\"]}",
	    users, prefix);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 200, "%s",
	    e2e_body(&r));
	cr_assert_eq(id_of(&r), id);
	ops_of(&r, ops, sizeof(ops));
	cr_assert_str_eq(ops, "signup,login");
	e2e_resp_free(&r);
	/* Listed right away as one group with both routes. */
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", id);
	cr_assert_eq(admin("GET", path, NULL, &r), 200);
	ops_of(&r, ops, sizeof(ops));
	cr_assert_str_eq(ops, "signup,login");
	e2e_resp_free(&r);
	/* Both work. */
	e2e_email(email, sizeof(email), "gains");
	snprintf(path, sizeof(path), "%s/login", prefix);
	cr_assert_neq(e2e_wait_route("POST", path, NULL, 2000), 404);
	e2e_signup_at(prefix, email, PASSWORD, tok, sizeof(tok), NULL);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, PASSWORD);
	cr_assert(e2e_post_json(path, body, &r) == 0);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	/* Again: nothing to add, 200. */
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 200);
	ops_of(&r, ops, sizeof(ops));
	cr_assert_str_eq(ops, "signup,login");
	e2e_resp_free(&r);
	/* The same path on another table: 409. */
	users_like(other, sizeof(other));
	snprintf(def, sizeof(def),
	    "{\"kind\":\"auth\",\"table\":\"%s\",\"path\":\"%s\","
	    "\"ops\":[\"login\"]}",
	    other, prefix);
	expect_create(def, 409, "PN502");

	/* PATCH: add me, then remove signup, one at a time. */
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", id);
	cr_assert_eq(
	    admin("PATCH", path, "{\"ops\":[\"signup\",\"login\",\"me\"]}", &r),
	    200, "%s", e2e_body(&r));
	ops_of(&r, ops, sizeof(ops));
	cr_assert_str_eq(ops, "signup,login,me");
	e2e_resp_free(&r);
	cr_assert_eq(
	    admin("PATCH", path, "{\"ops\":[\"login\",\"me\"]}", &r), 200);
	ops_of(&r, ops, sizeof(ops));
	cr_assert_str_eq(ops, "login,me");
	e2e_resp_free(&r);
	snprintf(body, sizeof(body), "%s/signup", prefix);
	wait_status("POST", body, NULL, 404);
	snprintf(body, sizeof(body), "%s/me", prefix);
	wait_status("GET", body, tok, 200);
	/* The last op is not removed: delete the group instead. */
	cr_assert_eq(admin("PATCH", path, "{\"ops\":[]}", &r), 400);
	e2e_assert_error(&r, 400);
	cr_assert(strstr(e2e_body(&r), "delete the group") != NULL, "%s",
	    e2e_body(&r));
	e2e_resp_free(&r);
	/* What cannot change, and what a group does not have. */
	cr_assert_eq(
	    admin("PATCH", path, "{\"path\":\"/elsewhere\"}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "{\"auth\":\"none\"}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "{\"ops\":[\"drop\"]}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "{\"id\":1}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "[]", NULL), 400);
	cr_assert_eq(admin("PATCH", "/_admin/endpoints/999999999999",
	                 "{\"ops\":[\"login\"]}", NULL),
	    404);
	cr_assert_eq(admin("PUT", path, "{}", &r), 405);
	cr_assert(e2e_header(&r, "Allow", body, sizeof(body)) == 0 &&
	          strstr(body, "PATCH") != NULL);
	e2e_resp_free(&r);
}

Test(admin, patch_data_endpoint)
{
	char tbl[64], def[512], path[128], route[128];
	struct e2e_resp r;
	struct json_object *v;
	long long id;

	fresh(tbl, sizeof(tbl), "adm_pd");
	create_table(tbl, "[{\"name\":\"owner_id\",\"type\":\"bigint\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/"
	    "%s\",\"table\":\"%s\",\"op\":\"list\","
	    "\"auth\":\"none\"}",
	    tbl, tbl);
	id = create_endpoint(def);
	snprintf(route, sizeof(route), "/%s", tbl);
	wait_status("GET", route, NULL, 200);
	snprintf(path, sizeof(path), "/_admin/endpoints/%lld", id);
	cr_assert_eq(admin("PATCH", path, "{\"auth\":\"bearer\"}", &r), 200,
	    "%s", e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "auth", &v) &&
	          strcmp(json_object_get_string(v), "bearer") == 0);
	e2e_resp_free(&r);
	wait_status("GET", route, NULL, 401);
	cr_assert_eq(
	    admin("PATCH", path,
	        "{\"owner_column\":\"owner_id\",\"kind\":\"data\"}", &r),
	    200, "%s", e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "owner_column", &v) &&
	          strcmp(json_object_get_string(v), "owner_id") == 0);
	e2e_resp_free(&r);
	/* An owner rule needs a token; unknown columns; ops. */
	cr_assert_eq(admin("PATCH", path, "{\"auth\":\"none\"}", NULL), 400);
	cr_assert_eq(
	    admin("PATCH", path, "{\"owner_column\":\"nope\"}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "{\"ops\":[\"login\"]}", NULL), 400);
	cr_assert_eq(admin("PATCH", path, "{\"op\":\"get\"}", NULL), 400);
	/* Removing the owner rule, then public again. */
	cr_assert_eq(admin("PATCH", path,
	                 "{\"owner_column\":null,\"auth\":\"none\"}", &r),
	    200, "%s", e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "owner_column", &v) &&
	          json_object_is_type(v, json_type_null));
	e2e_resp_free(&r);
	wait_status("GET", route, NULL, 200);
}

/* §7: the tutorial's create steps answered 409 beside the demo. */
Test(admin, create_is_idempotent)
{
	char tbl[64], def[512];
	struct e2e_resp r;
	long long id;

	/* The tutorial's steps on the demo's database: both exist. */
	cr_assert_eq(admin("POST", "/_admin/endpoints",
	                 "{\"kind\":\"auth\",\"table\":\"users\","
	                 "\"path\":\"/auth\",\"ops\":[\"signup\"]}",
	                 &r),
	    200, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert_eq(admin("POST", "/_admin/endpoints",
	                 "{\"kind\":\"data\",\"method\":\"GET\",\"path\":"
	                 "\"/table_1\",\"table\":\"table_1\",\"op\":\"list\","
	                 "\"auth\":\"bearer\"}",
	                 &r),
	    200, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	/* Another definition on the demo's route is a conflict. */
	expect_create("{\"kind\":\"data\",\"method\":\"GET\",\"path\":"
	              "\"/table_1\",\"table\":\"table_1\",\"op\":\"list\","
	              "\"auth\":\"none\"}",
	    409, "PN502");

	/* Defaults count as given: method, path, auth. */
	fresh(tbl, sizeof(tbl), "adm_idem");
	create_table(tbl, "[{\"name\":\"t\",\"type\":\"text\"}]");
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"table\":\"%s\",\"op\":\"get\"}", tbl);
	id = create_endpoint(def);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"get\",\"path\":\"/%s/{id}\","
	    "\"table\":\"%s\",\"op\":\"get\",\"auth\":\"bearer\","
	    "\"owner_column\":\"\"}",
	    tbl, tbl);
	cr_assert_eq(admin("POST", "/_admin/endpoints", def, &r), 200, "%s",
	    e2e_body(&r));
	cr_assert_eq(id_of(&r), id);
	e2e_resp_free(&r);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"path\":\"/%s/{id}\",\"table\":\"%s\","
	    "\"op\":\"get\",\"owner_column\":\"t\"}",
	    tbl, tbl);
	expect_create(def, 409, "PN502");
}

/* Runs a shell command; its exit status. */
static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The admin conninfo (key=value or URI) with dbname=db, as key=value
 * pairs; it goes on a shell command line in single quotes, so it must hold
 * none.
 */
static void
scratch_conninfo(const char *db, char *out, size_t cap)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	size_t n = 0;

	opts = PQconninfoParse(e2e_cf.ee_admin_conninfo, &err);
	cr_assert(opts != NULL, "POSTERN_ADMIN_CONNINFO: %s",
	    err != NULL ? err : "out of memory");
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
			continue;
		cr_assert(strpbrk(o->val, "'\\ ") == NULL,
		    "conninfo value of %s has a quote or a space", o->keyword);
		n += (size_t)snprintf(
		    out + n, cap - n, "%s=%s ", o->keyword, o->val);
		cr_assert(n < cap);
	}
	PQconninfoFree(opts);
	cr_assert(
	    (size_t)snprintf(out + n, cap - n, "dbname=%s", db) < cap - n);
}

/* One value from the database db (admin conninfo with dbname=db). */
static void
db_value(const char *db, char *out, size_t cap, const char *sql)
{
	char ci[2 * E2E_PATH_MAX];
	PGconn *c;
	PGresult *res;

	scratch_conninfo(db, ci, sizeof(ci));
	c = PQconnectdb(ci);
	cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "%s: %s", sql, PQerrorMessage(c));
	snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
}

static void
db_exec(const char *db, const char *sql)
{
	char v[8], q[1024];

	snprintf(q, sizeof(q),
	    "with x as (%s returning 1) select count(*) from x", sql);
	db_value(db, v, sizeof(v), q);
}

#define DEMO_STATE                                                             \
	"select count(*) || ' ' || coalesce(string_agg(e.method || ' ' || "    \
	"e.path, ',' order by e.method, e.path) filter (where e.kind = "       \
	"'data' and e.path = '/table_1'), '-') || ' ' || (select "             \
	"array_to_string(ops, ',') from postern.endpoints where kind = "       \
	"'auth' and path = '/auth') from postern.endpoints e"

/* §7: every `up` re-created deleted demo endpoints and widened /auth. */
Test(admin, demo_loads_once, .timeout = 120)
{
	char db[64], hex[17], cmd[2 * E2E_PATH_MAX + 512], v[512],
	    ci[2 * E2E_PATH_MAX];

	cr_assert(e2e_cf.ee_admin_conninfo[0] != '\0',
	    "needs POSTERN_ADMIN_CONNINFO");
	/* A database of our own: the fixture's demo endpoints are in use. */
	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(db, sizeof(db), "postern_demo_%s", hex);
	cr_assert(e2e_sql("create database %s", db) == 0);
	scratch_conninfo(db, ci, sizeof(ci));
	snprintf(cmd, sizeof(cmd), "'%s/sql/migrate' '%s' >/dev/null",
	    POSTERN_SOURCE_DIR, ci);
	cr_assert_eq(run(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd),
	    "PGOPTIONS='-c client_min_messages=warning' psql -X -q "
	    "-v ON_ERROR_STOP=1 -1 -d '%s' -f - <'%s/deploy/demo.sql' "
	    ">/dev/null",
	    ci, POSTERN_SOURCE_DIR);
	/* The first load: the demo as README describes it. */
	cr_assert_eq(run(cmd), 0);
	db_value(db, v, sizeof(v), DEMO_STATE);
	cr_assert_str_eq(v, "11 GET /table_1,POST /table_1 "
	                    "signup,login,refresh,logout,me,sessions,password");
	/* The user deletes GET /table_1 and narrows /auth ... */
	db_exec(db, "delete from postern.endpoints where kind = 'data' and "
	            "method = 'GET' and path = '/table_1'");
	db_exec(db, "update postern.endpoints set ops = '{signup,login}' "
	            "where kind = 'auth' and path = '/auth'");
	/* ... and a later `up` loads the demo again: nothing changes. */
	cr_assert_eq(run(cmd), 0);
	db_value(db, v, sizeof(v), DEMO_STATE);
	cr_assert_str_eq(v, "10 POST /table_1 signup,login");
	cr_assert_eq(run(cmd), 0);
	db_value(db, v, sizeof(v), DEMO_STATE);
	cr_assert_str_eq(v, "10 POST /table_1 signup,login");
	db_value(db, v, sizeof(v), "select count(*) from public.table_1");
	cr_assert_str_eq(v, "6");

	/* A database with the demo loaded before the marker existed: it is
	 * marked, not changed. */
	db_exec(db, "delete from postern.demo_loaded");
	cr_assert_eq(run(cmd), 0);
	db_value(db, v, sizeof(v), DEMO_STATE);
	cr_assert_str_eq(v, "10 POST /table_1 signup,login");
	db_value(db, v, sizeof(v),
	    "select count(*) || ' ' || bool_and(not created) from "
	    "postern.demo_loaded");
	cr_assert_str_eq(v, "1 true");

	cr_assert(e2e_sql("drop database %s with (force)", db) == 0);
	/* The fixture's own database is marked too. */
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select count(*) from postern.demo_loaded") == 0);
	cr_assert_str_eq(v, "1");
}

/* ---------------------------------------------- the live registry */

static char pair_dir[64];
static pid_t pair_authd = -1, pair_gateway = -1;

static void
pair_stop(void)
{
	e2e_child_stop(&pair_gateway);
	e2e_child_stop(&pair_authd);
}

/* Whatever happened, no daemon of ours outlives its test. */
static void
admin_fini(void)
{
	pair_stop();
	e2e_teardown();
}

static long
status_at(const char *base, const char *method, const char *path)
{
	char saved[E2E_PATH_MAX];
	struct e2e_resp r;
	long st = -1;

	/* The helpers take the base URL from e2e_cf: swap it for a call.
	 * Safe: Criterion runs each test in a process of its own. */
	memcpy(saved, e2e_cf.ee_base_url, sizeof(saved));
	snprintf(e2e_cf.ee_base_url, sizeof(e2e_cf.ee_base_url), "%s", base);
	if (e2e_call(method, path, NULL, NULL, NULL, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	memcpy(e2e_cf.ee_base_url, saved, sizeof(saved));
	return st;
}

Test(admin, live_on_a_second_gateway, .timeout = 90)
{
	static const char *const keys[] = {
	    "listen", "socket", "trusted_proxies", NULL};
	char conf[128], sock[128], alog[128], glog[128], extra[512];
	char base[64], tbl[64], def[512], path[128];
	struct stat sb;
	int64_t deadline, t0, took;
	long st = -1;
	int port, attempt;

	snprintf(pair_dir, sizeof(pair_dir), "/tmp/postern-admpair.XXXXXX");
	cr_assert(mkdtemp(pair_dir) != NULL);
	/* As root the gateway drops to gateway_user, which must reach the
	 * socket in here (authd gives the socket itself to that uid). */
	cr_assert(chmod(pair_dir, 0711) == 0);
	snprintf(conf, sizeof(conf), "%s/postern.conf", pair_dir);
	snprintf(sock, sizeof(sock), "%s/authd.sock", pair_dir);
	snprintf(alog, sizeof(alog), "%s/authd.log", pair_dir);
	snprintf(glog, sizeof(glog), "%s/gateway.log", pair_dir);
	for (attempt = 0;; attempt++) {
		cr_assert(attempt < 3, "no port could be bound (log %s)", glog);
		port = e2e_free_port();
		snprintf(extra, sizeof(extra),
		    "listen = 127.0.0.1:%d\n"
		    "socket = %s\n",
		    port, sock);
		conf_copy(conf, keys, extra);
		if (pair_authd == -1) {
			pair_authd = spawn_daemon("authd", conf, alog);
			deadline = e2e_now_ms() + 10000;
			while (stat(sock, &sb) == -1) {
				cr_assert(e2e_now_ms() < deadline,
				    "no authd socket (log %s)", alog);
				e2e_sleep_ms(20);
			}
		}
		snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
		pair_gateway = spawn_daemon("gateway", conf, glog);
		deadline = e2e_now_ms() + 20000;
		while ((st = status_at(base, "GET", "/readyz")) != 200 &&
		       e2e_now_ms() < deadline) {
			int wst;
			if (waitpid(pair_gateway, &wst, WNOHANG) ==
			    pair_gateway) {
				pair_gateway = -1;
				break;
			}
			e2e_sleep_ms(50);
		}
		if (st == 200)
			break;
		e2e_child_stop(&pair_gateway);
	}
	cr_log_info("second pair at %s (dir %s)", base, pair_dir);

	fresh(tbl, sizeof(tbl), "adm_live");
	create_table(tbl, "[{\"name\":\"title\",\"type\":\"text\"}]");
	snprintf(path, sizeof(path), "/%s", tbl);
	cr_assert_eq(status_at(base, "GET", path), 404);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\"}",
	    path, tbl);
	t0 = e2e_now_ms();
	create_endpoint(def);
	do {
		st = status_at(base, "GET", path);
		if (st == 200)
			break;
		e2e_sleep_ms(10);
	} while (e2e_now_ms() - t0 < LIVE_DEADLINE_MS);
	took = e2e_now_ms() - t0;
	cr_assert_eq(st, 200, "the second gateway answered %ld after %lld ms",
	    st, (long long)took);
	cr_log_info(
	    "live on the second gateway after %lld ms", (long long)took);
	/* The admin API of the second gateway sees it too (same key). */
	{
		char saved[E2E_PATH_MAX];
		memcpy(saved, e2e_cf.ee_base_url, sizeof(saved));
		snprintf(
		    e2e_cf.ee_base_url, sizeof(e2e_cf.ee_base_url), "%s", base);
		st = admin("GET", "/_admin/endpoints", NULL, NULL);
		memcpy(e2e_cf.ee_base_url, saved, sizeof(saved));
		cr_assert_eq(st, 200);
	}
	pair_stop();
	unlink(conf);
	unlink(sock);
	unlink(alog);
	unlink(glog);
	rmdir(pair_dir);
}
