#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "authd/blocklist.h"

#define JOHN_LIST "/usr/share/john/password.lst"

static struct blocklist *
from(const char *s)
{
	struct blocklist *bl = blocklist_from_buffer(s, strlen(s));

	cr_assert_not_null(bl);
	return bl;
}

static int
has(const struct blocklist *bl, const char *pw)
{
	return blocklist_contains(bl, pw, strlen(pw));
}

Test(blocklist, empty)
{
	struct blocklist *bl;

	bl = blocklist_from_buffer(NULL, 0);
	cr_assert_not_null(bl);
	cr_assert_eq(blocklist_count(bl), 0);
	cr_assert_eq(has(bl, "password"), 0);
	cr_assert_eq(blocklist_contains(bl, "", 0), 0);
	blocklist_free(bl);
	blocklist_free(NULL);

	bl = from("\n\n\r\n#!comment: nothing here\n");
	cr_assert_eq(blocklist_count(bl), 0);
	blocklist_free(bl);

	errno = 0;
	cr_assert_null(blocklist_from_buffer(NULL, 1));
	cr_assert_eq(errno, EINVAL);
}

Test(blocklist, lines)
{
	struct blocklist *bl = from("#!comment: header\n"
	                            "#!comment:\n"
	                            "123456\n"
	                            "password\r\n"
	                            "\n"
	                            "  spaced  \n"
	                            "#notacomment\n"
	                            "cr\r\r\n"
	                            "last-without-newline");

	cr_assert_eq(blocklist_count(bl), 6);
	cr_assert_eq(has(bl, "123456"), 1);
	cr_assert_eq(has(bl, "password"), 1);
	/* Only one CR goes, and no other whitespace. */
	cr_assert_eq(has(bl, "password\r"), 0);
	cr_assert_eq(has(bl, "cr\r"), 1);
	cr_assert_eq(has(bl, "cr"), 0);
	cr_assert_eq(has(bl, "  spaced  "), 1);
	cr_assert_eq(has(bl, "spaced"), 0);
	/* Only "#!comment:" lines are comments; "#..." is a password. */
	cr_assert_eq(has(bl, "#notacomment"), 1);
	cr_assert_eq(has(bl, "#!comment: header"), 0);
	cr_assert_eq(has(bl, "last-without-newline"), 1);
	cr_assert_eq(has(bl, ""), 0);
	/* Prefixes and extensions do not match. */
	cr_assert_eq(has(bl, "12345"), 0);
	cr_assert_eq(has(bl, "1234567"), 0);
	blocklist_free(bl);
}

Test(blocklist, case_fold_ascii)
{
	struct blocklist *bl =
	    from("Password\nDRAGON\nmonkey\n\xc3\xa9t\xc3\xa9\n"
	         "MONKEY\n");

	/* "monkey" and "MONKEY" are one entry. */
	cr_assert_eq(blocklist_count(bl), 4);
	cr_assert_eq(has(bl, "password"), 1);
	cr_assert_eq(has(bl, "PASSWORD"), 1);
	cr_assert_eq(has(bl, "pAsSwOrD"), 1);
	cr_assert_eq(has(bl, "dragon"), 1);
	cr_assert_eq(has(bl, "Monkey"), 1);
	/* UTF-8 is compared as bytes: "été" matches, "ÉTÉ" does not. */
	cr_assert_eq(has(bl, "\xc3\xa9t\xc3\xa9"), 1);
	cr_assert_eq(has(bl, "\xc3\x89T\xc3\x89"), 0);
	blocklist_free(bl);
}

Test(blocklist, nul_inside)
{
	static const char text[] = "abc\0def\nabc\n";
	struct blocklist *bl;

	bl = blocklist_from_buffer(text, sizeof(text) - 1);
	cr_assert_not_null(bl);
	cr_assert_eq(blocklist_count(bl), 2);
	cr_assert_eq(blocklist_contains(bl, "abc", 3), 1);
	cr_assert_eq(blocklist_contains(bl, "abc\0def", 7), 1);
	cr_assert_eq(blocklist_contains(bl, "abc\0deg", 7), 0);
	blocklist_free(bl);
}

Test(blocklist, overlong_lines)
{
	char *text, *pw;
	size_t n = BLOCKLIST_LINE_MAX + 1, len;
	struct blocklist *bl;

	/* Lines of exactly the maximum and one byte more, then "short". */
	len = BLOCKLIST_LINE_MAX + 1 + n + 1 + 6;
	text = malloc(len);
	memset(text, 'a', BLOCKLIST_LINE_MAX);
	text[BLOCKLIST_LINE_MAX] = '\n';
	memset(text + BLOCKLIST_LINE_MAX + 1, 'b', n);
	text[BLOCKLIST_LINE_MAX + 1 + n] = '\n';
	memcpy(text + BLOCKLIST_LINE_MAX + 1 + n + 1, "short\n", 6);
	bl = blocklist_from_buffer(text, len);
	cr_assert_not_null(bl);
	cr_assert_eq(blocklist_count(bl), 2);
	cr_assert_eq(blocklist_contains(bl, text, BLOCKLIST_LINE_MAX), 1);
	pw = text + BLOCKLIST_LINE_MAX + 1;
	cr_assert_eq(blocklist_contains(bl, pw, n), 0);
	cr_assert_eq(blocklist_contains(bl, pw, BLOCKLIST_LINE_MAX), 0);
	cr_assert_eq(has(bl, "short"), 1);
	blocklist_free(bl);

	/* A max-length line with CRLF: the CR does not count. */
	text[BLOCKLIST_LINE_MAX] = '\r';
	text[BLOCKLIST_LINE_MAX + 1] = '\n';
	bl = blocklist_from_buffer(text, BLOCKLIST_LINE_MAX + 2);
	cr_assert_eq(blocklist_count(bl), 1);
	cr_assert_eq(blocklist_contains(bl, text, BLOCKLIST_LINE_MAX), 1);
	blocklist_free(bl);
	free(text);
}

Test(blocklist, many_entries)
{
	char line[32], *text;
	size_t cap = 200000 * 16, len = 0;
	struct blocklist *bl;
	int i;

	text = malloc(cap);
	for (i = 0; i < 200000; i++)
		len += (size_t)snprintf(text + len, cap - len, "pw%d\n", i);
	bl = blocklist_from_buffer(text, len);
	cr_assert_not_null(bl);
	cr_assert_eq(blocklist_count(bl), 200000);
	for (i = 0; i < 200000; i += 997) {
		snprintf(line, sizeof(line), "PW%d", i);
		cr_assert_eq(has(bl, line), 1);
	}
	cr_assert_eq(has(bl, "pw200000"), 0);
	blocklist_free(bl);
	free(text);
}

Test(blocklist, load_errors)
{
	errno = 0;
	cr_assert_null(blocklist_load("/nonexistent/password.lst"));
	cr_assert_eq(errno, ENOENT);
	errno = 0;
	cr_assert_null(blocklist_load("/"));
	cr_assert_eq(errno, EINVAL);
}

Test(blocklist, load_file)
{
	char path[] = "/tmp/test_blocklistXXXXXX";
	struct blocklist *bl;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs("#!comment: x\r\nhunter2\r\nletmein\r\n", f);
	fclose(f);
	bl = blocklist_load(path);
	unlink(path);
	cr_assert_not_null(bl);
	cr_assert_eq(blocklist_count(bl), 2);
	cr_assert_eq(has(bl, "Hunter2"), 1);
	cr_assert_eq(has(bl, "letmein"), 1);
	blocklist_free(bl);
}

Test(blocklist, debian_john_list)
{
	struct blocklist *bl;

	if (access(JOHN_LIST, R_OK) == -1)
		cr_skip_test(
		    "%s missing (apt-get install john-data)", JOHN_LIST);
	bl = blocklist_load(JOHN_LIST);
	cr_assert_not_null(bl);
	/* ASVS 5.0 6.2.4 asks for at least the top 3,000. */
	cr_assert_geq(
	    blocklist_count(bl), 3000, "%zu entries", blocklist_count(bl));
	cr_assert_eq(has(bl, "password"), 1);
	cr_assert_eq(has(bl, "PASSWORD"), 1);
	cr_assert_eq(has(bl, "123456"), 1);
	cr_assert_eq(has(bl, "qwerty"), 1);
	cr_assert_eq(has(bl, "correct horse battery staple 42!"), 0);
	cr_assert_eq(has(bl, "Openwall"), 0);
	blocklist_free(bl);
}
