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

/* Expired rows are deleted on every this many hits of this process. */
#define RLDB_PRUNE_EVERY 64

static atomic_uint rldb_hits;

/*
 * The bound parameters of key for lim: bucket, digest (the table keeps
 * the SHA-256 of the counted string, never the string), window, limit.
 */
struct rldb_args {
	char ra_md[2 + 2 * SHA256_DIGEST_LENGTH + 1];
	char ra_window[16];
	char ra_limit[16];
	const char *ra_vals[4];
};

static void
rldb_args(const struct rl_limit *lim, const char *key, struct rldb_args *a)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)key, strlen(key), md);
	a->ra_md[0] = '\\';
	a->ra_md[1] = 'x';
	hex_encode(md, sizeof(md), a->ra_md + 2, sizeof(a->ra_md) - 2);
	snprintf(a->ra_window, sizeof(a->ra_window), "%u", lim->rl_window);
	snprintf(a->ra_limit, sizeof(a->ra_limit), "%u", lim->rl_limit);
	a->ra_vals[0] = lim->rl_bucket;
	a->ra_vals[1] = a->ra_md;
	a->ra_vals[2] = a->ra_window;
	a->ra_vals[3] = a->ra_limit;
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

int
rldb_check(
    PGconn *db, const struct rl_limit *lim, const char *key, unsigned *wait)
{
	struct rldb_args a;
	PGresult *res;
	long long s;
	int rv = 1;

	*wait = 0;
	rldb_args(lim, key, &a);
	/*
	 * The limit-th youngest attempt inside the window, if there is one,
	 * and the seconds until it leaves the window: until then limit
	 * attempts fall inside it.  The index scan stops after limit rows.
	 */
	res = pq_exec(db,
	    "SELECT ceil(extract(epoch FROM at - (statement_timestamp() - "
	    "make_interval(secs => $3::int))))::bigint "
	    "FROM auth.rate_events WHERE bucket = $1 AND key = $2::bytea "
	    "AND at > statement_timestamp() - make_interval(secs => $3::int) "
	    "ORDER BY at DESC OFFSET $4::bigint - 1 LIMIT 1",
	    4, a.ra_vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) > 1) {
		log_warnx("rate limit check: %s", PQresultErrorMessage(res));
		goto fail;
	}
	if (PQntuples(res) == 1) {
		/* Retry-After: whole seconds, at least 1, at most the window. */
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

int
rldb_hit(PGconn *db, const struct rl_limit *lim, const char *key)
{
	struct rldb_args a;
	int r;

	rldb_args(lim, key, &a);
	/* One row per attempt: concurrent hits from any node each count. */
	r = rldb_command(db, "hit",
	    "INSERT INTO auth.rate_events (bucket, key, at, expires_at) "
	    "VALUES ($1, $2::bytea, statement_timestamp(), "
	    "statement_timestamp() + make_interval(secs => $3::int))",
	    3, a.ra_vals);
	if (r != 0 || atomic_fetch_add(&rldb_hits, 1) % RLDB_PRUNE_EVERY != 0)
		return r;
	r = rldb_command(db, "prune",
	    "DELETE FROM auth.rate_events "
	    "WHERE expires_at < statement_timestamp()",
	    0, NULL);
	/* A prune that failed costs only space; the hit was counted. */
	return r == -1 ? -1 : 0;
}

int
rldb_reset(PGconn *db, const struct rl_limit *lim, const char *key)
{
	struct rldb_args a;

	rldb_args(lim, key, &a);
	return rldb_command(db, "reset",
	    "DELETE FROM auth.rate_events WHERE bucket = $1 "
	    "AND key = $2::bytea",
	    2, a.ra_vals);
}
