/*
 * The six data operations over the live catalog (docs/data-api.md): list,
 * get, create, update (PATCH), delete, replace (PUT), in the item form
 * (/t/{id}) and PostgREST's collection form (PATCH/DELETE/PUT /t?filters).
 * Each request is one pipeline on the pool — set_config() exposing the caller
 * (request.jwt.claims, request.user_id) to PostgreSQL so Row Level Security
 * policies can use it, the statement, and for Prefer: count=exact a count —
 * in one implicit transaction.  PostgreSQL renders the JSON; the gateway
 * relays it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/catalog.h"
#include "gateway/db.h"
#include "gateway/embed.h"
#include "gateway/gateway.h"
#include "gateway/prefer.h"
#include "gateway/query.h"
#include "gateway/rows.h"
#include "gateway/sqlbuild.h"

#define CSV_CTYPE "text/csv; charset=utf-8"
/* PostgREST's PGRST116 message. */
#define SINGULAR_MSG "Cannot coerce the result to a single JSON object"
#define PREFER_HEADERS_MAX 16

struct crud {
	struct req *cr_rq;
	const struct table *cr_table;
	int cr_item;   /* /t/{id} form */
	int cr_object; /* Accept: application/vnd.pgrst.object+json */
	int cr_bulk;   /* create with a JSON array */
	enum media cr_media;
	int cr_strip; /* ;nulls=stripped */
	struct prefer cr_pf;
	long cr_max_rows; /* list_max_limit: count=estimated's threshold */
	/* Where the answers are among the statements (-1: not sent). */
	int cr_imain, cr_icount, cr_iplan;
	long cr_offset;
	char cr_pk[128]; /* created row's key, for Location */
};

static const char set_claims_sql[] =
    "SELECT set_config('request.jwt.claims', $1, true), "
    "set_config('request.user_id', $2, true)";
/* Prefer: tx=rollback runs the statements in a block it rolls back. */
static const char begin_sql[] = "BEGIN";
static const char rollback_sql[] = "ROLLBACK";

static void
crud_free(struct req *rq)
{
	free(rq->rq_crud);
	rq->rq_crud = NULL;
}

/* details and hint may be NULL (null in the body). */
static void
crud_error_hint(struct req *rq, int status, const char *code, const char *msg,
    const char *details, const char *hint)
{
	rq->rq_status = status;
	rq->rq_ctype = NULL;
	buf_reset(&rq->rq_rbody);
	if (json_error_body_hint(&rq->rq_rbody, code, msg, details, hint) == -1)
		buf_reset(&rq->rq_rbody);
	crud_free(rq);
	req_respond(rq);
}

static void
crud_error(struct req *rq, int status, const char *code, const char *msg,
    const char *details)
{
	crud_error_hint(rq, status, code, msg, details, NULL);
}

static void
crud_qerror(struct req *rq, const struct q_error *e)
{
	rq->rq_status = e->qe_status ? e->qe_status : 400;
	rq->rq_ctype = NULL;
	buf_reset(&rq->rq_rbody);
	if (json_error_body_ext(&rq->rq_rbody, e->qe_code, e->qe_message,
	        e->qe_details[0] ? e->qe_details : NULL, e->qe_details_json,
	        e->qe_hint[0] ? e->qe_hint : NULL) == -1)
		buf_reset(&rq->rq_rbody);
	if (rq->rq_status == 401)
		req_add_header(rq, "WWW-Authenticate", "Bearer");
	crud_free(rq);
	req_respond(rq);
}

/*
 * Maps a failed statement to an answer; never passes a raw 5xx for bad
 * input.  As PostgREST does, a database error's code is its SQLSTATE, with
 * PostgreSQL's message, detail and hint (docs/errors.md).
 */
static void
crud_pg_error(struct req *rq, PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *det = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	struct gw *gw = rq->rq_conn->hc_gw;
	char tmp[96];
	long n;

	if (st == NULL)
		st = "";
	if (msg == NULL)
		msg = "database error";
	/*
	 * Key conflicts: PostgreSQL's DETAIL quotes the key ("Key (id)=(1)
	 * already exists.", or for an exclusion constraint the row it
	 * conflicts with), i.e. another row's values, which the caller may
	 * not be allowed to read (an owner rule, RLS, an endpoint without a
	 * list).  The gateway cannot tell cheaply, so the details are never
	 * passed on; the message names only the constraint.
	 */
	if (strcmp(st, "23505") == 0 || strcmp(st, "23P01") == 0 ||
	    strcmp(st, "23503") == 0)
		crud_error_hint(rq, 409, st, msg, NULL, hint);
	else if (strcmp(st, "PT406") == 0) {
		/* postern.expect_one(): the write is rolled back.  Its
		 * message has the count; the answer is PostgREST's. */
		if (sscanf(msg, "JSON object requested, %ld rows", &n) == 1)
			snprintf(tmp, sizeof(tmp),
			    "The result contains %ld rows", n);
		else
			snprintf(tmp, sizeof(tmp), "%s", msg);
		crud_error(rq, 406, "PGRST116", SINGULAR_MSG, tmp);
	} else if (strcmp(st, "PT124") == 0)
		/* postern.expect_at_most(): the write is rolled back. */
		crud_error(rq, 400, "PGRST124", msg, det);
	else if (strcmp(st, "PT115") == 0)
		/* postern.expect_put_key(): nothing was written. */
		crud_error(rq, 400, "PGRST115", msg, NULL);
	else if (strcmp(st, "23502") == 0 || strcmp(st, "23514") == 0 ||
	         strncmp(st, "22", 2) == 0 || strcmp(st, "428C9") == 0)
		/* A value PostgreSQL refused, in a body or in a filter (or one
		 * given for a generated or GENERATED ALWAYS column). */
		crud_error_hint(rq, 400, st, msg, det, hint);
	else if (strcmp(st, "P0001") == 0)
		/* RAISE EXCEPTION in a trigger or a function: the database's
		 * own refusal, 400 as PostgREST answers it. */
		crud_error_hint(rq, 400, st, msg, det, hint);
	else if (strcmp(st, "42601") == 0 &&
	         strncmp(msg, "syntax error in tsquery", 23) == 0)
		/* fts.a b: a filter value to_tsquery() cannot parse. */
		crud_error(rq, 400, "PN105", msg, det);
	else if (strcmp(st, "42883") == 0 || strcmp(st, "42804") == 0)
		/* An operator the column's type lacks, e.g. gt on a point. */
		crud_error_hint(rq, 400, st, msg, det, hint);
	else if (strcmp(st, "42P10") == 0 || strcmp(st, "21000") == 0)
		/* on_conflict names no unique key, or an upsert body names
		 * one key twice. */
		crud_error_hint(rq, 400, st, msg, det, hint);
	else if (strcmp(st, "42501") == 0 &&
	         strncmp(msg, "permission denied", 17) == 0) {
		/* A missing grant is a setup mistake, not the caller's. */
		log_warnx("request %s: %s (grant the gateway's role access)",
		    rq->rq_id, msg);
		crud_error(
		    rq, 500, "PN900", "the endpoint is misconfigured", NULL);
	} else if (strcmp(st, "42501") == 0)
		/* Row Level Security (or an upsert's owner check) refused the
		 * write. */
		crud_error_hint(rq, 403, st, msg, det, hint);
	else if (strcmp(st, "42703") == 0 || strcmp(st, "42P01") == 0) {
		/* The catalog changed under us: reload, answer 400. */
		registry_reload(gw);
		crud_error_hint(rq, 400, st, msg, det, hint);
	} else if (strcmp(st, "57014") == 0)
		crud_error(rq, 504, "PN802", "the query took too long", NULL);
	else if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0)
		crud_error(
		    rq, 503, "PN801", "the database is unavailable", NULL);
	else {
		log_warnx("request %s: %s: %s", rq->rq_id, st,
		    PQresultErrorMessage(res));
		crud_error(rq, 500, "PN900", "internal error", NULL);
	}
}

/* Strips the outer brackets of a one-element JSON array text. */
static void
body_set(struct req *rq, const char *json, size_t len, int as_object)
{
	buf_reset(&rq->rq_rbody);
	if (as_object && len >= 2 && json[0] == '[' && json[len - 1] == ']')
		buf_add(&rq->rq_rbody, json + 1, len - 2);
	else
		buf_add(&rq->rq_rbody, json, len);
}

static void
content_range(struct req *rq, long offset, long nrows, const char *total)
{
	char v[96];

	if (nrows > 0)
		snprintf(v, sizeof(v), "%ld-%ld/%s", offset, offset + nrows - 1,
		    total);
	else
		snprintf(v, sizeof(v), "*/%s", total);
	req_add_header(rq, "Content-Range", v);
}

/* Number of top-level elements of the JSON array text PostgreSQL made. */
static long
json_array_len(const char *s, size_t n)
{
	struct json_object *o;
	const char *why;
	long len = -1;

	if (n == 2 && s[0] == '[' && s[1] == ']')
		return 0;
	if ((o = json_parse_strict(s, n, &why)) != NULL) {
		if (json_object_is_type(o, json_type_array))
			len = (long)json_object_array_length(o);
		json_object_put(o);
	}
	return len;
}

/* Text form of a JSON scalar, to compare an owner value with sub. */
static const char *
json_scalar_text(struct json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return NULL;
	return json_object_get_string(v);
}

/* Percent-encodes a key value for the Location header. */
static void
pk_encode(const char *v, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *v != '\0' && o + 4 < cap; v++) {
		unsigned char c = (unsigned char)*v;
		if (isalnum(c) || strchr("-._~", c) != NULL)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* Fills cr_pk from the created row, for the Location header. */
static void
crud_location(struct crud *cr, const char *json, size_t len)
{
	const struct column *pk = table_pk(cr->cr_table);
	struct json_object *o, *row, *v;
	const char *why, *s;

	if (pk == NULL || (o = json_parse_strict(json, len, &why)) == NULL)
		return;
	if (json_object_is_type(o, json_type_array) &&
	    json_object_array_length(o) == 1 &&
	    (row = json_object_array_get_idx(o, 0)) != NULL &&
	    json_object_object_get_ex(row, pk->co_name, &v) &&
	    (s = json_scalar_text(v)) != NULL)
		pk_encode(s, cr->cr_pk, sizeof(cr->cr_pk));
	json_object_put(o);
}

/* "Plan Rows" of EXPLAIN (FORMAT JSON)'s answer, as the total's text. */
static int
plan_rows(const char *json, size_t len, char *out, size_t cap)
{
	struct json_object *o, *e, *plan, *rows;
	const char *why;
	int rv = -1;

	if ((o = json_parse_strict(json, len, &why)) == NULL)
		return -1;
	if (json_object_is_type(o, json_type_array) &&
	    json_object_array_length(o) >= 1 &&
	    (e = json_object_array_get_idx(o, 0)) != NULL &&
	    json_object_object_get_ex(e, "Plan", &plan) &&
	    json_object_object_get_ex(plan, "Plan Rows", &rows) &&
	    (json_object_is_type(rows, json_type_int) ||
	        json_object_is_type(rows, json_type_double))) {
		snprintf(
		    out, cap, "%lld", (long long)json_object_get_double(rows));
		rv = 0;
	}
	json_object_put(o);
	return rv;
}

/* The total for Content-Range: "*" unless a count was asked for. */
static int
crud_total(struct crud *cr, PGresult **res, long nrows, char *out, size_t cap)
{
	const char *exact;

	snprintf(out, cap, "*");
	if (cr->cr_rq->rq_route->rt_op != OP_LIST) {
		if (cr->cr_pf.pf_count == PF_COUNT_EXACT)
			snprintf(out, cap, "%ld", nrows);
		return 0;
	}
	if (cr->cr_icount >= 0) {
		exact = PQgetvalue(res[cr->cr_icount], 0, 0);
		/* count=estimated: exact below the max-rows threshold. */
		if (cr->cr_iplan < 0 ||
		    strtol(exact, NULL, 10) <= cr->cr_max_rows) {
			snprintf(out, cap, "%s", exact);
			return 0;
		}
	}
	if (cr->cr_iplan >= 0)
		return plan_rows(PQgetvalue(res[cr->cr_iplan], 0, 0),
		    (size_t)PQgetlength(res[cr->cr_iplan], 0, 0), out, cap);
	return 0;
}

/* Headers every successful answer carries: the media type and
 * Preference-Applied. */
static void
crud_success_headers(struct req *rq, struct crud *cr)
{
	struct buf b;

	if (cr->cr_media == MEDIA_CSV && rq->rq_status != 204 &&
	    rq->rq_rbody.b_len > 0)
		rq->rq_ctype = CSV_CTYPE;
	buf_init(&b);
	if (prefer_applied(&cr->cr_pf, &b) == 0 && b.b_len > 0)
		req_add_header(rq, "Preference-Applied", b.b_data);
	buf_free(&b);
}

/*
 * PostgREST's answer to a PUT: with return=representation 201 for a
 * created row and 200 for a replaced one (the statement's third column
 * counts the inserted rows), the row(s) as the body; no body otherwise.
 */
static void
put_answer(struct req *rq, const struct crud *cr, PGresult *main,
    const char *json, size_t len)
{
	if (cr->cr_pf.pf_return != PF_RETURN_REPR) {
		rq->rq_status = 204;
		buf_reset(&rq->rq_rbody);
		return;
	}
	rq->rq_status =
	    PQnfields(main) > 2 && strtol(PQgetvalue(main, 0, 2), NULL, 10) > 0
	        ? 201
	        : 200;
	body_set(rq, json, len, cr->cr_object && cr->cr_media != MEDIA_CSV);
}

static void
crud_answer(enum db_status st, PGresult **res, int nres, void *arg)
{
	struct req *rq = arg;
	struct crud *cr = rq->rq_crud;
	const struct route *r = rq->rq_route;
	const char *json;
	char tmp[ROUTE_PATH_MAX + 160], total[32];
	size_t len;
	long nrows;
	int i, csv = cr->cr_media == MEDIA_CSV;

	req_resume(rq);
	if (st == DB_TIMEOUT) {
		crud_error(rq, 504, "PN802",
		    "the database did not answer in time", NULL);
		return;
	}
	if (st != DB_OK) {
		crud_error(
		    rq, 503, "PN801", "the database is unavailable", NULL);
		return;
	}
	for (i = 0; i < nres; i++)
		if (PQresultStatus(res[i]) != PGRES_TUPLES_OK &&
		    PQresultStatus(res[i]) != PGRES_COMMAND_OK) {
			crud_pg_error(rq, res[i]);
			return;
		}
	if (PQntuples(res[cr->cr_imain]) != 1 ||
	    (cr->cr_icount >= 0 && PQntuples(res[cr->cr_icount]) != 1) ||
	    (cr->cr_iplan >= 0 && PQntuples(res[cr->cr_iplan]) < 1)) {
		crud_error(rq, 500, "PN900", "internal error", NULL);
		return;
	}
	json = PQgetvalue(res[cr->cr_imain], 0, 0);
	len = (size_t)PQgetlength(res[cr->cr_imain], 0, 0);
	if (PQnfields(res[cr->cr_imain]) > 1)
		nrows = strtol(PQgetvalue(res[cr->cr_imain], 0, 1), NULL, 10);
	else
		nrows = json_array_len(json, len);
	if (nrows < 0 ||
	    crud_total(cr, res, nrows, total, sizeof(total)) == -1) {
		crud_error(rq, 500, "PN900", "internal error", NULL);
		return;
	}

	if (r->rt_op == OP_LIST) {
		if (cr->cr_object && nrows != 1) {
			snprintf(tmp, sizeof(tmp),
			    "The result contains %ld rows", nrows);
			crud_error(rq, 406, "PGRST116", SINGULAR_MSG, tmp);
			return;
		}
		content_range(rq, cr->cr_offset, nrows, total);
		rq->rq_status = 200;
		body_set(rq, json, len, cr->cr_object && !csv);
		crud_success_headers(rq, cr);
		crud_free(rq);
		req_respond(rq);
		return;
	}
	if (r->rt_op == OP_GET) {
		if (nrows == 0) {
			crud_error(rq, 404, "PN400", "no such row", NULL);
			return;
		}
		rq->rq_status = 200;
		body_set(rq, json, len, !csv);
		crud_success_headers(rq, cr);
		crud_free(rq);
		req_respond(rq);
		return;
	}
	/* Writes. */
	if (cr->cr_item && nrows == 0) {
		crud_error(rq, 404, "PN400", "no such row", NULL);
		return;
	}
	if (cr->cr_object && nrows != 1) {
		/* The write refused the answer shape inside its statement
		 * (postern.expect_one(), see crud_run), so this only guards
		 * item forms. */
		snprintf(
		    tmp, sizeof(tmp), "The result contains %ld rows", nrows);
		crud_error(rq, 406, "PGRST116", SINGULAR_MSG, tmp);
		return;
	}
	/* PostgREST's Content-Range of a write: no range and the total on
	 * an insert, the affected range on an update or delete. */
	if (r->rt_op == OP_CREATE)
		content_range(rq, 0, 0, total);
	else
		content_range(rq, 0, nrows, total);
	if (r->rt_op == OP_CREATE) {
		rq->rq_status = 201;
		if (!cr->cr_bulk && nrows == 1 && !csv)
			crud_location(cr, json, len);
		if (!cr->cr_bulk && nrows == 1 && cr->cr_pk[0] != '\0') {
			snprintf(
			    tmp, sizeof(tmp), "%s/%s", r->rt_path, cr->cr_pk);
			req_add_header(rq, "Location", tmp);
		}
	} else
		rq->rq_status = 200;
	if (r->rt_op == OP_REPLACE) {
		put_answer(rq, cr, res[cr->cr_imain], json, len);
		crud_success_headers(rq, cr);
		crud_free(rq);
		req_respond(rq);
		return;
	}
	switch (cr->cr_pf.pf_return) {
	case PF_RETURN_MINIMAL:
		rq->rq_status = r->rt_op == OP_CREATE ? 201 : 204;
		buf_reset(&rq->rq_rbody);
		break;
	case PF_RETURN_REPR:
		body_set(rq, json, len, cr->cr_object && !csv);
		break;
	case PF_RETURN_NONE:
		if (r->rt_op == OP_DELETE ||
		    (!cr->cr_item && r->rt_op == OP_UPDATE)) {
			rq->rq_status = 204;
			buf_reset(&rq->rq_rbody);
		} else
			body_set(rq, json, len,
			    !csv && (!cr->cr_bulk || cr->cr_object));
		break;
	}
	crud_success_headers(rq, cr);
	crud_free(rq);
	req_respond(rq);
}

/*
 * Prefer and Accept.  Without either header (a plain list) this reads
 * the header list once and parses nothing.
 */
static int
crud_headers(struct req *rq, struct crud *cr, struct q_error *err)
{
	const char *vals[PREFER_HEADERS_MAX], *a = NULL;
	size_t i, n = 0;

	cr->cr_pf.pf_max_affected = -1;
	for (i = 0; i < rq->rq_head.hh_nhdrs; i++) {
		if (strcasecmp(rq->rq_head.hh_hdrs[i].hd_name, "Prefer") == 0) {
			if (n == PREFER_HEADERS_MAX) {
				err->qe_status = 400;
				x_strlcpy(err->qe_code, "PGRST122",
				    sizeof(err->qe_code));
				x_strlcpy(err->qe_message,
				    "too many Prefer headers",
				    sizeof(err->qe_message));
				return -1;
			}
			vals[n++] = rq->rq_head.hh_hdrs[i].hd_value;
		} else if (strcasecmp(
		               rq->rq_head.hh_hdrs[i].hd_name, "Accept") == 0)
			a = rq->rq_head.hh_hdrs[i].hd_value;
	}
	if (n > 0 && prefer_parse(vals, n, &cr->cr_pf, err) == -1)
		return -1;
	if (a != NULL &&
	    accept_parse(a, &cr->cr_media, &cr->cr_strip, err) == -1)
		return -1;
	cr->cr_object = cr->cr_media == MEDIA_OBJECT;
	return 0;
}

/* A preference the request's operation cannot honour: refused. */
static int
pref_refuse(struct req *rq, const char *pref, const char *why)
{
	char details[256];

	snprintf(details, sizeof(details), "Invalid preferences: %s (%s)", pref,
	    why);
	crud_error(rq, 400, "PGRST122",
	    "Invalid preferences given with handling=strict", details);
	return -1;
}

/* Which preferences fit the operation (PostgREST's meaning of each). */
static int
prefer_fits(struct req *rq, const struct prefer *pf, enum op_id op)
{
	int write = op_has(op, OPF_WRITE);

	if (pf->pf_resolution != PF_RES_NONE && op != OP_CREATE)
		return pref_refuse(
		    rq, "resolution", "upsert is a create (POST)");
	if (pf->pf_missing != PF_MISSING_NONE && op != OP_CREATE)
		return pref_refuse(rq, "missing", "only a create takes it");
	if (pf->pf_max_affected >= 0 && !write)
		return pref_refuse(rq, "max-affected", "only writes take it");
	if (pf->pf_return != PF_RETURN_NONE && !write)
		return pref_refuse(rq, "return", "only writes take it");
	if ((pf->pf_count == PF_COUNT_PLANNED ||
	        pf->pf_count == PF_COUNT_ESTIMATED) &&
	    op != OP_LIST)
		return pref_refuse(rq,
		    pf->pf_count == PF_COUNT_PLANNED ? "count=planned"
		                                     : "count=estimated",
		    "only a list is counted from the planner");
	if (pf->pf_count != PF_COUNT_NONE && op == OP_GET)
		return pref_refuse(rq, "count", "a single row is not counted");
	return 0;
}

/* {"sub":..,"sid":..,"tbl":..} for request.jwt.claims. */
static int
claims_json(struct req *rq, struct buf *b)
{
	if (rq->rq_sub[0] == '\0')
		return buf_addstr(b, "{}");
	return buf_addstr(b, "{\"sub\":") == -1 ||
	               buf_add_json_str(b, rq->rq_sub, strlen(rq->rq_sub)) ==
	                   -1 ||
	               buf_addstr(b, ",\"sid\":") == -1 ||
	               buf_add_json_str(b, rq->rq_sid, strlen(rq->rq_sid)) ==
	                   -1 ||
	               buf_addstr(b, ",\"tbl\":") == -1 ||
	               buf_add_json_str(b, rq->rq_tbl, strlen(rq->rq_tbl)) ==
	                   -1 ||
	               buf_addc(b, '}') == -1
	           ? -1
	           : 0;
}

/*
 * The owner rule on writes: a body may name the owner column only with the
 * caller's own id (anything else is 403, never silently changed); on create
 * the column is set from the token.
 */
static int
owner_apply(struct req *rq, struct json_object *body,
    const struct column *owner, int set)
{
	struct json_object *o, *v, *nv;
	const char *t;
	char *end;
	long long id;
	size_t i, n;
	int isint = owner->co_kind == CK_INT2 || owner->co_kind == CK_INT4 ||
	            owner->co_kind == CK_INT8;

	n = json_object_is_type(body, json_type_array)
	        ? json_object_array_length(body)
	        : 1;
	for (i = 0; i < n; i++) {
		o = json_object_is_type(body, json_type_array)
		        ? json_object_array_get_idx(body, i)
		        : body;
		if (!json_object_is_type(o, json_type_object))
			continue; /* rows_check() refuses it */
		if (json_object_object_get_ex(o, owner->co_name, &v)) {
			t = json_scalar_text(v);
			if (t == NULL || strcmp(t, rq->rq_sub) != 0)
				return -1;
		}
		if (!set)
			continue;
		/* The value takes the column's JSON type, so that the typed
		 * input check accepts it. */
		if (isint) {
			id = strtoll(rq->rq_sub, &end, 10);
			if (*end != '\0' || end == rq->rq_sub)
				return -1;
			nv = json_object_new_int64(id);
		} else
			nv = json_object_new_string(rq->rq_sub);
		if (nv == NULL ||
		    json_object_object_add(o, owner->co_name, nv) != 0) {
			json_object_put(nv);
			return -1;
		}
	}
	return 0;
}

static void
stmt_set(struct dbstmt *d, const char *sql, const struct sqlq *q)
{
	d->ds_sql = q != NULL ? q->sq_sql.b_data : sql;
	d->ds_nparams = q != NULL ? q->sq_nvals : 0;
	d->ds_vals = q != NULL ? (const char *const *)q->sq_vals : NULL;
}

static enum sq_format
crud_format(const struct crud *cr)
{
	if (cr->cr_media == MEDIA_CSV)
		return SQF_CSV;
	return cr->cr_strip ? SQF_JSON_STRIPPED : SQF_JSON;
}

/*
 * Takes on_conflict out of the query parameters (the filter grammar does
 * not know it) into *val; -1 when it is given twice.
 */
static int
take_on_conflict(struct http_param *params, size_t *n, char **val)
{
	size_t i, j;

	for (i = 0; i < *n; i++) {
		if (strcmp(params[i].hp_name, "on_conflict") != 0)
			continue;
		if (*val != NULL)
			return -1;
		*val = params[i].hp_value;
		params[i].hp_value = NULL;
		free(params[i].hp_name);
		for (j = i + 1; j < *n; j++)
			params[j - 1] = params[j];
		(*n)--;
		i--;
	}
	return 0;
}

/*
 * The columns of an upsert's conflict: on_conflict's (each a column, none
 * twice), or the primary key.  PostgreSQL checks that they are a unique
 * key (42P10 otherwise).  -1 once answered.
 */
static int
conflict_target(struct req *rq, const struct table *t, const char *spec,
    const struct column ***out, size_t *n)
{
	const struct column *c;
	const char *s, *e;
	char name[CATALOG_NAME_MAX], msg[256];
	size_t i, k;

	if ((*out = calloc(t->tb_ncols + 1, sizeof(**out))) == NULL) {
		crud_error(rq, 503, "PN900", "out of memory", NULL);
		return -1;
	}
	*n = 0;
	if (spec == NULL) {
		for (i = 0; i < t->tb_ncols; i++)
			if (t->tb_cols[i].co_pk)
				(*out)[(*n)++] = &t->tb_cols[i];
		if (*n == 0) {
			crud_error(rq, 400, "PGRST100",
			    "an upsert on a table without a primary key needs "
			    "on_conflict",
			    NULL);
			return -1;
		}
		return 0;
	}
	for (s = spec;; s = e + 1) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		k = (size_t)(e - s);
		if (k == 0 || k >= sizeof(name) || *n >= t->tb_ncols) {
			crud_error(rq, 400, "PGRST100",
			    "on_conflict must be a comma-separated list of "
			    "columns",
			    NULL);
			return -1;
		}
		memcpy(name, s, k);
		name[k] = '\0';
		if ((c = table_column(t, name)) == NULL) {
			snprintf(msg, sizeof(msg),
			    "Could not find the '%.64s' column of '%.64s' in "
			    "the "
			    "schema cache",
			    name, t->tb_name);
			crud_error(
			    rq, 400, "PGRST204", msg, "on_conflict names it");
			return -1;
		}
		for (i = 0; i < *n; i++)
			if ((*out)[i] == c) {
				crud_error(rq, 400, "PGRST100",
				    "on_conflict names a column twice", name);
				return -1;
			}
		(*out)[(*n)++] = c;
		if (*e == '\0')
			break;
	}
	return 0;
}

/* PostgREST's answer to a PUT whose filters are not its key's. */
#define PUT_FILTERS_MSG                                                        \
	"Filters must include all and only primary key columns with 'eq' "     \
	"operators"

/*
 * What a PUT may carry in its query string besides its filters: select=.
 * limit and offset are PostgREST's PGRST114, on_conflict (the conflict
 * target is the key) is refused.  -1 once answered.
 */
static int
put_params(struct req *rq, const struct http_param *params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(params[i].hp_name, "limit") == 0 ||
		    strcmp(params[i].hp_name, "offset") == 0) {
			crud_error(rq, 400, "PGRST114",
			    "limit/offset querystring parameters are not "
			    "allowed for PUT",
			    NULL);
			return -1;
		}
		if (strcmp(params[i].hp_name, "on_conflict") == 0) {
			crud_error(rq, 400, "PGRST100",
			    "on_conflict is not taken by PUT: its conflict "
			    "target is the primary key",
			    NULL);
			return -1;
		}
	}
	return 0;
}

/*
 * A PUT's filters: eq on each primary-key column, once, and nothing else
 * (no not., no any/all, no or/and, no other column); on /t/{id} none (the
 * path names the key, of one column).  Otherwise 405 PGRST105, as
 * PostgREST answers.  On success *keys (caller frees) holds the key
 * columns in table order and *vals their values, borrowed from q.  -1 once
 * answered.
 */
static int
put_key(struct req *rq, const struct table *t, const struct query *q, int item,
    const struct column ***keys, const char ***vals, size_t *nkeys)
{
	const struct q_filter *f;
	size_t i, j, npk = 0;

	*keys = NULL;
	*vals = NULL;
	*nkeys = 0;
	for (i = 0; i < t->tb_ncols; i++)
		npk += t->tb_cols[i].co_pk != 0;
	if (npk == 0 || (item && npk != 1) || q->q_nfilters != npk) {
		crud_error(rq, 405, "PGRST105", PUT_FILTERS_MSG, NULL);
		return -1;
	}
	for (i = 0; i < q->q_nfilters; i++) {
		f = &q->q_filters[i];
		if (f->qf_col == NULL || !f->qf_col->co_pk ||
		    f->qf_op != QO_EQ || f->qf_not || f->qf_quant != QQ_NONE ||
		    f->qf_value == NULL) {
			crud_error(rq, 405, "PGRST105", PUT_FILTERS_MSG, NULL);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (q->q_filters[j].qf_col == f->qf_col) {
				crud_error(
				    rq, 405, "PGRST105", PUT_FILTERS_MSG, NULL);
				return -1;
			}
	}
	/* Each key column has exactly one filter now. */
	if ((*keys = calloc(npk, sizeof(**keys))) == NULL ||
	    (*vals = calloc(npk, sizeof(**vals))) == NULL) {
		free(*keys);
		*keys = NULL;
		crud_error(rq, 503, "PN900", "out of memory", NULL);
		return -1;
	}
	for (i = 0; i < t->tb_ncols; i++) {
		if (!t->tb_cols[i].co_pk)
			continue;
		for (j = 0; j < q->q_nfilters; j++)
			if (q->q_filters[j].qf_col == &t->tb_cols[i])
				break;
		(*keys)[*nkeys] = &t->tb_cols[i];
		(*vals)[(*nkeys)++] = q->q_filters[j].qf_value;
	}
	return 0;
}

/*
 * PUT replaces the whole row (PostgREST: "all the columns must be
 * specified"): the body must give every column but the generated ones.
 * Left to PostgreSQL a missing column would keep its old value on a
 * replace and take its default on a create, which is not a replace.  An
 * owner column the owner rule set counts as given.  -1 once answered.
 */
static int
put_all_columns(struct req *rq, const struct table *t,
    const struct column *const *cols, size_t ncols)
{
	char missing[256];
	size_t i, j, len = 0;

	missing[0] = '\0';
	for (i = 0; i < t->tb_ncols; i++) {
		if (t->tb_cols[i].co_generated)
			continue;
		for (j = 0; j < ncols; j++)
			if (cols[j] == &t->tb_cols[i])
				break;
		if (j < ncols || len + 1 >= sizeof(missing))
			continue;
		len += (size_t)snprintf(missing + len, sizeof(missing) - len,
		    "%s%s", len > 0 ? ", " : "", t->tb_cols[i].co_name);
	}
	if (missing[0] == '\0')
		return 0;
	crud_error(rq, 400, "PN101",
	    "PUT replaces the whole row: the body must give every column",
	    missing);
	return -1;
}

void
crud_run(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	const struct route *r = rq->rq_route;
	const struct table *t;
	const struct column *pk, *own = NULL, **cols = NULL;
	struct http_param *params = NULL;
	struct json_object *body = NULL;
	struct crud *cr;
	struct query q;
	struct q_error err;
	struct embed_ctx ectx;
	struct sqlq main_q, count_q, plan_q;
	struct sql_write sw;
	struct buf claims;
	struct dbstmt st[6];
	struct dbq *dq;
	const char *why, *cvals[2], *text;
	const struct column **conflict = NULL, **keys = NULL;
	const char **keyvals = NULL;
	char *on_conflict = NULL;
	size_t nparams = 0, ncols = 0, nconflict = 0, nkeys = 0;
	int nst = 0, write, rv;
	char msg[256];

	memset(&q, 0, sizeof(q));
	memset(&err, 0, sizeof(err));
	memset(&ectx, 0, sizeof(ectx));
	sqlq_init(&main_q);
	sqlq_init(&count_q);
	sqlq_init(&plan_q);
	memset(&sw, 0, sizeof(sw));
	buf_init(&claims);
	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		req_error(rq, 503, "PN900", "out of memory");
		return;
	}
	rq->rq_crud = cr;
	cr->cr_rq = rq;
	cr->cr_item = strchr(r->rt_path, '{') != NULL;
	cr->cr_imain = cr->cr_icount = cr->cr_iplan = -1;
	cr->cr_max_rows = gw->gw_cf.cf_list_max_limit;
	write = op_has(r->rt_op, OPF_WRITE);
	if (crud_headers(rq, cr, &err) == -1) {
		crud_qerror(rq, &err);
		goto done;
	}
	if (prefer_fits(rq, &cr->cr_pf, r->rt_op) == -1)
		goto done;

	t = rq->rq_routes->rs_catalog != NULL
	        ? catalog_table(rq->rq_routes->rs_catalog, r->rt_table)
	        : NULL;
	if (t == NULL) {
		crud_error(rq, 404, "PN400", "no such table", NULL);
		goto done;
	}
	cr->cr_table = t;
	if (r->rt_owner[0] != '\0') {
		if ((own = table_column(t, r->rt_owner)) == NULL) {
			log_warnx("endpoint %ld: owner column %s missing",
			    r->rt_id, r->rt_owner);
			crud_error(rq, 500, "PN900",
			    "the endpoint is misconfigured", NULL);
			goto done;
		}
		if (rq->rq_sub[0] == '\0') {
			req_add_header(rq, "WWW-Authenticate", "Bearer");
			crud_error(rq, 401, "PN200",
			    "a bearer token is required", NULL);
			goto done;
		}
	}

	if (rq->rq_head.hh_query != NULL &&
	    http_query_parse(rq->rq_head.hh_query, QUERY_MAX_FILTERS + 8,
	        &params, &nparams, &why) == -1) {
		crud_error(rq, 400, "PGRST100",
		    "failed to parse the query string", why);
		goto done;
	}
	if (r->rt_op == OP_REPLACE && put_params(rq, params, nparams) == -1)
		goto done;
	if (r->rt_op == OP_CREATE &&
	    take_on_conflict(params, &nparams, &on_conflict) == -1) {
		crud_error(rq, 400, "PGRST100",
		    "on_conflict is given more than once", NULL);
		goto done;
	}
	/* What this caller may embed: the live routes decide, with the
	 * claims handle_data() verified (none on a public endpoint). */
	ectx.ec_catalog = rq->rq_routes->rs_catalog;
	ectx.ec_routes = rq->rq_routes;
	ectx.ec_verified = rq->rq_verified;
	ectx.ec_sub = rq->rq_verified ? rq->rq_sub : "";
	ectx.ec_group = rq->rq_verified ? rq->rq_tbl : "";
	if (query_parse_embed(&ectx, t, params, nparams,
	        gw->gw_cf.cf_list_default_limit, gw->gw_cf.cf_list_max_limit,
	        write ? QM_WRITE : QM_READ, &q, &err) == -1) {
		crud_qerror(rq, &err);
		goto done;
	}
	if (cr->cr_pf.pf_resolution != PF_RES_NONE &&
	    conflict_target(rq, t, on_conflict, &conflict, &nconflict) == -1)
		goto done;
	if (cr->cr_pf.pf_resolution == PF_RES_NONE && on_conflict != NULL) {
		crud_error(rq, 400, "PGRST100",
		    "on_conflict needs Prefer: resolution=merge-duplicates or "
		    "resolution=ignore-duplicates",
		    NULL);
		goto done;
	}
	cr->cr_offset = q.q_offset;
	/* A PUT's path names the key (of one column): no filter may too. */
	if (r->rt_op == OP_REPLACE && cr->cr_item &&
	    (q.q_nfilters > 0 || table_pk(t) == NULL)) {
		crud_error(rq, 405, "PGRST105", PUT_FILTERS_MSG, NULL);
		goto done;
	}
	if (cr->cr_item) {
		if ((pk = table_pk(t)) == NULL &&
		    (pk = table_column(t, "id")) == NULL) {
			crud_error(rq, 404, "PN400",
			    "this table has no single-column key", NULL);
			goto done;
		}
		if (query_add_eq(&q, pk, rq->rq_idseg) == -1) {
			/* An id that cannot be a key names no row. */
			crud_error(rq, 404, "PN400", "no such row", NULL);
			goto done;
		}
	} else if ((r->rt_op == OP_UPDATE || r->rt_op == OP_DELETE) &&
	           q.q_nfilters == 0) {
		crud_error(rq, 400, "PN105",
		    "PATCH and DELETE on a collection need at least one filter",
		    NULL);
		goto done;
	}
	if (r->rt_op == OP_REPLACE &&
	    put_key(rq, t, &q, cr->cr_item, &keys, &keyvals, &nkeys) == -1)
		goto done;
	/* A PUT's owner check is its upsert's (sql_upsert's sw_owner). */
	if (own != NULL && r->rt_op != OP_CREATE && r->rt_op != OP_REPLACE &&
	    query_add_eq(&q, own, rq->rq_sub) == -1) {
		/* A sub that cannot be an owner value owns nothing. */
		crud_error(rq, 404, "PN400", "no such row", NULL);
		goto done;
	}

	if (op_has(r->rt_op, OPF_BODY)) {
		if (!req_type_is_json(rq)) {
			crud_error(rq, 415, "PN601",
			    "Content-Type must be application/json", NULL);
			goto done;
		}
		if ((body = json_parse_strict(
		         rq->rq_body.b_data ? rq->rq_body.b_data : "",
		         rq->rq_body.b_len, &why)) == NULL) {
			snprintf(
			    msg, sizeof(msg), "malformed JSON body: %s", why);
			crud_error(
			    rq, 400, "PGRST102", "Empty or invalid json", msg);
			goto done;
		}
		if (own != NULL &&
		    (json_object_is_type(body, json_type_object) ||
		        json_object_is_type(body, json_type_array)) &&
		    owner_apply(rq, body, own,
		        r->rt_op == OP_CREATE || r->rt_op == OP_REPLACE) ==
		        -1) {
			crud_error(rq, 403, "PN300",
			    "the owner column can only be the caller's own id",
			    NULL);
			goto done;
		}
		if (rows_check_ex(t, body, r->rt_op == OP_CREATE, &cols, &ncols,
		        &err, own != NULL) == -1) {
			crud_qerror(rq, &err);
			goto done;
		}
		if (r->rt_op == OP_REPLACE &&
		    put_all_columns(rq, t, cols, ncols) == -1)
			goto done;
		cr->cr_bulk = json_object_is_type(body, json_type_array);
		if (q.q_has_columns) {
			/* columns= decides what is inserted; keys it does not
			 * name are ignored, as PostgREST does.  The owner
			 * column stays when the rule set it. */
			if (r->rt_op != OP_CREATE) {
				crud_error(rq, 400, "PN105",
				    "columns is only supported on create",
				    NULL);
				goto done;
			}
			free(cols);
			ncols = 0;
			if ((cols = calloc(q.q_ncolumns + 1, sizeof(*cols))) ==
			    NULL) {
				crud_error(
				    rq, 503, "PN900", "out of memory", NULL);
				goto done;
			}
			for (size_t k = 0; k < q.q_ncolumns; k++)
				if (q.q_columns[k] != own)
					cols[ncols++] = q.q_columns[k];
			if (own != NULL)
				cols[ncols++] = own;
		}
		/* The client's own text is bound unless the owner rule changed
		 * the body: json-c would clamp integers beyond 64 bits. */
		text = own != NULL ? json_object_to_json_string_ext(
		                         body, JSON_C_TO_STRING_PLAIN)
		                   : rq->rq_body.b_data;
		main_q.sq_expect_one = cr->cr_object;
		main_q.sq_max_affected = cr->cr_pf.pf_max_affected;
		main_q.sq_format = crud_format(cr);
		if (r->rt_op == OP_CREATE) {
			sw.sw_missing_default =
			    cr->cr_pf.pf_missing == PF_MISSING_DEFAULT;
			sw.sw_resolution =
			    cr->cr_pf.pf_resolution == PF_RES_MERGE ? SW_MERGE
			    : cr->cr_pf.pf_resolution == PF_RES_IGNORE
			        ? SW_IGNORE
			        : SW_INSERT;
			sw.sw_conflict = conflict;
			sw.sw_nconflict = nconflict;
			sw.sw_owner = own;
			sw.sw_rows = cr->cr_bulk
			                 ? (long)json_object_array_length(body)
			                 : 1;
			if (sw.sw_resolution != SW_INSERT && ncols == 0) {
				crud_error(rq, 400, "PGRST100",
				    "an upsert needs at least one column",
				    NULL);
				goto done;
			}
			rv = sql_upsert(t, cols, ncols, text, &sw, &q, &main_q);
		} else if (r->rt_op == OP_REPLACE) {
			/* INSERT .. ON CONFLICT (key) DO UPDATE, the owner
			 * rule's check as a merge-duplicates upsert's. */
			sw.sw_resolution = SW_MERGE;
			sw.sw_conflict = keys;
			sw.sw_nconflict = nkeys;
			sw.sw_owner = own;
			sw.sw_rows = 1;
			sw.sw_key_vals = keyvals;
			rv = sql_upsert(t, cols, ncols, text, &sw, &q, &main_q);
		} else
			rv = sql_update(t, cols, ncols, text, &q, &main_q);
	} else if (r->rt_op == OP_DELETE) {
		main_q.sq_expect_one = cr->cr_object;
		main_q.sq_max_affected = cr->cr_pf.pf_max_affected;
		main_q.sq_format = crud_format(cr);
		rv = sql_delete(t, &q, &main_q);
	} else {
		if (cr->cr_object && q.q_limit > 2)
			q.q_limit = 2;
		main_q.sq_format = crud_format(cr);
		rv = sql_list(t, &q, &main_q);
		if (rv == 0 && r->rt_op == OP_LIST) {
			switch (cr->cr_pf.pf_count) {
			case PF_COUNT_EXACT:
				rv = sql_count(t, &q, &count_q);
				break;
			case PF_COUNT_ESTIMATED:
				rv = sql_count_upto(t, &q, cr->cr_max_rows + 1,
				         &count_q) == -1
				         ? -1
				         : sql_count_plan(t, &q, &plan_q);
				break;
			case PF_COUNT_PLANNED:
				rv = sql_count_plan(t, &q, &plan_q);
				break;
			default:
				break;
			}
		}
	}
	if (rv == -1 || claims_json(rq, &claims) == -1) {
		crud_error(rq, 500, "PN900", "internal error", NULL);
		goto done;
	}
	cvals[0] = claims.b_data;
	cvals[1] = rq->rq_sub;
	if (cr->cr_pf.pf_tx == PF_TX_ROLLBACK)
		stmt_set(&st[nst++], begin_sql, NULL);
	st[nst].ds_sql = set_claims_sql;
	st[nst].ds_nparams = 2;
	st[nst++].ds_vals = cvals;
	cr->cr_imain = nst;
	stmt_set(&st[nst++], NULL, &main_q);
	if (count_q.sq_sql.b_len > 0) {
		cr->cr_icount = nst;
		stmt_set(&st[nst++], NULL, &count_q);
	}
	if (plan_q.sq_sql.b_len > 0) {
		cr->cr_iplan = nst;
		stmt_set(&st[nst++], NULL, &plan_q);
	}
	if (cr->cr_pf.pf_tx == PF_TX_ROLLBACK)
		stmt_set(&st[nst++], rollback_sql, NULL);
	if ((dq = db_exec(gw->gw_db, st, nst, crud_answer, rq)) == NULL)
		crud_error(
		    rq, 503, "PN801", "the database is unavailable", NULL);
	else
		req_wait(rq, RS_DB, handle_cancel_db, dq, 0);
done:
	free(cols);
	free(conflict);
	free(keys);
	free(keyvals);
	free(on_conflict);
	json_object_put(body);
	query_free(&q);
	sqlq_free(&main_q);
	sqlq_free(&count_q);
	sqlq_free(&plan_q);
	buf_free(&claims);
	http_params_free(params, nparams);
}

void
crud_abort(struct req *rq)
{
	crud_free(rq);
}
