#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/op.h"
#include "gateway/routes.h"

/*
 * The four lists the table replaced, as they were: the routes an auth
 * group published (gateway/routes.c), the ops that read a body
 * (gateway/handlers.c), the ops authd accepted (authd/dispatch.c) and what
 * each needed (authd/account.c).  The table must say the same.
 */
static const struct old_auth_route {
	const char *group, *op, *method, *suffix;
	int body;
} old_auth[] = {
    {"signup", "signup", "POST", "/signup", 1},
    {"login", "login", "POST", "/login", 1},
    {"refresh", "refresh", "POST", "/refresh", 1},
    {"logout", "logout", "POST", "/logout", 0},
    {"me", "me", "GET", "/me", 0},
    {"sessions", "sessions", "GET", "/sessions", 0},
    {"sessions", "sessions_revoke_others", "DELETE", "/sessions", 0},
    {"sessions", "session_revoke", "DELETE", "/sessions/{id}", 0},
    {"password", "password", "POST", "/password", 1},
};
#define NOLD (sizeof(old_auth) / sizeof(old_auth[0]))

/* The data ops: the five the table replaced, and replace (PUT) since. */
static const struct old_data_op {
	const char *op, *method;
	int body, write;
} old_data[] = {
    {"list", "GET", 0, 0},
    {"get", "GET", 0, 0},
    {"create", "POST", 1, 1},
    {"update", "PATCH", 1, 1},
    {"delete", "DELETE", 0, 1},
    {"replace", "PUT", 1, 1},
};
#define NDATA (sizeof(old_data) / sizeof(old_data[0]))

Test(op, every_row_is_filled)
{
	const struct op_info *oi;
	int i;

	for (i = 0; i < OP__COUNT; i++) {
		cr_assert_not_null(oi = op_info((enum op_id)i), "op %d", i);
		cr_assert_not_null(oi->oi_name, "op %d has no row", i);
		cr_assert_neq(oi->oi_name[0], '\0');
		cr_assert_not_null(oi->oi_method, "%s", oi->oi_name);
		cr_assert_eq((oi->oi_group == NULL), (oi->oi_kind == OPK_DATA),
		    "%s", oi->oi_name);
		cr_assert_eq((oi->oi_suffix == NULL), (oi->oi_kind == OPK_DATA),
		    "%s", oi->oi_name);
	}
	cr_assert_eq(NOLD + NDATA, OP__COUNT);
}

Test(op, names_unique_and_round_trip)
{
	enum op_id got;
	int i, j;

	for (i = 0; i < OP__COUNT; i++) {
		for (j = i + 1; j < OP__COUNT; j++)
			cr_assert_str_neq(
			    op_name((enum op_id)i), op_name((enum op_id)j));
		got = OP__COUNT;
		cr_assert_eq(op_from_name(op_name((enum op_id)i), &got), 0);
		cr_assert_eq(got, i, "%s", op_name((enum op_id)i));
	}
}

Test(op, unknown_names_and_values)
{
	static const char *const bad[] = {"", "LIST", "list ", " list", "lis",
	    "listx", "futureop", "sessions_", "session", "login\n", "?"};
	enum op_id got = OP_LOGIN;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(op_from_name(bad[i], &got), -1, "%s", bad[i]);
		cr_assert_eq(got, OP_LOGIN, "*op untouched on failure");
	}
	cr_assert_null(op_info(OP__COUNT));
	cr_assert_null(op_info((enum op_id) - 1));
	cr_assert_str_eq(op_name(OP__COUNT), "?");
	cr_assert_str_eq(op_name((enum op_id) - 1), "?");
	cr_assert_eq(op_has(OP__COUNT, 0), 0);
	cr_assert_eq(op_has((enum op_id) - 1, 0), 0);
}

Test(op, auth_ops_as_the_old_lists_had_them)
{
	const struct op_info *oi;
	enum op_id op;
	size_t i;

	/* In the old routes.c order: an auth group's routes keep theirs. */
	for (i = 0; i < NOLD; i++) {
		cr_assert_eq(
		    op_from_name(old_auth[i].op, &op), 0, "%s", old_auth[i].op);
		cr_assert_eq(op, OP_AUTH_FIRST + (int)i, "%s", old_auth[i].op);
		oi = op_info(op);
		cr_assert_eq(oi->oi_kind, OPK_AUTH, "%s", oi->oi_name);
		cr_assert_str_eq(oi->oi_group, old_auth[i].group);
		cr_assert_str_eq(oi->oi_method, old_auth[i].method);
		cr_assert_str_eq(oi->oi_suffix, old_auth[i].suffix);
		cr_assert_eq(
		    op_has(op, OPF_BODY), old_auth[i].body, "%s", oi->oi_name);
		cr_assert_eq(op_has(op, OPF_WRITE), 0, "%s", oi->oi_name);
		cr_assert_eq(oi->oi_body_max, 64 * 1024, "%s", oi->oi_name);
	}
	cr_assert_eq(OP_AUTH_LAST - OP_AUTH_FIRST + 1, (int)NOLD);
}

Test(op, data_ops_as_before)
{
	const struct op_info *oi;
	enum op_id op;
	size_t i;

	for (i = 0; i < NDATA; i++) {
		cr_assert_eq(
		    op_from_name(old_data[i].op, &op), 0, "%s", old_data[i].op);
		oi = op_info(op);
		cr_assert_eq(oi->oi_kind, OPK_DATA, "%s", oi->oi_name);
		cr_assert_str_eq(oi->oi_method, old_data[i].method);
		cr_assert_eq(
		    op_has(op, OPF_BODY), old_data[i].body, "%s", oi->oi_name);
		cr_assert_eq(op_has(op, OPF_WRITE), old_data[i].write, "%s",
		    oi->oi_name);
		cr_assert_eq(op_has(op, OPF_BODY | OPF_WRITE),
		    old_data[i].body && old_data[i].write);
		cr_assert_eq(oi->oi_body_max, 0, "%s: body_limit", oi->oi_name);
	}
}

/*
 * The handler arrays are checked at compile time against OP_AUTH_MASK
 * (authd/account.c); here, that the mask is exactly the auth operations.
 */
Test(op, auth_mask_is_the_auth_ops)
{
	unsigned mask = 0;
	int i;

	for (i = 0; i < OP__COUNT; i++)
		if (op_info((enum op_id)i)->oi_kind == OPK_AUTH) {
			cr_assert(i >= OP_AUTH_FIRST && i <= OP_AUTH_LAST,
			    "%s outside the auth range",
			    op_name((enum op_id)i));
			mask |= OP_BIT(i);
		}
	cr_assert_eq(mask, OP_AUTH_MASK);
	cr_assert_eq(OP_AUTH_MASK & OP_BIT(OP_LIST), 0);
	cr_assert_eq(OP_AUTH_MASK & OP_BIT(OP_DELETE), 0);
	cr_assert_neq(OP_AUTH_MASK & OP_BIT(OP_SIGNUP), 0);
	cr_assert_neq(OP_AUTH_MASK & OP_BIT(OP_PASSWORD), 0);
}

/* An auth group with every op publishes the old routes, in order. */
Test(op, group_routes)
{
	struct routes *rs = routes_new();
	const char *why = NULL;
	size_t i;

	cr_assert_not_null(rs);
	cr_assert_eq(
	    routes_add_row(rs, 1, "auth", NULL, "/auth", "users", NULL, "none",
	        "", "signup,login,refresh,logout,me,sessions,password", &why),
	    0);
	cr_assert_eq(rs->rs_n, NOLD);
	for (i = 0; i < NOLD; i++) {
		const struct route *r = &rs->rs_list[i];
		char want[64];

		snprintf(want, sizeof(want), "/auth%s", old_auth[i].suffix);
		cr_assert_str_eq(op_name(r->rt_op), old_auth[i].op);
		cr_assert_str_eq(r->rt_method, old_auth[i].method);
		cr_assert_str_eq(r->rt_path, want);
		cr_assert_eq(r->rt_kind, RT_AUTH);
	}
	routes_unref(rs);

	/* Names that are operations but not group ops publish nothing. */
	cr_assert_not_null(rs = routes_new());
	cr_assert_eq(routes_add_row(rs, 1, "auth", NULL, "/", "users", NULL,
	                 "none", "", "session_revoke,list,me", &why),
	    0);
	cr_assert_eq(rs->rs_n, 1);
	cr_assert_eq(rs->rs_list[0].rt_op, OP_ME);
	cr_assert_str_eq(rs->rs_list[0].rt_path, "/me");
	routes_unref(rs);
}

/* A data endpoint names a data op; an auth op there is refused. */
Test(op, data_route_ops)
{
	struct routes *rs = routes_new();
	const char *why = NULL;
	size_t i;

	cr_assert_not_null(rs);
	for (i = 0; i < NDATA; i++) {
		why = NULL;
		cr_assert_eq(
		    routes_add_row(rs, (long)i, "data", old_data[i].method,
		        "/t", "t", old_data[i].op, "bearer", "", "", &why),
		    0, "%s: %s", old_data[i].op, why ? why : "");
		cr_assert_str_eq(
		    op_name(rs->rs_list[rs->rs_n - 1].rt_op), old_data[i].op);
	}
	for (i = 0; i < NOLD; i++) {
		why = NULL;
		cr_assert_eq(routes_add_row(rs, 99, "data", "POST", "/u", "u",
		                 old_auth[i].op, "bearer", "", "", &why),
		    -1, "%s", old_auth[i].op);
		cr_assert_str_eq(why, "unknown operation or method");
	}
	cr_assert_eq(routes_add_row(rs, 99, "data", "GET", "/u", "u",
	                 "futureop", "bearer", "", "", &why),
	    -1);
	routes_unref(rs);
}

/* ---- the admin API's lists, in the SQL migrations ---- */

static char *
slurp(const char *path)
{
	FILE *f;
	char *s;
	long n;

	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	cr_assert_geq(n = ftell(f), 0);
	rewind(f);
	cr_assert_not_null(s = malloc((size_t)n + 1));
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The text after the last occurrence of marker in the migrations, the
 * newest definition winning (the migrations apply in name order).  Caller
 * frees *owner.
 */
static const char *
newest(const char *marker, char **owner)
{
	char *names[64], path[512], *s;
	const char *hit = NULL, *q, *last;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	*owner = NULL;
	cr_assert_not_null(d = opendir(POSTERN_SOURCE_DIR "/sql"));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0) {
			cr_assert_lt(n, 64);
			cr_assert_not_null(names[n++] = strdup(de->d_name));
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/sql/%s", POSTERN_SOURCE_DIR,
		    names[i]);
		s = slurp(path);
		last = NULL;
		for (q = strstr(s, marker); q != NULL;
		     q = strstr(q + 1, marker))
			last = q;
		if (last != NULL) {
			free(*owner);
			*owner = s;
			hit = last + strlen(marker);
		} else
			free(s);
		free(names[i]);
	}
	cr_assert_not_null(*owner, "no migration has %s", marker);
	return hit;
}

/* The next single-quoted string at or after *p, before stop. */
static int
next_quoted(const char **p, const char *stop, char *out, size_t cap)
{
	const char *a = strchr(*p, '\''), *b;

	if (a == NULL || a >= stop || (b = strchr(a + 1, '\'')) == NULL)
		return -1;
	cr_assert_lt((size_t)(b - a - 1), cap);
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = '\0';
	*p = b + 1;
	return 0;
}

Test(op, admin_sql_lists_match_the_table)
{
	const struct op_info *oi;
	const char *p, *stop;
	char *text, name[64], method[16], suffix[64];
	size_t k;
	int i;

	/* The group ops an auth group's ops list may name, in order. */
	p = newest("auth_ops constant text[] := array[", &text);
	stop = strchr(p, ']');
	for (i = OP_AUTH_FIRST; i <= OP_AUTH_LAST; i++) {
		oi = op_info((enum op_id)i);
		if (i > OP_AUTH_FIRST &&
		    strcmp(oi->oi_group,
		        op_info((enum op_id)(i - 1))->oi_group) == 0)
			continue;
		cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), 0);
		cr_assert_str_eq(name, oi->oi_group);
	}
	cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), -1);
	free(text);

	/* The data ops a data endpoint may name. */
	p = newest("v_op not in (", &text);
	stop = strchr(p, ')');
	for (i = 0; i < OP__COUNT; i++) {
		if (op_info((enum op_id)i)->oi_kind != OPK_DATA)
			continue;
		cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), 0);
		cr_assert_str_eq(name, op_name((enum op_id)i));
	}
	cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), -1);
	free(text);

	/* The routes of each group op (route clashes are checked in SQL). */
	p = newest("postern.auth_group_routes(p_prefix", &text);
	p = strstr(p, "(values");
	cr_assert_not_null(p);
	stop = strstr(p, ") as r");
	cr_assert_not_null(stop);
	for (k = 0; k < NOLD; k++) {
		oi = op_info((enum op_id)(OP_AUTH_FIRST + (int)k));
		cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), 0);
		cr_assert_eq(next_quoted(&p, stop, method, sizeof(method)), 0);
		cr_assert_eq(next_quoted(&p, stop, suffix, sizeof(suffix)), 0);
		cr_assert_str_eq(name, oi->oi_group);
		cr_assert_str_eq(method, oi->oi_method);
		cr_assert_str_eq(suffix, oi->oi_suffix);
	}
	cr_assert_eq(next_quoted(&p, stop, name, sizeof(name)), -1);
	free(text);
}
