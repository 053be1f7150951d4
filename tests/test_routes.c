#include <string.h>

#include <criterion/criterion.h>

#include "gateway/routes.h"

static struct routes *
demo(void)
{
	struct routes *rs = routes_new();
	const char *why = NULL;

	cr_assert_not_null(rs);
	cr_assert_eq(routes_add_row(rs, 1, "auth", NULL, "/auth", "users", NULL,
	                 "none", "", "signup,login,futureop", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 2, "data", "GET", "/table_1", "table_1",
	                 "list", "bearer", "", "", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 3, "data", "GET", "/table_1/{id}",
	                 "table_1", "get", "bearer:users", "", "", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 4, "data", "DELETE", "/table_1/{id}",
	                 "table_1", "delete", "bearer", "", "", &why),
	    0);
	return rs;
}

Test(routes, match_and_methods)
{
	struct routes *rs = demo();
	const struct route *r = NULL;
	char allow[64], id[32];

	cr_assert_eq(
	    rs->rs_n, 6); /* futureop skipped; DELETE /table_1 implied */
	cr_assert_eq(routes_match(rs, "POST", "/auth/signup", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	cr_assert_eq(r->rt_op, OP_SIGNUP);
	cr_assert_eq(r->rt_kind, RT_AUTH);
	cr_assert_eq(routes_match(rs, "GET", "/auth/login", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    405);
	cr_assert_str_eq(allow, "POST");
	cr_assert_eq(routes_match(rs, "GET", "/table_1", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	cr_assert_eq(routes_match(rs, "HEAD", "/table_1", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	cr_assert_eq(routes_match(rs, "GET", "/table_1/42", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	cr_assert_str_eq(id, "42");
	cr_assert_str_eq(r->rt_auth, "bearer:users");
	cr_assert_eq(routes_match(rs, "PATCH", "/table_1/42", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    405);
	cr_assert_str_eq(allow, "GET, DELETE");
	routes_unref(rs);
}

Test(routes, no_match)
{
	struct routes *rs = demo();
	const struct route *r = NULL;
	char allow[64], id[8];
	const char *paths[] = {"/", "/table_", "/table_1/", "/table_1//",
	    "/table_1/1/2", "/auth", "/auth/signup/x", "/TABLE_1",
	    "/table_1/123456789012"};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		cr_assert_eq(routes_match(rs, "GET", paths[i], &r, allow,
		                 sizeof(allow), id, sizeof(id)),
		    404, "%s", paths[i]);
	cr_assert_eq(routes_match(NULL, "GET", "/x", &r, allow, sizeof(allow),
	                 id, sizeof(id)),
	    404);
	routes_unref(rs);
}

Test(routes, invalid_rows)
{
	struct routes *rs = routes_new();
	const char *why = NULL;

	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "/x", "t;drop",
	                 "list", "bearer", "", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "/x\"", "t", "list",
	                 "bearer", "", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "x", "t", "list",
	                 "bearer", "", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "/x", "t", "list",
	                 "basic", "", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "/x", "t", "list",
	                 "bearer", "own er", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "other", "GET", "/x", "t", "list",
	                 "bearer", "", "", &why),
	    -1);
	cr_assert_eq(routes_add_row(rs, 1, "data", NULL, "/x", "t", NULL,
	                 "bearer", "", "", &why),
	    -1);
	cr_assert_eq(rs->rs_n, 0);
	routes_unref(rs);
}

Test(routes, ident)
{
	cr_assert(routes_ident_ok("table_1"));
	cr_assert(routes_ident_ok("_x"));
	cr_assert(!routes_ident_ok("1abc"));
	cr_assert(!routes_ident_ok(""));
	cr_assert(!routes_ident_ok("a-b"));
	cr_assert(!routes_ident_ok("a\"b"));
	cr_assert(!routes_ident_ok("a234567890123456789012345678901234567890123"
	                           "456789012345678901234"));
}

Test(routes, refcount)
{
	struct routes *rs = demo();

	cr_assert_eq(routes_ref(rs), rs);
	routes_unref(rs);
	cr_assert_eq(rs->rs_refs, 1);
	routes_unref(rs);
	routes_unref(NULL);
}

/* A table that backs an auth group is never served as data, whichever row
 * came first (once, a bearer could write the auth table through one). */
Test(routes, auth_table_not_served_as_data)
{
	struct routes *rs = demo();
	const struct route *r = NULL;
	const char *why = NULL;
	char allow[64], id[32];

	cr_assert_eq(routes_add_row(rs, 5, "data", "POST", "/users", "users",
	                 "create", "bearer", "", "", &why),
	    -1);
	cr_assert_str_eq(why, "its table backs an auth group");
	cr_assert_eq(routes_match(rs, "POST", "/users", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    404);
	/* A data row older than the group: dropped when the group comes. */
	cr_assert_eq(routes_add_row(rs, 6, "data", "GET", "/admins", "admins",
	                 "list", "none", "", "", &why),
	    0);
	cr_assert_eq(routes_match(rs, "GET", "/admins", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	cr_assert_eq(routes_add_row(rs, 7, "auth", NULL, "/adm", "admins", NULL,
	                 "none", "", "signup", &why),
	    0);
	cr_assert_eq(routes_match(rs, "GET", "/admins", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    404);
	cr_assert_eq(routes_match(rs, "POST", "/adm/signup", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	/* Other tables' routes stay. */
	cr_assert_eq(routes_match(rs, "GET", "/table_1", &r, allow,
	                 sizeof(allow), id, sizeof(id)),
	    200);
	routes_unref(rs);
}
