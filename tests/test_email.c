#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "authd/email.h"

static char out[EMAIL_MAX + 1];
static const char *why;

static int
norm(const char *s)
{
	return email_normalize(s, strlen(s), out, sizeof(out), &why);
}

Test(email, trim_and_fold)
{
	cr_assert_eq(norm(" A@Example.COM "), 0);
	cr_assert_str_eq(out, "a@example.com");
	cr_assert_null(why);
	cr_assert_eq(norm("\t\r\n user@host.example\n"), 0);
	cr_assert_str_eq(out, "user@host.example");
	cr_assert_eq(norm("a@b"), 0);
	cr_assert_str_eq(out, "a@b");
	cr_assert_eq(norm("First.Last+Tag@Sub.Domain.ORG"), 0);
	cr_assert_str_eq(out, "first.last+tag@sub.domain.org");
}

Test(email, unicode_case_folding)
{
	cr_assert_eq(norm("J\xc3\x89r\xc3\xb4me@Exemple.FR"), 0);
	cr_assert_str_eq(out, "j\xc3\xa9r\xc3\xb4me@exemple.fr");
	/* The issue's pair: one address. */
	cr_assert_eq(norm("\xc3\x9cN\xc3\x8f-x@EXAMPLE.COM"), 0);
	cr_assert_str_eq(out, "\xc3\xbcn\xc3\xaf-x@example.com");
	cr_assert_eq(norm("\xc3\xbcn\xc3\xaf-x@example.com"), 0);
	cr_assert_str_eq(out, "\xc3\xbcn\xc3\xaf-x@example.com");
	/* Full folding: sharp s is "ss", final sigma is sigma. */
	cr_assert_eq(norm("Stra\xc3\x9f"
	                  "e@example.com"),
	    0);
	cr_assert_str_eq(out, "strasse@example.com");
	cr_assert_eq(norm("\xce\xa3\xce\xbf\xcf\x82@example.gr"), 0);
	cr_assert_str_eq(out, "\xcf\x83\xce\xbf\xcf\x83@example.gr");
}

Test(email, unicode_white_space_trimmed)
{
	/* U+00A0 before, U+3000 after, U+2028 and tabs around. */
	cr_assert_eq(norm("\xc2\xa0"
	                  "a@example.com"),
	    0);
	cr_assert_str_eq(out, "a@example.com");
	cr_assert_eq(norm("a@example.com\xe3\x80\x80"), 0);
	cr_assert_str_eq(out, "a@example.com");
	cr_assert_eq(norm("\t\xe2\x80\xa8 A@example.com \xc2\x85"), 0);
	cr_assert_str_eq(out, "a@example.com");
	cr_assert_eq(norm("\xc2\xa0\xe3\x80\x80"), -1);
	cr_assert_str_eq(why, "email is empty");
}

Test(email, format_characters_refused)
{
	/* U+FEFF leading, U+200B and U+00AD before the @, U+2060 inside. */
	cr_assert_eq(norm("\xef\xbb\xbf"
	                  "a@example.com"),
	    -1);
	cr_assert_str_eq(why, "email contains an invisible format character "
	                      "(such as U+200B, U+00AD or U+FEFF)");
	cr_assert_eq(norm("a\xe2\x80\x8b@example.com"), -1);
	cr_assert_eq(norm("a\xc2\xad@example.com"), -1);
	cr_assert_eq(norm("a@exa\xe2\x81\xa0mple.com"), -1);
	cr_assert_eq(norm("a@example.com\xf3\xa0\x80\x81"), -1); /* tag */
}

Test(email, folding_grows_past_the_limit)
{
	char s[300];
	size_t i;

	/* 40 sharp s (80 bytes) fold to 80 bytes of "ss": still fine; 33
	 * U+0130 (2 bytes each) fold to 3 bytes each: a local part of 99. */
	for (i = 0; i < 33; i++)
		memcpy(s + 2 * i, "\xc4\xb0", 2);
	strcpy(s + 66, "@example.com");
	cr_assert_eq(norm(s), -1);
	cr_assert_str_eq(why, "email local part is longer than 64 bytes");
}

Test(email, empty)
{
	cr_assert_eq(norm(""), -1);
	cr_assert_str_eq(why, "email is empty");
	cr_assert_eq(norm("   \t "), -1);
	cr_assert_eq(email_normalize(NULL, 0, out, sizeof(out), &why), -1);
	cr_assert_str_eq(out, "");
}

Test(email, at_signs)
{
	cr_assert_eq(norm("userexample.com"), -1);
	cr_assert_str_eq(why, "email has no @");
	cr_assert_eq(norm("a@b@c"), -1);
	cr_assert_str_eq(why, "email contains more than one @");
	cr_assert_eq(norm("@example.com"), -1);
	cr_assert_str_eq(why, "email has an empty local part");
	cr_assert_eq(norm("user@"), -1);
	cr_assert_str_eq(why, "email has an empty domain");
	cr_assert_eq(norm("@"), -1);
}

Test(email, domain_labels)
{
	cr_assert_eq(norm("a@.example.com"), -1);
	cr_assert_str_eq(why, "email domain has an empty label");
	cr_assert_eq(norm("a@example.com."), -1);
	cr_assert_eq(norm("a@example..com"), -1);
	cr_assert_eq(norm("a@."), -1);
}

Test(email, local_part_length)
{
	char s[EMAIL_MAX + 10];

	memset(s, 'l', 64);
	strcpy(s + 64, "@example.com");
	cr_assert_eq(norm(s), 0);
	memset(s, 'l', 65);
	strcpy(s + 65, "@example.com");
	cr_assert_eq(norm(s), -1);
	cr_assert_str_eq(why, "email local part is longer than 64 bytes");
}

Test(email, total_length)
{
	char s[300];
	size_t i;

	/* 64 + 1 + 189 = 254, labels of 62 chars separated by dots. */
	memset(s, 'l', 64);
	s[64] = '@';
	for (i = 0; i < 189; i++)
		s[65 + i] = (i % 63 == 62) ? '.' : 'd';
	s[253] = 'd';
	s[254] = '\0';
	cr_assert_eq(norm(s), 0, "%s", why);
	cr_assert_eq(strlen(out), 254);
	s[254] = 'd';
	s[255] = '\0';
	cr_assert_eq(norm(s), -1);
	cr_assert_str_eq(why, "email is longer than 254 bytes");
	/* Surrounding whitespace does not count against the limit. */
	s[254] = '\0';
	memmove(s + 2, s, 255);
	s[0] = ' ';
	s[1] = ' ';
	strcat(s, "  ");
	cr_assert_eq(norm(s), 0);
}

Test(email, domain_length)
{
	char s[300];

	/* A 1-byte local part and a 253-byte domain: 255 in all. */
	s[0] = 'a';
	s[1] = '@';
	memset(s + 2, 'd', 253);
	s[255] = '\0';
	cr_assert_eq(norm(s), -1);
	/* With local >= 1 byte the total limit bites before the domain's. */
	s[254] = '\0';
	cr_assert_eq(norm(s), 0);
}

Test(email, spaces_and_controls)
{
	cr_assert_eq(norm("a b@example.com"), -1);
	cr_assert_str_eq(why, "email contains a space");
	cr_assert_eq(norm("a@exam ple.com"), -1);
	cr_assert_eq(norm("a\tb@example.com"), -1);
	cr_assert_str_eq(why, "email contains a control character");
	cr_assert_eq(norm("a\x01@example.com"), -1);
	cr_assert_eq(norm("a\x7f@example.com"), -1);
	cr_assert_eq(norm("a\xc2\x85@example.com"), -1); /* U+0085 NEL */
	/* U+00A0 and U+3000 inside are white space. */
	cr_assert_eq(norm("a\xc2\xa0"
	                  "b@example.com"),
	    -1);
	cr_assert_str_eq(why, "email contains a space");
	cr_assert_eq(norm("a\xe3\x80\x80"
	                  "b@example.com"),
	    -1);
}

Test(email, nul_inside)
{
	cr_assert_eq(
	    email_normalize("a\0b@example.com", 15, out, sizeof(out), &why),
	    -1);
	cr_assert_str_eq(why, "email contains a NUL character");
	cr_assert_eq(
	    email_normalize("ab@example.com\0", 15, out, sizeof(out), &why),
	    -1);
}

Test(email, invalid_utf8)
{
	cr_assert_eq(norm("a\xff@example.com"), -1);
	cr_assert_str_eq(why, "email is not valid UTF-8");
	cr_assert_eq(norm("a\xc0\xaf@example.com"), -1);
	cr_assert_eq(norm("a@example.com\xc3"), -1);
}

Test(email, outcap)
{
	char small[6];

	cr_assert_eq(
	    email_normalize("a@b.c", 5, small, sizeof(small), &why), 0);
	cr_assert_str_eq(small, "a@b.c");
	cr_assert_eq(
	    email_normalize("a@b.cd", 6, small, sizeof(small), &why), -1);
	cr_assert_str_eq(small, "");
	cr_assert_eq(email_normalize("a@b.c", 5, small, 0, &why), -1);
}
