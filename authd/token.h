/*
 * Access tokens: JWT (RFC 7519) signed with HMAC-SHA256.  Pure logic, no
 * I/O: the caller supplies the key and the current time.
 */
#ifndef POSTERN_AUTHD_TOKEN_H
#define POSTERN_AUTHD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define TOKEN_MAX_LEN 4096
#define TOKEN_FIELD_MAX 128

struct token_claims {
	char tc_sub[TOKEN_FIELD_MAX]; /* user id */
	char tc_sid[TOKEN_FIELD_MAX]; /* session id */
	char tc_tbl[TOKEN_FIELD_MAX]; /* auth table */
	int64_t tc_iat;
	int64_t tc_exp;
};

enum token_err {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,
	TOKEN_BAD_ALG,
	TOKEN_BAD_SIG,
	TOKEN_EXPIRED,
	TOKEN_BAD_CLAIMS,
	TOKEN_TOO_LONG
};

/* A short static description, e.g. for ANS_VERIFY's reason field. */
const char *token_err_str(enum token_err e);

/*
 * Appends a signed token to out.  The header is exactly
 * {"alg":"HS256","typ":"JWT"}; the payload is
 * {"sub":..,"sid":..,"tbl":..,"iat":N,"exp":N}.  Fails (-1, out unchanged)
 * if keylen is 0, a string claim is empty or not NUL-terminated within
 * TOKEN_FIELD_MAX, iat < 0 or exp < iat.
 */
int token_sign(const unsigned char *key, size_t keylen,
    const struct token_claims *c, struct buf *out);

/*
 * Verifies tok[0..len).  Checks run in this order, and the first failure is
 * returned:
 *
 *	len > TOKEN_MAX_LEN                               TOKEN_TOO_LONG
 *	not three non-empty dot-separated segments        TOKEN_MALFORMED
 *	header not strict base64url / JSON object with
 *	    only "alg" and optional "typ":"JWT"           TOKEN_MALFORMED
 *	"alg" missing or not exactly "HS256"              TOKEN_BAD_ALG
 *	signature not 32 bytes or HMAC mismatch           TOKEN_BAD_SIG
 *	payload not base64url / not parseable JSON        TOKEN_MALFORMED
 *	payload not an object; sub/sid/tbl not non-empty
 *	    strings < TOKEN_FIELD_MAX bytes without NUL;
 *	    iat/exp not JSON integers; iat < 0; exp < iat TOKEN_BAD_CLAIMS
 *	now > exp + leeway                                TOKEN_EXPIRED
 *
 * The payload is only parsed after the MAC matched.  *out is filled only on
 * TOKEN_OK and zeroed otherwise.  Extra payload claims are ignored.
 */
enum token_err token_verify(const unsigned char *key, size_t keylen,
    const char *tok, size_t len, int64_t now, int64_t leeway,
    struct token_claims *out);

#endif
