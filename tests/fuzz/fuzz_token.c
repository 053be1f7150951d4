/*
 * JWT verification (authd/token.c).  Two modes, chosen by the first byte:
 * even, the rest is a token verified as it comes (the header checks, the
 * MAC compare); odd, the rest is a claims payload that the fuzzer cannot
 * sign itself, so we sign it with the right key and header, which lets
 * the claims parser behind the MAC see fuzzed input too.  Whatever
 * verifies must carry claims within their documented bounds.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "authd/token.h"
#include "common/b64url.h"
#include "common/buf.h"
#include "fuzz.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
#define NOW 1700000000
#define LEEWAY 30

static void
check(const char *tok, size_t len)
{
	struct token_claims c;
	enum token_err e;

	e = token_verify(key, sizeof(key), tok, len, NOW, LEEWAY, &c);
	if (e != TOKEN_OK)
		return;
	FUZZ_CHECK(len <= TOKEN_MAX_LEN);
	FUZZ_CHECK(
	    c.tc_sub[0] != '\0' && c.tc_sid[0] != '\0' && c.tc_tbl[0] != '\0');
	FUZZ_CHECK(memchr(c.tc_sub, '\0', TOKEN_FIELD_MAX) != NULL);
	FUZZ_CHECK(c.tc_iat >= 0 && c.tc_exp >= c.tc_iat);
	FUZZ_CHECK(c.tc_exp >= NOW - LEEWAY);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf t;

	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		check((const char *)data + 1, size - 1);
		return 0;
	}
	buf_init(&t);
	if (b64url_encode(hdr, sizeof(hdr) - 1, &t) == -1 ||
	    buf_addc(&t, '.') == -1 ||
	    b64url_encode(data + 1, size - 1, &t) == -1)
		goto done;
	if (HMAC(EVP_sha256(), key, sizeof(key),
	        (const unsigned char *)t.b_data, t.b_len, md, &mdlen) == NULL ||
	    buf_addc(&t, '.') == -1 || b64url_encode(md, mdlen, &t) == -1)
		goto done;
	check(t.b_data, t.b_len);
done:
	buf_free(&t);
	return 0;
}
