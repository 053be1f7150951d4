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

struct sqlq {
	/* Set before building a write: its count goes through
	 * postern.expect_one(), which fails the statement (SQLSTATE PT406,
	 * rolling the write back) unless exactly one row was affected. */
	int sq_expect_one;
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

/* One row, two columns: the JSON array of the selected rows, their count. */
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
