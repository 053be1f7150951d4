#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "common/json.h"
#include "gateway/catalog.h"
#include "gateway/rows.h"

#include "tests/catalog_fixture.h"

/* Checks text as a body; returns rows_check's result. */
static int
check(const char *text, int allow_array, const struct column ***cols, size_t *n,
    struct q_error *err)
{
	struct json_object *o;
	const char *why = NULL;
	int rv;

	o = json_parse_strict(text, strlen(text), &why);
	cr_assert_not_null(o, "%s: %s", text, why);
	rv = rows_check(fx_table(), o, allow_array, cols, n, err);
	json_object_put(o);
	return rv;
}

static void
accepts(const char *text, int allow_array)
{
	const struct column **cols = NULL;
	struct q_error err;
	size_t n;

	cr_assert_eq(check(text, allow_array, &cols, &n, &err), 0, "%s: %s",
	    text, err.qe_message);
	free(cols);
	fx_free();
}

static void
refuses(
    const char *text, int allow_array, const char *code, const char *msg_part)
{
	const struct column **cols = NULL;
	struct q_error err;
	size_t n = 99;

	cr_assert_eq(check(text, allow_array, &cols, &n, &err), -1,
	    "accepted: %s", text);
	cr_assert_null(cols);
	cr_assert_eq(n, 0);
	cr_assert_eq(err.qe_status, 400);
	cr_assert_str_eq(err.qe_code, code, "%s: %s", text, err.qe_message);
	if (msg_part != NULL)
		cr_assert_not_null(strstr(err.qe_message, msg_part),
		    "%s: \"%s\" lacks \"%s\"", text, err.qe_message, msg_part);
	fx_free();
}

Test(rows, object_and_union_of_keys)
{
	const struct column **cols = NULL;
	struct q_error err;
	size_t n;

	cr_assert_eq(
	    check("{\"title\":\"a\",\"priority\":2}", 1, &cols, &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(cols[0]->co_name, "title");
	cr_assert_str_eq(cols[1]->co_name, "priority");
	free(cols);
	fx_free();

	cr_assert_eq(check("[{\"title\":\"a\"},{\"done\":true,\"title\":\"b\"},"
	                   "{\"priority\":null}]",
	                 1, &cols, &n, &err),
	    0, "%s", err.qe_message);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(cols[0]->co_name, "title");
	cr_assert_str_eq(cols[1]->co_name, "done");
	cr_assert_str_eq(cols[2]->co_name, "priority");
	free(cols);
	fx_free();
}

Test(rows, shapes)
{
	const struct column **cols = NULL;
	struct q_error err;
	size_t n = 5;

	/* {} creates one row of defaults. */
	cr_assert_eq(check("{}", 1, &cols, &n, &err), 0);
	cr_assert_eq(n, 0);
	cr_assert_null(cols);
	fx_free();
	accepts("[{}]", 1);
	refuses("[{},{}]", 1, "PN101", "no column");
	refuses("{}", 0, "PN101", "nothing to update");
	refuses("[]", 1, "PN100", "empty array");
	refuses("[{\"title\":\"a\"}]", 0, "PN100", "object");
	refuses("[1]", 1, "PN100", "object");
	refuses("[{\"title\":\"a\"},[]]", 1, "PN100", NULL);
}

Test(rows, scalars)
{
	struct json_object *o[3];
	const struct column **cols = NULL;
	struct q_error err;
	size_t n, i;

	/* The strict parser wants a body to be an object or an array, so
	 * build the scalars directly. */
	o[0] = json_object_new_int(5);
	o[1] = json_object_new_string("x");
	o[2] = json_object_new_boolean(1);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(
		    rows_check(fx_table(), o[i], 1, &cols, &n, &err), -1);
		cr_assert_str_eq(err.qe_code, "PN100");
		cr_assert_eq(
		    rows_check(fx_table(), o[i], 0, &cols, &n, &err), -1);
		cr_assert_str_eq(err.qe_code, "PN100");
		json_object_put(o[i]);
	}
	/* JSON null is a NULL json_object. */
	cr_assert_eq(rows_check(fx_table(), NULL, 1, &cols, &n, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN100");
	cr_assert_null(cols);
	fx_free();
}

Test(rows, row_cap)
{
	struct buf b;
	const struct column **cols = NULL;
	struct q_error err;
	size_t n, i;

	buf_init(&b);
	cr_assert_eq(buf_addc(&b, '['), 0);
	for (i = 0; i < ROWS_MAX; i++)
		cr_assert_eq(
		    buf_printf(&b, "%s{\"title\":\"t%zu\"}", i ? "," : "", i),
		    0);
	cr_assert_eq(buf_addc(&b, ']'), 0);
	cr_assert_eq(check(b.b_data, 1, &cols, &n, &err), 0);
	cr_assert_eq(n, 1);
	free(cols);
	fx_free();
	b.b_len--;
	cr_assert_eq(buf_addstr(&b, ",{}]"), 0);
	cr_assert_eq(check(b.b_data, 1, &cols, &n, &err), -1);
	cr_assert_str_eq(err.qe_code, "PN101");
	cr_assert_not_null(strstr(err.qe_message, "too many rows"));
	fx_free();
	buf_free(&b);
}

Test(rows, unknown_keys)
{
	refuses("{\"nope\":1}", 1, "PGRST204",
	    "Could not find the 'nope' column of 'table_1' in the schema "
	    "cache");
	refuses("{\"Title\":\"a\"}", 0, "PGRST204", NULL);
	refuses("[{\"title\":\"a\"},{\"x\\\"; DROP TABLE y; --\":1}]", 1,
	    "PGRST204", "x\"; DROP TABLE y; --");
	refuses("{\"a\\u0001b\":1}", 1, "PGRST204", "a?b");
	/* The hostile catalog name is a column like any other. */
	accepts("{\"we\\\"ird; --\":\"x\"}", 0);
}

Test(rows, kinds)
{
	/* integers */
	accepts("{\"priority\":1}", 0);
	accepts("{\"priority\":-2147483648}", 0);
	accepts("{\"small\":32767}", 0);
	accepts("{\"id\":9223372036854775807}", 0);
	accepts("{\"id\":-9223372036854775807}", 0);
	/* json-c clamps beyond 64 bits to these; they are refused. */
	refuses("{\"id\":-9223372036854775808}", 0, "PN101", "out of range");
	refuses("{\"id\":-99999999999999999999}", 0, "PN101", "out of range");
	refuses(
	    "{\"amount\":99999999999999999999999}", 0, "PN101", "out of range");
	refuses("{\"meta\":{\"a\":[1,{\"b\":-99999999999999999999}]}}", 0,
	    "PN101", "out of range");
	accepts("{\"amount\":18446744073709551614}", 0);
	accepts("{\"meta\":{\"a\":[1,{\"b\":9223372036854775807}]}}", 0);
	refuses("{\"priority\":1.5}", 0, "PN101",
	    "invalid value for column \"priority\": expected integer");
	refuses("{\"priority\":1.0}", 0, "PN101", NULL);
	refuses("{\"priority\":1e2}", 0, "PN101", NULL);
	refuses("{\"priority\":\"1\"}", 0, "PN101", NULL);
	refuses("{\"priority\":true}", 0, "PN101", NULL);
	refuses("{\"priority\":[1]}", 0, "PN101", NULL);
	refuses("{\"priority\":{}}", 0, "PN101", NULL);
	refuses("{\"priority\":2147483648}", 0, "PN101", NULL);
	refuses("{\"small\":32768}", 0, "PN101", "expected smallint");
	refuses("{\"small\":-32769}", 0, "PN101", NULL);
	refuses("{\"id\":9223372036854775808}", 0, "PN101", "bigint");
	refuses("{\"id\":18446744073709551616}", 0, "PN101", NULL);
	/* numbers */
	accepts("{\"amount\":1}", 0);
	accepts("{\"amount\":1.25}", 0);
	accepts("{\"score\":-1e300}", 0);
	refuses("{\"amount\":\"1.5\"}", 0, "PN101", "numeric(10,2)");
	refuses("{\"score\":false}", 0, "PN101", NULL);
	/* bool */
	accepts("{\"done\":true}", 0);
	accepts("{\"done\":false}", 0);
	refuses("{\"done\":1}", 0, "PN101", "expected boolean");
	refuses("{\"done\":\"true\"}", 0, "PN101", NULL);
	/* text */
	accepts("{\"title\":\"\"}", 0);
	accepts("{\"title\":\"'; DROP TABLE x; --\"}", 0);
	refuses("{\"title\":5}", 0, "PN101", "expected text");
	refuses("{\"title\":{\"a\":1}}", 0, "PN101", NULL);
	refuses("{\"title\":\"a\\u0000b\"}", 0, "PN101", NULL);
	/* uuid */
	accepts("{\"uid\":\"123e4567-e89b-12d3-a456-426614174000\"}", 0);
	refuses("{\"uid\":\"123e4567e89b12d3a456426614174000\"}", 0, "PN101",
	    "expected uuid");
	refuses("{\"uid\":\"not-a-uuid\"}", 0, "PN101", NULL);
	refuses("{\"uid\":1}", 0, "PN101", NULL);
	/* dates and times: strings, PostgreSQL checks the format */
	accepts("{\"created_at\":\"2024-01-01T00:00:00Z\"}", 0);
	accepts("{\"day\":\"garbage\"}", 0);
	refuses("{\"day\":20240101}", 0, "PN101", "expected date");
	/* json: anything */
	accepts("{\"meta\":{\"a\":[1,2,{\"b\":null}]}}", 0);
	accepts("{\"meta\":5}", 0);
	accepts("{\"doc\":\"s\"}", 0);
	/* arrays */
	accepts("{\"tags\":[\"a\",\"b\"]}", 0);
	accepts("{\"tags\":[]}", 0);
	accepts("{\"tags\":null}", 0);
	refuses("{\"tags\":\"{a,b}\"}", 0, "PN101", "expected text[]");
	/* other */
	accepts("{\"spot\":\"(1,2)\"}", 0);
	accepts("{\"spot\":1}", 0);
	refuses("{\"spot\":[1,2]}", 0, "PN101", "expected point");
	refuses("{\"spot\":{}}", 0, "PN101", NULL);
}

Test(rows, nulls)
{
	accepts("{\"priority\":null}", 0);
	accepts("{\"meta\":null}", 0);
	refuses(
	    "{\"title\":null}", 0, "PN101", "column \"title\" cannot be null");
	refuses("[{\"title\":\"a\"},{\"title\":null}]", 1, "PN101",
	    "cannot be null");
	/* NOT NULL with a default: null is still a violation. */
	refuses("{\"done\":null}", 1, "PN101", NULL);
	/* A missing NOT NULL column is PostgreSQL's to report. */
	accepts("{\"priority\":3}", 1);
}

/* A composite column takes an object naming only its attributes, or its
 * record text; an enum takes a string (PostgreSQL checks the label). */
Test(rows, composite_and_enum)
{
	struct catalog ca;
	struct column c;
	const struct column **cols = NULL;
	struct q_error err;
	struct json_object *o;
	const char *why,
	    *ok[] = {"{\"a\":{\"street\":\"s\",\"zip\":1}}", "{\"a\":{}}",
	        "{\"a\":\"(s,1)\"}", "{\"a\":null}", "{\"m\":\"happy\"}"},
	    *bad[] = {"{\"a\":{\"street\":\"s\",\"town\":\"x\"}}",
	        "{\"a\":[1]}", "{\"m\":{\"x\":1}}"};
	size_t i, n;

	memset(&ca, 0, sizeof(ca));
	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, "a");
	strcpy(c.co_typname, "address");
	c.co_kind = CK_OTHER;
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	strcpy(c.co_name, "m");
	strcpy(c.co_typname, "mood");
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	cr_assert_eq(catalog_set_extra(&ca, "t", "a", 0, 'c', "address",
	                 "[[\"street\",\"text\",\"text\",false,\"b\"],"
	                 "[\"zip\",\"integer\",\"int4\",false,\"b\"]]"),
	    0);
	cr_assert_eq(catalog_set_extra(
	                 &ca, "t", "m", 0, 'e', "mood", "[\"happy\",\"sad\"]"),
	    0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_not_null(
		    o = json_parse_strict(ok[i], strlen(ok[i]), &why));
		cr_assert_eq(
		    rows_check(catalog_table(&ca, "t"), o, 0, &cols, &n, &err),
		    0, "%s: %s", ok[i], err.qe_message);
		free(cols);
		json_object_put(o);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_not_null(
		    o = json_parse_strict(bad[i], strlen(bad[i]), &why));
		cr_assert_eq(
		    rows_check(catalog_table(&ca, "t"), o, 0, &cols, &n, &err),
		    -1, "accepted %s", bad[i]);
		cr_assert_str_eq(err.qe_code, "PN101");
		json_object_put(o);
	}
	catalog_free(&ca);
}
