/*
 * The live route table: endpoints from postern.endpoints, matched by method
 * and path.  Pure code; a table is immutable once built and shared by
 * reference count, so a reload swaps the pointer while requests in flight
 * keep the table they started with.
 */
#ifndef POSTERN_GATEWAY_ROUTES_H
#define POSTERN_GATEWAY_ROUTES_H

#include <stddef.h>

#include "common/op.h"

#define ROUTE_NAME_MAX 64
#define ROUTE_PATH_MAX 256

enum route_kind { RT_AUTH, RT_DATA };

struct route {
	long rt_id;
	enum route_kind rt_kind;
	char rt_method[8];
	char rt_path[ROUTE_PATH_MAX]; /* auth: prefix + "/" + op */
	char rt_table[ROUTE_NAME_MAX];
	enum op_id rt_op; /* parsed once; op_name() where it is printed */
	char rt_auth[ROUTE_NAME_MAX + 8]; /* none | bearer | bearer:<table> */
	char rt_owner[ROUTE_NAME_MAX];
};

struct catalog;

struct routes {
	struct catalog *rs_catalog; /* owned; the tables the routes serve */
	struct route *rs_list;
	size_t rs_n;
	size_t rs_cap;
	int rs_refs;
};

struct routes *routes_new(void);
struct routes *routes_ref(struct routes *rs);
void routes_unref(struct routes *rs);

/*
 * Adds the route(s) of one postern.endpoints row.  For kind "auth", ops is a
 * comma-separated list and one route per op is added under the prefix.
 * Returns -1 with *why on an invalid row (the caller logs and skips it).
 */
int routes_add_row(struct routes *rs, long id, const char *kind,
    const char *method, const char *path, const char *table, const char *op,
    const char *auth, const char *owner, const char *ops, const char **why);

/*
 * Matches a request.  Returns 200 with *out set, 404, or 405 with the
 * allowed methods written to allow ("GET, POST").  A "{id}" segment in a
 * route path matches one non-empty segment, copied to idseg.
 */
int routes_match(const struct routes *rs, const char *method, const char *path,
    const struct route **out, char *allow, size_t allowcap, char *idseg,
    size_t idcap);

/* Checks an SQL identifier as stored in the registry. */
int routes_ident_ok(const char *s);

#endif
