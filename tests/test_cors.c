#include <criterion/criterion.h>

#include "gateway/cors.h"

Test(cors, none_by_default)
{
	const char *why = NULL;
	struct cors *c = cors_parse("", &why);

	cr_assert_not_null(c);
	cr_assert_eq(cors_enabled(c), 0);
	cr_assert_null(cors_allow(c, "https://a.example"));
	cors_free(c);
	cr_assert_null(cors_allow(NULL, "https://a.example"));
}

Test(cors, list)
{
	const char *why = NULL;
	struct cors *c = cors_parse(
	    " https://app.example.com, http://localhost:3000 ", &why);

	cr_assert_not_null(c, "%s", why);
	cr_assert(cors_enabled(c));
	cr_assert_str_eq(cors_allow(c, "https://app.example.com"),
	    "https://app.example.com");
	cr_assert_str_eq(cors_allow(c, "HTTPS://APP.EXAMPLE.COM"),
	    "https://app.example.com");
	cr_assert_str_eq(
	    cors_allow(c, "http://localhost:3000"), "http://localhost:3000");
	cr_assert_null(cors_allow(c, "http://localhost:3001"));
	cr_assert_null(cors_allow(c, "https://app.example.com.evil.example"));
	cr_assert_null(cors_allow(c, "https://evil.example"));
	cr_assert_null(cors_allow(c, "null"));
	cr_assert_null(cors_allow(c, NULL));
	cors_free(c);
}

Test(cors, any)
{
	const char *why = NULL;
	struct cors *c = cors_parse("*", &why);

	cr_assert_not_null(c);
	cr_assert_str_eq(cors_allow(c, "https://whoever.example"), "*");
	/* Not an origin at all: no header. */
	cr_assert_null(cors_allow(c, "javascript:alert(1)"));
	cors_free(c);
}

Test(cors, bad_lists)
{
	const char *why = NULL;
	const char *bad[] = {"https://a.example/path", "ftp://a.example",
	    "https://", "a.example", "https://a.example,", ",",
	    "https://a b.example", "https://a.example\r\nX: y"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_null(cors_parse(bad[i], &why), "%s", bad[i]);
		cr_assert_not_null(why);
	}
}

Test(cors, request_headers)
{
	cr_assert_eq(cors_headers_ok("authorization, content-type, prefer"), 0);
	cr_assert_eq(cors_headers_ok(""), 0);
	cr_assert_eq(cors_headers_ok("x\r\ny"), -1);
	cr_assert_eq(cors_headers_ok("a:b"), -1);
}
