/*
 * The OpenAPI 3.0.3 description of the live endpoints.  The document is
 * built as a json-c tree and serialised once.  Building a tree of a few
 * hundred nodes makes a hundred allocations that can each fail, so the
 * builder uses a sticky error flag (like ferror(3)): every helper accepts a
 * NULL parent or child, drops what it cannot attach and sets oa_err, and
 * openapi_build() checks the flag once before it writes anything.
 *
 * json-c keeps an object's members in insertion order, so the output
 * follows the order of the routes and is the same for the same table.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "gateway/catalog.h"
#include "gateway/openapi.h"
#include "gateway/routes.h"

/* info.version is project()'s VERSION, defined by CMakeLists.txt. */
#ifndef POSTERN_VERSION
#error "POSTERN_VERSION is not defined: build with CMake"
#endif

#define OA_NAME_MAX (CATALOG_NAME_MAX + 16)
#define OA_MAX_PARAMS 8 /* path templates per path we describe */

struct oa {
	const struct routes *oa_rs;
	struct json_object *oa_schemas; /* components.schemas, borrowed */
	struct json_object *oa_tags;    /* top-level tags, borrowed */
	struct json_object *oa_params;  /* components.parameters, borrowed */
	struct json_object *oa_tagset;  /* tag names seen, owned */
	struct json_object *oa_opids;   /* operationIds used, owned */
	int oa_err;
};

/* Fixed component names; a table with one of these names gets another. */
static const char *const reserved_schemas[] = {"Error", "TokenResponse"};

/* Query parameters of the list grammar; no column filter may shadow them. */
static const char *const grammar_params[] = {
    "select", "order", "limit", "offset"};

/* ---- sticky-error helpers ---- */

/* Attaches v (ownership moves to o) under key and returns v, or NULL. */
static struct json_object *
oa_put(struct oa *oa, struct json_object *o, const char *key,
    struct json_object *v)
{
	if (o == NULL || v == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		oa->oa_err = 1;
		return NULL;
	}
	return v;
}

static struct json_object *
oa_push(struct oa *oa, struct json_object *a, struct json_object *v)
{
	if (a == NULL || v == NULL || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		oa->oa_err = 1;
		return NULL;
	}
	return v;
}

static struct json_object *
oa_obj(struct oa *oa, struct json_object *o, const char *key)
{
	return oa_put(oa, o, key, json_object_new_object());
}

static struct json_object *
oa_arr(struct oa *oa, struct json_object *o, const char *key)
{
	return oa_put(oa, o, key, json_object_new_array());
}

static void
oa_str(struct oa *oa, struct json_object *o, const char *key, const char *s)
{
	oa_put(oa, o, key, json_object_new_string(s));
}

static void
oa_bool(struct oa *oa, struct json_object *o, const char *key, int v)
{
	oa_put(oa, o, key, json_object_new_boolean(v));
}

static void
oa_int(struct oa *oa, struct json_object *o, const char *key, int v)
{
	oa_put(oa, o, key, json_object_new_int(v));
}

static void
oa_pushstr(struct oa *oa, struct json_object *a, const char *s)
{
	oa_push(oa, a, json_object_new_string(s));
}

/*
 * {"$ref": "#/components/<kind>/<name>"}.  Component names are built here
 * from identifiers ([A-Za-z0-9_] plus our '.'), so they never need JSON
 * Pointer escaping.
 */
static struct json_object *
oa_ref(struct oa *oa, const char *kind, const char *name)
{
	struct json_object *o;
	char ref[OA_NAME_MAX + 32];

	snprintf(ref, sizeof(ref), "#/components/%s/%s", kind, name);
	if ((o = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	oa_str(oa, o, "$ref", ref);
	return o;
}

static void
oa_putref(struct oa *oa, struct json_object *o, const char *key,
    const char *kind, const char *name)
{
	oa_put(oa, o, key, oa_ref(oa, kind, name));
}

static int
has_key(struct json_object *o, const char *key)
{
	return o != NULL && json_object_object_get_ex(o, key, NULL);
}

/* ---- names ---- */

static int
route_uses_table(const struct routes *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->rs_n; i++)
		if (strcmp(rs->rs_list[i].rt_table, name) == 0)
			return 1;
	return 0;
}

/*
 * A table's row schema is named after the table, unless that is one of
 * the fixed names; table names cannot hold a '.', so "table.<name>" is
 * free.
 */
static void
row_schema_name(const char *table, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < sizeof(reserved_schemas) / sizeof(reserved_schemas[0]);
	     i++)
		if (strcmp(table, reserved_schemas[i]) == 0) {
			snprintf(out, cap, "table.%s", table);
			return;
		}
	snprintf(out, cap, "%s", table);
}

/* "<table>_input", or "<table>.input" when a served table has that name. */
static void
input_schema_name(
    const struct routes *rs, const char *table, char *out, size_t cap)
{
	snprintf(out, cap, "%s_input", table);
	if (route_uses_table(rs, out) ||
	    catalog_table(rs->rs_catalog, out) != NULL)
		snprintf(out, cap, "%s.input", table);
}

/* Makes base unique among the operationIds and records it. */
static void
operation_id(struct oa *oa, const char *base, char *out, size_t cap)
{
	int n;

	/* Truncation is harmless here: the result only has to be unique,
	 * which has_key() checks. */
	if (snprintf(out, cap, "%s", base) < 0)
		out[0] = '\0';
	for (n = 2; has_key(oa->oa_opids, out) && n < 10000; n++)
		if (snprintf(out, cap, "%s_%d", base, n) < 0)
			out[0] = '\0';
	oa_put(oa, oa->oa_opids, out, json_object_new_boolean(1));
}

static void
add_tag(struct oa *oa, const char *name, const char *description)
{
	struct json_object *t;

	if (has_key(oa->oa_tagset, name))
		return;
	oa_put(oa, oa->oa_tagset, name, json_object_new_boolean(1));
	if ((t = oa_push(oa, oa->oa_tags, json_object_new_object())) == NULL)
		return;
	oa_str(oa, t, "name", name);
	if (description != NULL)
		oa_str(oa, t, "description", description);
}

/* ---- schemas ---- */

/*
 * Any JSON value, null included (a jsonb can hold JSON null even in a NOT
 * NULL column).  OpenAPI 3.0 has no "any type" that can also say nullable:
 * nullable counts only beside a type, and the empty schema has none.  So
 * the schema is anyOf the JSON types, the object one carrying the null;
 * generators read it as object | array | string | number | boolean | null.
 */
static void
json_value_schema(struct oa *oa, struct json_object *s)
{
	static const char *const types[] = {
	    "object", "array", "string", "number", "boolean"};
	struct json_object *any, *t;
	size_t i;

	any = oa_arr(oa, s, "anyOf");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		t = oa_push(oa, any, json_object_new_object());
		oa_str(oa, t, "type", types[i]);
		if (i == 0) {
			oa_bool(oa, t, "additionalProperties", 1);
			oa_bool(oa, t, "nullable", 1);
		} else if (i == 1)
			oa_obj(oa, t, "items");
	}
}

/* The JSON that row_to_json() produces and the body check accepts. */
static void
kind_schema(struct oa *oa, struct json_object *s, const struct column *c)
{
	switch (c->co_kind) {
	case CK_INT2:
	case CK_INT4:
		oa_str(oa, s, "type", "integer");
		oa_str(oa, s, "format", "int32");
		break;
	case CK_INT8:
		oa_str(oa, s, "type", "integer");
		oa_str(oa, s, "format", "int64");
		break;
	case CK_NUMERIC:
		/* row_to_json() writes numeric as a JSON number. */
		oa_str(oa, s, "type", "number");
		break;
	case CK_FLOAT:
		oa_str(oa, s, "type", "number");
		oa_str(oa, s, "format",
		    strcmp(c->co_typname, "float4") == 0 ? "float" : "double");
		break;
	case CK_BOOL:
		oa_str(oa, s, "type", "boolean");
		break;
	case CK_UUID:
		oa_str(oa, s, "type", "string");
		oa_str(oa, s, "format", "uuid");
		break;
	case CK_TIMESTAMPTZ:
		oa_str(oa, s, "type", "string");
		oa_str(oa, s, "format", "date-time");
		break;
	case CK_TIMESTAMP:
		/*
		 * Without a zone PostgreSQL writes no offset, which RFC 3339's
		 * date-time requires: a client that checks formats would
		 * reject every row, so no format is claimed.
		 */
		oa_str(oa, s, "type", "string");
		break;
	case CK_DATE:
		oa_str(oa, s, "type", "string");
		oa_str(oa, s, "format", "date");
		break;
	case CK_JSON:
		json_value_schema(oa, s);
		break;
	case CK_TEXT:
	case CK_TIME:
	case CK_OTHER:
		oa_str(oa, s, "type", "string");
		break;
	}
}

static struct json_object *column_schema(struct oa *oa, const struct column *c);

/*
 * A composite as row_to_json() writes it, an object of its attributes
 * (each may be null: a composite's attributes have no NOT NULL), or an
 * enum as a string among its labels.
 */
static void
udt_schema(struct oa *oa, struct json_object *s, const struct udt *u)
{
	struct json_object *props, *e;
	struct column a;
	size_t i;

	if (u->ud_kind == UDT_ENUM) {
		oa_str(oa, s, "type", "string");
		e = oa_arr(oa, s, "enum");
		for (i = 0; i < u->ud_nlabels; i++)
			oa_pushstr(oa, e, u->ud_labels[i]);
		return;
	}
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	for (i = 0; i < u->ud_nattrs; i++) {
		a = u->ud_attrs[i];
		a.co_notnull = 0;
		a.co_udt = NULL;
		oa_put(oa, props, a.co_name, column_schema(oa, &a));
	}
}

static struct json_object *
column_schema(struct oa *oa, const struct column *c)
{
	struct json_object *s, *el;

	if ((s = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	if (c->co_array) {
		oa_str(oa, s, "type", "array");
		el = oa_obj(oa, s, "items");
		if (c->co_udt != NULL)
			udt_schema(oa, el, c->co_udt);
		else
			kind_schema(oa, el, c);
	} else if (c->co_udt != NULL)
		udt_schema(oa, s, c->co_udt);
	else
		kind_schema(oa, s, c);
	/* A json column's schema says null itself, and has no type here. */
	if (!c->co_notnull && (c->co_array || c->co_kind != CK_JSON))
		oa_bool(oa, s, "nullable", 1);
	oa_str(oa, s, "description", c->co_type);
	return s;
}

/* Not-null columns without a default, less the owner column if any. */
static void
required_columns(struct oa *oa, struct json_object *s, const struct table *t,
    const char *owner)
{
	struct json_object *req = NULL;
	size_t i;

	for (i = 0; i < t->tb_ncols; i++) {
		const struct column *c = &t->tb_cols[i];
		if (!c->co_notnull || c->co_hasdef)
			continue;
		if (owner != NULL && strcmp(c->co_name, owner) == 0)
			continue;
		if (req == NULL)
			req = oa_arr(oa, s, "required");
		oa_pushstr(oa, req, c->co_name);
	}
}

/* The row schema of one table, once. */
static void
add_row_schema(struct oa *oa, const char *table)
{
	const struct table *t = catalog_table(oa->oa_rs->rs_catalog, table);
	struct json_object *s, *props;
	char name[OA_NAME_MAX];
	size_t i;

	row_schema_name(table, name, sizeof(name));
	if (has_key(oa->oa_schemas, name))
		return;
	s = oa_obj(oa, oa->oa_schemas, name);
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	for (i = 0; t != NULL && i < t->tb_ncols; i++)
		oa_put(oa, props, t->tb_cols[i].co_name,
		    column_schema(oa, &t->tb_cols[i]));
	if (t != NULL)
		required_columns(oa, s, t, NULL);
}

/*
 * The body of a create or an update, once: every column may be given, none
 * other.  What a create must give is added per operation, because an owner
 * rule takes the owner column off that list.  Only data operations add it
 * (an auth table's row is described, its input is not).
 */
static void
add_input_schema(struct oa *oa, const char *table)
{
	const struct table *t = catalog_table(oa->oa_rs->rs_catalog, table);
	struct json_object *s, *props;
	char name[OA_NAME_MAX];
	size_t i;

	input_schema_name(oa->oa_rs, table, name, sizeof(name));
	if (has_key(oa->oa_schemas, name))
		return;
	s = oa_obj(oa, oa->oa_schemas, name);
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	for (i = 0; t != NULL && i < t->tb_ncols; i++)
		oa_put(oa, props, t->tb_cols[i].co_name,
		    column_schema(oa, &t->tb_cols[i]));
	oa_bool(oa, s, "additionalProperties", t == NULL);
}

static void
add_fixed_schemas(struct oa *oa)
{
	struct json_object *s, *p, *f, *req;

	s = oa_obj(oa, oa->oa_schemas, "Error");
	oa_str(oa, s, "type", "object");
	oa_str(oa, s, "description",
	    "Every error body (PostgREST's shape); docs/errors.md lists the "
	    "codes.");
	p = oa_obj(oa, s, "properties");
	f = oa_obj(oa, p, "code");
	oa_str(oa, f, "type", "string");
	oa_str(oa, f, "example", "PN107");
	f = oa_obj(oa, p, "message");
	oa_str(oa, f, "type", "string");
	f = oa_obj(oa, p, "details");
	oa_str(oa, f, "type", "string");
	oa_bool(oa, f, "nullable", 1);
	f = oa_obj(oa, p, "hint");
	oa_str(oa, f, "type", "string");
	oa_bool(oa, f, "nullable", 1);
	req = oa_arr(oa, s, "required");
	oa_pushstr(oa, req, "code");
	oa_pushstr(oa, req, "message");
	oa_pushstr(oa, req, "details");
	oa_pushstr(oa, req, "hint");

	s = oa_obj(oa, oa->oa_schemas, "TokenResponse");
	oa_str(oa, s, "type", "object");
	p = oa_obj(oa, s, "properties");
	f = oa_obj(oa, p, "access_token");
	oa_str(oa, f, "type", "string");
	oa_str(
	    oa, f, "description", "A JWT (HS256); send it as a bearer token.");
	f = oa_obj(oa, p, "token_type");
	oa_str(oa, f, "type", "string");
	oa_pushstr(oa, oa_arr(oa, f, "enum"), "bearer");
	f = oa_obj(oa, p, "expires_in");
	oa_str(oa, f, "type", "integer");
	oa_str(oa, f, "description", "Seconds until the access token expires.");
	f = oa_obj(oa, p, "refresh_token");
	oa_str(oa, f, "type", "string");
	f = oa_obj(oa, p, "user");
	oa_str(oa, f, "type", "object");
	oa_str(oa, f, "description", "The user's row in the auth table.");
	req = oa_arr(oa, s, "required");
	oa_pushstr(oa, req, "access_token");
	oa_pushstr(oa, req, "token_type");
	oa_pushstr(oa, req, "expires_in");
	oa_pushstr(oa, req, "refresh_token");
	oa_pushstr(oa, req, "user");
}

/* ---- shared parameters and responses ---- */

static void
add_query_param(struct oa *oa, struct json_object *params, const char *name,
    const char *type, const char *description, const char *example)
{
	struct json_object *p, *s;

	p = oa_obj(oa, params, name);
	oa_str(oa, p, "name", name);
	oa_str(oa, p, "in", "query");
	oa_bool(oa, p, "required", 0);
	oa_str(oa, p, "description", description);
	s = oa_obj(oa, p, "schema");
	oa_str(oa, s, "type", type);
	if (strcmp(type, "integer") == 0)
		oa_int(oa, s, "minimum", 0);
	if (example != NULL)
		oa_str(oa, p, "example", example);
}

static void
add_parameters(struct oa *oa, struct json_object *comp)
{
	struct json_object *params = oa_obj(oa, comp, "parameters");

	oa->oa_params = params;
	add_query_param(oa, params, "select", "string",
	    "Keys of each row, comma-separated (default: all columns): "
	    "col, alias:col, col::type (text, integer, bigint, numeric, "
	    "boolean, date, timestamptz, uuid, jsonb, ...), JSON paths "
	    "col->key and col->>key (also in filters and order), * with "
	    "more items, embedded resources over foreign keys "
	    "rel(items), alias:rel!hint!inner(items) (their parameters "
	    "as rel.col=op.value, rel.order=, rel.limit=).",
	    "id,title");
	add_query_param(oa, params, "order", "string",
	    "Sort order: col.asc or col.desc, optionally .nullsfirst or "
	    ".nullslast, comma-separated.",
	    "id.desc");
	add_query_param(oa, params, "limit", "integer",
	    "At most this many rows (default 100, capped by the server).",
	    NULL);
	add_query_param(oa, params, "offset", "integer",
	    "Skip this many rows first.", NULL);
}

static void
add_response(struct oa *oa, struct json_object *resps, const char *name,
    const char *description, const char *header, const char *header_desc)
{
	struct json_object *r, *h, *c;

	r = oa_obj(oa, resps, name);
	oa_str(oa, r, "description", description);
	if (header != NULL) {
		h = oa_obj(oa, oa_obj(oa, r, "headers"), header);
		oa_str(oa, h, "description", header_desc);
		c = oa_obj(oa, h, "schema");
		oa_str(oa, c, "type", "string");
	}
	c = oa_obj(oa, oa_obj(oa, r, "content"), "application/json");
	oa_putref(oa, c, "schema", "schemas", "Error");
}

static void
add_responses(struct oa *oa, struct json_object *comp)
{
	struct json_object *resps = oa_obj(oa, comp, "responses");

	add_response(oa, resps, "BadRequest",
	    "Malformed JSON or query, unknown column or operator, a value "
	    "that does not fit its column.",
	    NULL, NULL);
	add_response(oa, resps, "Unauthorized",
	    "Missing, invalid, expired or revoked bearer token, or wrong "
	    "credentials.",
	    "WWW-Authenticate",
	    "Bearer, with error=\"invalid_token\" when a "
	    "token was given.");
	add_response(oa, resps, "Forbidden",
	    "The token is valid but the endpoint's rule forbids the request.",
	    NULL, NULL);
	add_response(oa, resps, "NotFound", "No such row.", NULL, NULL);
	add_response(oa, resps, "NotAcceptable",
	    "application/vnd.pgrst.object+json was asked for and the result "
	    "is not exactly one row.",
	    NULL, NULL);
	add_response(oa, resps, "Conflict",
	    "A unique or foreign-key violation.", NULL, NULL);
	add_response(oa, resps, "PayloadTooLarge",
	    "The body is larger than the configured limit.", NULL, NULL);
	add_response(oa, resps, "UnsupportedMediaType",
	    "The body is not application/json.", NULL, NULL);
	add_response(oa, resps, "TooManyRequests", "Rate limited.",
	    "Retry-After", "Seconds to wait.");
	add_response(oa, resps, "Unavailable",
	    "PostgreSQL or the auth daemon is unreachable.", NULL, NULL);
	add_response(oa, resps, "Error", "Any other error.", NULL, NULL);
}

/* Fills comp, which the caller owns and attaches after the paths. */
static void
add_components(struct oa *oa, struct json_object *comp)
{
	struct json_object *b;

	b = oa_obj(oa, oa_obj(oa, comp, "securitySchemes"), "bearerAuth");
	oa_str(oa, b, "type", "http");
	oa_str(oa, b, "scheme", "bearer");
	oa_str(oa, b, "bearerFormat", "JWT");
	oa_str(oa, b, "description",
	    "An access token from an auth group's signup or login.");
	oa->oa_schemas = oa_obj(oa, comp, "schemas");
	add_fixed_schemas(oa);
	add_parameters(oa, comp);
	add_responses(oa, comp);
}

/* ---- operations ---- */

/*
 * The OpenAPI form of a route path and the names of its templates.  A
 * "{...}" segment matches one segment (routes_match()); its name is kept
 * when it is a plain identifier and unique, else it becomes p<N>.  A
 * literal segment holding a brace has no faithful OpenAPI form: -1, and
 * the route is left out.
 */
static int
path_key(const char *path, char *out, size_t cap, char names[][ROUTE_NAME_MAX],
    size_t *nnames)
{
	const char *p = path, *e;
	size_t n, len = 0, i, j;
	int ok, w;

	*nnames = 0;
	out[0] = '\0';
	while (*p == '/') {
		p++;
		e = p + strcspn(p, "/");
		n = (size_t)(e - p);
		if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
			if (*nnames == OA_MAX_PARAMS)
				return -1;
			ok = n - 2 > 0 && n - 2 < ROUTE_NAME_MAX;
			for (i = 1; ok && i < n - 1; i++)
				if (strchr("{}", p[i]) != NULL)
					ok = 0;
			if (ok) {
				memcpy(names[*nnames], p + 1, n - 2);
				names[*nnames][n - 2] = '\0';
				for (j = 0; j < *nnames; j++)
					if (strcmp(names[j], names[*nnames]) ==
					    0)
						ok = 0;
			}
			if (!ok)
				snprintf(names[*nnames], ROUTE_NAME_MAX, "p%zu",
				    *nnames + 1);
			w = snprintf(
			    out + len, cap - len, "/{%s}", names[*nnames]);
			(*nnames)++;
		} else {
			if (memchr(p, '{', n) != NULL ||
			    memchr(p, '}', n) != NULL)
				return -1;
			w = snprintf(out + len, cap - len, "/%.*s", (int)n, p);
		}
		if (w < 0 || (size_t)w >= cap - len)
			return -1;
		len += (size_t)w;
		p = e;
	}
	return len > 0 && *p == '\0' ? 0 : -1;
}

static void
add_path_params(struct oa *oa, struct json_object *params,
    char names[][ROUTE_NAME_MAX], size_t nnames, const struct table *t)
{
	const struct column *pk = table_pk(t);
	struct json_object *p, *s;
	size_t i;

	/* The key crud.c uses: the primary key, else a column named id. */
	if (pk == NULL)
		pk = table_column(t, "id");

	for (i = 0; i < nnames; i++) {
		p = oa_push(oa, params, json_object_new_object());
		oa_str(oa, p, "name", names[i]);
		oa_str(oa, p, "in", "path");
		oa_bool(oa, p, "required", 1);
		/* The last template is the key (routes_match() keeps it). */
		if (i + 1 == nnames && pk != NULL) {
			oa_str(oa, p, "description", "The row's key.");
			s = column_schema(oa, pk);
			/* A path segment is never null. */
			if (s != NULL)
				json_object_object_del(s, "nullable");
			oa_put(oa, p, "schema", s);
		} else
			oa_str(oa, oa_obj(oa, p, "schema"), "type", "string");
	}
}

/* One optional query parameter per filterable column. */
static void
add_filter_params(
    struct oa *oa, struct json_object *params, const struct table *t)
{
	struct json_object *p;
	char desc[512];
	size_t i, j;
	int skip;

	for (i = 0; t != NULL && i < t->tb_ncols; i++) {
		const struct column *c = &t->tb_cols[i];
		skip = 0;
		for (j = 0;
		     j < sizeof(grammar_params) / sizeof(grammar_params[0]);
		     j++)
			if (strcmp(c->co_name, grammar_params[j]) == 0)
				skip = 1;
		if (skip)
			continue;
		p = oa_push(oa, params, json_object_new_object());
		oa_str(oa, p, "name", c->co_name);
		oa_str(oa, p, "in", "query");
		oa_bool(oa, p, "required", 0);
		snprintf(desc, sizeof(desc),
		    "PostgREST filter on %s (%s), e.g. eq.5: op.value with op "
		    "one of eq neq gt gte lt lte like ilike match imatch in is "
		    "isdistinct fts plfts phfts wfts cs cd ov sl sr nxl nxr "
		    "adj "
		    "(as the column's type allows), optionally after not.",
		    c->co_name, c->co_type);
		oa_str(oa, p, "description", desc);
		oa_str(oa, oa_obj(oa, p, "schema"), "type", "string");
	}
}

static void
push_param_ref(struct oa *oa, struct json_object *params, const char *name)
{
	oa_push(oa, params, oa_ref(oa, "parameters", name));
}

/* {"description", "content": {media: {"schema": schema}}}; takes schema. */
static struct json_object *
json_response(struct oa *oa, struct json_object *resps, const char *status,
    const char *description, struct json_object *schema)
{
	struct json_object *r, *m;

	r = oa_obj(oa, resps, status);
	oa_str(oa, r, "description", description);
	m = oa_obj(oa, oa_obj(oa, r, "content"), "application/json");
	oa_put(oa, m, "schema", schema);
	return r;
}

static struct json_object *
array_of(struct oa *oa, struct json_object *items)
{
	struct json_object *s;

	if ((s = json_object_new_object()) == NULL) {
		json_object_put(items);
		oa->oa_err = 1;
		return NULL;
	}
	oa_str(oa, s, "type", "array");
	oa_put(oa, s, "items", items);
	return s;
}

/* oneOf [x, array of x]: a write answers with an object or an array. */
static struct json_object *
one_or_many(struct oa *oa, const char *kind, const char *name)
{
	struct json_object *s, *l;

	if ((s = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	l = oa_arr(oa, s, "oneOf");
	oa_push(oa, l, oa_ref(oa, kind, name));
	oa_push(oa, l, array_of(oa, oa_ref(oa, kind, name)));
	return s;
}

#define OPS(x) (1u << (x))
#define OPS_WRITE                                                              \
	(OPS(OP_CREATE) | OPS(OP_UPDATE) | OPS(OP_DELETE) | OPS(OP_REPLACE))

/*
 * Content negotiation of the data operations as crud.c implements it: the
 * Prefer values each operation honours and the media types it answers
 * with.  This is the one place to change when the gateway learns another
 * Prefer value or Accept type.
 *
 * params gets a reference to the operation's Prefer parameter (made once
 * per operation kind, under components.parameters); resp, the success
 * response, gets one content entry per media type: the operation's own
 * JSON shape (schema, which this takes) or one row of row.
 */
static void
add_negotiation(struct oa *oa, enum op_id op, struct json_object *params,
    struct json_object *resp, struct json_object *schema, const char *row)
{
	static const struct {
		const char *pv_value;
		unsigned pv_ops;
		const char *pv_what;
	} prefer[] = {
	    {"count=exact", OPS(OP_LIST) | OPS_WRITE,
	        "the total of the matching (on a write, the affected) rows in "
	        "Content-Range"},
	    {"count=planned", OPS(OP_LIST),
	        "the planner's estimate of the total in Content-Range"},
	    {"count=estimated", OPS(OP_LIST),
	        "the exact total up to list_max_limit, the planner's estimate "
	        "above it"},
	    {"return=representation", OPS_WRITE,
	        "the affected rows as an array (one object with Accept: "
	        "application/vnd.pgrst.object+json)"},
	    {"return=minimal", OPS_WRITE,
	        "no body (201 for a create, 204 otherwise)"},
	    {"resolution=merge-duplicates", OPS(OP_CREATE),
	        "upsert: a row that conflicts (on_conflict, else the primary "
	        "key) is updated"},
	    {"resolution=ignore-duplicates", OPS(OP_CREATE),
	        "upsert: a row that conflicts is left as it is"},
	    {"missing=default", OPS(OP_CREATE),
	        "keys absent from a row take the column's default"},
	    {"missing=null", OPS(OP_CREATE), "keys absent from a row are NULL"},
	    {"max-affected=N", OPS_WRITE,
	        "more than N affected rows is 400 PGRST124 and nothing "
	        "changes"},
	    {"tx=commit", OPS(OP_LIST) | OPS(OP_GET) | OPS_WRITE,
	        "the statement commits (the default)"},
	    {"tx=rollback", OPS(OP_LIST) | OPS(OP_GET) | OPS_WRITE,
	        "the statement runs and is rolled back; the answer is as if "
	        "it had committed"},
	    {"handling=strict", OPS(OP_LIST) | OPS(OP_GET) | OPS_WRITE,
	        "always in force: any other value is 400 PGRST122"},
	};
	/* mt_row: the media type carries one row (406 unless exactly one). */
	static const struct {
		const char *mt_name;
		unsigned mt_ops;
		int mt_row;
	} media[] = {
	    {"application/json", OPS(OP_LIST) | OPS(OP_GET) | OPS_WRITE, 0},
	    {"application/vnd.pgrst.object+json",
	        OPS(OP_LIST) | OPS(OP_GET) | OPS_WRITE, 1},
	    {"application/vnd.pgrst.array+json", OPS(OP_LIST) | OPS_WRITE, 0},
	};
	struct json_object *comps, *p, *content, *m;
	char name[64], desc[2048];
	const char *example = NULL;
	size_t i, len;

	snprintf(name, sizeof(name), "prefer_%s", op_name(op));
	len = (size_t)snprintf(desc, sizeof(desc),
	    "The Prefer values this operation honours (several are "
	    "comma-separated):");
	for (i = 0; i < sizeof(prefer) / sizeof(prefer[0]); i++) {
		if ((prefer[i].pv_ops & OPS(op)) == 0 || len >= sizeof(desc))
			continue;
		if (example == NULL)
			example = prefer[i].pv_value;
		len += (size_t)snprintf(desc + len, sizeof(desc) - len,
		    "%s %s: %s", example == prefer[i].pv_value ? "" : ";",
		    prefer[i].pv_value, prefer[i].pv_what);
	}
	if (len + 1 < sizeof(desc))
		strcat(desc, ".");
	comps = oa->oa_params;
	if (example != NULL && !has_key(comps, name)) {
		p = oa_obj(oa, comps, name);
		oa_str(oa, p, "name", "Prefer");
		oa_str(oa, p, "in", "header");
		oa_bool(oa, p, "required", 0);
		oa_str(oa, p, "description", desc);
		oa_str(oa, oa_obj(oa, p, "schema"), "type", "string");
		oa_str(oa, p, "example", example);
	}
	if (example != NULL)
		push_param_ref(oa, params, name);

	content = oa_obj(oa, resp, "content");
	for (i = 0; i < sizeof(media) / sizeof(media[0]); i++) {
		if ((media[i].mt_ops & OPS(op)) == 0)
			continue;
		m = oa_obj(oa, content, media[i].mt_name);
		if (media[i].mt_row)
			oa_putref(oa, m, "schema", "schemas", row);
		else
			oa_put(oa, m, "schema", json_object_get(schema));
	}
	json_object_put(schema);
}

static void
ref_response(struct oa *oa, struct json_object *resps, const char *status,
    const char *name)
{
	oa_putref(oa, resps, status, "responses", name);
}

/*
 * The required columns' schemas beside their "required" list, so that a
 * reader (and a linter) sees each name defined where it is required, not
 * only in the other branch of the allOf.
 */
static void
required_properties(struct oa *oa, struct json_object *s, const struct table *t)
{
	struct json_object *req, *props;
	const struct column *c;
	size_t i;

	if (t == NULL || !json_object_object_get_ex(s, "required", &req))
		return;
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	for (i = 0; i < json_object_array_length(req); i++) {
		c = table_column(t,
		    json_object_get_string(json_object_array_get_idx(req, i)));
		if (c != NULL)
			oa_put(oa, props, c->co_name, column_schema(oa, c));
	}
}

/* The create body: the input schema plus what this route requires. */
static struct json_object *
create_body_schema(
    struct oa *oa, const struct table *t, const char *input, const char *owner)
{
	struct json_object *s, *all, *req;

	if ((s = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	req = json_object_new_object();
	if (t != NULL)
		required_columns(oa, req, t, owner);
	if (req != NULL && !has_key(req, "required")) {
		json_object_put(req);
		json_object_put(s);
		return oa_ref(oa, "schemas", input);
	}
	required_properties(oa, req, t);
	all = oa_arr(oa, s, "allOf");
	oa_push(oa, all, oa_ref(oa, "schemas", input));
	oa_push(oa, all, req);
	return s;
}

/*
 * A PUT's body: one object with every column but the generated ones (and
 * the owner column, which an owner rule sets).
 */
static struct json_object *
put_body_schema(
    struct oa *oa, const struct table *t, const char *input, const char *owner)
{
	struct json_object *s, *all, *req, *l = NULL;
	size_t i;

	if ((s = json_object_new_object()) == NULL ||
	    (req = json_object_new_object()) == NULL) {
		json_object_put(s);
		oa->oa_err = 1;
		return NULL;
	}
	for (i = 0; t != NULL && i < t->tb_ncols; i++) {
		if (t->tb_cols[i].co_generated ||
		    (owner != NULL &&
		        strcmp(t->tb_cols[i].co_name, owner) == 0))
			continue;
		if (l == NULL)
			l = oa_arr(oa, req, "required");
		oa_pushstr(oa, l, t->tb_cols[i].co_name);
	}
	required_properties(oa, req, t);
	all = oa_arr(oa, s, "allOf");
	oa_push(oa, all, oa_ref(oa, "schemas", input));
	oa_push(oa, all, req);
	return s;
}

/* PUT /t?<key>=eq.<value>: one required filter per key column. */
static void
add_put_key_params(
    struct oa *oa, struct json_object *params, const struct table *t)
{
	struct json_object *p, *sc;
	char desc[256];
	size_t i;

	for (i = 0; t != NULL && i < t->tb_ncols; i++) {
		const struct column *c = &t->tb_cols[i];
		if (!c->co_pk)
			continue;
		p = oa_push(oa, params, json_object_new_object());
		oa_str(oa, p, "name", c->co_name);
		oa_str(oa, p, "in", "query");
		oa_bool(oa, p, "required", 1);
		snprintf(desc, sizeof(desc),
		    "eq.<value>: the key column %s of the row (%s); the body "
		    "must hold the same value.",
		    c->co_name, c->co_type);
		oa_str(oa, p, "description", desc);
		sc = oa_obj(oa, p, "schema");
		oa_str(oa, sc, "type", "string");
		oa_str(oa, sc, "pattern", "^eq\\.");
	}
}

/*
 * What an operation does, as a format taking the table's name.  No default
 * case: an operation added to the enum without a summary does not build.
 */
static const char *
op_summary(enum op_id op, int item)
{
	switch (op) {
	case OP_LIST:
		return "List rows of %s";
	case OP_GET:
		return "Get one row of %s by key";
	case OP_CREATE:
		return "Create rows in %s";
	case OP_UPDATE:
		return item ? "Update one row of %s by key"
		            : "Update the rows of %s the filters match";
	case OP_DELETE:
		return item ? "Delete one row of %s by key"
		            : "Delete the rows of %s the filters match";
	case OP_REPLACE:
		return "Replace or create one row of %s by key (PUT)";
	case OP_SIGNUP:
		return "Sign up a user of %s";
	case OP_LOGIN:
		return "Log in as a user of %s";
	case OP_REFRESH:
		return "New tokens for a refresh token; the old one is spent "
		       "(%s)";
	case OP_LOGOUT:
		return "Log out: revoke this session (%s)";
	case OP_ME:
		return "The caller's row (%s)";
	case OP_SESSIONS:
		return "The caller's live sessions (%s)";
	case OP_SESSIONS_REVOKE_OTHERS:
		return "Revoke every other session (%s)";
	case OP_SESSION_REVOKE:
		return "Revoke one of the caller's sessions (%s)";
	case OP_PASSWORD:
		return "Change the password; other sessions end (%s)";
	case OP__COUNT:
		break;
	}
	return "%s";
}

static void
auth_description(const struct route *r, char *out, size_t cap)
{
	size_t len;

	if (strcmp(r->rt_auth, "none") == 0)
		snprintf(out, cap, "Public.");
	else if (strncmp(r->rt_auth, "bearer:", 7) == 0)
		snprintf(out, cap,
		    "Needs a bearer token from the auth group on table %s.",
		    r->rt_auth + 7);
	else
		snprintf(out, cap, "Needs a valid bearer token.");
	if (r->rt_owner[0] != '\0') {
		len = strlen(out);
		snprintf(out + len, cap - len,
		    " Owner rule: only the caller's rows (%s = the token's "
		    "sub) are seen or changed; a create sets %s.",
		    r->rt_owner, r->rt_owner);
	}
	if (r->rt_op == OP_UPDATE || r->rt_op == OP_DELETE) {
		len = strlen(out);
		snprintf(out + len, cap - len,
		    " Without a Prefer header the answer is the row as one "
		    "object (update) or no body (delete).");
	}
}

static void
add_security(struct oa *oa, struct json_object *op, const struct route *r)
{
	struct json_object *sec, *req;

	sec = oa_arr(oa, op, "security");
	if (strcmp(r->rt_auth, "none") == 0)
		return;
	req = oa_push(oa, sec, json_object_new_object());
	oa_arr(oa, req, "bearerAuth");
}

static void
add_data_op(struct oa *oa, struct json_object *item, const char *method,
    const struct route *r, char names[][ROUTE_NAME_MAX], size_t nnames)
{
	const struct table *t =
	    catalog_table(oa->oa_rs->rs_catalog, r->rt_table);
	struct json_object *op, *params, *resps, *resp, *body, *schema, *h;
	char row[OA_NAME_MAX], input[OA_NAME_MAX], buf[512];
	char id[OA_NAME_MAX + 32];
	int keyed = nnames > 0, list, get, create, update, del, put;
	int protected = strcmp(r->rt_auth, "none") != 0;

	list = r->rt_op == OP_LIST;
	get = r->rt_op == OP_GET;
	create = r->rt_op == OP_CREATE;
	update = r->rt_op == OP_UPDATE;
	del = r->rt_op == OP_DELETE;
	put = r->rt_op == OP_REPLACE;
	add_row_schema(oa, r->rt_table);
	if (create || update || put)
		add_input_schema(oa, r->rt_table);
	row_schema_name(r->rt_table, row, sizeof(row));
	input_schema_name(oa->oa_rs, r->rt_table, input, sizeof(input));
	snprintf(
	    buf, sizeof(buf), "The data endpoints of table %s.", r->rt_table);
	add_tag(oa, r->rt_table, buf);

	op = oa_obj(oa, item, method);
	snprintf(buf, sizeof(buf), "%s_%s%s", op_name(r->rt_op), r->rt_table,
	    (update || del || put) && !keyed ? "_filtered" : "");
	operation_id(oa, buf, id, sizeof(id));
	oa_str(oa, op, "operationId", id);
	oa_pushstr(oa, oa_arr(oa, op, "tags"), r->rt_table);
	snprintf(buf, sizeof(buf), op_summary(r->rt_op, keyed), r->rt_table);
	oa_str(oa, op, "summary", buf);
	auth_description(r, buf, sizeof(buf));
	oa_str(oa, op, "description", buf);

	params = oa_arr(oa, op, "parameters");
	add_path_params(oa, params, names, nnames, t);
	push_param_ref(oa, params, "select");
	if (list) {
		push_param_ref(oa, params, "order");
		push_param_ref(oa, params, "limit");
		push_param_ref(oa, params, "offset");
	}
	if (list || ((update || del) && !keyed))
		add_filter_params(oa, params, t);
	if (put && !keyed)
		add_put_key_params(oa, params, t);

	if (create || update || put) {
		body = oa_obj(oa, op, "requestBody");
		oa_bool(oa, body, "required", 1);
		resp =
		    oa_obj(oa, oa_obj(oa, body, "content"), "application/json");
		if (create) {
			struct json_object *one, *l;
			one = oa_obj(oa, resp, "schema");
			l = oa_arr(oa, one, "oneOf");
			oa_push(oa, l,
			    create_body_schema(oa, t, input,
			        r->rt_owner[0] ? r->rt_owner : NULL));
			oa_push(oa, l,
			    array_of(
			        oa, create_body_schema(oa, t, input,
			                r->rt_owner[0] ? r->rt_owner : NULL)));
		} else if (put)
			oa_put(oa, resp, "schema",
			    put_body_schema(oa, t, input,
			        r->rt_owner[0] ? r->rt_owner : NULL));
		else
			oa_putref(oa, resp, "schema", "schemas", input);
	}

	/* The success answer in the op's own JSON shape; add_negotiation()
	 * adds the media types and the Prefer parameter. */
	resps = oa_obj(oa, op, "responses");
	resp = oa_obj(oa, resps, list || get || !create ? "200" : "201");
	if (list) {
		oa_str(oa, resp, "description", "The rows.");
		schema = array_of(oa, oa_ref(oa, "schemas", row));
	} else if (get) {
		oa_str(oa, resp, "description", "The row.");
		schema = oa_ref(oa, "schemas", row);
	} else if (create) {
		oa_str(oa, resp, "description",
		    "Created: the row as an object (an array with Prefer: "
		    "return=representation or for an array body; no body with "
		    "return=minimal).");
		schema = one_or_many(oa, "schemas", row);
	} else if (put) {
		oa_str(oa, resp, "description",
		    "Replaced (Prefer: return=representation): the row, in an "
		    "array.");
		schema = array_of(oa, oa_ref(oa, "schemas", row));
	} else {
		oa_str(oa, resp, "description",
		    keyed && update ? "The updated row (an array with Prefer: "
		                      "return=representation)."
		    : update        ? "The updated rows (Prefer: "
		                      "return=representation)."
		                    : "The deleted rows (Prefer: "
		                      "return=representation).");
		schema = keyed && update
		             ? one_or_many(oa, "schemas", row)
		             : array_of(oa, oa_ref(oa, "schemas", row));
	}
	add_negotiation(oa, r->rt_op, params, resp, schema, row);
	if (list) {
		h = oa_obj(oa, oa_obj(oa, resp, "headers"), "Content-Range");
		oa_str(oa, h, "description",
		    "first-last/total (total * without Prefer: count=exact), "
		    "e.g. 0-19/1234.");
		oa_str(oa, oa_obj(oa, h, "schema"), "type", "string");
	} else if (create) {
		h = oa_obj(oa, oa_obj(oa, resp, "headers"), "Location");
		oa_str(oa, h, "description",
		    "The created row's path, for a single-row create.");
		oa_str(oa, oa_obj(oa, h, "schema"), "type", "string");
	} else if (put) {
		/* A created row gets the same body with 201. */
		h = oa_obj(oa, resps, "201");
		oa_str(oa, h, "description",
		    "Created (Prefer: return=representation): the row, in an "
		    "array.");
		if (json_object_object_get_ex(resp, "content", &body))
			oa_put(oa, h, "content", json_object_get(body));
		h = oa_obj(oa, resps, "204");
		oa_str(oa, h, "description",
		    "Replaced or created (no body without "
		    "return=representation).");
	} else if (update || del) {
		h = oa_obj(oa, resps, "204");
		oa_str(oa, h, "description",
		    del     ? "Deleted (no body without return=representation)."
		    : keyed ? "Updated (Prefer: return=minimal)."
		            : "Updated (no body without "
		              "return=representation).");
	}
	ref_response(oa, resps, "400", "BadRequest");
	if (protected)
		ref_response(oa, resps, "401", "Unauthorized");
	if (protected &&
	    (strncmp(r->rt_auth, "bearer:", 7) == 0 || r->rt_owner[0] != '\0'))
		ref_response(oa, resps, "403", "Forbidden");
	if (keyed)
		ref_response(oa, resps, "404", "NotFound");
	ref_response(oa, resps, "406", "NotAcceptable");
	if (create || update || put) {
		ref_response(oa, resps, "409", "Conflict");
		ref_response(oa, resps, "413", "PayloadTooLarge");
		ref_response(oa, resps, "415", "UnsupportedMediaType");
	}
	ref_response(oa, resps, "503", "Unavailable");
	ref_response(oa, resps, "default", "Error");
	add_security(oa, op, r);
}

/* The signup body: email, password, and the auth table's other columns. */
static struct json_object *
signup_schema(struct oa *oa, const struct route *r, int signup)
{
	const struct table *t =
	    catalog_table(oa->oa_rs->rs_catalog, r->rt_table);
	struct json_object *s, *props, *f, *req;
	size_t i;

	if ((s = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	f = oa_obj(oa, props, "email");
	oa_str(oa, f, "type", "string");
	oa_str(oa, f, "format", "email");
	f = oa_obj(oa, props, "password");
	oa_str(oa, f, "type", "string");
	if (signup) {
		oa_int(oa, f, "minLength", 8);
		oa_str(oa, f, "description",
		    "At least 8 characters, at most 1024 bytes.");
	}
	req = oa_arr(oa, s, "required");
	oa_pushstr(oa, req, "email");
	oa_pushstr(oa, req, "password");
	for (i = 0; signup && t != NULL && i < t->tb_ncols; i++) {
		const struct column *c = &t->tb_cols[i];
		/* The key is the server's; a body that sets it is a 400. */
		if (c->co_pk || strcmp(c->co_name, "email") == 0 ||
		    strcmp(c->co_name, "password") == 0)
			continue;
		oa_put(oa, props, c->co_name, column_schema(oa, c));
		if (c->co_notnull && !c->co_hasdef)
			oa_pushstr(oa, req, c->co_name);
	}
	/* authd refuses a signup that names a column the table lacks. */
	if (signup && t != NULL)
		oa_bool(oa, s, "additionalProperties", 0);
	return s;
}

static void
add_auth_op(struct oa *oa, struct json_object *item, const struct route *r)
{
	struct json_object *op, *body, *resps, *s, *l, *user;
	char buf[256], id[OA_NAME_MAX + 32], row[OA_NAME_MAX];
	int signup = r->rt_op == OP_SIGNUP;

	add_tag(oa, "auth", "Sign-up and login (tokens for the bearer rule).");
	op = oa_obj(oa, item, "post");
	snprintf(buf, sizeof(buf), "%s_%s", op_name(r->rt_op), r->rt_table);
	operation_id(oa, buf, id, sizeof(id));
	oa_str(oa, op, "operationId", id);
	oa_pushstr(oa, oa_arr(oa, op, "tags"), "auth");
	snprintf(buf, sizeof(buf), op_summary(r->rt_op, 0), r->rt_table);
	oa_str(oa, op, "summary", buf);
	body = oa_obj(oa, op, "requestBody");
	oa_bool(oa, body, "required", 1);
	oa_put(oa, oa_obj(oa, oa_obj(oa, body, "content"), "application/json"),
	    "schema", signup_schema(oa, r, signup));

	/* TokenResponse with the user typed as this table's row. */
	row_schema_name(r->rt_table, row, sizeof(row));
	if (catalog_table(oa->oa_rs->rs_catalog, r->rt_table) != NULL) {
		add_row_schema(oa, r->rt_table);
		if ((s = json_object_new_object()) == NULL)
			oa->oa_err = 1;
		l = oa_arr(oa, s, "allOf");
		oa_push(oa, l, oa_ref(oa, "schemas", "TokenResponse"));
		user = oa_push(oa, l, json_object_new_object());
		oa_putref(
		    oa, oa_obj(oa, user, "properties"), "user", "schemas", row);
	} else
		s = oa_ref(oa, "schemas", "TokenResponse");
	resps = oa_obj(oa, op, "responses");
	json_response(oa, resps, signup ? "201" : "200",
	    signup ? "Signed up and logged in." : "Logged in.", s);
	ref_response(oa, resps, "400", "BadRequest");
	if (!signup)
		ref_response(oa, resps, "401", "Unauthorized");
	if (signup)
		ref_response(oa, resps, "409", "Conflict");
	ref_response(oa, resps, "413", "PayloadTooLarge");
	ref_response(oa, resps, "415", "UnsupportedMediaType");
	ref_response(oa, resps, "429", "TooManyRequests");
	ref_response(oa, resps, "503", "Unavailable");
	ref_response(oa, resps, "default", "Error");
	oa_arr(oa, op, "security");
}

/* A JSON object schema with the given string properties, all required. */
static struct json_object *
strings_schema(struct oa *oa, const char *const *names, size_t n)
{
	struct json_object *s, *props, *req;
	size_t i;

	if ((s = json_object_new_object()) == NULL) {
		oa->oa_err = 1;
		return NULL;
	}
	oa_str(oa, s, "type", "object");
	props = oa_obj(oa, s, "properties");
	req = oa_arr(oa, s, "required");
	for (i = 0; i < n; i++) {
		oa_str(oa, oa_obj(oa, props, names[i]), "type", "string");
		oa_pushstr(oa, req, names[i]);
	}
	return s;
}

/*
 * The authenticated routes of an auth group (refresh needs no bearer
 * token, only the refresh token): me, logout, sessions, password.
 */
static void
add_auth_session_op(struct oa *oa, struct json_object *item,
    const struct route *r, const char *method)
{
	static const char *const refresh_keys[] = {"refresh_token"};
	static const char *const password_keys[] = {
	    "current_password", "new_password"};
	struct json_object *op, *body, *resps, *p, *sec, *list;
	char buf[256], id[OA_NAME_MAX + 32], row[OA_NAME_MAX];
	int refresh = r->rt_op == OP_REFRESH;
	int password = r->rt_op == OP_PASSWORD;

	add_tag(oa, "auth", "Sign-up and login (tokens for the bearer rule).");
	op = oa_obj(oa, item, method);
	snprintf(buf, sizeof(buf), "%s_%s", op_name(r->rt_op), r->rt_table);
	operation_id(oa, buf, id, sizeof(id));
	oa_str(oa, op, "operationId", id);
	oa_pushstr(oa, oa_arr(oa, op, "tags"), "auth");
	snprintf(buf, sizeof(buf), op_summary(r->rt_op, 0), r->rt_table);
	oa_str(oa, op, "summary", buf);
	if (strstr(r->rt_path, "{id}") != NULL) {
		p = oa_push(
		    oa, oa_arr(oa, op, "parameters"), json_object_new_object());
		oa_str(oa, p, "name", "id");
		oa_str(oa, p, "in", "path");
		oa_bool(oa, p, "required", 1);
		p = oa_obj(oa, p, "schema");
		oa_str(oa, p, "type", "string");
		oa_str(oa, p, "format", "uuid");
	}
	if (refresh || password) {
		body = oa_obj(oa, op, "requestBody");
		oa_bool(oa, body, "required", 1);
		oa_put(oa,
		    oa_obj(oa, oa_obj(oa, body, "content"), "application/json"),
		    "schema",
		    refresh ? strings_schema(oa, refresh_keys, 1)
		            : strings_schema(oa, password_keys, 2));
	}
	resps = oa_obj(oa, op, "responses");
	row_schema_name(r->rt_table, row, sizeof(row));
	if (refresh)
		json_response(oa, resps, "200", "New tokens.",
		    oa_ref(oa, "schemas", "TokenResponse"));
	else if (r->rt_op == OP_ME) {
		if (catalog_table(oa->oa_rs->rs_catalog, r->rt_table) != NULL) {
			add_row_schema(oa, r->rt_table);
			json_response(oa, resps, "200", "The caller's row.",
			    oa_ref(oa, "schemas", row));
		} else
			oa_str(oa, oa_obj(oa, resps, "200"), "description",
			    "The caller's row.");
	} else if (r->rt_op == OP_SESSIONS) {
		if ((list = json_object_new_object()) == NULL)
			oa->oa_err = 1;
		oa_str(oa, list, "type", "array");
		oa_str(oa, oa_obj(oa, list, "items"), "type", "object");
		json_response(oa, resps, "200",
		    "id, created_at, last_used_at, expires_at, user_agent, "
		    "client_addr, current.",
		    list);
	} else
		oa_str(oa, oa_obj(oa, resps, "204"), "description", "Done.");
	if (refresh || password)
		ref_response(oa, resps, "400", "BadRequest");
	ref_response(oa, resps, "401", "Unauthorized");
	if (password)
		ref_response(oa, resps, "403", "Forbidden");
	if (r->rt_op == OP_SESSION_REVOKE)
		ref_response(oa, resps, "404", "NotFound");
	if (password)
		ref_response(oa, resps, "429", "TooManyRequests");
	ref_response(oa, resps, "503", "Unavailable");
	ref_response(oa, resps, "default", "Error");
	sec = oa_arr(oa, op, "security");
	if (!refresh)
		oa_arr(oa, oa_push(oa, sec, json_object_new_object()),
		    "bearerAuth");
}

static void
add_paths(struct oa *oa, struct json_object *paths)
{
	const struct routes *rs = oa->oa_rs;
	struct json_object *item;
	char key[ROUTE_PATH_MAX + 64], names[OA_MAX_PARAMS][ROUTE_NAME_MAX];
	const char *m;
	size_t i, nnames;

	for (i = 0; i < rs->rs_n; i++) {
		const struct route *r = &rs->rs_list[i];
		if (path_key(r->rt_path, key, sizeof(key), names, &nnames) ==
		    -1)
			continue;
		if (!json_object_object_get_ex(paths, key, &item))
			item = oa_obj(oa, paths, key);
		if (r->rt_kind == RT_AUTH) {
			m = strcmp(r->rt_method, "GET") == 0      ? "get"
			    : strcmp(r->rt_method, "DELETE") == 0 ? "delete"
			                                          : "post";
			/* A repeat is shadowed by the first. */
			if (has_key(item, m))
				continue;
			if (r->rt_op == OP_SIGNUP || r->rt_op == OP_LOGIN)
				add_auth_op(oa, item, r);
			else
				add_auth_session_op(oa, item, r, m);
			continue;
		}
		m = strcmp(r->rt_method, "GET") == 0      ? "get"
		    : strcmp(r->rt_method, "POST") == 0   ? "post"
		    : strcmp(r->rt_method, "PUT") == 0    ? "put"
		    : strcmp(r->rt_method, "PATCH") == 0  ? "patch"
		    : strcmp(r->rt_method, "DELETE") == 0 ? "delete"
		                                          : NULL;
		/* routes_match() serves the first route of a method. */
		if (m == NULL || has_key(item, m))
			continue;
		add_data_op(oa, item, m, r, names, nnames);
	}
}

int
openapi_build(const struct routes *rs, const char *server_url, struct buf *out)
{
	struct oa oa;
	struct json_object *root, *info, *srv, *comp;
	const char *s;
	size_t len;
	int rv = -1;

	memset(&oa, 0, sizeof(oa));
	oa.oa_rs = rs;
	if ((root = json_object_new_object()) == NULL)
		return -1;
	oa.oa_tagset = json_object_new_object();
	oa.oa_opids = json_object_new_object();
	if (oa.oa_tagset == NULL || oa.oa_opids == NULL)
		goto fail;

	oa_str(&oa, root, "openapi", OPENAPI_VERSION);
	info = oa_obj(&oa, root, "info");
	oa_str(&oa, info, "title", "Postern");
	oa_str(&oa, info, "version", POSTERN_VERSION);
	oa_str(&oa, info, "description",
	    "The live endpoints of this Postern gateway.  List endpoints take "
	    "PostgREST's grammar: select=, <column>=<op>.<value> filters, "
	    "order=, limit=, offset=.  A path serves only the methods listed; "
	    "another method gets 405 with Allow.  Every error body is the "
	    "Error schema.");
	/*
	 * Without a URL, "/" said explicitly: it is what OpenAPI assumes when
	 * servers is absent (relative to where the document was fetched), and
	 * tools that insist on a servers entry get one.
	 */
	srv = oa_push(
	    &oa, oa_arr(&oa, root, "servers"), json_object_new_object());
	oa_str(&oa, srv, "url", server_url != NULL ? server_url : "/");
	oa.oa_tags = oa_arr(&oa, root, "tags");
	/*
	 * The operations add the tables' schemas as they meet them, so the
	 * components exist first but are attached after the paths, the
	 * order a reader wants.
	 */
	if ((comp = json_object_new_object()) == NULL)
		goto fail;
	add_components(&oa, comp);
	add_paths(&oa, oa_obj(&oa, root, "paths"));
	oa_put(&oa, root, "components", comp);
	if (oa.oa_err)
		goto fail;
	if ((s = json_object_to_json_string_length(root,
	         JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	         &len)) == NULL)
		goto fail;
	if (buf_add(out, s, len) == -1)
		goto fail;
	rv = 0;
fail:
	json_object_put(oa.oa_tagset);
	json_object_put(oa.oa_opids);
	json_object_put(root);
	return rv;
}
