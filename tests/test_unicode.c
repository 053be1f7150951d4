#include <string.h>

#include <criterion/criterion.h>

#include "authd/unicode.h"
#include "common/buf.h"

static void
scrub_is(const char *in, size_t n, size_t max, const char *want)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(uni_scrub(in, n, max, &b), 0);
	cr_assert_eq(b.b_len, strlen(want), "got %zu bytes", b.b_len);
	cr_assert(b.b_len == 0 || memcmp(b.b_data, want, b.b_len) == 0);
	buf_free(&b);
}

Test(unicode, decode_edges)
{
	uint32_t cp;

	cr_assert_eq(uni_decode((const unsigned char *)"a", 1, &cp), 1);
	cr_assert_eq(cp, 'a');
	cr_assert_eq(uni_decode((const unsigned char *)"\xc3\xbc", 2, &cp), 2);
	cr_assert_eq(cp, 0xfc);
	cr_assert_eq(
	    uni_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
	cr_assert_eq(cp, 0x10ffff);
	cr_assert_eq(uni_decode((const unsigned char *)"", 0, &cp), -1);
	cr_assert_eq(uni_decode((const unsigned char *)"\xc3", 1, &cp), -1);
	cr_assert_eq(uni_decode((const unsigned char *)"\xc0\xaf", 2, &cp), -1);
	cr_assert_eq(
	    uni_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), -1);
	cr_assert_eq(
	    uni_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), -1);
	cr_assert_eq(uni_decode((const unsigned char *)"\xff", 1, &cp), -1);
	cr_assert_eq(uni_decode((const unsigned char *)"\x80", 1, &cp), -1);
}

Test(unicode, scrub)
{
	scrub_is("Mozilla/5.0", 11, 512, "Mozilla/5.0");
	scrub_is("a\xff\xfe"
	         "b",
	    4, 512,
	    "a\xef\xbf\xbd\xef\xbf\xbd"
	    "b");
	/* Controls, DEL and C1 too; a truncated sequence at the end. */
	scrub_is("\x01\x7f\xc2\x85\xc3", 5, 512,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	scrub_is("\xc3\xbc\xc3\xbc", 4, 512, "\xc3\xbc\xc3\xbc");
	/* Cut on a character boundary. */
	scrub_is("ab\xc3\xbc", 4, 3, "ab");
	scrub_is("abc", 3, 0, "");
	scrub_is("", 0, 10, "");
}

Test(unicode, properties)
{
	cr_assert(uni_is_space(0x20));
	cr_assert(uni_is_space(0xa0));
	cr_assert(uni_is_space(0x3000));
	cr_assert(uni_is_space(0x2028));
	cr_assert(!uni_is_space(0x200b));
	cr_assert(!uni_is_space(0xfeff));
	cr_assert(!uni_is_space('a'));
	cr_assert(uni_is_control_or_format(0x00));
	cr_assert(uni_is_control_or_format(0x9f));
	cr_assert(uni_is_control_or_format(0xad));
	cr_assert(uni_is_control_or_format(0x200b));
	cr_assert(uni_is_control_or_format(0xfeff));
	cr_assert(uni_is_control_or_format(0xe0001));
	cr_assert(!uni_is_control_or_format('a'));
	cr_assert(!uni_is_control_or_format(0xa0));
	cr_assert(!uni_is_control_or_format(0x10ffff));
}

Test(unicode, fold)
{
	uint32_t out[UNI_FOLD_MAX];

	cr_assert_eq(uni_fold('A', out), 1);
	cr_assert_eq(out[0], 'a');
	cr_assert_eq(uni_fold('a', out), 1);
	cr_assert_eq(out[0], 'a');
	cr_assert_eq(uni_fold(0xdc, out), 1); /* Ü */
	cr_assert_eq(out[0], 0xfc);
	cr_assert_eq(uni_fold(0xcf, out), 1); /* Ï */
	cr_assert_eq(out[0], 0xef);
	cr_assert_eq(uni_fold(0xdf, out), 2); /* ß -> ss */
	cr_assert(out[0] == 's' && out[1] == 's');
	cr_assert_eq(uni_fold(0x1e9e, out), 2); /* ẞ -> ss */
	cr_assert_eq(uni_fold(0x3a3, out), 1);  /* Σ -> σ */
	cr_assert_eq(out[0], 0x3c3);
	cr_assert_eq(uni_fold(0x3c2, out), 1); /* ς -> σ */
	cr_assert_eq(out[0], 0x3c3);
	cr_assert_eq(uni_fold(0x10400, out), 1); /* Deseret */
	cr_assert_eq(out[0], 0x10428);
	cr_assert_eq(uni_fold(0x10ffff, out), 1);
	cr_assert_eq(out[0], 0x10ffff);
}
