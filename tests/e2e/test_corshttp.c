/*
 * CORS against the fixture's gateway, which the e2e environment starts with
 * cors_origins = http://app.example (tests/e2e/CMakeLists.txt).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "e2e.h"

#define ALLOWED "Origin: http://app.example"
#define OTHER "Origin: http://evil.example"
#define PASSWORD "correct horse battery"
#define TOKCAP 4096

TestSuite(cors, .init = e2e_setup, .fini = e2e_teardown);

static int
has_header(const struct e2e_resp *r, const char *name, char *v, size_t n)
{
	return e2e_header(r, name, v, n) == 0;
}

Test(cors, preflight_from_an_allowed_origin)
{
	const char *hdrs[] = {ALLOWED, "Access-Control-Request-Method: GET",
	    "Access-Control-Request-Headers: authorization, prefer", NULL};
	struct e2e_resp r;
	char v[256];

	cr_assert(e2e_call("OPTIONS", "/table_1", NULL, hdrs, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 204);
	cr_assert(has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	cr_assert_str_eq(v, "http://app.example");
	cr_assert(has_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)));
	cr_assert(strstr(v, "GET") != NULL, "%s", v);
	cr_assert(strstr(v, "POST") != NULL, "%s", v);
	cr_assert(has_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
	cr_assert_str_eq(v, "authorization, prefer");
	cr_assert(has_header(&r, "Access-Control-Max-Age", v, sizeof(v)));
	e2e_resp_free(&r);
}

Test(cors, preflight_from_another_origin_is_refused)
{
	const char *hdrs[] = {
	    OTHER, "Access-Control-Request-Method: GET", NULL};
	struct e2e_resp r;
	char v[256];

	cr_assert(e2e_call("OPTIONS", "/table_1", NULL, hdrs, NULL, &r) == 0);
	e2e_assert_error(&r, 403);
	cr_assert(!has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	e2e_resp_free(&r);
}

Test(cors, simple_requests_carry_the_headers)
{
	const char *allowed[] = {ALLOWED, NULL}, *other[] = {OTHER, NULL};
	char email[128], tok[TOKCAP], v[256];
	struct e2e_resp r;

	e2e_email(email, sizeof(email), "cors");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	cr_assert(
	    e2e_call("GET", "/table_1?limit=1", tok, allowed, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 200);
	cr_assert(has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	cr_assert_str_eq(v, "http://app.example");
	cr_assert(
	    has_header(&r, "Access-Control-Expose-Headers", v, sizeof(v)));
	cr_assert(strstr(v, "Content-Range") != NULL, "%s", v);
	/* postgrest-js reads which preferences were applied. */
	cr_assert(strstr(v, "Preference-Applied") != NULL, "%s", v);
	cr_assert(has_header(&r, "Vary", v, sizeof(v)));
	e2e_resp_free(&r);
	/* Errors carry them too, so the page can read the 401. */
	cr_assert(e2e_call("GET", "/table_1", NULL, allowed, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	cr_assert(has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	e2e_resp_free(&r);
	/* Another origin gets its answer without the header: the browser
	 * keeps it from the page. */
	cr_assert(
	    e2e_call("GET", "/table_1?limit=1", tok, other, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 200);
	cr_assert(!has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	e2e_resp_free(&r);
}

Test(cors, the_builder_never_takes_part)
{
	const char *pre[] = {ALLOWED, "Access-Control-Request-Method: GET",
	    NULL},
	           *allowed[] = {ALLOWED, NULL};
	struct e2e_resp r;
	char v[256];

	cr_assert(
	    e2e_call("OPTIONS", "/_admin/tables", NULL, pre, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 404);
	cr_assert(!has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	e2e_resp_free(&r);
	cr_assert(
	    e2e_call("GET", "/_admin/tables", NULL, allowed, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 401);
	cr_assert(!has_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	e2e_resp_free(&r);
}

Test(cors, plain_options)
{
	struct e2e_resp r;
	char v[256];

	cr_assert(e2e_call("OPTIONS", "/table_1", NULL, NULL, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 204);
	cr_assert(has_header(&r, "Allow", v, sizeof(v)));
	cr_assert(strstr(v, "GET") != NULL, "%s", v);
	e2e_resp_free(&r);
	cr_assert(e2e_call("OPTIONS", "/nope", NULL, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 404);
	e2e_resp_free(&r);
}
