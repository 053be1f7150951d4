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
