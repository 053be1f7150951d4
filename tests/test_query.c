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
	rv = query_parse(fx_table(), p, n, 100, 1000, mode, q, err);
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
		cr_assert_not_null(strstr(err.qe_message, msg_part),
		    "%s: message \"%s\" lacks \"%s\"", qs, err.qe_message,
		    msg_part);
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
	cr_assert_eq(q.q_nselect, 0);
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
	fails("priority%20=eq.5", "PN107", NULL);
	fails("=eq.5", "PN107", NULL);
	fails("or=(a.eq.1,b.eq.2)", "PN105", "not supported");
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

Test(query, select_forms)
{
	struct query q;
	struct q_error err;

	cr_assert_eq(parse("select=title,id,title", &q, &err), 0);
	cr_assert_eq(q.q_nselect, 2);
	cr_assert_str_eq(q.q_select[0]->co_name, "title");
	cr_assert_str_eq(q.q_select[1]->co_name, "id");
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("select=*", &q, &err), 0);
	cr_assert_eq(q.q_nselect, 0);
	query_free(&q);
	fx_free();

	cr_assert_eq(parse("select=we%22ird;%20--", &q, &err), 0);
	cr_assert_eq(q.q_nselect, 1);
	query_free(&q);
	fx_free();

	fails("select=", "PN105", "empty");
	fails("select=id,", "PN105", "empty");
	fails("select=,id", "PN105", "empty");
	fails("select=id,,title", "PN105", "empty");
	fails("select=nope", "PN107", "column \"nope\" does not exist");
	fails("select=id,title%20", "PN107", NULL);
	fails("select=*,id", "PN105", "*");
	fails("select=id,users(email)", "PN105", "embedding");
	fails("select=id::text", "PN105", "casts");
	fails("select=x:id", "PN105", "aliases");
	fails("select=meta->a", "PN105", "JSON paths");
	fails("select=meta->>a", "PN105", "JSON paths");
	fails("select=id&select=title", "PN105", "more than once");
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
	cr_assert_eq(q.q_nselect, 2);
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
	cr_assert_str_eq(err.qe_code, "PN107");
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
