/*
 * End-to-end tests of the token lifecycle (docs/auth.md):
 * refresh rotation and reuse detection, logout, me, the sessions API,
 * password change, the common-password list, the per-email login limit,
 * X-Forwarded-For from a trusted proxy, the audit log and login timing.
 *
 * The stack of the e2e fixture trusts 127.0.0.1 as a proxy and has its
 * per-address limits raised (tests/e2e/CMakeLists.txt), so these tests may
 * pose as other clients with X-Forwarded-For and never trip the address
 * limits; those are tested at their defaults in test_pair.c.  Every test
 * uses its own random emails and client addresses.
 */
#include <sys/types.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>
#include <openssl/rand.h>

#include "authd/token.h"
#include "common/b64url.h"
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define PASSWORD2 "staple battery horse"
#define WRONG_PASSWORD "not the password at all"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define REFRESH_CAP 512
#define ADDR_CAP 64
#define RACERS 8
#define TIMING_N 40
#define TIMING_USERS 8

/*
 * The suite's timeout only: with a per-test timeout other than the suite's,
 * Criterion 2.4's runner leaks 48 bytes, which fails the ASan build.
 */
TestSuite(sessions, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

/* One session as a client holds it. */
struct sess {
	char s_access[TOKCAP];
	char s_refresh[REFRESH_CAP];
	char s_sid[TOKEN_FIELD_MAX]; /* from the access token's payload */
	char s_uid[TOKEN_FIELD_MAX]; /* user.id of the token response */
};

static struct json_object *
field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static const char *
str_field(struct json_object *o, const char *k)
{
	struct json_object *v = field(o, k);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Asserts an error answer of status with the given code. */
static void
assert_code(const struct e2e_resp *r, long status, const char *code)
{
	const char *c;

	e2e_assert_error(r, status);
	c = str_field(r->er_json, "code");
	cr_assert(c != NULL && strcmp(c, code) == 0, "expected %s, got %s",
	    code, e2e_body(r));
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
		              strcasestr(k, "phc") == NULL &&
		              strcasecmp(k, "pw") != 0,
		    "response carries a key \"%s\"", k);
		assert_no_secret_keys(v);
	}
}

/* Copies the string claim k of a JWT's payload into out. */
static void
jwt_claim(const char *tok, const char *k, char *out, size_t outlen)
{
	unsigned char raw[TOKCAP];
	const char *d1, *d2, *v;
	struct json_object *j;
	size_t n;

	cr_assert((d1 = strchr(tok, '.')) != NULL &&
	              (d2 = strchr(d1 + 1, '.')) != NULL,
	    "not a JWT: %s", tok);
	cr_assert(b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw,
	              sizeof(raw) - 1, &n) == 0,
	    "payload is not base64url");
	raw[n] = '\0';
	cr_assert((j = json_tokener_parse((const char *)raw)) != NULL,
	    "payload is not JSON: %s", raw);
	cr_assert((v = str_field(j, k)) != NULL && strlen(v) < outlen,
	    "payload has no string \"%s\": %s", k, raw);
	memcpy(out, v, strlen(v) + 1);
	json_object_put(j);
}

/* The text of a JSON id (a number or a string). */
static void
id_text(struct json_object *v, char *out, size_t outlen)
{
	const char *s;

	cr_assert(v != NULL && (json_object_is_type(v, json_type_int) ||
	                           json_object_is_type(v, json_type_string)),
	    "id is neither a number nor a string");
	s = json_object_get_string(v);
	cr_assert(strlen(s) < outlen);
	memcpy(out, s, strlen(s) + 1);
}

/*
 * Checks a token response (docs/auth.md) of status for email (NULL:
 * any) and fills *s from it.
 */
static void
take_tokens(const struct e2e_resp *r, long status, const char *email,
    const char *password, struct sess *s)
{
	struct json_object *j = r->er_json, *v, *u;
	char ct[E2E_HDR_MAX], sub[TOKEN_FIELD_MAX];
	const char *a;

	cr_assert_eq(r->er_status, status, "expected %ld, got %ld: %s", status,
	    r->er_status, e2e_body(r));
	cr_assert(e2e_header(r, "Content-Type", ct, sizeof(ct)) == 0 &&
	          strncasecmp(ct, "application/json", 16) == 0);
	cr_assert(j != NULL && json_object_is_type(j, json_type_object),
	    "body is not a JSON object: %s", e2e_body(r));
	a = str_field(j, "access_token");
	cr_assert(a != NULL && strlen(a) < sizeof(s->s_access),
	    "no access_token: %s", e2e_body(r));
	memcpy(s->s_access, a, strlen(a) + 1);
	a = str_field(j, "token_type");
	cr_assert(a != NULL && strcmp(a, "bearer") == 0, "token_type: %s",
	    e2e_body(r));
	v = field(j, "expires_in");
	cr_assert(v != NULL && json_object_is_type(v, json_type_int) &&
	              json_object_get_int64(v) > 0,
	    "expires_in: %s", e2e_body(r));
	a = str_field(j, "refresh_token");
	/* 256 random bits are 43 base64url characters at least. */
	cr_assert(
	    a != NULL && strlen(a) >= 43 && strlen(a) < sizeof(s->s_refresh),
	    "refresh_token missing or short: %s", e2e_body(r));
	memcpy(s->s_refresh, a, strlen(a) + 1);
	u = field(j, "user");
	cr_assert(u != NULL && json_object_is_type(u, json_type_object),
	    "no user object: %s", e2e_body(r));
	id_text(field(u, "id"), s->s_uid, sizeof(s->s_uid));
	if (email != NULL) {
		a = str_field(u, "email");
		cr_assert(a != NULL && strcmp(a, email) == 0, "user.email: %s",
		    e2e_body(r));
	}
	assert_no_secret_keys(j);
	if (password != NULL)
		cr_assert(strstr(e2e_body(r), password) == NULL,
		    "the token response contains the password");
	cr_assert(strstr(e2e_body(r), "$argon2") == NULL);

	jwt_claim(s->s_access, "sid", s->s_sid, sizeof(s->s_sid));
	jwt_claim(s->s_access, "sub", sub, sizeof(sub));
	cr_assert_str_eq(
	    sub, s->s_uid, "sub %s is not user.id %s", sub, s->s_uid);
}

static void
creds_body(struct buf *b, const char *email, const char *password)
{
	buf_init(b);
	cr_assert(buf_printf(b, "{\"email\":\"%s\",\"password\":\"%s\"}", email,
	              password) == 0);
}

/* POSTs {email, password} to /auth/<op> with extra header lines. */
static void
post_creds(const char *op, const char *email, const char *password,
    const char *const *hdrs, struct e2e_resp *r)
{
	char path[64];
	struct buf b;

	snprintf(path, sizeof(path), "/auth/%s", op);
	creds_body(&b, email, password);
	cr_assert(e2e_call("POST", path, NULL, hdrs, b.b_data, r) == 0,
	    "POST %s: no answer", path);
	buf_free(&b);
}

static void
signup_sess(const char *email, const char *password, const char *const *hdrs,
    struct sess *s)
{
	struct e2e_resp r;

	post_creds("signup", email, password, hdrs, &r);
	take_tokens(&r, 201, email, password, s);
	e2e_resp_free(&r);
}

static void
login_sess(const char *email, const char *password, const char *const *hdrs,
    struct sess *s)
{
	struct e2e_resp r;

	post_creds("login", email, password, hdrs, &r);
	take_tokens(&r, 200, email, password, s);
	e2e_resp_free(&r);
}

static long
login_status(const char *email, const char *password, const char *const *hdrs)
{
	struct e2e_resp r;
	long st;

	post_creds("login", email, password, hdrs, &r);
	st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

static void
refresh_call(const char *refresh, struct e2e_resp *r)
{
	struct buf b;

	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"refresh_token\":\"%s\"}", refresh) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/refresh", NULL, NULL, b.b_data, r) == 0,
	    "POST /auth/refresh: no answer");
	buf_free(&b);
}

/* The status of method path with bearer (and no body). */
static long
status_of(const char *method, const char *path, const char *bearer)
{
	struct e2e_resp r;
	long st;

	cr_assert(e2e_call(method, path, bearer, NULL, NULL, &r) == 0,
	    "%s %s: no answer", method, path);
	st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* A protected route refuses tok as revoked. */
static void
assert_revoked(const char *tok, const char *what)
{
	struct e2e_resp r;
	char www[E2E_HDR_MAX];
	const char *m;

	cr_assert(e2e_get("/table_1", tok, &r) == 0);
	cr_assert_eq(r.er_status, 401, "%s: GET /table_1 answered %ld: %s",
	    what, r.er_status, e2e_body(&r));
	assert_code(&r, 401, "PN201");
	m = str_field(r.er_json, "message");
	cr_assert(m != NULL && strstr(m, "revoked") != NULL,
	    "%s: the 401 does not say revoked: %s", what, e2e_body(&r));
	cr_assert(e2e_header(&r, "WWW-Authenticate", www, sizeof(www)) == 0 &&
	              strstr(www, "invalid_token") != NULL,
	    "%s: no WWW-Authenticate with invalid_token", what);
	e2e_resp_free(&r);
}

static void
assert_alive(const char *tok, const char *what)
{
	long st = status_of("GET", "/table_1", tok);

	cr_assert_eq(st, 200, "%s: GET /table_1 answered %ld", what, st);
}

/* A random client address in 198.18.0.0/15 (RFC 2544, benchmarking). */
static void
fake_addr(char *out, size_t outlen)
{
	unsigned char r[3];

	cr_assert(RAND_bytes(r, sizeof(r)) == 1);
	snprintf(
	    out, outlen, "198.%d.%d.%d", 18 + (r[0] & 1), r[1], 1 + r[2] % 254);
}

/* Fills h (two slots and a NULL) with an X-Forwarded-For header line. */
static void
xff_hdrs(char *line, size_t linelen, const char *addr, const char **h)
{
	snprintf(line, linelen, "X-Forwarded-For: %s", addr);
	h[0] = line;
	h[1] = NULL;
}

/* The caller's sessions: a JSON array (put it). */
static struct json_object *
sessions_of(const char *tok)
{
	struct e2e_resp r;
	struct json_object *a;

	cr_assert(e2e_get("/auth/sessions", tok, &r) == 0);
	cr_assert_eq(r.er_status, 200, "GET /auth/sessions: %ld %s",
	    r.er_status, e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	              json_object_is_type(r.er_json, json_type_array),
	    "sessions is not an array: %s", e2e_body(&r));
	a = json_object_get(r.er_json);
	e2e_resp_free(&r);
	return a;
}

/* The element of a sessions array whose id is sid, or NULL. */
static struct json_object *
session_find(struct json_object *a, const char *sid)
{
	struct json_object *e;
	const char *id;
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if ((id = str_field(e, "id")) != NULL && strcmp(id, sid) == 0)
			return e;
	}
	return NULL;
}

static void
sessions_path(char *out, size_t outlen, const char *sid)
{
	snprintf(out, outlen, "/auth/sessions/%s", sid);
}

/* ------------------------------------------------------------- refresh */

Test(sessions, refresh_rotates_and_keeps_the_session)
{
	struct sess s0, s1, s2;
	struct e2e_resp r;
	char email[128];

	e2e_email(email, sizeof(email), "refresh");
	signup_sess(email, PASSWORD, NULL, &s0);

	refresh_call(s0.s_refresh, &r);
	take_tokens(&r, 200, email, NULL, &s1);
	e2e_resp_free(&r);
	cr_assert_str_eq(s1.s_sid, s0.s_sid,
	    "refresh started a new session (sid %s, was %s)", s1.s_sid,
	    s0.s_sid);
	cr_assert_str_eq(s1.s_uid, s0.s_uid);
	cr_assert_str_neq(
	    s1.s_refresh, s0.s_refresh, "the refresh token was not rotated");
	assert_alive(s1.s_access, "refreshed access token");
	/* Rotation alone revokes nothing: the older access token lives on
	 * until its expiry, as the session does. */
	assert_alive(s0.s_access, "access token before the refresh");

	/* The new refresh token rotates again, within the same session. */
	refresh_call(s1.s_refresh, &r);
	take_tokens(&r, 200, email, NULL, &s2);
	e2e_resp_free(&r);
	cr_assert_str_eq(s2.s_sid, s0.s_sid);
	cr_assert_str_neq(s2.s_refresh, s1.s_refresh);
	assert_alive(s2.s_access, "twice refreshed access token");
}

Test(sessions, refresh_bad_input)
{
	char junk[65];
	struct e2e_resp r;

	cr_assert(e2e_call("POST", "/auth/refresh", NULL, NULL, "{}", &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	cr_assert(e2e_call("POST", "/auth/refresh", NULL, NULL,
	              "{\"refresh_token\":42}", &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	/* Never issued: 401, like a spent one. */
	e2e_rand_hex(junk, sizeof(junk), 32);
	refresh_call(junk, &r);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);
}

Test(sessions, spent_refresh_revokes_the_family)
{
	struct sess s0, s1, s2, other;
	struct e2e_resp r;
	char email[128];

	e2e_email(email, sizeof(email), "reuse");
	signup_sess(email, PASSWORD, NULL, &s0);
	login_sess(email, PASSWORD, NULL, &other);

	refresh_call(s0.s_refresh, &r);
	take_tokens(&r, 200, email, NULL, &s1);
	e2e_resp_free(&r);
	refresh_call(s1.s_refresh, &r);
	take_tokens(&r, 200, email, NULL, &s2);
	e2e_resp_free(&r);
	assert_alive(s2.s_access, "newest access token before the replay");

	/* s0's refresh token was spent two rotations ago: a replay. */
	refresh_call(s0.s_refresh, &r);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);

	/* The family's newest tokens are dead, and the older ones too. */
	assert_revoked(s2.s_access, "newest access token after the replay");
	assert_revoked(s1.s_access, "older access token after the replay");
	assert_revoked(s0.s_access, "first access token after the replay");
	refresh_call(s2.s_refresh, &r);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);
	cr_assert_eq(status_of("GET", "/auth/me", s2.s_access), 401);

	/* Another session of the same user is another family. */
	assert_alive(other.s_access, "the user's other session");
	refresh_call(other.s_refresh, &r);
	cr_assert_eq(r.er_status, 200, "the other session's refresh: %ld %s",
	    r.er_status, e2e_body(&r));
	e2e_resp_free(&r);
}

struct racer {
	pthread_barrier_t *rc_bar;
	const char *rc_path;        /* POSTed to */
	const char *const *rc_hdrs; /* or NULL */
	const char *rc_body;
	long rc_status;
	int rc_err;
};

static void *
race_post(void *arg)
{
	struct racer *rc = arg;
	struct e2e_resp r;

	pthread_barrier_wait(rc->rc_bar);
	if (e2e_call("POST", rc->rc_path, NULL, rc->rc_hdrs, rc->rc_body, &r) ==
	    -1) {
		rc->rc_err = 1;
		return NULL;
	}
	rc->rc_status = r.er_status;
	e2e_resp_free(&r);
	return NULL;
}

/* RACERS threads POST body to path at once; their answers in rc. */
static void
race_run(struct racer *rc, const char *path, const char *const *hdrs,
    const char *body)
{
	pthread_t th[RACERS];
	pthread_barrier_t bar;
	int i;

	cr_assert(pthread_barrier_init(&bar, NULL, RACERS) == 0);
	memset(rc, 0, sizeof(*rc) * RACERS);
	for (i = 0; i < RACERS; i++) {
		rc[i].rc_bar = &bar;
		rc[i].rc_path = path;
		rc[i].rc_hdrs = hdrs;
		rc[i].rc_body = body;
		cr_assert(pthread_create(&th[i], NULL, race_post, &rc[i]) == 0);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
}

Test(sessions, concurrent_refreshes_one_wins)
{
	struct racer rc[RACERS];
	struct sess s0;
	struct buf b;
	char email[128];
	int i, won = 0, lost = 0;

	e2e_email(email, sizeof(email), "race");
	signup_sess(email, PASSWORD, NULL, &s0);
	buf_init(&b);
	cr_assert(
	    buf_printf(&b, "{\"refresh_token\":\"%s\"}", s0.s_refresh) == 0);
	race_run(rc, "/auth/refresh", NULL, b.b_data);
	for (i = 0; i < RACERS; i++) {
		cr_assert_eq(rc[i].rc_err, 0, "racer %d got no answer", i);
		if (rc[i].rc_status == 200)
			won++;
		else if (rc[i].rc_status == 401)
			lost++;
	}
	cr_assert_eq(won, 1, "%d of %d concurrent refreshes of one token won",
	    won, RACERS);
	cr_assert_eq(lost, RACERS - 1, "answers other than 200/401");
	buf_free(&b);
}

/* -------------------------------------------------------------- logout */

Test(sessions, logout_revokes_at_once)
{
	struct sess a, b;
	struct e2e_resp r;
	char email[128];

	e2e_email(email, sizeof(email), "logout");
	signup_sess(email, PASSWORD, NULL, &a);
	login_sess(email, PASSWORD, NULL, &b);
	assert_alive(a.s_access, "before logout");

	cr_assert(
	    e2e_call("POST", "/auth/logout", a.s_access, NULL, NULL, &r) == 0);
	cr_assert_eq(
	    r.er_status, 204, "logout: %ld %s", r.er_status, e2e_body(&r));
	cr_assert_eq(r.er_body.b_len, 0, "204 with a body: %s", e2e_body(&r));
	e2e_resp_free(&r);

	/* The very next request, not the token's expiry. */
	assert_revoked(a.s_access, "logged-out token");
	assert_alive(b.s_access, "the user's other session");
	refresh_call(a.s_refresh, &r);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);

	/* A second logout with the dead token, and one without any. */
	cr_assert(
	    e2e_call("POST", "/auth/logout", a.s_access, NULL, NULL, &r) == 0);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);
	cr_assert(e2e_call("POST", "/auth/logout", NULL, NULL, NULL, &r) == 0);
	assert_code(&r, 401, "PN200");
	e2e_resp_free(&r);
	assert_alive(b.s_access, "the other session after it all");
}

/* ------------------------------------------------------------------ me */

Test(sessions, me)
{
	static const char *const ua[] = {"User-Agent: postern-e2e-me", NULL};
	struct json_object *j;
	struct e2e_resp r;
	struct sess s;
	struct buf b;
	char email[128], id[TOKEN_FIELD_MAX];
	const char *v;

	e2e_email(email, sizeof(email), "me");
	buf_init(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"%s\","
	              "\"name\":\"Ada Me\"}",
	              email, PASSWORD) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/signup", NULL, ua, b.b_data, &r) == 0);
	take_tokens(&r, 201, email, PASSWORD, &s);
	e2e_resp_free(&r);

	cr_assert(e2e_get("/auth/me", s.s_access, &r) == 0);
	cr_assert_eq(r.er_status, 200, "GET /auth/me: %ld %s", r.er_status,
	    e2e_body(&r));
	j = r.er_json;
	cr_assert(j != NULL && json_object_is_type(j, json_type_object),
	    "me is not an object: %s", e2e_body(&r));
	id_text(field(j, "id"), id, sizeof(id));
	cr_assert_str_eq(id, s.s_uid);
	cr_assert((v = str_field(j, "email")) != NULL && strcmp(v, email) == 0);
	cr_assert(
	    (v = str_field(j, "name")) != NULL && strcmp(v, "Ada Me") == 0);
	cr_assert(str_field(j, "created_at") != NULL, "no created_at: %s",
	    e2e_body(&r));
	assert_no_secret_keys(j);
	cr_assert(strstr(e2e_body(&r), PASSWORD) == NULL);
	cr_assert(strstr(e2e_body(&r), "$argon2") == NULL);
	e2e_resp_free(&r);

	cr_assert(e2e_get("/auth/me", NULL, &r) == 0);
	assert_code(&r, 401, "PN200");
	e2e_resp_free(&r);
	cr_assert(e2e_get("/auth/me", "not.a.token", &r) == 0);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);

	cr_assert_eq(status_of("POST", "/auth/logout", s.s_access), 204);
	cr_assert(e2e_get("/auth/me", s.s_access, &r) == 0);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);
	buf_free(&b);
}

/* ------------------------------------------------------------ sessions */

Test(sessions, list_and_revoke)
{
	static const char *const ua_a[] = {"User-Agent: postern-e2e/A", NULL};
	static const char *const ua_b[] = {"User-Agent: postern-e2e/B", NULL};
	struct sess a, b, c, stranger;
	struct json_object *l, *e, *v;
	char email[128], email2[128], path[256], junk[33];
	const char *s;
	size_t i, ncur = 0;

	e2e_email(email, sizeof(email), "sessions");
	e2e_email(email2, sizeof(email2), "stranger");
	signup_sess(email, PASSWORD, ua_a, &a);
	login_sess(email, PASSWORD, ua_b, &b);
	login_sess(email, PASSWORD, NULL, &c);
	signup_sess(email2, PASSWORD, NULL, &stranger);

	l = sessions_of(a.s_access);
	cr_assert_eq(json_object_array_length(l), 3,
	    "expected the user's 3 sessions: %s",
	    json_object_to_json_string(l));
	for (i = 0; i < json_object_array_length(l); i++) {
		e = json_object_array_get_idx(l, i);
		cr_assert(
		    str_field(e, "id") != NULL &&
		        str_field(e, "created_at") != NULL &&
		        str_field(e, "last_used_at") != NULL &&
		        str_field(e, "expires_at") != NULL &&
		        json_object_object_get_ex(e, "user_agent", NULL) &&
		        json_object_object_get_ex(e, "client_addr", NULL),
		    "session fields: %s", json_object_to_json_string(e));
		v = field(e, "current");
		cr_assert(
		    v != NULL && json_object_is_type(v, json_type_boolean),
		    "no boolean current: %s", json_object_to_json_string(e));
		if (json_object_get_boolean(v))
			ncur++;
	}
	cr_assert_eq(ncur, 1, "%zu sessions are current", ncur);
	assert_no_secret_keys(l);
	cr_assert(strstr(json_object_to_json_string(l), a.s_refresh) == NULL);
	e = session_find(l, a.s_sid);
	cr_assert(e != NULL, "the current session %s is not listed", a.s_sid);
	cr_assert(json_object_get_boolean(field(e, "current")));
	cr_assert((s = str_field(e, "user_agent")) != NULL &&
	              strcmp(s, "postern-e2e/A") == 0,
	    "user_agent: %s", json_object_to_json_string(e));
	cr_assert((s = str_field(e, "client_addr")) != NULL &&
	              strcmp(s, "127.0.0.1") == 0,
	    "client_addr: %s", json_object_to_json_string(e));
	e = session_find(l, b.s_sid);
	cr_assert(e != NULL && !json_object_get_boolean(field(e, "current")));
	cr_assert((s = str_field(e, "user_agent")) != NULL &&
	          strcmp(s, "postern-e2e/B") == 0);
	cr_assert(session_find(l, stranger.s_sid) == NULL,
	    "another user's session is listed");
	json_object_put(l);

	/* One session: its token dies through this gateway at once. */
	sessions_path(path, sizeof(path), b.s_sid);
	cr_assert_eq(status_of("DELETE", path, a.s_access), 204);
	assert_revoked(b.s_access, "deleted session");
	assert_alive(a.s_access, "the deleting session");
	assert_alive(c.s_access, "a third session");
	cr_assert_eq(status_of("DELETE", path, a.s_access), 404,
	    "deleting a revoked session twice");

	/* Another user's session, an unknown and a malformed id: 404. */
	sessions_path(path, sizeof(path), stranger.s_sid);
	cr_assert_eq(status_of("DELETE", path, a.s_access), 404);
	assert_alive(stranger.s_access, "the stranger after the attempt");
	cr_assert_eq(status_of("DELETE",
	                 "/auth/sessions/00000000-0000-4000-8000-000000000000",
	                 a.s_access),
	    404);
	e2e_rand_hex(junk, sizeof(junk), 16);
	sessions_path(path, sizeof(path), junk);
	cr_assert_eq(status_of("DELETE", path, a.s_access), 404);
	cr_assert_eq(
	    status_of("DELETE", "/auth/sessions/x'%3B--", a.s_access), 404);
	cr_assert_eq(status_of("DELETE", "/auth/sessions/1", NULL), 401);

	/* All others. */
	cr_assert_eq(status_of("DELETE", "/auth/sessions", a.s_access), 204);
	assert_revoked(c.s_access, "an other session after DELETE all");
	assert_alive(a.s_access, "the current session after DELETE all");
	assert_alive(stranger.s_access, "another user after DELETE all");
	l = sessions_of(a.s_access);
	cr_assert_eq(json_object_array_length(l), 1, "left: %s",
	    json_object_to_json_string(l));
	cr_assert(session_find(l, a.s_sid) != NULL);
	json_object_put(l);
	cr_assert_eq(status_of("GET", "/auth/sessions", NULL), 401);
}

/*
 * The fixture's stack trusts 127.0.0.1 as a proxy: the client address is
 * the rightmost X-Forwarded-For element that is not a trusted proxy.
 */
Test(sessions, trusted_proxy_client_addr)
{
	struct sess s, t;
	struct json_object *l, *e;
	char email[128], addr[ADDR_CAP], line[256], got[256];
	const char *h[2], *v;

	e2e_email(email, sizeof(email), "xff");
	fake_addr(addr, sizeof(addr));
	xff_hdrs(line, sizeof(line), addr, h);
	signup_sess(email, PASSWORD, h, &s);
	/* A spoofed element left of the real client changes nothing. */
	snprintf(line, sizeof(line),
	    "X-Forwarded-For: 203.0.113.9, %s, "
	    "127.0.0.1",
	    addr);
	login_sess(email, PASSWORD, h, &t);

	l = sessions_of(s.s_access);
	e = session_find(l, s.s_sid);
	cr_assert(e != NULL && (v = str_field(e, "client_addr")) != NULL &&
	              strcmp(v, addr) == 0,
	    "signup session's client_addr is not %s: %s", addr,
	    json_object_to_json_string(l));
	e = session_find(l, t.s_sid);
	cr_assert(e != NULL && (v = str_field(e, "client_addr")) != NULL &&
	              strcmp(v, addr) == 0,
	    "login session's client_addr is not %s: %s", addr,
	    json_object_to_json_string(l));
	json_object_put(l);
	cr_assert(e2e_sql_value(got, sizeof(got),
	              "select client_addr from auth.audit_log "
	              "where event = 'login' and session_id = '%s'",
	              t.s_sid) == 0);
	cr_assert_str_eq(got, addr);
}

/* ------------------------------------------------------------ password */

static void
password_call(
    const char *tok, const char *cur, const char *npw, struct e2e_resp *r)
{
	struct buf b;

	buf_init(&b);
	cr_assert(buf_printf(&b,
	              "{\"current_password\":\"%s\",\"new_password\":\"%s\"}",
	              cur, npw) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/password", tok, NULL, b.b_data, r) == 0);
	buf_free(&b);
}

Test(sessions, password_change)
{
	struct sess a, b, c, d;
	struct e2e_resp r;
	char email[128];

	e2e_email(email, sizeof(email), "passwd");
	signup_sess(email, PASSWORD, NULL, &a);
	login_sess(email, PASSWORD, NULL, &b);
	login_sess(email, PASSWORD, NULL, &c);

	password_call(a.s_access, WRONG_PASSWORD, PASSWORD2, &r);
	assert_code(&r, 403, "PN300");
	e2e_resp_free(&r);
	assert_alive(b.s_access, "after a wrong current password");
	password_call(a.s_access, PASSWORD, "Password1", &r);
	assert_code(&r, 400, "PN104");
	e2e_resp_free(&r);
	password_call(a.s_access, PASSWORD, "iloveyou", &r);
	assert_code(&r, 400, "PN104");
	e2e_resp_free(&r);
	password_call(a.s_access, PASSWORD, "short", &r);
	assert_code(&r, 400, "PN104");
	e2e_resp_free(&r);
	cr_assert(e2e_call("POST", "/auth/password", a.s_access, NULL,
	              "{\"current_password\":\"" PASSWORD "\"}", &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	password_call(NULL, PASSWORD, PASSWORD2, &r);
	assert_code(&r, 401, "PN200");
	e2e_resp_free(&r);
	cr_assert_eq(login_status(email, PASSWORD, NULL), 200,
	    "a refused change changed the password");

	password_call(a.s_access, PASSWORD, PASSWORD2, &r);
	cr_assert_eq(r.er_status, 204, "password change: %ld %s", r.er_status,
	    e2e_body(&r));
	e2e_resp_free(&r);
	assert_revoked(b.s_access, "another session after the change");
	assert_revoked(c.s_access, "a third session after the change");
	refresh_call(b.s_refresh, &r);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);
	assert_alive(a.s_access, "the changing session");
	refresh_call(a.s_refresh, &r);
	cr_assert_eq(r.er_status, 200, "the changing session's refresh: %s",
	    e2e_body(&r));
	e2e_resp_free(&r);

	post_creds("login", email, PASSWORD, NULL, &r);
	assert_code(&r, 401, "PN202");
	e2e_resp_free(&r);
	login_sess(email, PASSWORD2, NULL, &d);
	assert_alive(d.s_access, "a login with the new password");
}

Test(sessions, signup_common_password)
{
	static const char *const common[] = {
	    "password1", "Password1", "PASSWORD1", "iloveyou", "ILoveYou"};
	struct e2e_resp r;
	char email[128], n[32];
	const char *m;
	size_t i;

	e2e_email(email, sizeof(email), "common");
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		post_creds("signup", email, common[i], NULL, &r);
		assert_code(&r, 400, "PN104");
		m = str_field(r.er_json, "message");
		cr_assert(m != NULL && strcasestr(m, "common") != NULL,
		    "the message does not say why: %s", e2e_body(&r));
		e2e_resp_free(&r);
	}
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users where email = '%s'",
	              email) == 0);
	cr_assert_str_eq(n, "0", "a refused signup created the user");
	/* The same email with an uncommon password is fine. */
	post_creds("signup", email, PASSWORD, NULL, &r);
	cr_assert_eq(r.er_status, 201, "%s", e2e_body(&r));
	e2e_resp_free(&r);
}

/* --------------------------------------------------------- rate limits */

static unsigned long
retry_after(const struct e2e_resp *r)
{
	char v[64], *end;
	unsigned long n;

	cr_assert(e2e_header(r, "Retry-After", v, sizeof(v)) == 0,
	    "429 without Retry-After");
	cr_assert(v[0] != '\0' && isdigit((unsigned char)v[0]),
	    "Retry-After is not delay-seconds: %s", v);
	n = strtoul(v, &end, 10);
	cr_assert(*end == '\0', "Retry-After is not an integer: %s", v);
	return n;
}

Test(sessions, login_limit_per_email)
{
	struct e2e_resp r;
	struct sess s;
	char email[128], upper[128], other[128], unknown[128];
	unsigned long ra;
	size_t i;
	long st;

	e2e_email(email, sizeof(email), "limited");
	e2e_email(other, sizeof(other), "bystander");
	e2e_email(unknown, sizeof(unknown), "nobody");
	signup_sess(email, PASSWORD, NULL, &s);
	signup_sess(other, PASSWORD, NULL, &s);

	for (i = 0; i < 10; i++) {
		st = login_status(email, WRONG_PASSWORD, NULL);
		cr_assert_eq(
		    st, 401, "wrong login %zu answered %ld", i + 1, st);
	}
	post_creds("login", email, WRONG_PASSWORD, NULL, &r);
	assert_code(&r, 429, "PN700");
	ra = retry_after(&r);
	cr_log_info("11th failed login: 429, Retry-After %lu", ra);
	cr_assert(ra > 0 && ra <= 900, "Retry-After %lu", ra);
	e2e_resp_free(&r);
	/* Locked: even the right password, and whatever the case. */
	cr_assert_eq(login_status(email, PASSWORD, NULL), 429);
	for (i = 0; email[i] != '\0'; i++)
		upper[i] = (char)toupper((unsigned char)email[i]);
	upper[i] = '\0';
	cr_assert_eq(login_status(upper, PASSWORD, NULL), 429);

	/* Another email, at the same moment and from the same address. */
	login_sess(other, PASSWORD, NULL, &s);
	cr_assert_eq(login_status(unknown, WRONG_PASSWORD, NULL), 401);
	cr_assert_eq(login_status(other, WRONG_PASSWORD, NULL), 401);
	login_sess(other, PASSWORD, NULL, &s);
}

/* ----------------------------------------------------------- audit log */

/* No row of auth.audit_log holds secret anywhere in its text. */
static void
assert_not_in_audit(const char *secret, const char *what)
{
	char n[32];
	size_t i;

	/* Only characters that need no quoting reach the SQL text. */
	for (i = 0; secret[i] != '\0'; i++)
		cr_assert(isalnum((unsigned char)secret[i]) ||
		          strchr(" ._-", secret[i]) != NULL);
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.audit_log a "
	              "where strpos(a::text, '%s') > 0",
	              secret) == 0);
	cr_assert_str_eq(n, "0", "the audit log holds the %s", what);
}

static long
audit_count(
    const char *addr, const char *event, const char *uid, const char *sid)
{
	char n[32];

	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.audit_log "
	              "where client_addr = '%s' and event = '%s' "
	              "and tbl = 'users' "
	              "and user_id is not distinct from nullif('%s', '') "
	              "and session_id::text is not distinct from "
	              "nullif('%s', '')",
	              addr, event, uid != NULL ? uid : "",
	              sid != NULL ? sid : "") == 0);
	return strtol(n, NULL, 10);
}

Test(sessions, audit_log)
{
	static const char *const want =
	    "login,login_failure,logout,password_change,"
	    "password_change_failure,rate_limited,refresh,refresh_reuse,"
	    "session_revoke,sessions_revoke_others,signup";
	struct sess s0, s1, l1, l2, l3;
	struct e2e_resp r;
	struct buf b;
	char email[128], nobody[128], addr[ADDR_CAP], line[128], path[256];
	char got[1024], cols[256];
	const char *h[2];
	int i;

	e2e_email(email, sizeof(email), "audit");
	e2e_email(nobody, sizeof(nobody), "audit-nobody");
	/* Every request of this test comes from one made-up client, which
	 * picks out this test's rows. */
	fake_addr(addr, sizeof(addr));
	xff_hdrs(line, sizeof(line), addr, h);

	signup_sess(email, PASSWORD, h, &s0);
	login_sess(email, PASSWORD, h, &l1);
	login_sess(email, PASSWORD, h, &l2);
	login_sess(email, PASSWORD, h, &l3);
	cr_assert_eq(login_status(email, WRONG_PASSWORD, h), 401);

	buf_init(&b);
	cr_assert(
	    buf_printf(&b, "{\"refresh_token\":\"%s\"}", s0.s_refresh) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/refresh", NULL, h, b.b_data, &r) == 0);
	take_tokens(&r, 200, email, NULL, &s1);
	e2e_resp_free(&r);
	cr_assert(
	    e2e_call("POST", "/auth/refresh", NULL, h, b.b_data, &r) == 0);
	assert_code(&r, 401, "PN201");
	e2e_resp_free(&r);

	sessions_path(path, sizeof(path), l2.s_sid);
	cr_assert(e2e_call("DELETE", path, l1.s_access, h, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert(e2e_call("DELETE", "/auth/sessions", l1.s_access, h, NULL,
	              &r) == 0);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);

	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"current_password\":\"%s\",\"new_password\":\"%s\"}",
	              WRONG_PASSWORD, PASSWORD2) == 0);
	cr_assert(e2e_call("POST", "/auth/password", l1.s_access, h, b.b_data,
	              &r) == 0);
	assert_code(&r, 403, "PN300");
	e2e_resp_free(&r);
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"current_password\":\"%s\",\"new_password\":\"%s\"}",
	              PASSWORD, PASSWORD2) == 0);
	cr_assert(e2e_call("POST", "/auth/password", l1.s_access, h, b.b_data,
	              &r) == 0);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert(
	    e2e_call("POST", "/auth/logout", l1.s_access, h, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);

	/* An unknown email into its limit. */
	for (i = 0; i < 10; i++)
		cr_assert_eq(login_status(nobody, WRONG_PASSWORD, h), 401);
	cr_assert_eq(login_status(nobody, WRONG_PASSWORD, h), 429);

	cr_assert(e2e_sql_value(got, sizeof(got),
	              "select string_agg(distinct event, ',' order by event) "
	              "from auth.audit_log where client_addr = '%s'",
	              addr) == 0);
	cr_assert_str_eq(got, want, "audit events: %s", got);

	/* The rows name the user and the session they concern. */
	cr_assert_eq(audit_count(addr, "signup", s0.s_uid, s0.s_sid), 1);
	cr_assert_eq(audit_count(addr, "login", s0.s_uid, l1.s_sid), 1);
	cr_assert_eq(audit_count(addr, "login_failure", s0.s_uid, NULL), 1);
	cr_assert_eq(audit_count(addr, "login_failure", NULL, NULL), 10);
	cr_assert_eq(audit_count(addr, "refresh", s0.s_uid, s0.s_sid), 1);
	cr_assert_eq(audit_count(addr, "refresh_reuse", s0.s_uid, s0.s_sid), 1);
	cr_assert_eq(
	    audit_count(addr, "session_revoke", s0.s_uid, l2.s_sid), 1);
	cr_assert_eq(
	    audit_count(addr, "sessions_revoke_others", s0.s_uid, l1.s_sid), 1);
	cr_assert_eq(
	    audit_count(addr, "password_change_failure", s0.s_uid, l1.s_sid),
	    1);
	cr_assert_eq(
	    audit_count(addr, "password_change", s0.s_uid, l1.s_sid), 1);
	cr_assert_eq(audit_count(addr, "logout", s0.s_uid, l1.s_sid), 1);
	cr_assert_eq(audit_count(addr, "rate_limited", NULL, NULL), 1);

	/* No column could hold a secret, and no row holds one of ours. */
	cr_assert(e2e_sql_value(cols, sizeof(cols),
	              "select string_agg(column_name::text, ',' "
	              "order by ordinal_position) "
	              "from information_schema.columns "
	              "where table_schema = 'auth' "
	              "and table_name = 'audit_log'") == 0);
	cr_assert_str_eq(
	    cols, "id,at,event,tbl,user_id,client_addr,session_id");
	assert_not_in_audit(PASSWORD, "password");
	assert_not_in_audit(PASSWORD2, "new password");
	assert_not_in_audit(WRONG_PASSWORD, "wrong password");
	assert_not_in_audit(s0.s_access, "access token");
	assert_not_in_audit(s1.s_access, "refreshed access token");
	assert_not_in_audit(l1.s_access, "login access token");
	assert_not_in_audit(s0.s_refresh, "spent refresh token");
	assert_not_in_audit(s1.s_refresh, "refresh token");
	assert_not_in_audit(l3.s_refresh, "revoked refresh token");
	buf_free(&b);
}

/* -------------------------------------------------------------- timing */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One failed login; returns its wall time in ms and checks the body. */
static double
timed_failure(const char *email, char *body, size_t bodycap)
{
	struct timespec t0, t1;
	struct e2e_resp r;
	struct buf b;

	creds_body(&b, email, WRONG_PASSWORD);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_code(&r, 401, "PN202");
	if (body[0] == '\0') {
		cr_assert(r.er_body.b_len < bodycap);
		memcpy(body, r.er_body.b_data, r.er_body.b_len + 1);
	} else
		cr_assert_str_eq(e2e_body(&r), body,
		    "the 401 bodies of unknown email and wrong password "
		    "differ");
	e2e_resp_free(&r);
	buf_free(&b);
	return (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

/*
 * Unknown email and wrong password take the same time: authd verifies
 * against a dummy hash when the email is unknown.  Interleaved, so that
 * load from other tests falls on both alike; each known user gets at most
 * 5 wrong attempts, below the per-email limit of 10.
 */
Test(sessions, login_timing_does_not_tell_emails_apart)
{
	char known[TIMING_USERS][128], unknown[128], body[1024];
	double t_unknown[TIMING_N], t_wrong[TIMING_N], mu, mw, diff;
	struct sess s;
	int i;

	for (i = 0; i < TIMING_USERS; i++) {
		e2e_email(known[i], sizeof(known[i]), "timing");
		signup_sess(known[i], PASSWORD, NULL, &s);
	}
	body[0] = '\0';
	for (i = 0; i < TIMING_N; i++) {
		e2e_email(unknown, sizeof(unknown), "timing-nobody");
		if (i % 2 == 0) {
			t_unknown[i] =
			    timed_failure(unknown, body, sizeof(body));
			t_wrong[i] = timed_failure(
			    known[i % TIMING_USERS], body, sizeof(body));
		} else {
			t_wrong[i] = timed_failure(
			    known[i % TIMING_USERS], body, sizeof(body));
			t_unknown[i] =
			    timed_failure(unknown, body, sizeof(body));
		}
	}
	mu = median(t_unknown, TIMING_N);
	mw = median(t_wrong, TIMING_N);
	diff = (mu > mw ? mu - mw : mw - mu) / (mu > mw ? mu : mw);
	cr_log_info("login timing: median unknown email %.2f ms, median "
	            "wrong password %.2f ms, difference %.1f%%",
	    mu, mw, diff * 100);
	cr_assert(diff <= 0.25,
	    "unknown email %.2f ms vs wrong password %.2f ms: %.1f%% apart", mu,
	    mw, diff * 100);
}

/* ----------------------------------------- revocations that do not commit */

/*
 * Makes the database refuse writes for real, scoped so that the other
 * tests running at the same time are not touched: a trigger on
 * auth.sessions, installed as the superuser, that raises read-only's
 * SQLSTATE for the rows it picks (when, a condition on old/new): BEFORE
 * UPDATE or, with at_commit, a deferred constraint trigger AFTER INSERT OR
 * UPDATE, whose refusal comes only at COMMIT.  Writes the trigger's name to
 * name for write_refusal_end.
 */
static void
write_refusal_begin(char *name, size_t namelen, int at_commit, const char *when)
{
	char hex[17];

	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(name, namelen, "e2e_refuse_%s", hex);
	cr_assert(e2e_sql("create function auth.%s() returns trigger "
	                  "language plpgsql as $$ begin raise exception "
	                  "'e2e: the database refuses this write' using "
	                  "errcode = 'read_only_sql_transaction'; end $$",
	              name) == 0);
	if (at_commit)
		cr_assert(e2e_sql("create constraint trigger %s after insert "
		                  "or update on auth.sessions deferrable "
		                  "initially deferred for each row when (%s) "
		                  "execute function auth.%s()",
		              name, when, name) == 0);
	else
		cr_assert(e2e_sql("create trigger %s before update on "
		                  "auth.sessions for each row when (%s) "
		                  "execute function auth.%s()",
		              name, when, name) == 0);
}

static void
write_refusal_end(const char *name)
{
	cr_assert(e2e_sql("drop trigger %s on auth.sessions; "
	                  "drop function auth.%s()",
	              name, name) == 0);
}

/* 503 PN801, the JSON error body, and a Retry-After of delay-seconds. */
static void
assert_unavailable(const struct e2e_resp *r, const char *what)
{
	cr_assert_eq(r->er_status, 503, "%s answered %ld: %s", what,
	    r->er_status, e2e_body(r));
	assert_code(r, 503, "PN801");
	cr_assert(retry_after(r) > 0, "%s: Retry-After 0", what);
}

static long
revoked_at_null(const char *sid)
{
	char n[32];

	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.sessions where id = '%s' "
	              "and revoked_at is null",
	              sid) == 0);
	return strtol(n, NULL, 10);
}

/*
 * With the database refusing the UPDATE, logout, deleting a session,
 * deleting the other sessions and a password change answer 503 with
 * Retry-After (never 204), the sessions stay live in the database (the
 * 503 is honest), yet this node refuses them at once.  Once the database
 * takes writes again, the same requests succeed.
 */
Test(sessions, revocation_not_committed_is_503)
{
	struct sess s0, l1, l2, l3, l4, l5;
	struct e2e_resp r;
	struct buf b;
	char email[128], when[256], trig[64], path[256];

	e2e_email(email, sizeof(email), "refused");
	signup_sess(email, PASSWORD, NULL, &s0);
	login_sess(email, PASSWORD, NULL, &l1);
	login_sess(email, PASSWORD, NULL, &l2);
	login_sess(email, PASSWORD, NULL, &l3);
	login_sess(email, PASSWORD, NULL, &l4);
	snprintf(when, sizeof(when), "old.tbl = 'users' and old.user_id = '%s'",
	    s0.s_uid);
	write_refusal_begin(trig, sizeof(trig), 0, when);

	cr_assert(
	    e2e_call("POST", "/auth/logout", l1.s_access, NULL, NULL, &r) == 0);
	assert_unavailable(&r, "logout");
	e2e_resp_free(&r);
	cr_assert_eq(revoked_at_null(l1.s_sid), 1);
	assert_revoked(l1.s_access, "a logout that did not commit");

	sessions_path(path, sizeof(path), l2.s_sid);
	cr_assert(e2e_call("DELETE", path, l3.s_access, NULL, NULL, &r) == 0);
	assert_unavailable(&r, "DELETE /auth/sessions/{id}");
	e2e_resp_free(&r);
	cr_assert_eq(revoked_at_null(l2.s_sid), 1);
	assert_revoked(l2.s_access, "a session delete that did not commit");
	assert_alive(l3.s_access, "the deleting session");

	cr_assert(e2e_call("DELETE", "/auth/sessions", l3.s_access, NULL, NULL,
	              &r) == 0);
	assert_unavailable(&r, "DELETE /auth/sessions");
	e2e_resp_free(&r);
	cr_assert_eq(revoked_at_null(l4.s_sid), 1);
	assert_revoked(l4.s_access, "a revoke-others that did not commit");
	assert_revoked(s0.s_access, "a revoke-others that did not commit");
	assert_alive(l3.s_access, "the current session");

	/* A new session, then a password change that cannot commit. */
	login_sess(email, PASSWORD, NULL, &l5);
	buf_init(&b);
	cr_assert(buf_printf(&b,
	              "{\"current_password\":\"%s\",\"new_password\":\"%s\"}",
	              PASSWORD, PASSWORD2) == 0);
	cr_assert(e2e_call("POST", "/auth/password", l3.s_access, NULL,
	              b.b_data, &r) == 0);
	assert_unavailable(&r, "password change");
	e2e_resp_free(&r);
	assert_revoked(l5.s_access, "a password change that did not commit");
	assert_alive(l3.s_access, "the session changing the password");
	/* Nothing of it was committed: the old password still logs in. */
	cr_assert_eq(revoked_at_null(l5.s_sid), 1);
	cr_assert_eq(login_status(email, PASSWORD2, NULL), 401);
	cr_assert_eq(login_status(email, PASSWORD, NULL), 200);

	write_refusal_end(trig);
	cr_assert_eq(status_of("POST", "/auth/logout", l1.s_access), 204);
	cr_assert_eq(revoked_at_null(l1.s_sid), 0);
	cr_assert(e2e_call("POST", "/auth/password", l3.s_access, NULL,
	              b.b_data, &r) == 0);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	cr_assert_eq(revoked_at_null(l5.s_sid), 0);
	buf_free(&b);
}

/*
 * Signup, login and refresh tell the client of a new session: with the
 * database refusing the session at COMMIT, each answers 503 with
 * Retry-After, and nothing of it exists afterwards (no user, no usable
 * token; the refresh token presented is still the live one).
 */
Test(sessions, session_not_committed_is_503)
{
	struct sess s0, s1;
	struct e2e_resp r;
	struct buf b;
	char email[128], email2[128], when[256], trig[64], hex[17];
	char ua[64], n[32];
	const char *h[2] = {ua, NULL};

	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(ua, sizeof(ua), "User-Agent: e2e-refuse-%s", hex);
	snprintf(when, sizeof(when), "new.user_agent = 'e2e-refuse-%s'", hex);
	e2e_email(email, sizeof(email), "refused-commit");
	e2e_email(email2, sizeof(email2), "refused-signup");
	signup_sess(email, PASSWORD, NULL, &s0);
	write_refusal_begin(trig, sizeof(trig), 1, when);

	post_creds("signup", email2, PASSWORD, h, &r);
	assert_unavailable(&r, "signup");
	e2e_resp_free(&r);
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users where email = '%s'",
	              email2) == 0);
	cr_assert_str_eq(n, "0", "a signup that did not commit left its user");

	post_creds("login", email, PASSWORD, h, &r);
	assert_unavailable(&r, "login");
	e2e_resp_free(&r);

	buf_init(&b);
	cr_assert(
	    buf_printf(&b, "{\"refresh_token\":\"%s\"}", s0.s_refresh) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/refresh", NULL, h, b.b_data, &r) == 0);
	assert_unavailable(&r, "refresh");
	e2e_resp_free(&r);

	write_refusal_end(trig);
	/* The refused rotation spent nothing. */
	refresh_call(s0.s_refresh, &r);
	take_tokens(&r, 200, email, NULL, &s1);
	e2e_resp_free(&r);
	signup_sess(email2, PASSWORD, NULL, &s1);
	buf_free(&b);
}

/* ------------------------------------------------------ hostile headers */

/*
 * A User-Agent with bytes that are not UTF-8 (0xFF 0xFE) is stored with
 * U+FFFD in their place: signup, login and refresh answer as usual.
 */
Test(sessions, user_agent_not_utf8)
{
	static const char *const h[] = {
	    "User-Agent: e2e \xff\xfe agent \xc3", NULL};
	struct sess s0, l1, r1;
	struct e2e_resp r;
	struct buf b;
	char email[128], ua[256];

	e2e_email(email, sizeof(email), "ua-bytes");
	post_creds("signup", email, PASSWORD, h, &r);
	take_tokens(&r, 201, email, PASSWORD, &s0);
	e2e_resp_free(&r);
	post_creds("login", email, PASSWORD, h, &r);
	take_tokens(&r, 200, email, PASSWORD, &l1);
	e2e_resp_free(&r);
	buf_init(&b);
	cr_assert(
	    buf_printf(&b, "{\"refresh_token\":\"%s\"}", l1.s_refresh) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/refresh", NULL, h, b.b_data, &r) == 0);
	take_tokens(&r, 200, email, NULL, &r1);
	e2e_resp_free(&r);
	buf_free(&b);
	cr_assert(e2e_sql_value(ua, sizeof(ua),
	              "select user_agent from auth.sessions where id = '%s'",
	              l1.s_sid) == 0);
	cr_assert_str_eq(ua, "e2e \xef\xbf\xbd\xef\xbf\xbd agent \xef\xbf\xbd",
	    "stored User-Agent: %s", ua);
}

/* ---------------------------------------------------------------- emails */

static long
signup_status(const char *email, const char **code)
{
	static char c[16];
	struct e2e_resp r;
	const char *v;
	long st;

	post_creds("signup", email, PASSWORD, NULL, &r);
	st = r.er_status;
	c[0] = '\0';
	if ((v = str_field(r.er_json, "code")) != NULL)
		snprintf(c, sizeof(c), "%s", v);
	if (st >= 400)
		e2e_assert_error(&r, st);
	e2e_resp_free(&r);
	*code = c;
	return st;
}

/*
 * One address, one account: Unicode case folding, Unicode white space
 * trimmed, control and format characters refused (docs/auth.md).
 */
Test(sessions, email_unicode_rule)
{
	struct sess s0, l1;
	struct e2e_resp r;
	char hex[17], lower[128], upper[128], v[160];
	const char *code;
	size_t i;

	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(lower, sizeof(lower), "\xc3\xbcn\xc3\xaf-%s@example.com", hex);
	snprintf(upper, sizeof(upper), "\xc3\x9cN\xc3\x8f-%s@EXAMPLE.COM", hex);
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	signup_sess(lower, PASSWORD, NULL, &s0);
	cr_assert_eq(signup_status(upper, &code), 409, "upper case: %s", code);
	cr_assert_str_eq(code, "PN500");
	/* Trimmed white space: the same account. */
	snprintf(v, sizeof(v), "\xc2\xa0%s", lower);
	cr_assert_eq(signup_status(v, &code), 409, "leading U+00A0: %s", code);
	snprintf(v, sizeof(v), "%s\xe3\x80\x80", upper);
	cr_assert_eq(signup_status(v, &code), 409, "trailing U+3000: %s", code);
	/* Invisible characters: refused. */
	snprintf(v, sizeof(v), "\xef\xbb\xbf%s", lower);
	cr_assert_eq(signup_status(v, &code), 400, "leading U+FEFF");
	cr_assert_str_eq(code, "PN103");
	snprintf(
	    v, sizeof(v), "\xc3\xbcn\xc3\xaf-%s\xe2\x80\x8b@example.com", hex);
	cr_assert_eq(signup_status(v, &code), 400, "U+200B before the @");
	cr_assert_str_eq(code, "PN103");
	snprintf(v, sizeof(v), "\xc3\xbcn\xc3\xaf-%s\xc2\xad@example.com", hex);
	cr_assert_eq(signup_status(v, &code), 400, "U+00AD before the @");
	cr_assert_str_eq(code, "PN103");
	/* The account logs in under any of its spellings. */
	post_creds("login", upper, PASSWORD, NULL, &r);
	take_tokens(&r, 200, lower, PASSWORD, &l1);
	e2e_resp_free(&r);
	cr_assert_str_eq(l1.s_uid, s0.s_uid);
	snprintf(v, sizeof(v), "\xc2\xa0%s\xe3\x80\x80", upper);
	post_creds("login", v, PASSWORD, NULL, &r);
	take_tokens(&r, 200, lower, PASSWORD, &l1);
	e2e_resp_free(&r);
	cr_assert_str_eq(l1.s_uid, s0.s_uid);
}

/*
 * Parallel attempts cannot all pass at the limit: after nine failed logins
 * for one email from one address, eight more at once get one 401 and
 * seven 429s.  Attempts are counted before the password is verified,
 * each key under a lock shared by every authd; when the count came after
 * the verification, the hash workers each checked the count at nine and
 * each verified a guess.
 */
Test(sessions, login_limit_holds_under_parallel_attempts)
{
	struct racer rc[RACERS];
	char email[128], x[ADDR_CAP], line[128];
	const char *hx[2];
	struct buf b;
	int i, n401 = 0, n429 = 0;

	e2e_email(email, sizeof(email), "parallel");
	fake_addr(x, sizeof(x));
	xff_hdrs(line, sizeof(line), x, hx);
	for (i = 1; i <= 9; i++)
		cr_assert_eq(login_status(email, WRONG_PASSWORD, hx), 401,
		    "attempt %d", i);
	creds_body(&b, email, WRONG_PASSWORD);
	race_run(rc, "/auth/login", hx, b.b_data);
	buf_free(&b);
	for (i = 0; i < RACERS; i++) {
		cr_assert_eq(rc[i].rc_err, 0, "attempt %d got no answer", i);
		if (rc[i].rc_status == 401)
			n401++;
		else if (rc[i].rc_status == 429)
			n429++;
	}
	cr_log_info("%d parallel attempts at 9 of 10: %d 401, %d 429", RACERS,
	    n401, n429);
	cr_assert_eq(n401, 1,
	    "%d of %d parallel attempts were verified at "
	    "one attempt left",
	    n401, RACERS);
	cr_assert_eq(n429, RACERS - 1, "answers other than 401/429");
}

/*
 * The per-email limit counts per client address: an attacker at X who
 * runs the victim's email into its limit does not lock the victim out at
 * Y.  A slower limit counts the email from every address together
 * (login_limit_per_email_global, 100 by default): from the 11th address of
 * 10 failures each, the email is blocked everywhere.
 */
Test(sessions, login_limit_per_email_and_address)
{
	struct e2e_resp r;
	struct sess s;
	char email[128], x[ADDR_CAP], y[ADDR_CAP], line[128], line2[128];
	const char *hx[2], *hy[2];
	int i, a, first429 = 0;
	long st;

	e2e_email(email, sizeof(email), "victim");
	signup_sess(email, PASSWORD, NULL, &s);
	fake_addr(x, sizeof(x));
	do
		fake_addr(y, sizeof(y));
	while (strcmp(x, y) == 0);
	xff_hdrs(line, sizeof(line), x, hx);
	xff_hdrs(line2, sizeof(line2), y, hy);

	for (i = 1; i <= 11 && first429 == 0; i++)
		if ((st = login_status(email, WRONG_PASSWORD, hx)) == 429)
			first429 = i;
		else
			cr_assert_eq(st, 401, "attempt %d answered %ld", i, st);
	cr_log_info("per email and address: first 429 at attempt %d", first429);
	cr_assert_eq(
	    first429, 11, "the first 429 came at attempt %d", first429);
	post_creds("login", email, PASSWORD, hx, &r);
	assert_code(&r, 429, "PN700");
	e2e_resp_free(&r);
	/* The owner, from another address, logs in. */
	login_sess(email, PASSWORD, hy, &s);

	/* 90 more failures from 9 more addresses: 100 for the email. */
	for (a = 0; a < 9; a++) {
		fake_addr(x, sizeof(x));
		xff_hdrs(line, sizeof(line), x, hx);
		for (i = 0; i < 10; i++)
			cr_assert_eq(login_status(email, WRONG_PASSWORD, hx),
			    401, "address %d, attempt %d", a, i);
	}
	/* Now the email is blocked from everywhere, the owner included. */
	post_creds("login", email, PASSWORD, hy, &r);
	assert_code(&r, 429, "PN700");
	e2e_resp_free(&r);
}

/*
 * The columns a signup sets besides email and password follow the data
 * API's typed input rules: 400 PN101 for a value of the wrong JSON type or
 * a string with a NUL, and nothing is created.
 */
Test(sessions, signup_columns_typed)
{
	static const char *const bad[] = {"\"name\":{\"a\":[1,2]}",
	    "\"name\":[1]", "\"name\":12", "\"name\":true",
	    "\"name\":\"abc\\u0000def\"", "\"created_at\":{\"x\":1}"};
	struct e2e_resp r;
	struct buf b;
	char email[128], n[32];
	const char *name;
	size_t i;

	e2e_email(email, sizeof(email), "typed");
	buf_init(&b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		cr_assert(
		    buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\",%s}",
		        email, PASSWORD, bad[i]) == 0);
		cr_assert(e2e_call("POST", "/auth/signup", NULL, NULL, b.b_data,
		              &r) == 0);
		cr_assert_eq(r.er_status, 400, "%s answered %ld: %s", bad[i],
		    r.er_status, e2e_body(&r));
		assert_code(&r, 400, "PN101");
		e2e_resp_free(&r);
	}
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users where email = '%s'",
	              email) == 0);
	cr_assert_str_eq(n, "0", "a refused signup created the user");
	/* A NUL in a password: 400 at signup and login alike (json_get_str
	 * takes no string with a NUL). */
	buf_reset(&b);
	cr_assert(
	    buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\\u0000x\"}",
	        email, PASSWORD) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/signup", NULL, NULL, b.b_data, &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	cr_assert(
	    e2e_call("POST", "/auth/login", NULL, NULL, b.b_data, &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"%s\",\"name\":\"Ann\"}",
	              email, PASSWORD) == 0);
	cr_assert(
	    e2e_call("POST", "/auth/signup", NULL, NULL, b.b_data, &r) == 0);
	cr_assert_eq(r.er_status, 201, "%s", e2e_body(&r));
	name = str_field(field(r.er_json, "user"), "name");
	cr_assert(name != NULL && strcmp(name, "Ann") == 0, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	buf_free(&b);
}

/*
 * Database refusals that no retry can cure are the client's 4xx, never a
 * 503 "retry later": an exclusion constraint is a 409, a value too large
 * for an index (54000) a 400.
 */
Test(sessions, signup_refusals_that_retry_cannot_cure)
{
	char name[64], prefix[80], path[96], email[128], big[9001];
	struct e2e_resp r;
	struct buf b;
	unsigned x = (unsigned)getpid() * 2654435761u;
	size_t i;
	int tries;

	snprintf(name, sizeof(name), "exusers_%08x", x);
	snprintf(prefix, sizeof(prefix), "/ex_%08x", x);
	cr_assert(
	    e2e_sql("create table public.%1$s ("
	            " id bigserial primary key,"
	            " email text unique not null,"
	            " slot int4range,"
	            " note text,"
	            " exclude using gist (slot with &&));"
	            "create index on public.%1$s (note);"
	            "grant select, insert on public.%1$s to postern_authd;"
	            "grant usage on sequence public.%1$s_id_seq"
	            " to postern_authd;"
	            "insert into postern.endpoints"
	            " (kind, path, table_name, ops)"
	            " values ('auth', '%2$s', '%1$s', '{signup}');",
	        name, prefix) == 0);
	snprintf(path, sizeof(path), "%s/signup", prefix);
	buf_init(&b);
	/* The first takes the slot (once the route is live). */
	for (tries = 0;; tries++) {
		e2e_email(email, sizeof(email), "ex");
		buf_reset(&b);
		cr_assert(buf_printf(&b,
		              "{\"email\":\"%s\",\"password\":\"%s\","
		              "\"slot\":\"[1,10)\"}",
		              email, PASSWORD) == 0);
		cr_assert(
		    e2e_call("POST", path, NULL, NULL, b.b_data, &r) == 0);
		if (r.er_status != 404 || tries >= 50)
			break;
		e2e_resp_free(&r);
		usleep(100 * 1000);
	}
	cr_assert_eq(r.er_status, 201, "first signup: %ld %s", r.er_status,
	    e2e_body(&r));
	e2e_resp_free(&r);
	/* An overlapping slot: the exclusion constraint. */
	e2e_email(email, sizeof(email), "ex");
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"%s\","
	              "\"slot\":\"[5,6)\"}",
	              email, PASSWORD) == 0);
	cr_assert(e2e_call("POST", path, NULL, NULL, b.b_data, &r) == 0);
	assert_code(&r, 409, "PN500");
	e2e_resp_free(&r);
	/* 9000 characters that do not compress: too large for the index. */
	for (i = 0; i < sizeof(big) - 1; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)('a' + (x >> 16) % 26);
	}
	big[sizeof(big) - 1] = '\0';
	e2e_email(email, sizeof(email), "ex");
	buf_reset(&b);
	cr_assert(buf_printf(&b,
	              "{\"email\":\"%s\",\"password\":\"%s\",\"note\":\"%s\"}",
	              email, PASSWORD, big) == 0);
	cr_assert(e2e_call("POST", path, NULL, NULL, b.b_data, &r) == 0);
	assert_code(&r, 400, "PN101");
	e2e_resp_free(&r);
	buf_free(&b);
	cr_assert(e2e_sql("delete from postern.endpoints where path = '%s';"
	                  "drop table public.%s;",
	              prefix, name) == 0);
}
