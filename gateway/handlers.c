/*
 * What a request means: the built-in routes (builtin.c), then the live
 * route table.  Auth-group routes are forwarded whole to authd; data routes
 * first have their bearer token verified by authd (failure is deny), then
 * run their query on the pool, with PostgreSQL rendering the JSON.
 *
 * Every wait on a backend is registered with http.c (req_wait) with the
 * hook that cancels it, and ended by the backend's callback (req_resume);
 * what a wait needs besides (the /readyz checks) is owned by the hook's
 * argument, not by the request.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/authc.h"
#include "gateway/builtin.h"
#include "gateway/db.h"
#include "gateway/cors.h"
#include "gateway/gateway.h"
#include "gateway/openapi.h"
#include "gateway/vcache.h"

#define TOKEN_MAX 4096

/* ---- helpers ---- */

static void
unauthorized(struct req *rq, int token_given, const char *msg)
{
	req_add_header(rq, "WWW-Authenticate",
	    token_given ? "Bearer error=\"invalid_token\"" : "Bearer");
	req_error(rq, 401, token_given ? "PN201" : "PN200", msg);
}

/* req_wait()'s hooks for the two backends. */
static void
authd_cancel(void *ac, uint32_t id)
{
	authc_cancel(ac, id);
}

void
handle_cancel_db(void *q, uint32_t id)
{
	(void)id;
	db_cancel(q);
}

/* Extracts the token of "Authorization: Bearer <token>"; -1 if absent. */
static int
bearer_token(struct req *rq, const char **tok, size_t *len)
{
	const char *h = http_head_get(&rq->rq_head, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	*tok = h;
	*len = strlen(h);
	return *len > 0 ? 0 : -1;
}

/* ---- /healthz and /readyz ---- */

/*
 * /readyz answers within READYZ_DEADLINE_MS whatever hangs: PostgreSQL
 * must answer SELECT 1 on the pool, the LISTEN connection must be
 * established, authd must answer its ping and say that its database and its
 * revocation LISTEN work, and the routes must be loaded.  503 otherwise,
 * with the failed parts in details.
 */
#define READYZ_DEADLINE_MS 800

#define READYZ_RETRY_MS 25

struct readyz {
	struct req *rz_rq;
	struct gw *rz_gw;
	struct event *rz_timer;
	struct event *rz_retry; /* no pool connection yet: try again */
	struct dbq *rz_dbq;     /* SELECT 1 in flight, or NULL */
	uint32_t rz_authc_id;   /* authd's ping in flight, or 0 */
	int rz_pending;         /* answers still awaited */
	int rz_ready_db;
	int rz_ready_authd;
	int rz_expired;
	char rz_db[160];    /* why the database check failed, or "" */
	char rz_authd[200]; /* why authd is not ready, or "" */
};

/*
 * The request's wait hook, called when it is answered or freed: the one
 * free of rz, cancelling whatever check is still in flight.
 */
static void
readyz_cancel(void *arg, uint32_t id)
{
	struct readyz *rz = arg;

	(void)id;
	if (rz->rz_dbq != NULL)
		db_cancel(rz->rz_dbq);
	if (rz->rz_authc_id != 0)
		authc_cancel(rz->rz_gw->gw_authc, rz->rz_authc_id);
	if (rz->rz_timer != NULL)
		event_free(rz->rz_timer);
	if (rz->rz_retry != NULL)
		event_free(rz->rz_retry);
	free(rz);
}

static void
ready_part(struct buf *b, const char *name, const char *why)
{
	if (b->b_len > 0)
		buf_addstr(b, "; ");
	buf_printf(b, "%s: %s", name, why[0] != '\0' ? why : "ok");
}

/* Answering ends the wait: readyz_cancel frees rz then. */
static void
ready_finish(struct readyz *rz)
{
	struct req *rq = rz->rz_rq;
	struct gw *gw = rz->rz_gw;
	const char *lwhy = "";
	struct buf d;
	int ok, listen;

	if (rz->rz_pending > 0 && !rz->rz_expired)
		return;
	/* The deadline passed: what has not answered is down. */
	if (evtimer_pending(rz->rz_retry, NULL)) {
		event_del(rz->rz_retry);
		snprintf(rz->rz_db, sizeof(rz->rz_db),
		    "no connection to PostgreSQL");
	}
	if (rz->rz_dbq != NULL) {
		db_cancel(rz->rz_dbq);
		rz->rz_dbq = NULL;
		snprintf(rz->rz_db, sizeof(rz->rz_db),
		    "PostgreSQL did not answer within %d ms",
		    READYZ_DEADLINE_MS);
	}
	if (rz->rz_authc_id != 0) {
		authc_cancel(gw->gw_authc, rz->rz_authc_id);
		rz->rz_authc_id = 0;
		snprintf(rz->rz_authd, sizeof(rz->rz_authd),
		    "authd did not answer within %d ms", READYZ_DEADLINE_MS);
	}
	listen = db_pool_listening(gw->gw_db, &lwhy);
	ok = rz->rz_ready_db && rz->rz_ready_authd && listen &&
	     gw->gw_routes != NULL;
	if (ok) {
		rq->rq_status = 200;
		buf_addstr(&rq->rq_rbody,
		    "{\"status\":\"ready\",\"database\":\"ok\",\"listen\":"
		    "\"ok\",\"authd\":\"ok\",\"routes\":\"loaded\"}");
		req_respond(rq);
		return;
	}
	buf_init(&d);
	ready_part(&d, "database",
	    rz->rz_ready_db ? ""
	    : rz->rz_db[0]  ? rz->rz_db
	                    : "down");
	ready_part(&d, "listen",
	    listen ? "" : (lwhy[0] != '\0' ? lwhy : "not established"));
	ready_part(&d, "authd",
	    rz->rz_ready_authd ? ""
	    : rz->rz_authd[0]  ? rz->rz_authd
	                       : "down");
	ready_part(&d, "routes", gw->gw_routes != NULL ? "" : "not loaded");
	rq->rq_status = 503;
	req_add_header(rq, "Retry-After", "1");
	buf_reset(&rq->rq_rbody);
	buf_addstr(
	    &rq->rq_rbody, "{\"code\":\"PN803\",\"message\":\"not ready: ");
	buf_printf(&rq->rq_rbody, "%s%s%s%s",
	    rz->rz_ready_db ? "" : "database ", listen ? "" : "listen ",
	    rz->rz_ready_authd ? "" : "authd ",
	    gw->gw_routes != NULL ? "" : "routes ");
	rq->rq_rbody.b_len--; /* the last space */
	buf_addstr(&rq->rq_rbody, "\",\"details\":");
	buf_add_json_str(&rq->rq_rbody, d.b_data, d.b_len);
	buf_addstr(&rq->rq_rbody,
	    ",\"hint\":\"see the logs of postern-gateway and postern-authd\"}");
	buf_free(&d);
	req_respond(rq);
}

static void
ready_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct readyz *rz = arg;

	(void)fd;
	(void)what;
	rz->rz_expired = 1;
	ready_finish(rz);
}

static void
ready_db_cb(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct readyz *rz = arg;

	rz->rz_dbq = NULL;
	rz->rz_ready_db = st == DB_OK && nres == 1 &&
	                  PQresultStatus(res[0]) == PGRES_TUPLES_OK;
	if (!rz->rz_ready_db)
		snprintf(rz->rz_db, sizeof(rz->rz_db), "%s",
		    st == DB_TIMEOUT ? "PostgreSQL did not answer in time"
		    : st == DB_OK && nres == 1
		        ? "SELECT 1 failed"
		        : "the connection to PostgreSQL failed");
	rz->rz_pending--;
	ready_finish(rz);
}

static void
ready_authd_cb(enum authc_status st, const struct authc_health *ah, void *arg)
{
	struct readyz *rz = arg;

	rz->rz_authc_id = 0;
	/* authd is ready only if its database and its LISTEN work too. */
	if (st != AUTHC_OK)
		snprintf(rz->rz_authd, sizeof(rz->rz_authd), "%s",
		    st == AUTHC_BADANSWER ? "authd gave a malformed answer"
		                          : "authd is unreachable");
	else if (!ah->ah_db_ok || !ah->ah_listen_ok)
		snprintf(rz->rz_authd, sizeof(rz->rz_authd), "%s",
		    ah->ah_reason[0] != '\0'
		        ? ah->ah_reason
		        : "authd cannot reach its database");
	rz->rz_ready_authd = rz->rz_authd[0] == '\0';
	rz->rz_pending--;
	ready_finish(rz);
}

/*
 * No pool connection is up: the ones in backoff were woken, so try again
 * shortly, until the deadline, rather than answer 503 while PostgreSQL is
 * back and a connection is being made.
 */
static void
ready_db_start(struct readyz *rz)
{
	struct timeval tv = {0, READYZ_RETRY_MS * 1000};

	if ((rz->rz_dbq = db_query(rz->rz_gw->gw_db, "SELECT 1", 0, NULL,
	         ready_db_cb, rz)) == NULL)
		evtimer_add(rz->rz_retry, &tv);
}

static void
ready_db_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ready_db_start(arg);
}

void
handle_readyz(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	struct readyz *rz;
	struct timeval tv = {0, READYZ_DEADLINE_MS * 1000};

	if ((rz = calloc(1, sizeof(*rz))) == NULL ||
	    (rz->rz_timer = evtimer_new(gw->gw_base, ready_timeout, rz)) ==
	        NULL ||
	    (rz->rz_retry = evtimer_new(gw->gw_base, ready_db_retry, rz)) ==
	        NULL) {
		if (rz != NULL && rz->rz_timer != NULL)
			event_free(rz->rz_timer);
		free(rz);
		req_error(rq, 503, "PN803", "not ready: out of memory");
		return;
	}
	rz->rz_rq = rq;
	rz->rz_gw = gw;
	rz->rz_pending = 2;
	/* Both checks are one wait: rz is the backend. */
	req_wait(rq, RS_DB, readyz_cancel, rz, 0);
	/* A connection in its reconnect backoff tries now. */
	db_pool_wake(gw->gw_db);
	ready_db_start(rz);
	if ((rz->rz_authc_id = authc_ping(gw->gw_authc, ready_authd_cb, rz)) ==
	    0) {
		snprintf(
		    rz->rz_authd, sizeof(rz->rz_authd), "authd is unreachable");
		rz->rz_pending--;
	}
	evtimer_add(rz->rz_timer, &tv);
	ready_finish(rz);
}

void
handle_healthz(struct req *rq)
{
	rq->rq_status = 200;
	buf_addstr(&rq->rq_rbody, "{\"status\":\"ok\"}");
	req_respond(rq);
}

/* ---- auth groups: forwarded to authd ---- */

static void
auth_answer(enum authc_status st, const struct authc_reply *rp, void *arg)
{
	struct req *rq = arg;
	char tmp[16];

	req_resume(rq);
	if (st == AUTHC_TIMEOUT) {
		req_error(rq, 503, "PN802", "the auth daemon did not answer");
		return;
	}
	if (st != AUTHC_OK) {
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
		return;
	}
	if (rp->arp_error == NULL) {
		rq->rq_status = rp->arp_status;
		if (rp->arp_retry_after > 0) {
			snprintf(tmp, sizeof(tmp), "%u", rp->arp_retry_after);
			req_add_header(rq, "Retry-After", tmp);
		}
		/* RFC 6750: when a token was given, say it was the token. */
		if (rp->arp_status == 401)
			req_add_header(rq, "WWW-Authenticate",
			    !op_has(rq->rq_route->rt_op, OPF_BODY) &&
			            http_head_get(&rq->rq_head, "Authorization")
			        ? "Bearer error=\"invalid_token\""
			        : "Bearer");
		buf_reset(&rq->rq_rbody);
		buf_add(&rq->rq_rbody, rp->arp_body, rp->arp_bodylen);
		req_respond(rq);
		return;
	}
	{
		char text[256];
		snprintf(text, sizeof(text), "%s", rp->arp_error);
		req_error(rq, rp->arp_status,
		    rp->arp_status == 404 ? "PN400" : "PN800", text);
	}
}

static void
handle_auth(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const struct route *r = rq->rq_route;
	const char *ua, *tok = "";
	size_t toklen;
	uint32_t id;

	if (rq->rq_body.b_len > op_info(r->rt_op)->oi_body_max) {
		req_error(rq, 413, "PN600", "request body too large");
		return;
	}
	if (op_has(r->rt_op, OPF_BODY) && !req_type_is_json(rq)) {
		req_error(
		    rq, 415, "PN601", "Content-Type must be application/json");
		return;
	}
	if ((ua = http_head_get(&rq->rq_head, "User-Agent")) == NULL)
		ua = "";
	if (bearer_token(rq, &tok, &toklen) == -1 || toklen > TOKEN_MAX)
		tok = "";
	id = authc_auth(gw->gw_authc, op_name(r->rt_op), r->rt_table,
	    rq->rq_client, ua, tok, rq->rq_idseg,
	    rq->rq_body.b_data ? rq->rq_body.b_data : "", rq->rq_body.b_len,
	    auth_answer, rq);
	if (id == 0)
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
	else
		req_wait(rq, RS_AUTH, authd_cancel, gw->gw_authc, id);
}

/* ---- data routes ---- */

/* A verified caller: the endpoint's group rule; 0, or -1 when answered. */
static int
bearer_claims(struct req *rq, const struct vclaims *vc)
{
	const struct route *r = rq->rq_route;

	if (strncmp(r->rt_auth, "bearer:", 7) == 0 &&
	    strcmp(r->rt_auth + 7, vc->vc_tbl) != 0) {
		req_error(rq, 403, "PN300",
		    "this endpoint does not accept tokens of that auth group");
		return -1;
	}
	x_strlcpy(rq->rq_sub, vc->vc_sub, sizeof(rq->rq_sub));
	x_strlcpy(rq->rq_sid, vc->vc_sid, sizeof(rq->rq_sid));
	x_strlcpy(rq->rq_tbl, vc->vc_tbl, sizeof(rq->rq_tbl));
	rq->rq_verified = 1;
	return 0;
}

/*
 * The claims are good: run the operation, or, when the token was checked
 * before the body (handle_head), go on reading the body.
 */
static void
bearer_accept(struct req *rq, const struct vclaims *vc)
{
	if (bearer_claims(rq, vc) == -1)
		return;
	if (rq->rq_body_unread)
		req_read_body(rq);
	else
		crud_run(rq);
}

static void
verify_answer(enum authc_status st, const struct authc_claims *cl, void *arg)
{
	struct req *rq = arg;
	struct gw *gw = rq->rq_conn->hc_gw;
	struct vclaims vc;
	const char *tok;
	size_t toklen;

	req_resume(rq);
	if (st != AUTHC_OK) {
		req_error(rq, 503, st == AUTHC_TIMEOUT ? "PN802" : "PN800",
		    "the auth daemon is unavailable");
		return;
	}
	if (cl->acl_verdict != AUTHC_VALID) {
		unauthorized(rq, 1,
		    cl->acl_verdict == AUTHC_EXPIRED ? "the token has expired"
		    : cl->acl_verdict == AUTHC_REVOKED
		        ? "the token has been revoked"
		        : "the token is invalid");
		return;
	}
	memset(&vc, 0, sizeof(vc));
	x_strlcpy(vc.vc_sub, cl->acl_sub, sizeof(vc.vc_sub));
	x_strlcpy(vc.vc_sid, cl->acl_sid, sizeof(vc.vc_sid));
	x_strlcpy(vc.vc_tbl, cl->acl_tbl, sizeof(vc.vc_tbl));
	vc.vc_exp = cl->acl_exp;
	if (gw->gw_vcache != NULL && bearer_token(rq, &tok, &toklen) == 0)
		vcache_put(gw->gw_vcache, tok, toklen, &vc);
	bearer_accept(rq, &vc);
}

/* Asks authd about the token; verify_answer() goes on. */
static void
verify_start(struct req *rq, const char *tok, size_t len)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	uint32_t id;

	if ((id = authc_verify(gw->gw_authc, tok, len, verify_answer, rq)) == 0)
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
	else
		req_wait(rq, RS_AUTH, authd_cancel, gw->gw_authc, id);
}

/* Whether a query string may embed (select=..(..)): a cheap test, a
 * false positive only costs a verification. */
static int
query_embeds(const char *qs)
{
	return qs != NULL && strstr(qs, "select=") != NULL &&
	       (strchr(qs, '(') != NULL || strstr(qs, "%28") != NULL);
}

static void
handle_data(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *tok;
	size_t len;
	struct vclaims vc;

	/* No token needed, or verified before the body was read.  A public
	 * endpoint verifies a token sent with a select= that embeds: the
	 * embedded tables' own auth and owner rules need the claims. */
	if (rq->rq_verified || (strcmp(rq->rq_route->rt_auth, "none") == 0 &&
	                           (!query_embeds(rq->rq_head.hh_query) ||
	                               bearer_token(rq, &tok, &len) == -1))) {
		crud_run(rq);
		return;
	}
	if (bearer_token(rq, &tok, &len) == -1) {
		unauthorized(rq, 0, "a bearer token is required");
		return;
	}
	/* An oversized token is refused here, without a round trip. */
	if (len > TOKEN_MAX) {
		unauthorized(rq, 1, "the token is invalid");
		return;
	}
	/* authd said yes to this very token before, has revoked nothing of
	 * it since (it would have told us first), and is alive. */
	if (gw->gw_vcache != NULL && authc_fresh(gw->gw_authc) &&
	    vcache_get(gw->gw_vcache, tok, len, time_epoch_s(), &vc)) {
		bearer_accept(rq, &vc);
		return;
	}
	verify_start(rq, tok, len);
}

/* ---- /openapi.json ---- */

void
handle_openapi(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;

	/* Servers are left out: the document is relative to where it was
	 * fetched, which is what a gateway behind a proxy wants. */
	if (openapi_build(gw->gw_routes, NULL, &rq->rq_rbody) == -1) {
		req_error(rq, 500, "PN900", "cannot build the description");
		return;
	}
	rq->rq_status = 200;
	req_respond(rq);
}

/* ---- CORS ---- */

#define CORS_EXPOSE                                                            \
	"Content-Range, Location, X-Request-Id, Retry-After, "                 \
	"WWW-Authenticate, Preference-Applied"
#define CORS_ALLOW_HEADERS                                                     \
	"Authorization, Content-Type, Prefer, Accept, X-Request-Id, Range"

/* The methods a path serves, for Allow and preflights; 0 if none. */
static int
path_methods(struct req *rq, char *allow, size_t cap)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *path = rq->rq_head.hh_path;
	const struct builtin *b;
	const struct route *r;
	char id[128];

	if ((b = builtin_find(path)) != NULL)
		return b->bi_methods != 0 &&
		       http_allow_list(b->bi_methods, allow, cap) == 0;
	if (gw->gw_routes == NULL)
		return 0;
	/* No route serves OPTIONS, so a known path answers 405 and lists
	 * what it does serve. */
	return routes_match(gw->gw_routes, "OPTIONS", path, &r, allow, cap, id,
	           sizeof(id)) == 405;
}

/*
 * Adds the CORS headers for an allowed Origin, and answers OPTIONS
 * (preflights and plain ones).  Returns 1 when it answered.  The builder
 * (/_admin, /_console) never takes part: its key must not be usable from
 * another origin's page.
 */
static int
cors_begin(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *path = rq->rq_head.hh_path, *origin, *allow, *acrm, *acrh;
	const struct builtin *b = builtin_find(path);
	char methods[96];
	int builder;

	builder = b != NULL && b->bi_cors == BC_NEVER;
	origin = http_head_get(&rq->rq_head, "Origin");
	allow = builder ? NULL : cors_allow(gw->gw_cors, origin);
	if (allow != NULL) {
		req_add_header(rq, "Access-Control-Allow-Origin", allow);
		req_add_header(
		    rq, "Access-Control-Expose-Headers", CORS_EXPOSE);
	}
	if (cors_enabled(gw->gw_cors) && !builder)
		req_add_header(rq, "Vary", "Origin");
	if (rq->rq_head.hh_method != HM_OPTIONS)
		return 0;
	if (builder || !path_methods(rq, methods, sizeof(methods))) {
		req_error(rq, 404, "PN400", "no such route");
		return 1;
	}
	acrm = http_head_get(&rq->rq_head, "Access-Control-Request-Method");
	if (origin == NULL || acrm == NULL) {
		/* Not a preflight: what the path serves. */
		req_add_header(rq, "Allow", methods);
		rq->rq_status = 204;
		req_respond(rq);
		return 1;
	}
	if (allow == NULL) {
		req_error(rq, 403, "PN300", "this origin may not call the API");
		return 1;
	}
	acrh = http_head_get(&rq->rq_head, "Access-Control-Request-Headers");
	if (acrh != NULL && cors_headers_ok(acrh) == -1) {
		req_error(rq, 400, "PN106", "malformed preflight headers");
		return 1;
	}
	req_add_header(rq, "Access-Control-Allow-Methods", methods);
	req_add_header(rq, "Access-Control-Allow-Headers",
	    acrh != NULL && acrh[0] != '\0' ? acrh : CORS_ALLOW_HEADERS);
	req_add_header(rq, "Access-Control-Max-Age", "600");
	rq->rq_status = 204;
	req_respond(rq);
	return 1;
}

/* ---- entry points ---- */

int
handle_head(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *method = http_method_name(rq->rq_head.hh_method);
	const char *path = rq->rq_head.hh_path, *tok;
	const struct builtin *b = builtin_find(path);
	const struct route *r;
	struct vclaims vc;
	char allow[64];
	size_t len;

	/* What handle_request answers by itself, it answers after the
	 * body as before; so do 404 and 405 (the body is bounded by
	 * body_limit and body_memory_limit). */
	if (rq->rq_head.hh_method == HM_OPTIONS)
		return 1;
	/* The builder's key, like a bearer token, before any body. */
	if (b != NULL && b->bi_admin_key && admin_refuse(rq))
		return 0;
	if (gw->gw_routes == NULL || b != NULL)
		return 1;
	rq->rq_headed = 1;
	if (cors_begin(rq) == 1)
		return 0;
	rq->rq_routes = routes_ref(gw->gw_routes);
	if (routes_match(rq->rq_routes, method, path, &rq->rq_route, allow,
	        sizeof(allow), rq->rq_idseg, sizeof(rq->rq_idseg)) != 200) {
		rq->rq_route = NULL;
		return 1;
	}
	r = rq->rq_route;
	if (r->rt_kind == RT_AUTH) {
		rq->rq_body_max = op_info(r->rt_op)->oi_body_max;
		if (rq->rq_head.hh_content_length > (int64_t)rq->rq_body_max) {
			req_error(rq, 413, "PN600", "request body too large");
			return 0;
		}
		return 1;
	}
	if (strcmp(r->rt_auth, "none") == 0)
		return 1;
	/* The checks handle_data would make, now, before the body. */
	if (bearer_token(rq, &tok, &len) == -1) {
		unauthorized(rq, 0, "a bearer token is required");
		return 0;
	}
	if (len > TOKEN_MAX) {
		unauthorized(rq, 1, "the token is invalid");
		return 0;
	}
	if (gw->gw_vcache != NULL && authc_fresh(gw->gw_authc) &&
	    vcache_get(gw->gw_vcache, tok, len, time_epoch_s(), &vc))
		return bearer_claims(rq, &vc) == 0 ? 1 : 0;
	/* verify_answer() calls req_read_body() once authd says yes. */
	verify_start(rq, tok, len);
	return 0;
}

void
handle_request(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *method = http_method_name(rq->rq_head.hh_method);
	const char *path = rq->rq_head.hh_path;
	const struct builtin *b;
	char allow[64], msg[96];
	int r;

	/* handle_head() did the CORS part already. */
	if (!rq->rq_headed && cors_begin(rq) == 1)
		return;
	/* Operations and the builder: not part of the endpoint registry. */
	if ((b = builtin_find(path)) != NULL &&
	    (!b->bi_needs_routes || gw->gw_routes != NULL)) {
		if (b->bi_methods == 0 || !req_refuse_method(rq, b->bi_methods))
			b->bi_handle(rq);
		return;
	}
	if (gw->gw_routes == NULL) {
		req_error(rq, 503, "PN801",
		    "the endpoint registry is not loaded yet");
		return;
	}
	if (rq->rq_routes == NULL)
		rq->rq_routes = routes_ref(gw->gw_routes);
	/* Matched by handle_head() already, against the same table. */
	r = rq->rq_route != NULL
	        ? 200
	        : routes_match(rq->rq_routes, method, path, &rq->rq_route,
	              allow, sizeof(allow), rq->rq_idseg, sizeof(rq->rq_idseg));
	if (r == 404) {
		req_error(rq, 404, "PN400", "no such route");
		return;
	}
	if (r == 405) {
		req_add_header(rq, "Allow", allow);
		snprintf(
		    msg, sizeof(msg), "method %s not allowed here", method);
		req_error(rq, 405, "PN401", msg);
		return;
	}
	if (rq->rq_route->rt_kind == RT_AUTH)
		handle_auth(rq);
	else
		handle_data(rq);
}

void
handle_abort(struct req *rq)
{
	crud_abort(rq);
}
