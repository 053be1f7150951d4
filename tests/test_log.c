/*
 * common/log.c: every line it writes is valid JSON whatever the bytes it
 * was handed (a request for /x%ff%fe once wrote 0xFF 0xFE raw into the
 * access log).  Each output is checked with json-c in strict mode with UTF-8
 * validation, so "valid" means what a log shipper's parser would say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "common/buf.h"
#include "common/log.h"

/* Parses s strictly, with UTF-8 validation; NULL if it is not JSON. */
static struct json_object *
strict_parse(const char *s, size_t n)
{
	struct json_tokener *tok;
	struct json_object *j;

	cr_assert((tok = json_tokener_new()) != NULL);
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, s, (int)n);
	if (j != NULL && json_tokener_get_parse_end(tok) != n) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

/* Escapes in[0..n) and asserts the result is exactly want. */
static void
expect(const char *in, size_t n, const char *want)
{
	struct buf b;
	struct json_object *j;

	buf_init(&b);
	cr_assert_eq(log_add_json_str(&b, in, n), 0);
	cr_assert_str_eq(b.b_data, want);
	cr_assert((j = strict_parse(b.b_data, b.b_len)) != NULL,
	    "not strict JSON: %s", b.b_data);
	cr_assert(json_object_is_type(j, json_type_string));
	json_object_put(j);
	buf_free(&b);
}

#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, want)

Test(log, empty_and_plain)
{
	EXPECT("", "\"\"");
	EXPECT("/table_1", "\"/table_1\"");
	EXPECT("a\"b\\c", "\"a\\\"b\\\\c\"");
	/* Valid UTF-8 passes unchanged: é, €, U+10FFFF (the largest). */
	EXPECT("\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf",
	    "\"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\"");
	/* U+00A0, the first code point after C1, is not a control. */
	EXPECT("\xc2\xa0", "\"\xc2\xa0\"");
}

Test(log, controls_are_escaped)
{
	EXPECT("\x01\t\r\n\x1f", "\"\\u0001\\u0009\\u000d\\u000a\\u001f\"");
	EXPECT("a\x7f", "\"a\\u007f\"");
	/* C1: U+0080 and U+009F, the edges. */
	EXPECT("\xc2\x80\xc2\x9f", "\"\\u0080\\u009f\"");
	/* A NUL inside the given length is escaped, not an end. */
	EXPECT("a\0b", "\"a\\u0000b\"");
	/* An ANSI escape sequence cannot reach a terminal. */
	EXPECT("\x1b[31mred", "\"\\u001b[31mred\"");
}

Test(log, invalid_utf8_is_replaced)
{
	/* The reported path: /x%ff%fe, decoded. */
	EXPECT("/x\xff\xfe", "\"/x\\ufffd\\ufffd\"");
	/* A stray continuation byte, alone and after ASCII. */
	EXPECT("\x80", "\"\\ufffd\"");
	EXPECT("a\xbf"
	       "b",
	    "\"a\\ufffdb\"");
	/* Overlong forms: C0 AF ('/'), E0 80 AF, F0 80 80 AF. */
	EXPECT("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	EXPECT("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Surrogates U+D800 and U+DFFF encoded directly. */
	EXPECT("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	/* U+110000: max + 1. */
	EXPECT("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	EXPECT("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Truncated at the end, and cut by another lead byte. */
	EXPECT("a\xe2\x82", "\"a\\ufffd\\ufffd\"");
	EXPECT("\xe2\x82\xc3\xa9", "\"\\ufffd\\ufffd\xc3\xa9\"");
	EXPECT("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
}

/* Every string of up to three bytes drawn from an alphabet of edges. */
Test(log, every_short_string_is_valid_json)
{
	static const unsigned char alpha[] = {0x00, 0x01, 0x1f, 0x20, '"', '\\',
	    0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
	    0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xfe, 0xff};
	size_t na = sizeof(alpha), a, c, d, len;
	unsigned char in[3];
	struct json_object *j;
	struct buf b;

	buf_init(&b);
	for (a = 0; a < na; a++)
		for (c = 0; c <= na; c++)
			for (d = 0; d <= na; d++) {
				len = 1;
				in[0] = alpha[a];
				if (c < na) {
					in[len++] = alpha[c];
					if (d < na)
						in[len++] = alpha[d];
				} else if (d < na)
					continue;
				buf_reset(&b);
				cr_assert_eq(
				    log_add_json_str(&b, (const char *)in, len),
				    0);
				cr_assert((j = strict_parse(
				               b.b_data, b.b_len)) != NULL,
				    "not JSON for %02x %02x %02x: %s", in[0],
				    len > 1 ? in[1] : 0, len > 2 ? in[2] : 0,
				    b.b_data);
				json_object_put(j);
			}
	buf_free(&b);
}

Test(log, appends_after_existing_content)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "{\"p\":"), 0);
	cr_assert_eq(log_add_json_str(&b, "\xff", 1), 0);
	cr_assert_eq(buf_addc(&b, '}'), 0);
	cr_assert_str_eq(b.b_data, "{\"p\":\"\\ufffd\"}");
	buf_free(&b);
}

/* A log line written by log_warnx, read back from the file. */
Test(log, emitted_lines_parse)
{
	char path[] = "/tmp/test_log.XXXXXX", line[8192];
	struct json_object *j, *m;
	int fd, saved;
	FILE *f;
	size_t n = 0;

	cr_assert((fd = mkstemp(path)) != -1);
	close(fd);
	cr_assert((saved = dup(STDERR_FILENO)) != -1);
	log_init("te\xffst", LOG_LVL_INFO);
	cr_assert_eq(log_open(path), 0);
	log_warnx("request for /x\xff\xfe from \x1b[2J\r\nfake\x7f");
	log_info("%s", "\xc0\xaf");
	cr_assert(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	cr_assert_eq(log_open(NULL), 0);

	cr_assert((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		cr_assert((j = strict_parse(line, strlen(line) - 1)) != NULL,
		    "line %zu is not JSON: %s", n, line);
		cr_assert(json_object_object_get_ex(j, "msg", &m));
		if (n == 0)
			cr_assert_str_eq(json_object_get_string(m),
			    "request for /x\xef\xbf\xbd\xef\xbf\xbd from "
			    "\x1b[2J\r\nfake\x7f");
		json_object_put(j);
		n++;
	}
	fclose(f);
	unlink(path);
	cr_assert_eq(n, 2);
}
