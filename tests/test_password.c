#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "authd/password.h"

static const struct password_params owasp = {19456, 2, 1};
/* Cheap parameters for tests that only care about logic, not cost. */
static const struct password_params cheap = {64, 1, 1};

Test(password, hash_and_verify_owasp)
{
	char phc[PASSWORD_PHC_MAX];
	const char *pw = "correct horse battery staple";

	cr_assert_eq(
	    password_hash(&owasp, pw, strlen(pw), phc, sizeof(phc)), 0);
	cr_assert_eq(
	    strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0, "%s", phc);
	cr_assert_eq(password_verify(phc, pw, strlen(pw)), 0);
	cr_assert_eq(password_verify(
	                 phc, "correct horse battery stapler", strlen(pw) + 1),
	    1);
	cr_assert_eq(
	    password_verify(phc, "Correct horse battery staple", strlen(pw)),
	    1);
	cr_assert_eq(password_verify(phc, pw, strlen(pw) - 1), 1);
	cr_assert_eq(password_verify(phc, "", 0), 1);
}

Test(password, null_params_are_defaults)
{
	char phc[PASSWORD_PHC_MAX];

	cr_assert_eq(password_hash(NULL, "12345678", 8, phc, sizeof(phc)), 0);
	cr_assert_eq(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	cr_assert_eq(password_verify(phc, "12345678", 8), 0);
}

Test(password, salts_differ)
{
	char a[PASSWORD_PHC_MAX], b[PASSWORD_PHC_MAX];

	cr_assert_eq(
	    password_hash(&cheap, "samepassword", 12, a, sizeof(a)), 0);
	cr_assert_eq(
	    password_hash(&cheap, "samepassword", 12, b, sizeof(b)), 0);
	cr_assert_str_neq(a, b);
	cr_assert_eq(password_verify(a, "samepassword", 12), 0);
	cr_assert_eq(password_verify(b, "samepassword", 12), 0);
}

Test(password, long_passwords_differ_at_the_end)
{
	char pa[100], pb[100], phc[PASSWORD_PHC_MAX];

	memset(pa, 'p', sizeof(pa));
	memset(pb, 'p', sizeof(pb));
	pb[99] = 'q';
	cr_assert_eq(
	    password_hash(&owasp, pa, sizeof(pa), phc, sizeof(phc)), 0);
	cr_assert_eq(password_verify(phc, pa, sizeof(pa)), 0);
	cr_assert_eq(password_verify(phc, pb, sizeof(pb)), 1);
	cr_assert_eq(password_verify(phc, pa, 72), 1);
}

Test(password, max_length)
{
	char pw[PASSWORD_MAX_BYTES + 1], phc[PASSWORD_PHC_MAX];

	memset(pw, 'x', sizeof(pw));
	cr_assert_eq(
	    password_hash(&cheap, pw, PASSWORD_MAX_BYTES, phc, sizeof(phc)), 0);
	cr_assert_eq(password_verify(phc, pw, PASSWORD_MAX_BYTES), 0);
	cr_assert_eq(password_verify(phc, pw, PASSWORD_MAX_BYTES + 1), 1);
	cr_assert_eq(
	    password_hash(&cheap, pw, PASSWORD_MAX_BYTES + 1, phc, sizeof(phc)),
	    -1);
	cr_assert_str_eq(phc, "");
}

Test(password, hash_bad_args)
{
	static const struct password_params zero_t = {64, 0, 1};
	static const struct password_params zero_p = {64, 1, 0};
	static const struct password_params tiny_m = {4, 1, 1};
	static const struct password_params huge_m = {4u * 1024 * 1024, 1, 1};
	char phc[PASSWORD_PHC_MAX];

	cr_assert_eq(
	    password_hash(&zero_t, "password", 8, phc, sizeof(phc)), -1);
	cr_assert_eq(
	    password_hash(&zero_p, "password", 8, phc, sizeof(phc)), -1);
	cr_assert_eq(
	    password_hash(&tiny_m, "password", 8, phc, sizeof(phc)), -1);
	cr_assert_eq(
	    password_hash(&huge_m, "password", 8, phc, sizeof(phc)), -1);
	/* Output buffer too small. */
	cr_assert_eq(password_hash(&cheap, "password", 8, phc, 40), -1);
	cr_assert_eq(password_hash(&cheap, NULL, 8, phc, sizeof(phc)), -1);
}

Test(password, malformed_phc)
{
	char phc[PASSWORD_PHC_MAX], bad[PASSWORD_PHC_MAX + 8];
	char *p;

	cr_assert_eq(password_verify(NULL, "password", 8), -1);
	cr_assert_eq(password_verify("", "password", 8), -1);
	cr_assert_eq(password_verify("plaintext", "password", 8), -1);
	cr_assert_eq(password_verify("$argon2id$", "password", 8), -1);
	cr_assert_eq(
	    password_verify("$2b$12$abcdefghijklmnopqrstuv", "p", 1), -1);

	cr_assert_eq(password_hash(&cheap, "password", 8, phc, sizeof(phc)), 0);
	/* Other Argon2 variants are not accepted. */
	memcpy(bad, phc, sizeof(phc));
	memcpy(bad, "$argon2i$", 9);
	memmove(bad + 9, phc + 10, strlen(phc + 10) + 1);
	cr_assert_eq(password_verify(bad, "password", 8), -1);
	/* Truncated hash. */
	memcpy(bad, phc, sizeof(phc));
	bad[strlen(bad) - 10] = '\0';
	cr_assert_eq(password_verify(bad, "password", 8), -1);
	/* Garbage in the salt. */
	memcpy(bad, phc, sizeof(phc));
	p = strrchr(bad, '$');
	p[-2] = '!';
	cr_assert_eq(password_verify(bad, "password", 8), -1);
	/* Version other than 19. */
	memcpy(bad, phc, sizeof(phc));
	bad[13] = '6';
	cr_assert_eq(password_verify(bad, "password", 8), -1);
	/* Oversized string. */
	memset(bad, 'a', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	memcpy(bad, phc, strlen(phc));
	cr_assert_eq(password_verify(bad, "password", 8), -1);
}

Test(password, phc_cost_bounds)
{
	const char *salt_hash = "$c29tZXNhbHRzb21lc2FsdA"
	                        "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char phc[PASSWORD_PHC_MAX];

	/* 4 GiB of memory in a tampered row must not be attempted. */
	snprintf(
	    phc, sizeof(phc), "$argon2id$v=19$m=4194304,t=1,p=1%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), -1);
	snprintf(
	    phc, sizeof(phc), "$argon2id$v=19$m=64,t=1000,p=1%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), -1);
	snprintf(
	    phc, sizeof(phc), "$argon2id$v=19$m=64,t=1,p=255%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), -1);
	snprintf(phc, sizeof(phc), "$argon2id$v=19$m=64,t=0,p=1%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), -1);
	snprintf(phc, sizeof(phc), "$argon2id$v=19$m=-1,t=1,p=1%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), -1);
	/* Within bounds it is an ordinary mismatch. */
	snprintf(phc, sizeof(phc), "$argon2id$v=19$m=64,t=1,p=1%s", salt_hash);
	cr_assert_eq(password_verify(phc, "password", 8), 1);
}

Test(password, policy_code_points)
{
	const char *why = NULL;

	/* 7 code points, 14 bytes: too short. */
	cr_assert_eq(password_policy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                             "\xc3\xa9\xc3\xa9",
	                 14, &why),
	    -1);
	cr_assert_not_null(why);
	cr_assert_str_eq(why, "password is shorter than 8 characters");
	/* 8 code points. */
	cr_assert_eq(password_policy("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                             "\xc3\xa9\xc3\xa9\xc3\xa9",
	                 16, &why),
	    0);
	cr_assert_null(why);
	/* 7 four-byte emoji: 28 bytes but still 7 characters. */
	cr_assert_eq(password_policy("\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	                             "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	                             "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	                             "\xf0\x9f\x98\x80",
	                 28, &why),
	    -1);
	cr_assert_eq(password_policy("1234567", 7, &why), -1);
	cr_assert_eq(password_policy("12345678", 8, &why), 0);
	cr_assert_eq(password_policy("", 0, &why), -1);
	cr_assert_eq(password_policy(NULL, 0, &why), -1);
	cr_assert_eq(password_policy(NULL, 8, &why), -1);
}

Test(password, policy_bytes)
{
	char pw[PASSWORD_MAX_BYTES + 1];
	const char *why;

	memset(pw, 'a', sizeof(pw));
	cr_assert_eq(password_policy(pw, PASSWORD_MAX_BYTES, &why), 0);
	cr_assert_eq(password_policy(pw, PASSWORD_MAX_BYTES + 1, &why), -1);
	cr_assert_str_eq(why, "password is longer than 1024 bytes");
}

Test(password, policy_encoding)
{
	const char *why;

	cr_assert_eq(password_policy("abcd\0efgh", 9, &why), -1);
	cr_assert_str_eq(why, "password contains a NUL character");
	cr_assert_eq(password_policy("abcdefg\xff", 8, &why), -1);
	cr_assert_str_eq(why, "password is not valid UTF-8");
	cr_assert_eq(password_policy("abcdefg\xc0\xaf", 9, &why), -1);
	cr_assert_eq(password_policy("abcdefg\xed\xa0\x80", 10, &why), -1);
	cr_assert_eq(password_policy("abcdefgh\xc3", 9, &why), -1);
}
