/*
 * The write statements of the Prefer header and the output forms
 * (sqlbuild.c: sql_upsert, the count checks, sql_count_upto,
 * sql_count_plan, the CSV and nulls-stripped aggregates), checked as text
 * with their parameters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/catalog.h"
#include "gateway/sqlbuild.h"

#include "tests/catalog_fixture.h"

#define AGG(rel)                                                               \
	"coalesce('[' || string_agg(row_to_json(" rel ")::text, ',') || ']', " \
	"'[]')"

static struct sqlq fsq;

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

		cr_assert_str_eq(fsq.sq_vals[i], v, "parameter %d", i + 1);
	}
	va_end(ap);
	sqlq_free(&fsq);
	sqlq_init(&fsq);
}

/* A column of t (fx_table() rebuilds the catalog: call it once). */
static const struct column *
tcol(const struct table *t, const char *name)
{
	const struct column *c = table_column(t, name);

	cr_assert_not_null(c, "%s", name);
	return c;
}

Test(sqlwrite, init_has_no_checks)
{
	sqlq_init(&fsq);
	cr_assert_eq(fsq.sq_max_affected, -1);
	cr_assert_eq(fsq.sq_format, SQF_JSON);
	cr_assert_eq(fsq.sq_expect_one, 0);
	sqlq_free(&fsq);
}

Test(sqlwrite, upsert_merge_and_ignore)
{
	const struct table *t = fx_table();
	const struct column *cols[2], *key[1];
	struct sql_write w;
	const char *obj = "{\"id\":1,\"title\":\"a\"}";

	cols[0] = tcol(t, "id");
	cols[1] = tcol(t, "title");
	key[0] = tcol(t, "id");
	memset(&w, 0, sizeof(w));
	w.sw_resolution = SW_MERGE;
	w.sw_conflict = key;
	w.sw_nconflict = 1;
	sqlq_init(&fsq);
	cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" AS _t (\"id\", "
	       "\"title\") SELECT \"id\", \"title\" FROM json_populate_record("
	       "NULL::public.\"table_1\", $1::json) ON CONFLICT (\"id\") DO "
	       "UPDATE SET \"id\" = EXCLUDED.\"id\", \"title\" = "
	       "EXCLUDED.\"title\" RETURNING *) SELECT " AGG(
	           "_r") ", count(*) FROM _r",
	    1, obj);

	w.sw_resolution = SW_IGNORE;
	cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" AS _t (\"id\", "
	       "\"title\") SELECT \"id\", \"title\" FROM json_populate_record("
	       "NULL::public.\"table_1\", $1::json) ON CONFLICT (\"id\") DO "
	       "NOTHING RETURNING *) SELECT " AGG("_r") ", count(*) FROM _r",
	    1, obj);

	/* A resolution needs a target and columns. */
	w.sw_nconflict = 0;
	cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), -1);
	sqlq_free(&fsq);
	sqlq_init(&fsq);
	w.sw_nconflict = 1;
	cr_assert_eq(sql_upsert(t, cols, 0, obj, &w, NULL, &fsq), -1);
	sqlq_free(&fsq);
	fx_free();
}

/*
 * PUT: an upsert on the key whose body key must be the request's
 * (expect_put_key), with the rows whole beside xmax = 0 and a third column
 * counting the inserted ones; under an owner rule the merge's owner check.
 */
Test(sqlwrite, put_replaces_one_row_by_its_key)
{
	const struct table *t = fx_table();
	const struct column *cols[2], *key[1];
	const char *vals[1] = {"1"};
	struct sql_write w;
	const char *obj = "{\"id\":1,\"priority\":2}";

	cols[0] = tcol(t, "id");
	cols[1] = tcol(t, "priority");
	key[0] = tcol(t, "id");
	memset(&w, 0, sizeof(w));
	w.sw_resolution = SW_MERGE;
	w.sw_conflict = key;
	w.sw_nconflict = 1;
	w.sw_key_vals = vals;
	w.sw_owner = tcol(t, "priority");
	w.sw_rows = 1;
	sqlq_init(&fsq);
	cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), 0);
	expect("WITH _w AS (INSERT INTO public.\"table_1\" AS _t (\"id\", "
	       "\"priority\") SELECT \"id\", \"priority\" FROM "
	       "json_populate_record(NULL::public.\"table_1\", $1::json) "
	       "WHERE postern.expect_put_key(\"id\" = $2) "
	       "ON CONFLICT (\"id\") DO UPDATE SET \"id\" = EXCLUDED.\"id\", "
	       "\"priority\" = EXCLUDED.\"priority\" WHERE _t.\"priority\" = "
	       "EXCLUDED.\"priority\" RETURNING ROW(_t.*)::public.\"table_1\" "
	       "AS _row, _t.xmax = 0 AS "
	       "_ins), _r AS (SELECT (_w._row).* FROM _w) SELECT " AGG(
	           "_r") ", postern.expect_owned(count(*), $3), (SELECT "
	                 "count(*) FROM _w WHERE _ins) FROM _r",
	    3, obj, "1", "1");

	/* A composite key: every column compared. */
	{
		const struct column *key2[2] = {key[0], cols[1]};
		const char *vals2[2] = {"1", "2"};

		w.sw_conflict = key2;
		w.sw_nconflict = 2;
		w.sw_key_vals = vals2;
		w.sw_owner = NULL;
		cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), 0);
		cr_assert_not_null(strstr(fsq.sq_sql.b_data,
		    "WHERE postern.expect_put_key(\"id\" = $2 AND "
		    "\"priority\" = $3) ON CONFLICT (\"id\", \"priority\")"));
		sqlq_free(&fsq);
		sqlq_init(&fsq);
		/* A key value missing, or a resolution other than merge,
		 * or missing=default: refused. */
		vals2[1] = NULL;
		cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), -1);
		sqlq_free(&fsq);
		sqlq_init(&fsq);
		vals2[1] = "2";
		w.sw_resolution = SW_IGNORE;
		cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), -1);
		sqlq_free(&fsq);
		sqlq_init(&fsq);
		w.sw_resolution = SW_MERGE;
		w.sw_missing_default = 1;
		cr_assert_eq(sql_upsert(t, cols, 2, obj, &w, NULL, &fsq), -1);
		sqlq_free(&fsq);
	}
	fx_free();
}

Test(sqlwrite, upsert_under_an_owner_rule)
{
	const struct table *t = fx_table();
	const struct column *cols[2], *key[1];
	struct sql_write w;
	const char *arr =
	    "[{\"id\":1,\"priority\":2},{\"id\":2,\"priority\":2}]";

	cols[0] = tcol(t, "id");
	cols[1] = tcol(t, "priority");
	key[0] = tcol(t, "id");
	memset(&w, 0, sizeof(w));
	w.sw_resolution = SW_MERGE;
	w.sw_conflict = key;
	w.sw_nconflict = 1;
	w.sw_owner = tcol(t, "priority");
	w.sw_rows = 2;
	sqlq_init(&fsq);
	fsq.sq_max_affected = 5;
	cr_assert_eq(sql_upsert(t, cols, 2, arr, &w, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" AS _t (\"id\", "
	       "\"priority\") SELECT \"id\", \"priority\" FROM "
	       "json_populate_recordset(NULL::public.\"table_1\", $1::json) "
	       "ON CONFLICT (\"id\") DO UPDATE SET \"id\" = EXCLUDED.\"id\", "
	       "\"priority\" = EXCLUDED.\"priority\" WHERE _t.\"priority\" = "
	       "EXCLUDED.\"priority\" RETURNING *) SELECT " AGG(
	           "_r") ", postern.expect_owned(postern.expect_at_most("
	                 "count(*), $2), $3) FROM _r",
	    3, arr, "5", "2");
	/* ignore-duplicates never updates: no owner check. */
	w.sw_resolution = SW_IGNORE;
	cr_assert_eq(sql_upsert(t, cols, 2, arr, &w, NULL, &fsq), 0);
	cr_assert_null(strstr(fsq.sq_sql.b_data, "expect_owned"));
	sqlq_free(&fsq);
	fx_free();
}

Test(sqlwrite, missing_default)
{
	const struct table *t = fx_table();
	const struct column *cols[2];
	struct sql_write w;
	const char *arr = "[{\"title\":\"a\"},{\"priority\":1}]";

	cols[0] = tcol(t, "title");
	cols[1] = tcol(t, "priority");
	memset(&w, 0, sizeof(w));
	w.sw_missing_default = 1;
	sqlq_init(&fsq);
	cr_assert_eq(sql_upsert(t, cols, 2, arr, &w, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" (\"title\", "
	       "\"priority\") SELECT _p.\"title\", _p.\"priority\" FROM "
	       "json_array_elements($1::json) _e, jsonb_populate_record("
	       "NULL::public.\"table_1\", postern.fill_defaults($2::regclass, "
	       "_e.value::jsonb, ARRAY[$3, $4]::text[])) _p RETURNING *) "
	       "SELECT " AGG("_r") ", count(*) FROM _r",
	    4, arr, "public.\"table_1\"", "title", "priority");
	/* One object: the same, from a one-row source. */
	cr_assert_eq(sql_upsert(t, cols, 1, "{}", &w, NULL, &fsq), 0);
	expect("WITH _r AS (INSERT INTO public.\"table_1\" (\"title\") SELECT "
	       "_p.\"title\" FROM (SELECT $1::json AS value) _e, "
	       "jsonb_populate_record(NULL::public.\"table_1\", "
	       "postern.fill_defaults($2::regclass, _e.value::jsonb, "
	       "ARRAY[$3]::text[])) _p RETURNING *) SELECT " AGG(
	           "_r") ", count(*) FROM _r",
	    3, "{}", "public.\"table_1\"", "title");
	sqlq_free(&fsq);
	fx_free();
}

Test(sqlwrite, expect_one_and_max_affected_nest)
{
	const struct table *t = fx_table();
	const struct column *cols[1];

	cols[0] = tcol(t, "title");
	sqlq_init(&fsq);
	fsq.sq_expect_one = 1;
	fsq.sq_max_affected = 0;
	cr_assert_eq(sql_insert(t, cols, 1, "{}", NULL, &fsq), 0);
	cr_assert_not_null(
	    strstr(fsq.sq_sql.b_data, "postern.expect_at_most(postern.expect_"
	                              "one(count(*)), $2) FROM _r"));
	cr_assert_str_eq(fsq.sq_vals[1], "0");
	sqlq_free(&fsq);
	fx_free();
}

Test(sqlwrite, formats)
{
	const struct table *t = fx_table();
	const struct column *cols[1];

	cols[0] = tcol(t, "title");
	sqlq_init(&fsq);
	fsq.sq_format = SQF_CSV;
	cr_assert_eq(sql_insert(t, cols, 1, "{}", NULL, &fsq), 0);
	expect(
	    "WITH _r AS (INSERT INTO public.\"table_1\" (\"title\") SELECT "
	    "\"title\" FROM json_populate_record(NULL::public.\"table_1\", "
	    "$1::json) RETURNING *) SELECT coalesce(array_to_string(ARRAY("
	    "SELECT json_object_keys(min(row_to_json(_r)::text)::json)), "
	    "','), '') || chr(10) || coalesce(string_agg(substring(_r::text, "
	    "2, length(_r::text) - 2), chr(10)), ''), count(*) FROM _r",
	    1, "{}");
	fsq.sq_format = SQF_JSON_STRIPPED;
	cr_assert_eq(sql_insert(t, cols, 1, "{}", NULL, &fsq), 0);
	cr_assert_not_null(strstr(fsq.sq_sql.b_data,
	    "coalesce('[' || string_agg(json_strip_nulls(row_to_json(_r))::"
	    "text, ',') || ']', '[]'), count(*) FROM _r"));
	sqlq_free(&fsq);
	fx_free();
}

Test(sqlwrite, planner_counts)
{
	const struct table *t = fx_table();
	struct query q;

	memset(&q, 0, sizeof(q));
	sqlq_init(&fsq);
	cr_assert_eq(sql_count_plan(t, &q, &fsq), 0);
	expect("EXPLAIN (FORMAT JSON) SELECT 1 FROM public.\"table_1\"", 0);
	cr_assert_eq(sql_count_upto(t, &q, 1001, &fsq), 0);
	expect("SELECT count(*) FROM (SELECT 1 FROM public.\"table_1\" LIMIT "
	       "$1) _c",
	    1, "1001");
	sqlq_free(&fsq);
	fx_free();
}
