/*
 * The asynchronous PostgreSQL pool, driven by the gateway's event loop: no
 * libpq call on the request path ever blocks.  Connections are opened with
 * PQconnectStartParams/PQconnectPoll and run in pipeline mode: the
 * statements of one request (e.g. set_config() for the caller, the query,
 * a count) are sent back to back and closed by one sync, so they run in one
 * implicit transaction and cost one round trip.  A broken connection fails
 * its request (503) and is reopened with backoff; while no connection is
 * healthy, new requests fail at once instead of hanging; a request that
 * waits longer than pool_acquire_timeout_ms for a free connection fails with
 * DB_TIMEOUT (504), and so does a statement that has not answered within
 * db_timeout_ms (its connection is then dropped and made again: a frozen
 * server never holds a request longer).  Connecting is bounded the same way.
 *
 * Direct connections (pooled = 0) prepare each statement once per
 * connection and run it by name; each new connection first checks that it
 * is not behind a connection pooler (pg_backend_pid() against libpq's
 * PQbackendPID()) and is dropped if it is.  Behind a transaction-mode
 * pooler (pooled = 1) every statement is unnamed and nothing is kept on the
 * server between requests.
 *
 * One extra connection, outside the pool and always direct (checked the
 * same way), can LISTEN on a channel.
 */
#ifndef POSTERN_GATEWAY_DB_H
#define POSTERN_GATEWAY_DB_H

#include <event2/event.h>
#include <libpq-fe.h>

#define DB_MAX_STMTS 4

enum db_status { DB_OK = 0, DB_UNAVAILABLE, DB_TIMEOUT };

struct dbpool;
struct dbq;

struct dbstmt {
	const char *ds_sql;
	int ds_nparams;
	const char *const *ds_vals;
};

/*
 * On DB_OK, res[i] is the result of statement i (check PQresultStatus: a
 * failed statement is PGRES_FATAL_ERROR and the ones after it are
 * PGRES_PIPELINE_ABORTED; the transaction was rolled back).  The pool
 * clears the results after the call.  On failure res is NULL.
 */
typedef void (*db_cb)(enum db_status st, PGresult **res, int nres, void *arg);

struct dbpool *db_pool_new(struct event_base *base, const char *const *keys,
    const char *const *vals, int size, long acquire_timeout_ms, int pooled,
    long timeout_ms);
void db_pool_free(struct dbpool *p);
/* Copies the statements and values.  NULL if the pool has no healthy
 * connection (answer 503) or on allocation failure. */
struct dbq *db_exec(
    struct dbpool *p, const struct dbstmt *stmts, int n, db_cb cb, void *arg);
struct dbq *db_query(struct dbpool *p, const char *sql, int nparams,
    const char *const *vals, db_cb cb, void *arg);
/* The callback will not be called; the statements may still run. */
void db_cancel(struct dbq *q);
int db_pool_healthy(const struct dbpool *p);
void db_pool_stats(
    const struct dbpool *p, int *in_use, int *idle, int *waiting);
/* The catalog changed: statements prepared before are dropped (each
 * connection does DEALLOCATE ALL before its next request). */
void db_pool_invalidate(struct dbpool *p);
/* Connections waiting to be made again try now (readyz: the pool's view of
 * the database must not lag behind it). */
void db_pool_wake(struct dbpool *p);
/* 1 if LISTEN is established; else *why says what is wrong. */
int db_pool_listening(const struct dbpool *p, const char **why);
/* Called each time a pool connection becomes ready. */
void db_pool_on_ready(struct dbpool *p, void (*cb)(void *), void *arg);
/*
 * LISTENs on channel on a dedicated connection; cb runs for every
 * notification, and also each time that connection is (re)established,
 * since notifications may have been missed while it was down.
 */
int db_pool_listen(struct dbpool *p, const char *const *keys,
    const char *const *vals, const char *channel, void (*cb)(void *),
    void *arg);

#endif
