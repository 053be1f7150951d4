/*
 * Several nodes (docs/dev-runner.md): the stack of `deploy/dev up --nodes
 * 3` (optionally `--pooler pgbouncer`), N gateway+authd pairs on one
 * database and signing key behind haproxy.  Through the nodes' own URLs
 * (POSTERN_NODE_URLS):
 *
 *   - a token from one node works on the others;
 *   - logout, deleting a session and a password change are refused on
 *     every node within 1 s (the times are printed);
 *   - an endpoint created on one node answers on the others within 1 s;
 *   - the per-email login limit is shared: failed logins for one email
 *     spread over the nodes give 429 at the same attempt as on one node;
 *
 * and through haproxy (POSTERN_BASE_URL): one gateway killed (SIGKILL)
 * under load, the others keep serving (non-2xx counted before, during a
 * short grace period, and after it).
 *
 * Every figure is printed on stderr with the prefix "nodes:".
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define PASSWORD2 "another horse battery staple"
#define WRONG "wrong horse battery staple"
#define MAXNODES 8
#define TOKCAP 4096
#define SPREAD_MS 1000   /* what every node must see within */
#define POLL_MAX_MS 5000 /* how long we look, to measure a late one */
#define NWORKERS 4
#define LOAD_BEFORE_MS 1000
#define GRACE_MS 1000
#define LOAD_AFTER_MS 3000

static char node_url[MAXNODES][E2E_PATH_MAX];
static char node_gw_pid[MAXNODES][E2E_PATH_MAX];
static char proxy_url[E2E_PATH_MAX];
static int nnodes;

/* Splits a space-separated list into out[]; returns the count. */
static int
split(const char *list, char out[][E2E_PATH_MAX], int cap)
{
	const char *p = list, *e;
	int n = 0;

	while (*p != '\0' && n < cap) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		cr_assert((size_t)(e - p) < E2E_PATH_MAX);
		memcpy(out[n], p, (size_t)(e - p));
		out[n][e - p] = '\0';
		n++;
		p = e;
	}
	return n;
}

static void
nodes_init(void)
{
	static char list[MAXNODES * E2E_PATH_MAX];
	int n;

	e2e_setup();
	memcpy(proxy_url, e2e_cf.ee_base_url, sizeof(proxy_url));
	cr_assert(e2e_env_get("POSTERN_NODE_URLS", list, sizeof(list)) == 0,
	    "no POSTERN_NODE_URLS: was the stack started with --nodes?");
	nnodes = split(list, node_url, MAXNODES);
	cr_assert(nnodes >= 2, "%d node(s); the test needs at least 2", nnodes);
	cr_assert(e2e_env_get("POSTERN_NODE_GATEWAY_PID_FILES", list,
	              sizeof(list)) == 0);
	n = split(list, node_gw_pid, MAXNODES);
	cr_assert_eq(n, nnodes, "%d gateway pid files for %d nodes", n, nnodes);
}

/* Later requests go to node i, or through haproxy with i < 0. */
static void
at(int i)
{
	const char *u = i < 0 ? proxy_url : node_url[i];

	memcpy(e2e_cf.ee_base_url, u, strlen(u) + 1);
}

static long
status_at(int node, const char *method, const char *path, const char *tok,
    const char *body)
{
	struct e2e_resp r;
	long st = -1;

	at(node);
	if (e2e_call(method, path, tok, NULL, body, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* Logs in at node; the access token into tok. */
static void
login_at(int node, const char *email, const char *password, char *tok)
{
	struct e2e_resp r;
	struct json_object *at_;
	struct buf b;

	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, password) == 0);
	at(node);
	cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
	cr_assert_eq(r.er_status, 200, "login at node %d: %ld %s", node + 1,
	    r.er_status, e2e_body(&r));
	cr_assert(r.er_json != NULL &&
	          json_object_object_get_ex(r.er_json, "access_token", &at_));
	cr_assert(strlen(json_object_get_string(at_)) < TOKCAP);
	strcpy(tok, json_object_get_string(at_));
	e2e_resp_free(&r);
	buf_free(&b);
}

static void
signup_at(int node, const char *email, char *tok)
{
	at(node);
	e2e_signup(email, PASSWORD, tok, TOKCAP);
}

/* The sid claim of an access token (its payload is base64url JSON). */
static void
token_sid(const char *tok, char *sid, size_t sidcap)
{
	const char *p = strchr(tok, '.'), *e;
	unsigned char raw[2048];
	char b64[2800];
	struct json_object *j, *v;
	size_t n, i;
	int len;

	cr_assert(p != NULL && (e = strchr(p + 1, '.')) != NULL);
	n = (size_t)(e - p - 1);
	cr_assert(n + 4 < sizeof(b64) && n * 3 / 4 + 3 < sizeof(raw));
	for (i = 0; i < n; i++)
		b64[i] = p[1 + i] == '-'   ? '+'
		         : p[1 + i] == '_' ? '/'
		                           : p[1 + i];
	while (i % 4 != 0)
		b64[i++] = '=';
	b64[i] = '\0';
	len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)i);
	cr_assert(len > 0);
	raw[len] = '\0';
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (len > 0 && raw[len - 1] == '\0')
		len--;
	j = json_tokener_parse((const char *)raw);
	cr_assert(j != NULL && json_object_object_get_ex(j, "sid", &v) &&
	              json_object_is_type(v, json_type_string),
	    "no sid in the token's payload");
	cr_assert(strlen(json_object_get_string(v)) < sidcap);
	strcpy(sid, json_object_get_string(v));
	json_object_put(j);
}

static void
assert_alive_everywhere(const char *tok, const char *what)
{
	long st;
	int i;

	for (i = 0; i < nnodes; i++) {
		st = status_at(i, "GET", "/auth/me", tok, NULL);
		cr_assert_eq(st, 200, "%s: GET /auth/me at node %d: %ld", what,
		    i + 1, st);
		st = status_at(i, "GET", "/table_1?limit=1", tok, NULL);
		cr_assert_eq(st, 200, "%s: GET /table_1 at node %d: %ld", what,
		    i + 1, st);
	}
}

/*
 * Polls every node with tok (GET /auth/me) from t0 until each answers 401,
 * for at most POLL_MAX_MS; prints each node's time and asserts each is
 * within SPREAD_MS.  A node that refused once must go on refusing.
 */
static void
assert_refused_everywhere(const char *tok, int64_t t0, const char *what)
{
	int64_t seen[MAXNODES], worst = 0;
	int i, left = nnodes;
	long st;
	char line[512];
	size_t off = 0;

	for (i = 0; i < nnodes; i++)
		seen[i] = -1;
	while (left > 0 && e2e_now_ms() - t0 < POLL_MAX_MS) {
		for (i = 0; i < nnodes; i++) {
			if (seen[i] >= 0)
				continue;
			st = status_at(i, "GET", "/auth/me", tok, NULL);
			cr_assert(st == 200 || st == 401,
			    "%s: node %d answered %ld", what, i + 1, st);
			if (st == 401) {
				seen[i] = e2e_now_ms() - t0;
				left--;
			}
		}
		if (left > 0)
			e2e_sleep_ms(5);
	}
	for (i = 0; i < nnodes; i++) {
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    " node%d=%lldms", i + 1, (long long)seen[i]);
		if (seen[i] > worst)
			worst = seen[i];
	}
	fprintf(stderr, "nodes: %s refused on every node:%s (worst %lld ms)\n",
	    what, line, (long long)worst);
	for (i = 0; i < nnodes; i++) {
		cr_assert(seen[i] >= 0,
		    "%s: node %d still accepts the token "
		    "after %d ms",
		    what, i + 1, POLL_MAX_MS);
		cr_assert(seen[i] <= SPREAD_MS,
		    "%s: node %d refused it only after %lld ms", what, i + 1,
		    (long long)seen[i]);
		/* And goes on refusing. */
		st = status_at(i, "GET", "/table_1?limit=1", tok, NULL);
		cr_assert_eq(
		    st, 401, "%s: node %d: GET /table_1 %ld", what, i + 1, st);
	}
}

TestSuite(nodes, .init = nodes_init, .fini = e2e_teardown, .timeout = 120);

Test(nodes, a_token_works_on_every_node)
{
	char email[128], tok[TOKCAP], tok2[TOKCAP];

	e2e_email(email, sizeof(email), "nodes-tok");
	signup_at(0, email, tok);
	assert_alive_everywhere(tok, "a token from node 1");
	login_at(nnodes - 1, email, PASSWORD, tok2);
	assert_alive_everywhere(tok2, "a token from the last node");
}

Test(nodes, logout_is_refused_on_every_node)
{
	char email[128], tok[TOKCAP];
	int64_t t0;

	e2e_email(email, sizeof(email), "nodes-logout");
	signup_at(0, email, tok);
	assert_alive_everywhere(tok, "before logout");
	cr_assert_eq(status_at(1, "POST", "/auth/logout", tok, NULL), 204);
	t0 = e2e_now_ms();
	assert_refused_everywhere(tok, t0, "logout at node 2:");
}

Test(nodes, a_deleted_session_is_refused_on_every_node)
{
	char email[128], a[TOKCAP], b[TOKCAP], sid[128], path[256];
	int64_t t0;

	e2e_email(email, sizeof(email), "nodes-sess");
	signup_at(0, email, a);
	login_at(1, email, PASSWORD, b);
	assert_alive_everywhere(b, "before the delete");
	token_sid(b, sid, sizeof(sid));
	snprintf(path, sizeof(path), "/auth/sessions/%s", sid);
	cr_assert_eq(status_at(nnodes - 1, "DELETE", path, a, NULL), 204);
	t0 = e2e_now_ms();
	assert_refused_everywhere(b, t0, "DELETE /auth/sessions/{id}:");
	assert_alive_everywhere(a, "the session that deleted the other");
}

Test(nodes, a_password_change_is_refused_on_every_node)
{
	char email[128], a[TOKCAP], b[TOKCAP];
	const char *body = "{\"current_password\":\"" PASSWORD
	                   "\",\"new_password\":\"" PASSWORD2 "\"}";
	int64_t t0;

	e2e_email(email, sizeof(email), "nodes-pw");
	signup_at(0, email, a);
	login_at(1, email, PASSWORD, b);
	assert_alive_everywhere(b, "before the password change");
	cr_assert_eq(
	    status_at(nnodes - 1, "POST", "/auth/password", a, body), 204);
	t0 = e2e_now_ms();
	assert_refused_everywhere(b, t0, "password change:");
	login_at(0, email, PASSWORD2, b);
}

/* The admin key (POSTERN_ADMIN_KEY_FILE). */
static void
admin_key(char *out, size_t cap)
{
	char path[E2E_PATH_MAX];
	size_t n;
	FILE *fp;

	cr_assert(
	    e2e_env_get("POSTERN_ADMIN_KEY_FILE", path, sizeof(path)) == 0);
	cr_assert((fp = fopen(path, "r")) != NULL, "cannot read %s", path);
	n = fread(out, 1, cap - 1, fp);
	fclose(fp);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	cr_assert(n > 0, "empty admin key in %s", path);
}

Test(nodes, an_endpoint_created_on_one_node_answers_on_the_others)
{
	char key[512], tbl[64], hex[17], def[512], path[128];
	int64_t t0, seen[MAXNODES], worst = 0;
	struct e2e_resp r;
	int i, left;
	long st;

	admin_key(key, sizeof(key));
	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(tbl, sizeof(tbl), "nodes_%s", hex);
	snprintf(def, sizeof(def),
	    "{\"name\":\"%s\",\"columns\":[{\"name\":\"title\","
	    "\"type\":\"text\"}]}",
	    tbl);
	at(0);
	cr_assert(e2e_call("POST", "/_admin/tables", key, NULL, def, &r) == 0);
	cr_assert_eq(r.er_status, 201, "create table: %ld %s", r.er_status,
	    e2e_body(&r));
	e2e_resp_free(&r);
	snprintf(path, sizeof(path), "/%s", tbl);
	for (i = 1; i < nnodes; i++)
		cr_assert_eq(status_at(i, "GET", path, NULL, NULL), 404,
		    "node %d serves %s before it exists", i + 1, path);
	snprintf(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"/%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"none\"}",
	    tbl, tbl);
	at(0);
	cr_assert(
	    e2e_call("POST", "/_admin/endpoints", key, NULL, def, &r) == 0);
	cr_assert_eq(r.er_status, 201, "create endpoint: %ld %s", r.er_status,
	    e2e_body(&r));
	e2e_resp_free(&r);
	t0 = e2e_now_ms();
	for (i = 0; i < nnodes; i++)
		seen[i] = -1;
	left = nnodes;
	while (left > 0 && e2e_now_ms() - t0 < POLL_MAX_MS) {
		for (i = 0; i < nnodes; i++) {
			if (seen[i] >= 0)
				continue;
			st = status_at(i, "GET", path, NULL, NULL);
			cr_assert(
			    st == 200 || st == 404, "node %d: %ld", i + 1, st);
			if (st == 200) {
				seen[i] = e2e_now_ms() - t0;
				left--;
			}
		}
		if (left > 0)
			e2e_sleep_ms(5);
	}
	fprintf(stderr, "nodes: endpoint created on node 1 answers:");
	for (i = 0; i < nnodes; i++) {
		fprintf(stderr, " node%d=%lldms", i + 1, (long long)seen[i]);
		if (seen[i] > worst)
			worst = seen[i];
	}
	fprintf(stderr, " (worst %lld ms)\n", (long long)worst);
	for (i = 0; i < nnodes; i++)
		cr_assert(seen[i] >= 0 && seen[i] <= SPREAD_MS,
		    "node %d served the new endpoint after %lld ms", i + 1,
		    (long long)seen[i]);
}

/*
 * The per-email login limit (default 10 failures) is one budget whatever
 * the node: failures spread round robin over the nodes give the first 429
 * at attempt 11, as on one node.  (Counters in each authd's memory gave
 * it at 10 * nodes + 1.)
 */
Test(nodes, the_login_limit_per_email_is_shared)
{
	char email[128], tok[TOKCAP], body[256];
	int attempt, first429 = 0;
	long st;

	e2e_email(email, sizeof(email), "nodes-limit");
	signup_at(0, email, tok);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, WRONG);
	for (attempt = 1; attempt <= 10 * nnodes + 5; attempt++) {
		st = status_at(
		    (attempt - 1) % nnodes, "POST", "/auth/login", NULL, body);
		if (st == 429) {
			first429 = attempt;
			break;
		}
		cr_assert_eq(st, 401, "attempt %d at node %d: %ld", attempt,
		    (attempt - 1) % nnodes + 1, st);
	}
	fprintf(stderr,
	    "nodes: failed logins for one email over %d nodes: first 429 at "
	    "attempt %d (one node: 11)\n",
	    nnodes, first429);
	cr_assert_eq(first429, 11,
	    "the first 429 came at attempt %d over %d nodes, not 11", first429,
	    nnodes);
	/* Locked on every node. */
	for (attempt = 0; attempt < nnodes; attempt++)
		cr_assert_eq(
		    status_at(attempt, "POST", "/auth/login", NULL, body), 429,
		    "node %d does not refuse the locked email", attempt + 1);
}

/* ------------------------------------------- a gateway killed under load */

enum { PH_BEFORE, PH_GRACE, PH_AFTER, PH_N };

static atomic_llong kill_at; /* ms, 0 before the kill */
static atomic_int load_go;
static const char *load_tok;

struct worker {
	pthread_t w_thread;
	int w_ok[PH_N];
	int w_bad[PH_N];
	long w_last_bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct e2e_resp r;
	long long k;
	int64_t now;
	int ph, rc;

	while (atomic_load(&load_go)) {
		rc = e2e_get("/table_1?limit=1", load_tok, &r);
		now = e2e_now_ms();
		k = atomic_load(&kill_at);
		ph = k == 0               ? PH_BEFORE
		     : now - k < GRACE_MS ? PH_GRACE
		                          : PH_AFTER;
		if (rc == 0 && r.er_status >= 200 && r.er_status < 300) {
			w->w_ok[ph]++;
		} else {
			w->w_bad[ph]++;
			w->w_last_bad = rc == 0 ? r.er_status : -1;
		}
		e2e_resp_free(&r);
	}
	return NULL;
}

static int killed_node = -1;

/* Puts the killed gateway back, so that the stack is whole again. */
static void
restart_killed(void)
{
	char node[16];
	const char *argv[] = {"start", "gateway", "--node", node, NULL};

	if (killed_node >= 0) {
		snprintf(node, sizeof(node), "%d", killed_node + 1);
		if (e2e_dev(argv) != 0)
			fprintf(
			    stderr, "nodes: cannot restart node %s\n", node);
		killed_node = -1;
	}
}

Test(nodes, a_killed_gateway_leaves_the_others_serving, .fini = restart_killed)
{
	static struct worker w[NWORKERS];
	char tok[TOKCAP], email[128], hlog[E2E_PATH_MAX], down[64];
	int ok[PH_N] = {0}, bad[PH_N] = {0}, i, ph;
	long last_bad = 0;
	int64_t t, down_ms = -1;
	struct stat sb;
	off_t hlog_at;
	pid_t pid;

	e2e_email(email, sizeof(email), "nodes-kill");
	signup_at(-1, email, tok);
	load_tok = tok;
	at(-1);
	killed_node = nnodes > 2 ? 1 : nnodes - 1;
	pid = e2e_read_pid(node_gw_pid[killed_node]);
	cr_assert(pid > 0 && e2e_pid_alive(pid), "no gateway in %s",
	    node_gw_pid[killed_node]);

	atomic_store(&load_go, 1);
	for (i = 0; i < NWORKERS; i++)
		cr_assert(pthread_create(
		              &w[i].w_thread, NULL, worker_run, &w[i]) == 0);
	cr_assert(e2e_env_get("POSTERN_HAPROXY_LOG", hlog, sizeof(hlog)) == 0);
	hlog_at = stat(hlog, &sb) == 0 ? sb.st_size : 0;
	snprintf(
	    down, sizeof(down), "Server nodes/node%d is DOWN", killed_node + 1);
	e2e_sleep_ms(LOAD_BEFORE_MS);
	cr_assert(kill(pid, SIGKILL) == 0);
	t = e2e_now_ms();
	atomic_store(&kill_at, (long long)t);
	/* When haproxy takes it out of rotation (its log says so). */
	while (e2e_now_ms() - t < GRACE_MS + LOAD_AFTER_MS) {
		if (down_ms < 0 && e2e_file_has_after(hlog, hlog_at, down))
			down_ms = e2e_now_ms() - t;
		e2e_sleep_ms(10);
	}
	atomic_store(&load_go, 0);
	for (i = 0; i < NWORKERS; i++) {
		cr_assert(pthread_join(w[i].w_thread, NULL) == 0);
		for (ph = 0; ph < PH_N; ph++) {
			ok[ph] += w[i].w_ok[ph];
			bad[ph] += w[i].w_bad[ph];
		}
		if (w[i].w_last_bad != 0)
			last_bad = w[i].w_last_bad;
	}
	fprintf(stderr,
	    "nodes: node %d's gateway killed (SIGKILL) under load through "
	    "haproxy, %d clients: before %d ok / %d non-2xx; first %d ms "
	    "after %d ok / %d non-2xx; then %d ms: %d ok / %d non-2xx "
	    "(last non-2xx status %ld, -1 = no answer)\n",
	    killed_node + 1, NWORKERS, ok[PH_BEFORE], bad[PH_BEFORE], GRACE_MS,
	    ok[PH_GRACE], bad[PH_GRACE], LOAD_AFTER_MS, ok[PH_AFTER],
	    bad[PH_AFTER], last_bad);
	fprintf(stderr,
	    "nodes: haproxy took node %d out of rotation %lld ms "
	    "after the kill\n",
	    killed_node + 1, (long long)down_ms);
	cr_assert(!e2e_pid_alive(pid), "the gateway survived SIGKILL");
	cr_assert(down_ms >= 0 && down_ms <= GRACE_MS,
	    "haproxy took the dead node out of rotation after %lld ms "
	    "(-1: not within %d ms)",
	    (long long)down_ms, GRACE_MS + LOAD_AFTER_MS);
	cr_assert_eq(bad[PH_BEFORE], 0, "non-2xx before the kill");
	cr_assert_eq(bad[PH_AFTER], 0,
	    "%d non-2xx more than %d ms after the kill", bad[PH_AFTER],
	    GRACE_MS);
	cr_assert(ok[PH_AFTER] >= 20, "too little traffic after the kill: %d",
	    ok[PH_AFTER]);
}

/*
 * With a pooler (POSTERN_POOLER_URL in the env), every node's config sends
 * its queries through it in transaction mode and LISTENs straight to
 * PostgreSQL; without one, none mentions a pooler.
 */
Test(nodes, each_node_uses_the_pooler_if_there_is_one)
{
	static char confs[MAXNODES][E2E_PATH_MAX];
	static char list[MAXNODES * E2E_PATH_MAX];
	char pooler[E2E_PATH_MAX], v[E2E_PATH_MAX], saved[E2E_PATH_MAX];
	int i, n, has_pooler;

	has_pooler =
	    e2e_env_get("POSTERN_POOLER_URL", pooler, sizeof(pooler)) == 0;
	cr_assert(e2e_env_get("POSTERN_NODE_CONFS", list, sizeof(list)) == 0);
	n = split(list, confs, MAXNODES);
	cr_assert_eq(n, nnodes);
	memcpy(saved, e2e_cf.ee_conf, sizeof(saved));
	for (i = 0; i < n; i++) {
		memcpy(e2e_cf.ee_conf, confs[i], sizeof(confs[i]));
		cr_assert(e2e_conf_get("database_url", v, sizeof(v)) == 0);
		if (has_pooler) {
			cr_assert_str_eq(
			    v, pooler, "node %d: database_url %s", i + 1, v);
			cr_assert(
			    e2e_conf_get("db_pooler", v, sizeof(v)) == 0 &&
			        strcmp(v, "transaction") == 0,
			    "node %d without db_pooler = transaction", i + 1);
			cr_assert(e2e_conf_get("listen_database_url", v,
			              sizeof(v)) == 0 &&
			              strcmp(v, pooler) != 0,
			    "node %d LISTENs through the pooler", i + 1);
		} else {
			cr_assert(e2e_conf_get("db_pooler", v, sizeof(v)) == -1,
			    "node %d: db_pooler without a pooler", i + 1);
		}
	}
	memcpy(e2e_cf.ee_conf, saved, sizeof(saved));
	fprintf(stderr, "nodes: %d nodes, %s\n", n,
	    has_pooler ? "through pgbouncer (transaction mode)"
	               : "straight to PostgreSQL");
}
