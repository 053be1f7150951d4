/*
 * What signup/login (account.c) and the session operations (session.c)
 * share: statement helpers, the audit log, refresh tokens, the token
 * response, and the bearer check of authenticated auth routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/b64url.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "authd/acct.h"
#include "authd/revoked.h"

/* A failed connection, as opposed to a failed statement. */
int
db_broken(PGconn *db, PGresult *res)
{
	ExecStatusType st;

	if (res == NULL)
		return 1;
	st = PQresultStatus(res);
	if (st == PGRES_FATAL_ERROR && PQstatus(db) != CONNECTION_OK)
		return 1;
	return 0;
}

PGresult *
pq_exec(PGconn *db, const char *sql, int n, const char *const *vals)
{
	return PQexecParams(db, sql, n, NULL, vals, NULL, NULL, 0);
}

void
db_rollback(PGconn *db)
{
	PQclear(PQexec(db, "ROLLBACK"));
}

const char *
sqlstate(PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL ? s : "";
}

int
db_commit(PGconn *db, PGresult **resp)
{
	PGresult *res;
	int rv;

	if (resp != NULL)
		*resp = NULL;
	res = PQexec(db, "COMMIT");
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK &&
	    strcmp(PQcmdStatus(res), "COMMIT") == 0) {
		PQclear(res);
		return 0;
	}
	rv = 1;
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		log_warnx("commit: the transaction was rolled back");
		PQclear(res);
		res = NULL;
	} else
		log_warnx("commit: %s", PQresultErrorMessage(res));
	if (resp != NULL)
		*resp = res;
	else
		PQclear(res);
	return rv;
}

void
db_write_failed(PGresult *res, struct acct_res *rs)
{
	if (res != NULL && strncmp(sqlstate(res), "42", 2) == 0) {
		log_warnx("write refused: %s", PQresultErrorMessage(res));
		account_error(rs, 500, "PN900", "internal error");
		return;
	}
	if (res != NULL)
		log_warnx("write failed: %s", PQresultErrorMessage(res));
	account_unavailable(
	    rs, "the database did not commit the change; nothing was done");
}

/* Is there an auth group on this table that serves this operation? */
int
group_allows(PGconn *db, const char *table, const char *op, int *allowed)
{
	const char *vals[2] = {table, op};
	PGresult *res;

	res = pq_exec(db,
	    "SELECT 1 FROM postern.endpoints WHERE kind = 'auth' AND "
	    "table_name = $1 AND $2 = ANY (ops)",
	    2, vals);
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	*allowed = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("%s: %s", __func__, PQresultErrorMessage(res));
	PQclear(res);
	return 0;
}

void
audit(PGconn *db, const char *event, const char *table, const char *user_id,
    const char *client, const char *sid)
{
	const char *vals[5] = {event, table, user_id, client, sid};
	PGresult *res;

	res = pq_exec(db,
	    "INSERT INTO auth.audit_log (event, tbl, user_id, client_addr, "
	    "session_id) VALUES ($1, $2, $3, NULLIF($4, ''), $5::uuid)",
	    5, vals);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("%s: %s", __func__, PQresultErrorMessage(res));
	PQclear(res);
}

int
refresh_new(struct buf *plain, char hash[REFRESH_HASH_HEX])
{
	unsigned char raw[REFRESH_BYTES];
	int rv = -1;

	if (random_bytes(raw, sizeof(raw)) == -1 ||
	    b64url_encode(raw, sizeof(raw), plain) == -1)
		goto fail;
	refresh_hash(plain->b_data, plain->b_len, hash);
	rv = 0;
fail:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rv;
}

void
refresh_hash(const char *tok, size_t len, char hash[REFRESH_HASH_HEX])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)tok, len, digest);
	hash[0] = '\\';
	hash[1] = 'x';
	hex_encode(digest, sizeof(digest), hash + 2, REFRESH_HASH_HEX - 2);
}

int
tokens_write(struct authd *ad, const struct acct_req *rq, const char *user_id,
    const char *sid, const struct buf *refresh, const char *userjson,
    uint16_t status, struct acct_res *rs)
{
	struct token_claims tc;
	struct buf access;
	int64_t now = time_epoch_s();
	int rv = -1;

	buf_init(&access);
	memset(&tc, 0, sizeof(tc));
	x_strlcpy(tc.tc_sub, user_id, sizeof(tc.tc_sub));
	x_strlcpy(tc.tc_sid, sid, sizeof(tc.tc_sid));
	x_strlcpy(tc.tc_tbl, rq->ar_table, sizeof(tc.tc_tbl));
	tc.tc_iat = now;
	tc.tc_exp = now + ad->ad_cf.cf_token_lifetime;
	if (token_sign(ad->ad_key, ad->ad_keylen, &tc, &access) == -1)
		goto fail;
	rs->as_status = status;
	buf_reset(&rs->as_body);
	buf_addstr(&rs->as_body, "{\"access_token\":");
	buf_add_json_str(&rs->as_body, access.b_data, access.b_len);
	buf_printf(&rs->as_body,
	    ",\"token_type\":\"bearer\",\"expires_in\":%ld,"
	    "\"refresh_token\":",
	    ad->ad_cf.cf_token_lifetime);
	buf_add_json_str(&rs->as_body, refresh->b_data, refresh->b_len);
	buf_addstr(&rs->as_body, ",\"user\":");
	buf_addstr(&rs->as_body, userjson);
	buf_addc(&rs->as_body, '}');
	if (buf_error(&rs->as_body) == -1)
		goto fail;
	rv = 0;
fail:
	buf_wipe_free(&access);
	return rv;
}

int
bearer_claims(struct authd *ad, const struct acct_req *rq,
    struct token_claims *tc, struct acct_res *rs)
{
	return bearer_claims_ex(ad, rq, tc, rs, NULL);
}

int
bearer_claims_ex(struct authd *ad, const struct acct_req *rq,
    struct token_claims *tc, struct acct_res *rs, int *revoked)
{
	enum token_err te;
	int64_t now = time_epoch_s();

	if (rq->ar_bearer == NULL || rq->ar_bearer[0] == '\0') {
		account_error(rs, 401, "PN200", "a bearer token is required");
		return -1;
	}
	te = token_verify(ad->ad_key, ad->ad_keylen, rq->ar_bearer,
	    strlen(rq->ar_bearer), now, ad->ad_cf.cf_token_leeway, tc);
	if (te != TOKEN_OK) {
		account_error(rs, 401, "PN201",
		    te == TOKEN_EXPIRED ? "the token has expired"
		                        : "the token is invalid");
		return -1;
	}
	if (revoked != NULL)
		*revoked = revoked_contains(ad->ad_revoked, tc->tc_sid, now);
	else if (revoked_contains(ad->ad_revoked, tc->tc_sid, now)) {
		account_error(rs, 401, "PN201", "the token has been revoked");
		return -1;
	}
	/* A token of another auth group means nothing here. */
	if (strcmp(tc->tc_tbl, rq->ar_table) != 0) {
		account_error(rs, 401, "PN201",
		    "the token belongs to another auth group");
		return -1;
	}
	return 0;
}
