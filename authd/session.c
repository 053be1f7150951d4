/*
 * The token lifecycle after signup and login: refresh (rotation with reuse
 * detection), logout, me, the caller's sessions, and password change.
 * Every revocation is written to auth.sessions (whose trigger NOTIFYs every
 * authd) and added at once to this authd's in-memory set, so the very next
 * request with a token of that session is refused here and, within the
 * notification's latency, everywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "authd/acct.h"
#include "authd/blocklist.h"
#include "authd/password.h"
#include "authd/revoked.h"

/* What every revoking UPDATE returns: the ids and expiry of the sessions it
 * revoked, for the revoked set and the gateways (revoke_rows). */
#define REVOKED_COLUMNS                                                        \
	"id::text, floor(extract(epoch FROM expires_at))::bigint"
#define REVOKED_RETURNING "RETURNING " REVOKED_COLUMNS

/* The caller's live session $1 (tbl $2, user $3). */
#define REVOKE_ONE_WHERE                                                       \
	"WHERE id = $1::uuid AND tbl = $2 AND user_id = $3 "                   \
	"AND revoked_at IS NULL AND expires_at > now() "

/* Every other session of user $2 (tbl $1) than $3. */
#define REVOKE_OTHERS_WHERE                                                    \
	"WHERE tbl = $1 AND user_id = $2 AND id <> $3::uuid "                  \
	"AND revoked_at IS NULL "
#define REVOKE_OTHERS_UPDATE                                                   \
	"UPDATE auth.sessions SET revoked_at = now() " REVOKE_OTHERS_WHERE     \
	    REVOKED_RETURNING
#define REVOKE_OTHERS_SELECT                                                   \
	"SELECT " REVOKED_COLUMNS " FROM auth.sessions " REVOKE_OTHERS_WHERE

static void
revoke_failed(struct acct_res *rs)
{
	account_unavailable(rs, "the revocation could not be committed; "
	                        "the session stays refused here only: retry");
}

/* Adds the (id, expiry epoch) rows of res to the revoked set. */
static void
revoke_rows(struct authd *ad, PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		notice_revoked(ad, PQgetvalue(res, i, 0),
		    strtoll(PQgetvalue(res, i, 1), NULL, 10));
}

/*
 * After a revocation the database did not take: refuses here the sessions
 * select (id, expiry) picks.  A transaction left open is rolled back first.
 */
static void
revoke_local(struct authd *ad, PGconn *db, const char *select, int n,
    const char *const *vals)
{
	PGresult *res;

	if (PQtransactionStatus(db) != PQTRANS_IDLE)
		db_rollback(db);
	res = pq_exec(db, select, n, vals);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		revoke_rows(ad, res);
	else
		log_warnx("revoke: cannot list the sessions to refuse: %s",
		    res != NULL ? PQresultErrorMessage(res) : "no memory");
	PQclear(res);
}

/* The user's row of the auth table, as JSON text (caller frees). */
static int
user_json(PGconn *db, const char *table, const char *user_id, char **out)
{
	const char *vals[1] = {user_id};
	char *qt = NULL;
	struct buf sql;
	PGresult *res = NULL;
	int rv = 1;

	*out = NULL;
	buf_init(&sql);
	if ((qt = PQescapeIdentifier(db, table, strlen(table))) == NULL ||
	    buf_printf(&sql,
	        "SELECT row_to_json(u)::text FROM public.%s u "
	        "WHERE u.id::text = $1",
	        qt) == -1)
		goto fail;
	res = pq_exec(db, sql.b_data, 1, vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("%s: %s", __func__, PQresultErrorMessage(res));
		goto fail;
	}
	if (PQntuples(res) == 0) {
		rv = 2;
		goto fail;
	}
	if ((*out = strdup(PQgetvalue(res, 0, 0))) == NULL)
		goto fail;
	rv = 0;
fail:
	PQfreemem(qt);
	PQclear(res);
	buf_free(&sql);
	return rv;
}

int
session_refresh(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	char old[REFRESH_HASH_HEX], new[REFRESH_HASH_HEX];
	char sid[TOKEN_FIELD_MAX], user_id[TOKEN_FIELD_MAX], *userjson = NULL;
	const char *tok, *vals[5];
	struct buf refresh;
	PGresult *res = NULL;
	size_t len;
	int bad, rv = -1, r;

	buf_init(&refresh);
	if ((tok = json_get_str(o, "refresh_token", &len, &bad)) == NULL ||
	    len == 0 || len > 512) {
		account_error(rs, 400, "PN101",
		    "\"refresh_token\" is required and must be a string");
		goto done;
	}
	refresh_hash(tok, len, old);
	if (refresh_new(&refresh, new) == -1)
		goto internal;

	res = PQexec(db, "BEGIN");
	if (db_broken(db, res))
		goto fail;
	PQclear(res);
	/* The row lock makes concurrent refreshes of one token take turns:
	 * the first rotates it, the others find it spent. */
	vals[0] = old;
	vals[1] = new;
	vals[2] = rq->ar_table;
	vals[3] = rq->ar_ua;
	vals[4] = rq->ar_client;
	res = pq_exec(db,
	    "UPDATE auth.sessions SET refresh_hash = $2::bytea, "
	    "last_used_at = now(), "
	    "user_agent = coalesce(NULLIF($4, ''), user_agent), "
	    "client_addr = coalesce(NULLIF($5, ''), client_addr) "
	    "WHERE refresh_hash = $1::bytea AND tbl = $3 "
	    "AND revoked_at IS NULL AND expires_at > now() "
	    "RETURNING id::text, user_id",
	    5, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		db_write_failed(res, rs);
		db_rollback(db);
		goto done;
	}
	if (PQntuples(res) == 1) {
		x_strlcpy(sid, PQgetvalue(res, 0, 0), sizeof(sid));
		x_strlcpy(user_id, PQgetvalue(res, 0, 1), sizeof(user_id));
		PQclear(res);
		vals[0] = old;
		vals[1] = sid;
		res = pq_exec(db,
		    "INSERT INTO auth.refresh_spent (hash, session_id) "
		    "VALUES ($1::bytea, $2::uuid) ON CONFLICT DO NOTHING",
		    2, vals);
		if (db_broken(db, res))
			goto fail;
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_write_failed(res, rs);
			db_rollback(db);
			goto done;
		}
		PQclear(res);
		res = NULL;
		if ((r = user_json(db, rq->ar_table, user_id, &userjson)) == -1)
			goto fail;
		if (r != 0 || tokens_write(ad, rq, user_id, sid, &refresh,
		                  userjson, 200, rs) == -1) {
			db_rollback(db);
			goto internal;
		}
		/* The new tokens are only good once the rotation is
		 * committed. */
		if ((r = db_commit(db, &res)) == -1)
			goto fail;
		if (r == 1) {
			db_write_failed(res, rs);
			goto done;
		}
		audit(db, "refresh", rq->ar_table, user_id, rq->ar_client, sid);
		goto done;
	}
	PQclear(res);
	/*
	 * Not a live token.  A spent one is a replay: revoke its session,
	 * which kills every token of it (the session is the family: its
	 * access tokens share the sid and its refresh tokens the row).  The
	 * loser of a race of two refreshes started before the winner spent
	 * the token (spent_at >= its own transaction start): that is not a
	 * theft, only 401.
	 */
	vals[0] = old;
	res = pq_exec(db,
	    "SELECT s.session_id::text, s.spent_at >= now(), x.user_id, "
	    "floor(extract(epoch FROM x.expires_at))::bigint "
	    "FROM auth.refresh_spent s JOIN auth.sessions x "
	    "ON x.id = s.session_id WHERE s.hash = $1::bytea",
	    1, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQgetvalue(res, 0, 1)[0] != 't') {
		x_strlcpy(sid, PQgetvalue(res, 0, 0), sizeof(sid));
		x_strlcpy(user_id, PQgetvalue(res, 0, 2), sizeof(user_id));
		/* Refused here whatever the database does with the UPDATE. */
		notice_revoked(
		    ad, sid, strtoll(PQgetvalue(res, 0, 3), NULL, 10));
		PQclear(res);
		vals[0] = sid;
		res = pq_exec(db,
		    "UPDATE auth.sessions SET revoked_at = now() "
		    "WHERE family = (SELECT family FROM auth.sessions "
		    "WHERE id = $1::uuid) AND revoked_at IS "
		    "NULL " REVOKED_RETURNING,
		    1, vals);
		if (db_broken(db, res))
			goto fail;
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			revoke_rows(ad, res);
		PQclear(res);
		res = NULL;
		if ((r = db_commit(db, NULL)) == -1)
			goto fail;
		if (r == 0) {
			audit(db, "refresh_reuse", rq->ar_table, user_id,
			    rq->ar_client, sid);
			log_warnx(
			    "refresh token reused: session %s revoked", sid);
		} else
			log_warnx("refresh token reused: session %s refused "
			          "here, its revocation not committed",
			    sid);
	} else
		db_rollback(db);
	account_error(rs, 401, "PN201", "the refresh token is invalid");
	goto done;
internal:
	account_error(rs, 500, "PN900", "internal error");
done:
	rv = 0;
fail:
	PQclear(res);
	free(userjson);
	buf_wipe_free(&refresh);
	OPENSSL_cleanse(old, sizeof(old));
	return rv;
}

/*
 * Revokes the sessions an UPDATE ... RETURNING id, expiry picked: 0 with
 * their number in *count, -1 on a broken connection, 1 if the UPDATE
 * failed.  Then the sessions the SELECT picked (the same rows, read with the
 * same parameters) are still refused by this authd, so that a revocation
 * the database would not take never leaves the session usable here; the
 * caller answers 503 and the client retries.
 */
static int
revoke_exec(struct authd *ad, PGconn *db, const char *update,
    const char *select, int n, const char *const *vals, int *count)
{
	PGresult *res;

	*count = 0;
	res = pq_exec(db, update, n, vals);
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		revoke_rows(ad, res);
		*count = PQntuples(res);
		PQclear(res);
		return 0;
	}
	log_warnx("revoke: %s", PQresultErrorMessage(res));
	PQclear(res);
	if (select != NULL)
		revoke_local(ad, db, select, n, vals);
	return 1;
}

static void
no_content(struct acct_res *rs)
{
	rs->as_status = 204;
	buf_reset(&rs->as_body);
}

/* One revocation a handler asks for, answered by revoke_answer. */
struct revoke {
	const char *rk_update; /* UPDATE ... REVOKED_RETURNING */
	const char *rk_select; /* the same rows, for revoke_local; or NULL */
	const char *rk_vals[3];
	int rk_nvals;
	const char *rk_audit;  /* the audit action */
	const char *rk_object; /* the audit object (a session id) */
	/* The answer when no row was revoked; status 0: 204 all the same. */
	uint16_t rk_none_status;
	const char *rk_none_code, *rk_none_msg;
};

/*
 * The body the revoking handlers share: runs rk's UPDATE, answers 503 if
 * the database would not take it, the rk_none answer if nothing was
 * revoked, else audits and answers 204.  Returns what a handler returns.
 */
static int
revoke_answer(struct authd *ad, PGconn *db, const struct acct_req *rq,
    const struct token_claims *tc, const struct revoke *rk, struct acct_res *rs)
{
	int n, r;

	if ((r = revoke_exec(ad, db, rk->rk_update, rk->rk_select, rk->rk_nvals,
	         rk->rk_vals, &n)) == -1)
		return -1;
	if (r == 1) {
		revoke_failed(rs);
		return 0;
	}
	if (n == 0 && rk->rk_none_status != 0) {
		account_error(
		    rs, rk->rk_none_status, rk->rk_none_code, rk->rk_none_msg);
		return 0;
	}
	audit(db, rk->rk_audit, rq->ar_table, tc->tc_sub, rq->ar_client,
	    rk->rk_object);
	no_content(rs);
	return 0;
}

int
session_logout(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	struct revoke rk = {
	    .rk_update = "UPDATE auth.sessions SET revoked_at = now() "
	                 "WHERE id = $1::uuid AND revoked_at IS "
	                 "NULL " REVOKED_RETURNING,
	    .rk_nvals = 1,
	    .rk_audit = "logout",
	};
	int revoked;

	(void)o;
	if (bearer_claims_ex(ad, rq, &tc, rs, &revoked) == -1)
		return 0;
	rk.rk_vals[0] = rk.rk_object = tc.tc_sid;
	/* Even if the row is gone or the database refuses the write, this
	 * authd refuses the sid from now on. */
	notice_revoked(ad, tc.tc_sid, tc.tc_exp);
	/*
	 * A session refused here already: either this logout completes one
	 * that did not commit before (the row was still live), or the token
	 * is dead and the answer is what any revoked token gets.
	 */
	if (revoked) {
		rk.rk_none_status = 401;
		rk.rk_none_code = "PN201";
		rk.rk_none_msg = "the token has been revoked";
	}
	return revoke_answer(ad, db, rq, &tc, &rk, rs);
}

int
session_me(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	char *userjson = NULL;
	int r;

	(void)o;
	if (bearer_claims(ad, rq, &tc, rs) == -1)
		return 0;
	if ((r = user_json(db, rq->ar_table, tc.tc_sub, &userjson)) == -1)
		return -1;
	if (r == 2)
		account_error(rs, 404, "PN400", "the user no longer exists");
	else if (r != 0)
		account_error(rs, 500, "PN900", "internal error");
	else {
		rs->as_status = 200;
		buf_reset(&rs->as_body);
		buf_addstr(&rs->as_body, userjson);
	}
	free(userjson);
	return 0;
}

int
session_list(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	const char *vals[3];
	PGresult *res;

	(void)o;
	if (bearer_claims(ad, rq, &tc, rs) == -1)
		return 0;
	vals[0] = rq->ar_table;
	vals[1] = tc.tc_sub;
	vals[2] = tc.tc_sid;
	res = pq_exec(db,
	    "SELECT coalesce(json_agg(json_build_object('id', id, "
	    "'created_at', created_at, 'last_used_at', last_used_at, "
	    "'expires_at', expires_at, 'user_agent', user_agent, "
	    "'client_addr', client_addr, 'current', id = $3::uuid) "
	    "ORDER BY created_at), '[]')::text FROM auth.sessions "
	    "WHERE tbl = $1 AND user_id = $2 AND revoked_at IS NULL "
	    "AND expires_at > now()",
	    3, vals);
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("sessions: %s", PQresultErrorMessage(res));
		account_error(rs, 500, "PN900", "internal error");
	} else {
		rs->as_status = 200;
		buf_reset(&rs->as_body);
		buf_addstr(&rs->as_body, PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return 0;
}

int
session_revoke_one(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	struct revoke rk = {
	    .rk_update =
	        "UPDATE auth.sessions SET revoked_at = now() " REVOKE_ONE_WHERE
	            REVOKED_RETURNING,
	    .rk_select = "SELECT " REVOKED_COLUMNS
	                 " FROM auth.sessions " REVOKE_ONE_WHERE,
	    .rk_nvals = 3,
	    .rk_audit = "session_revoke",
	    .rk_none_status = 404,
	    .rk_none_code = "PN400",
	    .rk_none_msg = "no such session",
	};

	(void)o;
	if (bearer_claims(ad, rq, &tc, rs) == -1)
		return 0;
	/* Not a uuid: no such session (and no database error). */
	if (rq->ar_arg == NULL || strlen(rq->ar_arg) != 36 ||
	    strspn(rq->ar_arg, "0123456789abcdefABCDEF-") != 36) {
		account_error(rs, 404, "PN400", "no such session");
		return 0;
	}
	rk.rk_vals[0] = rk.rk_object = rq->ar_arg;
	rk.rk_vals[1] = rq->ar_table;
	rk.rk_vals[2] = tc.tc_sub;
	return revoke_answer(ad, db, rq, &tc, &rk, rs);
}

int
session_revoke_others(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	struct revoke rk = {
	    .rk_update = REVOKE_OTHERS_UPDATE,
	    .rk_select = REVOKE_OTHERS_SELECT,
	    .rk_nvals = 3,
	    .rk_audit = "sessions_revoke_others",
	};

	(void)o;
	if (bearer_claims(ad, rq, &tc, rs) == -1)
		return 0;
	rk.rk_vals[0] = rq->ar_table;
	rk.rk_vals[1] = tc.tc_sub;
	rk.rk_vals[2] = rk.rk_object = tc.tc_sid;
	return revoke_answer(ad, db, rq, &tc, &rk, rs);
}

int
session_password(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs)
{
	struct token_claims tc;
	const char *cur, *npw, *why, *vals[3];
	char phc[PASSWORD_PHC_MAX], key[2 * TOKEN_FIELD_MAX + 2];
	size_t curlen, npwlen;
	PGresult *res = NULL;
	struct rl_limit lim;
	struct rl_taken taken;
	const char *keyp;
	int bad, rv = -1, n, r, match;

	phc[0] = '\0';
	if (bearer_claims(ad, rq, &tc, rs) == -1)
		return 0;
	if ((cur = json_get_str(o, "current_password", &curlen, &bad)) ==
	        NULL ||
	    (npw = json_get_str(o, "new_password", &npwlen, &bad)) == NULL) {
		account_error(rs, 400, "PN101",
		    "\"current_password\" and \"new_password\" are required "
		    "strings");
		return 0;
	}
	if (password_policy(npw, npwlen, &why) == -1) {
		account_error(rs, 400, "PN104", why);
		return 0;
	}
	if (ad->ad_blocklist != NULL &&
	    blocklist_contains(ad->ad_blocklist, npw, npwlen)) {
		account_error(rs, 400, "PN104",
		    "this password is too common; choose another");
		return 0;
	}
	/* Guessing the current password with a stolen token is limited like
	 * logins are. */
	snprintf(key, sizeof(key), "%s\n%s", rq->ar_table, tc.tc_sub);
	lim.rl_bucket = "password";
	lim.rl_limit = (unsigned)ad->ad_cf.cf_login_limit_per_email;
	lim.rl_window = (unsigned)ad->ad_cf.cf_login_limit_window;
	keyp = key;
	if ((r = rate_limited(ad, db, rq, &lim, &keyp, 1, &taken, rs)) == -1)
		return -1;
	if (r == 1)
		return 0;
	vals[0] = rq->ar_table;
	vals[1] = tc.tc_sub;
	res = pq_exec(db,
	    "SELECT phc FROM auth.credentials WHERE tbl = $1 AND user_id = $2",
	    2, vals);
	if (db_broken(db, res))
		goto fail;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("password: %s", PQresultErrorMessage(res));
		account_unavailable(rs, "the database is unavailable");
		goto done;
	}
	match = PQntuples(res) == 1 &&
	        password_verify(PQgetvalue(res, 0, 0), cur, curlen) == 0;
	PQclear(res);
	res = NULL;
	if (!match) {
		/* The attempt was counted before the verification. */
		audit(db, "password_change_failure", rq->ar_table, tc.tc_sub,
		    rq->ar_client, tc.tc_sid);
		account_error(
		    rs, 403, "PN300", "the current password is wrong");
		goto done;
	}
	if (password_hash(&ad->ad_pp, npw, npwlen, phc, sizeof(phc)) == -1) {
		account_error(rs, 500, "PN900", "internal error");
		goto done;
	}
	/*
	 * The new password and the end of every other session (whoever else
	 * held one may be why the password changes) commit together or not at
	 * all; if not, this authd still refuses the other sessions and the
	 * client is told to retry.
	 */
	res = PQexec(db, "BEGIN");
	if (db_broken(db, res))
		goto fail;
	PQclear(res);
	vals[2] = phc;
	res = pq_exec(db,
	    "UPDATE auth.credentials SET phc = $3, updated_at = now() "
	    "WHERE tbl = $1 AND user_id = $2",
	    3, vals);
	if (db_broken(db, res))
		goto fail;
	vals[2] = tc.tc_sid;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_write_failed(res, rs);
		revoke_local(ad, db, REVOKE_OTHERS_SELECT, 3, vals);
		goto done;
	}
	PQclear(res);
	res = NULL;
	if ((r = revoke_exec(ad, db, REVOKE_OTHERS_UPDATE, REVOKE_OTHERS_SELECT,
	         3, vals, &n)) == -1)
		goto fail;
	if (r == 1) {
		revoke_failed(rs);
		goto done;
	}
	if ((r = db_commit(db, &res)) == -1)
		goto fail;
	if (r == 1) {
		db_write_failed(res, rs);
		revoke_local(ad, db, REVOKE_OTHERS_SELECT, 3, vals);
		goto done;
	}
	if (rldb_reset(db, &lim, key) == -1)
		log_warnx("password: the rate limit was not reset");
	audit(db, "password_change", rq->ar_table, tc.tc_sub, rq->ar_client,
	    tc.tc_sid);
	no_content(rs);
done:
	rv = 0;
fail:
	PQclear(res);
	OPENSSL_cleanse(phc, sizeof(phc));
	return rv;
}
