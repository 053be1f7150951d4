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
#include "gateway/qerror.h"
#include "gateway/select.h"

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
	QO_IS,
	QO_ISDISTINCT,
	QO_MATCH,  /* ~ */
	QO_IMATCH, /* ~* */
	QO_FTS,    /* @@ to_tsquery() */
	QO_PLFTS,  /* @@ plainto_tsquery() */
	QO_PHFTS,  /* @@ phraseto_tsquery() */
	QO_WFTS,   /* @@ websearch_to_tsquery() */
	QO_CS,     /* @> */
	QO_CD,     /* <@ */
	QO_OV,     /* && */
	QO_SL,     /* << */
	QO_SR,     /* >> */
	QO_NXR,    /* &< */
	QO_NXL,    /* &> */
	QO_ADJ,    /* -|- */
	/* Logic trees: qf_col is NULL and qf_kids holds the operands. */
	QO_AND,
	QO_OR
};

/* like(any).{a*,b*}, eq(all).{1,2}: the value is an array literal. */
enum q_quant { QQ_NONE, QQ_ANY, QQ_ALL };

enum q_is { QI_NULL, QI_TRUE, QI_FALSE, QI_UNKNOWN };

#define QUERY_LANG_MAX 16

struct q_filter {
	const struct column *qf_col;
	/* col->key->>key: the JSON path on qf_col (owned), or NULL.  The
	 * value is then compared with the path's result: text after a final
	 * ->>, jsonb after ->. */
	struct sel_step *qf_path;
	size_t qf_npath;
	enum q_op qf_op;
	int qf_not;
	/* Owned; for like/ilike with '*' already turned into '%'; NULL for
	 * in and is. */
	char *qf_value;
	char **qf_list; /* in: owned items */
	size_t qf_nlist;
	enum q_is qf_is;
	enum q_quant qf_quant;
	/* fts-family: a text search configuration of query.c's allow-list,
	 * or "" for the server's default_text_search_config. */
	char qf_lang[QUERY_LANG_MAX];
	/* and/or: the operands, owned. */
	struct q_filter *qf_kids;
	size_t qf_nkids;
};

struct q_order {
	const struct column *qo_col;
	struct sel_step *qo_path; /* JSON path on qo_col (owned), or NULL */
	size_t qo_npath;
	int qo_desc;
	int qo_nulls; /* 0 default, 1 nullsfirst, 2 nullslast */
};

/* Defined by gateway/embed.h; opaque here. */
struct q_embed;

/* One item of the select list, resolved against the catalog. */
struct q_item {
	enum sel_kind qi_kind;       /* SEL_STAR, SEL_FIELD or SEL_EMBED */
	const struct column *qi_col; /* FIELD */
	struct sel_step *qi_path;    /* FIELD: owned copy, or NULL */
	size_t qi_npath;
	/* FIELD: the SQL type of the cast, a static string of query.c's
	 * allow-list (never the client's text), or NULL. */
	const char *qi_cast;
	/* Owned: the output key: the alias, else the last key of the path,
	 * else the column's name; EMBED: the alias, else the relation. */
	char *qi_key;
	struct q_embed *qi_embed; /* EMBED: owned; freed by embed_free() */
};

struct query {
	/* The select list; q_nitems 0 means all columns. */
	struct q_item *q_items;
	size_t q_nitems;
	struct q_filter *q_filters;
	size_t q_nfilters;
	size_t q_filtcap;
	/* Filter leaves (trees included) and bound filter values so far,
	 * against QUERY_MAX_TERMS and QUERY_MAX_VALUES. */
	size_t q_nterms;
	size_t q_nvalues;
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

#define QUERY_MAX_FILTERS 64
#define QUERY_MAX_IN 1000
#define QUERY_VALUE_MAX 4096
#define QUERY_MAX_ORDER 64
/* or=(..)/and=(..): nesting depth (the top group is 1), and the leaves of
 * every filter and tree of one query together. */
#define QUERY_TREE_DEPTH_MAX 8
#define QUERY_MAX_TERMS 256
/* Bound values of all filters together (in items count one each): below
 * PostgreSQL's 65535 parameters with room for limit, offset, key, owner. */
#define QUERY_MAX_VALUES 64000

/*
 * QM_WRITE is for PATCH, DELETE and POST: order=, limit= and offset= are
 * refused; select= is allowed (it shapes the returned representation).
 */
enum query_mode { QM_READ, QM_WRITE };

/*
 * Parses params[0..n) against table t.  Returns 0 with *out filled (free it
 * with query_free()), or -1 with *err filled and *out zeroed.  Every error
 * is a 400: PN105 malformed value or syntax or a limit passed, PN107
 * unknown column, PN108 unknown operator or one the column's type lacks,
 * PGRST100 a logic tree that does not parse.  In QM_READ mode an absent limit
 * is default_limit, and any limit is capped to max_limit (when max_limit > 0).
 * Out of memory gives -1 with status 500 and code PN900.  *out keeps pointers
 * into t.
 */
int query_parse(const struct table *t, const struct http_param *params,
    size_t n, long default_limit, long max_limit, enum query_mode mode,
    struct query *out, struct q_error *err);

struct embed_ctx;

/*
 * query_parse() for a request that may embed (select=name,tasks(title)):
 * ctx says what the caller may embed (gateway/embed.h); with ctx NULL it
 * is query_parse().  Errors as query_parse(), and those of embed_resolve()
 * (PGRST200 400, PGRST201 300, 401, 403).
 */
int query_parse_embed(const struct embed_ctx *ctx, const struct table *t,
    const struct http_param *params, size_t n, long default_limit,
    long max_limit, enum query_mode mode, struct query *out,
    struct q_error *err);
/*
 * An embedded resource's query (embed.c): the items nodes[0..nnodes) of
 * table t and its parameters params[0..n) (their names without the
 * embed's "key." prefix), in QM_READ mode with no limit by default.
 */
int query_parse_items(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nodes, size_t nnodes,
    const struct http_param *params, size_t n, struct query *out,
    struct q_error *err);

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
/* Frees what it owns and zeroes it. */
void query_item_free(struct q_item *it);

#endif
