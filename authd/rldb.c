/*
 * Rate limits kept in PostgreSQL (auth.rate_events, sql/009_rate_events.sql)
 * so that every authd on one database shares them and a restart keeps
 * them.  A counted attempt is one row; a key is over its limit while limit
 * of its rows are younger than the window: an exact sliding window, with
 * no fixed windows whose boundaries a burst could straddle.  The clock is
 * the database's, so nodes whose clocks differ still agree.  Every
 * statement is a single unnamed one (safe behind a transaction-mode
 * pooler).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/sha.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/acct.h"

/* Expired rows are deleted on every this many takes of this process. */
#define RLDB_PRUNE_EVERY 64

static atomic_uint rldb_takes;

/*
 * The bound parameters of key for lim: bucket, digest (the table keeps
 * the SHA-256 of the counted string, never the string), window, limit,
 * and the advisory lock of (bucket, key): 64 bits of SHA-256(key) XOR
 * SHA-256(bucket), so that one key's lock is not another bucket's.
 */
static void
rldb_args(const struct rl_limit *lim, const char *key, struct rl_args *a)
{
	unsigned char md[SHA256_DIGEST_LENGTH], bmd[SHA256_DIGEST_LENGTH];
	uint64_t v = 0;
	int i;

	SHA256((const unsigned char *)key, strlen(key), md);
	a->ra_md[0] = '\\';
	a->ra_md[1] = 'x';
	hex_encode(md, sizeof(md), a->ra_md + 2, sizeof(a->ra_md) - 2);
	snprintf(a->ra_window, sizeof(a->ra_window), "%u", lim->rl_window);
	snprintf(a->ra_limit, sizeof(a->ra_limit), "%u", lim->rl_limit);
	SHA256(
	    (const unsigned char *)lim->rl_bucket, strlen(lim->rl_bucket), bmd);
	for (i = 0; i < 8; i++)
		v = (v << 8) | (uint8_t)(md[i] ^ bmd[i]);
	snprintf(a->ra_lock, sizeof(a->ra_lock), "%lld", (long long)(int64_t)v);
	a->ra_vals[0] = lim->rl_bucket;
	a->ra_vals[1] = a->ra_md;
	a->ra_vals[2] = a->ra_window;
	a->ra_vals[3] = a->ra_limit;
	a->ra_vals[4] = a->ra_lock;
}

/* One statement that returns no rows; 0, 1 if it failed, -1 broken. */
static int
rldb_command(PGconn *db, const char *what, const char *sql, int n,
    const char *const *vals)
{
	PGresult *res;
	int rv = 1;

	res = pq_exec(db, sql, n, vals);
	if (db_broken(db, res))
		rv = -1;
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("rate limit %s: %s", what, PQresultErrorMessage(res));
	else
		rv = 0;
	PQclear(res);
	return rv;
}

/* The limit-th youngest attempt in the window, if any, and the seconds
 * until it leaves the window: until then limit attempts fall inside it.
 * The index scan stops after limit rows. */
static int
rldb_check(PGconn *db, const struct rl_limit *lim, const struct rl_args *a,
    unsigned *wait)
{
	PGresult *res;
	long long s;
	int rv = 1;

	*wait = 0;
	res = pq_exec(db,
	    "SELECT ceil(extract(epoch FROM at - (statement_timestamp() - "
	    "make_interval(secs => $3::int))))::bigint "
	    "FROM auth.rate_events WHERE bucket = $1 AND key = $2::bytea "
	    "AND at > statement_timestamp() - make_interval(secs => $3::int) "
	    "ORDER BY at DESC OFFSET $4::bigint - 1 LIMIT 1",
	    4, a->ra_vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > 1) {
		log_warnx("rate limit check: %s", PQresultErrorMessage(res));
		goto fail;
	}
	if (PQntuples(res) == 1) {
		/* Retry-After: whole seconds, at least 1, at most the window.
		 */
		s = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		if (s < 1)
			s = 1;
		if (s > (long long)lim->rl_window)
			s = lim->rl_window;
		*wait = (unsigned)s;
	}
	rv = 0;
fail:
	PQclear(res);
	return rv;
}

/* One statement returning one value into out (outcap bytes). */
static int
rldb_value(PGconn *db, const char *what, const char *sql, int n,
    const char *const *vals, char *out, size_t outcap)
{
	PGresult *res;
	int rv = 1;

	res = pq_exec(db, sql, n, vals);
	if (db_broken(db, res))
		rv = -1;
	else if (PQresultStatus(res) != PGRES_TUPLES_OK ||
	         PQntuples(res) != 1 || PQnfields(res) != 1)
		log_warnx("rate limit %s: %s", what, PQresultErrorMessage(res));
	else {
		if (out != NULL)
			x_strlcpy(out, PQgetvalue(res, 0, 0), outcap);
		rv = 0;
	}
	PQclear(res);
	return rv;
}

/*
 * The checks and the counts in one transaction, each key under its own
 * advisory lock, taken in the callers' fixed order (a login's email and
 * address, email, address; a signup's address; a password change's
 * user): every authd sees the attempts of every other before deciding,
 * so parallel attempts cannot all pass at the limit.  The lock is taken
 * in a statement of its own so that the checks, under READ COMMITTED,
 * read a snapshot taken after it.
 */
static int
rldb_take_locked(PGconn *db, const struct rl_limit *lims,
    const char *const *keys, size_t n, unsigned *wait, struct rl_taken *t)
{
	unsigned w;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if (keys[i] != NULL && keys[i][0] != '\0' &&
		    (r = rldb_value(db, "lock",
		         "SELECT pg_advisory_xact_lock($1::bigint)", 1,
		         &t->rt_args[i].ra_vals[4], NULL, 0)) != 0)
			return r;
	for (i = 0; i < n; i++) {
		if (keys[i] == NULL || keys[i][0] == '\0')
			continue;
		if ((r = rldb_check(db, &lims[i], &t->rt_args[i], &w)) != 0)
			return r;
		if (w > *wait)
			*wait = w;
	}
	if (*wait > 0)
		return 0;
	/* One row per attempt: concurrent hits from any node each count. */
	for (i = 0; i < n; i++)
		if (keys[i] != NULL && keys[i][0] != '\0' &&
		    (r = rldb_value(db, "hit",
		         "INSERT INTO auth.rate_events "
		         "(bucket, key, at, expires_at) "
		         "VALUES ($1, $2::bytea, statement_timestamp(), "
		         "statement_timestamp() + "
		         "make_interval(secs => $3::int)) RETURNING id::text",
		         3, t->rt_args[i].ra_vals, t->rt_id[i],
		         sizeof(t->rt_id[i]))) != 0)
			return r;
	return 0;
}

int
rldb_take(PGconn *db, const struct rl_limit *lims, const char *const *keys,
    size_t n, unsigned *wait, struct rl_taken *t)
{
	PGresult *res;
	size_t i;
	int r;

	*wait = 0;
	memset(t, 0, sizeof(*t));
	if (n > RL_KEYS_MAX)
		return 1;
	t->rt_n = n;
	for (i = 0; i < n; i++)
		if (keys[i] != NULL)
			rldb_args(&lims[i], keys[i], &t->rt_args[i]);
	res = PQexec(db, "BEGIN");
	if (db_broken(db, res)) {
		PQclear(res);
		return -1;
	}
	r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : 1;
	PQclear(res);
	if (r == 0)
		r = rldb_take_locked(db, lims, keys, n, wait, t);
	if (r != 0 || *wait > 0) {
		if (r != -1)
			db_rollback(db);
		memset(t->rt_id, 0, sizeof(t->rt_id));
		return r;
	}
	if ((r = db_commit(db, NULL)) != 0) {
		memset(t->rt_id, 0, sizeof(t->rt_id));
		return r;
	}
	if (atomic_fetch_add(&rldb_takes, 1) % RLDB_PRUNE_EVERY == 0 &&
	    rldb_command(db, "prune",
	        "DELETE FROM auth.rate_events "
	        "WHERE expires_at < statement_timestamp()",
	        0, NULL) == -1)
		return -1;
	/* A prune that failed costs only space; the attempts were counted. */
	return 0;
}

void
rldb_refund(PGconn *db, const struct rl_taken *t)
{
	const char *vals[3];
	size_t i;

	for (i = 0; i < t->rt_n; i++) {
		if (t->rt_id[i][0] == '\0')
			continue;
		vals[0] = t->rt_args[i].ra_vals[0];
		vals[1] = t->rt_args[i].ra_vals[1];
		vals[2] = t->rt_id[i];
		/* A row left behind only counts against its key. */
		if (rldb_command(db, "refund",
		        "DELETE FROM auth.rate_events WHERE bucket = $1 "
		        "AND key = $2::bytea AND id = $3::uuid",
		        3, vals) != 0)
			return;
	}
}

int
rldb_reset(PGconn *db, const struct rl_limit *lim, const char *key)
{
	struct rl_args a;

	rldb_args(lim, key, &a);
	return rldb_command(db, "reset",
	    "DELETE FROM auth.rate_events WHERE bucket = $1 "
	    "AND key = $2::bytea",
	    2, a.ra_vals);
}
