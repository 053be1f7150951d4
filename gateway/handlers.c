/*
 * What a request means: the fixed operational routes, then the live route
 * table.  Auth-group routes are forwarded whole to authd; data routes first
 * have their bearer token verified by authd (failure is deny), then run
 * their query on the pool, with PostgreSQL rendering the JSON.
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
#include "gateway/db.h"
#include "gateway/gateway.h"

#define AUTH_BODY_MAX (64 * 1024)
#define TOKEN_MAX 4096

static void data_run(struct req *rq);

/* ---- helpers ---- */

static void
unauthorized(struct req *rq, int token_given, const char *msg)
{
	req_add_header(rq, "WWW-Authenticate",
	    token_given ? "Bearer error=\"invalid_token\"" : "Bearer");
	req_error(rq, 401, token_given ? "PN201" : "PN200", msg);
}

static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
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

static void
ready_finish(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	int ok;

	if (rq->rq_pending_ping > 0)
		return;
	ok = rq->rq_ready_db && rq->rq_ready_authd && gw->gw_routes != NULL;
	rq->rq_status = ok ? 200 : 503;
	buf_printf(&rq->rq_rbody,
	    "{\"status\":\"%s\",\"database\":\"%s\",\"authd\":\"%s\","
	    "\"routes\":\"%s\"}",
	    ok ? "ready" : "unavailable", rq->rq_ready_db ? "ok" : "down",
	    rq->rq_ready_authd ? "ok" : "down",
	    gw->gw_routes ? "loaded" : "not loaded");
	req_respond(rq);
}

static void
ready_db_cb(enum db_status st, PGresult *res, void *arg)
{
	struct req *rq = arg;

	rq->rq_dbq = NULL;
	rq->rq_ready_db = st == DB_OK && PQresultStatus(res) == PGRES_TUPLES_OK;
	rq->rq_pending_ping--;
	ready_finish(rq);
}

static void
ready_authd_cb(enum authc_status st, const struct ipc_hdr *h,
    struct ipc_cur *cur, void *arg)
{
	struct req *rq = arg;
	uint8_t dbok = 0;

	rq->rq_authc_id = 0;
	/* authd answers only if its own database connection works too. */
	rq->rq_ready_authd = st == AUTHC_OK && h->ih_type == IPC_ANS_PING &&
	                     ipc_get_u8(cur, &dbok) == 0 && ipc_end(cur) == 0 &&
	                     dbok == 1;
	rq->rq_pending_ping--;
	ready_finish(rq);
}

static void
handle_readyz(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;

	rq->rq_pending_ping = 2;
	rq->rq_state = RS_DB;
	if ((rq->rq_dbq = db_query(
	         gw->gw_db, "SELECT 1", 0, NULL, ready_db_cb, rq)) == NULL)
		rq->rq_pending_ping--;
	if ((rq->rq_authc_id = authc_ping(gw->gw_authc, ready_authd_cb, rq)) ==
	    0)
		rq->rq_pending_ping--;
	ready_finish(rq);
}

/* ---- auth groups: forwarded to authd ---- */

static void
auth_answer(enum authc_status st, const struct ipc_hdr *h, struct ipc_cur *cur,
    void *arg)
{
	struct req *rq = arg;
	const char *body, *msg;
	size_t len;
	uint16_t status;
	uint32_t retry;
	char tmp[16];

	rq->rq_authc_id = 0;
	if (st == AUTHC_TIMEOUT) {
		req_error(rq, 503, "PN802", "the auth daemon did not answer");
		return;
	}
	if (st != AUTHC_OK) {
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
		return;
	}
	if (h->ih_type == IPC_ANS_AUTH && ipc_get_u16(cur, &status) == 0 &&
	    ipc_get_u32(cur, &retry) == 0 &&
	    ipc_get_str(cur, &body, &len) == 0 && ipc_end(cur) == 0 &&
	    status >= 200 && status <= 599) {
		rq->rq_status = status;
		if (retry > 0) {
			snprintf(tmp, sizeof(tmp), "%u", retry);
			req_add_header(rq, "Retry-After", tmp);
		}
		if (status == 401)
			req_add_header(rq, "WWW-Authenticate", "Bearer");
		buf_reset(&rq->rq_rbody);
		buf_add(&rq->rq_rbody, body, len);
		req_respond(rq);
		return;
	}
	if (h->ih_type == IPC_ANS_ERROR && ipc_get_u16(cur, &status) == 0 &&
	    ipc_get_str(cur, &msg, &len) == 0 && ipc_end(cur) == 0 &&
	    status >= 400 && status <= 599) {
		char text[256];
		snprintf(text, sizeof(text), "%.*s", (int)len, msg);
		req_error(rq, status, status == 404 ? "PN400" : "PN800", text);
		return;
	}
	log_warnx("request %s: malformed answer from authd", rq->rq_id);
	req_error(rq, 503, "PN800", "the auth daemon is unavailable");
}

static void
handle_auth(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const struct route *r = rq->rq_route;
	const char *ua, *tok = "";
	size_t toklen;

	if (rq->rq_body.b_len > AUTH_BODY_MAX) {
		req_error(rq, 413, "PN600", "request body too large");
		return;
	}
	if (!is_json_type(http_head_get(&rq->rq_head, "Content-Type"))) {
		req_error(
		    rq, 415, "PN601", "Content-Type must be application/json");
		return;
	}
	if ((ua = http_head_get(&rq->rq_head, "User-Agent")) == NULL)
		ua = "";
	if (bearer_token(rq, &tok, &toklen) == -1 || toklen > TOKEN_MAX)
		tok = "";
	rq->rq_state = RS_AUTH;
	rq->rq_authc_id = authc_auth(gw->gw_authc, r->rt_op, r->rt_table,
	    rq->rq_conn->hc_addr, ua, tok,
	    rq->rq_body.b_data ? rq->rq_body.b_data : "", rq->rq_body.b_len,
	    auth_answer, rq);
	if (rq->rq_authc_id == 0)
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
}

/* ---- data routes ---- */

static void
verify_answer(enum authc_status st, const struct ipc_hdr *h,
    struct ipc_cur *cur, void *arg)
{
	struct req *rq = arg;
	const struct route *r = rq->rq_route;
	char *sub = NULL, *sid = NULL, *tbl = NULL, *reason = NULL;
	uint8_t result;

	rq->rq_authc_id = 0;
	if (st != AUTHC_OK) {
		req_error(rq, 503, st == AUTHC_TIMEOUT ? "PN802" : "PN800",
		    "the auth daemon is unavailable");
		return;
	}
	if (h->ih_type != IPC_ANS_VERIFY || ipc_get_u8(cur, &result) == -1 ||
	    ipc_get_cstr(cur, &sub) == -1 || ipc_get_cstr(cur, &sid) == -1 ||
	    ipc_get_cstr(cur, &tbl) == -1 || ipc_get_cstr(cur, &reason) == -1 ||
	    ipc_end(cur) == -1) {
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
		goto done;
	}
	if (result != 0) {
		unauthorized(rq, 1,
		    result == 2 ? "the token has expired"
		                : "the token is invalid");
		goto done;
	}
	if (strncmp(r->rt_auth, "bearer:", 7) == 0 &&
	    strcmp(r->rt_auth + 7, tbl) != 0) {
		req_error(rq, 403, "PN300",
		    "this endpoint does not accept tokens of that auth group");
		goto done;
	}
	x_strlcpy(rq->rq_sub, sub, sizeof(rq->rq_sub));
	data_run(rq);
done:
	free(sub);
	free(sid);
	free(tbl);
	free(reason);
}

static void
list_answer(enum db_status st, PGresult *res, void *arg)
{
	struct req *rq = arg;

	rq->rq_dbq = NULL;
	if (st == DB_TIMEOUT) {
		req_error(rq, 504, "PN802",
		    "no database connection was free "
		    "in time");
		return;
	}
	if (st != DB_OK) {
		req_error(rq, 503, "PN801", "the database is unavailable");
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_warnx("request %s: query failed: %s", rq->rq_id,
		    PQresultErrorMessage(res));
		req_error(rq, 500, "PN900", "internal error");
		return;
	}
	rq->rq_status = 200;
	buf_add(&rq->rq_rbody, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	req_respond(rq);
}

static int
parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (s[0] == '\0' || !isdigit((unsigned char)s[0]) || strlen(s) > 12)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0)
		return -1;
	*out = v > max ? max : v;
	return 0;
}

static int
quote_ident(const char *s, char *out, size_t outcap)
{
	if (!routes_ident_ok(s))
		return -1;
	/* routes_ident_ok admits [A-Za-z_][A-Za-z0-9_]*, so quoting is
	 * enclosing in double quotes. */
	return snprintf(out, outcap, "\"%s\"", s) < (int)outcap ? 0 : -1;
}

static void
handle_list(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	struct http_param *params = NULL;
	size_t nparams = 0, i;
	long limit = gw->gw_cf.cf_list_default_limit, offset = 0;
	char sql[512], qt[ROUTE_NAME_MAX + 3], lim[24], off[24], msg[160];
	const char *vals[2], *why;

	if (rq->rq_head.hh_query != NULL &&
	    http_query_parse(
	        rq->rq_head.hh_query, 64, &params, &nparams, &why) == -1) {
		req_error(rq, 400, "PN105", why);
		return;
	}
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].hp_name, "limit") == 0) {
			if (parse_count(params[i].hp_value,
			        gw->gw_cf.cf_list_max_limit, &limit) == -1) {
				req_error(rq, 400, "PN105",
				    "limit must be a non-negative integer");
				goto done;
			}
		} else if (strcmp(params[i].hp_name, "offset") == 0) {
			if (parse_count(params[i].hp_value, 1000000000L,
			        &offset) == -1) {
				req_error(rq, 400, "PN105",
				    "offset must be a non-negative integer");
				goto done;
			}
		} else {
			snprintf(msg, sizeof(msg),
			    "unsupported query parameter \"%.64s\"",
			    params[i].hp_name);
			req_error(rq, 400, "PN105", msg);
			goto done;
		}
	}
	if (quote_ident(rq->rq_route->rt_table, qt, sizeof(qt)) == -1) {
		req_error(rq, 500, "PN900", "invalid table in registry");
		goto done;
	}
	snprintf(sql, sizeof(sql),
	    "SELECT coalesce('[' || string_agg(row_to_json(t)::text, ',') || "
	    "']', '[]') FROM (SELECT * FROM public.%s LIMIT $1 OFFSET $2) t",
	    qt);
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	vals[0] = lim;
	vals[1] = off;
	rq->rq_state = RS_DB;
	if ((rq->rq_dbq = db_query(gw->gw_db, sql, 2, vals, list_answer, rq)) ==
	    NULL)
		req_error(rq, 503, "PN801", "the database is unavailable");
done:
	http_params_free(params, nparams);
}

static void
data_run(struct req *rq)
{
	if (strcmp(rq->rq_route->rt_op, "list") == 0)
		handle_list(rq);
	else
		req_error(rq, 404, "PN400", "operation not available");
}

static void
handle_data(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *tok;
	size_t len;

	if (strcmp(rq->rq_route->rt_auth, "none") == 0) {
		data_run(rq);
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
	rq->rq_state = RS_AUTH;
	if ((rq->rq_authc_id = authc_verify(
	         gw->gw_authc, tok, len, verify_answer, rq)) == 0)
		req_error(rq, 503, "PN800", "the auth daemon is unavailable");
}

/* ---- entry points ---- */

void
handle_request(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const char *method = http_method_name(rq->rq_head.hh_method);
	const char *path = rq->rq_head.hh_path;
	char allow[64], msg[96];
	int r;

	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0) {
		if (rq->rq_head.hh_method != HM_GET &&
		    rq->rq_head.hh_method != HM_HEAD) {
			req_add_header(rq, "Allow", "GET, HEAD");
			req_error(rq, 405, "PN401", "method not allowed");
		} else if (path[1] == 'h') {
			rq->rq_status = 200;
			buf_addstr(&rq->rq_rbody, "{\"status\":\"ok\"}");
			req_respond(rq);
		} else
			handle_readyz(rq);
		return;
	}
	if (gw->gw_routes == NULL) {
		req_error(rq, 503, "PN801",
		    "the endpoint registry is not loaded yet");
		return;
	}
	rq->rq_routes = routes_ref(gw->gw_routes);
	r = routes_match(rq->rq_routes, method, path, &rq->rq_route, allow,
	    sizeof(allow), rq->rq_idseg, sizeof(rq->rq_idseg));
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
	(void)rq;
}

/* ---- the route table ---- */

static void routes_loaded(enum db_status st, PGresult *res, void *arg);

static void
routes_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	routes_load_start(arg);
}

/* The pool calls this whenever a connection comes up: load the routes
 * as soon as possible after start, or after an outage at start. */
void
routes_db_ready(void *arg)
{
	struct gw *gw = arg;

	if (gw->gw_routes == NULL && !gw->gw_routes_loading)
		routes_load_start(gw);
}

void
routes_load_start(struct gw *gw)
{
	struct timeval tv = {0, 50000};

	if (gw->gw_routes_retry == NULL &&
	    (gw->gw_routes_retry =
	            evtimer_new(gw->gw_base, routes_retry, gw)) == NULL)
		fatalx("evtimer_new failed");
	/* Only rows whose table exists in public are served; others are
	 * logged and skipped. */
	if (db_query(gw->gw_db,
	        "SELECT e.id, e.kind, e.method, e.path, e.table_name, e.op, "
	        "e.auth, coalesce(e.owner_column, ''), "
	        "coalesce(array_to_string(e.ops, ','), ''), "
	        "(c.oid IS NOT NULL) "
	        "FROM postern.endpoints e LEFT JOIN pg_class c "
	        "ON c.relname = e.table_name "
	        "AND c.relnamespace = 'public'::regnamespace "
	        "AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY e.id",
	        0, NULL, routes_loaded, gw) == NULL)
		evtimer_add(gw->gw_routes_retry, &tv);
}

static void
routes_loaded(enum db_status st, PGresult *res, void *arg)
{
	struct gw *gw = arg;
	struct routes *rs;
	struct timeval tv = {0, 50000};
	const char *why;
	int i;

	gw->gw_routes_loading = 0;
	if (st != DB_OK || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (st == DB_OK)
			log_warnx("cannot load endpoints: %s",
			    PQresultErrorMessage(res));
		evtimer_add(gw->gw_routes_retry, &tv);
		return;
	}
	if ((rs = routes_new()) == NULL) {
		evtimer_add(gw->gw_routes_retry, &tv);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 9), "t") != 0) {
			log_warnx("endpoint %s: table %s does not exist; "
			          "skipped",
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 4));
			continue;
		}
		if (routes_add_row(rs, strtol(PQgetvalue(res, i, 0), NULL, 10),
		        PQgetvalue(res, i, 1),
		        PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
		        PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		        PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
		        PQgetvalue(res, i, 6), PQgetvalue(res, i, 7),
		        PQgetvalue(res, i, 8), &why) == -1)
			log_warnx("endpoint %s: %s; skipped",
			    PQgetvalue(res, i, 0), why);
	}
	routes_unref(gw->gw_routes);
	gw->gw_routes = rs;
	log_info("loaded %zu routes", rs->rs_n);
}
