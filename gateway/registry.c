/*
 * The live endpoint registry: postern.endpoints plus the catalog of the
 * tables it names, loaded on the pool in one round trip and swapped in as
 * one immutable table.  A reload runs at start (as soon as a connection is
 * up), on every NOTIFY postern_endpoints (endpoint changes and, where the
 * migration could install the event trigger, DDL), on SIGHUP, and whenever
 * the LISTEN connection comes back.  Requests in flight keep the table they
 * started with (reference counted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pgconn.h"
#include "common/util.h"
#include "gateway/catalog.h"
#include "gateway/db.h"
#include "gateway/gateway.h"

#define REGISTRY_CHANNEL "postern_endpoints"

static const char registry_routes_sql[] =
    "SELECT e.id, e.kind, e.method, e.path, e.table_name, e.op, e.auth, "
    "coalesce(e.owner_column, ''), "
    "coalesce(array_to_string(e.ops, ','), ''), (c.oid IS NOT NULL) "
    "FROM postern.endpoints e LEFT JOIN pg_class c "
    "ON c.relname = e.table_name "
    "AND c.relnamespace = 'public'::regnamespace "
    "AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY e.id";

/* Array columns report their element type, with co_array set. */
static const char registry_catalog_sql[] =
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
    "CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END, "
    "t.typcategory = 'A', a.attnotnull, "
    "(a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''), "
    "coalesce(a.attnum = ANY (i.indkey), false) "
    "FROM pg_class c "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_type et ON et.oid = t.typelem "
    "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
    "WHERE c.relnamespace = 'public'::regnamespace "
    "AND c.relkind IN ('r', 'p', 'v', 'm') "
    "AND c.relname IN (SELECT table_name FROM postern.endpoints) "
    "ORDER BY c.relname, a.attnum";

/*
 * What catalog_set_extra() takes, for the served columns that are
 * generated (or identity GENERATED ALWAYS) or whose type (an array's
 * element type) is a composite or an enum: its attributes as [name,
 * format_type, typname (an array's element's), is an array, typtype (an
 * array's element's)], or its labels.
 */
static const char registry_extras_sql[] =
    "SELECT c.relname, a.attname, "
    "(a.attgenerated <> '' OR a.attidentity = 'a'), "
    "coalesce(ut.typtype::text, ''), coalesce(ut.typname::text, ''), "
    "CASE ut.typtype "
    "WHEN 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) "
    "FROM pg_enum e WHERE e.enumtypid = ut.oid) "
    "WHEN 'c' THEN (SELECT json_agg(json_build_array(ua.attname, "
    "format_type(ua.atttypid, ua.atttypmod), "
    "CASE WHEN at.typcategory = 'A' THEN aet.typname ELSE at.typname END, "
    "at.typcategory = 'A', coalesce(aet.typtype, at.typtype)) "
    "ORDER BY ua.attnum) "
    "FROM pg_attribute ua JOIN pg_type at ON at.oid = ua.atttypid "
    "LEFT JOIN pg_type aet ON aet.oid = at.typelem "
    "WHERE ua.attrelid = ut.typrelid AND ua.attnum > 0 "
    "AND NOT ua.attisdropped) END "
    "FROM pg_class c "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_type ut ON ut.oid = CASE WHEN t.typcategory = 'A' "
    "THEN t.typelem ELSE t.oid END AND ut.typtype IN ('c', 'e') "
    "WHERE c.relnamespace = 'public'::regnamespace "
    "AND c.relkind IN ('r', 'p', 'v', 'm') "
    "AND c.relname IN (SELECT table_name FROM postern.endpoints) "
    "AND (a.attgenerated <> '' OR a.attidentity = 'a' OR ut.oid IS NOT NULL)";

/*
 * Foreign keys between served tables, for embedding: one row per column
 * pair, in key order (name, table, referenced table, ordinal, column,
 * referenced column, one-to-one).  One-to-one: the key's columns are
 * exactly a primary key or unique constraint of its table, PostgREST's
 * rule.  Partition children's copies of a key (conparentid) are left out.
 */
static const char registry_fkeys_sql[] =
    "SELECT k.conname, r.relname, f.relname, u.ord, a.attname, fa.attname, "
    "EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = k.conrelid "
    "AND p.contype IN ('p', 'u') AND p.conkey @> k.conkey "
    "AND p.conkey <@ k.conkey) "
    "FROM pg_constraint k "
    "JOIN pg_class r ON r.oid = k.conrelid "
    "JOIN pg_class f ON f.oid = k.confrelid "
    "CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY "
    "AS u(col, ref, ord) "
    "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.col "
    "JOIN pg_attribute fa ON fa.attrelid = k.confrelid "
    "AND fa.attnum = u.ref "
    "WHERE k.contype = 'f' AND k.conparentid = 0 "
    "AND r.relnamespace = 'public'::regnamespace "
    "AND f.relnamespace = 'public'::regnamespace "
    "AND r.relname IN (SELECT table_name FROM postern.endpoints) "
    "AND f.relname IN (SELECT table_name FROM postern.endpoints) "
    "ORDER BY r.relname, k.conname, u.ord";

static void registry_loaded(
    enum db_status st, PGresult **res, int nres, void *arg);

static void
registry_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	registry_reload(arg);
}

static void
registry_later(struct gw *gw, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (!evtimer_pending(gw->gw_routes_retry, NULL))
		evtimer_add(gw->gw_routes_retry, &tv);
}

void
registry_reload(struct gw *gw)
{
	struct dbstmt st[4] = {
	    {registry_routes_sql, 0, NULL},
	    {registry_catalog_sql, 0, NULL},
	    {registry_extras_sql, 0, NULL},
	    {registry_fkeys_sql, 0, NULL},
	};

	if (gw->gw_routes_loading) {
		/* A change arrived during a load: load again after it. */
		gw->gw_routes_again = 1;
		return;
	}
	if (db_exec(gw->gw_db, st, 4, registry_loaded, gw) == NULL) {
		registry_later(gw, 200);
		return;
	}
	gw->gw_routes_loading = 1;
	gw->gw_routes_again = 0;
}

static int
catalog_from_result(struct catalog *ca, PGresult *res)
{
	struct column c;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		memset(&c, 0, sizeof(c));
		x_strlcpy(c.co_name, PQgetvalue(res, i, 1), sizeof(c.co_name));
		x_strlcpy(c.co_type, PQgetvalue(res, i, 2), sizeof(c.co_type));
		x_strlcpy(
		    c.co_typname, PQgetvalue(res, i, 3), sizeof(c.co_typname));
		c.co_kind = col_kind_from_typname(c.co_typname);
		c.co_array = PQgetvalue(res, i, 4)[0] == 't';
		c.co_notnull = PQgetvalue(res, i, 5)[0] == 't';
		c.co_hasdef = PQgetvalue(res, i, 6)[0] == 't';
		c.co_pk = PQgetvalue(res, i, 7)[0] == 't';
		if (strlen(PQgetvalue(res, i, 1)) >= sizeof(c.co_name) ||
		    strlen(PQgetvalue(res, i, 0)) >= CATALOG_NAME_MAX)
			continue;
		if (catalog_add(ca, PQgetvalue(res, i, 0), &c) == -1)
			return -1;
	}
	return 0;
}

/* Rows naming a column the catalog skipped (a name too long) are skipped. */
static int
catalog_extras_from_result(struct catalog *ca, PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		if (catalog_table(ca, PQgetvalue(res, i, 0)) == NULL ||
		    table_column(catalog_table(ca, PQgetvalue(res, i, 0)),
		        PQgetvalue(res, i, 1)) == NULL)
			continue;
		if (catalog_set_extra(ca, PQgetvalue(res, i, 0),
		        PQgetvalue(res, i, 1), PQgetvalue(res, i, 2)[0] == 't',
		        PQgetvalue(res, i, 3)[0], PQgetvalue(res, i, 4),
		        PQgetisnull(res, i, 5) ? NULL
		                               : PQgetvalue(res, i, 5)) == -1)
			return -1;
	}
	return 0;
}

/*
 * The foreign keys of registry_fkeys_sql.  A key with an overlong name or
 * more than CATALOG_FK_COLS_MAX columns is left out (it cannot be embedded
 * through); other failures are out of memory.
 */
static int
fkeys_from_result(struct catalog *ca, PGresult *res)
{
	const char *v[7];
	size_t ord;
	int i, j, skip = 0;

	for (i = 0; i < PQntuples(res); i++) {
		for (j = 0; j < 7; j++)
			v[j] = PQgetvalue(res, i, j);
		ord = strtoul(v[3], NULL, 10);
		if (ord == 1)
			skip = 0;
		if (skip || ord == 0)
			continue;
		if (catalog_add_fkey(ca, v[0], v[1], v[2], ord - 1, v[4], v[5],
		        v[6][0] == 't') == -1) {
			/* Refused for its names or size: drop what was
			 * added of this key, skip the rest of it. */
			if (ord > 1)
				ca->ca_nfkeys--;
			skip = 1;
			log_warnx("foreign key %s of %s: not loaded (names "
			          "too long or more than %d columns)",
			    v[0], v[1], CATALOG_FK_COLS_MAX);
		}
	}
	return 0;
}

static void
registry_loaded(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct gw *gw = arg;
	struct routes *rs = NULL;
	const char *why;
	int i;

	gw->gw_routes_loading = 0;
	if (st != DB_OK || nres != 4 ||
	    PQresultStatus(res[0]) != PGRES_TUPLES_OK ||
	    PQresultStatus(res[1]) != PGRES_TUPLES_OK ||
	    PQresultStatus(res[2]) != PGRES_TUPLES_OK ||
	    PQresultStatus(res[3]) != PGRES_TUPLES_OK) {
		if (st == DB_OK && nres == 4)
			log_warnx("cannot load endpoints: %s",
			    PQresultErrorMessage(
			        PQresultStatus(res[0]) != PGRES_TUPLES_OK
			            ? res[0]
			        : PQresultStatus(res[1]) != PGRES_TUPLES_OK
			            ? res[1]
			        : PQresultStatus(res[2]) != PGRES_TUPLES_OK
			            ? res[2]
			            : res[3]));
		registry_later(gw, 500);
		return;
	}
	if ((rs = routes_new()) == NULL ||
	    (rs->rs_catalog = calloc(1, sizeof(*rs->rs_catalog))) == NULL ||
	    catalog_from_result(rs->rs_catalog, res[1]) == -1 ||
	    catalog_extras_from_result(rs->rs_catalog, res[2]) == -1 ||
	    fkeys_from_result(rs->rs_catalog, res[3]) == -1) {
		routes_unref(rs);
		registry_later(gw, 500);
		return;
	}
	for (i = 0; i < PQntuples(res[0]); i++) {
		if (strcmp(PQgetvalue(res[0], i, 9), "t") != 0) {
			log_warnx("endpoint %s: table %s does not exist; "
			          "skipped",
			    PQgetvalue(res[0], i, 0), PQgetvalue(res[0], i, 4));
			continue;
		}
		if (routes_add_row(rs,
		        strtol(PQgetvalue(res[0], i, 0), NULL, 10),
		        PQgetvalue(res[0], i, 1),
		        PQgetisnull(res[0], i, 2) ? NULL
		                                  : PQgetvalue(res[0], i, 2),
		        PQgetvalue(res[0], i, 3), PQgetvalue(res[0], i, 4),
		        PQgetisnull(res[0], i, 5) ? NULL
		                                  : PQgetvalue(res[0], i, 5),
		        PQgetvalue(res[0], i, 6), PQgetvalue(res[0], i, 7),
		        PQgetvalue(res[0], i, 8), &why) == -1)
			log_warnx("endpoint %s: %s; skipped",
			    PQgetvalue(res[0], i, 0), why);
	}
	routes_unref(gw->gw_routes);
	gw->gw_routes = rs;
	db_pool_invalidate(gw->gw_db);
	log_info("loaded %zu routes over %zu tables, %zu foreign keys",
	    rs->rs_n, rs->rs_catalog->ca_ntables, rs->rs_catalog->ca_nfkeys);
	if (gw->gw_routes_again)
		registry_reload(gw);
}

/* The pool has a connection: load now if nothing is loaded yet. */
static void
registry_db_ready(void *arg)
{
	struct gw *gw = arg;

	if (gw->gw_routes == NULL)
		registry_reload(gw);
}

/* Notifications come in bursts (a migration, a bulk change): wait a little
 * and load once. */
static void
registry_notified(void *arg)
{
	registry_later(arg, 20);
}

/* LISTEN runs on listen_database_url (a direct connection even when the
 * pool goes through a pooler); needs gw_dbpass, so before it is wiped. */
int
registry_init(struct gw *gw)
{
	struct pgconn_params pp;

	if ((gw->gw_routes_retry =
	            evtimer_new(gw->gw_base, registry_retry_cb, gw)) == NULL)
		return -1;
	db_pool_on_ready(gw->gw_db, registry_db_ready, gw);
	pgconn_params(&pp, &gw->gw_cf, "gateway", gw->gw_dbpass, PGCONN_LISTEN);
	return db_pool_listen(gw->gw_db, pp.pp_keys, pp.pp_vals,
	    REGISTRY_CHANNEL, registry_notified, gw);
}
