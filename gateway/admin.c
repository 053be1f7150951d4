/*
 * The builder API under /_admin (docs/builder.md), behind the admin key.
 *
 * The key lives in a file (admin_key_file), created on first start with 32
 * random bytes, base64url-encoded so that it can be pasted; a file readable
 * by group or others is refused.  Only its SHA-256 stays in memory, and a
 * request's bearer value is hashed and compared with CRYPTO_memcmp, so
 * neither the comparison's time nor its length tells anything about the
 * key.  A user's JWT can never match it.
 *
 * Everything privileged (creating tables, granting, writing the endpoint
 * registry) is done by SECURITY DEFINER functions of sql/005_admin.sql and
 * sql/007_admin_rules.sql,
 * which validate their input themselves; this file checks the key and the
 * request's shape, calls them on the pool and maps their SQLSTATEs to HTTP.
 * PostgreSQL renders every answer's JSON.  An endpoint change is announced
 * by the registry's NOTIFY to every gateway; this one also reloads at once.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/b64url.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/db.h"
#include "gateway/gateway.h"

#define ADMIN_KEY_BYTES 32 /* random bytes of a generated key */
#define ADMIN_KEY_MIN 32   /* characters: refuse a weak configured key */
#define ADMIN_KEY_MAX 1024 /* characters */
#define ADMIN_BODY_MAX (256 * 1024)

/* One gateway per process: the key's digest is process state. */
static unsigned char admin_digest[SHA256_DIGEST_LENGTH];
static int admin_loaded;

static const char admin_tables_sql[] = "SELECT postern.admin_tables()";
static const char admin_create_table_sql[] =
    "SELECT postern.admin_create_table(b->>'name', b->'columns') "
    "FROM (SELECT $1::jsonb AS b) s";
static const char admin_endpoints_sql[] = "SELECT postern.admin_endpoints()";
static const char admin_endpoint_sql[] =
    "SELECT postern.admin_endpoint_json(e) FROM postern.endpoints e "
    "WHERE e.id = $1::bigint";
/* created: false when the definition existed already (200, not 201). */
static const char admin_put_endpoint_sql[] =
    "SELECT created, endpoint FROM postern.admin_put_endpoint($1::jsonb)";
static const char admin_patch_endpoint_sql[] =
    "SELECT postern.admin_patch_endpoint($1::bigint, $2::jsonb)";
static const char admin_delete_endpoint_sql[] =
    "SELECT postern.admin_delete_endpoint($1::bigint)";

/* ---- the key ---- */

/* Writes a fresh key to path, which must not exist yet. */
static int
admin_key_create(const char *path)
{
	unsigned char rnd[ADMIN_KEY_BYTES];
	struct buf b;
	size_t off = 0;
	ssize_t n;
	int fd = -1, rv = -1;

	buf_init(&b);
	if (random_bytes(rnd, sizeof(rnd)) == -1 ||
	    b64url_encode(rnd, sizeof(rnd), &b) == -1 ||
	    buf_addc(&b, '\n') == -1)
		goto fail;
	if ((fd = open(path,
	         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1) {
		log_warn("admin_key_file %s: cannot create", path);
		goto fail;
	}
	while (off < b.b_len) {
		n = write(fd, b.b_data + off, b.b_len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("admin_key_file %s: write", path);
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		log_warn("admin_key_file %s: fsync", path);
		goto fail;
	}
	log_info("created the admin key in %s", path);
	rv = 0;
fail:
	if (fd != -1 && close(fd) == -1)
		rv = -1;
	if (rv == -1 && fd != -1)
		unlink(path);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	buf_wipe_free(&b);
	return rv;
}

int
admin_init(struct gw *gw)
{
	const char *path = gw->gw_cf.cf_admin_key_file;
	char key[ADMIN_KEY_MAX + 2];
	struct stat sb;
	size_t len = 0, start = 0;
	ssize_t n;
	int fd = -1, rv = -1;

	if (path[0] == '\0') {
		log_warnx("admin_key_file is empty");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 &&
	    errno == ENOENT) {
		if (admin_key_create(path) == -1)
			goto fail;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		log_warn("admin_key_file %s", path);
		goto fail;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_warnx("admin_key_file %s: not a regular file", path);
		goto fail;
	}
	if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		log_warnx("admin_key_file %s: readable by group or others "
		          "(mode %04o); chmod 0600 it",
		    path, (unsigned)(sb.st_mode & 07777));
		goto fail;
	}
	for (;;) {
		if (len == sizeof(key) - 1) {
			log_warnx(
			    "admin_key_file %s: longer than %d characters",
			    path, ADMIN_KEY_MAX);
			goto fail;
		}
		n = read(fd, key + len, sizeof(key) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("admin_key_file %s: read", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* A trailing newline (or an editor's) is not part of the key. */
	while (len > 0 && isspace((unsigned char)key[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)key[start]))
		start++;
	key[len] = '\0';
	if (len - start < ADMIN_KEY_MIN) {
		log_warnx("admin_key_file %s: the key must have at least %d "
		          "characters",
		    path, ADMIN_KEY_MIN);
		goto fail;
	}
	for (size_t i = start; i < len; i++)
		if (!isgraph((unsigned char)key[i])) {
			log_warnx("admin_key_file %s: the key must be one word "
			          "of printable characters",
			    path);
			goto fail;
		}
	SHA256((const unsigned char *)key + start, len - start, admin_digest);
	admin_loaded = 1;
	rv = 0;
fail:
	OPENSSL_cleanse(key, sizeof(key));
	if (fd != -1)
		close(fd);
	return rv;
}

/* Whether the request carries the admin key as its bearer token. */
static int
admin_key_given(struct req *rq, int *given)
{
	const char *h = http_head_get(&rq->rq_head, "Authorization");
	unsigned char d[SHA256_DIGEST_LENGTH];
	size_t len;
	int ok;

	*given = 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	if ((len = strlen(h)) == 0)
		return 0;
	*given = 1;
	if (len > ADMIN_KEY_MAX || !admin_loaded)
		return 0;
	/* Fixed-size digests: the compare's time says nothing of length. */
	SHA256((const unsigned char *)h, len, d);
	ok = CRYPTO_memcmp(d, admin_digest, sizeof(d)) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

/* ---- answers ---- */

static void
admin_error(struct req *rq, int status, const char *code, const char *msg)
{
	req_error(rq, status, code, msg);
}

/* Maps a failed statement of the admin functions to an answer. */
static void
admin_pg_error(struct req *rq, PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (st == NULL)
		st = "";
	if (msg == NULL)
		msg = "database error";
	if (strcmp(st, "PT400") == 0 || strncmp(st, "22", 2) == 0)
		admin_error(rq, 400, "PN110", msg);
	else if (strcmp(st, "PT401") == 0)
		/* An auth table as a data endpoint's, or the other way. */
		admin_error(rq, 400, "PN111", msg);
	else if (strcmp(st, "PT402") == 0)
		/* A built-in path of the gateway. */
		admin_error(rq, 400, "PN112", msg);
	else if (strcmp(st, "PT404") == 0)
		admin_error(rq, 404, "PN400", msg);
	else if (strcmp(st, "PT409") == 0 || strcmp(st, "23505") == 0 ||
	         strcmp(st, "42P07") == 0)
		admin_error(rq, 409, "PN502", msg);
	else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
		admin_error(rq, 503, "PN801", "the database is unavailable");
	else {
		/* 42883 or 42501: migration 005 is missing or its grants. */
		log_warnx("request %s: admin: %s: %s", rq->rq_id, st,
		    PQresultErrorMessage(res));
		admin_error(rq, 500, "PN900", "internal error");
	}
}

/*
 * Common part of every answer: the pool's status, the statement's.  Returns
 * the one-row result's first value, or NULL once an error was sent; *rows
 * is the number of rows.
 */
static const char *
admin_result(struct req *rq, enum db_status st, PGresult **res, int nres,
    int *rows, size_t *len)
{
	req_resume(rq);
	*rows = 0;
	if (st == DB_TIMEOUT) {
		admin_error(
		    rq, 504, "PN802", "the database did not answer in time");
		return NULL;
	}
	if (st != DB_OK || nres != 1) {
		admin_error(rq, 503, "PN801", "the database is unavailable");
		return NULL;
	}
	if (PQresultStatus(res[0]) != PGRES_TUPLES_OK) {
		admin_pg_error(rq, res[0]);
		return NULL;
	}
	if ((*rows = PQntuples(res[0])) == 0)
		return "";
	*len = (size_t)PQgetlength(res[0], 0, 0);
	return PQgetvalue(res[0], 0, 0);
}

static void
admin_send(struct req *rq, int status, const char *json, size_t len)
{
	rq->rq_status = status;
	buf_reset(&rq->rq_rbody);
	if (buf_add(&rq->rq_rbody, json, len) == -1) {
		admin_error(rq, 503, "PN900", "out of memory");
		return;
	}
	req_respond(rq);
}

/* GET answers: the value as it is. */
static void
admin_got(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	const char *v;
	size_t len = 0;
	int rows;

	if ((v = admin_result(rq, st, res, nres, &rows, &len)) == NULL)
		return;
	if (rows != 1) {
		admin_error(rq, 404, "PN400", "no such endpoint");
		return;
	}
	admin_send(rq, 200, v, len);
}

static void
admin_table_created(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	const char *v;
	size_t len = 0;
	int rows;

	if ((v = admin_result(rq, st, res, nres, &rows, &len)) == NULL)
		return;
	admin_send(rq, 201, v, len);
}

/* Sets Location from the "id" of the created endpoint. */
static void
admin_location(struct req *rq, const char *json, size_t len)
{
	struct json_object *o, *id;
	const char *why;
	char loc[64];

	if ((o = json_parse_strict(json, len, &why)) == NULL)
		return;
	if (json_object_object_get_ex(o, "id", &id) &&
	    json_object_is_type(id, json_type_int)) {
		snprintf(loc, sizeof(loc), "/_admin/endpoints/%lld",
		    (long long)json_object_get_int64(id));
		req_add_header(rq, "Location", loc);
	}
	json_object_put(o);
}

/*
 * A create: 201 with Location when something was made, 200 with the
 * existing endpoint when its definition was there already (an auth group
 * may have gained operations).
 */
static void
admin_endpoint_created(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *v;
	size_t len = 0;
	int rows, created;

	if ((v = admin_result(rq, st, res, nres, &rows, &len)) == NULL)
		return;
	if (rows != 1 || PQnfields(res[0]) != 2 || PQgetisnull(res[0], 0, 1)) {
		log_warnx("request %s: admin_put_endpoint answered %d rows",
		    rq->rq_id, rows);
		admin_error(rq, 500, "PN900", "internal error");
		return;
	}
	created = v[0] == 't';
	v = PQgetvalue(res[0], 0, 1);
	len = (size_t)PQgetlength(res[0], 0, 1);
	/* The NOTIFY reaches every gateway; this one need not wait for it. */
	registry_reload(gw);
	if (created)
		admin_location(rq, v, len);
	admin_send(rq, created ? 201 : 200, v, len);
}

/* A change: 200 with the endpoint as it is now. */
static void
admin_endpoint_changed(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *v;
	size_t len = 0;
	int rows;

	if ((v = admin_result(rq, st, res, nres, &rows, &len)) == NULL)
		return;
	if (rows != 1 || PQgetisnull(res[0], 0, 0)) {
		admin_error(rq, 404, "PN400", "no such endpoint");
		return;
	}
	registry_reload(gw);
	admin_send(rq, 200, v, len);
}

static void
admin_endpoint_deleted(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	struct gw *gw = rq->rq_conn->hc_gw;
	size_t len = 0;
	int rows;

	if (admin_result(rq, st, res, nres, &rows, &len) == NULL)
		return;
	registry_reload(gw);
	rq->rq_status = 204;
	buf_reset(&rq->rq_rbody);
	req_respond(rq);
}

/* ---- requests ---- */

static void
admin_run2(
    struct req *rq, const char *sql, const char *p1, const char *p2, db_cb cb)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *vals[2] = {p1, p2};
	int n = p1 == NULL ? 0 : p2 == NULL ? 1 : 2;
	struct dbq *q;

	if ((q = db_query(gw->gw_db, sql, n, vals, cb, rq)) == NULL)
		admin_error(rq, 503, "PN801", "the database is unavailable");
	else
		req_wait(rq, RS_DB, handle_cancel_db, q, 0);
}

static void
admin_run(struct req *rq, const char *sql, const char *param, db_cb cb)
{
	admin_run2(rq, sql, param, NULL, cb);
}

/*
 * A JSON object body whose members are all in keys (NULL-terminated), or
 * an error answer (-1).  The text itself is what the functions get.
 */
static int
admin_body(struct req *rq, const char *const *keys)
{
	struct json_object *o;
	const char *why;
	char msg[160];
	size_t i;
	int rv = -1;

	if (!req_type_is_json(rq)) {
		admin_error(
		    rq, 415, "PN601", "Content-Type must be application/json");
		return -1;
	}
	if (rq->rq_body.b_len > ADMIN_BODY_MAX) {
		admin_error(rq, 413, "PN600", "request body too large");
		return -1;
	}
	if ((o = json_parse_strict(rq->rq_body.b_data ? rq->rq_body.b_data : "",
	         rq->rq_body.b_len, &why)) == NULL) {
		snprintf(msg, sizeof(msg), "malformed JSON body: %s", why);
		admin_error(rq, 400, "PN100", msg);
		return -1;
	}
	if (!json_object_is_type(o, json_type_object)) {
		admin_error(rq, 400, "PN100", "the body must be a JSON object");
		goto done;
	}
	json_object_object_foreach(o, k, v) {
		(void)v;
		for (i = 0; keys[i] != NULL && strcmp(k, keys[i]) != 0; i++)
			;
		if (keys[i] == NULL) {
			snprintf(msg, sizeof(msg), "unknown key \"%.64s\"", k);
			admin_error(rq, 400, "PN110", msg);
			goto done;
		}
	}
	/* NUL would end the text libpq sends. */
	if (memchr(rq->rq_body.b_data, '\0', rq->rq_body.b_len) != NULL) {
		admin_error(rq, 400, "PN100", "NUL in the body");
		goto done;
	}
	rv = 0;
done:
	json_object_put(o);
	return rv;
}

static void
admin_method_not_allowed(struct req *rq, const char *allow)
{
	char msg[64];

	req_add_header(rq, "Allow", allow);
	snprintf(msg, sizeof(msg), "method %s not allowed here",
	    rq->rq_head.hh_method_str);
	admin_error(rq, 405, "PN401", msg);
}

static void
admin_tables(struct req *rq)
{
	static const char *const keys[] = {"name", "columns", NULL};
	enum http_method m = rq->rq_head.hh_method;

	if (m == HM_GET || m == HM_HEAD)
		admin_run(rq, admin_tables_sql, NULL, admin_got);
	else if (m == HM_POST) {
		if (admin_body(rq, keys) == 0)
			admin_run(rq, admin_create_table_sql,
			    rq->rq_body.b_data, admin_table_created);
	} else
		admin_method_not_allowed(rq, "GET, HEAD, POST");
}

static void
admin_endpoints(struct req *rq)
{
	static const char *const keys[] = {"kind", "table", "path", "ops",
	    "method", "op", "auth", "owner_column", NULL};
	enum http_method m = rq->rq_head.hh_method;

	if (m == HM_GET || m == HM_HEAD)
		admin_run(rq, admin_endpoints_sql, NULL, admin_got);
	else if (m == HM_POST) {
		if (admin_body(rq, keys) == 0)
			admin_run(rq, admin_put_endpoint_sql,
			    rq->rq_body.b_data, admin_endpoint_created);
	} else
		admin_method_not_allowed(rq, "GET, HEAD, POST");
}

static void
admin_endpoint(struct req *rq, const char *id)
{
	static const char *const keys[] = {"kind", "table", "path", "ops",
	    "method", "op", "auth", "owner_column", NULL};
	enum http_method m = rq->rq_head.hh_method;
	size_t n = strlen(id);

	/* Anything but a plausible bigint names no endpoint. */
	if (n == 0 || n > 18 || strspn(id, "0123456789") != n) {
		admin_error(rq, 404, "PN400", "no such endpoint");
		return;
	}
	if (m == HM_GET || m == HM_HEAD)
		admin_run(rq, admin_endpoint_sql, id, admin_got);
	else if (m == HM_PATCH) {
		if (admin_body(rq, keys) == 0)
			admin_run2(rq, admin_patch_endpoint_sql, id,
			    rq->rq_body.b_data, admin_endpoint_changed);
	} else if (m == HM_DELETE)
		admin_run(
		    rq, admin_delete_endpoint_sql, id, admin_endpoint_deleted);
	else
		admin_method_not_allowed(rq, "GET, HEAD, PATCH, DELETE");
}

int
admin_refuse(struct req *rq)
{
	int given;

	if (admin_key_given(rq, &given))
		return 0;
	req_add_header(rq, "WWW-Authenticate",
	    given ? "Bearer realm=\"postern-admin\", "
	            "error=\"invalid_token\""
	          : "Bearer realm=\"postern-admin\"");
	admin_error(rq, 401, "PN203",
	    given ? "the admin key is wrong" : "the admin key is required");
	return 1;
}

void
admin_handle(struct req *rq)
{
	const char *path = rq->rq_head.hh_path;

	/* The key first: without it, not even which routes exist. */
	if (admin_refuse(rq))
		return;
	if (strcmp(path, "/_admin/tables") == 0)
		admin_tables(rq);
	else if (strcmp(path, "/_admin/endpoints") == 0)
		admin_endpoints(rq);
	else if (strncmp(path, "/_admin/endpoints/", 18) == 0)
		admin_endpoint(rq, path + 18);
	else
		admin_error(rq, 404, "PN400", "no such route");
}
