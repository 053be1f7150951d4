/*
 * A second gateway+authd pair on the fixture's database.  Each test starts
 * its own pair from a copy of the fixture's config with its own socket and
 * listen address, the same database and the same signing key, and none of
 * the POSTERN_* variables the fixture runs with: the pair has the default
 * rate limits and, unless a test asks, no trusted proxies.  The rate-limit
 * counts are in the database, shared by both pairs (each applies its own
 * configured limits to them): a test that counts against 127.0.0.1 first
 * clears that address's counts, which the rest of the suite has run up.
 *
 *   - a revocation made through one pair reaches the other within one
 *     second (LISTEN/NOTIFY), and revocations are loaded at authd's start;
 *   - the per-address limits at their defaults: 100 failed logins, 100
 *     signups, and X-Forwarded-For only counts from a trusted proxy;
 *   - the limits do not grow with the number of nodes, nor reset when
 *     authd restarts.
 *
 * ctest runs this alone (RUN_SERIAL); the tests run one at a time.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define WRONG_PASSWORD "not the password at all"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define ADDR_CAP 64
#define LOGIN_LIMIT_PER_ADDR 100  /* the default */
#define SIGNUP_LIMIT_PER_ADDR 100 /* the default */
#define REVOKE_DEADLINE_MS 1000
#define POLL_MS 50

extern char **environ;

/* The second pair of this test process. */
struct pair {
	char p_dir[64]; /* temporary; holds all of the below */
	char p_conf[E2E_PATH_MAX];
	char p_socket[E2E_PATH_MAX];
	char p_authd_log[E2E_PATH_MAX];
	char p_gateway_log[E2E_PATH_MAX];
	char p_base[E2E_PATH_MAX]; /* http://127.0.0.1:<port> */
	pid_t p_authd;
	pid_t p_gateway;
	char p_extra[256]; /* more config lines, set before pair_start */
};

static struct pair pr = {.p_authd = -1, .p_gateway = -1};

static void
pair_remove(void)
{
	const char *const files[] = {
	    pr.p_conf, pr.p_socket, pr.p_authd_log, pr.p_gateway_log};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i][0] != '\0')
			unlink(files[i]);
	if (pr.p_dir[0] != '\0')
		rmdir(pr.p_dir);
	pr.p_dir[0] = '\0';
}

/*
 * Stops both daemons and fails the test if either logged a sanitizer
 * report; removes the pair's directory once all is well.
 */
static void
pair_finish(void)
{
	int bad;

	e2e_child_stop(&pr.p_gateway);
	e2e_child_stop(&pr.p_authd);
	bad = e2e_log_has_report(pr.p_authd_log) |
	      e2e_log_has_report(pr.p_gateway_log);
	cr_assert(
	    !bad, "sanitizer report in the second pair's logs (%s)", pr.p_dir);
	pair_remove();
}

/* Whatever happened, no child outlives its test; logs stay for a look. */
static void
pair_fini(void)
{
	if (pr.p_gateway > 0 || pr.p_authd > 0) {
		e2e_child_stop(&pr.p_gateway);
		e2e_child_stop(&pr.p_authd);
		fprintf(stderr, "test_pair: logs of the second pair in %s\n",
		    pr.p_dir);
	}
	e2e_teardown();
}

TestSuite(pair, .init = e2e_setup, .fini = pair_fini, .timeout = 90);

/*
 * e2e_call against base instead of the fixture's gateway.  The helpers
 * take the base URL from e2e_cf; this test is single-threaded, so swapping
 * it for one call is safe.
 */
static int
call_at(const char *base, const char *method, const char *path,
    const char *bearer, const char *const *hdrs, const char *body,
    struct e2e_resp *out)
{
	char saved[E2E_PATH_MAX], want[E2E_PATH_MAX];
	int rv;

	/* base may be e2e_cf.ee_base_url itself. */
	snprintf(want, sizeof(want), "%s", base);
	memcpy(saved, e2e_cf.ee_base_url, sizeof(saved));
	memcpy(e2e_cf.ee_base_url, want, sizeof(want));
	rv = e2e_call(method, path, bearer, hdrs, body, out);
	memcpy(e2e_cf.ee_base_url, saved, sizeof(saved));
	return rv;
}

static long
status_at(
    const char *base, const char *method, const char *path, const char *bearer)
{
	struct e2e_resp r;
	long st = -1;

	if (call_at(base, method, path, bearer, NULL, NULL, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* Whether pid has exited (reaped here); *pidp becomes -1 if so. */
static int
child_exited(pid_t *pidp)
{
	int st;

	if (*pidp <= 0)
		return 1;
	if (waitpid(*pidp, &st, WNOHANG) == *pidp) {
		*pidp = -1;
		return 1;
	}
	return 0;
}

/* Whether a config line sets one of the keys the pair sets itself. */
static int
conf_line_ours(const char *line)
{
	static const char *const keys[] = {"listen", "socket",
	    "trusted_proxies", "login_limit_per_email", "login_limit_per_addr",
	    "login_limit_window", "signup_limit_per_addr",
	    "signup_limit_window"};
	const char *p = line;
	size_t i, n;

	while (isspace((unsigned char)*p))
		p++;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i]);
		if (strncmp(p, keys[i], n) == 0 &&
		    (p[n] == ' ' || p[n] == '\t' || p[n] == '='))
			return 1;
	}
	return 0;
}

/*
 * Writes the pair's config: the fixture's (database, roles, key_file,
 * authd_user, ...) with its own socket and listen, trusted_proxies set
 * only if trusted is not NULL, and the rate limits at their defaults.
 */
static void
write_conf(int port, const char *trusted)
{
	char line[2048];
	FILE *in, *out;
	int fd;

	cr_assert((in = fopen(e2e_cf.ee_conf, "r")) != NULL, "cannot read %s",
	    e2e_cf.ee_conf);
	/* It names the database password files: mode 0600 like the original. */
	fd = open(pr.p_conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fd != -1 && (out = fdopen(fd, "w")) != NULL);
	fprintf(out, "# The second pair of test_pair.c.\n");
	while (fgets(line, sizeof(line), in) != NULL)
		if (!conf_line_ours(line))
			fputs(line, out);
	fprintf(out, "listen = 127.0.0.1:%d\nsocket = %s\n", port, pr.p_socket);
	if (trusted != NULL)
		fprintf(out, "trusted_proxies = %s\n", trusted);
	fputs(pr.p_extra, out);
	fclose(in);
	cr_assert(fclose(out) == 0);
}

/*
 * Starts build/postern-<name> --config <pair conf> with stdout and stderr
 * appended to log, in an environment without any POSTERN_* variable (the
 * fixture's raised limits and trusted proxy must not reach the pair).
 */
static pid_t
spawn_daemon(const char *name, const char *log)
{
	char bin[E2E_PATH_MAX + 32];

	snprintf(bin, sizeof(bin), "%s/postern-%s", e2e_cf.ee_build_dir, name);
	return e2e_spawn_daemon(bin, pr.p_conf, log);
}

/* Waits for authd's socket; fails if authd exits or 10 s pass. */
static void
wait_authd(void)
{
	int64_t deadline = e2e_now_ms() + 10000;
	struct stat sb;

	for (;;) {
		if (stat(pr.p_socket, &sb) == 0 && S_ISSOCK(sb.st_mode))
			return;
		cr_assert(!child_exited(&pr.p_authd),
		    "the second authd exited during start-up (log %s)",
		    pr.p_authd_log);
		cr_assert(e2e_now_ms() < deadline,
		    "the second authd made no socket in 10 s (log %s)",
		    pr.p_authd_log);
		e2e_sleep_ms(20);
	}
}

/*
 * Waits until the gateway answers /readyz 200 (0), or exits because its
 * port was taken (-1, to pick another); fails the test otherwise.
 */
static int
wait_gateway(void)
{
	int64_t deadline = e2e_now_ms() + 20000;

	for (;;) {
		if (status_at(pr.p_base, "GET", "/readyz", NULL) == 200)
			return 0;
		if (child_exited(&pr.p_gateway)) {
			if (e2e_file_has(
			        pr.p_gateway_log, "Address already in use"))
				return -1;
			cr_assert_fail("the second gateway exited (log %s)",
			    pr.p_gateway_log);
		}
		cr_assert(e2e_now_ms() < deadline,
		    "the second gateway was not ready in 20 s (log %s)",
		    pr.p_gateway_log);
		e2e_sleep_ms(50);
	}
}

/* Forgets the rate-limit counts of one client address (every bucket). */
static void
rate_counts_clear(const char *addr)
{
	cr_assert(e2e_sql("delete from auth.rate_events where key = "
	                  "sha256(convert_to('%s', 'UTF8'))",
	              addr) == 0);
}

/*
 * Starts the second pair; trusted is its trusted_proxies, or NULL.  The
 * counts of 127.0.0.1, run up by the rest of the suite, start afresh.
 */
static void
pair_start(const char *trusted)
{
	int attempt, port;

	snprintf(pr.p_dir, sizeof(pr.p_dir), "/tmp/postern-pair.XXXXXX");
	cr_assert(mkdtemp(pr.p_dir) != NULL, "mkdtemp");
	/* As root the gateway drops to gateway_user, which must reach the
	 * socket in here (authd gives the socket itself to that uid). */
	cr_assert(chmod(pr.p_dir, 0711) == 0);
	snprintf(pr.p_conf, sizeof(pr.p_conf), "%s/postern.conf", pr.p_dir);
	snprintf(pr.p_socket, sizeof(pr.p_socket), "%s/authd.sock", pr.p_dir);
	snprintf(
	    pr.p_authd_log, sizeof(pr.p_authd_log), "%s/authd.log", pr.p_dir);
	snprintf(pr.p_gateway_log, sizeof(pr.p_gateway_log), "%s/gateway.log",
	    pr.p_dir);

	rate_counts_clear("127.0.0.1");
	port = e2e_free_port();
	write_conf(port, trusted);
	pr.p_authd = spawn_daemon("authd", pr.p_authd_log);
	wait_authd();
	for (attempt = 0;; attempt++) {
		snprintf(
		    pr.p_base, sizeof(pr.p_base), "http://127.0.0.1:%d", port);
		pr.p_gateway = spawn_daemon("gateway", pr.p_gateway_log);
		if (wait_gateway() == 0)
			break;
		cr_assert(attempt < 3, "no port could be bound");
		port = e2e_free_port();
		write_conf(port, trusted);
	}
	cr_log_info("second pair at %s (authd %ld, gateway %ld, dir %s)",
	    pr.p_base, (long)pr.p_authd, (long)pr.p_gateway, pr.p_dir);
}

/* ----------------------------------------------------------- helpers */

static void
creds_body(struct buf *b, const char *email, const char *password)
{
	buf_init(b);
	cr_assert(buf_printf(b, "{\"email\":\"%s\",\"password\":\"%s\"}", email,
	              password) == 0);
}

/* POST {email,password} to base/auth/<op>; returns the status. */
static long
creds_at(const char *base, const char *op, const char *email,
    const char *password, const char *const *hdrs, struct e2e_resp *keep)
{
	struct e2e_resp r;
	char path[64];
	struct buf b;
	long st;

	snprintf(path, sizeof(path), "/auth/%s", op);
	creds_body(&b, email, password);
	cr_assert(call_at(base, "POST", path, NULL, hdrs, b.b_data, &r) == 0,
	    "POST %s%s: no answer", base, path);
	buf_free(&b);
	st = r.er_status;
	if (keep != NULL)
		*keep = r;
	else
		e2e_resp_free(&r);
	return st;
}

/* Logs in at base; the access token goes to tok. */
static void
login_at(const char *base, const char *email, char *tok)
{
	struct e2e_resp r;
	struct json_object *v;
	const char *s;

	cr_assert_eq(creds_at(base, "login", email, PASSWORD, NULL, &r), 200,
	    "login at %s: %s", base, e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	          json_object_object_get_ex(r.er_json, "access_token", &v));
	s = json_object_get_string(v);
	cr_assert(strlen(s) < TOKCAP);
	memcpy(tok, s, strlen(s) + 1);
	e2e_resp_free(&r);
}

/* Asserts a 429 PN700 with a Retry-After of 1 .. max_retry; returns it. */
static unsigned long
assert_429(const struct e2e_resp *r, unsigned long max_retry)
{
	struct json_object *c;
	char v[64], *end;
	unsigned long n;

	e2e_assert_error(r, 429);
	cr_assert(json_object_object_get_ex(r->er_json, "code", &c) &&
	              strcmp(json_object_get_string(c), "PN700") == 0,
	    "429 with code %s", e2e_body(r));
	cr_assert(e2e_header(r, "Retry-After", v, sizeof(v)) == 0,
	    "429 without Retry-After");
	n = strtoul(v, &end, 10);
	cr_assert(isdigit((unsigned char)v[0]) && *end == '\0' && n > 0 &&
	              n <= max_retry,
	    "Retry-After \"%s\" is not 1..%lu", v, max_retry);
	cr_log_info("429 with Retry-After %lu", n);
	return n;
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

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Polls base's /table_1 with tok every POLL_MS until 401; returns the
 * milliseconds since t0, or -1 if REVOKE_DEADLINE_MS passed first.
 */
static double
wait_revoked(const char *base, const char *tok, double t0)
{
	double t;
	long st;

	for (;;) {
		st = status_at(base, "GET", "/table_1", tok);
		t = now_ms() - t0;
		if (st == 401)
			return t;
		cr_assert_eq(
		    st, 200, "GET /table_1 at %s answered %ld", base, st);
		if (t > REVOKE_DEADLINE_MS)
			return -1;
		e2e_sleep_ms(POLL_MS);
	}
}

/* Restarts the second pair's authd; waits until its gateway is ready. */
static void
pair_restart_authd(void)
{
	int64_t deadline;

	e2e_child_stop(&pr.p_authd);
	unlink(pr.p_socket);
	pr.p_authd = spawn_daemon("authd", pr.p_authd_log);
	wait_authd();
	deadline = e2e_now_ms() + 20000;
	while (status_at(pr.p_base, "GET", "/readyz", NULL) != 200) {
		cr_assert(e2e_now_ms() < deadline,
		    "the second pair not ready after authd's restart");
		e2e_sleep_ms(50);
	}
}

/* ------------------------------------------------------------- tests */

Test(pair, revocation_reaches_the_other_pair)
{
	char email[128], tok1[TOKCAP], tok_old[TOKCAP], tok2[TOKCAP];
	const char *p1 = e2e_cf.ee_base_url, *p2 = pr.p_base;
	double t0, ms12, ms21;

	e2e_email(email, sizeof(email), "pair");
	e2e_signup(email, PASSWORD, tok1, sizeof(tok1));
	/* Revoked before the second authd starts: it loads it at start. */
	login_at(p1, email, tok_old);
	cr_assert_eq(status_at(p1, "POST", "/auth/logout", tok_old), 204);

	pair_start(NULL);

	/* One signing key: tokens of either pair work on both. */
	cr_assert_eq(status_at(p2, "GET", "/table_1", tok1), 200,
	    "a token of the first pair is refused by the second");
	login_at(p2, email, tok2);
	cr_assert_eq(status_at(p1, "GET", "/table_1", tok2), 200,
	    "a token of the second pair is refused by the first");
	cr_assert_eq(status_at(p2, "GET", "/table_1", tok_old), 401,
	    "a session revoked before the second authd started is accepted");

	/*
	 * Logout through the first pair; the second learns by NOTIFY.  The
	 * time runs from the logout's answer to the second pair's first 401.
	 */
	cr_assert_eq(status_at(p1, "POST", "/auth/logout", tok1), 204);
	t0 = now_ms();
	ms12 = wait_revoked(p2, tok1, t0);
	cr_log_info("revocation first -> second pair: %.1f ms", ms12);
	cr_assert(ms12 >= 0,
	    "the second pair accepted the token %d ms after logout",
	    REVOKE_DEADLINE_MS);
	cr_assert_eq(status_at(p1, "GET", "/table_1", tok1), 401,
	    "the first pair still accepts its logged-out token");
	cr_assert_eq(status_at(p2, "GET", "/table_1", tok2), 200);

	/* And the other way round. */
	cr_assert_eq(status_at(p2, "POST", "/auth/logout", tok2), 204);
	t0 = now_ms();
	ms21 = wait_revoked(p1, tok2, t0);
	cr_log_info("revocation second -> first pair: %.1f ms", ms21);
	cr_assert(ms21 >= 0,
	    "the first pair accepted the token %d ms after logout",
	    REVOKE_DEADLINE_MS);
	cr_assert_eq(status_at(p2, "GET", "/table_1", tok2), 401);
	pair_finish();
}

/*
 * Without trusted proxies X-Forwarded-For is the client's word and counts
 * for nothing: failed logins with 100 distinct emails and 100 distinct
 * forwarded addresses all count against 127.0.0.1.
 */
Test(pair, login_limit_per_addr_ignores_untrusted_xff)
{
	char email[128], known[128], tok[TOKCAP], addr[ADDR_CAP], line[128];
	char n[32];
	const char *h[2] = {line, NULL};
	struct e2e_resp r;
	long st;
	int i;

	e2e_email(known, sizeof(known), "pair-known");
	e2e_signup(known, PASSWORD, tok, sizeof(tok));
	pair_start(NULL);

	for (i = 0; i < LOGIN_LIMIT_PER_ADDR; i++) {
		e2e_email(email, sizeof(email), "pair-addr");
		fake_addr(addr, sizeof(addr));
		snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
		st = creds_at(
		    pr.p_base, "login", email, WRONG_PASSWORD, h, NULL);
		cr_assert_eq(
		    st, 401, "failed login %d answered %ld", i + 1, st);
	}
	e2e_email(email, sizeof(email), "pair-addr");
	fake_addr(addr, sizeof(addr));
	snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
	creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	/* The address is blocked whatever the email or the password. */
	creds_at(pr.p_base, "login", known, PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	creds_at(pr.p_base, "login", known, PASSWORD, NULL, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	/* The forwarded address was never taken for the client's. */
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.audit_log "
	              "where client_addr = '%s'",
	              addr) == 0);
	cr_assert_str_eq(n, "0", "an untrusted X-Forwarded-For was logged");
	/* The count is shared, the limit each authd's own: the fixture's,
	 * raised for the suite, still lets it in. */
	cr_assert_eq(
	    creds_at(e2e_cf.ee_base_url, "login", known, PASSWORD, NULL, NULL),
	    200);
	pair_finish();
}

/*
 * With 127.0.0.1 as a trusted proxy the forwarded address is the client:
 * one made-up client runs into the per-address limit, another does not.
 */
Test(pair, login_limit_per_addr_trusted_xff)
{
	char email[128], addr[ADDR_CAP], other[ADDR_CAP], line[128];
	char line2[128], n[32];
	const char *h[2] = {line, NULL}, *h2[2] = {line2, NULL};
	struct e2e_resp r;
	long st;
	int i;

	pair_start("127.0.0.1");
	fake_addr(addr, sizeof(addr));
	do
		fake_addr(other, sizeof(other));
	while (strcmp(addr, other) == 0);
	snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
	snprintf(line2, sizeof(line2), "X-Forwarded-For: %s", other);

	for (i = 0; i < LOGIN_LIMIT_PER_ADDR; i++) {
		e2e_email(email, sizeof(email), "pair-trusted");
		st = creds_at(
		    pr.p_base, "login", email, WRONG_PASSWORD, h, NULL);
		cr_assert_eq(
		    st, 401, "failed login %d answered %ld", i + 1, st);
	}
	e2e_email(email, sizeof(email), "pair-trusted");
	creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	/* Another client, and the proxy itself, are not blocked. */
	st = creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h2, NULL);
	cr_assert_eq(st, 401, "another forwarded client answered %ld", st);
	st = creds_at(pr.p_base, "login", email, WRONG_PASSWORD, NULL, NULL);
	cr_assert_eq(st, 401, "the proxy's own address answered %ld", st);

	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.audit_log "
	              "where client_addr = '%s' and event = 'rate_limited'",
	              addr) == 0);
	cr_assert_str_eq(n, "1");
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from auth.audit_log "
	              "where client_addr = '%s' and event = 'login_failure'",
	              addr) == 0);
	cr_assert_str_eq(n, "100");
	pair_finish();
}

Test(pair, signup_limit_per_addr)
{
	char email[128], addr[ADDR_CAP], line[128], n[32];
	const char *h[2] = {line, NULL};
	struct e2e_resp r;
	long st;
	int i;

	pair_start(NULL);
	for (i = 0; i < SIGNUP_LIMIT_PER_ADDR; i++) {
		e2e_email(email, sizeof(email), "pair-signup");
		st = creds_at(pr.p_base, "signup", email, PASSWORD, NULL, NULL);
		cr_assert_eq(st, 201, "signup %d answered %ld", i + 1, st);
	}
	e2e_email(email, sizeof(email), "pair-signup");
	creds_at(pr.p_base, "signup", email, PASSWORD, NULL, &r);
	assert_429(&r, 3600);
	e2e_resp_free(&r);
	/* An untrusted X-Forwarded-For does not get round it. */
	fake_addr(addr, sizeof(addr));
	snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
	creds_at(pr.p_base, "signup", email, PASSWORD, h, &r);
	assert_429(&r, 3600);
	e2e_resp_free(&r);
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users where email = '%s'",
	              email) == 0);
	cr_assert_str_eq(n, "0", "a refused signup created the user");
	/* The first pair's limit, raised for the suite, is its own. */
	cr_assert_eq(
	    creds_at(e2e_cf.ee_base_url, "signup", email, PASSWORD, NULL, NULL),
	    201);
	pair_finish();
}

/*
 * One budget whatever the number of nodes: failed logins for one email
 * from one client, alternating between the two pairs, get the 429 at the
 * same attempt as through one node (11 with login_limit_per_email = 10),
 * and a restart of authd does not reset the count.
 */
Test(pair, login_limit_per_email_shared_by_nodes)
{
	char email[128], tok[TOKCAP], addr[ADDR_CAP], line[128];
	const char *h[2] = {line, NULL};
	const char *bases[2];
	struct e2e_resp r;
	int i, first429 = 0;
	long st;

	e2e_email(email, sizeof(email), "pair-shared");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	pair_start("127.0.0.1");
	bases[0] = e2e_cf.ee_base_url;
	bases[1] = pr.p_base;
	fake_addr(addr, sizeof(addr));
	snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);

	for (i = 1; i <= 21 && first429 == 0; i++) {
		st = creds_at(
		    bases[i % 2], "login", email, WRONG_PASSWORD, h, NULL);
		if (st == 429)
			first429 = i;
		else
			cr_assert_eq(st, 401, "attempt %d answered %ld", i, st);
	}
	cr_log_info("2 nodes, one email: first 429 at attempt %d", first429);
	cr_assert_eq(first429, 11,
	    "with two nodes the first 429 came at attempt %d, not 11",
	    first429);
	/* Locked on both nodes, the right password too. */
	creds_at(bases[0], "login", email, PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	creds_at(bases[1], "login", email, PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);

	/* A restarted authd still knows. */
	pair_restart_authd();
	creds_at(bases[1], "login", email, PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	pair_finish();
}

/*
 * The window slides exactly.  With login_limit_window = 6 s, ten failed
 * logins for one email from one address, 300 ms apart, are refused at the
 * eleventh wherever the clock stands; the 429's Retry-After is when the
 * first of the ten leaves the window; then exactly one more attempt gets
 * through (nine are still inside) and the next is 429 again, for about as
 * long as the gap.  Two rounds, each with a fresh email and address.  The
 * fixed windows of sql/006 (a previous window's count weighted by the
 * time left) missed the eleventh when the ten straddled a boundary, and
 * let several attempts through at once when the block ended.
 */
#define SLIDE_WINDOW_S 6
#define SLIDE_GAP_MS 300
#define SLIDE_POLL_MS 50

Test(pair, login_limit_window_slides_exactly)
{
	char email[128], addr[ADDR_CAP], line[128];
	const char *h[2] = {line, NULL};
	int64_t first, t11, free_at, deadline;
	unsigned long ra;
	struct e2e_resp r;
	int round, i;
	long st;

	snprintf(pr.p_extra, sizeof(pr.p_extra), "login_limit_window = %d\n",
	    SLIDE_WINDOW_S);
	pair_start("127.0.0.1");
	for (round = 0; round < 2; round++) {
		e2e_email(email, sizeof(email), "pair-slide");
		fake_addr(addr, sizeof(addr));
		snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
		first = e2e_now_ms();
		for (i = 1; i <= 10; i++) {
			st = creds_at(
			    pr.p_base, "login", email, WRONG_PASSWORD, h, NULL);
			cr_assert_eq(st, 401,
			    "round %d, attempt %d answered %ld", round, i, st);
			if (i < 10)
				e2e_sleep_ms(SLIDE_GAP_MS);
		}
		t11 = e2e_now_ms();
		cr_assert_lt(t11 - first, (SLIDE_WINDOW_S - 1) * 1000,
		    "ten attempts took %lld ms, too long to test a %d s window",
		    (long long)(t11 - first), SLIDE_WINDOW_S);
		creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
		ra = assert_429(&r, SLIDE_WINDOW_S);
		e2e_resp_free(&r);
		/* Poll until the first attempt has left the window. */
		deadline = first + (SLIDE_WINDOW_S + 2) * 1000;
		for (;;) {
			cr_assert_lt(e2e_now_ms(), deadline,
			    "round %d: still blocked %d s after the first "
			    "attempt",
			    round, SLIDE_WINDOW_S + 2);
			st = creds_at(
			    pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
			if (st != 429)
				break;
			e2e_resp_free(&r);
			e2e_sleep_ms(SLIDE_POLL_MS);
		}
		free_at = e2e_now_ms();
		cr_assert_eq(
		    st, 401, "round %d: after the block: %ld", round, st);
		e2e_resp_free(&r);
		cr_log_info("round %d: ten in %lld ms; Retry-After %lu; free "
		            "%lld ms after the first attempt",
		    round, (long long)(t11 - first), ra,
		    (long long)(free_at - first));
		/* Not before the first attempt's window ended, and by the time
		 * Retry-After said (a poll and an attempt later). */
		cr_assert_geq(free_at - first, SLIDE_WINDOW_S * 1000,
		    "free %lld ms after the first attempt",
		    (long long)(free_at - first));
		cr_assert_leq(free_at - t11, (int64_t)ra * 1000 + 500,
		    "free %lld ms after the 429, Retry-After %lu",
		    (long long)(free_at - t11), ra);
		/* Nine attempts are still inside: the next one is refused. */
		creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
		assert_429(&r, 1);
		e2e_resp_free(&r);
	}
	pair_finish();
}

/*
 * The per-address limit likewise: 100 failed logins from one client,
 * alternating between the fixture (limit raised for the suite) and the
 * second pair (limit 100), and the second pair refuses the 101st.
 */
Test(pair, login_limit_per_addr_shared_by_nodes)
{
	char email[128], addr[ADDR_CAP], line[128];
	const char *h[2] = {line, NULL};
	struct e2e_resp r;
	long st;
	int i;

	pair_start("127.0.0.1");
	fake_addr(addr, sizeof(addr));
	snprintf(line, sizeof(line), "X-Forwarded-For: %s", addr);
	for (i = 0; i < LOGIN_LIMIT_PER_ADDR; i++) {
		e2e_email(email, sizeof(email), "pair-addr-shared");
		st = creds_at(i % 2 ? pr.p_base : e2e_cf.ee_base_url, "login",
		    email, WRONG_PASSWORD, h, NULL);
		cr_assert_eq(
		    st, 401, "failed login %d answered %ld", i + 1, st);
	}
	e2e_email(email, sizeof(email), "pair-addr-shared");
	creds_at(pr.p_base, "login", email, WRONG_PASSWORD, h, &r);
	assert_429(&r, 900);
	e2e_resp_free(&r);
	cr_log_info("2 nodes, one address: first 429 at attempt %d",
	    LOGIN_LIMIT_PER_ADDR + 1);
	pair_finish();
}

/*
 * The limits fail closed: with auth.rate_events unreadable, no login goes
 * through (503 with Retry-After, the right password too); with the counts
 * unwritable, a wrong password is not told apart from a right one (503,
 * never an uncounted 401).  Alone (RUN_SERIAL): the grant is the whole
 * suite's.
 */
Test(pair, rate_limit_failure_fails_closed)
{
	char email[128], tok[TOKCAP], v[64];
	struct e2e_resp r;

	e2e_email(email, sizeof(email), "pair-closed");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	pair_start(NULL);
	cr_assert(e2e_sql("revoke select on auth.rate_events "
	                  "from postern_authd") == 0);
	creds_at(pr.p_base, "login", email, PASSWORD, NULL, &r);
	cr_assert(e2e_sql("grant select on auth.rate_events "
	                  "to postern_authd") == 0);
	e2e_assert_error(&r, 503);
	cr_assert(e2e_header(&r, "Retry-After", v, sizeof(v)) == 0,
	    "503 without Retry-After");
	e2e_resp_free(&r);

	cr_assert(e2e_sql("revoke insert on auth.rate_events "
	                  "from postern_authd") == 0);
	creds_at(pr.p_base, "login", email, WRONG_PASSWORD, NULL, &r);
	e2e_assert_error(&r, 503);
	e2e_resp_free(&r);
	/* Counted before the password is tried: the right one too. */
	creds_at(pr.p_base, "login", email, PASSWORD, NULL, &r);
	cr_assert(e2e_sql("grant insert on auth.rate_events "
	                  "to postern_authd") == 0);
	e2e_assert_error(&r, 503);
	e2e_resp_free(&r);
	cr_assert_eq(
	    creds_at(pr.p_base, "login", email, PASSWORD, NULL, NULL), 200);
	pair_finish();
}
