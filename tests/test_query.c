#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/catalog.h"
#include "gateway/httpparse.h"
#include "gateway/query.h"

#include "tests/catalog_fixture.h"

/* Writable strings for struct http_param, which is not const. */
static char s_priority[] = "priority", s_badname[] = "a\xff\x01z",
            s_eq1[] = "eq.1", s_title[] = "title", s_select[] = "select",
            s_id[] = "id", s_order[] = "order";

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

/* Parses a raw query string as the gateway would. */
static int
parse_mode(
    const char *qs, enum query_mode mode, struct query *q, struct q_error *err)
{
	struct http_param *p = NULL;
	size_t n = 0;
	const char *why = NULL;
	int rv;

	cr_assert_eq(http_query_parse(qs, 100000, &p, &n, &why), 0, "%s", why);
	rv = query_parse(fx_table_x(), p, n, 100, 1000, mode, q, err);
	http_params_free(p, n);
	return rv;
}

static int
parse(const char *qs, struct query *q, struct q_error *err)
{
	return parse_mode(qs, QM_READ, q, err);
}

/* Expects qs to fail with code; returns the message for more checks. */
static void
fails(const char *qs, const char *code, const char *msg_part)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse(qs, &q, &err), -1, "accepted: %s", qs);
	cr_assert_eq(err.qe_status, 400, "%s", qs);
	cr_assert_str_eq(err.qe_code, code, "%s: %s", qs, err.qe_message);
	if (msg_part != NULL)
		cr_assert(strstr(err.qe_message, msg_part) != NULL ||
		              strstr(err.qe_details, msg_part) != NULL,
		    "%s: message \"%s\" (details \"%s\") lacks \"%s\"", qs,
		    err.qe_message, err.qe_details, msg_part);
	cr_assert_eq(q.q_nfilters, 0);
	cr_assert_null(q.q_filters);
	fx_free();
}

static void
ok(const char *qs)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse(qs, &q, &err), 0, "%s: %s", qs, err.qe_message);
	query_free(&q);
	fx_free();
}

Test(query, empty_defaults)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 0);
	cr_assert_eq(q.q_nfilters, 0);
	cr_assert_eq(q.q_norder, 0);
	cr_assert_eq(q.q_has_limit, 1);
	cr_assert_eq(q.q_limit, 100);
	cr_assert_eq(q.q_offset, 0);
	query_free(&q);
	query_free(&q);
	fx_free();
}

Test(query, every_operator)
{
	static const struct {
		const char *qs;
		enum q_op op;
		const char *value;
	} cases[] = {
	    {"priority=eq.5", QO_EQ, "5"},
	    {"priority=neq.5", QO_NEQ, "5"},
	    {"priority=gt.-5", QO_GT, "-5"},
	    {"priority=gte.0", QO_GTE, "0"},
	    {"priority=lt.10", QO_LT, "10"},
	    {"priority=lte.10", QO_LTE, "10"},
	    {"title=like.*abc*", QO_LIKE, "%abc%"},
	    {"title=ilike.A%25b*", QO_ILIKE, "A%b%"},
	    {"title=eq.a.b.c", QO_EQ, "a.b.c"},
	    {"title=eq.", QO_EQ, ""},
	    {"title=eq.*", QO_EQ, "*"},
	};
	struct query q;
	struct q_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(parse(cases[i].qs, &q, &err), 0, "%s: %s",
		    cases[i].qs, err.qe_message);
		cr_assert_eq(q.q_nfilters, 1);
		cr_assert_eq(
		    q.q_filters[0].qf_op, cases[i].op, "%s", cases[i].qs);
		cr_assert_eq(q.q_filters[0].qf_not, 0);
		cr_assert_str_eq(q.q_filters[0].qf_value, cases[i].value);
		query_free(&q);
		fx_free();
	}
}

Test(query, not_and_repeats)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(
	    parse("priority=not.eq.5&priority=gt.1&done=not.is.true", &q, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(q.q_nfilters, 3);
	cr_assert_eq(q.q_filters[0].qf_not, 1);
	cr_assert_eq(q.q_filters[0].qf_op, QO_EQ);
	cr_assert_str_eq(q.q_filters[0].qf_col->co_name, "priority");
	cr_assert_eq(q.q_filters[1].qf_not, 0);
	cr_assert_eq(q.q_filters[1].qf_op, QO_GT);
	cr_assert_eq(q.q_filters[2].qf_not, 1);
	cr_assert_eq(q.q_filters[2].qf_op, QO_IS);
	cr_assert_eq(q.q_filters[2].qf_is, QI_TRUE);
	query_free(&q);
	fx_free();

	fails("priority=not.not.eq.5", "PN108", "\"not\"");
	fails("priority=not.", "PN105", NULL);
	fails("priority=not", "PN105", NULL);
}

Test(query, in_lists)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(
	    parse("title=in.(a,b,%22c,d%22,%22x\\%22y\\\\z%22,)", &q, &err), 0,
	    "%s", err.qe_message);
	cr_assert_eq(q.q_filters[0].qf_op, QO_IN);
	cr_assert_null(q.q_filters[0].qf_value);
	cr_assert_eq(q.q_filters[0].qf_nlist, 5);
	cr_assert_str_eq(q.q_filters[0].qf_list[0], "a");
	cr_assert_str_eq(q.q_filters[0].qf_list[1], "b");
	cr_assert_str_eq(q.q_filters[0].qf_list[2], "c,d");
	cr_assert_str_eq(q.q_filters[0].qf_list[3], "x\"y\\z");
	cr_assert_str_eq(q.q_filters[0].qf_list[4], "");
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("priority=in.()", &q, &err), 0);
	cr_assert_eq(q.q_filters[0].qf_nlist, 0);
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("priority=not.in.(1,2,3)", &q, &err), 0);
	cr_assert_eq(q.q_filters[0].qf_nlist, 3);
	cr_assert_eq(q.q_filters[0].qf_not, 1);
	query_free(&q);
	fx_free();

	/* Quoted items may hold parentheses and dots. */
	cr_assert_eq(parse("title=in.(%22a)b%22,%22(%22)", &q, &err), 0);
	cr_assert_str_eq(q.q_filters[0].qf_list[0], "a)b");
	cr_assert_str_eq(q.q_filters[0].qf_list[1], "(");
	query_free(&q);
	fx_free();

	fails("title=in.(a,%22b)", "PN105", "unterminated");
	fails("title=in.(a,b", "PN105", "parentheses");
	fails("title=in.a,b)", "PN105", "parentheses");
	fails("title=in.(a)b)", "PN105", "after the closing");
	fails("title=in.(a)(b)", "PN105", NULL);
	fails("title=in.(a(b)", "PN105", "unbalanced");
	fails("title=in.(a%22b)", "PN105", "unbalanced");
	fails("title=in.(%22a%22b)", "PN105", "after a quoted");
	fails("title=in.(%22a\\%22)", "PN105", "unterminated");
	fails("title=in.", "PN105", NULL);
	fails("title=in.(", "PN105", NULL);
	fails("priority=in.(1,x)", "PN105",
	    "invalid value for column "
	    "\"priority\" (integer): \"x\"");
}

Test(query, in_cap)
{
	struct buf b;
	struct http_param p;
	struct query q;
	struct q_error err;
	int i;

	buf_init(&b);
	cr_assert_eq(buf_addc(&b, '('), 0);
	for (i = 0; i < QUERY_MAX_IN; i++)
		cr_assert_eq(buf_printf(&b, "%s%d", i ? "," : "", i), 0);
	cr_assert_eq(buf_addc(&b, ')'), 0);
	p.hp_name = s_priority;
	{
		char *v = malloc(b.b_len + 4);

		memcpy(v, "in.", 3);
		memcpy(v + 3, b.b_data, b.b_len + 1);
		p.hp_value = v;
		cr_assert_eq(query_parse(fx_table(), &p, 1, 100, 1000, QM_READ,
		                 &q, &err),
		    0, "%s", err.qe_message);
		cr_assert_eq(q.q_filters[0].qf_nlist, QUERY_MAX_IN);
		query_free(&q);
		fx_free();
		free(v);
	}
	/* One more is refused. */
	b.b_len--;
	cr_assert_eq(buf_addstr(&b, ",7)"), 0);
	{
		char *v = malloc(b.b_len + 4);

		memcpy(v, "in.", 3);
		memcpy(v + 3, b.b_data, b.b_len + 1);
		p.hp_value = v;
		cr_assert_eq(query_parse(fx_table(), &p, 1, 100, 1000, QM_READ,
		                 &q, &err),
		    -1);
		cr_assert_str_eq(err.qe_code, "PN105");
		cr_assert_not_null(strstr(err.qe_message, "1000"));
		fx_free();
		free(v);
	}
	buf_free(&b);
}

Test(query, is_variants)
{
	static const struct {
		const char *qs;
		enum q_is is;
	} cases[] = {
	    {"done=is.null", QI_NULL},
	    {"done=is.NULL", QI_NULL},
	    {"done=is.true", QI_TRUE},
	    {"done=is.True", QI_TRUE},
	    {"done=is.false", QI_FALSE},
	    {"done=is.unknown", QI_UNKNOWN},
	    {"priority=is.null", QI_NULL},
	    {"meta=is.null", QI_NULL},
	};
	struct query q;
	struct q_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(
		    parse(cases[i].qs, &q, &err), 0, "%s", cases[i].qs);
		cr_assert_eq(q.q_filters[0].qf_op, QO_IS);
		cr_assert_eq(
		    q.q_filters[0].qf_is, cases[i].is, "%s", cases[i].qs);
		query_free(&q);
		fx_free();
	}
	fails("done=is.maybe", "PN105", "null, true, false or unknown");
	fails("done=is.", "PN105", NULL);
	fails("done=is.nul", "PN105", NULL);
	fails("done=is.null;", "PN105", NULL);
	fails("priority=is.true", "PN105", "not a boolean");
	fails("tags=is.true", "PN105", "not a boolean");
}

Test(query, unknown_operator_and_column)
{
	fails("priority=foo.5", "PN108", "unknown operator \"foo\"");
	fails("priority=EQ.5", "PN108", "\"EQ\"");
	fails("priority=cs.{1}", "PN108", "\"cs\"");
	fails("priority=fts.x", "PN108", NULL);
	fails("priority=.5", "PN108", NULL);
	fails("priority=5", "PN105", "operator.value");
	fails("priority=", "PN105", NULL);
	fails("nope=eq.5", "PN107", "column \"nope\" does not exist");
	fails("Priority=eq.5", "PN107", NULL);
	/* Blanks around a name are trimmed, as PostgREST's. */
	ok("priority%20=eq.5");
	fails("=eq.5", "PN107", NULL);
	fails("or=(a.eq.1,b.eq.2)", "PN107", "column \"a\" does not exist");
	fails("on_conflict=id", "PN105", "not supported");
}

Test(query, typed_values)
{
	/* int2 edges */
	ok("small=eq.32767");
	ok("small=eq.-32768");
	fails("small=eq.32768", "PN105", "(smallint)");
	fails("small=eq.-32769", "PN105", NULL);
	/* int4 edges */
	ok("priority=eq.2147483647");
	ok("priority=eq.-2147483648");
	ok("priority=eq.-0");
	ok("priority=eq.%2B7");
	ok("priority=eq.007");
	fails("priority=eq.2147483648", "PN105", NULL);
	fails("priority=eq.abc", "PN105",
	    "invalid value for column \"priority\" (integer): \"abc\"");
	fails("priority=eq.1e3", "PN105", NULL);
	fails("priority=eq.1.0", "PN105", NULL);
	fails("priority=eq.-", "PN105", NULL);
	fails("priority=eq.", "PN105", NULL);
	fails("priority=eq.%201", "PN105", NULL);
	fails("priority=eq.0x10", "PN105", NULL);
	/* int8 edges */
	ok("id=eq.9223372036854775807");
	ok("id=eq.-9223372036854775808");
	fails("id=eq.9223372036854775808", "PN105", "(bigint)");
	fails("id=eq.-9223372036854775809", "PN105", NULL);
	fails("id=eq.99999999999999999999999999", "PN105", NULL);
	/* numeric and float */
	ok("amount=eq.1");
	ok("amount=eq.-1.5e3");
	ok("amount=eq..5");
	ok("amount=eq.5.");
	ok("amount=gt.1E-2");
	fails("amount=eq.NaN", "PN105", "(numeric(10,2))");
	fails("amount=eq.1e", "PN105", NULL);
	fails("amount=eq..", "PN105", NULL);
	fails("amount=eq.1,5", "PN105", NULL);
	ok("score=eq.NaN");
	ok("score=eq.-Infinity");
	ok("score=eq.inf");
	ok("score=lt.3.25");
	fails("score=eq.nan1", "PN105", NULL);
	/* bool */
	ok("done=eq.true");
	ok("done=eq.FALSE");
	ok("done=eq.t");
	ok("done=eq.off");
	ok("done=eq.1");
	ok("done=neq.no");
	fails("done=eq.2", "PN105", "(boolean)");
	fails("done=eq.truth", "PN105", NULL);
	/* uuid */
	ok("uid=eq.123e4567-e89b-12d3-a456-426614174000");
	ok("uid=eq.123E4567-E89B-12D3-A456-426614174000");
	fails("uid=eq.123e4567e89b12d3a456426614174000", "PN105", "(uuid)");
	fails("uid=eq.123e4567-e89b-12d3-a456-42661417400", "PN105", NULL);
	fails("uid=eq.123e4567-e89b-12d3-a456-4266141740000", "PN105", NULL);
	fails("uid=eq.g23e4567-e89b-12d3-a456-426614174000", "PN105", NULL);
	/* left to PostgreSQL */
	ok("created_at=gt.2024-01-01T00:00:00Z");
	ok("created_at=gt.yesterday");
	ok("day=eq.not-a-date");
	ok("meta=eq.{\"a\":1}");
	ok("tags=eq.{a,b}");
	ok("spot=eq.(1,2)");
	/* like takes anything, even on numbers (compared as text) */
	ok("priority=like.1*");
}

/* The key and column of item i. */
static void
item_is(const struct query *q, size_t i, const char *key, const char *col)
{
	cr_assert(i < q->q_nitems);
	cr_assert_eq(q->q_items[i].qi_kind, SEL_FIELD);
	cr_assert_str_eq(q->q_items[i].qi_key, key);
	cr_assert_str_eq(q->q_items[i].qi_col->co_name, col);
}

Test(query, select_forms)
{
	struct query q;
	struct q_error err;

	/* A column named twice is returned once. */
	cr_assert_eq(parse("select=title,id,title", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 2);
	item_is(&q, 0, "title", "title");
	item_is(&q, 1, "id", "id");
	query_free(&q);
	fx_free();

	/* "*" alone, and an empty select (PostgREST's), are all columns. */
	cr_assert_eq(parse("select=*", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 0);
	query_free(&q);
	fx_free();
	cr_assert_eq(parse("select=", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 0);
	query_free(&q);
	fx_free();

	/* A name outside the grammar's characters is double-quoted. */
	cr_assert_eq(parse("select=%22we%5C%22ird;%20--%22", &q, &err), 0, "%s",
	    err.qe_message);
	cr_assert_eq(q.q_nitems, 1);
	item_is(&q, 0, "we\"ird; --", "we\"ird; --");
	query_free(&q);
	fx_free();

	/* Blanks around items are PostgREST's lexemes. */
	cr_assert_eq(parse("select=id,%20title%20", &q, &err), 0);
	item_is(&q, 1, "title", "title");
	query_free(&q);
	fx_free();

	fails("select=id,", "PGRST100", "expected a name");
	fails("select=,id", "PGRST100", "expected a name");
	fails("select=id,,title", "PGRST100", "expected a name");
	fails("select=nope", "PN107", "column \"nope\" does not exist");
	fails("select=we%22ird;%20--", "PGRST100", NULL);
	fails("select=id,users(email)", "PN105", "embedding");
	fails("select=id,users!inner(email)", "PN105", "embedding");
	fails("select=id&select=title", "PN105", "more than once");
	fails("select=...users(email)", "PN105", "spread");
	fails("select=count()", "PN105", "aggregate");
	fails("select=priority.sum()", "PN105", "aggregate");
}

Test(query, select_alias_cast_path)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("select=pid:id,title,id::text,n:priority::int4,"
	                   "budget:meta->>budget,meta->lead->>name,"
	                   "meta->arr->0,doc->1",
	                 &q, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(q.q_nitems, 8);
	item_is(&q, 0, "pid", "id");
	item_is(&q, 1, "title", "title");
	item_is(&q, 2, "id", "id");
	cr_assert_str_eq(q.q_items[2].qi_cast, "text");
	item_is(&q, 3, "n", "priority");
	cr_assert_str_eq(q.q_items[3].qi_cast, "integer");
	item_is(&q, 4, "budget", "meta");
	cr_assert_eq(q.q_items[4].qi_npath, 1);
	cr_assert_str_eq(q.q_items[4].qi_path[0].ss_key, "budget");
	cr_assert_eq(q.q_items[4].qi_path[0].ss_text, 1);
	item_is(&q, 5, "name", "meta");
	cr_assert_eq(q.q_items[5].qi_npath, 2);
	cr_assert_eq(q.q_items[5].qi_path[0].ss_text, 0);
	/* The last key names an item that ends in an index; none: the
	 * column. */
	item_is(&q, 6, "arr", "meta");
	item_is(&q, 7, "doc", "doc");
	/* Bound path keys count as values: budget, lead, name, arr. */
	cr_assert_eq(q.q_nvalues, 4);
	query_free(&q);
	fx_free();

	/* "double precision" and other spellings; case does not matter. */
	ok("select=score::double%20precision,day::TEXT,x:amount::float8");
	/* An item keyed like an earlier one replaces it, in its place. */
	cr_assert_eq(parse("select=*,id::text,title,t:id", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 4);
	cr_assert_eq(q.q_items[0].qi_kind, SEL_STAR);
	item_is(&q, 1, "id", "id");
	cr_assert_str_eq(q.q_items[1].qi_cast, "text");
	query_free(&q);
	fx_free();
	cr_assert_eq(parse("select=a:id,a:title,*,*", &q, &err), 0);
	cr_assert_eq(q.q_nitems, 2);
	item_is(&q, 0, "a", "title");
	query_free(&q);
	fx_free();

	fails("select=id::regclass", "PN105", "cannot cast");
	fails("select=id::text;drop", "PGRST100", NULL);
	fails("select=id::", "PGRST100", "expected a type");
	fails("select=title->a", "PN105", "not json or jsonb");
	fails("select=tags->0", "PN105", "not json or jsonb");
	fails("select=meta->", "PGRST100", "expected a JSON key");
	fails("select=meta->>-7x", "PGRST100", NULL);
	fails("select=meta->1234567890", "PGRST100", "out of range");
	fails("select=x:", "PGRST100", NULL);
	/* The key becomes an identifier: at most 63 bytes. */
	fails(
	    "select=meta->aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaa",
	    "PN105", "alias");
	ok("select=k:meta->aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	   "aaaaaaaaaaaaaaaaaaaaaaa");
}

Test(query, filter_and_order_paths)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("meta->>budget=eq.100&meta->tags=cs.%5B%22a%22%5D&"
	                   "order=meta->>budget.desc,doc->>x,meta->a->0.asc."
	                   "nullslast",
	                 &q, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(q.q_nfilters, 2);
	cr_assert_str_eq(q.q_filters[0].qf_col->co_name, "meta");
	cr_assert_eq(q.q_filters[0].qf_npath, 1);
	cr_assert_str_eq(q.q_filters[0].qf_path[0].ss_key, "budget");
	cr_assert_str_eq(q.q_filters[0].qf_value, "100");
	cr_assert_eq(q.q_filters[1].qf_op, QO_CS);
	cr_assert_eq(q.q_norder, 3);
	cr_assert_eq(q.q_order[0].qo_desc, 1);
	cr_assert_eq(q.q_order[0].qo_npath, 1);
	cr_assert_str_eq(q.q_order[1].qo_col->co_name, "doc");
	cr_assert_eq(q.q_order[2].qo_npath, 2);
	cr_assert_eq(q.q_order[2].qo_nulls, 2);
	query_free(&q);
	fx_free();

	/* ->> is text: a text value, like, fts; -> on jsonb keeps @>. */
	ok("meta->>n=gt.abc");
	ok("meta->>n=like.a*");
	ok("meta->>n=fts.cat");
	ok("meta->a->>b=in.(1,2)");
	ok("meta->>n=is.null");
	fails("meta->>n=cs.{a}", "PN108", NULL);
	fails("doc->a=cs.{}", "PN108", NULL);
	fails("title->>a=eq.1", "PN105", "not json or jsonb");
	fails("priority->a.desc", "PN107", NULL);
	fails("order=title->>a", "PN105", "not json or jsonb");
	/* json has no order, but its ->> text does. */
	fails("order=doc", "PN105", "json");
	fails("order=doc->a", "PN105", "json");
	ok("order=doc->>a");
	fails("order=meta->>a.up", "PN105", "unexpected");
	fails("nope->>a=eq.1", "PN107", NULL);
	/* In logic trees too. */
	cr_assert_eq(parse("or=(meta->>budget.eq.250,meta->lead->>n.like.a*,"
	                   "title.eq.x)",
	                 &q, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(q.q_filters[0].qf_kids[0].qf_npath, 1);
	cr_assert_str_eq(q.q_filters[0].qf_kids[0].qf_col->co_name, "meta");
	cr_assert_eq(q.q_filters[0].qf_kids[1].qf_npath, 2);
	cr_assert_eq(q.q_filters[0].qf_kids[2].qf_npath, 0);
	query_free(&q);
	fx_free();
	fails("or=(title->>a.eq.1)", "PN105", "not json");
	fails("or=(meta->.eq.1)", "PN107", NULL);
	fails("or=(%22meta->>a%22.eq.1)", "PN107", NULL);
	/* An embedded resource's parameters: without an embed of that
	 * name in select=, a 400. */
	fails("tasks.done=is.false", "PGRST100", "embedded");
	fails("tasks.order=id", "PGRST100", "embedded");
	fails("tasks.limit=1", "PGRST100", "embedded");
}

Test(query, order_forms)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("order=priority.desc.nullslast,id,title.asc,"
	                   "done.nullsfirst",
	                 &q, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(q.q_norder, 4);
	cr_assert_str_eq(q.q_order[0].qo_col->co_name, "priority");
	cr_assert_eq(q.q_order[0].qo_desc, 1);
	cr_assert_eq(q.q_order[0].qo_nulls, 2);
	cr_assert_eq(q.q_order[1].qo_desc, 0);
	cr_assert_eq(q.q_order[1].qo_nulls, 0);
	cr_assert_eq(q.q_order[2].qo_desc, 0);
	cr_assert_eq(q.q_order[3].qo_nulls, 1);
	query_free(&q);
	fx_free();

	ok("order=meta.desc"); /* jsonb orders */
	fails("order=doc", "PN105", "json");
	fails("order=", "PN105", "empty");
	fails("order=id,", "PN105", "empty");
	fails("order=.asc", "PN105", "empty");
	fails("order=nope.asc", "PN107", "\"nope\"");
	fails("order=id.up", "PN105", "\"up\"");
	fails("order=id.nullslast.desc", "PN105", "\"desc\"");
	fails("order=id.asc.desc", "PN105", NULL);
	fails("order=id.nullsfirst.nullslast", "PN105", NULL);
	fails("order=id.asc.", "PN105", NULL);
	fails("order=id.DESC", "PN105", NULL);
	fails("order=id&order=title", "PN105", "more than once");
}

Test(query, limit_offset)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("limit=20&offset=40", &q, &err), 0);
	cr_assert_eq(q.q_limit, 20);
	cr_assert_eq(q.q_offset, 40);
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("limit=0", &q, &err), 0);
	cr_assert_eq(q.q_limit, 0);
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("limit=1001", &q, &err), 0);
	cr_assert_eq(q.q_limit, 1000);
	query_free(&q);
	fx_free();

	cr_assert_eq(
	    parse("limit=999999999999&offset=999999999999", &q, &err), 0);
	cr_assert_eq(q.q_limit, 1000);
	cr_assert_eq(q.q_offset, 999999999999L);
	query_free(&q);
	fx_free();

	fails("limit=-1", "PN105", "limit must be a non-negative integer");
	fails("limit=", "PN105", NULL);
	fails("limit=1.5", "PN105", NULL);
	fails("limit=+1", "PN105", NULL);
	fails("limit=1000000000000", "PN105", NULL);
	fails("limit=%201", "PN105", NULL);
	fails("offset=x", "PN105", "offset must be");
	fails("limit=1&limit=2", "PN105", "more than once");
}

Test(query, write_mode)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(
	    parse_mode("id=eq.5&select=id,title", QM_WRITE, &q, &err), 0);
	cr_assert_eq(q.q_has_limit, 0);
	cr_assert_eq(q.q_nitems, 2);
	cr_assert_eq(q.q_nfilters, 1);
	query_free(&q);
	fx_free();

	cr_assert_eq(parse_mode("order=id", QM_WRITE, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN105");
	cr_assert_not_null(strstr(err.qe_message, "not supported on writes"));
	fx_free();
	cr_assert_eq(parse_mode("id=eq.1&limit=1", QM_WRITE, &q, &err), -1);
	fx_free();
	cr_assert_eq(parse_mode("offset=1", QM_WRITE, &q, &err), -1);
	fx_free();
}

Test(query, add_eq_and_value_ok)
{
	struct query q;
	struct q_error err;
	const struct table *t;

	cr_assert_eq(parse("priority=gt.1", &q, &err), 0);
	t = fx_table();
	cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "42"), 0);
	cr_assert_eq(query_add_eq(&q, table_column(t, "title"), "x"), 0);
	/* A value the column cannot hold is refused: no row has it. */
	cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "abc"), -1);
	cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "1.5"), -1);
	cr_assert_eq(
	    query_add_eq(&q, table_column(t, "uid"), "not-a-uuid"), -1);
	cr_assert_eq(q.q_nfilters, 3);
	cr_assert_eq(q.q_filters[1].qf_op, QO_EQ);
	cr_assert_str_eq(q.q_filters[1].qf_value, "42");
	query_free(&q);

	/* query_add_eq on a zeroed query, beyond the parser's cap. */
	memset(&q, 0, sizeof(q));
	for (int i = 0; i < QUERY_MAX_FILTERS + 5; i++)
		cr_assert_eq(query_add_eq(&q, table_column(t, "id"), "1"), 0);
	query_free(&q);

	cr_assert_eq(query_value_ok(table_column(t, "id"), "12", &err), 0);
	cr_assert_eq(query_value_ok(table_column(t, "id"), "1x", &err), -1);
	cr_assert_eq(err.qe_status, 400);
	cr_assert_str_eq(err.qe_code, "PN105");
	cr_assert_str_eq(
	    err.qe_message, "invalid value for column \"id\" (bigint): \"1x\"");
	fx_free();
}

/* ---- hostile input ---- */

Test(query, hostile_values_are_plain_values)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(
	    parse("title=eq.%27%3B%20DROP%20TABLE%20x%3B%20--%20/*", &q, &err),
	    0);
	cr_assert_str_eq(q.q_filters[0].qf_value, "'; DROP TABLE x; -- /*");
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("title=like.%5C%27%22*", &q, &err), 0);
	cr_assert_str_eq(q.q_filters[0].qf_value, "\\'\"%");
	query_free(&q);
	fx_free();

	ok("title=eq.%E2%82%AC%F0%9F%98%80");
	fails("priority=eq.1;DROP", "PN105", NULL);
	fails("priority=eq.1--", "PN105", NULL);
	fails("priority=eq.1/*", "PN105", NULL);
	fails("title=eq.%FF", "PN105", "UTF-8");
	fails("title=eq.%C0%80", "PN105", "UTF-8");
	fails("title=in.(a,%ED%A0%80)", "PN105", "UTF-8");
	fails("title%22;--=eq.1", "PN107", NULL);
	fails("we%22ird=eq.1", "PN107", NULL);
	/* The hostile catalog name is just a column. */
	ok("we%22ird;%20--=eq.1&order=we%22ird;%20--.desc");
}

Test(query, error_messages_stay_clean)
{
	struct query q;
	struct q_error err;
	struct http_param p;
	char name[300];

	/* Invalid UTF-8 and control bytes in a name are not echoed. */
	p.hp_name = s_badname;
	p.hp_value = s_eq1;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN107");
	cr_assert_str_eq(err.qe_message, "column \"a??z\" does not exist");
	fx_free();

	/* A long name is cut, on a character boundary. */
	memset(name, 'a', 63);
	strcpy(name + 63, "\xc3\xa9tail-that-goes-on-and-on");
	p.hp_name = name;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_eq(strlen(err.qe_message), strlen("column \"\" does not "
	                                            "exist") +
	                                         63 + 3);
	cr_assert_not_null(strstr(err.qe_message, "a...\""));
	fx_free();
}

Test(query, nul_in_value)
{
	struct query q;
	struct q_error err;
	struct http_param p;
	char v[] = "eq.ab\0cd";

	/* A C string ends at the NUL: what follows is never seen, and the
	 * HTTP layer refuses %00 before we get here. */
	p.hp_name = s_title;
	p.hp_value = v;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), 0);
	cr_assert_str_eq(q.q_filters[0].qf_value, "ab");
	query_free(&q);
	fx_free();

	{
		struct http_param *pp = NULL;
		size_t n = 0;
		const char *why;

		cr_assert_eq(
		    http_query_parse("title=eq.a%00b", 10, &pp, &n, &why), -1);
	}
}

Test(query, overlong_values)
{
	struct query q;
	struct q_error err;
	struct http_param p;
	char *v;
	size_t big = 100 * 1024;

	v = malloc(big + 1);
	memcpy(v, "eq.", 3);
	memset(v + 3, 'x', big - 3);
	v[big] = '\0';
	p.hp_name = s_title;
	p.hp_value = v;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN105");
	cr_assert_not_null(strstr(err.qe_message, "longer than"));
	fx_free();

	/* Exactly QUERY_VALUE_MAX is fine, one more is not. */
	v[3 + QUERY_VALUE_MAX] = '\0';
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), 0);
	query_free(&q);
	fx_free();
	v[3 + QUERY_VALUE_MAX] = 'x';
	v[4 + QUERY_VALUE_MAX] = '\0';
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	fx_free();

	/* A long in list item, and a long select. */
	memcpy(v, "in.(", 4);
	memset(v + 4, 'y', big - 5);
	v[big - 1] = ')';
	v[big] = '\0';
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN105");
	fx_free();
	p.hp_name = s_select;
	memset(v, 'z', big);
	v[big] = '\0';
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN105");
	cr_assert(strlen(err.qe_message) < 120);
	fx_free();
	free(v);
}

Test(query, many_repeated_params)
{
	struct http_param *p;
	struct query q;
	struct q_error err;
	size_t n = 10000, i;

	p = calloc(n, sizeof(*p));
	for (i = 0; i < n; i++) {
		p[i].hp_name = s_id;
		p[i].hp_value = s_eq1;
	}
	cr_assert_eq(query_parse(fx_table(), p, QUERY_MAX_FILTERS, 100, 1000,
	                 QM_READ, &q, &err),
	    0);
	cr_assert_eq(q.q_nfilters, QUERY_MAX_FILTERS);
	query_free(&q);
	cr_assert_eq(
	    query_parse(fx_table(), p, n, 100, 1000, QM_READ, &q, &err), -1);
	cr_assert_eq(err.qe_status, 400);
	cr_assert_str_eq(err.qe_code, "PN105");
	cr_assert_not_null(strstr(err.qe_message, "more than 64 filters"));

	for (i = 0; i < n; i++)
		p[i].hp_name = s_select;
	p[0].hp_value = p[1].hp_value = s_id;
	cr_assert_eq(
	    query_parse(fx_table(), p, n, 100, 1000, QM_READ, &q, &err), -1);

	/* order with thousands of items */
	{
		struct buf b;

		buf_init(&b);
		for (i = 0; i < n; i++)
			cr_assert_eq(buf_addstr(&b, i ? ",id" : "id"), 0);
		p[0].hp_name = s_order;
		p[0].hp_value = b.b_data;
		cr_assert_eq(
		    query_parse(fx_table(), p, 1, 100, 1000, QM_READ, &q, &err),
		    -1);
		cr_assert_not_null(strstr(err.qe_message, "more than"));
		buf_free(&b);
	}
	free(p);
	fx_free();
}

Test(query, columns_for_bulk_insert)
{
	static char n_columns[] = "columns", v_ok[] = "\"title\",priority",
	            v_bad[] = "title,nope", v_quote[] = "\"title";
	struct http_param p = {n_columns, v_ok};
	struct query q;
	struct q_error err;

	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_WRITE, &q, &err), 0,
	    "%s", err.qe_message);
	cr_assert(q.q_has_columns);
	cr_assert_eq(q.q_ncolumns, 2);
	cr_assert_str_eq(q.q_columns[0]->co_name, "title");
	cr_assert_str_eq(q.q_columns[1]->co_name, "priority");
	query_free(&q);
	/* Reads do not take it; unknown names and bad quoting are 400. */
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_READ, &q, &err), -1);
	p.hp_value = v_bad;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_WRITE, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN107");
	p.hp_value = v_quote;
	cr_assert_eq(
	    query_parse(fx_table(), &p, 1, 100, 1000, QM_WRITE, &q, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN105");
	fx_free();
}

/* Parses qs (which must parse) into *q; fx_free() is the caller's. */
static void
must(const char *qs, struct query *q)
{
	struct q_error err;

	cr_assert_eq(parse(qs, q, &err), 0, "%s: %s %s %s", qs, err.qe_code,
	    err.qe_message, err.qe_details);
}

Test(query, new_operators)
{
	static const struct {
		const char *qs;
		enum q_op op;
		const char *value;
	} cases[] = {
	    {"title=match.^a.*b$", QO_MATCH, "^a.*b$"},
	    {"title=imatch.X", QO_IMATCH, "X"},
	    {"priority=isdistinct.3", QO_ISDISTINCT, "3"},
	    {"title=fts.cat%20%26%20dog", QO_FTS, "cat & dog"},
	    {"body=plfts.fat%20cats", QO_PLFTS, "fat cats"},
	    {"body=phfts.fat%20cats", QO_PHFTS, "fat cats"},
	    {"body=wfts.%22fat%20cats%22%20-dog", QO_WFTS, "\"fat cats\" -dog"},
	    {"tags=cs.{a,b}", QO_CS, "{a,b}"},
	    {"meta=cs.{%22a%22:1}", QO_CS, "{\"a\":1}"},
	    {"span=cs.3", QO_CS, "3"},
	    {"nums=cd.{1,2,3}", QO_CD, "{1,2,3}"},
	    {"tags=ov.{a,z}", QO_OV, "{a,z}"},
	    {"span=ov.[1,5)", QO_OV, "[1,5)"},
	    {"span=sl.(10,20)", QO_SL, "(10,20)"},
	    {"span=sr.[0,1]", QO_SR, "[0,1]"},
	    {"span=nxr.[0,1]", QO_NXR, "[0,1]"},
	    {"span=nxl.[0,1]", QO_NXL, "[0,1]"},
	    {"span=adj.[5,6)", QO_ADJ, "[5,6)"},
	};
	struct query q;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		must(cases[i].qs, &q);
		cr_assert_eq(q.q_nfilters, 1);
		cr_assert_eq(
		    q.q_filters[0].qf_op, cases[i].op, "%s", cases[i].qs);
		cr_assert_str_eq(q.q_filters[0].qf_value, cases[i].value);
		cr_assert_eq(q.q_filters[0].qf_quant, QQ_NONE);
		cr_assert_str_eq(q.q_filters[0].qf_lang, "");
		query_free(&q);
		fx_free();
	}
	/* not. on every one of them. */
	must("span=not.adj.[5,6)&title=not.match.x&priority=not.isdistinct.1",
	    &q);
	cr_assert_eq(q.q_filters[0].qf_not, 1);
	cr_assert_eq(q.q_filters[1].qf_not, 1);
	cr_assert_eq(q.q_filters[2].qf_not, 1);
	query_free(&q);
	fx_free();
}

Test(query, operators_need_their_types)
{
	fails("title=cs.{a}", "PN108", "arrays, ranges and jsonb");
	fails("doc=cs.{}", "PN108", "\"cs\"");
	fails("priority=cd.{1}", "PN108", "\"cd\"");
	fails("meta=ov.{}", "PN108", "arrays and ranges");
	fails("tags=sl.{a}", "PN108", "ranges");
	fails("nums=adj.{1}", "PN108", "ranges");
	fails("day=nxr.2020-01-01", "PN108", "\"nxr\"");
	fails("priority=fts.x", "PN108", "text and tsvector");
	fails("tags=wfts.x", "PN108", NULL);
	fails("meta=plfts.x", "PN108", NULL);
	/* Values of typed columns are still checked. */
	fails("priority=isdistinct.x", "PN105", "invalid value");
}

Test(query, any_all)
{
	struct query q;

	must("title=like(any).{a*,*b}&priority=eq(all).{1,2}&"
	     "title=not.ilike(all).{%22x,y%22}&title=imatch(any).{^a}",
	    &q);
	cr_assert_eq(q.q_nfilters, 4);
	cr_assert_eq(q.q_filters[0].qf_op, QO_LIKE);
	cr_assert_eq(q.q_filters[0].qf_quant, QQ_ANY);
	cr_assert_str_eq(q.q_filters[0].qf_value, "{a%,%b}");
	cr_assert_eq(q.q_filters[1].qf_quant, QQ_ALL);
	cr_assert_str_eq(q.q_filters[1].qf_value, "{1,2}");
	cr_assert_eq(q.q_filters[2].qf_not, 1);
	cr_assert_eq(q.q_filters[2].qf_quant, QQ_ALL);
	cr_assert_str_eq(q.q_filters[2].qf_value, "{\"x,y\"}");
	cr_assert_eq(q.q_filters[3].qf_op, QO_IMATCH);
	query_free(&q);
	fx_free();

	fails("priority=neq(any).{1}", "PN108", "no modifier");
	fails("tags=cs(any).{1}", "PN108", "no modifier");
	fails("priority=eq(some).{1}", "PN108", "(any) or (all)");
	fails("priority=eq(any.{1}", "PN108", "not closed");
	fails("priority=eq(any).1", "PN105", "array literal");
	fails("priority=eq(any).", "PN105", "array literal");
	fails("tags=eq(any).{a}", "PN108", "array column");
}

Test(query, fts_language)
{
	struct query q;

	must("title=fts(english).cats&body=wfts(simple).a%20b&"
	     "body=not.phfts(french).chat",
	    &q);
	cr_assert_str_eq(q.q_filters[0].qf_lang, "english");
	cr_assert_str_eq(q.q_filters[0].qf_value, "cats");
	cr_assert_str_eq(q.q_filters[1].qf_lang, "simple");
	cr_assert_eq(q.q_filters[2].qf_not, 1);
	query_free(&q);
	fx_free();

	fails("title=fts(klingon).x", "PN105", "text search configuration");
	fails("title=fts(english;drop).x", "PN105", NULL);
	fails("title=fts().x", "PN105", NULL);
	fails("title=fts(english.x", "PN108", NULL);
	fails("title=like(english).x", "PN108", "(any) or (all)");
}

Test(query, logic_trees)
{
	struct query q;
	const struct q_filter *f, *g;

	must("or=(priority.eq.1,title.like.a*)", &q);
	cr_assert_eq(q.q_nfilters, 1);
	f = &q.q_filters[0];
	cr_assert_eq(f->qf_op, QO_OR);
	cr_assert_null(f->qf_col);
	cr_assert_eq(f->qf_not, 0);
	cr_assert_eq(f->qf_nkids, 2);
	cr_assert_str_eq(f->qf_kids[0].qf_col->co_name, "priority");
	cr_assert_str_eq(f->qf_kids[0].qf_value, "1");
	cr_assert_eq(f->qf_kids[1].qf_op, QO_LIKE);
	cr_assert_str_eq(f->qf_kids[1].qf_value, "a%");
	cr_assert_eq(q.q_nterms, 2);
	query_free(&q);
	fx_free();

	/* Nesting, not. on groups and leaves, blanks after ( and ,. */
	must("not.and=( priority.gt.1, or(done.is.true,not.and(title.not.eq.x,"
	     "priority.lt.9)),priority.in.(1,2,\"3\"))&priority=gt.0",
	    &q);
	cr_assert_eq(q.q_nfilters, 2);
	f = &q.q_filters[0];
	cr_assert_eq(f->qf_op, QO_AND);
	cr_assert_eq(f->qf_not, 1);
	cr_assert_eq(f->qf_nkids, 3);
	cr_assert_eq(f->qf_kids[0].qf_op, QO_GT);
	g = &f->qf_kids[1];
	cr_assert_eq(g->qf_op, QO_OR);
	cr_assert_eq(g->qf_nkids, 2);
	cr_assert_eq(g->qf_kids[0].qf_is, QI_TRUE);
	cr_assert_eq(g->qf_kids[1].qf_op, QO_AND);
	cr_assert_eq(g->qf_kids[1].qf_not, 1);
	cr_assert_eq(g->qf_kids[1].qf_kids[0].qf_not, 1);
	cr_assert_str_eq(g->qf_kids[1].qf_kids[0].qf_value, "x");
	cr_assert_eq(f->qf_kids[2].qf_op, QO_IN);
	cr_assert_eq(f->qf_kids[2].qf_nlist, 3);
	cr_assert_str_eq(f->qf_kids[2].qf_list[2], "3");
	cr_assert_eq(q.q_filters[1].qf_op, QO_GT);
	query_free(&q);
	fx_free();
}

Test(query, logic_tree_values)
{
	struct query q;
	const struct q_filter *f;

	/* Quoted values hold , ) ( and escaped " and \; {..} holds ,. */
	must("or=(title.eq.\"a,b)c(\",title.eq.\"q\\\"\\\\\",tags.cs.{x,y},"
	     "title.like(any).{a*,b*},title.fts(english).cat,"
	     "title.eq.\"x\"y,title.eq.,title.eq.\"x)",
	    &q);
	f = &q.q_filters[0];
	cr_assert_eq(f->qf_nkids, 8);
	cr_assert_str_eq(f->qf_kids[7].qf_value, "\"x");
	cr_assert_str_eq(f->qf_kids[0].qf_value, "a,b)c(");
	cr_assert_str_eq(f->qf_kids[1].qf_value, "q\"\\");
	cr_assert_str_eq(f->qf_kids[2].qf_value, "{x,y}");
	cr_assert_str_eq(f->qf_kids[3].qf_value, "{a%,b%}");
	cr_assert_eq(f->qf_kids[3].qf_quant, QQ_ANY);
	cr_assert_str_eq(f->qf_kids[4].qf_lang, "english");
	/* A quote not closing the value is part of it (PostgREST). */
	cr_assert_str_eq(f->qf_kids[5].qf_value, "\"x\"y");
	cr_assert_str_eq(f->qf_kids[6].qf_value, "");
	query_free(&q);
	fx_free();
	/* A range's own comma and parenthesis end an unquoted value. */
	fails("or=(span.adj.[1,2))", "PGRST100", NULL);
	must("or=(span.adj.\"[1,2)\",\"title\".eq.x)", &q);
	cr_assert_str_eq(q.q_filters[0].qf_kids[0].qf_value, "[1,2)");
	cr_assert_str_eq(q.q_filters[0].qf_kids[1].qf_col->co_name, "title");
	query_free(&q);
	fx_free();
}

Test(query, logic_tree_errors)
{
	fails("or=", "PGRST100", "failed to parse logic tree");
	fails("or=()", "PGRST100", NULL);
	fails("or=(priority.eq.1", "PGRST100", NULL);
	fails("or=priority.eq.1", "PGRST100", NULL);
	fails("or=(priority.eq.1)x", "PGRST100", NULL);
	fails("or=(priority.eq.1,)", "PGRST100", NULL);
	fails("and=(priority.eq.1;title.eq.2)", "PN105", NULL);
	fails("or=(xor(priority.eq.1))", "PGRST100", NULL);
	fails("or=(priority)", "PGRST100", NULL);
	fails("or=(priority.in.(1,2)", "PGRST100", NULL);
	fails("or=(priority.in.1)", "PGRST100", "in takes a list");
	fails("or=(\"title.eq.1)", "PGRST100", NULL);
	fails("or=(nope.eq.1)", "PN107", "\"nope\"");
	fails("or=(priority.foo.1)", "PN108", "unknown operator");
	fails("or=(priority.eq.x)", "PN105", "invalid value");
	fails("or=(priority.cs.{1})", "PN108", NULL);
	fails("or=(priority.eq)", "PN105", "operator.value");
	/* Trees of an embed that select= does not have: refused. */
	fails("tasks.or=(done.is.true)", "PGRST100", "embedded");
	fails("tasks.not.and=(done.is.true)", "PGRST100", "embedded");
	fails("or=(priority.eq.1%ff)", "PN105", "UTF-8");
}

/* A string of n copies of unit. */
static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t u = strlen(unit), i;
	char *s = malloc(strlen(head) + u * n + strlen(tail) + 1), *p = s;

	cr_assert_not_null(s);
	p = stpcpy(p, head);
	for (i = 0; i < n; i++)
		p = stpcpy(p, unit);
	strcpy(p, tail);
	return s;
}

Test(query, logic_tree_bounds)
{
	struct query q;
	struct q_error err;
	char *s, *a, *b;
	size_t i;

	/* Depth: the top group is 1; QUERY_TREE_DEPTH_MAX groups parse. */
	a = repeat("or=(", "or(", QUERY_TREE_DEPTH_MAX - 1, "priority.eq.1");
	b = repeat(a, ")", QUERY_TREE_DEPTH_MAX, "");
	must(b, &q);
	query_free(&q);
	fx_free();
	free(a);
	free(b);
	a = repeat("or=(", "or(", QUERY_TREE_DEPTH_MAX, "priority.eq.1");
	b = repeat(a, ")", QUERY_TREE_DEPTH_MAX + 1, "");
	fails(b, "PN105", "deeper");
	free(a);
	free(b);
	/* Hostile nesting far past the limit stops at the limit. */
	a = repeat("and=(", "not.and(", 5000, "");
	fails(a, "PN105", "deeper");
	free(a);

	/* Terms: QUERY_MAX_TERMS leaves in all, trees and filters. */
	a = repeat("or=(priority.eq.0", ",priority.eq.1", QUERY_MAX_TERMS - 2,
	    ")&priority=eq.2");
	must(a, &q);
	cr_assert_eq(q.q_nterms, QUERY_MAX_TERMS);
	query_free(&q);
	fx_free();
	free(a);
	a = repeat("or=(priority.eq.0", ",priority.eq.1", QUERY_MAX_TERMS - 1,
	    ")&priority=eq.2");
	fails(a, "PN105", "filter terms");
	free(a);
	a = repeat("or=(priority.eq.0", ",and(priority.eq.1)", 3000, ")");
	fails(a, "PN105", "filter terms");
	free(a);

	/* A value past QUERY_VALUE_MAX, inside a tree. */
	a = repeat("or=(title.eq.", "x", QUERY_VALUE_MAX + 1, ")");
	fails(a, "PN105", "longer than");
	free(a);

	/* Values: in lists in a tree, as no HTTP query could carry. */
	{
		struct http_param p;
		char name[] = "or";

		a = repeat("", ",1", QUERY_MAX_IN - 1, ")");
		b = repeat("(priority.eq.1", "", 0, "");
		s = b;
		for (i = 0; i < QUERY_MAX_VALUES / QUERY_MAX_IN + 1; i++) {
			char *n = malloc(strlen(s) + strlen(a) + 20);

			cr_assert_not_null(n);
			sprintf(n, "%s,priority.in.(1%s", s, a);
			free(s);
			s = n;
		}
		b = malloc(strlen(s) + 2);
		sprintf(b, "%s)", s);
		free(s);
		memset(&p, 0, sizeof(p));
		p.hp_name = name;
		p.hp_value = b;
		cr_assert_eq(query_parse(fx_table_x(), &p, 1, 100, 1000,
		                 QM_READ, &q, &err),
		    -1);
		cr_assert_str_eq(err.qe_code, "PN105");
		cr_assert_not_null(strstr(err.qe_message, "filter values"),
		    "%s", err.qe_message);
		cr_assert_eq(q.q_nfilters, 0);
		fx_free();
		free(a);
		free(b);
	}
}
