/*
 * Internal to authd's account code (account.c: signup and login;
 * session.c: refresh, logout, me, sessions, password; dbutil.c: what they
 * share).  All of it runs on worker threads, each with its own connection.
 */
#ifndef POSTERN_AUTHD_ACCT_H
#define POSTERN_AUTHD_ACCT_H

#include <libpq-fe.h>
#include <openssl/sha.h>

#include "authd/authd.h"
#include "authd/token.h"

struct json_object;

#define REFRESH_BYTES 32
/* "\x" and the hex of a SHA-256: a bytea literal for a bound parameter. */
#define REFRESH_HASH_HEX (2 + 2 * SHA256_DIGEST_LENGTH + 1)

/* A failed connection, as opposed to a failed statement. */
int db_broken(PGconn *db, PGresult *res);
/* PQexecParams with text parameters and results: blocks this worker until
 * the answer (the gateway's db_exec is its asynchronous pool). */
PGresult *pq_exec(PGconn *db, const char *sql, int n, const char *const *vals);
void db_rollback(PGconn *db);
const char *sqlstate(PGresult *res);
/*
 * COMMITs the open transaction: 0 once PostgreSQL says it committed, 1 if
 * it did not (an aborted transaction "commits" as ROLLBACK; a deferred
 * constraint fails the COMMIT itself), -1 on a broken connection.  With 1
 * and resp not NULL, *resp is the failed COMMIT's result (caller clears) or
 * NULL.
 */
int db_commit(PGconn *db, PGresult **resp);
/*
 * Answers a write that did not happen: 503 PN801 with Retry-After, or 500
 * PN900 for a misconfiguration (SQLSTATE class 42, e.g. a missing grant).
 * res may be NULL (a COMMIT that rolled back).
 */
void db_write_failed(PGresult *res, struct acct_res *rs);

/* Is there an auth group on this table serving op?  -1 on a broken
 * connection. */
int group_allows(PGconn *db, const char *table, const char *op, int *allowed);
/* Writes a row of auth.audit_log; never fails the request. */
void audit(PGconn *db, const char *event, const char *table,
    const char *user_id, const char *client, const char *sid);

/* A new refresh token (base64url of 32 random bytes, appended to plain)
 * and the bytea literal of its SHA-256. */
int refresh_new(struct buf *plain, char hash[REFRESH_HASH_HEX]);
/* The bytea literal of the SHA-256 of a presented refresh token. */
void refresh_hash(const char *tok, size_t len, char hash[REFRESH_HASH_HEX]);
/* Signs an access token for (user, sid) and writes the token response. */
int tokens_write(struct authd *ad, const struct acct_req *rq,
    const char *user_id, const char *sid, const struct buf *refresh,
    const char *userjson, uint16_t status, struct acct_res *rs);

/* Verifies the request's bearer token for this auth group: 0 and claims, or
 * -1 with a 401 answer written. */
int bearer_claims(struct authd *ad, const struct acct_req *rq,
    struct token_claims *tc, struct acct_res *rs);
/* As bearer_claims, but a session this authd holds for revoked is let
 * through with *revoked set (a logout retried after one that did not
 * commit). */
int bearer_claims_ex(struct authd *ad, const struct acct_req *rq,
    struct token_claims *tc, struct acct_res *rs, int *revoked);

/*
 * rldb.c: the rate limits, one row per counted attempt in auth.rate_events
 * (sql/009_rate_events.sql): a key is over its limit while limit of its
 * attempts are younger than the window.  A limit is a bucket name (which
 * count), its limit and window in seconds.  Each
 * returns 0, 1 if the statement failed (logged; the caller fails closed),
 * -1 on a broken connection.
 */
struct rl_limit {
	const char *rl_bucket;
	unsigned rl_limit;
	unsigned rl_window;
};
#define RL_KEYS_MAX 3
/* The bound parameters of one counted key (rldb.c fills them). */
struct rl_args {
	char ra_md[2 + 2 * SHA256_DIGEST_LENGTH + 1];
	char ra_window[16];
	char ra_limit[16];
	char ra_lock[24];
	const char *ra_vals[5];
};
/* What one rldb_take counted, to give back after a success.  Points into
 * itself: not to be copied. */
struct rl_taken {
	size_t rt_n;
	struct rl_args rt_args[RL_KEYS_MAX];
	char rt_id[RL_KEYS_MAX][40]; /* auth.rate_events ids, "" if none */
};
/*
 * Checks keys[i] against lims[i] for each i < n (n <= RL_KEYS_MAX; a NULL
 * or empty key is skipped) and, if none is over its limit, counts one
 * attempt for each, atomically across every authd.  *wait: 0 if counted
 * (t says what), else the seconds until the key furthest over may go
 * (1 .. window), for Retry-After, and nothing was counted.
 */
int rldb_take(PGconn *db, const struct rl_limit *lims, const char *const *keys,
    size_t n, unsigned *wait, struct rl_taken *t);
/* Gives back what t counted (an attempt that succeeded); failures are
 * logged: a row left behind only counts against its key. */
void rldb_refund(PGconn *db, const struct rl_taken *t);
/* Forgets key's counts, e.g. after a successful login. */
int rldb_reset(PGconn *db, const struct rl_limit *lim, const char *key);

/*
 * account.c: rldb_take for a request: 0 to go on (t holds what was
 * counted), 1 with 429 (Retry-After) or, when the limits cannot be checked
 * or counted, 503 written; -1 on a broken connection.  Counting comes
 * before any password work, so that parallel attempts cannot all pass at
 * the limit; a caller refunds (rldb_refund) an attempt that succeeds.
 */
int rate_limited(struct authd *ad, PGconn *db, const struct acct_req *rq,
    const struct rl_limit *lims, const char *const *keys, size_t n,
    struct rl_taken *t, struct acct_res *rs);

/* session.c: one handler per operation. */
int session_refresh(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_logout(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_me(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_list(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_revoke_one(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_revoke_others(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);
int session_password(struct authd *ad, PGconn *db, struct json_object *o,
    const struct acct_req *rq, struct acct_res *rs);

#endif
