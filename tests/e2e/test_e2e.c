/*
 * End-to-end tests: the README's tutorial and the error contract of
 * docs/errors.md, docs/auth.md and docs/data-api.md, driven over HTTP against
 * the real daemons and a real PostgreSQL (deploy/dev up; see e2e.h).  Every
 * test uses its own random email addresses, so that the tests can run in
 * parallel and again on the same database.
 */
#include <sys/types.h>

#include <ctype.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "authd/token.h"
#include "common/b64url.h"
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)

/*
 * No test may override .timeout: with a per-test timeout other than the
 * suite's, Criterion 2.4's runner leaks 48 bytes, which fails the ASan build.
 */
TestSuite(e2e, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

static struct json_object *
field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* Fails if any key anywhere in o smells of password material. */
static void
assert_no_secret_keys(struct json_object *o)
{
	size_t i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			assert_no_secret_keys(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		cr_assert(strcasestr(k, "password") == NULL &&
		              strcasestr(k, "hash") == NULL &&
		              strcasecmp(k, "pw") != 0,
		    "response carries a key \"%s\"", k);
		assert_no_secret_keys(v);
	}
}

/*
 * Checks a token response (docs/auth.md) for email (lowercase) and
 * copies its access token into tok.
 */
static void
assert_token_response(const struct e2e_resp *r, long status, const char *email,
    const char *password, char *tok)
{
	struct json_object *j = r->er_json, *v, *u;
	char ct[E2E_HDR_MAX];
	const char *s, *d1;

	cr_assert_eq(r->er_status, status, "expected %ld, got %ld: %s", status,
	    r->er_status, e2e_body(r));
	cr_assert(e2e_header(r, "Content-Type", ct, sizeof(ct)) == 0 &&
	              strncasecmp(ct, "application/json", 16) == 0,
	    "Content-Type is not application/json");
	cr_assert(
	    e2e_header(r, "X-Request-Id", ct, sizeof(ct)) == 0 && ct[0] != '\0',
	    "no X-Request-Id");
	cr_assert(j != NULL && json_object_is_type(j, json_type_object),
	    "body is not a JSON object: %s", e2e_body(r));

	v = field(j, "access_token");
	cr_assert(v != NULL && json_object_is_type(v, json_type_string));
	s = json_object_get_string(v);
	cr_assert((d1 = strchr(s, '.')) != NULL &&
	              strchr(d1 + 1, '.') != NULL &&
	              strchr(strchr(d1 + 1, '.') + 1, '.') == NULL,
	    "access_token is not three dot-separated segments: %s", s);
	cr_assert(strlen(s) < TOKCAP);
	memcpy(tok, s, strlen(s) + 1);

	v = field(j, "token_type");
	cr_assert(v != NULL && json_object_is_type(v, json_type_string) &&
	          strcmp(json_object_get_string(v), "bearer") == 0);
	v = field(j, "expires_in");
	cr_assert(v != NULL && json_object_is_type(v, json_type_int) &&
	          json_object_get_int64(v) == 3600);
	v = field(j, "refresh_token");
	cr_assert(v != NULL && json_object_is_type(v, json_type_string) &&
	              json_object_get_string_len(v) >= 43,
	    "refresh_token missing or shorter than 43 chars");

	u = field(j, "user");
	cr_assert(u != NULL && json_object_is_type(u, json_type_object));
	v = field(u, "id");
	cr_assert(v != NULL && !json_object_is_type(v, json_type_null),
	    "user.id missing");
	v = field(u, "email");
	cr_assert(v != NULL && json_object_is_type(v, json_type_string));
	cr_assert_str_eq(json_object_get_string(v), email);

	assert_no_secret_keys(j);
	cr_assert(strstr(e2e_body(r), password) == NULL,
	    "the response contains the password");
	cr_assert(strstr(e2e_body(r), "$argon2") == NULL,
	    "the response contains a password hash");
}

static void
assert_table_1(const char *tok)
{
	struct e2e_resp r;
	struct json_object *row;
	size_t i, n;

	cr_assert(e2e_get("/table_1", tok, &r) == 0);
	cr_assert_eq(r.er_status, 200, "GET /table_1: %ld %s", r.er_status,
	    e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	              json_object_is_type(r.er_json, json_type_array),
	    "not a JSON array: %s", e2e_body(&r));
	n = json_object_array_length(r.er_json);
	cr_assert_geq(n, 5, "table_1 has %zu rows, want >= 5", n);
	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(r.er_json, i);
		cr_assert(json_object_is_type(row, json_type_object));
		cr_assert(field(row, "id") != NULL &&
		              field(row, "title") != NULL &&
		              field(row, "done") != NULL,
		    "row %zu lacks id/title/done", i);
	}
	e2e_resp_free(&r);
}

static void
creds_body(struct buf *b, const char *email, const char *password)
{
	buf_init(b);
	cr_assert(buf_printf(b, "{\"email\":\"%s\",\"password\":\"%s\"}", email,
	              password) == 0);
}

static void
fresh_token(char *tok)
{
	char email[128];

	e2e_email(email, sizeof(email), "tok");
	e2e_signup(email, PASSWORD, tok, TOKCAP);
}

/* ---------------------------------------------------------- 1. tutorial */

Test(e2e, tutorial)
{
	char email[128], lower[128], tok[TOKCAP], tok2[TOKCAP];
	struct e2e_resp r;
	struct buf b;

	/* Mixed case in, lowercase out: emails are normalised. */
	e2e_email(lower, sizeof(lower), "tutorial");
	memcpy(email, lower, sizeof(email));
	email[0] = 'T';
	email[strlen(email) - 3] = 'C'; /* .com -> .cOm */
	buf_init(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"%s\","
	              "\"name\":\"Tutorial User\"}",
	              email, PASSWORD) == 0);
	cr_assert(e2e_post_json("/auth/signup", b.b_data, &r) == 0);
	assert_token_response(&r, 201, lower, PASSWORD, tok);
	e2e_resp_free(&r);
	buf_free(&b);

	assert_table_1(tok);

	/* A lost token is replaced by logging in again. */
	creds_body(&b, email, PASSWORD);
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	assert_token_response(&r, 200, lower, PASSWORD, tok2);
	e2e_resp_free(&r);
	buf_free(&b);
	assert_table_1(tok2);
}

/* ---------------------------------------------------- 2. 401 on tokens */

/*
 * Sends GET /table_1 with the Authorization header value auth (none if
 * NULL) and checks the 401 of docs/errors.md.
 */
static void
expect_401_auth(const char *auth, int token_given)
{
	struct e2e_req rq = {.rq_path = "/table_1"};
	const char *hdrs[2] = {NULL, NULL};
	char www[E2E_HDR_MAX];
	struct e2e_resp r;
	struct buf h;

	buf_init(&h);
	if (auth != NULL) {
		cr_assert(buf_printf(&h, "Authorization: %s", auth) == 0);
		hdrs[0] = h.b_data;
		rq.rq_hdrs = hdrs;
	}
	cr_assert(e2e_do(&rq, &r) == 0, "GET /table_1: no answer");
	e2e_assert_error(&r, 401);
	cr_assert(e2e_header(&r, "WWW-Authenticate", www, sizeof(www)) == 0,
	    "401 without WWW-Authenticate");
	cr_assert(strncmp(www, "Bearer", 6) == 0,
	    "WWW-Authenticate does not start with Bearer: %s", www);
	if (token_given)
		cr_assert(strstr(www, "error=\"invalid_token\"") != NULL,
		    "WWW-Authenticate lacks error=\"invalid_token\": %s", www);
	e2e_resp_free(&r);
	buf_free(&h);
}

static void
expect_401(const char *tok)
{
	struct buf a;

	buf_init(&a);
	cr_assert(buf_printf(&a, "Bearer %s", tok) == 0);
	expect_401_auth(a.b_data, 1);
	buf_free(&a);
}

/* The three segments of tok, NUL-terminated, in parts (which it owns). */
struct jwt {
	char jw_buf[TOKCAP];
	char *jw_head, *jw_payload, *jw_sig;
};

static void
jwt_split(const char *tok, struct jwt *j)
{
	char *d;

	cr_assert(strlen(tok) < sizeof(j->jw_buf));
	memcpy(j->jw_buf, tok, strlen(tok) + 1);
	j->jw_head = j->jw_buf;
	cr_assert((d = strchr(j->jw_head, '.')) != NULL);
	*d = '\0';
	j->jw_payload = d + 1;
	cr_assert((d = strchr(j->jw_payload, '.')) != NULL);
	*d = '\0';
	j->jw_sig = d + 1;
}

/* The token's payload as JSON (caller puts it). */
static struct json_object *
jwt_payload(const char *tok)
{
	unsigned char raw[TOKCAP];
	struct json_object *o;
	struct jwt j;
	size_t n;

	jwt_split(tok, &j);
	cr_assert(b64url_decode(j.jw_payload, strlen(j.jw_payload), raw,
	              sizeof(raw) - 1, &n) == 0);
	raw[n] = '\0';
	o = json_tokener_parse((char *)raw);
	cr_assert(o != NULL && json_object_is_type(o, json_type_object));
	return o;
}

static void
b64_str(struct buf *out, const char *s)
{
	cr_assert(b64url_encode(s, strlen(s), out) == 0);
}

/* The claims of a real token, with iat/exp replaced. */
static void
claims_of(const char *tok, int64_t iat, int64_t exp, struct token_claims *c)
{
	struct json_object *p = jwt_payload(tok), *v;

	memset(c, 0, sizeof(*c));
	cr_assert((v = field(p, "sub")) != NULL);
	snprintf(c->tc_sub, sizeof(c->tc_sub), "%s", json_object_get_string(v));
	cr_assert((v = field(p, "sid")) != NULL);
	snprintf(c->tc_sid, sizeof(c->tc_sid), "%s", json_object_get_string(v));
	cr_assert((v = field(p, "tbl")) != NULL);
	snprintf(c->tc_tbl, sizeof(c->tc_tbl), "%s", json_object_get_string(v));
	c->tc_iat = iat;
	c->tc_exp = exp;
	json_object_put(p);
}

static void
read_key(unsigned char *key, size_t cap, size_t *len)
{
	cr_assert(e2e_read_key(key, cap, len) == 0,
	    "cannot read the signing key (key_file in %s); the tests must "
	    "run as a user who can read it",
	    e2e_cf.ee_conf);
}

Test(e2e, no_authorization_header)
{
	expect_401_auth(NULL, 0);
}

Test(e2e, basic_scheme)
{
	expect_401_auth("Basic dXNlcjpwYXNzd29yZA==", 0);
}

Test(e2e, malformed_token)
{
	expect_401("abc");
	expect_401("a.b.c");
	expect_401("eyJhbGciOiJIUzI1NiJ9..");
	/* A scheme without a token is no token. */
	expect_401_auth("Bearer", 0);
}

Test(e2e, flipped_signature)
{
	char tok[TOKCAP];
	struct jwt j;
	struct buf t;

	fresh_token(tok);
	assert_table_1(tok);
	jwt_split(tok, &j);
	j.jw_sig[0] = j.jw_sig[0] == 'A' ? 'B' : 'A';
	buf_init(&t);
	cr_assert(
	    buf_printf(&t, "%s.%s.%s", j.jw_head, j.jw_payload, j.jw_sig) == 0);
	expect_401(t.b_data);
	buf_free(&t);
}

Test(e2e, tampered_payload)
{
	char tok[TOKCAP], other[TOKCAP];
	struct json_object *p, *po;
	struct jwt j;
	struct buf t;

	/* Claim to be another, real user: the signature must not follow. */
	fresh_token(tok);
	fresh_token(other);
	p = jwt_payload(tok);
	po = jwt_payload(other);
	json_object_object_add(p, "sub", json_object_get(field(po, "sub")));
	jwt_split(tok, &j);
	buf_init(&t);
	cr_assert(buf_printf(&t, "%s.", j.jw_head) == 0);
	b64_str(&t, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	cr_assert(buf_printf(&t, ".%s", j.jw_sig) == 0);
	expect_401(t.b_data);

	/* A longer lifetime, same sub. */
	json_object_put(p);
	p = jwt_payload(tok);
	json_object_object_add(
	    p, "exp", json_object_new_int64((int64_t)time(NULL) + 86400 * 365));
	buf_reset(&t);
	cr_assert(buf_printf(&t, "%s.", j.jw_head) == 0);
	b64_str(&t, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	cr_assert(buf_printf(&t, ".%s", j.jw_sig) == 0);
	expect_401(t.b_data);

	json_object_put(p);
	json_object_put(po);
	buf_free(&t);
}

/* header.payload-of-tok.sig: the payload of a real token. */
static void
with_header(const char *tok, const char *header, const char *sig, struct buf *t)
{
	struct jwt j;

	jwt_split(tok, &j);
	buf_init(t);
	b64_str(t, header);
	cr_assert(buf_printf(t, ".%s.%s", j.jw_payload, sig) == 0);
}

Test(e2e, alg_none)
{
	static const char *const hdrs[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"None\",\"typ\":\"JWT\"}", "{\"alg\":\"NONE\"}",
	    "{\"typ\":\"JWT\"}"};
	char tok[TOKCAP];
	struct jwt j;
	struct buf t;
	size_t i;

	fresh_token(tok);
	jwt_split(tok, &j);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		with_header(tok, hdrs[i], "", &t);
		expect_401(t.b_data);
		buf_free(&t);
		/* The original signature does not help either. */
		with_header(tok, hdrs[i], j.jw_sig, &t);
		expect_401(t.b_data);
		buf_free(&t);
	}
}

Test(e2e, alg_hs512_with_real_key)
{
	unsigned char key[1024], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char tok[TOKCAP];
	struct buf t;
	size_t keylen;

	fresh_token(tok);
	read_key(key, sizeof(key), &keylen);
	with_header(tok, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "", &t);
	t.b_len--; /* drop the '.' before the empty signature */
	t.b_data[t.b_len] = '\0';
	cr_assert(HMAC(EVP_sha512(), key, (int)keylen,
	              (const unsigned char *)t.b_data, t.b_len, mac,
	              &maclen) != NULL);
	cr_assert(buf_addc(&t, '.') == 0);
	cr_assert(b64url_encode(mac, maclen, &t) == 0);
	expect_401(t.b_data);
	OPENSSL_cleanse(key, sizeof(key));
	buf_free(&t);
}

Test(e2e, alg_rs256)
{
	unsigned char sig[256];
	char tok[TOKCAP];
	struct buf s, t;

	fresh_token(tok);
	cr_assert(RAND_bytes(sig, sizeof(sig)) == 1);
	buf_init(&s);
	cr_assert(b64url_encode(sig, sizeof(sig), &s) == 0);
	with_header(tok, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", s.b_data, &t);
	expect_401(t.b_data);
	buf_free(&t);
	buf_free(&s);
}

Test(e2e, expired_token)
{
	unsigned char key[1024];
	char tok[TOKCAP];
	struct token_claims c;
	struct buf t;
	size_t keylen;
	int64_t now = (int64_t)time(NULL);

	fresh_token(tok);
	read_key(key, sizeof(key), &keylen);

	/* Control: the same claims, fresh, signed with the key we read work. */
	claims_of(tok, now - 10, now + 600, &c);
	buf_init(&t);
	cr_assert(token_sign(key, keylen, &c, &t) == 0);
	assert_table_1(t.b_data);

	/* Expired two minutes ago: beyond the 30 s leeway. */
	claims_of(tok, now - 3720, now - 120, &c);
	buf_reset(&t);
	cr_assert(token_sign(key, keylen, &c, &t) == 0);
	expect_401(t.b_data);
	OPENSSL_cleanse(key, sizeof(key));
	buf_free(&t);
}

Test(e2e, wrong_key)
{
	unsigned char key[32];
	char tok[TOKCAP];
	struct token_claims c;
	struct buf t;
	int64_t now = (int64_t)time(NULL);

	fresh_token(tok);
	cr_assert(RAND_bytes(key, sizeof(key)) == 1);
	claims_of(tok, now - 10, now + 600, &c);
	buf_init(&t);
	cr_assert(token_sign(key, sizeof(key), &c, &t) == 0);
	expect_401(t.b_data);
	buf_free(&t);
}

/* header.<n bytes of payload>.sig, answered 401 within two seconds. */
static void
oversized_token(size_t n)
{
	struct e2e_req rq = {.rq_path = "/table_1"};
	const char *hdrs[2] = {NULL, NULL};
	char www[E2E_HDR_MAX];
	struct e2e_resp r;
	struct buf h;
	size_t i;

	buf_init(&h);
	cr_assert(buf_addstr(&h, "Authorization: Bearer "
	                         "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.") == 0);
	for (i = 0; i < n; i++)
		cr_assert(buf_addc(&h, 'A') == 0);
	cr_assert(buf_addstr(&h, ".c2ln") == 0);
	hdrs[0] = h.b_data;
	rq.rq_hdrs = hdrs;
	cr_assert(e2e_do(&rq, &r) == 0, "no answer to a %zu-byte token", n);
	e2e_assert_error(&r, 401);
	cr_assert(
	    r.er_secs < 2.0, "a %zu-byte token took %.2f s", n, r.er_secs);
	cr_assert(e2e_header(&r, "WWW-Authenticate", www, sizeof(www)) == 0 &&
	          strncmp(www, "Bearer", 6) == 0);
	e2e_resp_free(&r);
	buf_free(&h);
}

Test(e2e, oversized_token_10k)
{
	oversized_token(10 * 1024);
}

Test(e2e, oversized_token_100k)
{
	oversized_token(100 * 1024);
}

/* ------------------------------------------------------- 3. duplicates */

Test(e2e, duplicate_email)
{
	char email[128], upper[160], tok[TOKCAP];
	struct e2e_resp r;
	struct buf b;
	size_t i;

	e2e_email(email, sizeof(email), "dup");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));

	creds_body(&b, email, "another password");
	cr_assert(e2e_post_json("/auth/signup", b.b_data, &r) == 0);
	e2e_assert_error(&r, 409);
	e2e_resp_free(&r);
	buf_free(&b);

	snprintf(upper, sizeof(upper), "  %s  ", email);
	for (i = 0; upper[i] != '\0'; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	creds_body(&b, upper, "another password");
	cr_assert(e2e_post_json("/auth/signup", b.b_data, &r) == 0);
	e2e_assert_error(&r, 409);
	e2e_resp_free(&r);
	buf_free(&b);

	/* The same normalisation applies on login. */
	creds_body(&b, upper, PASSWORD);
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	assert_token_response(&r, 200, email, PASSWORD, tok);
	e2e_resp_free(&r);
	buf_free(&b);
}

/* ------------------------------------------------ 4. wrong credentials */

Test(e2e, wrong_password_and_unknown_email_look_alike)
{
	char email[128], unknown[128], tok[TOKCAP], www[E2E_HDR_MAX];
	struct e2e_resp a, u;
	struct buf b;

	e2e_email(email, sizeof(email), "login");
	e2e_email(unknown, sizeof(unknown), "nobody");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));

	creds_body(&b, email, "wrong password!");
	cr_assert(e2e_post_json("/auth/login", b.b_data, &a) == 0);
	buf_free(&b);
	creds_body(&b, unknown, "wrong password!");
	cr_assert(e2e_post_json("/auth/login", b.b_data, &u) == 0);
	buf_free(&b);

	e2e_assert_error(&a, 401);
	e2e_assert_error(&u, 401);
	cr_assert_eq(a.er_body.b_len, u.er_body.b_len);
	cr_assert(
	    memcmp(a.er_body.b_data, u.er_body.b_data, a.er_body.b_len) == 0,
	    "wrong password: %s\nunknown email: %s", e2e_body(&a),
	    e2e_body(&u));
	cr_assert(e2e_header(&a, "WWW-Authenticate", www, sizeof(www)) == 0 &&
	          strncmp(www, "Bearer", 6) == 0);
	cr_assert(e2e_header(&u, "WWW-Authenticate", www, sizeof(www)) == 0 &&
	          strncmp(www, "Bearer", 6) == 0);
	e2e_resp_free(&a);
	e2e_resp_free(&u);
}

/* ------------------------------------------------------------ 5. 400s */

static void
expect_400(const char *path, const char *body)
{
	struct e2e_resp r;

	cr_assert(
	    e2e_post_json(path, body, &r) == 0, "POST %s: no answer", path);
	cr_assert_eq(r.er_status, 400, "POST %s %s: expected 400, got %ld: %s",
	    path, body, r.er_status, e2e_body(&r));
	e2e_assert_error(&r, 400);
	e2e_resp_free(&r);
}

/* A body with a fresh email; fmt has one %s for it. */
static void
expect_400_fmt(const char *path, const char *fmt)
{
	char email[128];
	struct buf b;

	e2e_email(email, sizeof(email), "bad");
	buf_init(&b);
	cr_assert(buf_printf(&b, fmt, email) == 0);
	expect_400(path, b.b_data);
	buf_free(&b);
}

static void
expect_400_both(const char *fmt)
{
	expect_400_fmt("/auth/signup", fmt);
	expect_400_fmt("/auth/login", fmt);
}

Test(e2e, malformed_json)
{
	expect_400_both("{");
	expect_400_both("{\"email\":");
	expect_400_both("{}x");
	expect_400_both("{\"email\":\"%s\",\"password\":\"" PASSWORD "\"}x");
	expect_400_both("{\"email\":\"%s\",\"password\":\"" PASSWORD "\",}");
}

Test(e2e, empty_body)
{
	struct e2e_req rq = {.rq_method = "POST",
	    .rq_path = "/auth/signup",
	    .rq_hdrs =
	        (const char *const[]){"Content-Type: application/json", NULL}};
	struct e2e_resp r;

	cr_assert(e2e_do(&rq, &r) == 0);
	e2e_assert_error(&r, 400);
	e2e_resp_free(&r);
}

Test(e2e, body_not_an_object)
{
	expect_400_both("[]");
	expect_400_both("\"s\"");
	expect_400_both("42");
	expect_400_both("null");
}

Test(e2e, wrong_types)
{
	expect_400_both("{\"email\":5,\"password\":\"" PASSWORD "\"}");
	expect_400_both("{\"email\":\"%s\",\"password\":true}");
	expect_400_both("{\"email\":null,\"password\":\"" PASSWORD "\"}");
	expect_400_both("{\"email\":[\"%s\"],\"password\":\"" PASSWORD "\"}");
	expect_400_both("{\"email\":\"%s\",\"password\":12345678}");
}

Test(e2e, missing_fields)
{
	expect_400_both("{\"password\":\"" PASSWORD "\"}");
	expect_400_both("{\"email\":\"%s\"}");
	expect_400_both("{}");
}

/* A body with a fresh email and a password of n 'p' bytes. */
static void
long_password_body(struct buf *b, char *email, size_t emailcap, size_t n)
{
	size_t i;

	e2e_email(email, emailcap, "pwlen");
	buf_init(b);
	cr_assert(
	    buf_printf(b, "{\"email\":\"%s\",\"password\":\"", email) == 0);
	for (i = 0; i < n; i++)
		cr_assert(buf_addc(b, (char)('a' + i % 26)) == 0);
	cr_assert(buf_addstr(b, "\"}") == 0);
}

Test(e2e, password_length)
{
	char email[128], tok[TOKCAP];
	struct e2e_resp r;
	struct buf b;

	expect_400_fmt(
	    "/auth/signup", "{\"email\":\"%s\",\"password\":\"1234567\"}");
	expect_400_fmt("/auth/signup", "{\"email\":\"%s\",\"password\":\"\"}");

	long_password_body(&b, email, sizeof(email), 1025);
	expect_400("/auth/signup", b.b_data);
	buf_free(&b);

	/* 1024 bytes is the maximum, accepted and not truncated. */
	long_password_body(&b, email, sizeof(email), 1024);
	cr_assert(e2e_post_json("/auth/signup", b.b_data, &r) == 0);
	cr_assert_eq(r.er_status, 201, "1024-byte password: %ld %s",
	    r.er_status, e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	assert_token_response(
	    &r, 200, email, "abcdefghijklmnopqrstuvwxyz", tok);
	e2e_resp_free(&r);

	/* Its first 1023 bytes are another password. */
	b.b_data[b.b_len - 3] = '"';
	b.b_data[b.b_len - 2] = '}';
	b.b_len--;
	b.b_data[b.b_len] = '\0';
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	e2e_assert_error(&r, 401);
	e2e_resp_free(&r);
	buf_free(&b);
}

Test(e2e, invalid_email)
{
	expect_400("/auth/signup",
	    "{\"email\":\"no-at-sign\",\"password\":\"" PASSWORD "\"}");
	expect_400(
	    "/auth/signup", "{\"email\":\"\",\"password\":\"" PASSWORD "\"}");
	expect_400("/auth/signup",
	    "{\"email\":\"   \",\"password\":\"" PASSWORD "\"}");
}

Test(e2e, signup_sets_id)
{
	expect_400_fmt("/auth/signup",
	    "{\"email\":\"%s\",\"password\":\"" PASSWORD "\",\"id\":424242}");
}

Test(e2e, signup_unknown_column)
{
	expect_400_fmt("/auth/signup",
	    "{\"email\":\"%s\",\"password\":\"" PASSWORD
	    "\",\"no_such_column\":1}");
	expect_400_fmt("/auth/signup",
	    "{\"email\":\"%s\",\"password\":\"" PASSWORD
	    "\",\"name; drop table users\":\"x\"}");
}

/* ------------------------------------------------------- 6. 413, 415 */

Test(e2e, oversized_body)
{
	struct e2e_req rq = {.rq_method = "POST",
	    .rq_path = "/auth/signup",
	    .rq_hdrs =
	        (const char *const[]){"Content-Type: application/json", NULL}};
	size_t n = 1024 * 1024 + 4096;
	struct e2e_resp r;
	char *body;

	cr_assert((body = malloc(n + 1)) != NULL);
	memset(body, ' ', n);
	memcpy(body, "{\"email\":\"", 10);
	memcpy(body + n - 2, "\"}", 2);
	body[n] = '\0';
	rq.rq_body = body;
	rq.rq_bodylen = n;
	cr_assert(e2e_do(&rq, &r) == 0, "no answer to a %zu-byte body", n);
	e2e_assert_error(&r, 413);
	e2e_resp_free(&r);
	free(body);
}

Test(e2e, wrong_content_type)
{
	static const char *const types[] = {"Content-Type: text/plain",
	    "Content-Type: application/x-www-form-urlencoded",
	    "Content-Type: application/jsonx"};
	struct e2e_req rq = {.rq_method = "POST",
	    .rq_path = "/auth/signup",
	    .rq_body =
	        "{\"email\":\"ct@example.com\",\"password\":\"" PASSWORD "\"}"};
	const char *hdrs[2] = {NULL, NULL};
	struct e2e_resp r;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		hdrs[0] = types[i];
		rq.rq_hdrs = hdrs;
		cr_assert(e2e_do(&rq, &r) == 0);
		cr_assert_eq(r.er_status, 415, "%s: %ld %s", types[i],
		    r.er_status, e2e_body(&r));
		e2e_assert_error(&r, 415);
		e2e_resp_free(&r);
	}
}

/* ------------------------------------------- 7. 404, 405, X-Request-Id */

Test(e2e, not_found)
{
	struct e2e_resp r;

	cr_assert(e2e_get("/no/such/path", NULL, &r) == 0);
	e2e_assert_error(&r, 404);
	e2e_resp_free(&r);
	cr_assert(e2e_get("/table_1_nope", NULL, &r) == 0);
	e2e_assert_error(&r, 404);
	e2e_resp_free(&r);
}

static void
expect_405(const char *method, const char *path, const char *allowed)
{
	struct e2e_req rq = {.rq_method = method, .rq_path = path};
	char allow[E2E_HDR_MAX];
	struct e2e_resp r;

	cr_assert(e2e_do(&rq, &r) == 0);
	e2e_assert_error(&r, 405);
	cr_assert(e2e_header(&r, "Allow", allow, sizeof(allow)) == 0,
	    "%s %s: 405 without Allow", method, path);
	cr_assert(strstr(allow, allowed) != NULL, "%s %s: Allow: %s", method,
	    path, allow);
	cr_assert(strstr(allow, method) == NULL, "%s %s: Allow: %s", method,
	    path, allow);
	e2e_resp_free(&r);
}

Test(e2e, method_not_allowed)
{
	expect_405("DELETE", "/auth/signup", "POST");
	expect_405("GET", "/auth/login", "POST");
	expect_405("PUT", "/table_1", "GET");
}

Test(e2e, request_id)
{
	static const char *const sane = "e2e-Req_1.2:3";
	struct e2e_req rq = {.rq_path = "/healthz"};
	const char *hdrs[2] = {NULL, NULL};
	char rid[E2E_HDR_MAX], other[E2E_HDR_MAX], h[512];
	struct e2e_resp r;
	size_t i;

	/* Present on success and on every kind of error. */
	cr_assert(e2e_get("/healthz", NULL, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0 &&
	          rid[0] != '\0');
	e2e_resp_free(&r);
	cr_assert(e2e_get("/healthz", NULL, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", other, sizeof(other)) == 0);
	cr_assert_str_neq(rid, other, "two requests share an id");
	e2e_resp_free(&r);
	cr_assert(e2e_get("/table_1", NULL, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	e2e_resp_free(&r);
	cr_assert(e2e_get("/nope", NULL, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	e2e_resp_free(&r);
	cr_assert(e2e_post_json("/auth/login", "{", &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	e2e_resp_free(&r);

	/* A sane one is echoed. */
	snprintf(h, sizeof(h), "X-Request-Id: %s", sane);
	hdrs[0] = h;
	rq.rq_hdrs = hdrs;
	cr_assert(e2e_do(&rq, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	cr_assert_str_eq(rid, sane);
	e2e_resp_free(&r);

	/* One that would smuggle markup, or 300 bytes, is replaced. */
	snprintf(h, sizeof(h), "X-Request-Id: <script>\"x\"</script>");
	cr_assert(e2e_do(&rq, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	cr_assert(strchr(rid, '<') == NULL && strchr(rid, '"') == NULL &&
	              rid[0] != '\0',
	    "X-Request-Id: %s", rid);
	e2e_resp_free(&r);
	i = (size_t)snprintf(h, sizeof(h), "X-Request-Id: ");
	for (; i < 14 + 300; i++)
		h[i] = 'r';
	h[i] = '\0';
	cr_assert(e2e_do(&rq, &r) == 0);
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	cr_assert(
	    strlen(rid) > 0 && strlen(rid) < 300, "X-Request-Id: %s", rid);
	e2e_resp_free(&r);
}

/* ------------------------------------------------ 8. healthz, readyz */

Test(e2e, health)
{
	char rid[E2E_HDR_MAX];
	struct e2e_resp r;

	cr_assert(e2e_get("/healthz", NULL, &r) == 0);
	cr_assert_eq(
	    r.er_status, 200, "/healthz: %ld %s", r.er_status, e2e_body(&r));
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	e2e_resp_free(&r);
	cr_assert(e2e_get("/readyz", NULL, &r) == 0);
	cr_assert_eq(
	    r.er_status, 200, "/readyz: %ld %s", r.er_status, e2e_body(&r));
	cr_assert(e2e_header(&r, "X-Request-Id", rid, sizeof(rid)) == 0);
	e2e_resp_free(&r);
}

/* ------------------------------------------- 9. concurrent signups */

#define NRACE 16

struct racer {
	pthread_barrier_t *rc_start;
	const char *rc_body;
	long rc_status;
	int rc_err;
};

static void *
race(void *arg)
{
	struct racer *rc = arg;
	struct e2e_resp r;

	pthread_barrier_wait(rc->rc_start);
	if (e2e_post_json("/auth/signup", rc->rc_body, &r) == -1) {
		rc->rc_err = 1;
		return NULL;
	}
	rc->rc_status = r.er_status;
	/* A 409 must still be the documented error; check it here, safely. */
	if (r.er_status == 409 &&
	    (r.er_json == NULL || field(r.er_json, "code") == NULL))
		rc->rc_err = 2;
	e2e_resp_free(&r);
	return NULL;
}

Test(e2e, concurrent_signups_one_email)
{
	pthread_barrier_t start;
	pthread_t th[NRACE];
	struct racer rc[NRACE];
	char email[128], tok[TOKCAP];
	struct e2e_resp r;
	struct buf b;
	int i, n201 = 0, n409 = 0;

	e2e_email(email, sizeof(email), "race");
	creds_body(&b, email, PASSWORD);
	cr_assert(pthread_barrier_init(&start, NULL, NRACE) == 0);
	for (i = 0; i < NRACE; i++) {
		memset(&rc[i], 0, sizeof(rc[i]));
		rc[i].rc_start = &start;
		rc[i].rc_body = b.b_data;
		cr_assert(pthread_create(&th[i], NULL, race, &rc[i]) == 0);
	}
	for (i = 0; i < NRACE; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < NRACE; i++) {
		cr_assert_eq(rc[i].rc_err, 0, "racer %d: error %d (status %ld)",
		    i, rc[i].rc_err, rc[i].rc_status);
		if (rc[i].rc_status == 201)
			n201++;
		else if (rc[i].rc_status == 409)
			n409++;
		else
			cr_assert_fail(
			    "racer %d: status %ld", i, rc[i].rc_status);
	}
	cr_assert_eq(n201, 1, "%d signups succeeded", n201);
	cr_assert_eq(n409, NRACE - 1);

	/* And the winner's account works. */
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	assert_token_response(&r, 200, email, PASSWORD, tok);
	e2e_resp_free(&r);
	buf_free(&b);
}

/* ------------------------------------------------- 10. limit, offset */

static struct json_object *
list(const char *tok, const char *query, long status)
{
	struct json_object *a;
	struct e2e_resp r;
	char path[256];

	snprintf(path, sizeof(path), "/table_1%s", query);
	cr_assert(e2e_get(path, tok, &r) == 0);
	if (status != 200) {
		e2e_assert_error(&r, status);
		e2e_resp_free(&r);
		return NULL;
	}
	cr_assert_eq(r.er_status, 200, "GET %s: %ld %s", path, r.er_status,
	    e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	              json_object_is_type(r.er_json, json_type_array),
	    "GET %s: %s", path, e2e_body(&r));
	a = json_object_get(r.er_json);
	e2e_resp_free(&r);
	return a;
}

static int64_t
row_id(struct json_object *a, size_t i)
{
	struct json_object *id = field(json_object_array_get_idx(a, i), "id");

	cr_assert(id != NULL);
	return json_object_get_int64(id);
}

Test(e2e, limit_offset)
{
	struct json_object *all, *two, *one;
	char tok[TOKCAP];

	fresh_token(tok);
	all = list(tok, "", 200);
	cr_assert_geq(json_object_array_length(all), 5);

	two = list(tok, "?limit=2", 200);
	cr_assert_eq(json_object_array_length(two), 2);
	cr_assert_eq(row_id(two, 0), row_id(all, 0));
	cr_assert_eq(row_id(two, 1), row_id(all, 1));
	one = list(tok, "?offset=1&limit=1", 200);
	cr_assert_eq(json_object_array_length(one), 1);
	cr_assert_eq(row_id(one, 0), row_id(two, 1));
	json_object_put(one);
	one = list(tok, "?limit=0", 200);
	cr_assert_eq(json_object_array_length(one), 0);
	json_object_put(one);
	one = list(tok, "?offset=100000", 200);
	cr_assert_eq(json_object_array_length(one), 0);
	json_object_put(one);

	/* Above the cap: capped, not an error. */
	one = list(tok, "?limit=100000", 200);
	cr_assert_geq(json_object_array_length(one), 5);
	json_object_put(one);

	list(tok, "?limit=abc", 400);
	list(tok, "?limit=-1", 400);
	list(tok, "?limit=", 400);
	list(tok, "?limit=1x", 400);
	list(tok, "?offset=-1", 400);
	list(tok, "?offset=abc", 400);
	list(tok, "?limit=99999999999999999999999", 400);

	json_object_put(two);
	json_object_put(all);
}

/* ------------------------------------------------ 11. privilege drop */

/* The tab-separated numbers after "key:" in /proc/pid/status. */
static int
status_line(const char *status, const char *key, long *v, int max)
{
	const char *p = status;
	size_t klen = strlen(key);
	char *end;
	int n = 0;

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			break;
	if (p == NULL || *p == '\0')
		return -1;
	p += klen + 1;
	while (n < max) {
		while (*p == '\t' || *p == ' ')
			p++;
		if (*p == '\n' || *p == '\0')
			break;
		v[n++] = strtol(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return n;
}

Test(e2e, authd_privilege_drop)
{
	char path[64], user[128], status[8192];
	struct passwd *pw;
	long v[64];
	FILE *fp;
	size_t n;
	pid_t pid;
	int i, k;

	pid = e2e_read_pid(e2e_cf.ee_authd_pid_file);
	cr_assert(pid > 0 && e2e_pid_alive(pid), "authd is not running (%s)",
	    e2e_cf.ee_authd_pid_file);
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	cr_assert((fp = fopen(path, "r")) != NULL);
	n = fread(status, 1, sizeof(status) - 1, fp);
	status[n] = '\0';
	fclose(fp);

	cr_assert(status_line(status, "NoNewPrivs", v, 1) == 1);
	cr_assert_eq(v[0], 1, "authd runs without PR_SET_NO_NEW_PRIVS");

	if (geteuid() != 0)
		cr_skip("not root: the stack's authd was not started as root, "
		        "so there was no privilege drop to check");

	if (e2e_conf_get("authd_user", user, sizeof(user)) == -1)
		snprintf(user, sizeof(user), "postern");
	cr_assert((pw = getpwnam(user)) != NULL, "no user %s", user);
	cr_assert_neq(pw->pw_uid, 0);
	cr_assert_neq(pw->pw_gid, 0);
	cr_assert(status_line(status, "Uid", v, 4) == 4);
	for (i = 0; i < 4; i++)
		cr_assert_eq(v[i], (long)pw->pw_uid,
		    "Uid field %d is %ld, want %ld (%s)", i, v[i],
		    (long)pw->pw_uid, user);
	cr_assert(status_line(status, "Gid", v, 4) == 4);
	for (i = 0; i < 4; i++)
		cr_assert_eq(v[i], (long)pw->pw_gid,
		    "Gid field %d is %ld, want %ld (%s)", i, v[i],
		    (long)pw->pw_gid, user);
	k = status_line(status, "Groups", v, 64);
	cr_assert_eq(
	    k, 1, "Groups has %d entries, want only %ld", k, (long)pw->pw_gid);
	cr_assert_eq(v[0], (long)pw->pw_gid);
}
