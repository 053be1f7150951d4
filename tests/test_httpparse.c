#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/buf.h"
#include "gateway/httpparse.h"

#define MAXHEAD 8192

/* Parses a whole request given as a C string; frees nothing. */
static int
parse_n(
    const char *req, size_t len, size_t max, struct http_head *h, int *status)
{
	const char *why;
	int r;

	r = http_head_parse(req, len, max, h, status, &why);
	if (r == -1)
		cr_assert_not_null(why, "error without a message");
	return r;
}

static int
parse(const char *req, struct http_head *h, int *status)
{
	return parse_n(req, strlen(req), MAXHEAD, h, status);
}

/* The request must be refused with this status and leave *h zeroed. */
static void
expect_refused_n(const char *req, size_t len, int want)
{
	struct http_head h;
	int status = 0, r;

	r = parse_n(req, len, MAXHEAD, &h, &status);
	cr_assert_eq(r, -1, "accepted (r=%d): %.*s", r, (int)len, req);
	cr_assert_eq(status, want, "status %d, want %d: %.*s", status, want,
	    (int)len, req);
	cr_assert_null(h.hh_target);
	cr_assert_null(h.hh_hdrs);
	cr_assert_eq(h.hh_nhdrs, 0);
	http_head_free(&h);
}

static void
expect_refused(const char *req, int want)
{
	expect_refused_n(req, strlen(req), want);
}

/* ---- request head: success paths ---- */

Test(head, simple_get)
{
	const char *req = "GET /users/7?select=id&x=%20 HTTP/1.1\r\n"
	                  "Host: example.com\r\n"
	                  "Accept:  \t*/* \t\r\n"
	                  "X-Empty:\r\n"
	                  "\r\n";
	struct http_head h;
	int status;

	cr_assert_eq(parse(req, &h, &status), (int)strlen(req));
	cr_assert_eq(h.hh_method, HM_GET);
	cr_assert_str_eq(h.hh_method_str, "GET");
	cr_assert_str_eq(h.hh_target, "/users/7?select=id&x=%20");
	cr_assert_str_eq(h.hh_path, "/users/7");
	cr_assert_str_eq(h.hh_query, "select=id&x=%20");
	cr_assert_eq(h.hh_minor, 1);
	cr_assert_eq(h.hh_nhdrs, 3);
	cr_assert_str_eq(h.hh_hdrs[0].hd_name, "Host");
	cr_assert_str_eq(h.hh_hdrs[1].hd_value, "*/*");
	cr_assert_str_eq(h.hh_hdrs[2].hd_value, "");
	cr_assert_str_eq(http_head_get(&h, "HOST"), "example.com");
	cr_assert_str_eq(http_head_get(&h, "accept"), "*/*");
	cr_assert_null(http_head_get(&h, "Content-Length"));
	cr_assert_eq(h.hh_content_length, -1);
	cr_assert_eq(h.hh_chunked, 0);
	cr_assert_eq(h.hh_keepalive, 1);
	http_head_free(&h);
	cr_assert_null(h.hh_target);
	http_head_free(&h);
}

Test(head, no_query_and_empty_query)
{
	struct http_head h;
	int status;

	cr_assert_gt(
	    parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status), 0);
	cr_assert_str_eq(h.hh_path, "/");
	cr_assert_null(h.hh_query);
	http_head_free(&h);

	cr_assert_gt(
	    parse("GET /a? HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status), 0);
	cr_assert_str_eq(h.hh_path, "/a");
	cr_assert_str_eq(h.hh_query, "");
	http_head_free(&h);
}

Test(head, percent_decoded_path)
{
	struct http_head h;
	int status;

	cr_assert_gt(parse("GET /a%20b/%2fc/%C3%A9?q=%41 HTTP/1.1\r\n"
	                   "Host: x\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_str_eq(h.hh_path, "/a b//c/\xc3\xa9");
	cr_assert_str_eq(h.hh_query, "q=%41");
	http_head_free(&h);
}

Test(head, free_zeroed_and_twice)
{
	struct http_head h;

	memset(&h, 0, sizeof(h));
	http_head_free(&h);
	http_head_free(&h);
	cr_assert_null(http_head_get(&h, "Host"));
}

Test(head, incremental_every_prefix)
{
	const char *req = "\r\nPOST /t HTTP/1.1\r\n"
	                  "Host: x\r\n"
	                  "Content-Length: 3\r\n"
	                  "\r\n";
	struct http_head h;
	size_t len = strlen(req), i;
	int status;

	for (i = 0; i < len; i++) {
		status = 0;
		cr_assert_eq(
		    parse_n(req, i, MAXHEAD, &h, &status), 0, "prefix %zu", i);
		cr_assert_eq(status, 0);
		cr_assert_null(h.hh_target);
	}
	cr_assert_eq(parse_n(req, len, MAXHEAD, &h, &status), (int)len);
	cr_assert_eq(h.hh_method, HM_POST);
	cr_assert_eq(h.hh_content_length, 3);
	http_head_free(&h);
}

Test(head, empty_input_needs_more)
{
	struct http_head h;
	int status;

	cr_assert_eq(parse_n("", 0, MAXHEAD, &h, &status), 0);
}

Test(head, pipelined_consumed_exact)
{
	const char *one = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *two = "DELETE /two/3 HTTP/1.1\r\nHost: x\r\n"
	                  "Connection: close\r\n\r\n";
	char both[256];
	struct http_head h;
	int status, r;

	snprintf(both, sizeof(both), "%s%s", one, two);
	r = parse(both, &h, &status);
	cr_assert_eq(r, (int)strlen(one));
	cr_assert_str_eq(h.hh_path, "/one");
	http_head_free(&h);

	cr_assert_eq(parse(both + r, &h, &status), (int)strlen(two));
	cr_assert_eq(h.hh_method, HM_DELETE);
	cr_assert_str_eq(h.hh_path, "/two/3");
	cr_assert_eq(h.hh_keepalive, 0);
	http_head_free(&h);
}

Test(head, post_with_content_length_body_not_consumed)
{
	const char *head = "POST /t HTTP/1.1\r\nHost: x\r\n"
	                   "Content-Type: application/json\r\n"
	                   "Content-Length: 7\r\n\r\n";
	char req[256];
	struct http_head h;
	int status;

	/* The body holds a bare LF: it is not part of the head. */
	snprintf(req, sizeof(req), "%s{\"a\":\n}", head);
	cr_assert_eq(parse(req, &h, &status), (int)strlen(head));
	cr_assert_eq(h.hh_method, HM_POST);
	cr_assert_eq(h.hh_content_length, 7);
	cr_assert_eq(h.hh_chunked, 0);
	http_head_free(&h);
}

Test(head, content_length_edges)
{
	struct http_head h;
	int status;

	cr_assert_gt(parse("PUT /t HTTP/1.1\r\nHost: x\r\n"
	                   "Content-Length: 0\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_eq(h.hh_method, HM_PUT);
	cr_assert_eq(h.hh_content_length, 0);
	http_head_free(&h);

	cr_assert_gt(parse("PUT /t HTTP/1.1\r\nHost: x\r\n"
	                   "content-length:999999999999999999\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_eq(h.hh_content_length, INT64_C(999999999999999999));
	http_head_free(&h);

	cr_assert_gt(parse("PUT /t HTTP/1.1\r\nHost: x\r\n"
	                   "Content-Length: 007\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_eq(h.hh_content_length, 7);
	http_head_free(&h);
}

Test(head, chunked)
{
	struct http_head h;
	int status;

	cr_assert_gt(parse("PATCH /t/1 HTTP/1.1\r\nHost: x\r\n"
	                   "Transfer-Encoding: Chunked\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_eq(h.hh_method, HM_PATCH);
	cr_assert_eq(h.hh_chunked, 1);
	cr_assert_eq(h.hh_content_length, -1);
	http_head_free(&h);
}

Test(head, keepalive_rules)
{
	static const struct {
		const char *req;
		int keep;
	} cases[] = {
	    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1},
	    {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0},
	    {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n",
	        0},
	    {"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", 1},
	    {"GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", 1},
	    {"GET / HTTP/1.0\r\n\r\n", 0},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
	    {"GET / HTTP/1.0\r\nConnection: ,, Keep-Alive ,\r\n\r\n", 1},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
	     "Connection: close\r\n\r\n",
	        0},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0},
	    {"GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", 0},
	};
	struct http_head h;
	size_t i;
	int status;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_gt(
		    parse(cases[i].req, &h, &status), 0, "case %zu", i);
		cr_assert_eq(h.hh_keepalive, cases[i].keep, "case %zu", i);
		http_head_free(&h);
	}
}

Test(head, http10_without_host)
{
	struct http_head h;
	int status;

	cr_assert_gt(parse("HEAD /x HTTP/1.0\r\n\r\n", &h, &status), 0);
	cr_assert_eq(h.hh_method, HM_HEAD);
	cr_assert_eq(h.hh_minor, 0);
	cr_assert_eq(h.hh_nhdrs, 0);
	cr_assert_null(h.hh_hdrs);
	http_head_free(&h);
}

Test(head, leading_empty_lines)
{
	const char *req =
	    "\r\n\r\n\r\n\r\nOPTIONS /x HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_head h;
	int status;

	cr_assert_eq(parse(req, &h, &status), (int)strlen(req));
	cr_assert_eq(h.hh_method, HM_OPTIONS);
	http_head_free(&h);
	expect_refused(
	    "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("\r\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
}

Test(head, methods)
{
	struct http_head h;
	int status;

	cr_assert_gt(
	    parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status), 0);
	cr_assert_eq(h.hh_method, HM_OTHER);
	cr_assert_str_eq(h.hh_method_str, "get");
	http_head_free(&h);

	cr_assert_gt(
	    parse("PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status), 0);
	cr_assert_eq(h.hh_method, HM_OTHER);
	cr_assert_str_eq(h.hh_method_str, "PROPFIND");
	http_head_free(&h);

	/* 23 characters fit hh_method_str; 24 do not. */
	cr_assert_gt(parse("ABCDEFGHIJKLMNOPQRSTUVW / HTTP/1.1\r\n"
	                   "Host: x\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_str_eq(h.hh_method_str, "ABCDEFGHIJKLMNOPQRSTUVW");
	http_head_free(&h);
	expect_refused(
	    "ABCDEFGHIJKLMNOPQRSTUVWX / HTTP/1.1\r\nHost: x\r\n\r\n", 501);
	expect_refused("GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused(" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
}

Test(head, method_names)
{
	cr_assert_str_eq(http_method_name(HM_GET), "GET");
	cr_assert_str_eq(http_method_name(HM_HEAD), "HEAD");
	cr_assert_str_eq(http_method_name(HM_POST), "POST");
	cr_assert_str_eq(http_method_name(HM_PUT), "PUT");
	cr_assert_str_eq(http_method_name(HM_PATCH), "PATCH");
	cr_assert_str_eq(http_method_name(HM_DELETE), "DELETE");
	cr_assert_str_eq(http_method_name(HM_OPTIONS), "OPTIONS");
	cr_assert_str_eq(http_method_name(HM_OTHER), "OTHER");
}

Test(head, value_bytes)
{
	struct http_head h;
	int status;

	/* HTAB inside a value and obs-text are allowed. */
	cr_assert_gt(parse("GET / HTTP/1.1\r\nHost: x\r\n"
	                   "X-A: a\tb\r\nX-B: caf\xc3\xa9\r\n\r\n",
	                 &h, &status),
	    0);
	cr_assert_str_eq(http_head_get(&h, "x-a"), "a\tb");
	cr_assert_str_eq(http_head_get(&h, "x-b"), "caf\xc3\xa9");
	http_head_free(&h);
}

Test(head, repeated_header_first_match)
{
	struct http_head h;
	int status;

	cr_assert_gt(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n"
	                   "\r\n",
	                 &h, &status),
	    0);
	cr_assert_str_eq(http_head_get(&h, "X-A"), "1");
	cr_assert_eq(h.hh_nhdrs, 3);
	http_head_free(&h);
}

/* ---- request head: framing rejections ---- */

Test(head_reject, content_length)
{
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	               "Content-Length: 5\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	               "content-length: 6\r\n\r\n",
	    400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 \r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 5\r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n", 400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Content-Length: 1000000000000000000\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Content-Length: 99999999999999999999999\r\n\r\n",
	    400);
}

Test(head_reject, transfer_encoding)
{
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	               "Transfer-Encoding: chunked\r\n\r\n",
	    400);
	expect_refused(
	    "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: chunked\r\n"
	               "Transfer-Encoding: chunked\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: gzip\r\n\r\n",
	    501);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: gzip, chunked\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: chunked, chunked\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: chunked \r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding: \"chunked\"\r\n\r\n",
	    400);
	expect_refused("POST / HTTP/1.1\r\nHost: x\r\n"
	               "Transfer-Encoding:\r\n\r\n",
	    400);
	expect_refused(
	    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

Test(head_reject, host)
{
	expect_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\n\r\n", 400);
}

/* ---- request head: line syntax rejections ---- */

Test(head_reject, header_syntax)
{
	expect_refused(
	    "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400);
	expect_refused(
	    "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A\t: a\r\n\r\n", 400);
	expect_refused(
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A a\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX(A): a\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01z\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fz\r\n\r\n", 400);
	expect_refused_n("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0z\r\n\r\n",
	    sizeof("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0z\r\n\r\n") - 1, 400);
}

Test(head_reject, bare_lf_and_cr)
{
	expect_refused("GET / HTTP/1.1\nHost: x\n\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\n\n", 400);
	expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1\rHost: x\r\n\r\n", 400);
	/* Refused as soon as seen, without waiting for the head to end. */
	expect_refused("GET / HTTP/1.1\nHo", 400);
}

Test(head_reject, request_target)
{
	static const char nul_target[] =
	    "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n";

	expect_refused_n(nul_target, sizeof(nul_target) - 1, 400);
	expect_refused("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a?b=%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a?b=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a% HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a?b#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET\r\nHost: x\r\n\r\n", 400);
}

Test(head_reject, dot_segments)
{
	struct http_head h;
	int status;

	expect_refused("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a/.. HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a/%2e%2E/b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET /a%2f..%2fb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	cr_assert_gt(
	    parse("GET /a/..b/c.. HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status),
	    0);
	http_head_free(&h);
	/* The query is not a path. */
	cr_assert_gt(
	    parse("GET /a?p=/../ HTTP/1.1\r\nHost: x\r\n\r\n", &h, &status), 0);
	http_head_free(&h);
}

Test(head_reject, version)
{
	expect_refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
	expect_refused("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505);
	expect_refused("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505);
	expect_refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
	expect_refused("GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET / http/1.1\r\nHost: x\r\n\r\n", 400);
	expect_refused("GET / HTTP/1.1.1\r\nHost: x\r\n\r\n", 400);
}

/* ---- request head: size limits ---- */

Test(head_limits, size_boundary)
{
	const char *req = "GET /abc HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t len = strlen(req);
	struct http_head h;
	int status;

	cr_assert_eq(parse_n(req, len, len, &h, &status), (int)len);
	http_head_free(&h);
	cr_assert_eq(parse_n(req, len, len - 1, &h, &status), -1);
	cr_assert_eq(status, 431);
	cr_assert_null(h.hh_target);
	/* Incomplete, but already as long as allowed: cannot succeed. */
	cr_assert_eq(parse_n(req, len - 1, len - 1, &h, &status), -1);
	cr_assert_eq(status, 431);
	cr_assert_eq(parse_n(req, len - 1, len, &h, &status), 0);
	/* A head ending in the byte after the limit. */
	cr_assert_eq(parse_n(req, len, len - 2, &h, &status), -1);
	cr_assert_eq(status, 431);
}

Test(head_limits, size_big_header)
{
	struct buf b;
	struct http_head h;
	size_t i;
	int status;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "), 0);
	for (i = 0; i < MAXHEAD; i++)
		cr_assert_eq(buf_addc(&b, 'a'), 0);
	/* Still no end of head: 431 without waiting for it. */
	cr_assert_eq(parse_n(b.b_data, b.b_len, MAXHEAD, &h, &status), -1);
	cr_assert_eq(status, 431);
	cr_assert_eq(buf_addstr(&b, "\r\n\r\n"), 0);
	cr_assert_eq(parse_n(b.b_data, b.b_len, MAXHEAD, &h, &status), -1);
	cr_assert_eq(status, 431);
	buf_free(&b);
}

static void
build_headers(struct buf *b, size_t n)
{
	size_t i;

	buf_init(b);
	cr_assert_eq(buf_addstr(b, "GET / HTTP/1.1\r\nHost: x\r\n"), 0);
	for (i = 1; i < n; i++)
		cr_assert_eq(buf_printf(b, "X-H%zu: %zu\r\n", i, i), 0);
	cr_assert_eq(buf_addstr(b, "\r\n"), 0);
}

Test(head_limits, header_count)
{
	struct buf b;
	struct http_head h;
	int status;

	build_headers(&b, HTTP_MAX_HEADERS);
	cr_assert_eq(
	    parse_n(b.b_data, b.b_len, 1 << 16, &h, &status), (int)b.b_len);
	cr_assert_eq(h.hh_nhdrs, HTTP_MAX_HEADERS);
	cr_assert_str_eq(h.hh_hdrs[HTTP_MAX_HEADERS - 1].hd_value, "99");
	http_head_free(&h);
	buf_free(&b);

	build_headers(&b, HTTP_MAX_HEADERS + 1);
	cr_assert_eq(parse_n(b.b_data, b.b_len, 1 << 16, &h, &status), -1);
	cr_assert_eq(status, 431);
	buf_free(&b);
}

/* ---- chunked body ---- */

static int
feed_all(
    const char *in, size_t len, size_t limit, struct buf *out, size_t *consumed)
{
	struct http_chunked c;

	http_chunked_init(&c);
	return http_chunked_feed(&c, in, len, consumed, out, limit);
}

static int
feed_str(const char *in, size_t limit)
{
	struct buf out;
	size_t consumed;
	int r;

	buf_init(&out);
	r = feed_all(in, strlen(in), limit, &out, &consumed);
	buf_free(&out);
	return r;
}

Test(chunked, simple_and_trailing_bytes)
{
	const char *body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
	char in[128];
	struct buf out;
	size_t consumed;

	snprintf(in, sizeof(in), "%sGET / HTTP/1.1\r\n", body);
	buf_init(&out);
	cr_assert_eq(feed_all(in, strlen(in), 1024, &out, &consumed), 1);
	cr_assert_eq(consumed, strlen(body));
	cr_assert_eq(out.b_len, 11);
	cr_assert_str_eq(out.b_data, "hello world");
	buf_free(&out);
}

Test(chunked, empty_body)
{
	struct buf out;
	size_t consumed;

	buf_init(&out);
	cr_assert_eq(feed_all("0\r\n\r\n", 5, 0, &out, &consumed), 1);
	cr_assert_eq(consumed, 5);
	cr_assert_eq(out.b_len, 0);
	cr_assert_eq(feed_all("", 0, 0, &out, &consumed), 0);
	cr_assert_eq(consumed, 0);
	buf_free(&out);
}

Test(chunked, byte_at_a_time)
{
	const char *in = "A;ext=1\r\n0123456789\r\n1 ; e = \"v\\\"\"\r\nx\r\n"
	                 "0\r\nTrailer: t\r\n\r\n";
	struct http_chunked c;
	struct buf out;
	size_t len = strlen(in), i, consumed;
	int r;

	buf_init(&out);
	http_chunked_init(&c);
	for (i = 0; i < len; i++) {
		r = http_chunked_feed(&c, in + i, 1, &consumed, &out, 100);
		cr_assert_eq(consumed, 1, "byte %zu", i);
		cr_assert_eq(r, i == len - 1 ? 1 : 0, "byte %zu: r=%d", i, r);
	}
	cr_assert_str_eq(out.b_data, "0123456789x");
	/* Done stays done and eats nothing more. */
	cr_assert_eq(
	    http_chunked_feed(&c, "5\r\n", 3, &consumed, &out, 100), 1);
	cr_assert_eq(consumed, 0);
	buf_free(&out);
}

Test(chunked, split_feeds)
{
	const char *in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
	struct http_chunked c;
	struct buf out;
	size_t len = strlen(in), cut, consumed, total;
	int r;

	for (cut = 0; cut <= len; cut++) {
		buf_init(&out);
		http_chunked_init(&c);
		r = http_chunked_feed(&c, in, cut, &consumed, &out, 100);
		cr_assert_eq(r, cut == len ? 1 : 0);
		total = consumed;
		if (r == 0) {
			r = http_chunked_feed(
			    &c, in + total, len - total, &consumed, &out, 100);
			total += consumed;
		}
		cr_assert_eq(r, 1);
		cr_assert_eq(total, len);
		cr_assert_str_eq(out.b_data, "abcde");
		buf_free(&out);
	}
}

Test(chunked, extensions)
{
	struct buf out;
	size_t consumed;
	const char *in = "5;name=value;x=\"q s\"\r\nhello\r\n"
	                 "3 ; a\r\nabc\r\n0;last\r\n\r\n";

	buf_init(&out);
	cr_assert_eq(feed_all(in, strlen(in), 100, &out, &consumed), 1);
	cr_assert_str_eq(out.b_data, "helloabc");
	buf_free(&out);
	cr_assert_eq(feed_str("5;a\x01\r\nhello\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5;a\nhello\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5 x\r\nhello\r\n0\r\n\r\n", 100), -1);
}

/*
 * RFC 9112 section 7.1.1, strictly: the three lenient cases first,
 * then every state of the size line with one good and one bad byte.
 */
Test(chunked, size_line_is_strict)
{
	static const char nul_size[] = "5\0\r\nhello\r\n0\r\n\r\n";
	static const char nul_ext[] = "5;a\0\r\nhello\r\n0\r\n\r\n";
	static const char nul_quoted[] = "5;a=\"\0\"\r\nhello\r\n0\r\n\r\n";
	static const char *const bad[] = {
	    /* Whitespace after the size with no extension. */
	    "a \r\n0123456789\r\n0\r\n\r\n",
	    "a\t\r\n0123456789\r\n0\r\n\r\n",
	    "0 \r\n\r\n",
	    /* ";" with no name. */
	    "2;\r\nab\r\n0\r\n\r\n",
	    "2; \r\nab\r\n0\r\n\r\n",
	    "2;;a\r\nab\r\n0\r\n\r\n",
	    "2;a;\r\nab\r\n0\r\n\r\n",
	    /* An unterminated quoted-string. */
	    "5;a=\"b\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\\\"\r\nhello\r\n0\r\n\r\n",
	    /* "=" with no value, or something that is no token. */
	    "5;a=\r\nhello\r\n0\r\n\r\n",
	    "5;a= \r\nhello\r\n0\r\n\r\n",
	    "5;a==b\r\nhello\r\n0\r\n\r\n",
	    "5;a=b=c\r\nhello\r\n0\r\n\r\n",
	    "5;a=b c\r\nhello\r\n0\r\n\r\n",
	    "5;a=(b)\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\"\"c\"\r\nhello\r\n0\r\n\r\n",
	    /* A name that is no token. */
	    "5;a b\r\nhello\r\n0\r\n\r\n",
	    "5;\"a\"\r\nhello\r\n0\r\n\r\n",
	    "5;a/b\r\nhello\r\n0\r\n\r\n",
	    "5;a@\r\nhello\r\n0\r\n\r\n",
	    /* BWS where the grammar has none: before CRLF, inside the size. */
	    "5;a \r\nhello\r\n0\r\n\r\n",
	    "5;a=b \r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\" \r\nhello\r\n0\r\n\r\n",
	    "1 0\r\n",
	    /* Controls inside a quoted-string, or quoted by a backslash. */
	    "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\r\"\r\nhello\r\n0\r\n\r\n",
	    /* Only CRLF ends the line, wherever it comes. */
	    "5;a=b\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\"\nhello\r\n0\r\n\r\n",
	    "5;a\rhello\r\n0\r\n\r\n",
	};
	static const char *const good[] = {
	    "5;a\r\nhello\r\n0\r\n\r\n",
	    "5;a=b\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b c;d=e\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\\\"\\\\\"\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"\t\x80\xff\"\r\nhello\r\n0\r\n\r\n",
	    "5;a;b=c;d=\"e\"\r\nhello\r\n0\r\n\r\n",
	    /* BWS around ";" and "=" (RFC 9112 allows it there). */
	    "5 ;a\r\nhello\r\n0\r\n\r\n",
	    "5\t; \ta \t= \tb ;c\r\nhello\r\n0\r\n\r\n",
	    "5;a=\"b\" ;c\r\nhello\r\n0\r\n\r\n",
	    "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n",
	    "0;last=1\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(feed_str(bad[i], 100), -1, "accepted: %s", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(feed_str(good[i], 100), 1, "refused: %s", good[i]);

	/* NUL anywhere on the size line. */
	{
		struct buf out;
		size_t consumed;

		buf_init(&out);
		cr_assert_eq(feed_all(nul_size, sizeof(nul_size) - 1, 100, &out,
		                 &consumed),
		    -1);
		cr_assert_eq(feed_all(nul_ext, sizeof(nul_ext) - 1, 100, &out,
		                 &consumed),
		    -1);
		cr_assert_eq(feed_all(nul_quoted, sizeof(nul_quoted) - 1, 100,
		                 &out, &consumed),
		    -1);
		buf_free(&out);
	}
}

/* A strict line still parses the same whatever the split. */
Test(chunked, extensions_split_anywhere)
{
	const char *in = "5 ; a = \"x\\\"y\" ;b=c\r\nhello\r\n0\r\n\r\n";
	struct http_chunked c;
	struct buf out;
	size_t len = strlen(in), cut, consumed, total;
	int r;

	for (cut = 0; cut <= len; cut++) {
		buf_init(&out);
		http_chunked_init(&c);
		r = http_chunked_feed(&c, in, cut, &consumed, &out, 100);
		total = consumed;
		if (r == 0) {
			r = http_chunked_feed(
			    &c, in + total, len - total, &consumed, &out, 100);
			total += consumed;
		}
		cr_assert_eq(r, 1, "cut at %zu", cut);
		cr_assert_eq(total, len);
		cr_assert_str_eq(out.b_data, "hello");
		buf_free(&out);
	}
}

Test(chunked, extension_line_bound)
{
	struct buf in;
	size_t i;

	buf_init(&in);
	cr_assert_eq(buf_addstr(&in, "1;"), 0);
	for (i = 2; i < HTTP_CHUNK_LINE_MAX - 2; i++)
		cr_assert_eq(buf_addc(&in, 'e'), 0);
	/* Exactly HTTP_CHUNK_LINE_MAX bytes with its CRLF. */
	cr_assert_eq(buf_addstr(&in, "\r\nx\r\n0\r\n\r\n"), 0);
	cr_assert_eq(feed_str(in.b_data, 100), 1);
	buf_reset(&in);
	cr_assert_eq(buf_addstr(&in, "1;"), 0);
	for (i = 2; i < HTTP_CHUNK_LINE_MAX - 1; i++)
		cr_assert_eq(buf_addc(&in, 'e'), 0);
	cr_assert_eq(buf_addstr(&in, "\r\nx\r\n0\r\n\r\n"), 0);
	cr_assert_eq(feed_str(in.b_data, 100), -1);
	buf_free(&in);
}

Test(chunked, trailers)
{
	struct buf in;
	size_t i;

	cr_assert_eq(feed_str("0\r\nX-A: 1\r\nX-B:\r\n\r\n", 100), 1);
	cr_assert_eq(feed_str("0\r\nX-A: 1\r\n folded\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0\r\nno colon\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0\r\n: empty\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0\r\nX-A: \x01\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0\r\nX-A: 1\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0\r\n\n", 100), -1);
	cr_assert_eq(feed_str("0\r\n\rx", 100), -1);

	buf_init(&in);
	cr_assert_eq(buf_addstr(&in, "0\r\n"), 0);
	for (i = 0; i < HTTP_CHUNK_TRAILER_MAX / 10 + 1; i++)
		cr_assert_eq(buf_printf(&in, "X-%05zu: a\r\n", i), 0);
	cr_assert_eq(buf_addstr(&in, "\r\n"), 0);
	cr_assert_eq(feed_str(in.b_data, 100), -1);
	buf_free(&in);
}

Test(chunked, bad_size_lines)
{
	cr_assert_eq(feed_str("g\r\n", 100), -1);
	cr_assert_eq(feed_str("\r\n", 100), -1);
	cr_assert_eq(feed_str(";a\r\n", 100), -1);
	cr_assert_eq(feed_str(" 5\r\n", 100), -1);
	cr_assert_eq(feed_str("+5\r\nhello\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("-5\r\n", 100), -1);
	cr_assert_eq(feed_str("0x5\r\nhello\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("0xFFFFFFFFFFFFFFFF\r\n", 100), -1);
	cr_assert_eq(feed_str("5\nhello\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5\rhello\r\n0\r\n\r\n", 100), -1);
}

Test(chunked, size_overflow)
{
	/* 17 hex digits, even with leading zeros, are refused. */
	cr_assert_eq(feed_str("10000000000000000\r\n", SIZE_MAX), -1);
	cr_assert_eq(
	    feed_str("00000000000000005\r\nhello\r\n0\r\n\r\n", SIZE_MAX), -1);
	/* 16 digits are parsed; the limit then refuses the size. */
	cr_assert_eq(
	    feed_str("0000000000000005\r\nhello\r\n0\r\n\r\n", 100), 1);
	cr_assert_eq(feed_str("FFFFFFFFFFFFFFFF\r\n", 1 << 20), -2);
	/* The largest size fits a SIZE_MAX limit and then waits for data. */
	cr_assert_eq(feed_str("ffffffffffffffff\r\n", SIZE_MAX), 0);
	/* ...but not once a byte has been decoded: the sum would wrap. */
	cr_assert_eq(feed_str("1\r\nx\r\nffffffffffffffff\r\n", SIZE_MAX), -2);
}

Test(chunked, missing_crlf_after_data)
{
	cr_assert_eq(feed_str("5\r\nhelloX\r\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5\r\nhello\n0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5\r\nhello\rX0\r\n\r\n", 100), -1);
	cr_assert_eq(feed_str("5\r\nhello0\r\n\r\n", 100), -1);
}

Test(chunked, limit)
{
	struct http_chunked c;
	struct buf out;
	size_t consumed;

	cr_assert_eq(feed_str("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10), 1);
	cr_assert_eq(
	    feed_str("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10), -2);
	cr_assert_eq(feed_str("b\r\n", 10), -2);

	/* Errors are sticky. */
	buf_init(&out);
	http_chunked_init(&c);
	cr_assert_eq(
	    http_chunked_feed(&c, "b\r\n", 3, &consumed, &out, 10), -2);
	cr_assert_eq(
	    http_chunked_feed(&c, "0\r\n\r\n", 5, &consumed, &out, 10), -2);
	cr_assert_eq(consumed, 0);
	http_chunked_init(&c);
	cr_assert_eq(http_chunked_feed(&c, "z", 1, &consumed, &out, 10), -1);
	cr_assert_eq(
	    http_chunked_feed(&c, "0\r\n\r\n", 5, &consumed, &out, 10), -1);
	cr_assert_eq(out.b_len, 0);
	buf_free(&out);
}

Test(chunked, binary_payload)
{
	static const char in[] = "4\r\n\0\r\n\xff\r\n0\r\n\r\n";
	struct buf out;
	size_t consumed;

	buf_init(&out);
	cr_assert_eq(feed_all(in, sizeof(in) - 1, 100, &out, &consumed), 1);
	cr_assert_eq(out.b_len, 4);
	cr_assert_eq(memcmp(out.b_data, "\0\r\n\xff", 4), 0);
	buf_free(&out);
}

/* ---- query string ---- */

Test(query, empty)
{
	struct http_param *p = (struct http_param *)1;
	const char *why;
	size_t n = 99;

	cr_assert_eq(http_query_parse(NULL, 10, &p, &n, &why), 0);
	cr_assert_null(p);
	cr_assert_eq(n, 0);
	cr_assert_eq(http_query_parse("", 10, &p, &n, &why), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(http_query_parse("&&&", 0, &p, &n, &why), 0);
	cr_assert_eq(n, 0);
	http_params_free(p, n);
	http_params_free(NULL, 0);
}

Test(query, pieces)
{
	struct http_param *p;
	const char *why;
	size_t n;

	cr_assert_eq(http_query_parse("a&b=&c=1&&d=x=y&", 10, &p, &n, &why), 0);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(p[0].hp_name, "a");
	cr_assert_str_eq(p[0].hp_value, "");
	cr_assert_str_eq(p[1].hp_name, "b");
	cr_assert_str_eq(p[1].hp_value, "");
	cr_assert_str_eq(p[2].hp_name, "c");
	cr_assert_str_eq(p[2].hp_value, "1");
	cr_assert_str_eq(p[3].hp_name, "d");
	cr_assert_str_eq(p[3].hp_value, "x=y");
	http_params_free(p, n);

	cr_assert_eq(http_query_parse("=v", 10, &p, &n, &why), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(p[0].hp_name, "");
	cr_assert_str_eq(p[0].hp_value, "v");
	http_params_free(p, n);
}

Test(query, decoding)
{
	struct http_param *p;
	const char *why;
	size_t n;

	cr_assert_eq(http_query_parse("na+me=a+b%20c%2B%26%3d&x%3Dy=%c3%A9", 10,
	                 &p, &n, &why),
	    0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(p[0].hp_name, "na me");
	cr_assert_str_eq(p[0].hp_value, "a b c+&=");
	cr_assert_str_eq(p[1].hp_name, "x=y");
	cr_assert_str_eq(p[1].hp_value, "\xc3\xa9");
	http_params_free(p, n);
}

Test(query, repeated_names_in_order)
{
	struct http_param *p;
	const char *why;
	size_t n;

	cr_assert_eq(http_query_parse("a=1&a=2&b=3&a=4", 4, &p, &n, &why), 0);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(p[0].hp_value, "1");
	cr_assert_str_eq(p[1].hp_value, "2");
	cr_assert_str_eq(p[2].hp_name, "b");
	cr_assert_str_eq(p[3].hp_name, "a");
	cr_assert_str_eq(p[3].hp_value, "4");
	http_params_free(p, n);
}

static void
expect_query_refused(const char *q, size_t max)
{
	struct http_param *p = (struct http_param *)1;
	const char *why = NULL;
	size_t n = 99;

	cr_assert_eq(http_query_parse(q, max, &p, &n, &why), -1, "%s", q);
	cr_assert_not_null(why);
	cr_assert_null(p);
	cr_assert_eq(n, 0);
}

Test(query, malformed)
{
	expect_query_refused("%4", 10);
	expect_query_refused("a=%4", 10);
	expect_query_refused("a=%", 10);
	expect_query_refused("a=1&b=%zz", 10);
	expect_query_refused("a=%g0", 10);
	expect_query_refused("a=%00", 10);
	expect_query_refused("%00=1", 10);
	expect_query_refused("ok=1&b=x%00y&c=2", 10);
}

Test(query, too_many)
{
	struct http_param *p;
	const char *why;
	size_t n;

	cr_assert_eq(http_query_parse("a&b&&", 2, &p, &n, &why), 0);
	cr_assert_eq(n, 2);
	http_params_free(p, n);
	expect_query_refused("a&b&c", 2);
	expect_query_refused("a", 0);
}

Test(query, total_length)
{
	struct http_param *p;
	const char *why;
	size_t n;
	char *q;

	if ((q = malloc(HTTP_QUERY_MAX + 2)) == NULL)
		cr_assert_fail("malloc");
	memset(q, 'a', HTTP_QUERY_MAX);
	q[0] = 'n';
	q[1] = '=';
	q[HTTP_QUERY_MAX] = '\0';
	cr_assert_eq(http_query_parse(q, 1, &p, &n, &why), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(strlen(p[0].hp_value), HTTP_QUERY_MAX - 2);
	http_params_free(p, n);
	q[HTTP_QUERY_MAX] = 'a';
	q[HTTP_QUERY_MAX + 1] = '\0';
	expect_query_refused(q, 1);
	free(q);
}

Test(percent, decode)
{
	char out[8];
	size_t olen;

	cr_assert_eq(
	    http_percent_decode("a+b%2B", 6, out, sizeof(out), &olen, 0), 0);
	cr_assert_str_eq(out, "a+b+");
	cr_assert_eq(olen, 4);
	cr_assert_eq(
	    http_percent_decode("a+b", 3, out, sizeof(out), &olen, 1), 0);
	cr_assert_str_eq(out, "a b");
	/* Only n bytes are read: the escape is cut short. */
	cr_assert_eq(
	    http_percent_decode("%41", 2, out, sizeof(out), &olen, 0), -1);
	cr_assert_eq(http_percent_decode("", 0, out, sizeof(out), &olen, 0), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(olen, 0);
	cr_assert_eq(
	    http_percent_decode("%00", 3, out, sizeof(out), &olen, 0), -1);
	cr_assert_eq(
	    http_percent_decode("a\0b", 3, out, sizeof(out), &olen, 0), -1);
	cr_assert_eq(
	    http_percent_decode("%x1", 3, out, sizeof(out), &olen, 0), -1);
	cr_assert_eq(http_percent_decode("%1x", 3, NULL, 0, NULL, 0), -1);
	cr_assert_eq(http_percent_decode("%1f", 3, NULL, 0, NULL, 0), 0);
}

Test(percent, outcap)
{
	char out[4];
	size_t olen;

	cr_assert_eq(http_percent_decode("abc", 3, out, 4, &olen, 0), 0);
	cr_assert_str_eq(out, "abc");
	cr_assert_eq(http_percent_decode("abcd", 4, out, 4, &olen, 0), -1);
	cr_assert_eq(http_percent_decode("%41%42%43", 9, out, 4, &olen, 0), 0);
	cr_assert_str_eq(out, "ABC");
	cr_assert_eq(http_percent_decode("", 0, out, 0, &olen, 0), -1);
}
