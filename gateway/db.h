/*
 * The asynchronous PostgreSQL pool, driven by the gateway's event loop: no
 * libpq call on the request path ever blocks.  Connections are opened with
 * PQconnectStartParams/PQconnectPoll, queries sent with PQsendQueryParams in
 * non-blocking mode, results read when PQsocket is readable.  A broken
 * connection fails its query (503) and is reopened with backoff; while no
 * connection is healthy, new queries fail at once instead of hanging; a
 * query that waits longer than pool_acquire_timeout_ms for a free
 * connection fails with DB_TIMEOUT (504).
 */
#ifndef POSTERN_GATEWAY_DB_H
#define POSTERN_GATEWAY_DB_H

#include <event2/event.h>
#include <libpq-fe.h>

enum db_status { DB_OK = 0, DB_UNAVAILABLE, DB_TIMEOUT };

struct dbpool;
struct dbq;

/* On DB_OK res is the query's result (the pool clears it after the call;
 * check PQresultStatus yourself).  On failure res is NULL. */
typedef void (*db_cb)(enum db_status st, PGresult *res, void *arg);

struct dbpool *db_pool_new(struct event_base *base, const char *const *keys,
    const char *const *vals, int size, long acquire_timeout_ms);
void db_pool_free(struct dbpool *p);
/* Copies sql and the values. */
struct dbq *db_query(struct dbpool *p, const char *sql, int nparams,
    const char *const *vals, db_cb cb, void *arg);
/* The callback will not be called; the query may still run to its end. */
void db_cancel(struct dbq *q);
int db_pool_healthy(const struct dbpool *p);
/* Called each time a connection becomes ready (after connect/reconnect). */
void db_pool_on_ready(struct dbpool *p, void (*cb)(void *), void *arg);
void db_pool_stats(
    const struct dbpool *p, int *in_use, int *idle, int *waiting);

#endif
