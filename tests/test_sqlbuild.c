#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/catalog.h"
#include "gateway/embed.h"
#include "gateway/httpparse.h"
#include "gateway/query.h"
#include "gateway/routes.h"
#include "gateway/sqlbuild.h"

#include "tests/catalog_fixture.h"

#define AGG(rel)                                                               \
	"coalesce('[' || string_agg(row_to_json(" rel ")::text, ',') || ']', " \
	"'[]')"

/* The fixture with an array, a range and a tsvector column more. */
static const struct table *
fx_table_x(void)
{
	fx_table();
	fx_col("nums", "integer[]", "int4", 0, 0, 0, 1);
	fx_col("span", "int4range", "int4range", 0, 0, 0, 0);
	fx_col("body", "tsvector", "tsvector", 0, 0, 0, 0);
	return catalog_table(&fx_ca, "table_1");
}

static struct query fq;
static struct sqlq fsq;

/* Parses qs for table_1 into fq; the statements are checked by hand. */
static const struct table *
setup(const char *qs, enum query_mode mode)
{
	struct http_param *p = NULL;
	struct q_error err;
	size_t n = 0;
	const char *why = NULL;
	const struct table *t = fx_table_x();

	cr_assert_eq(http_query_parse(qs, 1000, &p, &n, &why), 0);
	cr_assert_eq(query_parse(t, p, n, 100, 1000, mode, &fq, &err), 0,
	    "%s: %s", qs, err.qe_message);
	http_params_free(p, n);
	sqlq_init(&fsq);
	return t;
}

static void
teardown(void)
{
	sqlq_free(&fsq);
	query_free(&fq);
	fx_free();
}

static void
expect(const char *sql, int nvals, ...)
{
	va_list ap;
	int i;

	cr_assert_str_eq(fsq.sq_sql.b_data, sql);
	cr_assert_eq(fsq.sq_nvals, nvals);
	va_start(ap, nvals);
	for (i = 0; i < nvals; i++) {
		const char *v = va_arg(ap, const char *);

		if (v == NULL)
			cr_assert_null(fsq.sq_vals[i]);
		else
			cr_assert_str_eq(fsq.sq_vals[i], v, "$%d", i + 1);
	}
	va_end(ap);
}

Test(sqlbuild, sqlq_params)
{
	struct sqlq q;
	int i;

	sqlq_init(&q);
	cr_assert_eq(sqlq_param(&q, "a"), 0);
	cr_assert_eq(buf_addstr(&q.sq_sql, ", "), 0);
	cr_assert_eq(sqlq_param(&q, NULL), 0);
	cr_assert_str_eq(q.sq_sql.b_data, "$1, $2");
	cr_assert_str_eq(q.sq_vals[0], "a");
	cr_assert_null(q.sq_vals[1]);
	for (i = 2; i < SQLQ_MAX_PARAMS; i++)
		cr_assert_eq(sqlq_param(&q, "x"), 0);
	cr_assert_eq(q.sq_nvals, SQLQ_MAX_PARAMS);
	cr_assert_eq(sqlq_param(&q, "x"), -1);
	cr_assert_eq(q.sq_nvals, SQLQ_MAX_PARAMS);
	sqlq_free(&q);
	sqlq_free(&q);
}

Test(sqlbuild, list_default)
{
	const struct table *t = setup("", QM_READ);

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG(
	           "_r") ", count(*) FROM (SELECT * FROM public.\"table_1\" "
	                 "LIMIT $1) _r",
	    1, "100");
	teardown();
}

Test(sqlbuild, list_select_order_limit_offset)
{
	const struct table *t = setup("select=id,title&order=priority.desc."
	                              "nullslast,id,done.asc.nullsfirst&limit="
	                              "3&offset=1",
	    QM_READ);

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG(
	           "_r") ", count(*) FROM (SELECT \"id\", \"title\" FROM "
	                 "public.\"table_1\" ORDER BY "
	                 "\"table_1\".\"priority\" DESC NULLS LAST, "
	                 "\"table_1\".\"id\" ASC, \"table_1\".\"done\" "
	                 "ASC NULLS FIRST LIMIT $1 OFFSET $2) _r",
	    2, "3", "1");
	teardown();
}

Test(sqlbuild, every_filter)
{
	const struct table *t = setup(
	    "priority=eq.1&priority=neq.2&priority=gt.3&priority=gte.4&"
	    "priority=lt.5&priority=lte.6&title=like.*a*&title=ilike.b*&"
	    "priority=in.(7,8)&priority=in.()&done=is.null&done=is.true&"
	    "done=is.false&done=is.unknown&priority=not.eq.9&title=not.in.(x)&"
	    "done=not.is.null&meta=eq.{}&doc=in.(1)&meta=is.null&priority=like."
	    "1*",
	    QM_READ);

	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect(
	    "SELECT count(*) FROM public.\"table_1\" WHERE "
	    "\"priority\" = $1 AND \"priority\" <> $2 AND \"priority\" > $3 "
	    "AND \"priority\" >= $4 AND \"priority\" < $5 AND "
	    "\"priority\" <= $6 AND \"title\"::text LIKE $7 AND "
	    "\"title\"::text ILIKE $8 AND \"priority\" IN ($9, $10) AND false "
	    "AND \"done\" IS NULL AND \"done\" IS TRUE AND \"done\" IS FALSE "
	    "AND \"done\" IS UNKNOWN AND NOT (\"priority\" = $11) AND "
	    "NOT (\"title\" IN ($12)) AND NOT (\"done\" IS NULL) AND "
	    "\"meta\"::text = $13 AND \"doc\"::text IN ($14) AND "
	    "\"meta\" IS NULL AND \"priority\"::text LIKE $15",
	    15, "1", "2", "3", "4", "5", "6", "%a%", "b%", "7", "8", "9", "x",
	    "{}", "1", "1%");
	teardown();
}

Test(sqlbuild, not_empty_in)
{
	const struct table *t = setup("priority=not.in.()", QM_READ);

	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" WHERE NOT (false)", 0);
	teardown();
}

/* Hostile values end up in sq_vals and nowhere in the SQL text. */
Test(sqlbuild, hostile_values_only_bound)
{
	static const char *const hostile[] = {
	    "'; DROP TABLE table_1; --",
	    "\"); DELETE FROM x; /*",
	    "$1",
	    "\\'",
	    "*/ OR 1=1 --",
	};
	const struct table *t =
	    setup("title=eq.%27%3B%20DROP%20TABLE%20table_1%3B%20--&"
	          "title=in.(%22%5C%22)%3B%20DELETE%20FROM%20x%3B%20/*%22,$1)&"
	          "title=ilike.%5C%27&title=neq.*/%20OR%201=1%20--",
	        QM_READ);
	size_t i;

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG(
	           "_r") ", count(*) FROM (SELECT * FROM public.\"table_1\" "
	                 "WHERE \"title\" = $1 AND \"title\" IN ($2, "
	                 "$3) AND \"title\"::text ILIKE $4 AND "
	                 "\"title\" <> $5 LIMIT $6) _r",
	    6, hostile[0], hostile[1], hostile[2], hostile[3], hostile[4],
	    "100");
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		if (strcmp(hostile[i], "$1") != 0)
			cr_assert_null(strstr(fsq.sq_sql.b_data, hostile[i]));
	cr_assert_null(strchr(fsq.sq_sql.b_data, ';'));
	cr_assert_null(strstr(fsq.sq_sql.b_data, "--"));
	cr_assert_null(strstr(fsq.sq_sql.b_data, "/*"));
	teardown();
}

/* Hostile catalog names are quoted, quotes doubled. */
Test(sqlbuild, hostile_names_quoted)
{
	struct catalog ca;
	struct column c;
	const struct table *t;
	const struct column *cols[1];
	struct query q;
	struct sqlq sq;

	memset(&ca, 0, sizeof(ca));
	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, "x\"; DROP TABLE y; --");
	strcpy(c.co_typname, "text");
	c.co_kind = CK_TEXT;
	cr_assert_eq(catalog_add(&ca, "t\"; --", &c), 0);
	t = catalog_table(&ca, "t\"; --");
	memset(&q, 0, sizeof(q));
	cr_assert_eq(query_add_eq(&q, &t->tb_cols[0], "v"), 0);
	cols[0] = &t->tb_cols[0];

	sqlq_init(&sq);
	cr_assert_eq(sql_delete(t, &q, &sq), 0);
	cr_assert_str_eq(sq.sq_sql.b_data,
	    "WITH _r AS (DELETE FROM public.\"t\"\"; --\" WHERE "
	    "\"x\"\"; DROP TABLE y; --\" = $1 RETURNING *) SELECT " AGG(
	        "_r") ", count(*) FROM _r");
	sqlq_free(&sq);

	sqlq_init(&sq);
	cr_assert_eq(sql_update(t, cols, 1, "{}", &q, &sq), 0);
	cr_assert_str_eq(sq.sq_sql.b_data,
	    "WITH _r AS (UPDATE public.\"t\"\"; --\" SET "
	    "(\"x\"\"; DROP TABLE y; --\") = (SELECT "
	    "\"x\"\"; DROP TABLE y; --\" FROM json_populate_record("
	    "NULL::public.\"t\"\"; --\", $1::json)) WHERE "
	    "\"x\"\"; DROP TABLE y; --\" = $2 RETURNING *) SELECT " AGG(
	        "_r") ", count(*) FROM _r");
	sqlq_free(&sq);
	query_free(&q);
	catalog_free(&ca);
}

Test(sqlbuild, insert)
{
	const struct table *t = setup("select=id,title", QM_WRITE);
	const struct column *cols[2];
	const char *obj = "{\"title\":\"one\",\"priority\":7}";
	const char *arr = " \n[{\"title\":\"a\"}]";

	cols[0] = table_column(t, "title");
	cols[1] = table_column(t, "priority");
	cr_assert_eq(sql_insert(t, cols, 2, obj, &fq, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" (\"title\", "
	       "\"priority\") SELECT \"title\", \"priority\" FROM "
	       "json_populate_record(NULL::public.\"table_1\", $1::json) "
	       "RETURNING *) SELECT " AGG("_s") ", count(*) FROM (SELECT "
	                                        "\"id\", \"title\" FROM _r) _s",
	    1, obj);
	sqlq_free(&fsq);

	sqlq_init(&fsq);
	cr_assert_eq(sql_insert(t, cols, 1, arr, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" (\"title\") SELECT "
	       "\"title\" FROM json_populate_recordset(NULL::public."
	       "\"table_1\", $1::json) RETURNING *) SELECT " AGG(
	           "_r") ", count(*) FROM _r",
	    1, arr);
	sqlq_free(&fsq);

	sqlq_init(&fsq);
	cr_assert_eq(sql_insert(t, NULL, 0, "{}", NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" DEFAULT VALUES "
	       "RETURNING *) SELECT " AGG("_r") ", count(*) FROM _r",
	    0);
	sqlq_free(&fsq);

	sqlq_init(&fsq);
	cr_assert_eq(sql_insert(t, cols, 1, NULL, NULL, &fsq), -1);
	teardown();
}

Test(sqlbuild, update)
{
	const struct table *t = setup("id=eq.2&select=id", QM_WRITE);
	const struct column *cols[3];
	const char *obj = "{\"title\":\"r\",\"done\":true,\"priority\":null}";

	cols[0] = table_column(t, "title");
	cols[1] = table_column(t, "done");
	cols[2] = table_column(t, "priority");
	cr_assert_eq(sql_update(t, cols, 3, obj, &fq, &fsq), 0);
	expect(
	    "WITH _r AS (UPDATE public.\"table_1\" SET (\"title\", \"done\", "
	    "\"priority\") = (SELECT \"title\", \"done\", \"priority\" FROM "
	    "json_populate_record(NULL::public.\"table_1\", $1::json)) "
	    "WHERE \"id\" = $2 RETURNING *) SELECT " AGG(
	        "_s") ", count(*) FROM (SELECT \"id\" FROM _r) _s",
	    2, obj, "2");
	sqlq_free(&fsq);

	/* One column: PostgreSQL 15 takes the parenthesised form with a
	 * sub-SELECT (checked against a server). */
	sqlq_init(&fsq);
	cr_assert_eq(sql_update(t, cols, 1, "{\"title\":\"x\"}", &fq, &fsq), 0);
	cr_assert_not_null(strstr(fsq.sq_sql.b_data,
	    "SET (\"title\") = (SELECT \"title\" FROM json_populate_record("));
	sqlq_free(&fsq);

	sqlq_init(&fsq);
	cr_assert_eq(sql_update(t, cols, 0, "{}", &fq, &fsq), -1);
	cr_assert_eq(sql_update(t, cols, 1, NULL, &fq, &fsq), -1);
	teardown();
}

Test(sqlbuild, delete)
{
	const struct table *t = setup("id=in.(3,4)", QM_WRITE);

	cr_assert_eq(sql_delete(t, &fq, &fsq), 0);
	expect(
	    "WITH _r AS (DELETE FROM public.\"table_1\" WHERE \"id\" IN ($1, "
	    "$2) RETURNING *) SELECT " AGG("_r") ", count(*) FROM _r",
	    2, "3", "4");
	teardown();
}

/* A write without a filter would touch every row: never built. */
Test(sqlbuild, whole_table_writes_refused)
{
	const struct table *t = setup("select=id", QM_WRITE);
	const struct column *cols[1];

	cols[0] = table_column(t, "title");
	cr_assert_eq(sql_delete(t, &fq, &fsq), -1);
	cr_assert_eq(sql_delete(t, NULL, &fsq), -1);
	cr_assert_eq(sql_update(t, cols, 1, "{}", &fq, &fsq), -1);
	cr_assert_eq(sql_update(t, cols, 1, "{}", NULL, &fsq), -1);
	teardown();
}

Test(sqlbuild, no_limit_in_write_mode_and_count)
{
	const struct table *t = setup("priority=gte.2", QM_WRITE);

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG(
	           "_r") ", count(*) FROM (SELECT * FROM public.\"table_1\" "
	                 "WHERE \"priority\" >= $1) _r",
	    1, "2");
	teardown();
}

Test(sqlbuild, big_in_list)
{
	struct query q;
	struct sqlq sq;
	const struct table *t = fx_table();
	struct q_filter *f;
	size_t i;

	/* Parameters keep counting across filters. */
	memset(&q, 0, sizeof(q));
	cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "1"), 0);
	cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "2"), 0);
	f = &q.q_filters[1];
	free(f->qf_value);
	f->qf_value = NULL;
	f->qf_op = QO_IN;
	f->qf_list = calloc(QUERY_MAX_IN, sizeof(char *));
	for (i = 0; i < QUERY_MAX_IN; i++)
		f->qf_list[f->qf_nlist++] = strdup("5");
	sqlq_init(&sq);
	cr_assert_eq(sql_count(t, &q, &sq), 0);
	cr_assert_eq(sq.sq_nvals, QUERY_MAX_IN + 1);
	cr_assert_not_null(strstr(sq.sq_sql.b_data, "$1001)"));
	sqlq_free(&sq);
	query_free(&q);
	fx_free();
}

/* The builders append in a straight line: a statement whose buffer could
 * not grow anywhere on the way is refused, never half built. */
Test(sqlbuild, buffer_error_fails_every_builder)
{
	const struct table *t =
	    setup("id=eq.1&order=id&limit=2&offset=1", QM_READ);
	const struct column *cols[1];

	cols[0] = table_column(t, "title");
	cr_assert_eq(buf_reserve(&fsq.sq_sql, SIZE_MAX), -1);
	cr_assert_eq(sql_list(t, &fq, &fsq), -1);
	cr_assert_eq(sql_count(t, &fq, &fsq), -1);
	cr_assert_eq(sql_insert(t, cols, 1, "{}", NULL, &fsq), -1);
	cr_assert_eq(sql_insert(t, cols, 0, NULL, NULL, &fsq), -1);
	cr_assert_eq(sql_update(t, cols, 1, "{}", &fq, &fsq), -1);
	cr_assert_eq(sql_delete(t, &fq, &fsq), -1);
	cr_assert_eq(buf_error(&fsq.sq_sql), -1);
	cr_assert_eq(fsq.sq_sql.b_len, 0);
	teardown();
}

Test(sqlbuild, new_operators)
{
	const struct table *t =
	    setup("title=match.^a&title=not.imatch.b&priority=isdistinct.1&"
	          "meta=isdistinct.{}&tags=cs.{a}&meta=cd.{}&nums=ov.{1}&"
	          "span=sl.[1,2)&span=sr.[1,2)&span=nxr.[1,2)&span=nxl.[1,2)&"
	          "span=adj.[1,2)&span=cs.3",
	        QM_READ);

	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" WHERE "
	       "\"title\"::text ~ $1 AND NOT (\"title\"::text ~* $2) AND "
	       "\"priority\" IS DISTINCT FROM $3 AND "
	       "\"meta\"::text IS DISTINCT FROM $4 AND \"tags\" @> $5 AND "
	       "\"meta\" <@ $6 AND \"nums\" && $7 AND \"span\" << $8 AND "
	       "\"span\" >> $9 AND \"span\" &< $10 AND \"span\" &> $11 AND "
	       "\"span\" -|- $12 AND \"span\" @> $13",
	    13, "^a", "b", "1", "{}", "{a}", "{}", "{1}", "[1,2)", "[1,2)",
	    "[1,2)", "[1,2)", "[1,2)", "3");
	teardown();
}

Test(sqlbuild, fts_and_quantifiers)
{
	const struct table *t =
	    setup("title=fts.a&body=plfts(english).b&body=phfts.c&"
	          "title=not.wfts(simple).d&title=like(any).{a*,b}&"
	          "priority=gt(all).{1,2}&meta=eq(any).{x}",
	        QM_READ);

	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" WHERE "
	       "\"title\" @@ to_tsquery($1) AND "
	       "\"body\" @@ plainto_tsquery($2::regconfig, $3) AND "
	       "\"body\" @@ phraseto_tsquery($4) AND "
	       "NOT (\"title\" @@ websearch_to_tsquery($5::regconfig, $6)) AND "
	       "\"title\"::text LIKE ANY ($7) AND \"priority\" > ALL ($8) AND "
	       "\"meta\"::text = ANY ($9)",
	    9, "a", "english", "b", "c", "simple", "d", "{a%,b}", "{1,2}",
	    "{x}");
	teardown();
}

Test(sqlbuild, logic_trees)
{
	const struct table *t =
	    setup("or=(priority.eq.1,and(done.is.true,not.or(title.eq.x,"
	          "priority.in.(2,3))))&not.and=(priority.gt.0)&priority=lt.9",
	        QM_WRITE);

	cr_assert_eq(sql_delete(t, &fq, &fsq), 0);
	expect("WITH _r AS (DELETE FROM public.\"table_1\" WHERE "
	       "(\"priority\" = $1 OR (\"done\" IS TRUE AND NOT "
	       "((\"title\" = $2 OR \"priority\" IN ($3, $4))))) AND "
	       "NOT ((\"priority\" > $5)) AND \"priority\" < $6 RETURNING *) "
	       "SELECT " AGG("_r") ", count(*) FROM _r",
	    6, "1", "x", "2", "3", "0", "9");
	teardown();
}

/* The owner rule is ANDed after a tree: the tree cannot widen it. */
Test(sqlbuild, tree_then_owner_rule)
{
	const struct table *t =
	    setup("or=(priority.eq.1,priority.eq.2)", QM_WRITE);

	cr_assert_eq(query_add_eq(&fq, table_column(t, "uid"),
	                 "00000000-0000-0000-0000-000000000001"),
	    0);
	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" WHERE "
	       "(\"priority\" = $1 OR \"priority\" = $2) AND \"uid\" = $3",
	    3, "1", "2", "00000000-0000-0000-0000-000000000001");
	teardown();
}

/* A hand-made empty group or an and/or without operands builds nothing. */
Test(sqlbuild, empty_tree_refused)
{
	const struct table *t = setup("", QM_READ);
	struct q_filter f;

	memset(&f, 0, sizeof(f));
	f.qf_op = QO_OR;
	fq.q_filters = &f;
	fq.q_nfilters = 1;
	cr_assert_eq(sql_count(t, &fq, &fsq), -1);
	fq.q_filters = NULL;
	fq.q_nfilters = 0;
	teardown();
}

Test(sqlbuild, select_alias_cast_path)
{
	const struct table *t = setup(
	    "select=pid:id,title,id::text,b:meta->>budget,meta->lead->>name,"
	    "meta->arr->0::int,doc->-1&meta->>budget=eq.100&meta->tags=cs."
	    "%5B%22a%22%5D&doc->x=eq.1&order=meta->>budget.desc",
	    QM_READ);

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG(
	           "_r") ", count(*) FROM (SELECT \"id\" AS \"pid\", "
	                 "\"title\", CAST(\"id\" AS text) AS \"id\", "
	                 "(\"meta\"->>$1) AS \"b\", (\"meta\"->$2->>$3) AS "
	                 "\"name\", CAST((\"meta\"->$4->0) AS integer) AS "
	                 "\"arr\", (\"doc\"->-1) AS \"doc\" FROM "
	                 "public.\"table_1\" WHERE (\"meta\"->>$5) = $6 AND "
	                 "(\"meta\"->$7) @> $8 AND (\"doc\"->$9)::text = $10 "
	                 "ORDER BY (\"meta\"->>$11) DESC LIMIT $12) _r",
	    12, "budget", "lead", "name", "arr", "budget", "100", "tags",
	    "[\"a\"]", "x", "1", "budget", "100");
	teardown();
}

/* order= names a column, never an output key: with a select list the
 * column is qualified, since a bare "id" would sort by the item keyed id
 * (title here, or the text of id::text). */
Test(sqlbuild, order_names_the_column_not_an_alias)
{
	const struct table *t = setup("select=id:title,x:id&order=id.desc",
	    QM_READ);

	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data,
	              " FROM public.\"table_1\" ORDER BY \"table_1\".\"id\" "
	              "DESC LIMIT") != NULL,
	    "%s", fsq.sq_sql.b_data);
	teardown();

	/* Without a select list the statement stays as it was. */
	t = setup("order=id.desc", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data, " ORDER BY \"id\" DESC") != NULL,
	    "%s", fsq.sq_sql.b_data);
	teardown();
}

Test(sqlbuild, star_with_columns)
{
	const struct table *t;

	/* Extra items after "*" that no column is named like: "*" stays. */
	t = setup("select=*,x:id::text", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data,
	              "(SELECT *, CAST(\"id\" AS text) AS \"x\" FROM") != NULL,
	    "%s", fsq.sq_sql.b_data);
	teardown();

	/* An item keyed like a column takes its place in "*". */
	t = setup("select=*,id::text", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data,
	              "(SELECT CAST(\"id\" AS text) AS \"id\", \"title\", "
	              "\"done\",") != NULL,
	    "%s", fsq.sq_sql.b_data);
	cr_assert(strstr(fsq.sq_sql.b_data, "\"body\" FROM") != NULL);
	teardown();

	/* The SQL of a plain "*" is the default's. */
	t = setup("select=*", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data, "(SELECT * FROM") != NULL);
	teardown();
}

Test(sqlbuild, returning_with_items)
{
	const struct table *t =
	    setup("id=eq.3&select=n:id,m:meta->>a", QM_WRITE);

	cr_assert_eq(sql_delete(t, &fq, &fsq), 0);
	expect("WITH _r AS (DELETE FROM public.\"table_1\" WHERE \"id\" = $1 "
	       "RETURNING *) SELECT " AGG("_s") ", count(*) FROM (SELECT "
	                                        "\"id\" AS \"n\", "
	                                        "(\"meta\"->>$2) AS \"m\" "
	                                        "FROM _r) _s",
	    2, "3", "a");
	teardown();
}

Test(sqlbuild, tree_with_paths)
{
	const struct table *t =
	    setup("or=(meta->>budget.eq.250,meta->n.gt.1)", QM_READ);

	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" WHERE ((\"meta\"->>$1) "
	       "= $2 OR (\"meta\"->$3) > $4)",
	    4, "budget", "250", "n", "1");
	teardown();
}

/*
 * Embeds: table_1 (the fixture) is the parent of "sub" (sub.t1_id ->
 * table_1.id), "tag" is many-to-many with table_1 through "t1_tag", whose
 * list endpoint has an owner rule; every endpoint but tag's is public.
 */
static struct routes *
embed_setup(void)
{
	static const char *const lists[][2] = {{"table_1", ""}, {"sub", ""},
	    {"tag", ""}, {"t1_tag", "owner"}};
	struct routes *rs = routes_new();
	const char *why;
	char path[32];
	size_t i;

	fx_table_x();
	fx_ca_add("sub", "id", "int8", 1);
	fx_ca_add("sub", "t1_id", "int8", 0);
	fx_ca_add("sub", "name", "text", 0);
	fx_ca_add("tag", "id", "int8", 1);
	fx_ca_add("tag", "label", "text", 0);
	fx_ca_add("t1_tag", "t1", "int8", 1);
	fx_ca_add("t1_tag", "tag", "int8", 1);
	fx_ca_add("t1_tag", "owner", "text", 0);
	cr_assert_eq(catalog_add_fkey(&fx_ca, "sub_fk", "sub", "table_1", 0,
	                 "t1_id", "id", 0),
	    0);
	cr_assert_eq(catalog_add_fkey(&fx_ca, "j1", "t1_tag", "table_1", 0,
	                 "t1", "id", 0),
	    0);
	cr_assert_eq(catalog_add_fkey(&fx_ca, "j2", "t1_tag", "tag", 0, "tag",
	                 "id", 0),
	    0);
	cr_assert_not_null(rs);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(path, sizeof(path), "/%s", lists[i][0]);
		cr_assert_eq(routes_add_row(rs, (long)i + 1, "data", "GET", path,
		                 lists[i][0], "list", "none", lists[i][1], "",
		                 &why),
		    0);
	}
	return rs;
}

static void
embed_parse(struct routes *rs, const char *qs, enum query_mode mode)
{
	struct embed_ctx ctx = {.ec_catalog = &fx_ca,
	    .ec_routes = rs,
	    .ec_verified = 1,
	    .ec_sub = "u1",
	    .ec_group = "users"};
	struct http_param *p = NULL;
	struct q_error err;
	size_t n = 0;
	const char *why = NULL;

	cr_assert_eq(http_query_parse(qs, 1000, &p, &n, &why), 0);
	cr_assert_eq(query_parse_embed(&ctx, catalog_table(&fx_ca, "table_1"),
	                 p, n, 100, 1000, mode, &fq, &err),
	    0, "%s: %s %s", qs, err.qe_code, err.qe_message);
	http_params_free(p, n);
	sqlq_init(&fsq);
}

Test(sqlbuild, embeds)
{
	struct routes *rs = embed_setup();
	const struct table *t = catalog_table(&fx_ca, "table_1");

	/* One-to-many with its own filter, order and limit; !inner narrows
	 * the parent (and its count) with the same filter. */
	embed_parse(rs,
	    "select=id,kids:sub!inner(name)&kids.name=like.a*"
	    "&kids.order=name.desc&kids.limit=2&id=gt.0",
	    QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG("_r") ", count(*) FROM (SELECT \"id\", "
	                           "coalesce((SELECT json_agg(_s1) FROM ("
	                           "SELECT \"name\" FROM public.\"sub\" _t1 "
	                           "WHERE _t1.\"t1_id\" = _t0.\"id\" AND "
	                           "\"name\"::text LIKE $1 ORDER BY _t1.\"name\" "
	                           "DESC LIMIT $2) _s1), '[]') AS \"kids\" "
	                           "FROM public.\"table_1\" _t0 WHERE \"id\" > "
	                           "$3 AND EXISTS (SELECT 1 FROM public.\"sub\" "
	                           "_t1 WHERE _t1.\"t1_id\" = _t0.\"id\" AND "
	                           "\"name\"::text LIKE $4) LIMIT $5) _r",
	    5, "a%", "2", "0", "a%", "100");
	sqlq_free(&fsq);
	sqlq_init(&fsq);
	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" _t0 WHERE \"id\" > $1 "
	       "AND EXISTS (SELECT 1 FROM public.\"sub\" _t1 WHERE "
	       "_t1.\"t1_id\" = _t0.\"id\" AND \"name\"::text LIKE $2)",
	    2, "0", "a%");
	sqlq_free(&fsq);
	query_free(&fq);

	/* Many-to-one from sub, nested in table_1's one-to-many; a
	 * many-to-many through a junction whose owner rule is bound. */
	/* The top level's order is qualified: an embed keyed "id" is not
	 * what is sorted. */
	embed_parse(rs, "select=title,id:sub(id)&order=id.desc", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	cr_assert(strstr(fsq.sq_sql.b_data,
	              "FROM public.\"table_1\" _t0 ORDER BY _t0.\"id\" DESC "
	              "LIMIT $1) _r") != NULL,
	    "%s", fsq.sq_sql.b_data);
	sqlq_free(&fsq);
	query_free(&fq);

	embed_parse(rs, "select=sub(table_1(id)),tag(*)", QM_READ);
	cr_assert_eq(sql_list(t, &fq, &fsq), 0);
	expect("SELECT " AGG("_r") ", count(*) FROM (SELECT coalesce((SELECT "
	                           "json_agg(_s1) FROM (SELECT (SELECT "
	                           "row_to_json(_s2) FROM (SELECT \"id\" FROM "
	                           "public.\"table_1\" _t2 WHERE _t2.\"id\" = "
	                           "_t1.\"t1_id\") _s2) AS \"table_1\" FROM "
	                           "public.\"sub\" _t1 WHERE _t1.\"t1_id\" = "
	                           "_t0.\"id\") _s1), '[]') AS \"sub\", "
	                           "coalesce((SELECT json_agg(_s1) FROM (SELECT "
	                           "* FROM public.\"tag\" _t1 WHERE EXISTS "
	                           "(SELECT 1 FROM public.\"t1_tag\" _j1 WHERE "
	                           "_j1.\"tag\" = _t1.\"id\" AND _j1.\"t1\" = "
	                           "_t0.\"id\" AND _j1.\"owner\" = $1)) _s1), "
	                           "'[]') AS \"tag\" FROM public.\"table_1\" _t0 "
	                           "LIMIT $2) _r",
	    2, "u1", "100");
	sqlq_free(&fsq);
	query_free(&fq);

	/* A write returns its rows with the embeds read from _r; top-level
	 * filtering by rel=is.null is NOT EXISTS. */
	embed_parse(rs, "id=eq.3&select=id,sub(name)", QM_WRITE);
	cr_assert_eq(sql_delete(t, &fq, &fsq), 0);
	expect("WITH _r AS (DELETE FROM public.\"table_1\" WHERE \"id\" = $1 "
	       "RETURNING *) SELECT " AGG("_s") ", count(*) FROM (SELECT "
	                                        "\"id\", coalesce((SELECT "
	                                        "json_agg(_s1) FROM (SELECT "
	                                        "\"name\" FROM public.\"sub\" "
	                                        "_t1 WHERE _t1.\"t1_id\" = "
	                                        "_r.\"id\") _s1), '[]') AS "
	                                        "\"sub\" FROM _r) _s",
	    1, "3");
	sqlq_free(&fsq);
	query_free(&fq);
	embed_parse(rs, "select=id,sub(id)&sub=is.null", QM_READ);
	cr_assert_eq(sql_count(t, &fq, &fsq), 0);
	expect("SELECT count(*) FROM public.\"table_1\" _t0 WHERE NOT EXISTS "
	       "(SELECT 1 FROM public.\"sub\" _t1 WHERE _t1.\"t1_id\" = "
	       "_t0.\"id\")",
	    0);
	teardown();
	routes_unref(rs);
}
