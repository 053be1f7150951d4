#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/vcache.h"

static struct vclaims
claims(const char *sub, const char *sid, int64_t exp)
{
	struct vclaims c;

	memset(&c, 0, sizeof(c));
	snprintf(c.vc_sub, sizeof(c.vc_sub), "%s", sub);
	snprintf(c.vc_sid, sizeof(c.vc_sid), "%s", sid);
	snprintf(c.vc_tbl, sizeof(c.vc_tbl), "users");
	c.vc_exp = exp;
	return c;
}

Test(vcache, put_get_expiry)
{
	struct vcache *vc = vcache_new(8);
	struct vclaims c = claims("1", "s1", 1000), out;

	cr_assert_not_null(vc);
	cr_assert_eq(vcache_get(vc, "a.b.c", 5, 10, &out), 0);
	vcache_put(vc, "a.b.c", 5, &c);
	cr_assert_eq(vcache_get(vc, "a.b.c", 5, 999, &out), 1);
	cr_assert_str_eq(out.vc_sub, "1");
	cr_assert_str_eq(out.vc_sid, "s1");
	/* A prefix, a longer token, one changed byte: misses. */
	cr_assert_eq(vcache_get(vc, "a.b.", 4, 10, &out), 0);
	cr_assert_eq(vcache_get(vc, "a.b.cd", 6, 10, &out), 0);
	cr_assert_eq(vcache_get(vc, "a.b.d", 5, 10, &out), 0);
	/* At exp it is gone, and stays gone. */
	cr_assert_eq(vcache_get(vc, "a.b.c", 5, 1000, &out), 0);
	cr_assert_eq(vcache_count(vc), 0);
	cr_assert_eq(vcache_get(vc, "a.b.c", 5, 10, &out), 0);
	vcache_free(vc);
}

Test(vcache, revoke_sid_drops_every_token_of_it)
{
	struct vcache *vc = vcache_new(64);
	struct vclaims a = claims("1", "s1", 1000), b = claims("2", "s2", 1000),
	               out;
	char tok[32];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(tok, sizeof(tok), "tok-a-%d", i);
		vcache_put(vc, tok, strlen(tok), &a);
		snprintf(tok, sizeof(tok), "tok-b-%d", i);
		vcache_put(vc, tok, strlen(tok), &b);
	}
	cr_assert_eq(vcache_count(vc), 20);
	vcache_revoke_sid(vc, "s1");
	cr_assert_eq(vcache_count(vc), 10);
	cr_assert_eq(vcache_get(vc, "tok-a-3", 7, 10, &out), 0);
	cr_assert_eq(vcache_get(vc, "tok-b-3", 7, 10, &out), 1);
	vcache_revoke_sid(vc, "nope");
	cr_assert_eq(vcache_count(vc), 10);
	vcache_flush(vc);
	cr_assert_eq(vcache_count(vc), 0);
	cr_assert_eq(vcache_get(vc, "tok-b-3", 7, 10, &out), 0);
	vcache_free(vc);
}

Test(vcache, bounded)
{
	struct vcache *vc = vcache_new(100);
	struct vclaims c = claims("1", "s", 1000);
	char tok[32];
	int i;

	for (i = 0; i < 10000; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		vcache_put(vc, tok, strlen(tok), &c);
		cr_assert_leq(vcache_count(vc), 100);
	}
	/* The same token twice is one entry. */
	vcache_flush(vc);
	vcache_put(vc, "x", 1, &c);
	vcache_put(vc, "x", 1, &c);
	cr_assert_eq(vcache_count(vc), 1);
	vcache_free(vc);
}

Test(vcache, refuses_empty_and_oversized)
{
	static char big[VCACHE_TOKEN_MAX + 2];
	struct vcache *vc = vcache_new(4);
	struct vclaims c = claims("1", "s", 1000), out;

	memset(big, 'a', sizeof(big) - 1);
	vcache_put(vc, "", 0, &c);
	vcache_put(vc, big, VCACHE_TOKEN_MAX + 1, &c);
	cr_assert_eq(vcache_count(vc), 0);
	vcache_put(vc, big, VCACHE_TOKEN_MAX, &c);
	cr_assert_eq(vcache_get(vc, big, VCACHE_TOKEN_MAX, 1, &out), 1);
	cr_assert_null(vcache_new(0));
	vcache_free(vc);
	vcache_free(NULL);
}
