#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "common/buf.h"
#include "gateway/catalog.h"
#include "gateway/openapi.h"
#include "gateway/routes.h"

static void
col(struct catalog *ca, const char *table, const char *name, const char *type,
    const char *typname, int notnull, int hasdef, int pk, int array)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	strncpy(c.co_name, name, sizeof(c.co_name) - 1);
	strncpy(c.co_type, type, sizeof(c.co_type) - 1);
	strncpy(c.co_typname, typname, sizeof(c.co_typname) - 1);
	c.co_kind = col_kind_from_typname(typname);
	c.co_notnull = notnull;
	c.co_hasdef = hasdef;
	c.co_pk = pk;
	c.co_array = array;
	cr_assert_eq(catalog_add(ca, table, &c), 0, "column %s", name);
}

static void
row(struct routes *rs, long id, const char *kind, const char *method,
    const char *path, const char *table, const char *op, const char *auth,
    const char *owner, const char *ops)
{
	const char *why = NULL;

	cr_assert_eq(routes_add_row(rs, id, kind, method, path, table, op, auth,
	                 owner, ops, &why),
	    0, "route %ld: %s", id, why ? why : "");
}

/* The demo of deploy/demo.sql plus a public table of every kind. */
static struct routes *
demo(void)
{
	struct routes *rs = routes_new();
	struct catalog *ca;

	cr_assert_not_null(rs);
	cr_assert_not_null(ca = calloc(1, sizeof(*ca)));
	rs->rs_catalog = ca;

	col(ca, "users", "id", "bigint", "int8", 1, 1, 1, 0);
	col(ca, "users", "email", "text", "text", 1, 0, 0, 0);
	col(ca, "users", "name", "text", "text", 0, 0, 0, 0);
	col(ca, "users", "created_at", "timestamp with time zone",
	    "timestamptz", 1, 1, 0, 0);

	col(ca, "table_1", "id", "bigint", "int8", 1, 1, 1, 0);
	col(ca, "table_1", "title", "text", "text", 1, 0, 0, 0);
	col(ca, "table_1", "done", "boolean", "bool", 1, 1, 0, 0);
	col(ca, "table_1", "priority", "integer", "int4", 0, 0, 0, 0);
	col(ca, "table_1", "created_at", "timestamp with time zone",
	    "timestamptz", 1, 1, 0, 0);

	col(ca, "notes", "id", "bigint", "int8", 1, 1, 1, 0);
	col(ca, "notes", "owner_id", "bigint", "int8", 1, 0, 0, 0);
	col(ca, "notes", "title", "text", "text", 1, 0, 0, 0);
	col(ca, "notes", "body", "text", "text", 0, 0, 0, 0);

	col(ca, "kinds", "k", "uuid", "uuid", 1, 1, 1, 0);
	col(ca, "kinds", "i2", "smallint", "int2", 0, 0, 0, 0);
	col(ca, "kinds", "i4", "integer", "int4", 0, 0, 0, 0);
	col(ca, "kinds", "i8", "bigint", "int8", 0, 0, 0, 0);
	col(ca, "kinds", "num", "numeric(10,2)", "numeric", 0, 0, 0, 0);
	col(ca, "kinds", "f4", "real", "float4", 0, 0, 0, 0);
	col(ca, "kinds", "f8", "double precision", "float8", 0, 0, 0, 0);
	col(ca, "kinds", "b", "boolean", "bool", 0, 0, 0, 0);
	col(ca, "kinds", "t", "character varying(20)", "varchar", 1, 0, 0, 0);
	col(ca, "kinds", "tstz", "timestamp with time zone", "timestamptz", 0,
	    0, 0, 0);
	col(ca, "kinds", "ts", "timestamp without time zone", "timestamp", 0, 0,
	    0, 0);
	col(ca, "kinds", "d", "date", "date", 0, 0, 0, 0);
	col(ca, "kinds", "tm", "time without time zone", "time", 0, 0, 0, 0);
	col(ca, "kinds", "j", "jsonb", "jsonb", 0, 0, 0, 0);
	col(ca, "kinds", "jn", "json", "json", 1, 1, 0, 0);
	col(ca, "kinds", "js", "jsonb[]", "jsonb", 0, 0, 0, 1);
	col(ca, "kinds", "rng", "int4range", "int4range", 0, 0, 0, 0);
	col(ca, "kinds", "tsv", "tsvector", "tsvector", 0, 0, 0, 0);
	col(ca, "kinds", "tags", "text[]", "text", 0, 0, 0, 1);
	col(ca, "kinds", "ints", "integer[]", "int4", 1, 0, 0, 1);
	col(ca, "kinds", "inet", "inet", "inet", 0, 0, 0, 0);
	col(ca, "kinds", "we\"ird", "text", "text", 0, 0, 0, 0);
	col(ca, "kinds", "sp ace\\/\n", "text", "text", 0, 0, 0, 0);
	col(ca, "kinds", "limit", "integer", "int4", 0, 0, 0, 0);

	row(rs, 1, "auth", NULL, "/auth", "users", NULL, "none", "",
	    "signup,login");
	row(rs, 2, "data", "GET", "/table_1", "table_1", "list", "bearer", "",
	    "");
	row(rs, 3, "data", "GET", "/table_1/{id}", "table_1", "get", "bearer",
	    "", "");
	row(rs, 4, "data", "POST", "/table_1", "table_1", "create", "bearer",
	    "", "");
	row(rs, 5, "data", "PATCH", "/table_1/{id}", "table_1", "update",
	    "bearer", "", "");
	row(rs, 6, "data", "DELETE", "/table_1/{id}", "table_1", "delete",
	    "bearer", "", "");
	row(rs, 7, "data", "GET", "/notes", "notes", "list", "bearer:users",
	    "owner_id", "");
	row(rs, 8, "data", "POST", "/notes", "notes", "create", "bearer:users",
	    "owner_id", "");
	row(rs, 9, "data", "PATCH", "/notes/{id}", "notes", "update",
	    "bearer:users", "owner_id", "");
	row(rs, 10, "data", "GET", "/kinds", "kinds", "list", "none", "", "");
	row(rs, 11, "data", "POST", "/kinds", "kinds", "create", "none", "",
	    "");
	return rs;
}

static struct json_object *
build(const struct routes *rs, const char *url)
{
	struct json_object *doc;
	struct json_tokener *tok;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(openapi_build(rs, url, &b), 0);
	cr_assert_not_null(b.b_data);
	cr_assert_eq(strlen(b.b_data), b.b_len, "no NUL inside");
	cr_assert_not_null(tok = json_tokener_new());
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, b.b_data, (int)b.b_len);
	cr_assert_not_null(doc, "invalid JSON: %s",
	    json_tokener_error_desc(json_tokener_get_error(tok)));
	cr_assert_eq(
	    json_tokener_get_parse_end(tok), b.b_len, "trailing bytes");
	json_tokener_free(tok);
	buf_free(&b);
	return doc;
}

/* Follows a path of keys; NULL if any is missing. */
static struct json_object *
at(struct json_object *o, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, o);
	while (o != NULL && (k = va_arg(ap, const char *)) != NULL)
		if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	va_end(ap);
	return o;
}

static const char *
str_at(struct json_object *o, const char *key)
{
	struct json_object *v = at(o, key, NULL);

	return v != NULL && json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : NULL;
}

static int
array_has(struct json_object *a, const char *s)
{
	size_t i;

	if (a == NULL || !json_object_is_type(a, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++)
		if (strcmp(
		        json_object_get_string(json_object_array_get_idx(a, i)),
		        s) == 0)
			return 1;
	return 0;
}

/* Resolves "#/a/b" in doc (our names need no ~ escapes). */
static struct json_object *
resolve(struct json_object *doc, const char *ref)
{
	char tmp[256], *p, *save = NULL;
	struct json_object *o = doc;

	if (strncmp(ref, "#/", 2) != 0 || strlen(ref) >= sizeof(tmp))
		return NULL;
	strcpy(tmp, ref + 2);
	for (p = strtok_r(tmp, "/", &save); p != NULL && o != NULL;
	     p = strtok_r(NULL, "/", &save))
		if (!json_object_object_get_ex(o, p, &o))
			o = NULL;
	return o;
}

/* Every $ref resolves; every operationId is unique.  Returns #refs. */
static size_t
walk(struct json_object *doc, struct json_object *o, struct json_object *ids)
{
	size_t n = 0, i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			n += walk(doc, json_object_array_get_idx(o, i), ids);
		return n;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "$ref") == 0) {
			cr_assert_not_null(
			    resolve(doc, json_object_get_string(v)),
			    "dangling %s", json_object_get_string(v));
			n++;
		} else if (strcmp(k, "operationId") == 0 &&
		           json_object_is_type(v, json_type_string)) {
			cr_assert_not(json_object_object_get_ex(
			                  ids, json_object_get_string(v), NULL),
			    "duplicate operationId %s",
			    json_object_get_string(v));
			json_object_object_add(
			    ids, json_object_get_string(v), NULL);
		}
		n += walk(doc, v, ids);
	}
	return n;
}

static struct json_object *
find_param(struct json_object *op, const char *name, const char *in)
{
	struct json_object *ps = at(op, "parameters", NULL);
	size_t i;

	for (i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		if (str_at(p, "name") != NULL &&
		    strcmp(str_at(p, "name"), name) == 0 &&
		    strcmp(str_at(p, "in"), in) == 0)
			return p;
	}
	return NULL;
}

static int
count_params(struct json_object *op, const char *name, const char *in)
{
	struct json_object *ps = at(op, "parameters", NULL);
	size_t i;
	int n = 0;

	for (i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		if (str_at(p, "name") != NULL &&
		    strcmp(str_at(p, "name"), name) == 0 &&
		    strcmp(str_at(p, "in"), in) == 0)
			n++;
	}
	return n;
}

static int
count_refs(struct json_object *op, const char *ref)
{
	struct json_object *ps = at(op, "parameters", NULL);
	size_t i;
	int n = 0;

	for (i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
		const char *r =
		    str_at(json_object_array_get_idx(ps, i), "$ref");
		if (r != NULL && strcmp(r, ref) == 0)
			n++;
	}
	return n;
}

Test(openapi, header_and_servers)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, "https://api.example.com"), *s;

	cr_assert_str_eq(str_at(doc, "openapi"), "3.0.3");
	cr_assert_str_eq(str_at(at(doc, "info", NULL), "title"), "Postern");
	cr_assert_not_null(str_at(at(doc, "info", NULL), "version"));
	s = at(doc, "servers", NULL);
	cr_assert_eq(json_object_array_length(s), 1);
	cr_assert_str_eq(str_at(json_object_array_get_idx(s, 0), "url"),
	    "https://api.example.com");
	s = at(doc, "components", "securitySchemes", "bearerAuth", NULL);
	cr_assert_str_eq(str_at(s, "type"), "http");
	cr_assert_str_eq(str_at(s, "scheme"), "bearer");
	cr_assert_str_eq(str_at(s, "bearerFormat"), "JWT");
	json_object_put(doc);

	/* Without a URL: "/", OpenAPI's default, said explicitly. */
	doc = build(rs, NULL);
	s = at(doc, "servers", NULL);
	cr_assert_eq(json_object_array_length(s), 1);
	cr_assert_str_eq(str_at(json_object_array_get_idx(s, 0), "url"), "/");
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, paths_and_methods)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *p, *ids;

	p = at(doc, "paths", "/table_1", NULL);
	cr_assert_not_null(at(p, "get", NULL));
	cr_assert_not_null(at(p, "post", NULL));
	/* The collection forms implied by the /{id} update and delete. */
	cr_assert_not_null(at(p, "patch", NULL));
	cr_assert_not_null(at(p, "delete", NULL));
	cr_assert_null(at(p, "put", NULL));
	p = at(doc, "paths", "/table_1/{id}", NULL);
	cr_assert_not_null(at(p, "get", NULL));
	cr_assert_not_null(at(p, "patch", NULL));
	cr_assert_not_null(at(p, "delete", NULL));
	cr_assert_null(at(p, "post", NULL));
	p = at(doc, "paths", "/notes/{id}", NULL);
	cr_assert_not_null(at(p, "patch", NULL));
	cr_assert_null(at(p, "get", NULL));
	cr_assert_not_null(at(doc, "paths", "/auth/signup", "post", NULL));
	cr_assert_not_null(at(doc, "paths", "/auth/login", "post", NULL));

	/* Path order follows the routes. */
	{
		const char *want[] = {"/auth/signup", "/auth/login", "/table_1",
		    "/table_1/{id}", "/notes", "/notes/{id}", "/kinds"};
		size_t i = 0;
		json_object_object_foreach(at(doc, "paths", NULL), k, v) {
			(void)v;
			cr_assert_lt(i, sizeof(want) / sizeof(want[0]));
			cr_assert_str_eq(k, want[i]);
			i++;
		}
		cr_assert_eq(i, sizeof(want) / sizeof(want[0]));
	}

	cr_assert_not_null(ids = json_object_new_object());
	cr_assert_gt(walk(doc, doc, ids), 20);
	cr_assert(json_object_object_get_ex(ids, "list_table_1", NULL));
	cr_assert(json_object_object_get_ex(ids, "update_table_1", NULL));
	cr_assert(
	    json_object_object_get_ex(ids, "update_table_1_filtered", NULL));
	cr_assert(json_object_object_get_ex(ids, "signup_users", NULL));
	json_object_put(ids);
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, parameters)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *op, *p;

	op = at(doc, "paths", "/table_1/{id}", "get", NULL);
	p = find_param(op, "id", "path");
	cr_assert_not_null(p);
	cr_assert(json_object_get_boolean(at(p, "required", NULL)));
	cr_assert_str_eq(str_at(at(p, "schema", NULL), "type"), "integer");
	cr_assert_str_eq(str_at(at(p, "schema", NULL), "format"), "int64");
	cr_assert_null(find_param(op, "title", "query"), "no filters on get");

	op = at(doc, "paths", "/table_1", "get", NULL);
	cr_assert_null(find_param(op, "id", "path"));
	cr_assert_not_null(find_param(op, "title", "query"));
	cr_assert_not_null(find_param(op, "done", "query"));
	cr_assert(strstr(str_at(find_param(op, "done", "query"), "description"),
	              "eq.5") != NULL);
	/* The grammar's own parameters are references. */
	{
		struct json_object *ps = at(op, "parameters", NULL);
		int refs = 0;
		size_t i;
		for (i = 0; i < json_object_array_length(ps); i++) {
			const char *r =
			    str_at(json_object_array_get_idx(ps, i), "$ref");
			if (r != NULL &&
			    (strcmp(r, "#/components/parameters/select") == 0 ||
			        strcmp(r, "#/components/parameters/order") ==
			            0 ||
			        strcmp(r, "#/components/parameters/limit") ==
			            0 ||
			        strcmp(r, "#/components/parameters/offset") ==
			            0 ||
			        strcmp(
			            r, "#/components/parameters/prefer_list") ==
			            0))
				refs++;
		}
		cr_assert_eq(refs, 5);
	}
	/* One Prefer parameter per operation kind, naming what it honours. */
	p = at(doc, "components", "parameters", "prefer_list", NULL);
	cr_assert_str_eq(str_at(p, "name"), "Prefer");
	cr_assert_str_eq(str_at(p, "in"), "header");
	cr_assert_not_null(strstr(str_at(p, "description"), "count=exact"));
	cr_assert_null(strstr(str_at(p, "description"), "return="));
	p = at(doc, "components", "parameters", "prefer_create", NULL);
	cr_assert_str_eq(str_at(p, "in"), "header");
	cr_assert_not_null(
	    strstr(str_at(p, "description"), "return=representation"));
	cr_assert_not_null(strstr(str_at(p, "description"), "return=minimal"));
	cr_assert_not_null(
	    strstr(str_at(p, "description"), "resolution=merge-duplicates"));
	cr_assert_not_null(strstr(str_at(p, "description"), "missing=default"));
	cr_assert_null(strstr(str_at(p, "description"), "count=planned"));
	cr_assert_not_null(
	    at(doc, "components", "parameters", "prefer_update", NULL));
	cr_assert_not_null(
	    at(doc, "components", "parameters", "prefer_delete", NULL));
	/* get honours only what every operation does (tx, handling). */
	p = at(doc, "components", "parameters", "prefer_get", NULL);
	cr_assert_not_null(strstr(str_at(p, "description"), "tx=rollback"));
	cr_assert_null(strstr(str_at(p, "description"), "count="));
	cr_assert_null(strstr(str_at(p, "description"), "return="));
	cr_assert_eq(count_refs(at(doc, "paths", "/table_1/{id}", "get", NULL),
	                 "#/components/parameters/prefer_get"),
	    1);
	cr_assert_eq(count_refs(at(doc, "paths", "/table_1", "post", NULL),
	                 "#/components/parameters/prefer_create"),
	    1);

	/* The filtered PATCH takes filters; the keyed one does not. */
	cr_assert_not_null(find_param(
	    at(doc, "paths", "/table_1", "patch", NULL), "title", "query"));
	cr_assert_null(
	    find_param(at(doc, "paths", "/table_1/{id}", "patch", NULL),
	        "title", "query"));

	/* A column named like a grammar parameter gets no filter. */
	op = at(doc, "paths", "/kinds", "get", NULL);
	cr_assert_eq(count_params(op, "limit", "query"), 0);
	cr_assert_eq(count_params(op, "we\"ird", "query"), 1);
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, security)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *sec, *r;

	sec = at(doc, "paths", "/table_1", "get", "security", NULL);
	cr_assert_eq(json_object_array_length(sec), 1);
	cr_assert_not_null(
	    at(json_object_array_get_idx(sec, 0), "bearerAuth", NULL));
	cr_assert_not_null(
	    at(doc, "paths", "/table_1", "get", "responses", "401", NULL));
	cr_assert_null(
	    at(doc, "paths", "/table_1", "get", "responses", "403", NULL));
	cr_assert_not_null(
	    at(doc, "paths", "/notes", "get", "responses", "403", NULL));

	sec = at(doc, "paths", "/kinds", "get", "security", NULL);
	cr_assert_not_null(sec);
	cr_assert_eq(json_object_array_length(sec), 0);
	cr_assert_null(
	    at(doc, "paths", "/kinds", "get", "responses", "401", NULL));
	sec = at(doc, "paths", "/auth/login", "post", "security", NULL);
	cr_assert_eq(json_object_array_length(sec), 0);

	r = at(doc, "components", "responses", "Unauthorized", "headers",
	    "WWW-Authenticate", NULL);
	cr_assert_not_null(r);
	json_object_put(doc);
	routes_unref(rs);
}

static void
assert_type(struct json_object *props, const char *name, const char *type,
    const char *format)
{
	struct json_object *p = at(props, name, NULL);

	cr_assert_not_null(p, "property %s", name);
	if (type == NULL)
		cr_assert_null(at(p, "type", NULL), "%s has no type", name);
	else
		cr_assert_str_eq(str_at(p, "type"), type, "%s", name);
	if (format == NULL)
		cr_assert_null(at(p, "format", NULL), "%s has no format", name);
	else
		cr_assert_str_eq(str_at(p, "format"), format, "%s", name);
}

/* Any JSON value: anyOf the five JSON types, null on the object one. */
static void
assert_json_any(struct json_object *p)
{
	struct json_object *any = at(p, "anyOf", NULL), *b;
	const char *want[] = {"object", "array", "string", "number", "boolean"};
	size_t i;

	cr_assert_not_null(any);
	cr_assert_null(at(p, "type", NULL));
	cr_assert_eq(json_object_array_length(any), 5);
	for (i = 0; i < 5; i++) {
		b = json_object_array_get_idx(any, i);
		cr_assert_str_eq(str_at(b, "type"), want[i]);
		cr_assert_eq(at(b, "nullable", NULL) != NULL, i == 0);
	}
	b = json_object_array_get_idx(any, 0);
	cr_assert(json_object_get_boolean(at(b, "additionalProperties", NULL)));
	cr_assert_not_null(
	    at(json_object_array_get_idx(any, 1), "items", NULL));
}

Test(openapi, schema_types)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *props, *p;

	props = at(doc, "components", "schemas", "kinds", "properties", NULL);
	cr_assert_not_null(props);
	assert_type(props, "k", "string", "uuid");
	assert_type(props, "i2", "integer", "int32");
	assert_type(props, "i4", "integer", "int32");
	assert_type(props, "i8", "integer", "int64");
	assert_type(props, "num", "number", NULL);
	assert_type(props, "f4", "number", "float");
	assert_type(props, "f8", "number", "double");
	assert_type(props, "b", "boolean", NULL);
	assert_type(props, "t", "string", NULL);
	assert_type(props, "tstz", "string", "date-time");
	assert_type(props, "ts", "string", NULL);
	assert_type(props, "d", "string", "date");
	assert_type(props, "tm", "string", NULL);
	assert_json_any(at(props, "j", NULL));
	assert_json_any(at(props, "jn", NULL));
	cr_assert_null(at(props, "j", "nullable", NULL), "null is in anyOf");
	assert_type(props, "js", "array", NULL);
	cr_assert(json_object_get_boolean(at(props, "js", "nullable", NULL)));
	assert_json_any(at(props, "js", "items", NULL));
	assert_type(props, "rng", "string", NULL);
	assert_type(props, "tsv", "string", NULL);
	assert_type(props, "inet", "string", NULL);
	assert_type(props, "tags", "array", NULL);
	assert_type(at(props, "tags", NULL), "items", "string", NULL);
	assert_type(at(props, "ints", NULL), "items", "integer", "int32");
	assert_type(props, "we\"ird", "string", NULL);
	assert_type(props, "sp ace\\/\n", "string", NULL);

	/* nullable: true exactly on the nullable columns. */
	cr_assert(json_object_get_boolean(at(props, "i2", "nullable", NULL)));
	cr_assert(json_object_get_boolean(at(props, "tags", "nullable", NULL)));
	cr_assert_null(at(props, "t", "nullable", NULL));
	cr_assert_null(at(props, "ints", "nullable", NULL));
	cr_assert_str_eq(
	    str_at(at(props, "num", NULL), "description"), "numeric(10,2)");

	/* The fixed schemas. */
	p = at(doc, "components", "schemas", "Error", NULL);
	cr_assert(array_has(at(p, "required", NULL), "code"));
	cr_assert(array_has(at(p, "required", NULL), "hint"));
	p = at(
	    doc, "components", "schemas", "TokenResponse", "properties", NULL);
	cr_assert_not_null(at(p, "access_token", NULL));
	cr_assert_not_null(at(p, "refresh_token", NULL));
	cr_assert_not_null(at(p, "expires_in", NULL));
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, required_and_bodies)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *s, *req, *one;

	/* Row: not-null without default. */
	req = at(doc, "components", "schemas", "table_1", "required", NULL);
	cr_assert_eq(json_object_array_length(req), 1);
	cr_assert(array_has(req, "title"));
	req = at(doc, "components", "schemas", "kinds", "required", NULL);
	cr_assert(array_has(req, "t"));
	cr_assert(array_has(req, "ints"));
	cr_assert_not(array_has(req, "k"), "has a default");

	/* Input: every column, no other, nothing required by itself. */
	s = at(doc, "components", "schemas", "table_1_input", NULL);
	cr_assert_not_null(s);
	cr_assert_null(at(s, "required", NULL));
	cr_assert_not(
	    json_object_get_boolean(at(s, "additionalProperties", NULL)));
	cr_assert_not_null(at(s, "properties", "done", NULL));

	/* Create: object or array; what it requires. */
	one = at(doc, "paths", "/table_1", "post", "requestBody", "content",
	    "application/json", "schema", "oneOf", NULL);
	cr_assert_eq(json_object_array_length(one), 2);
	s = json_object_array_get_idx(one, 0);
	cr_assert(
	    array_has(at(json_object_array_get_idx(at(s, "allOf", NULL), 1),
	                  "required", NULL),
	        "title"));
	cr_assert_str_eq(
	    str_at(json_object_array_get_idx(one, 1), "type"), "array");
	cr_assert_not_null(
	    at(doc, "paths", "/table_1", "post", "responses", "201", NULL));
	cr_assert_not_null(at(doc, "paths", "/table_1", "post", "responses",
	    "201", "headers", "Location", NULL));

	/* The owner rule takes owner_id off the create's list. */
	one = at(doc, "paths", "/notes", "post", "requestBody", "content",
	    "application/json", "schema", "oneOf", NULL);
	req = at(json_object_array_get_idx(
	             at(json_object_array_get_idx(one, 0), "allOf", NULL), 1),
	    "required", NULL);
	cr_assert(array_has(req, "title"));
	cr_assert_not(array_has(req, "owner_id"));
	cr_assert(array_has(
	    at(doc, "components", "schemas", "notes", "required", NULL),
	    "owner_id"));

	/* Update: the input schema as is. */
	cr_assert_str_eq(
	    str_at(at(doc, "paths", "/table_1/{id}", "patch", "requestBody",
	               "content", "application/json", "schema", NULL),
	        "$ref"),
	    "#/components/schemas/table_1_input");
	cr_assert_not_null(at(
	    doc, "paths", "/table_1/{id}", "patch", "responses", "404", NULL));
	cr_assert_not_null(at(
	    doc, "paths", "/table_1/{id}", "delete", "responses", "204", NULL));
	cr_assert_null(
	    at(doc, "paths", "/table_1", "delete", "responses", "404", NULL));
	cr_assert_not_null(at(doc, "paths", "/table_1", "get", "responses",
	    "200", "content", "application/vnd.pgrst.object+json", NULL));
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, auth_routes)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *op, *s;

	op = at(doc, "paths", "/auth/signup", "post", NULL);
	cr_assert(array_has(at(op, "tags", NULL), "auth"));
	s = at(
	    op, "requestBody", "content", "application/json", "schema", NULL);
	cr_assert(array_has(at(s, "required", NULL), "email"));
	cr_assert(array_has(at(s, "required", NULL), "password"));
	cr_assert_not_null(at(s, "properties", "name", NULL));
	cr_assert_null(at(s, "properties", "id", NULL), "id is the server's");
	cr_assert_not_null(at(op, "responses", "201", NULL));
	cr_assert_not_null(at(op, "responses", "409", NULL));
	s = at(op, "responses", "201", "content", "application/json", "schema",
	    "allOf", NULL);
	cr_assert_str_eq(str_at(json_object_array_get_idx(s, 0), "$ref"),
	    "#/components/schemas/TokenResponse");
	cr_assert_str_eq(str_at(at(json_object_array_get_idx(s, 1),
	                            "properties", "user", NULL),
	                     "$ref"),
	    "#/components/schemas/users");

	op = at(doc, "paths", "/auth/login", "post", NULL);
	s = at(
	    op, "requestBody", "content", "application/json", "schema", NULL);
	cr_assert_null(at(s, "properties", "name", NULL));
	cr_assert_not_null(at(op, "responses", "200", NULL));
	cr_assert_not_null(at(op, "responses", "401", NULL));
	cr_assert_not_null(at(op, "responses", "429", NULL));
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, deterministic_and_appends)
{
	struct routes *rs = demo();
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "prefix:"), 0);
	cr_assert_eq(openapi_build(rs, NULL, &a), 0);
	cr_assert_eq(openapi_build(rs, NULL, &b), 0);
	cr_assert_eq(b.b_len, a.b_len + 7);
	cr_assert_eq(memcmp(b.b_data, "prefix:", 7), 0);
	cr_assert_eq(memcmp(b.b_data + 7, a.b_data, a.b_len), 0);
	cr_assert_not_null(
	    strstr(a.b_data, "\"/table_1\""), "no escaped slashes");
	buf_free(&a);
	buf_free(&b);
	routes_unref(rs);
}

Test(openapi, empty_and_without_catalog)
{
	struct routes *rs = routes_new();
	struct json_object *doc, *s;

	cr_assert_not_null(rs);
	doc = build(rs, NULL);
	cr_assert_eq(json_object_object_length(at(doc, "paths", NULL)), 0);
	cr_assert_not_null(at(doc, "components", "schemas", "Error", NULL));
	json_object_put(doc);

	/* A route whose table the catalog lacks: generic objects. */
	row(rs, 1, "data", "GET", "/gone/{id}", "gone", "get", "none", "", "");
	row(rs, 2, "data", "POST", "/gone", "gone", "create", "none", "", "");
	row(rs, 3, "auth", NULL, "/a", "nobody", NULL, "none", "", "signup");
	doc = build(rs, NULL);
	s = at(doc, "components", "schemas", "gone", NULL);
	cr_assert_str_eq(str_at(s, "type"), "object");
	cr_assert_str_eq(
	    str_at(at(find_param(at(doc, "paths", "/gone/{id}", "get", NULL),
	                  "id", "path"),
	               "schema", NULL),
	        "type"),
	    "string");
	cr_assert(json_object_get_boolean(at(doc, "components", "schemas",
	    "gone_input", "additionalProperties", NULL)));
	cr_assert_str_eq(
	    str_at(at(doc, "paths", "/a/signup", "post", "responses", "201",
	               "content", "application/json", "schema", NULL),
	        "$ref"),
	    "#/components/schemas/TokenResponse");
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, name_collisions_and_odd_paths)
{
	struct routes *rs = routes_new();
	struct json_object *doc, *ids, *p;

	cr_assert_not_null(rs);
	cr_assert_not_null(rs->rs_catalog = calloc(1, sizeof(*rs->rs_catalog)));
	col(rs->rs_catalog, "Error", "id", "integer", "int4", 1, 1, 1, 0);
	col(rs->rs_catalog, "t", "id", "integer", "int4", 1, 1, 1, 0);
	col(rs->rs_catalog, "t_input", "x", "text", "text", 0, 0, 0, 0);
	row(rs, 1, "data", "GET", "/Error", "Error", "list", "none", "", "");
	row(rs, 2, "data", "PATCH", "/t/{id}", "t", "update", "none", "", "");
	row(rs, 3, "data", "POST", "/ti", "t_input", "create", "none", "", "");
	/* Same method and path again: the first one is served. */
	row(rs, 4, "data", "GET", "/Error", "t", "list", "bearer", "", "");
	/* Same table and op on another path: a distinct operationId. */
	row(rs, 5, "data", "GET", "/t2", "t", "list", "none", "", "");
	row(rs, 6, "data", "GET", "/t3", "t", "list", "none", "", "");
	/* Odd templates, and a literal brace OpenAPI cannot say. */
	row(rs, 7, "data", "GET", "/x/{}", "t", "get", "none", "", "");
	row(rs, 8, "data", "GET", "/y/{a}/{a}", "t", "get", "none", "", "");
	row(rs, 9, "data", "GET", "/z/a{b", "t", "get", "none", "", "");
	doc = build(rs, NULL);

	cr_assert_not_null(
	    at(doc, "components", "schemas", "Error", "required", NULL));
	cr_assert_not_null(at(doc, "components", "schemas", "table.Error",
	    "properties", "id", NULL));
	cr_assert_not_null(at(doc, "components", "schemas", "t.input", NULL));
	cr_assert_not_null(at(
	    doc, "components", "schemas", "t_input", "properties", "x", NULL));
	cr_assert_not_null(
	    at(doc, "components", "schemas", "t_input_input", NULL));
	cr_assert_str_eq(
	    str_at(at(doc, "paths", "/t/{id}", "patch", "requestBody",
	               "content", "application/json", "schema", NULL),
	        "$ref"),
	    "#/components/schemas/t.input");
	/* The first GET /Error is the public one. */
	cr_assert_eq(json_object_array_length(
	                 at(doc, "paths", "/Error", "get", "security", NULL)),
	    0);

	cr_assert_not_null(ids = json_object_new_object());
	walk(doc, doc, ids);
	cr_assert(json_object_object_get_ex(ids, "list_t", NULL));
	cr_assert(json_object_object_get_ex(ids, "list_t_2", NULL));
	cr_assert(json_object_object_get_ex(ids, "get_t", NULL));
	json_object_put(ids);

	cr_assert_not_null(p = at(doc, "paths", "/x/{p1}", "get", NULL));
	cr_assert_not_null(find_param(p, "p1", "path"));
	cr_assert_not_null(p = at(doc, "paths", "/y/{a}/{p2}", "get", NULL));
	cr_assert_not_null(find_param(p, "a", "path"));
	cr_assert_str_eq(
	    str_at(at(find_param(p, "p2", "path"), "schema", NULL), "type"),
	    "integer");
	cr_assert_null(at(doc, "paths", "/z/a{b", NULL));
	json_object_put(doc);
	routes_unref(rs);
}

/*
 * What OpenAPI 3.0.3 and the linters ask of every schema in the document:
 * nullable only beside a type, items beside type array; and every column
 * (a property) has a type, or is anyOf schemas that each have one.
 */
static void
check_schemas(struct json_object *o, const char *where)
{
	struct json_object *v, *any;
	size_t i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			check_schemas(json_object_array_get_idx(o, i), where);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	if (at(o, "nullable", NULL) != NULL)
		cr_assert_not_null(
		    at(o, "type", NULL), "nullable without type in %s", where);
	if (str_at(o, "type") != NULL &&
	    strcmp(str_at(o, "type"), "array") == 0)
		cr_assert_not_null(
		    at(o, "items", NULL), "array without items in %s", where);
	if ((v = at(o, "properties", NULL)) != NULL &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, name, p) {
			if (at(p, "type", NULL) != NULL ||
			    at(p, "$ref", NULL) != NULL)
				continue;
			any = at(p, "anyOf", NULL);
			cr_assert_not_null(
			    any, "property %s in %s has no type", name, where);
			for (i = 0; i < json_object_array_length(any); i++)
				cr_assert_not_null(
				    at(json_object_array_get_idx(any, i),
				        "type", NULL),
				    "anyOf of %s in %s", name, where);
		}
	}
	json_object_object_foreach(o, k, child) {
		(void)k;
		check_schemas(child, where);
	}
}

Test(openapi, every_schema_typed)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL);

	check_schemas(at(doc, "components", NULL), "components");
	check_schemas(at(doc, "paths", NULL), "paths");
	json_object_put(doc);
	routes_unref(rs);
}

/* A success answer's schema under one media type. */
static struct json_object *
answer(struct json_object *doc, const char *path, const char *method,
    const char *status, const char *media)
{
	return at(doc, "paths", path, method, "responses", status, "content",
	    media, "schema", NULL);
}

#define OBJ "application/vnd.pgrst.object+json"

Test(openapi, answers_per_media_type)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *s;

	/* A list is an array of rows; with the object media type one row. */
	s = answer(doc, "/table_1", "get", "200", "application/json");
	cr_assert_str_eq(str_at(s, "type"), "array");
	cr_assert_str_eq(str_at(at(s, "items", NULL), "$ref"),
	    "#/components/schemas/table_1");
	s = answer(doc, "/table_1", "get", "200", OBJ);
	cr_assert_str_eq(str_at(s, "$ref"), "#/components/schemas/table_1");
	cr_assert_not_null(at(doc, "paths", "/table_1", "get", "responses",
	    "200", "headers", "Content-Range", NULL));

	/* get: one row either way. */
	s = answer(doc, "/table_1/{id}", "get", "200", "application/json");
	cr_assert_str_eq(str_at(s, "$ref"), "#/components/schemas/table_1");
	s = answer(doc, "/table_1/{id}", "get", "200", OBJ);
	cr_assert_str_eq(str_at(s, "$ref"), "#/components/schemas/table_1");

	/* create: object or array; keyed update too; the collection forms
	 * answer arrays. */
	s = answer(doc, "/table_1", "post", "201", "application/json");
	cr_assert_eq(json_object_array_length(at(s, "oneOf", NULL)), 2);
	cr_assert_str_eq(
	    str_at(answer(doc, "/table_1", "post", "201", OBJ), "$ref"),
	    "#/components/schemas/table_1");
	s = answer(doc, "/table_1/{id}", "patch", "200", "application/json");
	cr_assert_eq(json_object_array_length(at(s, "oneOf", NULL)), 2);
	s = answer(doc, "/table_1", "patch", "200", "application/json");
	cr_assert_str_eq(str_at(s, "type"), "array");
	s = answer(doc, "/table_1", "delete", "200", "application/json");
	cr_assert_str_eq(str_at(s, "type"), "array");
	s = answer(doc, "/table_1/{id}", "delete", "200", OBJ);
	cr_assert_str_eq(str_at(s, "$ref"), "#/components/schemas/table_1");
	/* A list: JSON, one object, and vnd.pgrst.array+json. */
	cr_assert_eq(json_object_object_length(at(doc, "paths", "/table_1",
	                 "get", "responses", "200", "content", NULL)),
	    3);
	s = answer(
	    doc, "/table_1", "get", "200", "application/vnd.pgrst.array+json");
	cr_assert_str_eq(str_at(s, "type"), "array");
	json_object_put(doc);
	routes_unref(rs);
}

/* What redocly's recommended rules would otherwise warn about. */
Test(openapi, lint_clean_shape)
{
	struct routes *rs = demo();
	struct json_object *doc = build(rs, NULL), *tags, *s;
	size_t i;

	/* Every tag has a description. */
	tags = at(doc, "tags", NULL);
	cr_assert_gt(json_object_array_length(tags), 1);
	for (i = 0; i < json_object_array_length(tags); i++)
		cr_assert_not_null(
		    str_at(json_object_array_get_idx(tags, i), "description"));

	/* The auth table's row is described, its input (unused) is not. */
	cr_assert_not_null(at(doc, "components", "schemas", "users", NULL));
	cr_assert_null(at(doc, "components", "schemas", "users_input", NULL));

	/* A create's required column is defined beside its "required". */
	s = at(doc, "paths", "/table_1", "post", "requestBody", "content",
	    "application/json", "schema", "oneOf", NULL);
	s = json_object_array_get_idx(
	    at(json_object_array_get_idx(s, 0), "allOf", NULL), 1);
	cr_assert(array_has(at(s, "required", NULL), "title"));
	cr_assert_str_eq(
	    str_at(at(s, "properties", "title", NULL), "type"), "string");
	json_object_put(doc);
	routes_unref(rs);
}

/*
 * Composite and enum columns (catalog_set_extra, as the catalog load
 * gives them) and PUT: a composite is an object of its attributes, an
 * array of composites an array of objects, an enum a string among its
 * labels; PUT requires every column but the generated one.
 */
static struct routes *
places(void)
{
	struct routes *rs = routes_new();
	struct catalog *ca;

	cr_assert_not_null(rs);
	cr_assert_not_null(ca = calloc(1, sizeof(*ca)));
	rs->rs_catalog = ca;
	col(ca, "places", "id", "bigint", "int8", 1, 0, 1, 0);
	col(ca, "places", "title", "text", "text", 1, 0, 0, 0);
	col(ca, "places", "loc", "address", "address", 0, 0, 0, 0);
	col(ca, "places", "stops", "address[]", "address", 1, 0, 0, 1);
	col(ca, "places", "mood", "mood", "mood", 0, 0, 0, 0);
	col(ca, "places", "shout", "text", "text", 0, 1, 0, 0);
	col(ca, "places", "odd", "oddtype", "oddtype", 0, 0, 0, 0);
	cr_assert_eq(catalog_set_extra(ca, "places", "loc", 0, 'c', "address",
	                 "[[\"street\",\"text\",\"text\",false,\"b\"],"
	                 "[\"zip\",\"integer\",\"int4\",false,\"b\"],"
	                 "[\"tags\",\"text[]\",\"text\",true,\"b\"],"
	                 "[\"geo\",\"point2\",\"point2\",false,\"c\"]]"),
	    0);
	cr_assert_eq(catalog_set_extra(ca, "places", "stops", 0, 'c', "address",
	                 "[[\"street\",\"text\",\"text\",false,\"b\"]]"),
	    0);
	cr_assert_eq(catalog_set_extra(ca, "places", "mood", 0, 'e', "mood",
	                 "[\"happy\",\"sad\"]"),
	    0);
	cr_assert_eq(
	    catalog_set_extra(ca, "places", "shout", 1, 0, "", NULL), 0);
	/* JSON of another shape: no type, the column stays a string. */
	cr_assert_eq(catalog_set_extra(ca, "places", "odd", 0, 'c', "oddtype",
	                 "[[\"a\",\"text\"]]"),
	    0);
	cr_assert_eq(
	    catalog_set_extra(ca, "places", "nope", 0, 0, "", NULL), -1);
	cr_assert_eq(
	    catalog_set_extra(ca, "nowhere", "id", 0, 0, "", NULL), -1);
	row(rs, 1, "data", "GET", "/places", "places", "list", "bearer", "",
	    "");
	row(rs, 2, "data", "PUT", "/places/{id}", "places", "replace", "bearer",
	    "", "");
	return rs;
}

Test(openapi, composite_and_enum_columns)
{
	struct routes *rs = places();
	struct json_object *doc = build(rs, NULL), *props, *p, *e;

	props = at(doc, "components", "schemas", "places", "properties", NULL);
	cr_assert_not_null(props);
	p = at(props, "loc", NULL);
	cr_assert_str_eq(str_at(p, "type"), "object");
	cr_assert(json_object_get_boolean(at(p, "nullable", NULL)));
	assert_type(at(p, "properties", NULL), "street", "string", NULL);
	assert_type(at(p, "properties", NULL), "zip", "integer", "int32");
	assert_type(at(p, "properties", NULL), "tags", "array", NULL);
	assert_type(at(p, "properties", "tags", NULL), "items", "string", NULL);
	/* Attributes may be null; a nested composite is any JSON. */
	cr_assert(json_object_get_boolean(
	    at(p, "properties", "zip", "nullable", NULL)));
	assert_json_any(at(p, "properties", "geo", NULL));

	p = at(props, "stops", NULL);
	cr_assert_str_eq(str_at(p, "type"), "array");
	cr_assert_null(at(p, "nullable", NULL));
	cr_assert_str_eq(str_at(at(p, "items", NULL), "type"), "object");
	assert_type(
	    at(p, "items", "properties", NULL), "street", "string", NULL);

	p = at(props, "mood", NULL);
	cr_assert_str_eq(str_at(p, "type"), "string");
	e = at(p, "enum", NULL);
	cr_assert_not_null(e);
	cr_assert_eq(json_object_array_length(e), 2);
	cr_assert(array_has(e, "happy") && array_has(e, "sad"));
	assert_type(props, "odd", "string", NULL);
	cr_assert_null(at(props, "odd", "properties", NULL));
	json_object_put(doc);
	routes_unref(rs);
}

Test(openapi, put_operations)
{
	struct routes *rs = places();
	struct json_object *doc = build(rs, NULL), *op, *req, *p;

	/* /places/{id}: the path key; the body requires every column but
	 * the generated one. */
	op = at(doc, "paths", "/places/{id}", "put", NULL);
	cr_assert_not_null(op);
	cr_assert_str_eq(str_at(op, "operationId"), "replace_places");
	cr_assert_not_null(find_param(op, "id", "path"));
	cr_assert_eq(
	    count_refs(op, "#/components/parameters/prefer_replace"), 1);
	p = at(op, "requestBody", "content", "application/json", "schema",
	    "allOf", NULL);
	cr_assert_not_null(p);
	cr_assert_str_eq(str_at(json_object_array_get_idx(p, 0), "$ref"),
	    "#/components/schemas/places_input");
	req = at(json_object_array_get_idx(p, 1), "required", NULL);
	cr_assert_eq(json_object_array_length(req), 6);
	cr_assert(array_has(req, "id") && array_has(req, "title") &&
	          array_has(req, "loc") && array_has(req, "stops") &&
	          array_has(req, "mood") && array_has(req, "odd"));
	cr_assert_not(array_has(req, "shout"));
	cr_assert_str_eq(str_at(at(op, "responses", "200", "content",
	                            "application/json", "schema", NULL),
	                     "type"),
	    "array");
	cr_assert_not_null(at(op, "responses", "201", "content",
	    "application/vnd.pgrst.object+json", NULL));
	cr_assert_not_null(at(op, "responses", "204", NULL));
	cr_assert_not_null(at(op, "responses", "409", NULL));

	/* /places (the collection form of the item route): the key as a
	 * required eq. filter. */
	op = at(doc, "paths", "/places", "put", NULL);
	cr_assert_not_null(op);
	cr_assert_str_eq(str_at(op, "operationId"), "replace_places_filtered");
	p = find_param(op, "id", "query");
	cr_assert_not_null(p);
	cr_assert(json_object_get_boolean(at(p, "required", NULL)));
	cr_assert_null(find_param(op, "title", "query"));
	/* The Prefer values a PUT takes: no resolution, no missing. */
	p = at(doc, "components", "parameters", "prefer_replace", NULL);
	cr_assert_not_null(strstr(str_at(p, "description"), "return="));
	cr_assert_null(strstr(str_at(p, "description"), "resolution="));
	cr_assert_null(strstr(str_at(p, "description"), "missing="));
	json_object_put(doc);
	routes_unref(rs);
}
