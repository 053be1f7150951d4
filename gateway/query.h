/*
 * The list and filter grammar of docs/data-api.md, a PostgREST-compatible
 * subset, with no I/O.  query_parse() turns the decoded query parameters
 * of a request into a struct query whose every identifier is a column of
 * the live catalog and whose every value has been checked against the
 * column's kind; sqlbuild.c then renders it with bound parameters only.
 */
#ifndef POSTERN_GATEWAY_QUERY_H
#define POSTERN_GATEWAY_QUERY_H

#include <stddef.h>

#include "gateway/catalog.h"
#include "gateway/httpparse.h"

enum q_op {
	QO_EQ,
	QO_NEQ,
	QO_GT,
	QO_GTE,
	QO_LT,
	QO_LTE,
	QO_LIKE,
	QO_ILIKE,
	QO_IN,
	QO_IS
};

enum q_is { QI_NULL, QI_TRUE, QI_FALSE, QI_UNKNOWN };

struct q_filter {
	const struct column *qf_col;
	enum q_op qf_op;
	int qf_not;
	/* Owned; for like/ilike with '*' already turned into '%'; NULL for
	 * in and is. */
	char *qf_value;
	char **qf_list; /* in: owned items */
	size_t qf_nlist;
	enum q_is qf_is;
};

struct q_order {
	const struct column *qo_col;
	int qo_desc;
	int qo_nulls; /* 0 default, 1 nullsfirst, 2 nullslast */
};

struct query {
	const struct column **q_select; /* owned array; 0 = all columns */
	size_t q_nselect;
	struct q_filter *q_filters;
	size_t q_nfilters;
	size_t q_filtcap;
	struct q_order *q_order;
	size_t q_norder;
	long q_limit;
	long q_offset;
	int q_has_limit; /* READ mode: always 1; WRITE mode: 0 */
	/* columns= (PostgREST, for bulk inserts): the keys to insert. */
	const struct column **q_columns; /* owned array */
	size_t q_ncolumns;
	int q_has_columns;
};

struct q_error {
	int qe_status;
	char qe_code[16];
	char qe_message[256];
	char qe_details[256];
};

#define QUERY_MAX_FILTERS 64
#define QUERY_MAX_IN 1000
#define QUERY_VALUE_MAX 4096
#define QUERY_MAX_ORDER 64

/*
 * QM_WRITE is for PATCH, DELETE and POST: order=, limit= and offset= are
 * refused; select= is allowed (it shapes the returned representation).
 */
enum query_mode { QM_READ, QM_WRITE };

/*
 * Parses params[0..n) against table t.  Returns 0 with *out filled (free it
 * with query_free()), or -1 with *err filled and *out zeroed.  Every error
 * is a 400: PN105 malformed value or syntax, PN107 unknown column, PN108
 * unknown operator.  In QM_READ mode an absent limit is default_limit, and
 * any limit is capped to max_limit (when max_limit > 0).  Out of memory
 * gives -1 with status 500 and code PN900.  *out keeps pointers into t.
 */
int query_parse(const struct table *t, const struct http_param *params,
    size_t n, long default_limit, long max_limit, enum query_mode mode,
    struct query *out, struct q_error *err);

/*
 * Appends "col = value" (a copy of value) to q's filters, for /{id} routes
 * and owner rules.  Returns 0, or -1 when value is not a valid text form
 * for col (the check of query_value_ok(): a path id "abc" for a bigint key
 * names no row, so answer 404) or on no memory.  Not subject to
 * QUERY_MAX_FILTERS.
 */
int query_add_eq(struct query *q, const struct column *col, const char *value);

/*
 * Whether value is a valid text form for col in a comparison (the check
 * query_parse() applies to eq/neq/gt/gte/lt/lte and in items).  0, or -1
 * with a 400 PN105 naming the column and the expected type in *err.
 */
int query_value_ok(
    const struct column *col, const char *value, struct q_error *err);

/* Whether s is 8-4-4-4-12 hexadecimal, the uuid form we accept.  1 or 0. */
int query_is_uuid(const char *s);

/* Safe on a zeroed struct, and twice. */
void query_free(struct query *q);

#endif
