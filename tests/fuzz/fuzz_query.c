/*
 * The list-query grammar: a raw query string through http_query_parse
 * (percent-decoding, splitting) and query_parse against a fixed catalog,
 * then the SQL built from it (sql_list, sql_count, sql_delete).  The
 * first byte picks read or write mode.  Every parsed value must reach
 * the SQL as a bound parameter, so no statement may contain a NUL or
 * exceed PostgreSQL's parameter limit, and the statement binds exactly
 * the filter values the parser counted (plus limit and offset): operators,
 * any/all, fts languages, or/and trees and the JSON path keys of select,
 * filters and order included.  With bit 1 of the first byte set, the rest
 * goes to sel_parse() alone, whose tree must keep the select grammar's
 * bounds (depth, nodes, path steps, name lengths).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/embed.h"
#include "gateway/httpparse.h"
#include "gateway/query.h"
#include "gateway/routes.h"
#include "gateway/select.h"
#include "gateway/sqlbuild.h"
#include "fuzz.h"
#include "fuzz_catalog.h"

static void
build(const struct table *t, const struct query *q, int mode, int embeds)
{
	struct sqlq s;
	int r, want = (int)q->q_nvalues;

	sqlq_init(&s);
	FUZZ_CHECK(q->q_nterms <= QUERY_MAX_TERMS);
	FUZZ_CHECK(q->q_nvalues <= QUERY_MAX_VALUES);
	if (mode == QM_READ) {
		r = sql_list(t, q, &s);
		want += q->q_has_limit + (q->q_offset > 0);
	} else
		r = q->q_nfilters > 0 ? sql_delete(t, q, &s) : -1;
	/* A query the parser accepted always builds. */
	FUZZ_CHECK(r == 0 || (mode == QM_WRITE && q->q_nfilters == 0));
	if (r == 0) {
		/* Embeds bind their own values, limits and owners. */
		FUZZ_CHECK(embeds ? s.sq_nvals >= want : s.sq_nvals == want);
		FUZZ_CHECK(s.sq_sql.b_len > 0);
		FUZZ_CHECK(
		    memchr(s.sq_sql.b_data, '\0', s.sq_sql.b_len) == NULL);
		FUZZ_CHECK(s.sq_nvals <= SQLQ_MAX_PARAMS);
	}
	sqlq_free(&s);
	sqlq_init(&s);
	(void)sql_count(t, q, &s);
	sqlq_free(&s);
}

/* The nodes of nd[0..n) and below, each checked against the bounds. */
static size_t
sel_check(const struct sel_node *nd, size_t n, int depth)
{
	size_t i, j, total = n;

	FUZZ_CHECK(depth <= SEL_DEPTH_MAX);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(nd[i].sn_alias == NULL ||
		           strlen(nd[i].sn_alias) < CATALOG_NAME_MAX);
		switch (nd[i].sn_kind) {
		case SEL_STAR:
			FUZZ_CHECK(
			    nd[i].sn_name == NULL && nd[i].sn_alias == NULL);
			break;
		case SEL_FIELD:
			FUZZ_CHECK(nd[i].sn_name != NULL &&
			           strlen(nd[i].sn_name) < CATALOG_NAME_MAX);
			FUZZ_CHECK(nd[i].sn_npath <= SEL_PATH_MAX);
			for (j = 0; j < nd[i].sn_npath; j++)
				FUZZ_CHECK(strlen(nd[i].sn_path[j].ss_key) <=
				           SEL_KEY_MAX);
			FUZZ_CHECK(nd[i].sn_nkids == 0);
			break;
		case SEL_EMBED:
			FUZZ_CHECK(
			    nd[i].sn_name != NULL && nd[i].sn_npath == 0);
			FUZZ_CHECK(!(nd[i].sn_inner && nd[i].sn_left));
			total +=
			    sel_check(nd[i].sn_kids, nd[i].sn_nkids, depth + 1);
			break;
		}
	}
	return total;
}

static void
select_only(const char *s)
{
	struct sel_node *nodes;
	struct q_error err;
	size_t n;

	if (sel_parse(s, &nodes, &n, &err) == 0) {
		FUZZ_CHECK(sel_check(nodes, n, 1) <= SEL_NODES_MAX);
		sel_free(nodes, n);
	} else {
		FUZZ_CHECK(nodes == NULL && n == 0);
		FUZZ_CHECK(err.qe_status == 400 || err.qe_status == 500);
		FUZZ_CHECK(memchr(err.qe_message, '\0',
		               sizeof(err.qe_message)) != NULL);
	}
}

/* The routes of fz_embed_catalog(): a list endpoint per table but t2. */
static const struct routes *
fz_routes(void)
{
	static const char *const lists[][2] = {{"table_1", ""}, {"sub", ""},
	    {"tag", ""}, {"t1_tag", "owner"}};
	static struct routes *rs;
	const char *why;
	char path[32];
	size_t i;

	if (rs != NULL)
		return rs;
	if ((rs = routes_new()) == NULL)
		__builtin_trap();
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		snprintf(path, sizeof(path), "/%s", lists[i][0]);
		if (routes_add_row(rs, (long)i + 1, "data", "GET", path,
		        lists[i][0], "list", "none", lists[i][1], "", &why) == -1)
			__builtin_trap();
	}
	return rs;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct table *t = fz_table();
	struct http_param *params = NULL;
	struct query q;
	struct q_error err;
	struct embed_ctx ctx;
	const char *why = NULL;
	size_t n = 0;
	char *s;
	int mode, embeds;

	if (size == 0 || size > HTTP_QUERY_MAX + 1)
		return 0;
	mode = (data[0] & 1) ? QM_WRITE : QM_READ;
	memset(&ctx, 0, sizeof(ctx));
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 2) {
		select_only(s);
		free(s);
		return 0;
	}
	embeds = (data[0] & 4) != 0;
	if (embeds) {
		ctx.ec_catalog = fz_embed_catalog();
		ctx.ec_routes = fz_routes();
		ctx.ec_verified = 1;
		ctx.ec_sub = "1";
		ctx.ec_group = "users";
		t = fz_table();
	}
	if (http_query_parse(s, 256, &params, &n, &why) == 0) {
		if (query_parse_embed(embeds ? &ctx : NULL, t, params, n, 100,
		        1000, mode, &q, &err) == 0) {
			if (mode == QM_READ)
				FUZZ_CHECK(q.q_limit >= 0 && q.q_limit <= 1000);
			build(t, &q, mode, embeds);
			query_free(&q);
		} else {
			FUZZ_CHECK(err.qe_status == 400 ||
			           err.qe_status == 500 ||
			           (embeds && err.qe_status == 300));
			FUZZ_CHECK(memchr(err.qe_message, '\0',
			               sizeof(err.qe_message)) != NULL);
		}
		http_params_free(params, n);
	} else
		FUZZ_CHECK(why != NULL);
	free(s);
	return 0;
}
