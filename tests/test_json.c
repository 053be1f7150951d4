/*
 * common/json.c: the error bodies (every one carries code, message,
 * details and hint, null where absent) and the strict parser's edges.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "common/buf.h"
#include "common/json.h"

/* Parses b's text strictly and checks it has exactly the four keys. */
static struct json_object *
parse_body(const struct buf *b)
{
	struct json_object *o;
	const char *why = NULL;

	o = json_parse_strict(b->b_data, b->b_len, &why);
	cr_assert_not_null(o, "%s: %s", b->b_data, why ? why : "");
	cr_assert(json_object_is_type(o, json_type_object));
	cr_assert_eq(json_object_object_length(o), 4, "%s", b->b_data);
	return o;
}

static void
expect_member(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	if (want == NULL)
		cr_assert_null(v, "%s not null", key);
	else {
		cr_assert(json_object_is_type(v, json_type_string), "%s", key);
		cr_assert_str_eq(json_object_get_string(v), want, "%s", key);
	}
}

Test(json, error_body_without_details_or_hint)
{
	struct json_object *o;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(json_error_body(&b, "PN400", "no such row", NULL), 0);
	cr_assert_str_eq(b.b_data, "{\"code\":\"PN400\",\"message\":\"no such "
	                           "row\",\"details\":null,\"hint\":null}");
	o = parse_body(&b);
	expect_member(o, "details", NULL);
	expect_member(o, "hint", NULL);
	json_object_put(o);
	buf_free(&b);
}

Test(json, error_body_with_a_hint)
{
	struct json_object *o;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(json_error_body_hint(&b, "P0001", "the title is taken",
	                 "a guard trigger", "choose \"another\"\n title"),
	    0);
	o = parse_body(&b);
	expect_member(o, "code", "P0001");
	expect_member(o, "message", "the title is taken");
	expect_member(o, "details", "a guard trigger");
	expect_member(o, "hint", "choose \"another\"\n title");
	json_object_put(o);
	buf_free(&b);

	/* A hint without details: details stays null. */
	buf_init(&b);
	cr_assert_eq(
	    json_error_body_hint(&b, "428C9", "cannot insert", NULL, "Use X."),
	    0);
	o = parse_body(&b);
	expect_member(o, "details", NULL);
	expect_member(o, "hint", "Use X.");
	json_object_put(o);
	buf_free(&b);
}

Test(json, error_body_escapes_control_characters)
{
	struct json_object *o;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(json_error_body_hint(&b, "X", "m\x01", "d\t", "h\x1f"), 0);
	cr_assert_null(memchr(b.b_data, '\x01', b.b_len));
	cr_assert_null(memchr(b.b_data, '\x1f', b.b_len));
	o = parse_body(&b);
	expect_member(o, "hint", "h\x1f");
	json_object_put(o);
	buf_free(&b);
}

Test(json, strict_parser_refuses_trailing_bytes_and_depth)
{
	char deep[2 * JSON_MAX_DEPTH + 8];
	const char *why;
	size_t i;

	cr_assert_null(json_parse_strict("{} x", 4, &why));
	cr_assert_null(json_parse_strict("", 0, &why));
	for (i = 0; i < JSON_MAX_DEPTH + 2; i++)
		deep[i] = '[';
	for (; i < 2 * (JSON_MAX_DEPTH + 2); i++)
		deep[i] = ']';
	cr_assert_null(json_parse_strict(deep, i, &why));
}
