/*
 * The HTTP request-head parser and the chunked decoder (gateway/
 * httpparse.c).  First byte even: the rest is a request head; whatever
 * parses must have consumed no more than it was given, and parsing must
 * not depend on how much of the stream came at once (the whole input and
 * the exact head give the same answer).  Odd: the rest is a chunked body,
 * decoded at once and byte by byte; both must agree on the outcome and
 * the payload.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "gateway/httpparse.h"
#include "fuzz.h"

#define MAX_HEAD 16384
#define BODY_LIMIT 65536

static void
head(const char *p, size_t n)
{
	struct http_head h, h2;
	const char *why = NULL;
	int status = 0, r, r2;

	r = http_head_parse(p, n, MAX_HEAD, &h, &status, &why);
	if (r > 0) {
		FUZZ_CHECK((size_t)r <= n);
		FUZZ_CHECK(h.hh_path != NULL && h.hh_path[0] == '/');
		FUZZ_CHECK(!(h.hh_chunked && h.hh_content_length >= 0));
		FUZZ_CHECK(h.hh_nhdrs <= HTTP_MAX_HEADERS);
		FUZZ_CHECK(strlen(h.hh_path) <= n);
		(void)http_head_get(&h, "Authorization");
		/* The same head alone parses the same. */
		r2 =
		    http_head_parse(p, (size_t)r, MAX_HEAD, &h2, &status, &why);
		FUZZ_CHECK(r2 == r);
		FUZZ_CHECK(h2.hh_method == h.hh_method);
		FUZZ_CHECK(h2.hh_content_length == h.hh_content_length);
		FUZZ_CHECK(strcmp(h2.hh_path, h.hh_path) == 0);
		http_head_free(&h2);
		http_head_free(&h);
		http_head_free(&h); /* twice is safe */
	} else if (r < 0) {
		FUZZ_CHECK(status == 400 || status == 431 || status == 501 ||
		           status == 505 || status == 500);
		FUZZ_CHECK(why != NULL);
	}
}

static void
chunked(const char *p, size_t n)
{
	struct http_chunked c1, c2;
	struct buf o1, o2;
	size_t used1 = 0, used2 = 0, u, i;
	int r1, r2 = 0;

	buf_init(&o1);
	buf_init(&o2);
	http_chunked_init(&c1);
	http_chunked_init(&c2);
	r1 = http_chunked_feed(&c1, p, n, &used1, &o1, BODY_LIMIT);
	FUZZ_CHECK(used1 <= n);
	for (i = 0; i < n; i++) {
		u = 0;
		r2 = http_chunked_feed(&c2, p + i, 1, &u, &o2, BODY_LIMIT);
		FUZZ_CHECK(u <= 1);
		used2 += u;
		if (r2 != 0)
			break;
	}
	if (n == 0)
		r2 = http_chunked_feed(&c2, p, 0, &used2, &o2, BODY_LIMIT);
	FUZZ_CHECK(r1 == r2);
	FUZZ_CHECK(o1.b_len <= BODY_LIMIT);
	if (r1 == 1) {
		FUZZ_CHECK(used1 == used2);
		FUZZ_CHECK(o1.b_len == o2.b_len);
		FUZZ_CHECK(o1.b_len == 0 ||
		           memcmp(o1.b_data, o2.b_data, o1.b_len) == 0);
	}
	buf_free(&o1);
	buf_free(&o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		head((const char *)data + 1, size - 1);
	else
		chunked((const char *)data + 1, size - 1);
	return 0;
}
