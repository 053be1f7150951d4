#include <string.h>

#include <criterion/criterion.h>

#include "common/util.h"

Test(util, strlcpy)
{
	char d[4];

	cr_assert_eq(x_strlcpy(d, "ab", sizeof(d)), 2);
	cr_assert_str_eq(d, "ab");
	cr_assert_eq(x_strlcpy(d, "abc", sizeof(d)), 3);
	cr_assert_str_eq(d, "abc");
	cr_assert_eq(x_strlcpy(d, "abcd", sizeof(d)), 4);
	cr_assert_str_eq(d, "abc");
	cr_assert_eq(x_strlcpy(d, "", sizeof(d)), 0);
	cr_assert_str_eq(d, "");
	d[0] = 'q';
	cr_assert_eq(x_strlcpy(d, "xyz", 0), 3);
	cr_assert_eq(d[0], 'q');
	cr_assert_eq(x_strlcpy(d, "xyz", 1), 3);
	cr_assert_str_eq(d, "");
}

Test(util, clocks)
{
	int64_t a, b;

	a = time_mono_ms();
	b = time_mono_ms();
	cr_assert_geq(b, a);
	cr_assert_gt(a, 0);
	/* After 2020-01-01 and before 2100. */
	cr_assert_gt(time_epoch_s(), 1577836800);
	cr_assert_lt(time_epoch_s(), 4102444800);
}

static int
u8(const char *s, size_t n, size_t *cp)
{
	return utf8_check(s, n, cp);
}

Test(util, utf8_valid)
{
	size_t n = 99;

	cr_assert_eq(u8("", 0, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(u8("abc", 3, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(u8("\xc3\xa9", 2, &n), 0); /* U+00E9 */
	cr_assert_eq(n, 1);
	cr_assert_eq(u8("\xc2\x80", 2, &n), 0); /* U+0080, smallest 2-byte */
	cr_assert_eq(u8("\xdf\xbf", 2, &n), 0); /* U+07FF */
	cr_assert_eq(u8("\xe0\xa0\x80", 3, &n), 0);     /* U+0800 */
	cr_assert_eq(u8("\xed\x9f\xbf", 3, &n), 0);     /* U+D7FF */
	cr_assert_eq(u8("\xee\x80\x80", 3, &n), 0);     /* U+E000 */
	cr_assert_eq(u8("\xef\xbf\xbf", 3, &n), 0);     /* U+FFFF */
	cr_assert_eq(u8("\xf0\x90\x80\x80", 4, &n), 0); /* U+10000 */
	cr_assert_eq(u8("\xf4\x8f\xbf\xbf", 4, &n), 0); /* U+10FFFF */
	cr_assert_eq(n, 1);
	cr_assert_eq(u8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(u8("abc", 3, NULL), 0);
}

Test(util, utf8_invalid)
{
	size_t n;

	cr_assert_eq(u8("\xc0\xaf", 2, &n), -1);         /* overlong '/' */
	cr_assert_eq(u8("\xc1\xbf", 2, &n), -1);         /* overlong */
	cr_assert_eq(u8("\xe0\x80\xaf", 3, &n), -1);     /* overlong 3-byte */
	cr_assert_eq(u8("\xe0\x9f\xbf", 3, &n), -1);     /* overlong U+07FF */
	cr_assert_eq(u8("\xf0\x80\x80\xaf", 4, &n), -1); /* overlong 4-byte */
	cr_assert_eq(u8("\xf0\x8f\xbf\xbf", 4, &n), -1); /* overlong U+FFFF */
	cr_assert_eq(u8("\xed\xa0\x80", 3, &n), -1);     /* U+D800 */
	cr_assert_eq(u8("\xed\xbf\xbf", 3, &n), -1);     /* U+DFFF */
	cr_assert_eq(u8("\xf4\x90\x80\x80", 4, &n), -1); /* U+110000 */
	cr_assert_eq(u8("\xf5\x80\x80\x80", 4, &n), -1);
	cr_assert_eq(u8("\xff", 1, &n), -1);
	cr_assert_eq(u8("\xfe", 1, &n), -1);
	cr_assert_eq(u8("\x80", 1, &n), -1); /* stray continuation */
	cr_assert_eq(u8("a\xbf", 2, &n), -1);
	cr_assert_eq(u8("\xc3", 1, &n), -1); /* truncated */
	cr_assert_eq(u8("\xe2\x82", 2, &n), -1);
	cr_assert_eq(u8("\xf0\x9f\x98", 3, &n), -1);
	cr_assert_eq(u8("\xc3\x28", 2, &n), -1); /* bad continuation */
	cr_assert_eq(u8("\xe2\x28\xac", 3, &n), -1);
	cr_assert_eq(u8("a\0b", 3, &n), -1); /* NUL */
	cr_assert_eq(u8("\0", 1, &n), -1);
	/* The length bound is respected: the NUL after "ab" is not read. */
	cr_assert_eq(u8("ab\xc3\xa9", 3, &n), -1);
}

Test(util, random_bytes)
{
	unsigned char a[32], b[32], z[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(z, 0, sizeof(z));
	cr_assert_eq(random_bytes(a, sizeof(a)), 0);
	cr_assert_eq(random_bytes(b, sizeof(b)), 0);
	cr_assert_neq(memcmp(a, b, sizeof(a)), 0);
	cr_assert_neq(memcmp(a, z, sizeof(a)), 0);
	cr_assert_eq(random_bytes(a, 0), 0);
}

Test(util, hex_encode)
{
	static const unsigned char in[] = {0x00, 0x01, 0xab, 0xff};
	char out[9];

	cr_assert_eq(hex_encode(in, sizeof(in), out, sizeof(out)), 0);
	cr_assert_str_eq(out, "0001abff");
	cr_assert_eq(hex_encode(in, sizeof(in), out, 8), -1);
	cr_assert_eq(hex_encode(in, 0, out, 1), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(hex_encode(in, 0, out, 0), -1);
	cr_assert_eq(hex_encode(in, SIZE_MAX, out, sizeof(out)), -1);
}
