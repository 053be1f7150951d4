#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/b64url.h"
#include "common/buf.h"
#include "authd/token.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdeF";

#define NOW 1700000000LL

static void
claims(struct token_claims *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->tc_sub, "42");
	strcpy(c->tc_sid, "5f0c-session");
	strcpy(c->tc_tbl, "users");
	c->tc_iat = NOW;
	c->tc_exp = NOW + 3600;
}

/*
 * Builds "b64(hdr).b64(payload).b64(HMAC(key, first two))" from raw JSON,
 * so tests can sign anything they like with the real key.
 */
static char *
forge(const char *hdr, const char *payload, const unsigned char *k)
{
	unsigned char md[32];
	unsigned int mdlen;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(b64url_encode(hdr, strlen(hdr), &b), 0);
	cr_assert_eq(buf_addc(&b, '.'), 0);
	cr_assert_eq(b64url_encode(payload, strlen(payload), &b), 0);
	cr_assert_not_null(HMAC(EVP_sha256(), k, 32, (unsigned char *)b.b_data,
	    b.b_len, md, &mdlen));
	cr_assert_eq(buf_addc(&b, '.'), 0);
	cr_assert_eq(b64url_encode(md, mdlen, &b), 0);
	return buf_release(&b, NULL);
}

static enum token_err
verify(const char *tok, struct token_claims *out)
{
	return token_verify(key, sizeof(key), tok, strlen(tok), NOW, 30, out);
}

static const char good_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char good_pl[] = "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\","
                              "\"iat\":1700000000,\"exp\":1700003600}";

static void
expect(const char *hdr, const char *pl, enum token_err want)
{
	struct token_claims out;
	char *t = forge(hdr, pl, key);

	cr_assert_eq(verify(t, &out), want, "hdr %s pl %s: got %s", hdr, pl,
	    token_err_str(verify(t, &out)));
	free(t);
}

Test(token, round_trip)
{
	struct token_claims c, out;
	struct buf b;

	claims(&c);
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	cr_assert_eq(
	    strncmp(b.b_data, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0);
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_OK);
	cr_assert_str_eq(out.tc_sub, "42");
	cr_assert_str_eq(out.tc_sid, "5f0c-session");
	cr_assert_str_eq(out.tc_tbl, "users");
	cr_assert_eq(out.tc_iat, NOW);
	cr_assert_eq(out.tc_exp, NOW + 3600);
	buf_free(&b);
}

Test(token, round_trip_escaped_and_max_fields)
{
	struct token_claims c, out;
	struct buf b;

	claims(&c);
	strcpy(c.tc_sub, "a\"b\\c\x01\xc3\xa9");
	memset(c.tc_sid, '\x1f', TOKEN_FIELD_MAX - 1);
	c.tc_sid[TOKEN_FIELD_MAX - 1] = '\0';
	memset(c.tc_tbl, '"', TOKEN_FIELD_MAX - 1);
	c.tc_tbl[TOKEN_FIELD_MAX - 1] = '\0';
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	cr_assert_leq(b.b_len, TOKEN_MAX_LEN);
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_OK);
	cr_assert_str_eq(out.tc_sub, c.tc_sub);
	cr_assert_str_eq(out.tc_sid, c.tc_sid);
	cr_assert_str_eq(out.tc_tbl, c.tc_tbl);
	buf_free(&b);
}

Test(token, sign_appends_and_refuses_bad_claims)
{
	struct token_claims c;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "Bearer "), 0);
	claims(&c);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	cr_assert_eq(strncmp(b.b_data, "Bearer eyJ", 10), 0);
	buf_reset(&b);

	cr_assert_eq(token_sign(key, 0, &c, &b), -1);
	c.tc_sub[0] = '\0';
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), -1);
	claims(&c);
	memset(c.tc_sid, 'x', TOKEN_FIELD_MAX); /* not NUL-terminated */
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), -1);
	claims(&c);
	c.tc_exp = c.tc_iat - 1;
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), -1);
	claims(&c);
	c.tc_iat = -1;
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), -1);
	cr_assert_eq(b.b_len, 0);
	buf_free(&b);
}

Test(token, forge_helper_matches_sign)
{
	expect(good_hdr, good_pl, TOKEN_OK);
	expect("{\"alg\":\"HS256\"}", good_pl, TOKEN_OK);
	expect("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", good_pl, TOKEN_OK);
}

Test(token, tampered_signature)
{
	struct token_claims c, out;
	struct buf b;
	size_t i;

	claims(&c);
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	/* Change the first signature character (the last one is canonical). */
	i = (size_t)(strrchr(b.b_data, '.') - b.b_data) + 1;
	b.b_data[i] = b.b_data[i] == 'A' ? 'B' : 'A';
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_BAD_SIG);
	cr_assert_str_eq(out.tc_sub, "");
	/* Truncated or extended signature. */
	b.b_len -= 1;
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_BAD_SIG);
	buf_reset(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	cr_assert_eq(buf_addstr(&b, "AAAA"), 0);
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_BAD_SIG);
	buf_free(&b);
}

Test(token, tampered_payload)
{
	struct token_claims c, out;
	struct buf b, pl;
	char *t, *dot1, *dot2;

	claims(&c);
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	dot1 = strchr(b.b_data, '.');
	dot2 = strchr(dot1 + 1, '.');
	/* Replace the payload with one for sub 43, keep the signature. */
	buf_init(&pl);
	cr_assert_eq(buf_add(&pl, b.b_data, (size_t)(dot1 - b.b_data) + 1), 0);
	cr_assert_eq(
	    b64url_encode("{\"sub\":\"43\",\"sid\":\"5f0c-session\",\"tbl\":"
	                  "\"users\",\"iat\":1700000000,\"exp\":1700003600}",
	        strlen("{\"sub\":\"43\",\"sid\":\"5f0c-session\","
	               "\"tbl\":\"users\",\"iat\":1700000000,"
	               "\"exp\":1700003600}"),
	        &pl),
	    0);
	cr_assert_eq(buf_addstr(&pl, dot2), 0);
	cr_assert_eq(
	    token_verify(key, sizeof(key), pl.b_data, pl.b_len, NOW, 0, &out),
	    TOKEN_BAD_SIG);
	buf_free(&pl);
	buf_free(&b);

	t = forge(good_hdr, good_pl, key);
	dot1 = strchr(t, '.');
	dot1[1] = dot1[1] == 'e' ? 'f' : 'e';
	cr_assert_eq(verify(t, &out), TOKEN_BAD_SIG);
	free(t);
}

Test(token, wrong_key)
{
	struct token_claims out;
	char *t = forge(good_hdr, good_pl, key2);

	cr_assert_eq(verify(t, &out), TOKEN_BAD_SIG);
	cr_assert_eq(
	    token_verify(key, 0, t, strlen(t), NOW, 0, &out), TOKEN_BAD_SIG);
	free(t);
}

Test(token, bad_alg)
{
	expect("{\"alg\":\"none\",\"typ\":\"JWT\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"None\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"HS256 \"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"HS256\\u0000\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":\"\"}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":null}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":256}", good_pl, TOKEN_BAD_ALG);
	expect("{\"alg\":[\"HS256\"]}", good_pl, TOKEN_BAD_ALG);
	expect("{\"typ\":\"JWT\"}", good_pl, TOKEN_BAD_ALG);
	expect("{}", good_pl, TOKEN_BAD_ALG);
}

Test(token, alg_none_without_signature)
{
	struct token_claims out;
	struct buf b;

	/* The classic attack: alg none and an empty signature segment. */
	buf_init(&b);
	cr_assert_eq(b64url_encode("{\"alg\":\"none\"}", 14, &b), 0);
	cr_assert_eq(buf_addc(&b, '.'), 0);
	cr_assert_eq(b64url_encode(good_pl, strlen(good_pl), &b), 0);
	cr_assert_eq(buf_addc(&b, '.'), 0);
	cr_assert_eq(verify(b.b_data, &out), TOKEN_MALFORMED);
	cr_assert_eq(buf_addstr(&b, "AAAA"), 0);
	cr_assert_eq(verify(b.b_data, &out), TOKEN_BAD_ALG);
	buf_free(&b);
}

Test(token, bad_header)
{
	expect("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"1\"}", good_pl,
	    TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\",\"jku\":\"http://x\"}", good_pl,
	    TOKEN_MALFORMED);
	expect("{\"alg\":\"none\",\"x\":1}", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\",\"typ\":1}", good_pl, TOKEN_MALFORMED);
	expect("[\"HS256\"]", good_pl, TOKEN_MALFORMED);
	expect("\"HS256\"", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\"", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\"}x", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\"}{}", good_pl, TOKEN_MALFORMED);
	expect("{\"alg\":\"HS256\",}", good_pl, TOKEN_MALFORMED);
	expect("not json", good_pl, TOKEN_MALFORMED);
}

Test(token, oversized_header)
{
	char hdr[400];

	/* Valid JSON, but far larger than any header we issue. */
	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "{\"alg\":\"HS256\"", 14);
	hdr[sizeof(hdr) - 2] = '}';
	hdr[sizeof(hdr) - 1] = '\0';
	expect(hdr, good_pl, TOKEN_MALFORMED);
}

Test(token, bad_claims)
{
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":\"1700003600\"}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":1700003600.0}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":1.7e9}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":null}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":\"x\","
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"exp\":"
	    "1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":42,\"sid\":\"s\",\"tbl\":\"users\",\"iat\":1700000000,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":1700000000,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"4\\u00002\",\"sid\":\"s\",\"tbl\":\"users\","
	    "\"iat\":1700000000,\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sid\":\"s\",\"tbl\":\"users\",\"iat\":1700000000,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"tbl\":\"users\",\"iat\":1700000000,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"iat\":1700000000,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":-1,"
	    "\"exp\":1700003600}",
	    TOKEN_BAD_CLAIMS);
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":1699999999}",
	    TOKEN_BAD_CLAIMS);
	/* Extra claims are ignored. */
	expect(good_hdr,
	    "{\"sub\":\"42\",\"sid\":\"s\",\"tbl\":\"users\",\"iat\":"
	    "1700000000,"
	    "\"exp\":1700003600,\"admin\":true}",
	    TOKEN_OK);
}

Test(token, claim_length_limits)
{
	char pl[600], f[TOKEN_FIELD_MAX + 1];

	memset(f, 'a', TOKEN_FIELD_MAX - 1);
	f[TOKEN_FIELD_MAX - 1] = '\0';
	snprintf(pl, sizeof(pl),
	    "{\"sub\":\"%s\",\"sid\":\"s\",\"tbl\":\"t\",\"iat\":1,\"exp\":"
	    "1700003600}",
	    f);
	expect(good_hdr, pl, TOKEN_OK);
	memset(f, 'a', TOKEN_FIELD_MAX);
	f[TOKEN_FIELD_MAX] = '\0';
	snprintf(pl, sizeof(pl),
	    "{\"sub\":\"%s\",\"sid\":\"s\",\"tbl\":\"t\",\"iat\":1,\"exp\":"
	    "1700003600}",
	    f);
	expect(good_hdr, pl, TOKEN_BAD_CLAIMS);
}

Test(token, payload_not_object)
{
	expect(good_hdr, "[1,2,3]", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "\"sub\"", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "42", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "null", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "{}", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "1.5", TOKEN_BAD_CLAIMS);
	expect(good_hdr, "tru", TOKEN_MALFORMED);
	expect(good_hdr, "{\"sub\":", TOKEN_MALFORMED);
	expect(good_hdr, "garbage", TOKEN_MALFORMED);
	expect(good_hdr, "{} {}", TOKEN_MALFORMED);
}

Test(token, expiry_and_leeway)
{
	struct token_claims c, out;
	struct buf b;

	claims(&c);
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	/* now == exp is still valid; one second later it is not. */
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len, c.tc_exp,
	                 0, &out),
	    TOKEN_OK);
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len,
	                 c.tc_exp + 1, 0, &out),
	    TOKEN_EXPIRED);
	cr_assert_str_eq(out.tc_sub, "");
	/* Within leeway. */
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len,
	                 c.tc_exp + 30, 30, &out),
	    TOKEN_OK);
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len,
	                 c.tc_exp + 31, 30, &out),
	    TOKEN_EXPIRED);
	/* A negative leeway counts as none. */
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len, c.tc_exp,
	                 -100, &out),
	    TOKEN_OK);
	/* Extreme clocks must not overflow. */
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len,
	                 INT64_MAX, INT64_MAX, &out),
	    TOKEN_OK);
	cr_assert_eq(token_verify(key, sizeof(key), b.b_data, b.b_len,
	                 INT64_MIN, 0, &out),
	    TOKEN_OK);
	buf_free(&b);
}

Test(token, extreme_exp_values)
{
	struct token_claims out;
	char *t;

	t = forge(good_hdr,
	    "{\"sub\":\"1\",\"sid\":\"s\",\"tbl\":\"t\",\"iat\":0,"
	    "\"exp\":99999999999999999999999}",
	    key);
	cr_assert_eq(token_verify(key, sizeof(key), t, strlen(t), NOW, 0, &out),
	    TOKEN_OK);
	cr_assert_eq(token_verify(key, sizeof(key), t, strlen(t), INT64_MAX,
	                 INT64_MAX, &out),
	    TOKEN_OK);
	free(t);
	t = forge(good_hdr,
	    "{\"sub\":\"1\",\"sid\":\"s\",\"tbl\":\"t\",\"iat\":0,\"exp\":0}",
	    key);
	cr_assert_eq(token_verify(key, sizeof(key), t, strlen(t), NOW, 0, &out),
	    TOKEN_EXPIRED);
	cr_assert_eq(token_verify(key, sizeof(key), t, strlen(t), INT64_MIN,
	                 INT64_MAX, &out),
	    TOKEN_OK);
	free(t);
}

Test(token, segment_count)
{
	struct token_claims out;
	char *t, *bad;
	size_t n;

	cr_assert_eq(verify("", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify("abc", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify("abc.def", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify("a.b.c.d", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify("..", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify("...", &out), TOKEN_MALFORMED);
	cr_assert_eq(verify(".", &out), TOKEN_MALFORMED);

	t = forge(good_hdr, good_pl, key);
	n = strlen(t);
	cr_assert_not_null(bad = malloc(n + 3));
	/* Four segments: a valid token plus ".x". */
	snprintf(bad, n + 3, "%s.x", t);
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	/* Trailing dot: empty fourth segment. */
	snprintf(bad, n + 3, "%s.", t);
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	/* Leading dot. */
	snprintf(bad, n + 3, ".%s", t);
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	/* Empty payload segment. */
	strcpy(bad, t);
	{
		char *d1 = strchr(bad, '.'), *d2 = strchr(d1 + 1, '.');

		memmove(d1 + 1, d2, strlen(d2) + 1);
	}
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	/* Empty signature segment. */
	strcpy(bad, t);
	*(strrchr(bad, '.') + 1) = '\0';
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	/* Empty header segment. */
	strcpy(bad, strchr(t, '.'));
	cr_assert_eq(verify(bad, &out), TOKEN_MALFORMED);
	free(bad);
	free(t);
}

Test(token, bad_base64url)
{
	struct token_claims out;
	char *t, *p;

	t = forge(good_hdr, good_pl, key);
	/* Standard-alphabet characters in the header. */
	t[2] = '+';
	cr_assert_eq(verify(t, &out), TOKEN_MALFORMED);
	free(t);

	t = forge(good_hdr, good_pl, key);
	p = strrchr(t, '.') + 1;
	p[3] = '/';
	cr_assert_eq(verify(t, &out), TOKEN_BAD_SIG);
	free(t);

	t = forge(good_hdr, good_pl, key);
	p = strchr(t, '.') + 1;
	p[3] = '!';
	cr_assert_eq(verify(t, &out), TOKEN_BAD_SIG);
	free(t);
}

Test(token, padding_rejected)
{
	struct token_claims out;
	struct buf b;
	char *t;

	/* A 32-byte signature encodes to 43 chars; padded it would be 44. */
	t = forge(good_hdr, good_pl, key);
	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, t), 0);
	cr_assert_eq(buf_addc(&b, '='), 0);
	cr_assert_eq(verify(b.b_data, &out), TOKEN_BAD_SIG);
	buf_free(&b);
	free(t);

	/* Our header is 36 chars with no padding needed; add some anyway. */
	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "eyJhbGciOiJIUzI1NiJ9"), 0); /* alg HS256 */
	cr_assert_eq(buf_addstr(&b, "==.e30.AAAA"), 0);
	cr_assert_eq(verify(b.b_data, &out), TOKEN_MALFORMED);
	buf_free(&b);
}

Test(token, oversized)
{
	struct token_claims out;
	char *big;
	size_t n;

	n = 100 * 1024;
	cr_assert_not_null(big = malloc(n + 1));
	memset(big, 'A', n);
	big[n] = '\0';
	cr_assert_eq(token_verify(key, sizeof(key), big, n, NOW, 0, &out),
	    TOKEN_TOO_LONG);
	cr_assert_eq(token_verify(key, sizeof(key), big, TOKEN_MAX_LEN + 1, NOW,
	                 0, &out),
	    TOKEN_TOO_LONG);
	/* At exactly the limit the length is fine; the content is not. */
	cr_assert_eq(
	    token_verify(key, sizeof(key), big, TOKEN_MAX_LEN, NOW, 0, &out),
	    TOKEN_MALFORMED);
	/* A structurally valid token just over the limit. */
	big[10] = '.';
	big[20] = '.';
	cr_assert_eq(token_verify(key, sizeof(key), big, TOKEN_MAX_LEN + 1, NOW,
	                 0, &out),
	    TOKEN_TOO_LONG);
	free(big);
	cr_assert_eq(token_verify(key, sizeof(key), NULL, 0, NOW, 0, &out),
	    TOKEN_MALFORMED);
}

Test(token, payload_near_limit)
{
	struct token_claims out;
	char *pl, *t;
	size_t n = 2900, len;

	/* An extra claim pushes the encoded payload near TOKEN_MAX_LEN. */
	cr_assert_not_null(pl = malloc(n + 200));
	len = (size_t)snprintf(pl, n + 200,
	    "{\"sub\":\"1\",\"sid\":\"s\",\"tbl\":\"t\",\"iat\":1,"
	    "\"exp\":1700003600,\"x\":\"");
	memset(pl + len, 'x', n - len);
	strcpy(pl + n, "\"}");
	t = forge(good_hdr, pl, key);
	cr_assert_leq(strlen(t), TOKEN_MAX_LEN);
	cr_assert_eq(verify(t, &out), TOKEN_OK);
	free(t);
	free(pl);
}

Test(token, garbage_bytes)
{
	static const char g1[] = "\x00\x01\x02.\xff\xfe.\x80\x81";
	static const char g2[] = "eyJhbGciOiJIUzI1NiJ9\0.e30.AAAA";
	struct token_claims out;
	unsigned char rnd[512];
	size_t i, j;

	cr_assert_eq(
	    token_verify(key, sizeof(key), g1, sizeof(g1) - 1, NOW, 0, &out),
	    TOKEN_MALFORMED);
	cr_assert_eq(
	    token_verify(key, sizeof(key), g2, sizeof(g2) - 1, NOW, 0, &out),
	    TOKEN_MALFORMED);
	cr_assert_eq(token_verify(key, sizeof(key), "\0\0\0", 3, NOW, 0, &out),
	    TOKEN_MALFORMED);
	cr_assert_eq(token_verify(key, sizeof(key), "a.\0.c", 5, NOW, 0, &out),
	    TOKEN_MALFORMED);
	/* Deterministic pseudo-random junk with dots sprinkled in. */
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < sizeof(rnd); j++)
			rnd[j] = (unsigned char)((i * 131 + j * 17) ^ (j >> 3));
		rnd[i % sizeof(rnd)] = '.';
		rnd[(i * 7) % sizeof(rnd)] = '.';
		cr_assert_neq(token_verify(key, sizeof(key), (char *)rnd,
		                  (i % sizeof(rnd)) + 1, NOW, 0, &out),
		    TOKEN_OK);
	}
}

Test(token, err_str)
{
	cr_assert_str_eq(token_err_str(TOKEN_OK), "ok");
	cr_assert_str_eq(token_err_str(TOKEN_EXPIRED), "token expired");
	cr_assert_str_eq(token_err_str(TOKEN_BAD_SIG), "bad signature");
	cr_assert_not_null(token_err_str((enum token_err)99));
}

Test(token, every_single_byte_mutation_fails)
{
	static const char subst[] = {
	    '.', 'A', 'B', '_', '-', '=', '\0', '\xff'};
	struct token_claims c, out;
	struct buf b;
	size_t i, k;
	char orig;

	claims(&c);
	buf_init(&b);
	cr_assert_eq(token_sign(key, sizeof(key), &c, &b), 0);
	for (i = 0; i < b.b_len; i++) {
		orig = b.b_data[i];
		for (k = 0; k < sizeof(subst); k++) {
			if (subst[k] == orig)
				continue;
			b.b_data[i] = subst[k];
			cr_assert_neq(token_verify(key, sizeof(key), b.b_data,
			                  b.b_len, NOW, 0, &out),
			    TOKEN_OK, "pos %zu char %d", i, subst[k]);
		}
		b.b_data[i] = orig;
		/* Dropping the byte fails too. */
		cr_assert_neq(
		    token_verify(key, sizeof(key), b.b_data, i, NOW, 0, &out),
		    TOKEN_OK);
	}
	cr_assert_eq(
	    token_verify(key, sizeof(key), b.b_data, b.b_len, NOW, 0, &out),
	    TOKEN_OK);
	buf_free(&b);
}
