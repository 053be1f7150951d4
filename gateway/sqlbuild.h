/*
 * SQL statements for the data API, with no I/O.  Every value a client sent
 * becomes a bound parameter ($N, text format) and every identifier comes
 * from the live catalog, quoted by sql_ident(); nothing from a request is
 * ever spliced into the statement text.  PostgreSQL renders the rows as
 * one compact JSON array, so each statement answers one row.
 */
#ifndef POSTERN_GATEWAY_SQLBUILD_H
#define POSTERN_GATEWAY_SQLBUILD_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/catalog.h"
#include "gateway/query.h"

/* PostgreSQL's protocol limit on the parameters of one statement. */
#define SQLQ_MAX_PARAMS 65535

/* How a statement renders its rows (Accept). */
enum sq_format {
	SQF_JSON,          /* one JSON array */
	SQF_JSON_STRIPPED, /* the same, null-valued keys left out */
	SQF_CSV,           /* PostgREST's CSV: a header line, then rows */
};

struct sqlq {
	/* Set before building a write: its count goes through
	 * postern.expect_one(), which fails the statement (SQLSTATE PT406,
	 * rolling the write back) unless exactly one row was affected. */
	int sq_expect_one;
	/* Set before building a write (-1 by sqlq_init: no check): more
	 * affected rows fail the statement in postern.expect_at_most()
	 * (SQLSTATE PT124), rolling it back. */
	long long sq_max_affected;
	/* Set before building a list or a write (SQF_JSON by sqlq_init). */
	enum sq_format sq_format;
	struct buf sq_sql;
	char **sq_vals; /* owned copies; NULL = SQL NULL */
	int sq_nvals;
	int sq_cap;
};

void sqlq_init(struct sqlq *q);
/* Safe on an initialised sqlq, and twice. */
void sqlq_free(struct sqlq *q);
/* Appends "$N" to the SQL and stores a copy of val (NULL: SQL NULL). */
int sqlq_param(struct sqlq *q, const char *val);

/*
 * Each builder appends one statement to an initialised sqlq and returns 0,
 * or -1 (no memory, a name sql_ident() refuses, too many parameters, or a
 * misuse noted below); after -1 the sqlq holds a partial statement and
 * must only be freed.
 */

/*
 * The rows of an embedded resource (embed.c): SELECT <q's items> FROM
 * public."t" alias WHERE <join> AND <q's filters> AND <its narrowing
 * embeds> ORDER BY .. LIMIT .. OFFSET ..; with exists, SELECT 1 and no
 * order or limits.  join appends the condition that ties the rows to the
 * parent's.
 */
int sql_embed_rows(struct sqlq *out, const struct table *t,
    const struct query *q, const char *alias,
    int (*join)(struct sqlq *, const void *), const void *arg, int exists);

/*
 * One row, two columns: the JSON array of the selected rows, their count.
 * With embeds the table is aliased _t0 and each embed is a subquery
 * correlated to it (embed_sql()); !inner ones narrow the rows and the
 * counts below alike.
 */
int sql_list(const struct table *t, const struct query *q, struct sqlq *out);
/* One row, one column: count(*) of the rows the filters match. */
int sql_count(const struct table *t, const struct query *q, struct sqlq *out);
/*
 * Inserts json_body (an object, or an array of objects; bound as $1) into
 * cols; with ncols 0 inserts one row of defaults (json_body is then not
 * used).  ret (may be NULL) shapes the returned rows with its select list.
 * One row: (json array of the inserted rows, count).
 */
int sql_insert(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_body, const struct query *ret,
    struct sqlq *out);
/* An insert's conflict handling and defaults (Prefer, on_conflict). */
enum sw_resolution { SW_INSERT, SW_MERGE, SW_IGNORE };

struct sql_write {
	/* Prefer: missing=default: a key absent from a row of an array takes
	 * the column's default (postern.fill_defaults()), not NULL. */
	int sw_missing_default;
	enum sw_resolution sw_resolution;
	/* The conflict target of SW_MERGE / SW_IGNORE (at least one). */
	const struct column *const *sw_conflict;
	size_t sw_nconflict;
	/* SW_MERGE under an owner rule: only rows whose owner is the
	 * inserted row's are updated, and unless all sw_rows rows came back
	 * the statement fails (postern.expect_owned(), SQLSTATE 42501). */
	const struct column *sw_owner;
	long sw_rows;
	/* PUT (SW_MERGE, sw_conflict the primary key, one object): the key
	 * values the request named, one per sw_conflict column.  A body
	 * whose key differs fails the statement (postern.expect_put_key(),
	 * SQLSTATE PT115), and the answer has a third column: 1 when the
	 * row was inserted, 0 when it was replaced. */
	const char *const *sw_key_vals;
};

/*
 * sql_insert with w (NULL: a plain insert): INSERT .. ON CONFLICT (..) DO
 * UPDATE SET <cols> = EXCLUDED.<cols> | DO NOTHING.  -1 also when a
 * resolution has no conflict target or ncols is 0.
 */
int sql_upsert(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_body, const struct sql_write *w,
    const struct query *ret, struct sqlq *out);
/*
 * Counts q's matches up to max: one row, one column, min(count, max).
 * Prefer: count=estimated takes it when it is below max.
 */
int sql_count_upto(
    const struct table *t, const struct query *q, long max, struct sqlq *out);
/* EXPLAIN (FORMAT JSON) of the count of q's matches: Prefer:
 * count=planned reads "Plan Rows" of its one row. */
int sql_count_plan(
    const struct table *t, const struct query *q, struct sqlq *out);
/*
 * Sets cols from json_obj (one object, bound as $1) on the rows q's filters
 * match; q's select list shapes the returned rows.  -1 when ncols is 0 or q
 * has no filter (a whole-table update is never built).  One row: (json
 * array of the updated rows, count).
 */
int sql_update(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_obj, const struct query *q,
    struct sqlq *out);
/*
 * Deletes the rows q's filters match; -1 when q has no filter.  One row:
 * (json array of the deleted rows, count).
 */
int sql_delete(const struct table *t, const struct query *q, struct sqlq *out);

#endif
