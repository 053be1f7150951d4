/*
 * gateway/builtin.c: the built-in route table's invariants and its
 * lookup.  The handlers are stubs; only their identity matters here.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/builtin.h"
#include "gateway/gateway.h"

void
handle_healthz(struct req *rq)
{
	(void)rq;
}

void
handle_readyz(struct req *rq)
{
	(void)rq;
}

void
handle_openapi(struct req *rq)
{
	(void)rq;
}

void
metrics_handle(struct req *rq)
{
	(void)rq;
}

void
admin_handle(struct req *rq)
{
	(void)rq;
}

void
console_handle(struct req *rq)
{
	(void)rq;
}

Test(builtin, rows_are_whole)
{
	const struct builtin *t;
	size_t n, i, j;

	t = builtin_rows(&n);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		cr_assert_not_null(t[i].bi_handle, "%s", t[i].bi_path);
		cr_assert_not_null(t[i].bi_label, "%s", t[i].bi_path);
		cr_assert_eq(t[i].bi_path[0], '/');
		/* A path ending in "/" would make its prefix "//". */
		cr_assert_neq(t[i].bi_path[strlen(t[i].bi_path) - 1], '/');
		/* CORS preflights list the methods, so an API row has them. */
		if (t[i].bi_cors == BC_API)
			cr_assert_neq(t[i].bi_methods, 0, "%s", t[i].bi_path);
		/* The admin key goes with the builder's CORS rule. */
		if (t[i].bi_admin_key)
			cr_assert_eq(t[i].bi_cors, BC_NEVER);
		/* Each row is the one its own path finds. */
		cr_assert_eq(
		    builtin_find(t[i].bi_path), &t[i], "%s", t[i].bi_path);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(t[i].bi_path, t[j].bi_path);
	}
}

Test(builtin, lookup)
{
	const struct builtin *b;

	cr_assert_null(builtin_find(NULL));
	cr_assert_null(builtin_find(""));
	cr_assert_null(builtin_find("/"));
	cr_assert_null(builtin_find("/healthz/"));
	cr_assert_null(builtin_find("/healthzx"));
	cr_assert_null(builtin_find("/readyz/x"));
	cr_assert_null(builtin_find("/HEALTHZ"));
	cr_assert_null(builtin_find("/_adminx"));
	cr_assert_null(builtin_find("/_consolex/a"));
	cr_assert_null(builtin_find("/table_1"));

	cr_assert_not_null(b = builtin_find("/healthz"));
	cr_assert_eq(b->bi_handle, handle_healthz);
	cr_assert_str_eq(b->bi_label, "/healthz");
	cr_assert_eq(b->bi_methods, HTTP_GET_HEAD);
	cr_assert_not_null(b = builtin_find("/openapi.json"));
	cr_assert(b->bi_needs_routes);
	cr_assert_not_null(b = builtin_find("/metrics"));
	cr_assert_eq(b->bi_handle, metrics_handle);

	cr_assert_not_null(b = builtin_find("/_admin"));
	cr_assert_eq(b->bi_handle, admin_handle);
	cr_assert(b->bi_admin_key);
	cr_assert_eq(b->bi_cors, BC_NEVER);
	cr_assert_eq(builtin_find("/_admin/"), b);
	cr_assert_eq(builtin_find("/_admin/endpoints/3"), b);
	cr_assert_str_eq(b->bi_label, "/_admin");

	cr_assert_not_null(b = builtin_find("/_console/app.js"));
	cr_assert_eq(b->bi_handle, console_handle);
	cr_assert_eq(b->bi_cors, BC_NEVER);
	cr_assert_not(b->bi_admin_key);
	cr_assert_str_eq(b->bi_label, "/_console");
}
