#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/catalog.h"
#include "gateway/routes.h"

struct routes *
routes_new(void)
{
	struct routes *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->rs_refs = 1;
	return rs;
}

struct routes *
routes_ref(struct routes *rs)
{
	if (rs != NULL)
		rs->rs_refs++;
	return rs;
}

void
routes_unref(struct routes *rs)
{
	if (rs == NULL || --rs->rs_refs > 0)
		return;
	if (rs->rs_catalog != NULL) {
		catalog_free(rs->rs_catalog);
		free(rs->rs_catalog);
	}
	free(rs->rs_list);
	free(rs);
}

int
routes_ident_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= ROUTE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        c == '_' || (i > 0 && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static int
path_ok(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n >= ROUTE_PATH_MAX - 32 || p[0] != '/')
		return 0;
	if (n > 1 && p[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || strchr("/_-.{}", c) != NULL))
			return 0;
		if (c == '/' && p[i + 1] == '/')
			return 0;
	}
	return 1;
}

static int
routes_push(struct routes *rs, const struct route *r)
{
	struct route *nl;
	size_t ncap;

	if (rs->rs_n == rs->rs_cap) {
		ncap = rs->rs_cap ? rs->rs_cap * 2 : 16;
		if ((nl = reallocarray(rs->rs_list, ncap, sizeof(*nl))) == NULL)
			return -1;
		rs->rs_list = nl;
		rs->rs_cap = ncap;
	}
	rs->rs_list[rs->rs_n++] = *r;
	return 0;
}

/*
 * Whether an auth group's routes serve table.  A table that backs an auth
 * group is never a data endpoint's table (the admin API refuses it): the
 * data API would let a bearer write users.  A row that reached the
 * registry another way is not served either.
 */
static int
auth_table(const struct routes *rs, const char *table)
{
	size_t i;

	for (i = 0; i < rs->rs_n; i++)
		if (rs->rs_list[i].rt_kind == RT_AUTH &&
		    strcmp(rs->rs_list[i].rt_table, table) == 0)
			return 1;
	return 0;
}

/* Drops the data routes of table (an auth group on it came later). */
static size_t
drop_data_routes(struct routes *rs, const char *table)
{
	size_t i, j = 0, n = rs->rs_n;

	for (i = 0; i < rs->rs_n; i++)
		if (rs->rs_list[i].rt_kind == RT_AUTH ||
		    strcmp(rs->rs_list[i].rt_table, table) != 0)
			rs->rs_list[j++] = rs->rs_list[i];
	rs->rs_n = j;
	return n - j;
}

static int
auth_ok(const char *a)
{
	if (strcmp(a, "none") == 0 || strcmp(a, "bearer") == 0)
		return 1;
	return strncmp(a, "bearer:", 7) == 0 && routes_ident_ok(a + 7);
}

int
routes_add_row(struct routes *rs, long id, const char *kind, const char *method,
    const char *path, const char *table, const char *op, const char *auth,
    const char *owner, const char *ops, const char **why)
{
	struct route r;
	const char *p, *e;
	char *slash;
	char opname[16];
	const struct op_info *oi;
	size_t i, n;

	memset(&r, 0, sizeof(r));
	r.rt_id = id;
	if (!routes_ident_ok(table)) {
		*why = "invalid table name";
		return -1;
	}
	if (!path_ok(path)) {
		*why = "invalid path";
		return -1;
	}
	x_strlcpy(r.rt_table, table, sizeof(r.rt_table));
	if (strcmp(kind, "auth") == 0) {
		r.rt_kind = RT_AUTH;
		if (drop_data_routes(rs, table) > 0)
			log_warnx("table %s backs the auth group at %s: its "
			          "data endpoints are skipped",
			    table, path);
		x_strlcpy(r.rt_auth, "none", sizeof(r.rt_auth));
		for (p = ops; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ",");
			n = (size_t)(e - p);
			if (n == 0 || n >= sizeof(opname)) {
				*why = "invalid auth op";
				return -1;
			}
			memcpy(opname, p, n);
			opname[n] = '\0';
			/* The routes a group op publishes, in the table's
			 * order ("sessions" publishes three).  Ops of later
			 * versions match nothing and are skipped, not
			 * fatal. */
			for (i = 0; i < OP__COUNT; i++) {
				oi = op_info((enum op_id)i);
				if (oi->oi_kind != OPK_AUTH ||
				    strcmp(opname, oi->oi_group) != 0)
					continue;
				r.rt_op = (enum op_id)i;
				x_strlcpy(r.rt_method, oi->oi_method,
				    sizeof(r.rt_method));
				snprintf(r.rt_path, sizeof(r.rt_path), "%s%s",
				    strcmp(path, "/") == 0 ? "" : path,
				    oi->oi_suffix);
				if (routes_push(rs, &r) == -1) {
					*why = "out of memory";
					return -1;
				}
			}
		}
		return 0;
	}
	if (strcmp(kind, "data") != 0) {
		*why = "unknown endpoint kind";
		return -1;
	}
	r.rt_kind = RT_DATA;
	if (auth_table(rs, table)) {
		*why = "its table backs an auth group";
		return -1;
	}
	if (method == NULL || op == NULL || auth == NULL || !auth_ok(auth)) {
		*why = "invalid data endpoint";
		return -1;
	}
	if (owner != NULL && owner[0] != '\0' && !routes_ident_ok(owner)) {
		*why = "invalid owner column";
		return -1;
	}
	if (op_from_name(op, &r.rt_op) == -1 ||
	    op_info(r.rt_op)->oi_kind != OPK_DATA ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	        strcmp(method, "PUT") != 0 && strcmp(method, "PATCH") != 0 &&
	        strcmp(method, "DELETE") != 0)) {
		*why = "unknown operation or method";
		return -1;
	}
	x_strlcpy(r.rt_method, method, sizeof(r.rt_method));
	x_strlcpy(r.rt_path, path, sizeof(r.rt_path));
	x_strlcpy(r.rt_auth, auth, sizeof(r.rt_auth));
	if (owner != NULL)
		x_strlcpy(r.rt_owner, owner, sizeof(r.rt_owner));
	if (routes_push(rs, &r) == -1) {
		*why = "out of memory";
		return -1;
	}
	/*
	 * PostgREST's clients update and delete on the collection path with
	 * filters (PATCH /t?id=eq.5, PUT /t?id=eq.5): an item route /t/{id}
	 * for update, delete or replace also serves that form, with the same
	 * rules.
	 */
	if ((r.rt_op == OP_UPDATE || r.rt_op == OP_DELETE ||
	        r.rt_op == OP_REPLACE) &&
	    (slash = strrchr(r.rt_path, '/')) != NULL && slash[1] == '{' &&
	    slash != r.rt_path) {
		*slash = '\0';
		if (routes_push(rs, &r) == -1) {
			*why = "out of memory";
			return -1;
		}
	}
	return 0;
}

/* Segment-wise match; "{...}" matches one non-empty segment. */
static int
path_match(const char *pat, const char *path, char *idseg, size_t idcap)
{
	const char *pe, *xe;

	for (;;) {
		if (*pat == '\0' || *path == '\0')
			return *pat == '\0' && *path == '\0';
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = pat + strcspn(pat, "/");
		xe = path + strcspn(path, "/");
		if (*pat == '{' && pe > pat && pe[-1] == '}') {
			if (xe == path)
				return 0;
			if (idseg != NULL && idcap > 0) {
				size_t n = (size_t)(xe - path);
				if (n >= idcap)
					return 0;
				memcpy(idseg, path, n);
				idseg[n] = '\0';
			}
		} else if (pe - pat != xe - path ||
		           memcmp(pat, path, (size_t)(pe - pat)) != 0)
			return 0;
		pat = pe;
		path = xe;
	}
}

int
routes_match(const struct routes *rs, const char *method, const char *path,
    const struct route **out, char *allow, size_t allowcap, char *idseg,
    size_t idcap)
{
	size_t i, alen = 0;
	int found = 0;

	if (allowcap > 0)
		allow[0] = '\0';
	if (rs == NULL)
		return 404;
	for (i = 0; i < rs->rs_n; i++) {
		const struct route *r = &rs->rs_list[i];
		if (!path_match(r->rt_path, path, idseg, idcap))
			continue;
		if (strcmp(r->rt_method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		        strcmp(r->rt_method, "GET") == 0)) {
			*out = r;
			return 200;
		}
		found = 1;
		if (strstr(allow, r->rt_method) == NULL && allowcap > 0) {
			alen = strlen(allow);
			snprintf(allow + alen, allowcap - alen, "%s%s",
			    alen ? ", " : "", r->rt_method);
		}
	}
	return found ? 405 : 404;
}
