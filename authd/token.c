#include <errno.h>
#include <limits.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/b64url.h"
#include "common/buf.h"
#include "authd/token.h"

#define TOKEN_SIG_LEN 32
/* Our header decodes to 27 bytes; anything much larger is not ours. */
#define TOKEN_HDR_MAX 256

/* base64url of {"alg":"HS256","typ":"JWT"}: the only header we issue. */
static const char token_hdr_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

const char *
token_err_str(enum token_err e)
{
	switch (e) {
	case TOKEN_OK:
		return "ok";
	case TOKEN_MALFORMED:
		return "malformed token";
	case TOKEN_BAD_ALG:
		return "unsupported algorithm";
	case TOKEN_BAD_SIG:
		return "bad signature";
	case TOKEN_EXPIRED:
		return "token expired";
	case TOKEN_BAD_CLAIMS:
		return "bad claims";
	case TOKEN_TOO_LONG:
		return "token too long";
	}
	return "unknown token error";
}

static int
token_hmac(const unsigned char *key, size_t keylen, const char *data, size_t n,
    unsigned char md[TOKEN_SIG_LEN])
{
	unsigned int mdlen = 0;

	if (keylen == 0 || keylen > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, n,
	        md, &mdlen) == NULL ||
	    mdlen != TOKEN_SIG_LEN)
		return -1;
	return 0;
}

/* A claim string must be non-empty and NUL-terminated inside its array. */
static int
token_field_ok(const char *s)
{
	size_t n = strnlen(s, TOKEN_FIELD_MAX);

	return n > 0 && n < TOKEN_FIELD_MAX;
}

int
token_sign(const unsigned char *key, size_t keylen,
    const struct token_claims *c, struct buf *out)
{
	unsigned char md[TOKEN_SIG_LEN];
	struct buf pl;
	size_t start = out->b_len;
	int rv = -1;

	buf_init(&pl);
	if (keylen == 0 || !token_field_ok(c->tc_sub) ||
	    !token_field_ok(c->tc_sid) || !token_field_ok(c->tc_tbl) ||
	    c->tc_iat < 0 || c->tc_exp < c->tc_iat) {
		errno = EINVAL;
		goto fail;
	}

	buf_addstr(&pl, "{\"sub\":");
	buf_add_json_str(&pl, c->tc_sub, strlen(c->tc_sub));
	buf_addstr(&pl, ",\"sid\":");
	buf_add_json_str(&pl, c->tc_sid, strlen(c->tc_sid));
	buf_addstr(&pl, ",\"tbl\":");
	buf_add_json_str(&pl, c->tc_tbl, strlen(c->tc_tbl));
	buf_printf(&pl, ",\"iat\":%lld,\"exp\":%lld}", (long long)c->tc_iat,
	    (long long)c->tc_exp);
	if (buf_error(&pl) == -1)
		goto fail;

	buf_addstr(out, token_hdr_b64);
	buf_addc(out, '.');
	/* b64url_encode reserves first, so it also fails on out's error. */
	if (b64url_encode(pl.b_data, pl.b_len, out) == -1)
		goto fail;
	if (token_hmac(
	        key, keylen, out->b_data + start, out->b_len - start, md) == -1)
		goto fail;
	buf_addc(out, '.');
	if (b64url_encode(md, sizeof(md), out) == -1)
		goto fail;
	/* Never issue what token_verify would refuse. */
	if (out->b_len - start > TOKEN_MAX_LEN) {
		errno = EOVERFLOW;
		goto fail;
	}
	rv = 0;
fail:
	if (rv == -1 && out->b_data != NULL) {
		out->b_len = start;
		out->b_data[start] = '\0';
	}
	OPENSSL_cleanse(md, sizeof(md));
	buf_free(&pl);
	return rv;
}

/*
 * Parses p[0..n) as one JSON value in strict mode; p[n] must be a NUL byte
 * the caller put there, which tells json-c the input ends (otherwise a bare
 * number such as "42" would stay incomplete).  Returns 0 and the value in
 * *objp (NULL for JSON null), or -1 if the text is not exactly one JSON
 * value or contains a NUL byte of its own.
 */
static int
token_json_parse(const unsigned char *p, size_t n, struct json_object **objp)
{
	struct json_tokener *tok;
	struct json_object *obj;
	int rv = -1;

	*objp = NULL;
	if (n == 0 || n >= INT_MAX || p[n] != '\0' ||
	    memchr(p, '\0', n) != NULL)
		return -1;
	if ((tok = json_tokener_new()) == NULL)
		return -1;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)p, (int)n + 1);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		json_object_put(obj);
		goto fail;
	}
	*objp = obj;
	rv = 0;
fail:
	json_tokener_free(tok);
	return rv;
}

static enum token_err
token_check_header(const char *seg, size_t n)
{
	unsigned char raw[TOKEN_HDR_MAX];
	struct json_object *hdr = NULL, *alg = NULL, *typ = NULL;
	enum token_err err = TOKEN_MALFORMED;
	size_t rawlen, nkeys = 0;

	/* One byte is kept for the NUL token_json_parse wants. */
	if (b64url_decode(seg, n, raw, sizeof(raw) - 1, &rawlen) == -1)
		goto out;
	raw[rawlen] = '\0';
	if (token_json_parse(raw, rawlen, &hdr) == -1 ||
	    !json_object_is_type(hdr, json_type_object))
		goto out;
	if (json_object_object_get_ex(hdr, "typ", &typ)) {
		nkeys++;
		if (!json_object_is_type(typ, json_type_string) ||
		    json_object_get_string_len(typ) != 3 ||
		    memcmp(json_object_get_string(typ), "JWT", 3) != 0)
			goto out;
	}
	if (json_object_object_get_ex(hdr, "alg", &alg))
		nkeys++;
	/* Any key other than alg and typ: we do not know what it means. */
	if ((size_t)json_object_object_length(hdr) != nkeys)
		goto out;
	err = TOKEN_BAD_ALG;
	if (alg == NULL || !json_object_is_type(alg, json_type_string) ||
	    json_object_get_string_len(alg) != 5 ||
	    memcmp(json_object_get_string(alg), "HS256", 5) != 0)
		goto out;
	err = TOKEN_OK;
out:
	json_object_put(hdr);
	return err;
}

static int
token_get_field(struct json_object *pl, const char *name, char *dst)
{
	struct json_object *v;
	const char *s;
	int n;

	if (!json_object_object_get_ex(pl, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (n <= 0 || n >= TOKEN_FIELD_MAX || memchr(s, '\0', (size_t)n))
		return -1;
	memcpy(dst, s, (size_t)n);
	dst[n] = '\0';
	return 0;
}

static int
token_get_int(struct json_object *pl, const char *name, int64_t *dst)
{
	struct json_object *v;

	if (!json_object_object_get_ex(pl, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*dst = json_object_get_int64(v);
	return 0;
}

enum token_err
token_verify(const unsigned char *key, size_t keylen, const char *tok,
    size_t len, int64_t now, int64_t leeway, struct token_claims *out)
{
	unsigned char raw[TOKEN_MAX_LEN];
	unsigned char md[TOKEN_SIG_LEN], sig[TOKEN_SIG_LEN];
	struct json_object *pl = NULL;
	struct token_claims c;
	const char *d1, *d2, *end;
	size_t rawlen, siglen;
	int64_t age;
	enum token_err err;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (len > TOKEN_MAX_LEN)
		return TOKEN_TOO_LONG;
	if (tok == NULL)
		return TOKEN_MALFORMED;

	/* Exactly three non-empty segments. */
	end = tok + len;
	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1))) == NULL ||
	    memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) != NULL || d1 == tok ||
	    d2 == d1 + 1 || d2 + 1 == end)
		return TOKEN_MALFORMED;

	if ((err = token_check_header(tok, (size_t)(d1 - tok))) != TOKEN_OK)
		return err;

	err = TOKEN_BAD_SIG;
	if (b64url_decode(d2 + 1, (size_t)(end - d2 - 1), sig, sizeof(sig),
	        &siglen) == -1 ||
	    siglen != TOKEN_SIG_LEN)
		goto out;
	if (token_hmac(key, keylen, tok, (size_t)(d2 - tok), md) == -1 ||
	    CRYPTO_memcmp(md, sig, TOKEN_SIG_LEN) != 0)
		goto out;

	/* Signed by us: now, and only now, look at the claims. */
	err = TOKEN_MALFORMED;
	if (b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw, sizeof(raw) - 1,
	        &rawlen) == -1)
		goto out;
	raw[rawlen] = '\0';
	if (token_json_parse(raw, rawlen, &pl) == -1)
		goto out;
	err = TOKEN_BAD_CLAIMS;
	if (!json_object_is_type(pl, json_type_object) ||
	    token_get_field(pl, "sub", c.tc_sub) == -1 ||
	    token_get_field(pl, "sid", c.tc_sid) == -1 ||
	    token_get_field(pl, "tbl", c.tc_tbl) == -1 ||
	    token_get_int(pl, "iat", &c.tc_iat) == -1 ||
	    token_get_int(pl, "exp", &c.tc_exp) == -1 || c.tc_iat < 0 ||
	    c.tc_exp < c.tc_iat)
		goto out;

	/*
	 * With now > exp the difference is positive, and if it overflows it
	 * is larger than any leeway: expired either way.
	 */
	err = TOKEN_EXPIRED;
	if (leeway < 0)
		leeway = 0;
	if (now > c.tc_exp &&
	    (__builtin_sub_overflow(now, c.tc_exp, &age) || age > leeway))
		goto out;

	*out = c;
	err = TOKEN_OK;
out:
	json_object_put(pl);
	OPENSSL_cleanse(md, sizeof(md));
	return err;
}
