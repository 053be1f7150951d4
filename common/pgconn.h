/*
 * What both daemons do the same way with libpq: the connection parameters
 * (user, password, timeouts), the pooler probe, and libpq's notices routed
 * to the JSON log.
 */
#ifndef POSTERN_COMMON_PGCONN_H
#define POSTERN_COMMON_PGCONN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "common/config.h"

#define PGCONN_MAX_PARAMS 8

enum pgconn_kind {
	PGCONN_POOL,   /* statements: through a pooler if db_pooler says so */
	PGCONN_LISTEN, /* LISTEN: always a direct connection */
	PGCONN_PROBE   /* the start-up probe: no startup options */
};

struct pgconn_params {
	const char *pp_keys[PGCONN_MAX_PARAMS + 1];
	const char *pp_vals[PGCONN_MAX_PARAMS + 1];
	char pp_timeout[24];
	char pp_options[64];
};

/*
 * Fills p for daemon who ("gateway" or "authd").  Direct pool connections
 * (db_pooler unset or none) carry "-c statement_timeout=..." (db_timeout_ms
 * plus a second) as a startup option; through a pooler, which refuses
 * unknown startup parameters, the roles' own statement_timeout applies
 * (sql/008_timeouts.sql).  pass may be empty.
 */
void pgconn_params(struct pgconn_params *p, const struct config *cf,
    const char *who, const char *pass, enum pgconn_kind kind);

/*
 * A blocking connection with pgconn_params(), its notices routed to the log.
 * NULL on failure, with libpq's reason in err.
 */
PGconn *pgconn_connect(const struct config *cf, const char *who,
    const char *pass, enum pgconn_kind kind, char *err, size_t errlen);

/*
 * 1 if c is a direct connection to PostgreSQL, 0 if a pooler stands in
 * between (pgbouncer and its kind send their own BackendKeyData, so
 * PQbackendPID differs from the server's pg_backend_pid()), -1 if the
 * query failed (err says why).  Blocking.
 */
int pgconn_is_direct(PGconn *c, char *err, size_t errlen);

/*
 * Refuses to start (fatalx) where the daemon could not run safely: with
 * db_pooler unset or none, its database URL (kind PGCONN_PROBE) must not
 * lead to a connection pooler, since named prepared statements would run
 * on other clients' server connections; listen_database_url (kind
 * PGCONN_LISTEN) never may, since LISTEN through a transaction pooler
 * hears nothing.  A database that does not answer now only logs: each
 * later connection checks for itself.  Blocking; for start-up.
 */
void pgconn_probe(const struct config *cf, const char *who, const char *pass,
    enum pgconn_kind kind);

/* PQsetNoticeProcessor callback: each notice becomes one JSON log line. */
void pgconn_notice(void *arg, const char *msg);

#endif
