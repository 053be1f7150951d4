/*
 * Rate limits kept in PostgreSQL (auth.rate_counts, sql/006_rate_limits.sql)
 * so that every authd on one database shares them and a restart keeps
 * them; the arithmetic is ratelimit.c's.  The clock is the database's, so
 * nodes whose clocks differ still agree on the windows.  Every statement
 * is a single unnamed one (safe behind a transaction-mode pooler).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/acct.h"
#include "authd/ratelimit.h"

/* Expired rows are deleted on every this many hits of this process. */
#define RLDB_PRUNE_EVERY 64

static atomic_uint rldb_hits;

/* The bound parameters of key for lim: bucket, digest, phase, window. */
struct rldb_args {
	char ra_md[2 + 2 * RATELIMIT_DIGEST_LEN + 1];
	char ra_phase[16];
	char ra_window[16];
	char ra_limit[16];
	const char *ra_vals[5];
};

static void
rldb_args(const struct rl_limit *lim, const char *key, struct rldb_args *a)
{
	unsigned char md[RATELIMIT_DIGEST_LEN];

	ratelimit_digest(key, md);
	a->ra_md[0] = '\\';
	a->ra_md[1] = 'x';
	hex_encode(md, sizeof(md), a->ra_md + 2, sizeof(a->ra_md) - 2);
	snprintf(a->ra_phase, sizeof(a->ra_phase), "%u",
	    ratelimit_phase(md, lim->rl_window));
	snprintf(a->ra_window, sizeof(a->ra_window), "%u", lim->rl_window);
	snprintf(a->ra_limit, sizeof(a->ra_limit), "%u", lim->rl_limit);
	a->ra_vals[0] = lim->rl_bucket;
	a->ra_vals[1] = a->ra_md;
	a->ra_vals[2] = a->ra_phase;
	a->ra_vals[3] = a->ra_window;
	a->ra_vals[4] = a->ra_limit;
}

int
rldb_check(
    PGconn *db, const struct rl_limit *lim, const char *key, unsigned *wait)
{
	struct rldb_args a;
	PGresult *res;
	unsigned el;
	int64_t x, w;
	int rv = 1;

	*wait = 0;
	rldb_args(lim, key, &a);
	/* x: seconds since the key's phase; x / w is the window index. */
	res = db_exec(db,
	    "WITH t AS (SELECT floor(extract(epoch FROM statement_timestamp()))"
	    "::bigint - $3::bigint AS x) "
	    "SELECT t.x, "
	    "coalesce(sum(r.hits) FILTER (WHERE r.win = (t.x / $4::int)), 0),"
	    " coalesce(sum(r.hits) FILTER (WHERE r.win = (t.x / $4::int) - 1),"
	    " 0) FROM t LEFT JOIN auth.rate_counts r ON r.bucket = $1 "
	    "AND r.key = $2::bytea AND r.window_s = $4::int "
	    "AND r.win >= (t.x / $4::int) - 1 GROUP BY t.x",
	    4, a.ra_vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_warnx("rate limit check: %s", PQresultErrorMessage(res));
		goto fail;
	}
	x = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	w = lim->rl_window;
	el = (unsigned)(((x % w) + w) % w);
	*wait = ratelimit_wait(lim->rl_limit, lim->rl_window,
	    (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10),
	    (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10), el);
	rv = 0;
fail:
	PQclear(res);
	return rv;
}

int
rldb_hit(PGconn *db, const struct rl_limit *lim, const char *key)
{
	struct rldb_args a;
	PGresult *res;
	int rv = 1;

	rldb_args(lim, key, &a);
	/* Atomic: concurrent hits from any node each count once. */
	res = db_exec(db,
	    "INSERT INTO auth.rate_counts AS r "
	    "(bucket, key, window_s, win, hits, expires_at) "
	    "SELECT $1, $2::bytea, $4::int, "
	    "(floor(extract(epoch FROM statement_timestamp()))::bigint "
	    "- $3::bigint) / $4::int, 1, "
	    "statement_timestamp() + make_interval(secs => 2 * $4::int) "
	    "ON CONFLICT (bucket, key, window_s, win) "
	    "DO UPDATE SET hits = least(r.hits + 1, $5::int)",
	    5, a.ra_vals);
	if (db_broken(db, res)) {
		rv = -1;
		goto fail;
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("rate limit hit: %s", PQresultErrorMessage(res));
		goto fail;
	}
	PQclear(res);
	res = NULL;
	if (atomic_fetch_add(&rldb_hits, 1) % RLDB_PRUNE_EVERY == 0) {
		res = db_exec(db,
		    "DELETE FROM auth.rate_counts "
		    "WHERE expires_at < statement_timestamp()",
		    0, NULL);
		if (db_broken(db, res)) {
			rv = -1;
			goto fail;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			log_warnx(
			    "rate limit prune: %s", PQresultErrorMessage(res));
	}
	rv = 0;
fail:
	PQclear(res);
	return rv;
}

int
rldb_reset(PGconn *db, const struct rl_limit *lim, const char *key)
{
	struct rldb_args a;
	PGresult *res;
	int rv = 1;

	rldb_args(lim, key, &a);
	res = db_exec(db,
	    "DELETE FROM auth.rate_counts WHERE bucket = $1 "
	    "AND key = $2::bytea",
	    2, a.ra_vals);
	if (db_broken(db, res))
		rv = -1;
	else if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("rate limit reset: %s", PQresultErrorMessage(res));
	else
		rv = 0;
	PQclear(res);
	return rv;
}
