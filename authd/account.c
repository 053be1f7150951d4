/*
 * Signup and login, run on a worker thread with that worker's own database
 * connection.  The auth table is the user's (e.g. public.users); password
 * hashes and sessions live in auth.*, which only postern_authd can read.
 * Every value is a bound parameter; the table and column names are checked
 * against the catalog and quoted with PQescapeIdentifier.
 *
 * Returns -1 only when the database connection itself failed, so the worker
 * can answer 503 and reconnect; every other outcome is an HTTP answer in rs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/b64url.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "authd/acct.h"
#include "authd/authd.h"
#include "authd/blocklist.h"
#include "authd/email.h"
#include "authd/password.h"
#include "authd/token.h"
#include "gateway/catalog.h"
#include "gateway/query.h"
#include "gateway/rows.h"

#define ACCOUNT_MAX_FIELDS 64
#define ROUTE_TABLE_MAX 64
/* The client address, as dispatch.c keeps it. */
#define ACCOUNT_ADDR_MAX 64

struct signup_col {
	char *sc_qname;       /* quoted identifier, PQfreemem */
	const char *sc_value; /* borrowed from the JSON object, or NULL */
};

/*
 * Creates a session and writes the token response.  The refresh token is
 * random; only its SHA-256 is stored.  Returns 0, -1 on a broken
 * connection, 1 on any other failure (with the error answer written).
 */
static int
session_issue(struct authd *ad, PGconn *db, const struct acct_req *rq,
    const char *user_id, const char *userjson, uint16_t status,
    struct acct_res *rs, char *sid, size_t sidcap)
{
	char hash[REFRESH_HASH_HEX], life[32];
	struct buf refresh;
	const char *vals[6];
	PGresult *res = NULL;
	int rv = 1;

	buf_init(&refresh);
	if (refresh_new(&refresh, hash) == -1) {
		account_error(rs, 500, "PN900", "internal error");
		goto fail;
	}
	snprintf(life, sizeof(life), "%ld", ad->ad_cf.cf_refresh_lifetime);
	vals[0] = rq->ar_table;
	vals[1] = user_id;
	vals[2] = hash;
	vals[3] = life;
	vals[4] = rq->ar_ua;
	vals[5] = rq->ar_client;
	res = pq_exec(db,
	    "WITH s AS (SELECT gen_random_uuid() AS id) "
	    "INSERT INTO auth.sessions (id, tbl, user_id, family, refresh_hash,"
	    " expires_at, user_agent, client_addr) "
	    "SELECT s.id, $1, $2, s.id, $3::bytea, now() + make_interval(secs "
	    "=> $4::bigint), NULLIF($5, ''), NULLIF($6, '') FROM s "
	    "RETURNING id::text",
	    6, vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		db_write_failed(res, rs);
		goto fail;
	}
	x_strlcpy(sid, PQgetvalue(res, 0, 0), sidcap);
	if (tokens_write(
	        ad, rq, user_id, sid, &refresh, userjson, status, rs) == -1) {
		account_error(rs, 500, "PN900", "internal error");
		goto fail;
	}
	rv = 0;
fail:
	PQclear(res);
	buf_wipe_free(&refresh);
	return rv;
}

/* Maps a failed INSERT into the auth table to a 4xx answer. */
static void
insert_error(PGresult *res, struct acct_res *rs)
{
	const char *st = sqlstate(res), *col, *msg;
	char text[512];

	if (strcmp(st, "23505") == 0) {
		account_error(rs, 409, "PN500",
		    "an account with this email already exists");
	} else if (strcmp(st, "23502") == 0) {
		col = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
		snprintf(text, sizeof(text), "missing value for column %s",
		    col ? col : "?");
		account_error(rs, 400, "PN101", text);
	} else if (strcmp(st, "23503") == 0) {
		account_error(
		    rs, 409, "PN501", "a referenced row does not exist");
	} else if (strcmp(st, "23P01") == 0) {
		/* An exclusion constraint: a conflict, like the data API's. */
		account_error(rs, 409, "PN500",
		    "the values conflict with an existing row");
	} else if (strncmp(st, "54", 2) == 0) {
		/* Program limits (an index row too large, say): the input's
		 * fault, and retrying would not help. */
		account_error(rs, 400, "PN101", "a value is too large");
	} else if (strncmp(st, "22", 2) == 0 || strcmp(st, "23514") == 0) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(
		    text, sizeof(text), "invalid value: %s", msg ? msg : "?");
		account_error(rs, 400, "PN101", text);
	} else
		db_write_failed(res, rs);
}

/* Text form of a JSON value for a bound parameter; NULL for JSON null. */
static const char *
json_param(struct json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return json_object_to_json_string_ext(
		    v, JSON_C_TO_STRING_PLAIN);
	return json_object_get_string(v);
}

/*
 * Reads and checks the credentials of a body: email (normalised) and
 * password.  Returns 0, or -1 with the 400 answer written.
 */
static int
parse_credentials(struct json_object *o, char *email, size_t emailcap,
    const char **pw, size_t *pwlen, int check_policy, struct acct_res *rs)
{
	const char *e, *why;
	size_t elen;
	int bad;

	e = json_get_str(o, "email", &elen, &bad);
	if (e == NULL) {
		account_error(rs, 400, "PN101",
		    "\"email\" is required and must be a string");
		return -1;
	}
	if (email_normalize(e, elen, email, emailcap, &why) == -1) {
		account_error(rs, 400, "PN103", why);
		return -1;
	}
	*pw = json_get_str(o, "password", pwlen, &bad);
	if (*pw == NULL) {
		account_error(rs, 400, "PN101",
		    "\"password\" is required and must be a string");
		return -1;
	}
	if (check_policy) {
		if (password_policy(*pw, *pwlen, &why) == -1) {
			account_error(rs, 400, "PN104", why);
			return -1;
		}
	} else if (*pwlen > PASSWORD_MAX_BYTES) {
		account_error(
		    rs, 400, "PN104", "password must be at most 1024 bytes");
		return -1;
	}
	return 0;
}

/* Is col a column of public.table?  -1 on a broken connection. */
static int
table_columns(PGconn *db, const char *table, PGresult **out)
{
	const char *vals[1] = {table};
	PGresult *res;

	/* As the gateway's catalog (gateway/registry.c): arrays report their
	 * element type. */
	res = pq_exec(db,
	    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
	    "CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END, "
	    "t.typcategory = 'A', a.attnotnull, "
	    "(a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') "
	    "FROM pg_attribute a "
	    "JOIN pg_class c ON c.oid = a.attrelid "
	    "JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "JOIN pg_type t ON t.oid = a.atttypid "
	    "LEFT JOIN pg_type et ON et.oid = t.typelem "
	    "WHERE n.nspname = 'public' AND c.relname = $1 "
	    "AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
	    "AND NOT a.attisdropped",
	    1, vals);
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	*out = res;
	return 0;
}

/*
 * The data API's typed input rules (gateway/rows.c) for the columns a
 * signup body sets besides email and password: a value of a JSON type the
 * column cannot take, or a string with a NUL, is 400 PN101 as on a data
 * endpoint.  Returns 0, or 1 with the answer written.
 */
static int
signup_typed(PGresult *cols, const char *table, struct json_object *o,
    struct acct_res *rs)
{
	struct catalog ca;
	struct column c;
	struct json_object *extra = NULL;
	const struct column **picked = NULL;
	const struct table *t;
	struct q_error err;
	size_t n = 0;
	int i, rv = 1;

	memset(&ca, 0, sizeof(ca));
	for (i = 0; i < PQntuples(cols); i++) {
		memset(&c, 0, sizeof(c));
		if (strlen(PQgetvalue(cols, i, 0)) >= sizeof(c.co_name))
			continue;
		x_strlcpy(c.co_name, PQgetvalue(cols, i, 0), sizeof(c.co_name));
		x_strlcpy(c.co_type, PQgetvalue(cols, i, 1), sizeof(c.co_type));
		x_strlcpy(
		    c.co_typname, PQgetvalue(cols, i, 2), sizeof(c.co_typname));
		c.co_kind = col_kind_from_typname(c.co_typname);
		c.co_array = PQgetvalue(cols, i, 3)[0] == 't';
		c.co_notnull = PQgetvalue(cols, i, 4)[0] == 't';
		c.co_hasdef = PQgetvalue(cols, i, 5)[0] == 't';
		if (catalog_add(&ca, table, &c) == -1)
			goto internal;
	}
	if ((t = catalog_table(&ca, table)) == NULL ||
	    (extra = json_object_new_object()) == NULL)
		goto internal;
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "email") == 0 || strcmp(key, "password") == 0)
			continue;
		if (json_object_object_add(extra, key, json_object_get(val)) !=
		    0) {
			json_object_put(val);
			goto internal;
		}
		n++;
	}
	/* Values reach SQL as json-c's text of them: re-serialised. */
	if (n > 0 && rows_check_ex(t, extra, 0, &picked, &n, &err, 1) == -1) {
		account_error(
		    rs, (uint16_t)err.qe_status, err.qe_code, err.qe_message);
		goto out;
	}
	rv = 0;
	goto out;
internal:
	account_error(rs, 500, "PN900", "internal error");
out:
	free(picked);
	json_object_put(extra);
	catalog_free(&ca);
	return rv;
}

static int
has_column(PGresult *cols, const char *name)
{
	int i;

	for (i = 0; i < PQntuples(cols); i++)
		if (strcmp(PQgetvalue(cols, i, 0), name) == 0)
			return 1;
	return 0;
}

int
rate_limited(struct authd *ad, PGconn *db, const struct acct_req *rq,
    const struct rl_limit *lims, const char *const *keys, size_t n,
    struct rl_taken *t, struct acct_res *rs)
{
	unsigned wait;
	int r;

	(void)ad;
	if ((r = rldb_take(db, lims, keys, n, &wait, t)) == -1)
		return -1;
	if (r == 1) {
		/* No answer without the check and the count: fail closed, so
		 * that a database refusing writes does not allow unlimited
		 * guesses. */
		account_unavailable(
		    rs, "the rate limits cannot be checked; retry later");
		return 1;
	}
	if (wait == 0)
		return 0;
	rs->as_retry = wait;
	audit(db, "rate_limited", rq->ar_table, NULL, rq->ar_client, NULL);
	account_error(rs, 429, "PN700", "too many attempts; retry later");
	return 1;
}

static int
account_signup(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct signup_col cols[ACCOUNT_MAX_FIELDS];
	const char *vals[ACCOUNT_MAX_FIELDS + 1], *pw, *e;
	char email[EMAIL_MAX + 1], phc[PASSWORD_PHC_MAX], msg[256];
	char sid[TOKEN_FIELD_MAX], *qtable = NULL, *userjson = NULL;
	char user_id[TOKEN_FIELD_MAX];
	PGresult *catalog = NULL, *res = NULL;
	struct json_object_iterator it, end;
	struct rl_limit lim;
	struct rl_taken taken;
	const char *key;
	struct buf sql;
	size_t pwlen, ncols = 0, i;
	int rv = -1, r;

	buf_init(&sql);
	phc[0] = '\0';
	if (parse_credentials(o, email, sizeof(email), &pw, &pwlen, 1, rs) ==
	    -1)
		goto done;
	if (ad->ad_blocklist != NULL &&
	    blocklist_contains(ad->ad_blocklist, pw, pwlen)) {
		account_error(rs, 400, "PN104",
		    "this password is too common; choose another");
		goto done;
	}
	lim.rl_bucket = "signup_addr";
	lim.rl_limit = (unsigned)ad->ad_cf.cf_signup_limit_per_addr;
	lim.rl_window = (unsigned)ad->ad_cf.cf_signup_limit_window;
	key = rq->ar_client;
	if ((r = rate_limited(ad, db, rq, &lim, &key, 1, &taken, rs)) == -1)
		goto fail;
	if (r == 1)
		goto done;
	if (table_columns(db, rq->ar_table, &catalog) == -1)
		goto fail;
	if (PQresultStatus(catalog) != PGRES_TUPLES_OK ||
	    PQntuples(catalog) == 0 || !has_column(catalog, "email") ||
	    !has_column(catalog, "id")) {
		log_warnx(
		    "auth table %s is missing or lacks id/email", rq->ar_table);
		account_error(
		    rs, 500, "PN900", "the auth table is misconfigured");
		goto done;
	}
	/* Other columns the body sets; id never, unknown ones never. */
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		e = json_object_iter_peek_name(&it);
		if (strcmp(e, "email") == 0 || strcmp(e, "password") == 0)
			continue;
		if (strcmp(e, "id") == 0) {
			account_error(rs, 400, "PN102", "\"id\" cannot be set");
			goto done;
		}
		if (!has_column(catalog, e)) {
			snprintf(msg, sizeof(msg),
			    "unknown column \"%.64s\" in %.64s", e,
			    rq->ar_table);
			account_error(rs, 400, "PN102", msg);
			goto done;
		}
		if (ncols == ACCOUNT_MAX_FIELDS - 1) {
			account_error(rs, 400, "PN102", "too many fields");
			goto done;
		}
		if ((cols[ncols].sc_qname =
		            PQescapeIdentifier(db, e, strlen(e))) == NULL)
			goto fail;
		cols[ncols].sc_value =
		    json_param(json_object_iter_peek_value(&it));
		ncols++;
	}
	if (signup_typed(catalog, rq->ar_table, o, rs) != 0)
		goto done;

	/* A cheap early answer for a taken email; the unique index decides
	 * races.  email is the folded form (email.c), which is what signup
	 * stores; lower() still finds a row written by other means. */
	if ((qtable = PQescapeIdentifier(
	         db, rq->ar_table, strlen(rq->ar_table))) == NULL)
		goto fail;
	if (buf_printf(&sql,
	        "SELECT 1 FROM public.%s WHERE email = $1 OR lower(email) = $1",
	        qtable) == -1)
		goto internal;
	vals[0] = email;
	res = pq_exec(db, sql.b_data, 1, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
		account_error(rs, 409, "PN500",
		    "an account with this email already exists");
		goto done;
	}
	PQclear(res);
	res = NULL;

	if (password_hash(&ad->ad_pp, pw, pwlen, phc, sizeof(phc)) == -1)
		goto internal;

	buf_reset(&sql);
	buf_printf(&sql, "WITH ins AS (INSERT INTO public.%s (email", qtable);
	for (i = 0; i < ncols; i++)
		buf_printf(&sql, ", %s", cols[i].sc_qname);
	buf_addstr(&sql, ") VALUES ($1");
	for (i = 0; i < ncols; i++)
		buf_printf(&sql, ", $%zu", i + 2);
	buf_addstr(&sql, ") RETURNING *) SELECT id::text, "
	                 "row_to_json(ins)::text FROM ins");
	if (buf_error(&sql) == -1)
		goto internal;
	vals[0] = email;
	for (i = 0; i < ncols; i++)
		vals[i + 1] = cols[i].sc_value;

	res = PQexec(db, "BEGIN");
	if (db_broken(db, res))
		goto fail;
	PQclear(res);
	res = pq_exec(db, sql.b_data, (int)ncols + 1, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		insert_error(res, rs);
		db_rollback(db);
		goto done;
	}
	x_strlcpy(user_id, PQgetvalue(res, 0, 0), sizeof(user_id));
	if ((userjson = strdup(PQgetvalue(res, 0, 1))) == NULL) {
		db_rollback(db);
		goto internal;
	}
	PQclear(res);
	vals[0] = rq->ar_table;
	vals[1] = user_id;
	vals[2] = phc;
	res = pq_exec(db,
	    "INSERT INTO auth.credentials (tbl, user_id, phc) "
	    "VALUES ($1, $2, $3)",
	    3, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_write_failed(res, rs);
		db_rollback(db);
		goto done;
	}
	PQclear(res);
	res = NULL;
	r = session_issue(
	    ad, db, rq, user_id, userjson, 201, rs, sid, sizeof(sid));
	if (r == -1)
		goto fail;
	if (r == 1) {
		db_rollback(db);
		goto done;
	}
	/* The 201 and its tokens hold only once all of it is committed. */
	if ((r = db_commit(db, &res)) == -1)
		goto fail;
	if (r == 1) {
		/* A unique violation can surface at commit with deferred
		 * constraints; a COMMIT that rolled back has no result. */
		if (res != NULL)
			insert_error(res, rs);
		else
			db_write_failed(NULL, rs);
		goto done;
	}
	audit(db, "signup", rq->ar_table, user_id, rq->ar_client, sid);
	log_info("signup: %s user %s session %s", rq->ar_table, user_id, sid);
	goto done;
internal:
	account_error(rs, 500, "PN900", "internal error");
done:
	rv = 0;
fail:
	for (i = 0; i < ncols; i++)
		PQfreemem(cols[i].sc_qname);
	PQfreemem(qtable);
	PQclear(catalog);
	PQclear(res);
	free(userjson);
	buf_free(&sql);
	OPENSSL_cleanse(phc, sizeof(phc));
	return rv;
}

static int
account_login(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	const char *vals[2], *pw, *phc;
	char email[EMAIL_MAX + 1], sid[TOKEN_FIELD_MAX];
	char user_id[TOKEN_FIELD_MAX], *qtable = NULL, *userjson = NULL;
	PGresult *res = NULL;
	struct buf sql;
	size_t pwlen;
	char ekey[EMAIL_MAX + ROUTE_TABLE_MAX + 2];
	char eakey[EMAIL_MAX + ROUTE_TABLE_MAX + ACCOUNT_ADDR_MAX + 3];
	struct rl_limit lims[3];
	struct rl_taken taken;
	const char *keys[3];
	int rv = -1, r, match;

	buf_init(&sql);
	user_id[0] = '\0';
	if (parse_credentials(o, email, sizeof(email), &pw, &pwlen, 0, rs) ==
	    -1)
		goto done;
	/*
	 * Limits apply before any lookup, alike for known and unknown emails;
	 * a burst against one email never blocks another.  The per-email limit
	 * counts per client address, so that an attacker's failures do not lock
	 * the owner out from their own address; a slower one counts the email
	 * from everywhere (docs/auth.md).
	 */
	snprintf(ekey, sizeof(ekey), "%s\n%s", rq->ar_table, email);
	snprintf(eakey, sizeof(eakey), "%s\n%s", ekey, rq->ar_client);
	lims[0].rl_bucket = "login_email";
	lims[0].rl_limit = (unsigned)ad->ad_cf.cf_login_limit_per_email;
	lims[1].rl_bucket = "login_email_global";
	lims[1].rl_limit = (unsigned)ad->ad_cf.cf_login_limit_per_email_global;
	lims[2].rl_bucket = "login_addr";
	lims[2].rl_limit = (unsigned)ad->ad_cf.cf_login_limit_per_addr;
	lims[0].rl_window = lims[1].rl_window = lims[2].rl_window =
	    (unsigned)ad->ad_cf.cf_login_limit_window;
	keys[0] = eakey;
	keys[1] = ekey;
	keys[2] = rq->ar_client;
	if ((r = rate_limited(ad, db, rq, lims, keys, 3, &taken, rs)) == -1)
		goto fail;
	if (r == 1)
		goto done;
	if ((qtable = PQescapeIdentifier(
	         db, rq->ar_table, strlen(rq->ar_table))) == NULL)
		goto fail;
	if (buf_printf(&sql,
	        "SELECT u.id::text, row_to_json(u)::text, c.phc "
	        "FROM public.%s u LEFT JOIN auth.credentials c "
	        "ON c.tbl = $2 AND c.user_id = u.id::text "
	        "WHERE u.email = $1 OR lower(u.email) = $1 "
	        "ORDER BY u.email = $1 DESC, u.id LIMIT 1",
	        qtable) == -1)
		goto internal;
	vals[0] = email;
	vals[1] = rq->ar_table;
	res = pq_exec(db, sql.b_data, 2, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("login lookup: %s", PQresultErrorMessage(res));
		goto internal;
	}
	/*
	 * An unknown email still costs one Argon2id verification, against a
	 * dummy hash made at start-up with the same parameters, so that the
	 * answer time does not tell which emails exist.
	 */
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 2)) {
		phc = PQgetvalue(res, 0, 2);
		x_strlcpy(user_id, PQgetvalue(res, 0, 0), sizeof(user_id));
		match = password_verify(phc, pw, pwlen) == 0;
	} else {
		(void)password_verify(ad->ad_dummy_phc, pw, pwlen);
		match = 0;
	}
	if (!match) {
		PQclear(res);
		res = NULL;
		/* The attempt was counted before the verification. */
		audit(db, "login_failure", rq->ar_table,
		    user_id[0] ? user_id : NULL, rq->ar_client, NULL);
		account_error(rs, 401, "PN202", "invalid email or password");
		goto done;
	}
	if ((userjson = strdup(PQgetvalue(res, 0, 1))) == NULL)
		goto internal;
	PQclear(res);
	res = NULL;
	r = session_issue(
	    ad, db, rq, user_id, userjson, 200, rs, sid, sizeof(sid));
	if (r == -1)
		goto fail;
	if (r == 1)
		goto done;
	/* A success is no failed attempt; the owner's own address starts
	 * afresh; the earlier failures of the global count stay. */
	rldb_refund(db, &taken);
	if (rldb_reset(db, &lims[0], eakey) == -1)
		log_warnx("login: the rate limit was not reset");
	audit(db, "login", rq->ar_table, user_id, rq->ar_client, sid);
	log_info("login: %s user %s session %s", rq->ar_table, user_id, sid);
	goto done;
internal:
	account_error(rs, 500, "PN900", "internal error");
done:
	rv = 0;
fail:
	PQfreemem(qtable);
	PQclear(res);
	free(userjson);
	buf_free(&sql);
	return rv;
}

/* json-c keeps its own copy of the password; wipe it before freeing. */
static void
wipe_password(struct json_object *o)
{
	static const char *const keys[] = {
	    "password", "current_password", "new_password", "refresh_token"};
	struct json_object *v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, keys[i], &v) &&
		    json_object_is_type(v, json_type_string))
			OPENSSL_cleanse(
			    (void *)(uintptr_t)json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
}

/*
 * Each auth operation's handler; what it needs (the auth-group op that
 * enables it, whether it reads a JSON body) is its row in common/op.c.
 * The list is written once, as rows of the array and as a set of
 * operations: an auth operation without a handler does not build.
 */
typedef int (*acct_fn)(struct authd *, PGconn *, struct json_object *,
    const struct acct_req *, struct acct_res *);

#define ACCT_HANDLERS(X)                                                       \
	X(OP_SIGNUP, account_signup)                                           \
	X(OP_LOGIN, account_login)                                             \
	X(OP_REFRESH, session_refresh)                                         \
	X(OP_LOGOUT, session_logout)                                           \
	X(OP_ME, session_me)                                                   \
	X(OP_SESSIONS, session_list)                                           \
	X(OP_SESSION_REVOKE, session_revoke_one)                               \
	X(OP_SESSIONS_REVOKE_OTHERS, session_revoke_others)                    \
	X(OP_PASSWORD, session_password)
#define ACCT_ROW(op, fn) [op] = fn,
#define ACCT_BIT(op, fn) | OP_BIT(op)

static const acct_fn acct_fns[OP__COUNT] = {ACCT_HANDLERS(ACCT_ROW)};
_Static_assert((0 ACCT_HANDLERS(ACCT_BIT)) == OP_AUTH_MASK,
    "acct_fns must have a handler for every auth operation, and no other");

int
account_handle(struct authd *ad, struct pg_conn *pgc, const struct acct_req *rq,
    struct acct_res *rs)
{
	PGconn *db = (PGconn *)pgc;
	const struct op_info *oi = op_info(rq->ar_opid);
	acct_fn fn = oi != NULL ? acct_fns[rq->ar_opid] : NULL;
	struct json_object *o = NULL;
	const char *why;
	char msg[256];
	int allowed, rv = 0;

	if (fn == NULL) {
		account_error(rs, 404, "PN400", "no such auth operation");
		return 0;
	}
	if (group_allows(db, rq->ar_table, oi->oi_group, &allowed) == -1)
		return -1;
	if (!allowed) {
		account_error(rs, 404, "PN400", "no such auth operation");
		return 0;
	}
	if (oi->oi_flags & OPF_BODY) {
		if ((o = json_parse_strict(
		         rq->ar_body, rq->ar_bodylen, &why)) == NULL) {
			snprintf(
			    msg, sizeof(msg), "malformed JSON body: %s", why);
			account_error(rs, 400, "PN100", msg);
			return 0;
		}
		if (!json_object_is_type(o, json_type_object)) {
			account_error(
			    rs, 400, "PN100", "body must be a JSON object");
			goto done;
		}
	}
	rv = fn(ad, db, o, rq, rs);
done:
	if (o != NULL) {
		wipe_password(o);
		json_object_put(o);
	}
	return rv;
}
