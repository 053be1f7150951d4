/*
 * Behind a transaction-mode pooler (docs/deploy.md): Debian's pgbouncer
 * (deploy/pgbouncer) in front of the fixture's PostgreSQL, two private
 * gateway+authd pairs with db_pooler = transaction and LISTEN on a direct
 * connection (listen_database_url, the fixture's URL).
 *
 * - a mixed concurrent load over two tables, public and bearer routes, on
 *   both pairs: every answer is 200 with the row of the table it names;
 * - a logout through one pair is refused by the other within 1 s;
 * - without db_pooler, both daemons refuse to start behind pgbouncer, and
 *   with it, neither accepts LISTEN through pgbouncer.
 *
 * To measure another build (e.g. one from before db_pooler existed), run
 * the binary with POSTERN_TEST_POOLER_BUILD=<its build dir> and
 * POSTERN_TEST_POOLER_LEGACY=1: the pairs then get only database_url (the
 * pooler) and pool_size; the test reports what it counts and fails.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <curl/curl.h>

#include "e2e.h"
#include "hpair.h"

#define PASSWORD "correct horse battery staple"
#define NCLIENTS 16
#define PER_CLIENT 200 /* 3,200 requests */

static char bouncer_dir[64];
static int bouncer_port;
static char direct_url[E2E_PATH_MAX];
static char pooled_url[E2E_PATH_MAX];
static struct hpair pair1, pair2, refused;

static void
bouncer_stop(void)
{
	char cmd[E2E_PATH_MAX * 2];

	if (bouncer_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "%s/deploy/pgbouncer stop %s/b",
	    POSTERN_SOURCE_DIR, bouncer_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_pooler: %s failed\n", cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", bouncer_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_pooler: %s failed\n", cmd);
	bouncer_dir[0] = '\0';
}

static void
pooler_fini(void)
{
	hpair_cleanup(&pair1);
	hpair_cleanup(&pair2);
	hpair_cleanup(&refused);
	bouncer_stop();
	e2e_teardown();
}

/* pgbouncer in front of the fixture's PostgreSQL, for both roles. */
static void
bouncer_start(void)
{
	char url[E2E_PATH_MAX], gwpw[E2E_PATH_MAX], adpw[E2E_PATH_MAX];
	char cmd[E2E_PATH_MAX * 5], path[E2E_PATH_MAX];
	const char *hp;
	FILE *f;
	int pgport;

	cr_assert(e2e_conf_get("database_url", url, sizeof(url)) == 0);
	cr_assert(e2e_conf_get("gateway_database_password_file", gwpw,
	              sizeof(gwpw)) == 0);
	cr_assert(e2e_conf_get(
	              "authd_database_password_file", adpw, sizeof(adpw)) == 0);
	/* deploy/dev writes postgresql://127.0.0.1:<port>/postern. */
	cr_assert((hp = strstr(url, "127.0.0.1:")) != NULL,
	    "unexpected database_url %s", url);
	pgport = atoi(hp + strlen("127.0.0.1:"));
	cr_assert(pgport > 0);
	snprintf(direct_url, sizeof(direct_url), "%s", url);
	snprintf(bouncer_dir, sizeof(bouncer_dir), "/tmp/postern-pgb.XXXXXX");
	cr_assert(mkdtemp(bouncer_dir) != NULL);
	snprintf(cmd, sizeof(cmd),
	    "%s/deploy/pgbouncer start %s/b 127.0.0.1 %d postern "
	    "postern_gateway=%s postern_authd=%s >/dev/null",
	    POSTERN_SOURCE_DIR, bouncer_dir, pgport, gwpw, adpw);
	cr_assert(system(cmd) == 0, "%s failed", cmd);
	snprintf(path, sizeof(path), "%s/b/port", bouncer_dir);
	cr_assert((f = fopen(path, "r")) != NULL);
	cr_assert(fscanf(f, "%d", &bouncer_port) == 1);
	fclose(f);
	snprintf(pooled_url, sizeof(pooled_url),
	    "postgresql://127.0.0.1:%d/postern", bouncer_port);
	cr_log_info("pgbouncer on 127.0.0.1:%d in front of port %d",
	    bouncer_port, pgport);
}

TestSuite(pooler, .init = e2e_setup, .fini = pooler_fini, .timeout = 240);

/* ---- the load ---- */

struct client {
	pthread_t c_thread;
	int c_index;
	const char *c_bases[2];
	const char *c_names[2]; /* the two tables */
	const char *c_token;
	int c_wrong; /* 200 with a row of the other table */
	int c_5xx;
	int c_other; /* any other status, or no answer */
	long c_first_bad;
	char c_first_body[768];
};

struct sink {
	char s_buf[4096];
	size_t s_len;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = sz * n, room = sizeof(s->s_buf) - 1 - s->s_len;

	if (len < room)
		room = len;
	memcpy(s->s_buf + s->s_len, p, room);
	s->s_len += room;
	s->s_buf[s->s_len] = '\0';
	return len;
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	struct curl_slist *auth = NULL;
	char url[E2E_PATH_MAX + 128], hdr[4200], want[64];
	struct sink s;
	CURL *h;
	long st;
	int i, t, bearer, pairno;

	h = curl_easy_init();
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", c->c_token);
	auth = curl_slist_append(NULL, hdr);
	for (i = 0; i < PER_CLIENT && h != NULL && auth != NULL; i++) {
		t = (i + c->c_index) % 2;
		bearer = ((i / 2) + c->c_index) % 2;
		pairno = ((i / 4) + c->c_index) % 2;
		snprintf(url, sizeof(url), "%s/%s%s/1", c->c_bases[pairno],
		    c->c_names[t], bearer ? "_b" : "");
		s.s_len = 0;
		s.s_buf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, bearer ? auth : NULL);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
		st = -1;
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		snprintf(want, sizeof(want), "\"tag\":\"%s\"", c->c_names[t]);
		if (st == 200 && strstr(s.s_buf, want) != NULL)
			continue;
		if (st == 200)
			c->c_wrong++;
		else if (st >= 500)
			c->c_5xx++;
		else
			c->c_other++;
		if (c->c_first_bad == 0) {
			c->c_first_bad = st;
			snprintf(c->c_first_body, sizeof(c->c_first_body),
			    "%.300s -> %.400s", url, s.s_buf);
		}
	}
	curl_slist_free_all(auth);
	curl_easy_cleanup(h);
	return NULL;
}

/* Two tables whose row 1 differs, each at a public and a bearer route. */
static void
tables_create(char a[32], char b[32])
{
	char hex[9];
	const char *names[2];
	int i;

	e2e_rand_hex(hex, sizeof(hex), 4);
	snprintf(a, 32, "pla_%s", hex);
	snprintf(b, 32, "plb_%s", hex);
	names[0] = a;
	names[1] = b;
	for (i = 0; i < 2; i++)
		cr_assert(
		    e2e_sql("create table public.%1$s ("
		            " id bigint primary key, tag text not null);"
		            "insert into public.%1$s values"
		            " (1, '%1$s'), (2, 'two');"
		            "grant select on public.%1$s"
		            " to postern_gateway;"
		            "insert into postern.endpoints"
		            " (kind, method, path, table_name, op, auth)"
		            " values"
		            " ('data', 'GET', '/%1$s/{id}', '%1$s', 'get',"
		            "  'none'),"
		            " ('data', 'GET', '/%1$s_b/{id}', '%1$s',"
		            "  'get', 'bearer');",
		        names[i]) == 0,
		    "cannot create %s", names[i]);
}

/* A table and endpoint made while the pairs run. */
static void
late_create(char c[32])
{
	char hex[9];

	e2e_rand_hex(hex, sizeof(hex), 4);
	snprintf(c, 32, "plc_%s", hex);
	cr_assert(e2e_sql("create table public.%1$s (id bigint primary key,"
	                  " tag text not null);"
	                  "insert into public.%1$s values (1, '%1$s');"
	                  "grant select on public.%1$s to postern_gateway;"
	                  "insert into postern.endpoints"
	                  " (kind, method, path, table_name, op, auth) values"
	                  " ('data', 'GET', '/%1$s/{id}', '%1$s', 'get',"
	                  "  'none');",
	              c) == 0);
}

static void
tables_drop(const char *a, const char *b, const char *c)
{
	cr_assert(e2e_sql("delete from postern.endpoints where table_name in"
	                  " ('%1$s', '%2$s', '%3$s');"
	                  "drop table public.%1$s, public.%2$s, public.%3$s;",
	              a, b, c) == 0);
}

static long
status_at(
    const char *base, const char *method, const char *path, const char *bearer)
{
	struct e2e_resp r;
	long st = -1;

	memcpy(e2e_cf.ee_base_url, base, strlen(base) + 1);
	if (e2e_call(method, path, bearer, NULL, NULL, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* Polls until path answers want at base (new endpoints arrive by NOTIFY
 * on the direct LISTEN connection). */
static long
wait_status(
    const char *base, const char *path, const char *bearer, long want, long ms)
{
	int64_t deadline = e2e_now_ms() + ms;
	long st;

	while ((st = status_at(base, "GET", path, bearer)) != want &&
	       e2e_now_ms() < deadline)
		e2e_sleep_ms(20);
	return st;
}

static void
pairs_start(void)
{
	char extra[4 * E2E_PATH_MAX];
	const char *bld = getenv("POSTERN_TEST_POOLER_BUILD");

	if (bld != NULL && bld[0] != '\0')
		snprintf(e2e_cf.ee_build_dir, sizeof(e2e_cf.ee_build_dir), "%s",
		    bld);
	if (getenv("POSTERN_TEST_POOLER_LEGACY") != NULL)
		snprintf(extra, sizeof(extra),
		    "database_url = %s\npool_size = 8", pooled_url);
	else
		snprintf(extra, sizeof(extra),
		    "database_url = %s\nlisten_database_url = %s\n"
		    "db_pooler = transaction\npool_size = 8\n"
		    "verify_cache = 8192\ndb_timeout_ms = 1000",
		    pooled_url, direct_url);
	hpair_start(&pair1, extra);
	hpair_start(&pair2, extra);
}

Test(pooler, mixed_load_and_logout_across_pairs)
{
	struct client cl[NCLIENTS];
	char a[32], b[32], late[32], email[128], tok[4096], tok2[4096];
	char path[64];
	int i, wrong = 0, fivexx = 0, other = 0;
	int64_t t0, elapsed;
	long st;

	bouncer_start();
	/* The token comes from the fixture (same key and database). */
	e2e_email(email, sizeof(email), "pooler");
	e2e_signup_at("/auth", email, PASSWORD, tok, sizeof(tok), NULL);
	tables_create(a, b);
	pairs_start();

	/* Idle pooled connections outlive db_timeout_ms (1 s here): the
	 * deadline is a statement's, not a connection's. */
	if (getenv("POSTERN_TEST_POOLER_LEGACY") == NULL) {
		usleep(2500 * 1000);
		cr_expect(!e2e_file_has(pair1.hp_gateway_log,
		              "no answer within db_timeout_ms"),
		    "an idle pooled connection was dropped at db_timeout_ms "
		    "(%s)",
		    pair1.hp_gateway_log);
	}

	/* An endpoint made now reaches both pairs (NOTIFY on the direct
	 * LISTEN connection, not through the pooler). */
	late_create(late);
	snprintf(path, sizeof(path), "/%s/1", late);
	cr_expect_eq(wait_status(pair1.hp_base, path, NULL, 200, 5000), 200,
	    "pair 1 never saw the new endpoint %s", path);
	cr_expect_eq(wait_status(pair2.hp_base, path, NULL, 200, 5000), 200,
	    "pair 2 never saw the new endpoint %s", path);
	snprintf(path, sizeof(path), "/%s_b/1", b);

	memset(cl, 0, sizeof(cl));
	for (i = 0; i < NCLIENTS; i++) {
		cl[i].c_index = i;
		cl[i].c_bases[0] = pair1.hp_base;
		cl[i].c_bases[1] = pair2.hp_base;
		cl[i].c_names[0] = a;
		cl[i].c_names[1] = b;
		cl[i].c_token = tok;
		cr_assert(pthread_create(
		              &cl[i].c_thread, NULL, client_main, &cl[i]) == 0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		pthread_join(cl[i].c_thread, NULL);
		wrong += cl[i].c_wrong;
		fivexx += cl[i].c_5xx;
		other += cl[i].c_other;
		if (cl[i].c_first_bad != 0)
			cr_log_warn("client %d: first bad answer %ld: %s", i,
			    cl[i].c_first_bad, cl[i].c_first_body);
	}
	cr_log_info("%d requests through pgbouncer: %d wrong rows, %d 5xx, "
	            "%d other",
	    NCLIENTS * PER_CLIENT, wrong, fivexx, other);
	fprintf(stderr,
	    "test_pooler: %d requests through pgbouncer: %d wrong rows, "
	    "%d 5xx, %d other\n",
	    NCLIENTS * PER_CLIENT, wrong, fivexx, other);
	cr_expect_eq(wrong, 0, "%d answers held the other table's row", wrong);
	cr_expect_eq(fivexx, 0, "%d answers were 5xx", fivexx);
	cr_expect_eq(other, 0, "%d answers were neither 200 nor 5xx", other);

	/* A logout through pair 1 is refused by pair 2 within 1 s: authd 2
	 * hears the revocation on its direct LISTEN connection.  The token
	 * comes from pair 1 (authd's statements through pgbouncer). */
	memcpy(e2e_cf.ee_base_url, pair1.hp_base, sizeof(pair1.hp_base));
	e2e_email(email, sizeof(email), "poolout");
	e2e_signup_at("/auth", email, PASSWORD, tok2, sizeof(tok2), NULL);
	cr_expect_eq(status_at(pair2.hp_base, "GET", path, tok2), 200);
	cr_expect_eq(
	    status_at(pair1.hp_base, "POST", "/auth/logout", tok2), 204);
	t0 = e2e_now_ms();
	st = wait_status(pair2.hp_base, path, tok2, 401, 3000);
	elapsed = e2e_now_ms() - t0;
	fprintf(stderr,
	    "test_pooler: pair 2 refused the logged-out token after %lld ms\n",
	    (long long)elapsed);
	cr_expect_eq(st, 401, "pair 2 still answers %ld after the logout", st);
	cr_assert(elapsed <= 1000,
	    "pair 2 accepted the token %lld ms after the logout",
	    (long long)elapsed);

	memcpy(e2e_cf.ee_base_url, pair1.hp_fixture_base,
	    sizeof(pair1.hp_fixture_base));
	tables_drop(a, b, late);
	hpair_finish(&pair2);
	hpair_finish(&pair1);
	bouncer_stop();
}

/* Behind pgbouncer without db_pooler: both daemons refuse to start, and
 * name the key. */
Test(pooler, refused_without_db_pooler)
{
	char extra[4 * E2E_PATH_MAX];
	const char *daemons[2] = {"authd", "gateway"};
	int i;

	bouncer_start();
	snprintf(extra, sizeof(extra), "database_url = %s", pooled_url);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(
		    hpair_expect_refusal(&refused, extra, daemons[i], 15000), 0,
		    "%s started behind pgbouncer without db_pooler",
		    daemons[i]);
		cr_assert(e2e_file_has(i == 0 ? refused.hp_authd_log
		                              : refused.hp_gateway_log,
		              "set db_pooler = transaction"),
		    "the %s log does not name db_pooler", daemons[i]);
		hpair_finish(&refused);
	}
	/* db_pooler = none says there is none: checked all the same. */
	snprintf(extra, sizeof(extra), "database_url = %s\ndb_pooler = none",
	    pooled_url);
	cr_assert_eq(
	    hpair_expect_refusal(&refused, extra, "gateway", 15000), 0);
	hpair_finish(&refused);
	/* LISTEN through the pooler is refused too. */
	snprintf(extra, sizeof(extra),
	    "database_url = %s\nlisten_database_url = %s\n"
	    "db_pooler = transaction",
	    pooled_url, pooled_url);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(
		    hpair_expect_refusal(&refused, extra, daemons[i], 15000), 0,
		    "%s accepted LISTEN through pgbouncer", daemons[i]);
		cr_assert(e2e_file_has(i == 0 ? refused.hp_authd_log
		                              : refused.hp_gateway_log,
		              "listen_database_url"),
		    "the %s log does not name listen_database_url", daemons[i]);
		hpair_finish(&refused);
	}
	bouncer_stop();
}
