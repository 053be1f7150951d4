#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/buf.h"

Test(buf, init_state_and_free_on_init)
{
	struct buf b;

	buf_init(&b);
	cr_assert_null(b.b_data);
	cr_assert_eq(b.b_len, 0);
	cr_assert_eq(b.b_cap, 0);
	buf_free(&b);
	buf_free(&b);
	buf_wipe_free(&b);
	buf_reset(&b);
	cr_assert_null(b.b_data);
}

Test(buf, reserve_zero_allocates_terminator)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_reserve(&b, 0), 0);
	cr_assert_not_null(b.b_data);
	cr_assert_eq(b.b_data[0], '\0');
	cr_assert_geq(b.b_cap, 1);
	buf_free(&b);
}

Test(buf, reserve_overflow)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_add(&b, "abc", 3), 0);
	errno = 0;
	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	cr_assert_eq(errno, EOVERFLOW);
	cr_assert_eq(buf_reserve(&b, SIZE_MAX - 3), -1);
	cr_assert_eq(buf_add(&b, "x", SIZE_MAX - 2), -1);
	/* Unchanged after failures. */
	cr_assert_eq(b.b_len, 3);
	cr_assert_str_eq(b.b_data, "abc");
	buf_free(&b);
}

Test(buf, growth_keeps_content_and_terminator)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < 10000; i++) {
		cr_assert_eq(buf_addc(&b, (char)('a' + i % 26)), 0);
		cr_assert_eq(b.b_len, i + 1);
		cr_assert_lt(b.b_len, b.b_cap);
		cr_assert_eq(b.b_data[b.b_len], '\0');
	}
	for (i = 0; i < 10000; i++)
		cr_assert_eq(b.b_data[i], (char)('a' + i % 26));
	buf_free(&b);
}

Test(buf, add_zero_and_binary)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_add(&b, NULL, 0), 0);
	cr_assert_eq(b.b_len, 0);
	cr_assert_eq(buf_add(&b, "a\0b", 3), 0);
	cr_assert_eq(b.b_len, 3);
	cr_assert_eq(memcmp(b.b_data, "a\0b", 4), 0);
	cr_assert_eq(buf_addstr(&b, ""), 0);
	cr_assert_eq(b.b_len, 3);
	buf_free(&b);
}

Test(buf, printf_small_and_large)
{
	struct buf b;
	char big[5000];

	buf_init(&b);
	cr_assert_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
	cr_assert_str_eq(b.b_data, "42-x");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(buf_printf(&b, "[%s]", big), 0);
	cr_assert_eq(b.b_len, 4 + 2 + sizeof(big) - 1);
	cr_assert_eq(b.b_data[4], '[');
	cr_assert_eq(b.b_data[b.b_len - 1], ']');
	cr_assert_eq(b.b_data[b.b_len], '\0');
	cr_assert_eq(buf_printf(&b, "%s", ""), 0);
	cr_assert_eq(b.b_len, 4 + 2 + sizeof(big) - 1);
	buf_free(&b);
}

Test(buf, json_str_escapes)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_add_json_str(&b, "", 0), 0);
	cr_assert_str_eq(b.b_data, "\"\"");
	buf_reset(&b);
	cr_assert_eq(buf_add_json_str(&b, "a\"b\\c/d", 7), 0);
	cr_assert_str_eq(b.b_data, "\"a\\\"b\\\\c/d\"");
	buf_reset(&b);
	cr_assert_eq(buf_add_json_str(&b, "\x01\n\t\x1f\x7f", 5), 0);
	cr_assert_str_eq(b.b_data, "\"\\u0001\\u000a\\u0009\\u001f\x7f\"");
	buf_reset(&b);
	/* An embedded NUL is escaped, not a terminator. */
	cr_assert_eq(buf_add_json_str(&b, "a\0b", 3), 0);
	cr_assert_str_eq(b.b_data, "\"a\\u0000b\"");
	buf_reset(&b);
	/* UTF-8 passes through untouched. */
	cr_assert_eq(buf_add_json_str(&b, "\xc3\xa9\xf0\x9f\x98\x80", 6), 0);
	cr_assert_str_eq(b.b_data, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	buf_free(&b);
}

Test(buf, json_str_appends)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "{\"k\":"), 0);
	cr_assert_eq(buf_add_json_str(&b, "v", 1), 0);
	cr_assert_eq(buf_addc(&b, '}'), 0);
	cr_assert_str_eq(b.b_data, "{\"k\":\"v\"}");
	buf_free(&b);
}

Test(buf, json_str_overflow)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_add_json_str(&b, "x", SIZE_MAX / 2), -1);
	cr_assert_eq(b.b_len, 0);
	buf_free(&b);
}

Test(buf, reset_keeps_memory)
{
	struct buf b;
	char *p;
	size_t cap;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "hello"), 0);
	p = b.b_data;
	cap = b.b_cap;
	buf_reset(&b);
	cr_assert_eq(b.b_len, 0);
	cr_assert_eq(b.b_data, p);
	cr_assert_eq(b.b_cap, cap);
	cr_assert_str_eq(b.b_data, "");
	buf_free(&b);
}

Test(buf, release_transfers_ownership)
{
	struct buf b;
	size_t len = 99;
	char *p;

	buf_init(&b);
	p = buf_release(&b, &len);
	cr_assert_not_null(p);
	cr_assert_str_eq(p, "");
	cr_assert_eq(len, 0);
	free(p);

	cr_assert_eq(buf_addstr(&b, "abc"), 0);
	p = buf_release(&b, &len);
	cr_assert_str_eq(p, "abc");
	cr_assert_eq(len, 3);
	cr_assert_null(b.b_data);
	cr_assert_eq(b.b_len, 0);
	cr_assert_eq(b.b_cap, 0);
	free(p);

	cr_assert_eq(buf_addstr(&b, "x"), 0);
	p = buf_release(&b, NULL);
	cr_assert_str_eq(p, "x");
	free(p);
}

Test(buf, wipe_free)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "secret"), 0);
	buf_wipe_free(&b);
	cr_assert_null(b.b_data);
	cr_assert_eq(b.b_len, 0);
	cr_assert_eq(b.b_cap, 0);
}

/* The first failure sticks: later appends change nothing and fail. */
Test(buf, error_is_sticky)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_error(&b), 0);
	cr_assert_eq(buf_addstr(&b, "abc"), 0);
	cr_assert_eq(buf_error(&b), 0);
	errno = 0;
	cr_assert_eq(buf_add(&b, "x", SIZE_MAX - 2), -1);
	cr_assert_eq(errno, EOVERFLOW);
	errno = 0;
	cr_assert_eq(buf_addstr(&b, "def"), -1);
	cr_assert_eq(errno, EOVERFLOW);
	cr_assert_eq(buf_addc(&b, 'g'), -1);
	cr_assert_eq(buf_add(&b, "h", 1), -1);
	cr_assert_eq(buf_add(&b, NULL, 0), -1);
	cr_assert_eq(buf_printf(&b, "%d", 1), -1);
	cr_assert_eq(buf_add_json_str(&b, "i", 1), -1);
	cr_assert_eq(buf_reserve(&b, 0), -1);
	cr_assert_eq(b.b_len, 3);
	cr_assert_str_eq(b.b_data, "abc");
	errno = 0;
	cr_assert_eq(buf_error(&b), -1);
	cr_assert_eq(errno, EOVERFLOW);
	buf_free(&b);
}

/* A builder in a straight line, checked once at the end. */
Test(buf, straight_line_builder)
{
	struct buf b;

	buf_init(&b);
	buf_addstr(&b, "{\"k\":");
	buf_add_json_str(&b, "v", 1);
	buf_printf(&b, ",\"n\":%d", 7);
	buf_addc(&b, '}');
	cr_assert_eq(buf_error(&b), 0);
	cr_assert_str_eq(b.b_data, "{\"k\":\"v\",\"n\":7}");

	buf_reset(&b);
	buf_addstr(&b, "{\"k\":");
	buf_add_json_str(&b, "x", SIZE_MAX / 2);
	buf_addc(&b, '}');
	cr_assert_eq(buf_error(&b), -1);
	cr_assert_str_eq(b.b_data, "{\"k\":");
	buf_free(&b);
}

/* A failed json string or reserve is a failure like any other. */
Test(buf, json_str_and_reserve_failures_stick)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_add_json_str(&b, "x", SIZE_MAX / 2), -1);
	cr_assert_eq(buf_addc(&b, 'a'), -1);
	cr_assert_eq(buf_error(&b), -1);
	buf_reset(&b);
	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	cr_assert_eq(buf_addc(&b, 'a'), -1);
	cr_assert_eq(buf_error(&b), -1);
	buf_free(&b);
}

/* reset, free and init start over; release refuses a buffer in error. */
Test(buf, reset_free_release_and_error)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "abc"), 0);
	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	errno = 0;
	cr_assert_null(buf_release(&b, NULL));
	cr_assert_eq(errno, EOVERFLOW);
	/* Still the caller's. */
	cr_assert_str_eq(b.b_data, "abc");
	buf_reset(&b);
	cr_assert_eq(buf_error(&b), 0);
	cr_assert_eq(buf_addstr(&b, "de"), 0);
	cr_assert_str_eq(b.b_data, "de");

	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	buf_free(&b);
	cr_assert_eq(buf_error(&b), 0);
	cr_assert_eq(buf_addstr(&b, "f"), 0);
	cr_assert_str_eq(b.b_data, "f");

	cr_assert_eq(buf_reserve(&b, SIZE_MAX), -1);
	buf_wipe_free(&b);
	cr_assert_eq(buf_error(&b), 0);
	buf_init(&b);
	cr_assert_eq(buf_error(&b), 0);
	buf_free(&b);
}
