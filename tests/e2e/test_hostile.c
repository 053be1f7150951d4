/*
 * Hostile HTTP against the gateway, over raw sockets where curl
 * would fix the request up for us:
 *
 *   - request smuggling patterns (two Content-Length, a signed or non-digit
 *     Content-Length, Content-Length with Transfer-Encoding, a repeated or
 *     foreign Transfer-Encoding, obs-fold, bare LF, space before the
 *     colon): 400, the connection closed, and a request smuggled behind
 *     the first is never answered;
 *   - NUL (raw or %00) in the path or query, CR inside a header value;
 *   - a head over header_limit or with more than 100 fields: 431; a body
 *     over body_limit, by Content-Length or chunked: 413, JSON;
 *   - TRACE and CONNECT: 405 or 501;
 *   - JSON deeper than 32, trailing bytes, a lone surrogate, \u0000, bad
 *     UTF-8: 400 on /auth/signup and POST /table_1;
 *   - a 100 KB bearer token: a quick 401; a token in the query string is
 *     not a token;
 *   - slow clients (a private pair with request_timeout_ms = 2000 and
 *     max_connections = 16): a client trickling a header line a second is
 *     cut off at the deadline while another is served meanwhile; more idle
 *     connections than the cap neither crash the gateway nor keep it from
 *     serving once they close.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "common/buf.h"
#include "e2e.h"
#include "hpair.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif
#ifndef HOSTILE_ASAN
#define HOSTILE_ASAN 0
#endif

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define RAW_CAP (256 * 1024)
#define READ_TIMEOUT_MS 5000

static struct hpair hp;

static void
hostile_fini(void)
{
	hpair_cleanup(&hp);
	e2e_teardown();
}

TestSuite(hostile, .init = e2e_setup, .fini = hostile_fini, .timeout = 60);

/* What came back on a raw connection. */
struct raw {
	char r_buf[RAW_CAP + 1];
	size_t r_len;
	int r_eof;    /* the server closed (or reset) the connection */
	int r_status; /* of the first response, or -1 */
};

static int
base_port(const char *base)
{
	const char *c = strrchr(base, ':');

	cr_assert(c != NULL, "no port in %s", base);
	return atoi(c + 1);
}

static int
raw_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1);
	cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

/* Sends it all; a server that has closed is not an error here. */
static int
raw_send(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until EOF or timeout_ms; fills r. */
static void
raw_read(int fd, struct raw *r, long timeout_ms)
{
	int64_t deadline = e2e_now_ms() + timeout_ms, left;
	struct pollfd pfd;
	ssize_t n;

	r->r_len = 0;
	r->r_eof = 0;
	r->r_status = -1;
	for (;;) {
		left = deadline - e2e_now_ms();
		if (left <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (r->r_len == RAW_CAP) {
			char sink[4096];

			n = read(fd, sink, sizeof(sink));
		} else
			n = read(fd, r->r_buf + r->r_len, RAW_CAP - r->r_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->r_eof = 1;
			break;
		}
		if (r->r_len < RAW_CAP)
			r->r_len += (size_t)n;
	}
	r->r_buf[r->r_len] = '\0';
	if (r->r_len > 12 && strncmp(r->r_buf, "HTTP/1.1 ", 9) == 0)
		r->r_status = atoi(r->r_buf + 9);
}

/* One raw request to the fixture's gateway; the answer in *r. */
static void
raw_exchange(const char *req, size_t len, struct raw *r)
{
	int fd = raw_connect(base_port(e2e_cf.ee_base_url));

	raw_send(fd, req, len);
	raw_read(fd, r, READ_TIMEOUT_MS);
	close(fd);
}

/* How many responses (status lines) r holds. */
static int
raw_responses(const struct raw *r)
{
	const char *p = r->r_buf;
	int n = 0;

	while ((p = strstr(p, "HTTP/1.1 ")) != NULL) {
		if (p == r->r_buf || p[-1] == '\n')
			n++;
		p += 9;
	}
	return n;
}

/* The error code of r's JSON body ("" if none); asserts the shape. */
static void
raw_assert_json_error(const struct raw *r, const char *code)
{
	const char *body = strstr(r->r_buf, "\r\n\r\n");
	struct json_object *j, *c;

	cr_assert(body != NULL, "no end of head in: %s", r->r_buf);
	cr_assert(strstr(r->r_buf, "Content-Type: application/json") != NULL,
	    "error without a JSON Content-Type: %s", r->r_buf);
	cr_assert((j = json_tokener_parse(body + 4)) != NULL,
	    "error body is not JSON: %s", body + 4);
	cr_assert(json_object_object_get_ex(j, "code", &c) &&
	              json_object_is_type(c, json_type_string),
	    "no code in %s", body + 4);
	if (code != NULL)
		cr_assert_str_eq(
		    json_object_get_string(c), code, "code of %s", body + 4);
	json_object_put(j);
}

/*
 * Sends req, expects status with a JSON error, the connection closed, and
 * no second response (the bytes after the first request must never be
 * taken for another one).
 */
static void
expect_refused(const char *what, const char *req, size_t len, int status)
{
	static struct raw r; /* 256 KiB: not on the stack */

	if (len == 0)
		len = strlen(req);
	raw_exchange(req, len, &r);
	cr_log_info("%s: %d", what, r.r_status);
	cr_assert_eq(r.r_status, status, "%s: expected %d, got %d: %.300s",
	    what, status, r.r_status, r.r_buf);
	cr_assert(r.r_eof, "%s: the connection was left open", what);
	cr_assert_eq(raw_responses(&r), 1,
	    "%s: a request smuggled behind it was answered: %.600s", what,
	    r.r_buf);
	raw_assert_json_error(&r, NULL);
}

/* A smuggled follow-up: if it is ever parsed, a second response shows. */
#define SMUGGLED "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

Test(hostile, smuggling_patterns_are_refused_and_closed)
{
	static const struct {
		const char *what, *req;
	} cases[] = {
	    {"two Content-Length",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}" SMUGGLED},
	    {"two differing Content-Length",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}" SMUGGLED},
	    {"Content-Length list", "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	                            "Content-Length: 2, 2\r\n\r\n{}" SMUGGLED},
	    {"Content-Length with +", "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	                              "Content-Length: +2\r\n\r\n{}" SMUGGLED},
	    {"Content-Length with -", "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	                              "Content-Length: -1\r\n\r\n{}" SMUGGLED},
	    {"Content-Length in hex", "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	                              "Content-Length: 0x2\r\n\r\n{}" SMUGGLED},
	    {"Content-Length with a letter",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length: 2a\r\n\r\n{}" SMUGGLED},
	    {"Content-Length and Transfer-Encoding",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
	        "0\r\n\r\n" SMUGGLED},
	    {"Transfer-Encoding and Content-Length",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
	        "0\r\n\r\n" SMUGGLED},
	    {"Transfer-Encoding twice",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
	        "\r\n0\r\n\r\n" SMUGGLED},
	    {"Transfer-Encoding chunked, chunked",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked, "
	        "chunked\r\n\r\n0\r\n\r\n" SMUGGLED},
	    {"Transfer-Encoding gzip, chunked",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" SMUGGLED},
	    /* An unknown coding is 501 (RFC 9112 section 6.1). */
	    {"Transfer-Encoding xchunked",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" SMUGGLED},
	    {"obs-fold", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n "
	                 "b\r\n\r\n" SMUGGLED},
	    {"obs-fold of Transfer-Encoding",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
	        "Transfer-Encoding:\r\n chunked\r\n\r\n{}" SMUGGLED},
	    {"bare LF", "GET /healthz HTTP/1.1\nHost: x\n\n" SMUGGLED},
	    {"bare LF in one line",
	        "GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n" SMUGGLED},
	    {"space before the colon",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Content-Length : 2\r\n\r\n{}" SMUGGLED},
	    {"two Host", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
	    {"no Host", "GET /healthz HTTP/1.1\r\n\r\n"},
	    {"absolute-form target",
	        "GET http://evil/healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	    {"bad chunk size", "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	                       "Transfer-Encoding: "
	                       "chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" SMUGGLED},
	    /* RFC 9112 section 7.1, strictly. */
	    {"whitespace after the chunk size",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n"
	        "a \r\n0123456789\r\n0\r\n\r\n" SMUGGLED},
	    {"chunk extension without a name",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n"
	        "2;\r\n{}\r\n0\r\n\r\n" SMUGGLED},
	    {"unterminated quoted chunk extension",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n"
	        "5;a=\"b\r\n{\"a\"}\r\n0\r\n\r\n" SMUGGLED},
	    {"chunk size overflow",
	        "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n"
	        "10000000000000002\r\n{}\r\n0\r\n\r\n" SMUGGLED},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].what, cases[i].req, 0,
		    strstr(cases[i].what, "xchunked") != NULL ? 501 : 400);
}

Test(hostile, nul_and_cr_are_refused)
{
	static const char raw_nul_path[] =
	    "GET /table_1\0x HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char raw_nul_query[] =
	    "GET /table_1?limit=1\0 HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char raw_nul_value[] =
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";

	expect_refused(
	    "raw NUL in the path", raw_nul_path, sizeof(raw_nul_path) - 1, 400);
	expect_refused("raw NUL in the query", raw_nul_query,
	    sizeof(raw_nul_query) - 1, 400);
	expect_refused("raw NUL in a header value", raw_nul_value,
	    sizeof(raw_nul_value) - 1, 400);
	expect_refused("%00 in the path",
	    "GET /table_1%00.json HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400);
	expect_refused("%00 in the query",
	    "GET /table_1?title=eq.a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400);
	expect_refused("%00 in a query name",
	    "GET /table_1?ti%00tle=eq.a HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400);
	expect_refused("CR in a header value",
	    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 0, 400);
	expect_refused("CR in the Authorization value",
	    "GET /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer a\rb\r\n\r\n",
	    0, 400);
	expect_refused("dot segment",
	    "GET /auth/../table_1 HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400);
}

Test(hostile, oversized_head_is_431)
{
	struct buf b;
	int i;

	/* 20 fields of 1000 bytes: over the default header_limit (16 KiB). */
	buf_init(&b);
	cr_assert(buf_addstr(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\n") == 0);
	for (i = 0; i < 20; i++) {
		cr_assert(buf_printf(&b, "X-Pad-%d: ", i) == 0);
		for (int j = 0; j < 1000; j++)
			cr_assert(buf_addc(&b, 'a') == 0);
		cr_assert(buf_addstr(&b, "\r\n") == 0);
	}
	cr_assert(buf_addstr(&b, "\r\n") == 0);
	expect_refused("head of 20 KB", b.b_data, b.b_len, 431);

	/* 101 short fields. */
	buf_reset(&b);
	cr_assert(buf_addstr(&b, "GET /healthz HTTP/1.1\r\nHost: x\r\n") == 0);
	for (i = 0; i < 101; i++)
		cr_assert(buf_printf(&b, "X-F%d: v\r\n", i) == 0);
	cr_assert(buf_addstr(&b, "\r\n") == 0);
	expect_refused("101 header fields", b.b_data, b.b_len, 431);

	/* One request line longer than the limit, never terminated. */
	buf_reset(&b);
	cr_assert(buf_addstr(&b, "GET /") == 0);
	for (i = 0; i < 20000; i++)
		cr_assert(buf_addc(&b, 'a') == 0);
	expect_refused("endless request line", b.b_data, b.b_len, 431);
	buf_free(&b);
}

Test(hostile, oversized_body_is_413)
{
	static struct raw r;
	static char chunk[65536];
	char line[64], email[128], tok[TOKCAP], head[TOKCAP + 256];
	int fd, i, n;

	/* By Content-Length: refused before any of the body is read. */
	expect_refused("Content-Length over body_limit",
	    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 2000000\r\n\r\n",
	    0, 413);
	expect_refused("Content-Length of 20 digits",
	    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 99999999999999999999\r\n\r\n",
	    0, 400);

	/* Chunked: 17 chunks of 64 KiB pass the 1 MiB limit.  With a valid
	 * token: without one the head alone is answered 401. */
	e2e_email(email, sizeof(email), "hostile-413");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	memset(chunk, ' ', sizeof(chunk));
	fd = raw_connect(base_port(e2e_cf.ee_base_url));
	n = snprintf(head, sizeof(head),
	    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    tok);
	raw_send(fd, head, (size_t)n);
	for (i = 0; i < 17; i++) {
		n = snprintf(line, sizeof(line), "%zx\r\n", sizeof(chunk));
		if (raw_send(fd, line, (size_t)n) == -1 ||
		    raw_send(fd, chunk, sizeof(chunk)) == -1 ||
		    raw_send(fd, "\r\n", 2) == -1)
			break; /* the server answered and closed */
	}
	raw_read(fd, &r, READ_TIMEOUT_MS);
	close(fd);
	cr_assert_eq(
	    r.r_status, 413, "chunked body over the limit: %.300s", r.r_buf);
	cr_assert(r.r_eof, "the connection was left open after 413");
	raw_assert_json_error(&r, "PN600");
}

Test(hostile, trace_and_connect_are_refused)
{
	static struct raw r;
	static const char *const reqs[] = {
	    "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "TRACE /table_1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
	    "CONNECT /table_1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "PROPFIND /table_1 HTTP/1.1\r\nHost: x\r\n\r\n",
	    "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		raw_exchange(reqs[i], strlen(reqs[i]), &r);
		cr_log_info("%.20s...: %d", reqs[i], r.r_status);
		cr_assert(r.r_status == 405 || r.r_status == 501 ||
		              (r.r_status == 400 &&
		                  strncmp(reqs[i], "CONNECT 1", 9) == 0),
		    "%s answered %d: %.300s", reqs[i], r.r_status, r.r_buf);
		raw_assert_json_error(&r, NULL);
		/* Nothing echoed back, as TRACE would. */
		cr_assert(strstr(r.r_buf, "Host: x") == NULL);
	}
}

/* ------------------------------------------------------------ JSON */

static void
json_refused(const char *path, const char *tok, const char *what,
    const char *body, size_t len)
{
	struct e2e_resp r;
	struct e2e_req rq = {.rq_method = "POST",
	    .rq_path = path,
	    .rq_body = body,
	    .rq_bodylen = len};
	const char *h[3] = {"Content-Type: application/json", NULL, NULL};
	struct buf auth;

	buf_init(&auth);
	if (tok != NULL) {
		cr_assert(
		    buf_printf(&auth, "Authorization: Bearer %s", tok) == 0);
		h[1] = auth.b_data;
	}
	rq.rq_hdrs = h;
	cr_assert(e2e_do(&rq, &r) == 0, "POST %s (%s): no answer", path, what);
	cr_log_info("POST %s, %s: %ld %s", path, what, r.er_status,
	    r.er_body.b_data ? r.er_body.b_data : "");
	e2e_assert_error(&r, 400);
	e2e_resp_free(&r);
	buf_free(&auth);
}

/* Builds the hostile bodies around prefix/suffix and posts each to path. */
static void
json_cases(const char *path, const char *tok, const char *email)
{
	struct buf b;
	int i;

	buf_init(&b);
	/* 40 levels of nesting (the limit is 32). */
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%s\",\"name\":",
	              email, email) == 0);
	for (i = 0; i < 40; i++)
		cr_assert(buf_addc(&b, '[') == 0);
	for (i = 0; i < 40; i++)
		cr_assert(buf_addc(&b, ']') == 0);
	cr_assert(buf_addc(&b, '}') == 0);
	json_refused(path, tok, "nesting 41", b.b_data, b.b_len);

	/* 60000 levels (auth routes take 64 KiB): no stack overflow. */
	buf_reset(&b);
	for (i = 0; i < 60000; i++)
		cr_assert(buf_addc(&b, '[') == 0);
	json_refused(path, tok, "60000 open brackets", b.b_data, b.b_len);

	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%s\"} x",
	              email, email) == 0);
	json_refused(path, tok, "trailing bytes", b.b_data, b.b_len);
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%s\"}{}",
	              email, email) == 0);
	json_refused(path, tok, "two objects", b.b_data, b.b_len);

	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%sa\\ud800b\",\"name\":\"a\\ud800b\"}",
	              email, email) == 0);
	json_refused(path, tok, "lone high surrogate", b.b_data, b.b_len);
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%s\\udc00\",\"name\":\"\\udc00\"}",
	              email, email) == 0);
	json_refused(path, tok, "lone low surrogate", b.b_data, b.b_len);

	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"a\\u0000" PASSWORD
	              "\",\"title\":\"%sa\\u0000b\",\"name\":\"a\\u0000b\"}",
	              email, email) == 0);
	json_refused(path, tok, "\\u0000 in strings", b.b_data, b.b_len);

	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%sa\xff\xfe\",\"name\":\"a\xff\xfe\"}",
	              email, email) == 0);
	json_refused(path, tok, "invalid UTF-8", b.b_data, b.b_len);
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"" PASSWORD
	              "\",\"title\":\"%s\xc0\xaf\",\"name\":\"\xc0\xaf\"}",
	              email, email) == 0);
	json_refused(path, tok, "overlong UTF-8", b.b_data, b.b_len);
	buf_free(&b);
}

Test(hostile, hostile_json_is_400)
{
	char email[128], tok[TOKCAP], n[32];

	e2e_email(email, sizeof(email), "hostile-json");
	json_cases("/auth/signup", NULL, email);
	/* None of them created the account. */
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users where email = '%s'",
	              email) == 0);
	cr_assert_str_eq(n, "0", "a refused signup created the user");

	e2e_email(email, sizeof(email), "hostile-json-ok");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	json_cases("/table_1", tok, email);
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.table_1 where "
	              "starts_with(title, '%s')",
	              email) == 0);
	cr_assert_str_eq(n, "0", "a refused create wrote a row");
}

/* --------------------------------------------------------- tokens */

Test(hostile, huge_bearer_is_a_quick_401)
{
	struct e2e_resp r;
	char *tok, v[E2E_HDR_MAX];
	size_t len = 100 * 1024;

	cr_assert((tok = malloc(len + 1)) != NULL);
	memset(tok, 'a', len);
	tok[len] = '\0';
	cr_assert(e2e_get("/table_1", tok, &r) == 0, "no answer");
	cr_log_info("100 KB token: %ld in %.3f s", r.er_status, r.er_secs);
	e2e_assert_error(&r, 401);
	cr_assert(r.er_secs < 1.0, "the 401 took %.3f s", r.er_secs);
	cr_assert(e2e_header(&r, "WWW-Authenticate", v, sizeof(v)) == 0 &&
	          strncmp(v, "Bearer", 6) == 0);
	e2e_resp_free(&r);
	free(tok);
}

Test(hostile, token_in_query_string_is_ignored)
{
	char email[128], tok[TOKCAP], path[TOKCAP + 64], v[E2E_HDR_MAX];
	struct e2e_resp r;

	e2e_email(email, sizeof(email), "hostile-query");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	/* The token works where it belongs. */
	cr_assert(e2e_get("/table_1", tok, &r) == 0);
	cr_assert_eq(r.er_status, 200);
	e2e_resp_free(&r);

	snprintf(path, sizeof(path), "/table_1?access_token=%s", tok);
	cr_assert(e2e_get(path, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	cr_assert(e2e_header(&r, "WWW-Authenticate", v, sizeof(v)) == 0);
	e2e_resp_free(&r);
	snprintf(path, sizeof(path), "/auth/me?access_token=%s", tok);
	cr_assert(e2e_get(path, NULL, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
}

/* ---------------------------------------------------- slow clients */

/* fd is closed by the server within 2 s: EOF, not a reset, no bytes. */
static void
expect_clean_close(int fd, const char *what)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char c;
	ssize_t n;

	cr_assert(poll(&pfd, 1, 2000) == 1, "%s was not closed", what);
	n = read(fd, &c, 1);
	cr_assert(n == 0, "%s: read gave %zd (%s), want a clean EOF", what, n,
	    n == -1 ? strerror(errno) : "data");
}

/* Reads one whole response (head and Content-Length body) from fd. */
static int
raw_read_one(int fd, struct raw *r, long timeout_ms)
{
	int64_t deadline = e2e_now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	const char *end, *cl;
	ssize_t n;

	r->r_len = 0;
	r->r_eof = 0;
	r->r_status = -1;
	for (;;) {
		r->r_buf[r->r_len] = '\0';
		if ((end = strstr(r->r_buf, "\r\n\r\n")) != NULL &&
		    (cl = strstr(r->r_buf, "Content-Length: ")) != NULL &&
		    cl < end &&
		    r->r_len >=
		        (size_t)(end + 4 - r->r_buf) + (size_t)atol(cl + 16))
			break;
		if (e2e_now_ms() >= deadline || r->r_len == RAW_CAP ||
		    poll(&pfd, 1, (int)(deadline - e2e_now_ms())) <= 0)
			return -1;
		n = read(fd, r->r_buf + r->r_len, RAW_CAP - r->r_len);
		if (n <= 0) {
			r->r_eof = 1;
			return -1;
		}
		r->r_len += (size_t)n;
	}
	if (strncmp(r->r_buf, "HTTP/1.1 ", 9) == 0)
		r->r_status = atoi(r->r_buf + 9);
	return 0;
}

#define SLOW_CONF                                                              \
	"request_timeout_ms = 2000\nmax_connections = 16\n"                    \
	"idle_timeout_ms = 4000"

static long
healthz_ms(long *msp)
{
	struct e2e_resp r;
	struct e2e_req rq = {.rq_path = "/healthz", .rq_timeout_ms = 3000};
	long st = -1;

	if (e2e_do(&rq, &r) == 0)
		st = r.er_status;
	*msp = (long)(r.er_secs * 1000);
	e2e_resp_free(&r);
	return st;
}

Test(hostile, slowloris_is_cut_off_at_the_deadline)
{
	static struct raw r;
	int64_t t0, cut = -1, next_line;
	struct pollfd pfd;
	char line[64];
	long ms, st;
	int fd, i = 0, served = 0, n;

	hpair_start(&hp, SLOW_CONF);
	fd = raw_connect(hp.hp_port);
	t0 = e2e_now_ms();
	raw_send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32);
	next_line = t0 + 1000;
	/* One header line a second, for at most 6 s. */
	while (e2e_now_ms() - t0 < 6000) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) > 0) {
			cut = e2e_now_ms() - t0;
			break;
		}
		if (e2e_now_ms() >= next_line) {
			n = snprintf(
			    line, sizeof(line), "X-Slow-%d: v\r\n", i++);
			if (raw_send(fd, line, (size_t)n) == -1) {
				cut = e2e_now_ms() - t0;
				break;
			}
			next_line += 1000;
		}
		/* Another client is served meanwhile, and quickly. */
		st = healthz_ms(&ms);
		cr_assert_eq(st, 200,
		    "a normal client got %ld while another "
		    "trickled",
		    st);
		cr_assert(ms < 500, "a normal client waited %ld ms", ms);
		served++;
	}
	cr_assert(cut >= 0, "the trickling client was not cut off in 6 s");
	raw_read(fd, &r, 3000);
	close(fd);
	cr_log_info("trickler cut off after %lld ms (%d lines sent, status %d, "
	            "%d other requests served)",
	    (long long)cut, i, r.r_status, served);
	cr_assert(cut >= 1800 && cut <= 3500,
	    "cut off after %lld ms, want about 2000", (long long)cut);
	cr_assert(r.r_status == 408 || r.r_status == -1, "the trickler got %d",
	    r.r_status);
	cr_assert(r.r_eof, "the trickler's connection stayed open");
	cr_assert(served > 10);

	/* The same holds for a body trickled a byte a second. */
	fd = raw_connect(hp.hp_port);
	t0 = e2e_now_ms();
	raw_send(fd,
	    "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
	    strlen("POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	           "Content-Type: application/json\r\n"
	           "Content-Length: 100\r\n\r\n{"));
	cut = -1;
	while (e2e_now_ms() - t0 < 6000) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) > 0) {
			cut = e2e_now_ms() - t0;
			break;
		}
		if (raw_send(fd, " ", 1) == -1)
			break;
	}
	raw_read(fd, &r, 3000);
	close(fd);
	cr_log_info("body trickler cut off after %lld ms, status %d",
	    (long long)cut, r.r_status);
	cr_assert(cut >= 1800 && cut <= 3500, "body trickler cut at %lld ms",
	    (long long)cut);
	cr_assert_eq(r.r_status, 408);
	raw_assert_json_error(&r, "PN106");
	hpair_finish(&hp);
}

/*
 * Once, 2,000 idle sockets locked every other client out until the
 * idle timeout.  The cap (16) filled with keep-alive connections that
 * each served a request: a new client is served at once, the connection
 * idle longest is closed cleanly, the others still serve.  With every
 * connection busy (a head begun), the cap holds as before: the 17th waits
 * until request_timeout_ms (2 s) frees a slot.
 */
Test(hostile, idle_keepalive_is_evicted_at_the_cap)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	static struct raw r;
	int fds[16], i;
	int64_t t0;
	long st, ms;

	hpair_start(&hp, SLOW_CONF);
	for (i = 0; i < 16; i++) {
		fds[i] = raw_connect(hp.hp_port);
		cr_assert(raw_send(fds[i], get, sizeof(get) - 1) == 0);
		cr_assert(
		    raw_read_one(fds[i], &r, 3000) == 0 && r.r_status == 200,
		    "keep-alive connection %d: %.200s", i, r.r_buf);
		e2e_sleep_ms(5);
	}
	/* Connection 0 is now the longest idle; use 1 again, so that 2 is
	 * next in line after 0. */
	cr_assert(raw_send(fds[1], get, sizeof(get) - 1) == 0);
	cr_assert(raw_read_one(fds[1], &r, 3000) == 0 && r.r_status == 200);
	t0 = e2e_now_ms();
	st = healthz_ms(&ms);
	ms = (long)(e2e_now_ms() - t0);
	cr_log_info("at the cap of 16 keep-alive connections, a new client: "
	            "%ld in %ld ms",
	    st, ms);
	cr_assert_eq(st, 200, "a new client at the cap got %ld", st);
	cr_assert(ms < 1000, "a new client at the cap waited %ld ms", ms);
	expect_clean_close(fds[0], "the longest idle connection");
	/* The others were left alone and still serve. */
	for (i = 1; i < 16; i++) {
		cr_assert(raw_send(fds[i], get, sizeof(get) - 1) == 0);
		cr_assert(
		    raw_read_one(fds[i], &r, 3000) == 0 && r.r_status == 200,
		    "connection %d after the eviction: %.200s", i, r.r_buf);
	}
	close(fds[0]);

	/* Connection 0's slot went to the new client, which has gone too:
	 * 15 held plus one more reach the cap again, all busy now. */
	fds[0] = raw_connect(hp.hp_port);
	e2e_sleep_ms(100);
	for (i = 0; i < 16; i++)
		cr_assert(
		    raw_send(fds[i], "GET /healthz HTTP/1.1\r\n", 24) == 0);
	e2e_sleep_ms(200);
	t0 = e2e_now_ms();
	{
		struct e2e_resp resp;
		struct e2e_req rq = {
		    .rq_path = "/healthz", .rq_timeout_ms = 8000};

		cr_assert(e2e_do(&rq, &resp) == 0, "no answer at a busy cap");
		st = resp.er_status;
		e2e_resp_free(&resp);
	}
	ms = (long)(e2e_now_ms() - t0);
	cr_log_info(
	    "with 16 busy connections, the 17th was served after %ld ms", ms);
	cr_assert_eq(st, 200);
	cr_assert(ms >= 1200, "a busy connection was evicted (%ld ms)", ms);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	hpair_finish(&hp);
}

Test(hostile, more_idle_connections_than_the_cap)
{
	int fds[48], i, nfd = 0;
	int64_t t0;
	long st = -1, ms;

	hpair_start(&hp, SLOW_CONF);
	/* 48 connections, 3 times the cap; the backlog holds the rest. */
	for (i = 0; i < 48; i++)
		fds[nfd++] = raw_connect(hp.hp_port);
	e2e_sleep_ms(300);
	cr_assert(kill(hp.hp_gateway, 0) == 0);
	/* Half of them close; new clients are served. */
	for (i = 0; i < 48; i++)
		close(fds[i]);
	t0 = e2e_now_ms();
	while (e2e_now_ms() - t0 < 5000) {
		if ((st = healthz_ms(&ms)) == 200)
			break;
		e2e_sleep_ms(50);
	}
	cr_log_info("served again %lld ms after the idle clients closed",
	    (long long)(e2e_now_ms() - t0));
	cr_assert_eq(st, 200, "not served after the idle clients closed");

	/*
	 * 16 held idle connections (never a byte sent) no longer
	 * lock the 17th client out until idle_timeout_ms: the one idle
	 * longest is closed to admit it, with an orderly end of stream.
	 */
	nfd = 0;
	for (i = 0; i < 16; i++) {
		fds[nfd++] = raw_connect(hp.hp_port);
		e2e_sleep_ms(5);
	}
	e2e_sleep_ms(200);
	t0 = e2e_now_ms();
	st = healthz_ms(&ms);
	ms = (long)(e2e_now_ms() - t0);
	cr_log_info("the 17th client was served after %ld ms", ms);
	cr_assert_eq(st, 200);
	cr_assert(ms < 1000, "the 17th client waited %ld ms", ms);
	expect_clean_close(fds[0], "the longest idle connection");
	for (i = 0; i < nfd; i++)
		close(fds[i]);
	hpair_finish(&hp);
}

/* ----------------------------------------------------- access log */

/* A key of the env file deploy/dev writes (KEY=value, shell-quoted with
 * printf %q, which leaves plain paths as they are). */
static void
env_file_get(const char *key, char *out, size_t cap)
{
	const char *path = getenv("POSTERN_E2E_ENV");
	size_t klen = strlen(key), n;
	char line[E2E_PATH_MAX + 64];
	FILE *f;

	out[0] = '\0';
	cr_assert(path != NULL && (f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		n = strcspn(line + klen + 1, "\n");
		cr_assert(n < cap);
		memcpy(out, line + klen + 1, n);
		out[n] = '\0';
	}
	fclose(f);
	cr_assert(
	    out[0] != '\0' && out[0] != '\'', "no plain %s in %s", key, path);
}

/*
 * The gateway's log line for the request whose X-Request-Id is rid,
 * parsed strictly (UTF-8 validated); fails the test if it is missing or
 * is not valid JSON.  Every line of the log must parse too.
 */
static struct json_object *
log_line_of(const char *log, const char *rid)
{
	struct json_tokener *tok;
	struct json_object *j, *found = NULL, *v;
	static char line[65536];
	FILE *f;
	size_t n;

	cr_assert((f = fopen(log, "r")) != NULL, "cannot open %s", log);
	cr_assert((tok = json_tokener_new()) != NULL);
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, rid) == NULL)
			continue;
		n = strcspn(line, "\n");
		json_tokener_reset(tok);
		j = json_tokener_parse_ex(tok, line, (int)n);
		cr_assert(j != NULL && json_tokener_get_parse_end(tok) == n,
		    "a log line is not valid JSON: %s", line);
		if (json_object_object_get_ex(j, "request_id", &v) &&
		    strcmp(json_object_get_string(v), rid) == 0 &&
		    found == NULL)
			found = j;
		else
			json_object_put(j);
	}
	json_tokener_free(tok);
	fclose(f);
	cr_assert(found != NULL, "no log line for request %s", rid);
	return found;
}

Test(hostile, access_log_is_json_whatever_the_path)
{
	static const struct {
		const char *target, *path; /* path: as logged, decoded */
	} cases[] = {
	    {"/x%ff%fe", "/x\xef\xbf\xbd\xef\xbf\xbd"},
	    {"/x%c0%af%ed%a0%80%f4%90%80%80",
	        "/x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf"
	        "\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"/x%01%1b[2J%0d%0a%7f%c2%85\"%5c",
	        "/x\x01\x1b[2J\r\n\x7f\xc2\x85\"\\"},
	    {"/table_1%e2%82", "/table_1\xef\xbf\xbd\xef\xbf\xbd"},
	};
	static struct raw r;
	struct json_object *j, *v;
	char log[E2E_PATH_MAX], rid[64], req[512];
	size_t i;
	int n;

	env_file_get("POSTERN_GATEWAY_LOG", log, sizeof(log));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e2e_rand_hex(rid, sizeof(rid), 8);
		n = snprintf(req, sizeof(req),
		    "GET %s HTTP/1.1\r\nHost: x\r\nX-Request-Id: %s\r\n"
		    "Connection: close\r\n\r\n",
		    cases[i].target, rid);
		raw_exchange(req, (size_t)n, &r);
		cr_log_info("%s: %d", cases[i].target, r.r_status);
		cr_assert(r.r_status >= 400 && r.r_status < 500, "%s: %.200s",
		    cases[i].target, r.r_buf);
		j = log_line_of(log, rid);
		cr_assert(json_object_object_get_ex(j, "path", &v));
		cr_assert_str_eq(json_object_get_string(v), cases[i].path,
		    "logged path of %s", cases[i].target);
		json_object_put(j);
	}
}

/* ------------------------------------------- bodies before the head */

/* The gateway's resident set, KiB, from /proc/<pid>/status VmRSS. */
static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert((f = fopen(path, "r")) != NULL, "cannot read %s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	fclose(f);
	cr_assert(kib > 0, "no VmRSS in %s", path);
	return kib;
}

#define FLOOD_CONNS 300
#define FLOOD_PART (256 * 1024)

/*
 * Once, bodies of unauthenticated requests were buffered before the
 * 401 (1,000 connections part-way into 1 MB bodies: 10 -> 1,009 MiB).
 * 300 connections each send a head with Content-Length 1 MB for a bearer
 * route, half without a token and half with a bad one, and 256 KiB of the
 * body: each must get its 401 without sending the rest, and the gateway's
 * RSS must not grow with what they sent (75 MiB in all).
 */
Test(hostile, unauthenticated_bodies_are_refused_before_reading)
{
	static char part[FLOOD_PART];
	static struct raw r;
	static int fds[FLOOD_CONNS];
	char head[512];
	pid_t gw = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	int port = base_port(e2e_cf.ee_base_url), i, n, got401 = 0;
	long rss0, rss1, rss2;
	int64_t t0;

	cr_assert(gw > 0, "no gateway pid in %s", e2e_cf.ee_gateway_pid_file);
	memset(part, ' ', sizeof(part));
	part[0] = '{';
	rss0 = rss_kib(gw);
	t0 = e2e_now_ms();
	for (i = 0; i < FLOOD_CONNS; i++) {
		n = snprintf(head, sizeof(head),
		    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: 1048576\r\n%s\r\n",
		    i % 2 ? "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9."
		            "eyJzdWIiOiIxIn0.bad-signature\r\n"
		          : "");
		fds[i] = raw_connect(port);
		cr_assert(raw_send(fds[i], head, (size_t)n) == 0);
		/* A server that answered and closed may refuse the rest. */
		(void)raw_send(fds[i], part, sizeof(part));
	}
	rss1 = rss_kib(gw);
	for (i = 0; i < FLOOD_CONNS; i++) {
		/* Nothing more is sent: the answer must come anyway. */
		raw_read(fds[i], &r, 3000);
		if (r.r_status == 401) {
			got401++;
			raw_assert_json_error(&r, i % 2 ? "PN201" : "PN200");
			cr_assert(strstr(r.r_buf, "Connection: close") != NULL,
			    "401 before the body without Connection: close");
			cr_assert(r.r_eof, "connection %d left open", i);
		} else
			cr_log_error(
			    "connection %d (%s token): status %d: %.200s", i,
			    i % 2 ? "bad" : "no", r.r_status, r.r_buf);
		close(fds[i]);
	}
	rss2 = rss_kib(gw);
	cr_log_info("%d connections x %d KiB of 1 MB bodies: %d x 401 in "
	            "%lld ms; gateway RSS %ld -> %ld KiB (all sent) -> %ld "
	            "KiB",
	    FLOOD_CONNS, FLOOD_PART / 1024, got401,
	    (long long)(e2e_now_ms() - t0), rss0, rss1, rss2);
	fprintf(stderr,
	    "hostile: body flood: RSS %ld -> %ld KiB with %d connections "
	    "part-way into 1 MB bodies; %d x 401\n",
	    rss0, rss1, FLOOD_CONNS, got401);
	cr_assert_eq(got401, FLOOD_CONNS,
	    "%d of %d got their 401 before sending the rest", got401,
	    FLOOD_CONNS);
	/* 75 MiB were sent; the bound leaves room for buffers in flight.
	 * Not judged under ASan, whose quarantine keeps freed memory (the
	 * socket buffers the lingering close read and dropped) resident. */
	if (HOSTILE_ASAN) {
		cr_log_info("ASan build: RSS not judged");
		return;
	}
	cr_assert(rss1 - rss0 < 24 * 1024,
	    "the gateway grew by %ld KiB while unauthenticated bodies were "
	    "sent",
	    rss1 - rss0);
}

/* The builder's key is judged before any body too. */
Test(hostile, admin_body_without_key_is_refused_before_reading)
{
	static char part[64 * 1024];
	static struct raw r;
	const char *head = "POST /_admin/endpoints HTTP/1.1\r\nHost: x\r\n"
	                   "Content-Type: application/json\r\n"
	                   "Content-Length: 1048576\r\n\r\n";
	int fd;

	memset(part, ' ', sizeof(part));
	part[0] = '{';
	fd = raw_connect(base_port(e2e_cf.ee_base_url));
	cr_assert(raw_send(fd, head, strlen(head)) == 0);
	(void)raw_send(fd, part, sizeof(part));
	/* Nothing more is sent: the 401 must come anyway. */
	raw_read(fd, &r, 3000);
	close(fd);
	cr_assert_eq(r.r_status, 401, "status %d: %.200s", r.r_status, r.r_buf);
	raw_assert_json_error(&r, "PN203");
	cr_assert(r.r_eof, "connection left open after the 401");
}

/*
 * The global budget (body_memory_limit): with 1.5 MB of it and a 1 MB body
 * held part-way, a second 1 MB body is 503 PN603 with Retry-After, before
 * any of it is read; a chunked one is 503 once it would pass the budget;
 * a small request is served meanwhile, and a 1 MB body once the first
 * connection has gone.
 */
Test(hostile, body_memory_budget_is_503_past_it)
{
	static struct raw r;
	static char big[1000000];
	char email[128], tok[TOKCAP], head[TOKCAP + 512];
	struct e2e_resp resp;
	int fa, fb, i, n;

	hpair_start(&hp, "body_memory_limit = 1500000");
	e2e_email(email, sizeof(email), "hostile-budget");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));

	/* A: a 1 MB body, held part-way (its token verified first). */
	n = snprintf(head, sizeof(head),
	    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
	    "Content-Length: 1000000\r\n\r\n{",
	    tok);
	fa = raw_connect(hp.hp_port);
	cr_assert(raw_send(fa, head, (size_t)n) == 0);
	e2e_sleep_ms(300);

	/* B: another 1 MB body would pass the budget: 503 at once. */
	fb = raw_connect(hp.hp_port);
	cr_assert(raw_send(fb, head, (size_t)n) == 0);
	raw_read(fb, &r, 3000);
	close(fb);
	cr_log_info("second 1 MB body: %d", r.r_status);
	cr_assert_eq(r.r_status, 503, "past the budget: %.300s", r.r_buf);
	raw_assert_json_error(&r, "PN603");
	cr_assert(strstr(r.r_buf, "Retry-After: ") != NULL, "%s", r.r_buf);
	cr_assert(r.r_eof, "the connection was left open after 503");

	/* C: chunked, 16 chunks of 64 KiB: 503 once it would pass. */
	fb = raw_connect(hp.hp_port);
	n = snprintf(head, sizeof(head),
	    "POST /table_1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    tok);
	cr_assert(raw_send(fb, head, (size_t)n) == 0);
	memset(big, ' ', sizeof(big));
	for (i = 0; i < 16; i++) {
		n = snprintf(head, sizeof(head), "10000\r\n");
		if (raw_send(fb, head, (size_t)n) == -1 ||
		    raw_send(fb, big, 65536) == -1 ||
		    raw_send(fb, "\r\n", 2) == -1)
			break;
	}
	raw_read(fb, &r, 3000);
	close(fb);
	cr_log_info("chunked body past the budget: %d", r.r_status);
	cr_assert_eq(
	    r.r_status, 503, "chunked past the budget: %.300s", r.r_buf);
	raw_assert_json_error(&r, "PN603");

	/* A small request is served while A holds most of the budget. */
	cr_assert(e2e_call("POST", "/table_1", tok, NULL,
	              "{\"title\":\"budget small\"}", &resp) == 0);
	cr_assert_eq(resp.er_status, 201, "small body: %ld %s", resp.er_status,
	    resp.er_body.b_data);
	e2e_resp_free(&resp);

	/* A goes away; its share comes back: a 1 MB body is not 503. */
	close(fa);
	e2e_sleep_ms(200);
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	{
		struct e2e_req rq = {.rq_method = "POST",
		    .rq_path = "/table_1",
		    .rq_body = big,
		    .rq_bodylen = sizeof(big)};
		char auth[TOKCAP + 32];
		const char *hd[4] = {
		    "Content-Type: application/json", auth, "Expect:", NULL};

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		rq.rq_hdrs = hd;
		cr_assert(e2e_do(&rq, &resp) == 0);
	}
	cr_log_info("1 MB body after the first one went: %ld", resp.er_status);
	cr_assert(resp.er_status != 503 && resp.er_status < 500,
	    "after the budget was freed: %ld %s", resp.er_status,
	    resp.er_body.b_data);
	e2e_resp_free(&resp);
	hpair_finish(&hp);
}
