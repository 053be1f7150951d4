/*
 * SQL for the data API.  The shapes:
 *
 *	list	SELECT coalesce(<agg>, '[]') FROM (SELECT <cols> FROM public."t"
 *		WHERE .. ORDER BY .. LIMIT $n OFFSET $m) _r
 *	count	SELECT count(*) FROM public."t" WHERE ..
 *	insert	WITH _r AS (INSERT .. [ON CONFLICT ..] RETURNING *)
 *		SELECT <agg>, count(*) ..
 *	update	WITH _r AS (UPDATE .. RETURNING *) SELECT <agg>, count(*) ..
 *	delete	WITH _r AS (DELETE .. RETURNING *) SELECT <agg>, count(*) ..
 *
 * where <agg> is '[' || string_agg(row_to_json(_r)::text, ',') || ']' (or
 * its CSV or nulls-stripped twin, add_agg()), and the count may go through
 * the postern.expect_*() checks of the Prefer header.
 * Parameters are untyped text; PostgreSQL infers each one's type from the
 * column it meets, so "priority" = $1 parses $1 as an integer and a bad
 * value is its 22xxx error; likewise "tags" @> $1 parses $1 as the
 * column's array, range or jsonb type, and "n" = ANY ($1) as its array.
 * The exceptions are like/ilike/match/imatch, which compare the column as
 * text, and json/jsonb columns, which compare as text for the comparison
 * operators (json has no equality operator at all).  fts-family values go
 * through to_tsquery() and its kin, the configuration bound as $n cast to
 * regconfig.  Logic trees nest in parentheses; the top-level filters (an
 * owner rule among them) are ANDed, so a tree narrows and never widens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/embed.h"
#include "gateway/sqlbuild.h"

void
sqlq_init(struct sqlq *q)
{
	buf_init(&q->sq_sql);
	q->sq_vals = NULL;
	q->sq_nvals = 0;
	q->sq_cap = 0;
	q->sq_expect_one = 0;
	q->sq_max_affected = -1;
	q->sq_format = SQF_JSON;
}

void
sqlq_free(struct sqlq *q)
{
	int i;

	if (q == NULL)
		return;
	buf_free(&q->sq_sql);
	for (i = 0; i < q->sq_nvals; i++)
		free(q->sq_vals[i]);
	free(q->sq_vals);
	q->sq_vals = NULL;
	q->sq_nvals = 0;
	q->sq_cap = 0;
}

int
sqlq_param(struct sqlq *q, const char *val)
{
	char **nv, *copy = NULL;
	int ncap;

	if (q->sq_nvals >= SQLQ_MAX_PARAMS)
		return -1;
	if (q->sq_nvals == q->sq_cap) {
		ncap = q->sq_cap == 0 ? 8 : q->sq_cap * 2;
		if (ncap > SQLQ_MAX_PARAMS)
			ncap = SQLQ_MAX_PARAMS;
		if ((nv = realloc(q->sq_vals, (size_t)ncap * sizeof(*nv))) ==
		    NULL)
			return -1;
		q->sq_vals = nv;
		q->sq_cap = ncap;
	}
	if (val != NULL && (copy = strdup(val)) == NULL)
		return -1;
	if (buf_printf(&q->sq_sql, "$%d", q->sq_nvals + 1) == -1) {
		free(copy);
		return -1;
	}
	q->sq_vals[q->sq_nvals++] = copy;
	return 0;
}

/* public."t" */
static int
add_table(struct buf *b, const struct table *t)
{
	buf_addstr(b, "public.");
	return sql_ident(b, t->tb_name);
}

/*
 * "c", or ("c"->$1->>$2) with a JSON path: keys are bound values, array
 * indexes checked integers (sel_step_index()).
 */
static int
add_column_path(struct sqlq *out, const struct column *col,
    const struct sel_step *path, size_t npath)
{
	struct buf *b = &out->sq_sql;
	size_t i;
	int idx;

	if (npath > 0)
		buf_addc(b, '(');
	if (sql_ident(b, col->co_name) == -1)
		return -1;
	for (i = 0; i < npath; i++) {
		buf_addstr(b, path[i].ss_text ? "->>" : "->");
		if (sel_step_index(path[i].ss_key, &idx))
			buf_printf(b, "%d", idx);
		else if (sqlq_param(out, path[i].ss_key) == -1)
			return -1;
	}
	if (npath > 0)
		buf_addc(b, ')');
	return buf_error(b);
}

/*
 * The filter's operand, cast to text where the comparison must be on
 * text: the pattern operators, and for the comparisons json and jsonb
 * (json has no equality; @> and <@ keep jsonb's own).  A path ending in
 * ->> is text already; one ending in -> on a jsonb column compares as
 * jsonb (PostgreSQL parses the value), on a json column as text.
 */
static int
add_operand(struct sqlq *out, const struct q_filter *f)
{
	struct buf *b = &out->sq_sql;
	int text, is_text = 0;

	if (f->qf_npath > 0) {
		if (f->qf_path[f->qf_npath - 1].ss_text)
			is_text = 1;
	}
	if (add_column_path(out, f->qf_col, f->qf_path, f->qf_npath) == -1)
		return -1;
	switch (f->qf_op) {
	case QO_LIKE:
	case QO_ILIKE:
	case QO_MATCH:
	case QO_IMATCH:
		text = !is_text;
		break;
	case QO_EQ:
	case QO_NEQ:
	case QO_GT:
	case QO_GTE:
	case QO_LT:
	case QO_LTE:
	case QO_IN:
	case QO_ISDISTINCT:
		text = f->qf_col->co_kind == CK_JSON && !is_text &&
		       (f->qf_npath == 0 ||
		           strcmp(f->qf_col->co_typname, "json") == 0);
		break;
	default:
		text = 0;
		break;
	}
	if (text)
		buf_addstr(b, "::text");
	return buf_error(b);
}

/* " @@ to_tsquery([$l::regconfig, ]$v)" for the fts family. */
static int
add_fts(struct sqlq *out, const struct q_filter *f)
{
	static const char *const fn[] = {
	    [QO_FTS] = " @@ to_tsquery(",
	    [QO_PLFTS] = " @@ plainto_tsquery(",
	    [QO_PHFTS] = " @@ phraseto_tsquery(",
	    [QO_WFTS] = " @@ websearch_to_tsquery(",
	};
	struct buf *b = &out->sq_sql;

	buf_addstr(b, fn[f->qf_op]);
	if (f->qf_lang[0] != '\0') {
		if (sqlq_param(out, f->qf_lang) == -1)
			return -1;
		buf_addstr(b, "::regconfig, ");
	}
	if (sqlq_param(out, f->qf_value) == -1)
		return -1;
	return buf_addc(b, ')');
}

static int add_filter(struct sqlq *out, const struct q_filter *f);

/* "(a AND b ...)" or "(a OR b ...)". */
static int
add_tree(struct sqlq *out, const struct q_filter *f)
{
	struct buf *b = &out->sq_sql;
	size_t i;

	if (f->qf_nkids == 0)
		return -1;
	buf_addc(b, '(');
	for (i = 0; i < f->qf_nkids; i++) {
		if (i > 0)
			buf_addstr(b, f->qf_op == QO_AND ? " AND " : " OR ");
		if (add_filter(out, &f->qf_kids[i]) == -1)
			return -1;
	}
	return buf_addc(b, ')');
}

static int
add_filter(struct sqlq *out, const struct q_filter *f)
{
	static const char *const cmp[] = {
	    [QO_EQ] = " = ",
	    [QO_NEQ] = " <> ",
	    [QO_GT] = " > ",
	    [QO_GTE] = " >= ",
	    [QO_LT] = " < ",
	    [QO_LTE] = " <= ",
	    [QO_LIKE] = " LIKE ",
	    [QO_ILIKE] = " ILIKE ",
	    [QO_ISDISTINCT] = " IS DISTINCT FROM ",
	    [QO_MATCH] = " ~ ",
	    [QO_IMATCH] = " ~* ",
	    [QO_CS] = " @> ",
	    [QO_CD] = " <@ ",
	    [QO_OV] = " && ",
	    [QO_SL] = " << ",
	    [QO_SR] = " >> ",
	    [QO_NXR] = " &< ",
	    [QO_NXL] = " &> ",
	    [QO_ADJ] = " -|- ",
	};
	static const char *const is[] = {
	    [QI_NULL] = " IS NULL",
	    [QI_TRUE] = " IS TRUE",
	    [QI_FALSE] = " IS FALSE",
	    [QI_UNKNOWN] = " IS UNKNOWN",
	};
	struct buf *b = &out->sq_sql;
	size_t i;

	if (f->qf_not)
		buf_addstr(b, "NOT (");
	if (f->qf_op == QO_AND || f->qf_op == QO_OR) {
		if (add_tree(out, f) == -1)
			return -1;
	} else if (f->qf_op == QO_IN && f->qf_nlist == 0) {
		/* x IN () is not SQL; an empty list matches nothing. */
		buf_addstr(b, "false");
	} else {
		if (add_operand(out, f) == -1)
			return -1;
		switch (f->qf_op) {
		case QO_IN:
			buf_addstr(b, " IN (");
			for (i = 0; i < f->qf_nlist; i++) {
				if (i > 0)
					buf_addstr(b, ", ");
				if (sqlq_param(out, f->qf_list[i]) == -1)
					return -1;
			}
			buf_addc(b, ')');
			break;
		case QO_IS:
			if ((unsigned)f->qf_is >= sizeof(is) / sizeof(is[0]))
				return -1;
			buf_addstr(b, is[f->qf_is]);
			break;
		case QO_FTS:
		case QO_PLFTS:
		case QO_PHFTS:
		case QO_WFTS:
			if (f->qf_value == NULL || add_fts(out, f) == -1)
				return -1;
			break;
		default:
			if ((unsigned)f->qf_op >=
			        sizeof(cmp) / sizeof(cmp[0]) ||
			    cmp[f->qf_op] == NULL || f->qf_value == NULL)
				return -1;
			buf_addstr(b, cmp[f->qf_op]);
			/* The array literal's type follows the operand's:
			 * text[] after ::text, the column's otherwise. */
			if (f->qf_quant != QQ_NONE)
				buf_addstr(b,
				    f->qf_quant == QQ_ANY ? "ANY (" : "ALL (");
			if (sqlq_param(out, f->qf_value) == -1)
				return -1;
			if (f->qf_quant != QQ_NONE)
				buf_addc(b, ')');
			break;
		}
	}
	if (f->qf_not)
		buf_addc(b, ')');
	return buf_error(b);
}

/* " WHERE a AND b ..." or nothing. */
static int
add_where(struct sqlq *out, const struct query *q)
{
	size_t i;

	for (i = 0; q != NULL && i < q->q_nfilters; i++) {
		buf_addstr(&out->sq_sql, i == 0 ? " WHERE " : " AND ");
		if (add_filter(out, &q->q_filters[i]) == -1)
			return -1;
	}
	return buf_error(&out->sq_sql);
}

/* "a", "b" for cols; used for select lists and insert/update targets. */
static int
add_cols(struct buf *b, const struct column *const *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		if (sql_ident(b, cols[i]->co_name) == -1)
			return -1;
	}
	return buf_error(b);
}

/* Whether an item other than "*" has key k. */
static const struct q_item *
item_keyed(const struct query *q, const char *k)
{
	size_t i;

	for (i = 0; i < q->q_nitems; i++)
		if (q->q_items[i].qi_kind != SEL_STAR &&
		    strcmp(q->q_items[i].qi_key, k) == 0)
			return &q->q_items[i];
	return NULL;
}

/* A field: "c", or the expression, its cast, AS "key". */
static int
add_field(struct sqlq *out, const struct q_item *it)
{
	struct buf *b = &out->sq_sql;

	if (it->qi_npath == 0 && it->qi_cast == NULL &&
	    strcmp(it->qi_key, it->qi_col->co_name) == 0)
		return sql_ident(b, it->qi_col->co_name);
	if (it->qi_cast != NULL)
		buf_addstr(b, "CAST(");
	if (add_column_path(out, it->qi_col, it->qi_path, it->qi_npath) == -1)
		return -1;
	if (it->qi_cast != NULL)
		buf_printf(b, " AS %s)", it->qi_cast);
	buf_addstr(b, " AS ");
	return sql_ident(b, it->qi_key);
}

/* An embed is a subquery correlated to outer, its parent's rows. */
static int
add_item(struct sqlq *out, const struct q_item *it, const char *outer)
{
	return it->qi_kind == SEL_EMBED ? embed_sql(out, it, outer)
	                                : add_field(out, it);
}

/*
 * The select list of q, or "*".  query.c leaves at most one "*" and
 * every other key once; an item keyed like a column of t takes that
 * column's place in "*" (which is then spelled out).
 */
static int
add_select(struct sqlq *out, const struct table *t, const struct query *q,
    const char *outer)
{
	struct buf *b = &out->sq_sql;
	const struct q_item *it, *over;
	size_t i, j;
	int star = 0, spell = 0, first = 1;

	if (q == NULL || q->q_nitems == 0)
		return buf_addc(b, '*');
	for (i = 0; i < q->q_nitems; i++)
		if (q->q_items[i].qi_kind == SEL_STAR)
			star = 1;
	for (j = 0; star && !spell && j < t->tb_ncols; j++)
		spell = item_keyed(q, t->tb_cols[j].co_name) != NULL;
	for (i = 0; i < q->q_nitems; i++) {
		it = &q->q_items[i];
		if (it->qi_kind == SEL_STAR) {
			if (!first)
				buf_addstr(b, ", ");
			first = 0;
			if (!spell) {
				buf_addc(b, '*');
				continue;
			}
			for (j = 0; j < t->tb_ncols; j++) {
				if (j > 0)
					buf_addstr(b, ", ");
				over = item_keyed(q, t->tb_cols[j].co_name);
				if (over != NULL
				        ? add_item(out, over, outer) == -1
				        : sql_ident(b, t->tb_cols[j].co_name) ==
				              -1)
					return -1;
			}
			continue;
		}
		if (spell && table_column(t, it->qi_key) != NULL)
			continue; /* in the "*" */
		if (!first)
			buf_addstr(b, ", ");
		first = 0;
		if (add_item(out, it, outer) == -1)
			return -1;
	}
	return buf_error(b);
}

/* " ORDER BY .." or nothing. */
static int
add_order(struct sqlq *out, const struct table *t, const struct query *q,
    const char *alias)
{
	struct buf *b = &out->sq_sql;
	const struct q_order *o;
	size_t i;

	for (i = 0; i < q->q_norder; i++) {
		o = &q->q_order[i];
		buf_addstr(b, i == 0 ? " ORDER BY " : ", ");
		/* A bare name in ORDER BY means an output key first: with
		 * a select list the column is qualified (by the alias
		 * embeds give the table, else its name), so an item keyed
		 * like it (id:title, project_id:projects(..)) is not what
		 * is sorted. */
		if (alias != NULL && o->qo_npath == 0) {
			buf_printf(b, "%s.", alias);
			if (sql_ident(b, o->qo_col->co_name) == -1)
				return -1;
		} else if (q->q_nitems > 0 && o->qo_npath == 0) {
			if (sql_ident(b, t->tb_name) == -1)
				return -1;
			buf_addc(b, '.');
			if (sql_ident(b, o->qo_col->co_name) == -1)
				return -1;
		} else if (add_column_path(out, o->qo_col, o->qo_path,
		               o->qo_npath) == -1)
			return -1;
		buf_addstr(b, o->qo_desc ? " DESC" : " ASC");
		if (o->qo_nulls != 0)
			buf_addstr(b,
			    o->qo_nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
	}
	return buf_error(b);
}

/*
 * The rows of rel as one value in out's format.  CSV is PostgREST's: the
 * keys of a row, comma-separated, a newline, then each row's record text
 * without its parentheses (PostgreSQL quotes the fields), newline-separated;
 * no rows is one newline.
 */
static int
add_agg(struct sqlq *out, const char *rel)
{
	struct buf *b = &out->sq_sql;

	switch (out->sq_format) {
	case SQF_CSV:
		buf_printf(b,
		    "coalesce(array_to_string(ARRAY(SELECT json_object_keys("
		    "min(row_to_json(%s)::text)::json)), ','), '') || chr(10) "
		    "|| coalesce(string_agg(substring(%s::text, 2, "
		    "length(%s::text) - 2), chr(10)), '')",
		    rel, rel, rel);
		break;
	case SQF_JSON_STRIPPED:
		buf_printf(b,
		    "coalesce('[' || string_agg(json_strip_nulls(row_to_json("
		    "%s))::text, ',') || ']', '[]')",
		    rel);
		break;
	default:
		/* The plain list's aggregate: no formatting on its path. */
		buf_addstr(b, "coalesce('[' || string_agg(row_to_json(");
		buf_addstr(b, rel);
		buf_addstr(b, ")::text, ',') || ']', '[]')");
		break;
	}
	return buf_error(b);
}

/*
 * The tail shared by insert, update and delete: the returned rows as one
 * JSON array, shaped by ret's select list, and their count.  A PUT's
 * statement (put, its table) is WITH _w AS (INSERT ..): its rows come back
 * whole beside whether each was inserted (xmax is 0 on a row the statement
 * inserted, the updating transaction's id on one it updated), and a third
 * column counts the inserted ones.  The row is ROW(_t.*) cast to the
 * table's type, not the bare alias _t, which a column named _t would
 * shadow.
 */
static int
add_returning_ex(struct sqlq *out, const struct table *t,
    const struct query *ret, long owned, int put)
{
	struct buf *b = &out->sq_sql;
	const char *rel = ret == NULL || ret->q_nitems == 0 ? "_r" : "_s";
	char num[24];

	if (put) {
		buf_addstr(b, " RETURNING ROW(_t.*)::");
		if (add_table(b, t) == -1)
			return -1;
		buf_addstr(b, " AS _row, _t.xmax = 0 AS _ins), "
		              "_r AS (SELECT (_w._row).* FROM _w) SELECT ");
	} else
		buf_addstr(b, " RETURNING *) SELECT ");
	if (add_agg(out, rel) == -1)
		return -1;
	/* The count, through the checks the request asked for. */
	buf_addstr(b, ", ");
	if (owned > 0)
		buf_addstr(b, "postern.expect_owned(");
	if (out->sq_max_affected >= 0)
		buf_addstr(b, "postern.expect_at_most(");
	if (out->sq_expect_one)
		buf_addstr(b, "postern.expect_one(");
	buf_addstr(b, "count(*)");
	if (out->sq_expect_one)
		buf_addc(b, ')');
	if (out->sq_max_affected >= 0) {
		snprintf(num, sizeof(num), "%lld", out->sq_max_affected);
		buf_addstr(b, ", ");
		if (sqlq_param(out, num) == -1)
			return -1;
		buf_addc(b, ')');
	}
	if (owned > 0) {
		snprintf(num, sizeof(num), "%ld", owned);
		buf_addstr(b, ", ");
		if (sqlq_param(out, num) == -1)
			return -1;
		buf_addc(b, ')');
	}
	if (put)
		buf_addstr(b, ", (SELECT count(*) FROM _w WHERE _ins)");
	buf_addstr(b, " FROM ");
	if (rel[1] == 'r') {
		buf_addstr(b, "_r");
		return buf_error(b);
	}
	buf_addstr(b, "(SELECT ");
	if (add_select(out, t, ret, "_r") == -1)
		return -1;
	buf_addstr(b, " FROM _r) _s");
	return buf_error(b);
}

static int
add_returning(struct sqlq *out, const struct table *t,
    const struct query *ret, long owned)
{
	return add_returning_ex(out, t, ret, owned, 0);
}

/* Whether q embeds: the table is then aliased _t0 for the subqueries. */
static int
has_embed(const struct query *q)
{
	size_t i;

	for (i = 0; q != NULL && i < q->q_nitems; i++)
		if (q->q_items[i].qi_kind == SEL_EMBED)
			return 1;
	return 0;
}

/* " AND EXISTS (..)" for each embed that narrows q's rows (" WHERE "
 * first when where is 0); alias names q's table. */
static int
add_embed_where(
    struct sqlq *out, const struct query *q, const char *alias, int where)
{
	size_t i;

	for (i = 0; q != NULL && i < q->q_nitems; i++) {
		if (!embed_narrows(&q->q_items[i]))
			continue;
		buf_addstr(&out->sq_sql, where++ ? " AND " : " WHERE ");
		if (embed_where(out, &q->q_items[i], alias) == -1)
			return -1;
	}
	return buf_error(&out->sq_sql);
}

/* public."t" [_t0] WHERE ..: the rows of a list or a count. */
static int
add_from(struct sqlq *out, const struct table *t, const struct query *q)
{
	struct buf *b = &out->sq_sql;

	if (add_table(b, t) == -1)
		return -1;
	if (!has_embed(q))
		return add_where(out, q);
	buf_addstr(b, " _t0");
	if (add_where(out, q) == -1)
		return -1;
	return add_embed_where(out, q, "_t0", q->q_nfilters > 0);
}

/* " LIMIT $n OFFSET $m" as q asks. */
static int
add_limits(struct sqlq *out, const struct query *q)
{
	struct buf *b = &out->sq_sql;
	char num[24];

	if (q->q_has_limit) {
		snprintf(num, sizeof(num), "%ld", q->q_limit);
		buf_addstr(b, " LIMIT ");
		if (sqlq_param(out, num) == -1)
			return -1;
	}
	if (q->q_offset > 0) {
		snprintf(num, sizeof(num), "%ld", q->q_offset);
		buf_addstr(b, " OFFSET ");
		if (sqlq_param(out, num) == -1)
			return -1;
	}
	return buf_error(b);
}

int
sql_embed_rows(struct sqlq *out, const struct table *t, const struct query *q,
    const char *alias, int (*join)(struct sqlq *, const void *),
    const void *arg, int exists)
{
	struct buf *b = &out->sq_sql;
	size_t i;

	buf_addstr(b, "SELECT ");
	if (exists)
		buf_addc(b, '1');
	else if (add_select(out, t, q, alias) == -1)
		return -1;
	buf_addstr(b, " FROM ");
	if (add_table(b, t) == -1)
		return -1;
	buf_printf(b, " %s WHERE ", alias);
	if (join(out, arg) == -1)
		return -1;
	for (i = 0; i < q->q_nfilters; i++) {
		buf_addstr(b, " AND ");
		if (add_filter(out, &q->q_filters[i]) == -1)
			return -1;
	}
	if (add_embed_where(out, q, alias, 1) == -1)
		return -1;
	if (exists)
		return buf_error(b);
	if (add_order(out, t, q, alias) == -1)
		return -1;
	return add_limits(out, q);
}

int
sql_list(const struct table *t, const struct query *q, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;

	buf_addstr(b, "SELECT ");
	if (add_agg(out, "_r") == -1)
		return -1;
	buf_addstr(b, ", count(*) FROM (SELECT ");
	if (add_select(out, t, q, "_t0") == -1)
		return -1;
	buf_addstr(b, " FROM ");
	if (add_from(out, t, q) == -1)
		return -1;
	if (add_order(out, t, q, has_embed(q) ? "_t0" : NULL) == -1 ||
	    add_limits(out, q) == -1)
		return -1;
	buf_addstr(b, ") _r");
	return buf_error(b);
}

int
sql_count(const struct table *t, const struct query *q, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;

	buf_addstr(b, "SELECT count(*) FROM ");
	if (add_from(out, t, q) == -1)
		return -1;
	return 0;
}

/* _p."a", _p."b" */
static int
add_cols_of(
    struct buf *b, const char *rel, const struct column *const *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_printf(b, "%s%s.", i > 0 ? ", " : "", rel);
		if (sql_ident(b, cols[i]->co_name) == -1)
			return -1;
	}
	return buf_error(b);
}

/*
 * FROM <rows of json_body> with missing=default: each row (an object, or
 * each element of an array) goes through postern.fill_defaults() with the
 * insert's columns, then jsonb_populate_record; the values are _p's.
 */
static int
add_rows_with_defaults(struct sqlq *out, const struct table *t,
    const struct column *const *cols, size_t ncols, const char *json_body,
    int is_array)
{
	struct buf *b = &out->sq_sql, rel;
	size_t i;
	int rv;

	buf_addstr(
	    b, is_array ? " FROM json_array_elements(" : " FROM (SELECT ");
	if (sqlq_param(out, json_body) == -1)
		return -1;
	buf_addstr(b, is_array ? "::json) _e, " : "::json AS value) _e, ");
	buf_addstr(b, "jsonb_populate_record(NULL::");
	if (add_table(b, t) == -1)
		return -1;
	buf_addstr(b, ", postern.fill_defaults(");
	/* The table's name as a bound regclass value. */
	buf_init(&rel);
	rv = add_table(&rel, t) == -1 ? -1 : sqlq_param(out, rel.b_data);
	buf_free(&rel);
	if (rv == -1)
		return -1;
	buf_addstr(b, "::regclass, _e.value::jsonb, ARRAY[");
	for (i = 0; i < ncols; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		if (sqlq_param(out, cols[i]->co_name) == -1)
			return -1;
	}
	buf_addstr(b, "]::text[])) _p");
	return buf_error(b);
}

/* ON CONFLICT (..) DO NOTHING | DO UPDATE SET .. [WHERE owner]. */
static int
add_on_conflict(struct buf *b, const struct column *const *cols, size_t ncols,
    const struct sql_write *w)
{
	size_t i;

	buf_addstr(b, " ON CONFLICT (");
	if (add_cols(b, w->sw_conflict, w->sw_nconflict) == -1)
		return -1;
	if (w->sw_resolution == SW_IGNORE) {
		buf_addstr(b, ") DO NOTHING");
		return buf_error(b);
	}
	buf_addstr(b, ") DO UPDATE SET ");
	for (i = 0; i < ncols; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		if (sql_ident(b, cols[i]->co_name) == -1)
			return -1;
		buf_addstr(b, " = EXCLUDED.");
		if (sql_ident(b, cols[i]->co_name) == -1)
			return -1;
	}
	if (w->sw_owner != NULL) {
		buf_addstr(b, " WHERE _t.");
		if (sql_ident(b, w->sw_owner->co_name) == -1)
			return -1;
		buf_addstr(b, " = EXCLUDED.");
		if (sql_ident(b, w->sw_owner->co_name) == -1)
			return -1;
	}
	return buf_error(b);
}

int
sql_upsert(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_body, const struct sql_write *w,
    const struct query *ret, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;
	const char *p;
	int upsert = w != NULL && w->sw_resolution != SW_INSERT;
	int put = upsert && w->sw_key_vals != NULL;
	long owned = 0;
	size_t i;

	if (upsert && (w->sw_nconflict == 0 || ncols == 0))
		return -1;
	/* A PUT merges on its key, one row, each key value given. */
	if (put && (w->sw_resolution != SW_MERGE || w->sw_missing_default))
		return -1;
	for (i = 0; put && i < w->sw_nconflict; i++)
		if (w->sw_key_vals[i] == NULL)
			return -1;
	buf_addstr(
	    b, put ? "WITH _w AS (INSERT INTO " : "WITH _r AS (INSERT INTO ");
	if (add_table(b, t) == -1)
		return -1;
	if (upsert)
		buf_addstr(b, " AS _t");
	if (ncols == 0) {
		buf_addstr(b, " DEFAULT VALUES");
		return add_returning(out, t, ret, 0);
	}
	if (json_body == NULL)
		return -1;
	/* An object goes through json_populate_record, an array through
	 * its recordset twin; rows_check() has already told them apart. */
	for (p = json_body; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	     p++)
		;
	buf_addstr(b, " (");
	if (add_cols(b, cols, ncols) == -1)
		return -1;
	buf_addstr(b, ") SELECT ");
	if (w != NULL && w->sw_missing_default) {
		if (add_cols_of(b, "_p", cols, ncols) == -1 ||
		    add_rows_with_defaults(
		        out, t, cols, ncols, json_body, *p == '[') == -1)
			return -1;
	} else {
		if (add_cols(b, cols, ncols) == -1)
			return -1;
		buf_addstr(b, *p == '[' ? " FROM json_populate_recordset(NULL::"
		                        : " FROM json_populate_record(NULL::");
		if (add_table(b, t) == -1)
			return -1;
		buf_addstr(b, ", ");
		if (sqlq_param(out, json_body) == -1)
			return -1;
		buf_addstr(b, "::json)");
	}
	if (put) {
		/* The body's key must be the one the request named. */
		buf_addstr(b, " WHERE postern.expect_put_key(");
		for (i = 0; i < w->sw_nconflict; i++) {
			if (i > 0)
				buf_addstr(b, " AND ");
			if (sql_ident(b, w->sw_conflict[i]->co_name) == -1)
				return -1;
			buf_addstr(b, " = ");
			if (sqlq_param(out, w->sw_key_vals[i]) == -1)
				return -1;
		}
		buf_addc(b, ')');
	}
	if (upsert) {
		if (add_on_conflict(b, cols, ncols, w) == -1)
			return -1;
		if (w->sw_resolution == SW_MERGE && w->sw_owner != NULL)
			owned = w->sw_rows;
	}
	return add_returning_ex(out, t, ret, owned, put);
}

int
sql_insert(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_body, const struct query *ret,
    struct sqlq *out)
{
	return sql_upsert(t, cols, ncols, json_body, NULL, ret, out);
}

int
sql_count_upto(
    const struct table *t, const struct query *q, long max, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;
	char num[24];

	buf_addstr(b, "SELECT count(*) FROM (SELECT 1 FROM ");
	if (add_from(out, t, q) == -1)
		return -1;
	snprintf(num, sizeof(num), "%ld", max);
	buf_addstr(b, " LIMIT ");
	if (sqlq_param(out, num) == -1)
		return -1;
	buf_addstr(b, ") _c");
	return buf_error(b);
}

int
sql_count_plan(const struct table *t, const struct query *q, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;

	buf_addstr(b, "EXPLAIN (FORMAT JSON) SELECT 1 FROM ");
	if (add_from(out, t, q) == -1)
		return -1;
	return buf_error(b);
}

int
sql_update(const struct table *t, const struct column *const *cols,
    size_t ncols, const char *json_obj, const struct query *q, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;

	if (ncols == 0 || json_obj == NULL || q == NULL || q->q_nfilters == 0)
		return -1;
	/* SET (a, b) = (SELECT a, b ...) is the multi-column form; PostgreSQL
	 * accepts it with a single column too when the source is a
	 * sub-SELECT. */
	buf_addstr(b, "WITH _r AS (UPDATE ");
	if (add_table(b, t) == -1)
		return -1;
	buf_addstr(b, " SET (");
	if (add_cols(b, cols, ncols) == -1)
		return -1;
	buf_addstr(b, ") = (SELECT ");
	if (add_cols(b, cols, ncols) == -1)
		return -1;
	buf_addstr(b, " FROM json_populate_record(NULL::");
	if (add_table(b, t) == -1)
		return -1;
	buf_addstr(b, ", ");
	if (sqlq_param(out, json_obj) == -1)
		return -1;
	buf_addstr(b, "::json))");
	if (add_where(out, q) == -1)
		return -1;
	return add_returning(out, t, q, 0);
}

int
sql_delete(const struct table *t, const struct query *q, struct sqlq *out)
{
	struct buf *b = &out->sq_sql;

	if (q == NULL || q->q_nfilters == 0)
		return -1;
	buf_addstr(b, "WITH _r AS (DELETE FROM ");
	if (add_table(b, t) == -1 || add_where(out, q) == -1)
		return -1;
	return add_returning(out, t, q, 0);
}
