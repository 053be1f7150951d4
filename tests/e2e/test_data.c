/*
 * End-to-end tests of the data API (docs/data-api.md)
 * against the real daemons: CRUD and PostgREST's request forms on the
 * demo's table_1, the list grammar and typed input on tables each test
 * creates for itself through admin SQL, the owner rule on the demo's
 * notes, auth rules across two auth groups, Row Level Security through the
 * claims the gateway exposes, and the live catalog.
 *
 * Tests run in parallel with each other and with test_e2e: every table,
 * route, email and title here carries a random suffix, and no test assumes
 * how many rows a shared table holds.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define ROUTE_WAIT_MS 3000
#define NAME_MAX_LEN 64

/* See test_e2e.c: no test may override .timeout. */
TestSuite(data, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

static const char *const PREFER_REPR[] = {
    "Prefer: return=representation", NULL};
static const char *const PREFER_MIN[] = {"Prefer: return=minimal", NULL};
static const char *const PREFER_COUNT[] = {"Prefer: count=exact", NULL};
static const char *const ACCEPT_OBJECT[] = {
    "Accept: application/vnd.pgrst.object+json", NULL};

struct user {
	char us_tok[TOKCAP];
	int64_t us_id;
};

/* A table of typed columns with five known rows; see dt_create(). */
struct dt {
	char dt_name[NAME_MAX_LEN]; /* dt_<hex> */
	char dt_path[NAME_MAX_LEN]; /* /dt_<hex> */
};

static struct json_object *
field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static int64_t
int_field(struct json_object *o, const char *k)
{
	struct json_object *v = field(o, k);

	cr_assert(v != NULL && json_object_is_type(v, json_type_int),
	    "no integer \"%s\" in %s", k,
	    o != NULL ? json_object_to_json_string(o) : "(null)");
	return json_object_get_int64(v);
}

static const char *
str_field(struct json_object *o, const char *k)
{
	struct json_object *v = field(o, k);

	cr_assert(v != NULL && json_object_is_type(v, json_type_string),
	    "no string \"%s\" in %s", k,
	    o != NULL ? json_object_to_json_string(o) : "(null)");
	return json_object_get_string(v);
}

/* A success with a JSON body of the given type. */
static void
expect_json(
    const struct e2e_resp *r, long status, json_type type, const char *what)
{
	char ct[E2E_HDR_MAX];

	e2e_expect(r, status, what);
	cr_assert(e2e_header(r, "Content-Type", ct, sizeof(ct)) == 0 &&
	              strncasecmp(ct, "application/", 12) == 0 &&
	              strstr(ct, "json") != NULL,
	    "%s: Content-Type is not JSON", what);
	cr_assert(r->er_json != NULL && json_object_is_type(r->er_json, type),
	    "%s: body is not a JSON %s: %s", what, json_type_to_name(type),
	    e2e_body(r));
}

static void
expect_empty(const struct e2e_resp *r, long status, const char *what)
{
	e2e_expect(r, status, what);
	cr_assert_eq(r->er_body.b_len, 0, "%s: body is not empty: %s", what,
	    e2e_body(r));
}

/*
 * An error of the given status in docs/errors.md's shape; with code, that code;
 * with needle, a message that contains it.
 */
static void
expect_error(const struct e2e_resp *r, long status, const char *code,
    const char *needle, const char *what)
{
	const char *msg;

	e2e_expect(r, status, what);
	e2e_assert_error(r, status);
	if (code != NULL)
		cr_assert_str_eq(str_field(r->er_json, "code"), code,
		    "%s: wrong code: %s", what, e2e_body(r));
	if (needle != NULL) {
		msg = str_field(r->er_json, "message");
		cr_assert(strstr(msg, needle) != NULL,
		    "%s: message does not name %s: %s", what, needle,
		    e2e_body(r));
	}
}

/* Hostile input may be refused (400) or match nothing (200 []). */
static void
expect_empty_or_400(const struct e2e_resp *r, const char *what)
{
	if (r->er_status == 400) {
		e2e_assert_error(r, 400);
		return;
	}
	expect_json(r, 200, json_type_array, what);
	cr_assert_eq(json_object_array_length(r->er_json), 0,
	    "%s: matched rows: %s", what, e2e_body(r));
}

static void
user_new(struct user *u, const char *tag)
{
	char email[128];

	e2e_email(email, sizeof(email), tag);
	e2e_signup_at(
	    "/auth", email, PASSWORD, u->us_tok, sizeof(u->us_tok), &u->us_id);
}

static void
route_wait(const char *method, const char *path, const char *tok)
{
	long st = e2e_wait_route(method, path, tok, ROUTE_WAIT_MS);

	cr_assert(st != -1 && st != 404, "%s %s not published within %d ms",
	    method, path, ROUTE_WAIT_MS);
}

static void
make_name(char *out, size_t outlen, const char *prefix)
{
	char hex[17];
	int n;

	e2e_rand_hex(hex, sizeof(hex), 8);
	n = snprintf(out, outlen, "%s_%s", prefix, hex);
	cr_assert(n > 0 && (size_t)n < outlen);
}

/*
 * Creates dt_<hex> with one column of each type the grammar and the typed
 * input care about, five known rows told apart by "label" (a .. e), and a
 * child table dt_<hex>_c referencing it; publishes GET and POST /dt_<hex>
 * and POST /dt_<hex>_c (bearer), and waits until the gateway serves them.
 */
static void
dt_create(struct dt *d, const char *tok)
{
	make_name(d->dt_name, sizeof(d->dt_name), "dt");
	e2e_fmt(d->dt_path, sizeof(d->dt_path), "/%s", d->dt_name);
	cr_assert(e2e_sql("create table public.%1$s ("
	                  " id bigserial primary key,"
	                  " num integer,"
	                  " txt text,"
	                  " flag boolean,"
	                  " amount numeric,"
	                  " at timestamptz,"
	                  " uid uuid,"
	                  " doc jsonb,"
	                  " code text unique,"
	                  " qty integer check (qty is null or qty >= 0),"
	                  " label text not null);"
	                  "insert into public.%1$s"
	                  " (num, txt, flag, amount, at, uid, doc, code, label)"
	                  " values"
	                  " (1, 'alpha', true, 1.50, '2024-01-01T00:00:00Z',"
	                  "  '00000000-0000-0000-0000-000000000001',"
	                  "  '{\"k\":1}', 'c1', 'a'),"
	                  " (2, 'Beta', false, 2.25, '2024-02-01T00:00:00Z',"
	                  "  '00000000-0000-0000-0000-000000000002',"
	                  "  '[1,2]', 'c2', 'b'),"
	                  " (3, 'gamma, delta', null, null, null, null, null,"
	                  "  null, 'c'),"
	                  " (null, null, true, 10, '2024-03-01T00:00:00Z',"
	                  "  null, 'null', null, 'd'),"
	                  " (5, 'alphabet', false, 0, null, null, '\"s\"',"
	                  "  null, 'e');"
	                  "create table public.%1$s_c ("
	                  " id bigserial primary key,"
	                  " parent_id bigint not null"
	                  "  references public.%1$s (id));"
	                  "grant select, insert, update, delete"
	                  " on public.%1$s, public.%1$s_c to postern_gateway;"
	                  "grant usage on sequence public.%1$s_id_seq,"
	                  " public.%1$s_c_id_seq to postern_gateway;"
	                  "insert into postern.endpoints"
	                  " (kind, method, path, table_name, op, auth) values"
	                  " ('data', 'GET', '/%1$s', '%1$s', 'list', 'bearer'),"
	                  " ('data', 'POST', '/%1$s', '%1$s', 'create',"
	                  "  'bearer'),"
	                  " ('data', 'POST', '/%1$s_c', '%1$s_c', 'create',"
	                  "  'bearer');",
	              d->dt_name) == 0,
	    "cannot create %s", d->dt_name);
	route_wait("GET", d->dt_path, tok);
}

static void
dt_drop(const struct dt *d)
{
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name in ('%1$s', '%1$s_c');"
	                  "drop table public.%1$s_c, public.%1$s;",
	              d->dt_name) == 0);
}

/*
 * GET dt_path?query (ordered by label unless the query orders) and
 * asserts that the rows are exactly those labelled want, in that order.
 */
static void
expect_labels(
    const struct dt *d, const char *tok, const char *query, const char *want)
{
	struct e2e_resp r;
	char path[4096], got[64];
	size_t i, n;

	e2e_fmt(path, sizeof(path), "%s?%s%s", d->dt_path, query,
	    strstr(query, "order=") == NULL ? "&order=label.asc" : "");
	e2e_must_call("GET", path, tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, path);
	n = json_object_array_length(r.er_json);
	cr_assert(n < sizeof(got), "%s: %zu rows", path, n);
	for (i = 0; i < n; i++) {
		const char *l =
		    str_field(json_object_array_get_idx(r.er_json, i), "label");

		cr_assert_eq(strlen(l), 1);
		got[i] = l[0];
	}
	got[n] = '\0';
	cr_assert_str_eq(got, want, "%s: rows %s, want %s", path, got, want);
	e2e_resp_free(&r);
}

/* GET path (query included) and expects the error. */
static void
get_error(const char *path, const char *tok, long status, const char *code,
    const char *needle)
{
	struct e2e_resp r;

	e2e_must_call("GET", path, tok, NULL, NULL, &r);
	expect_error(&r, status, code, needle, path);
	e2e_resp_free(&r);
}

static void
post_error(const char *path, const char *tok, const char *body, long status,
    const char *code, const char *needle)
{
	struct e2e_resp r;

	e2e_must_call("POST", path, tok, NULL, body, &r);
	expect_error(&r, status, code, needle, body);
	e2e_resp_free(&r);
}

/* Whether the array answer holds a row with this id. */
static int
has_id(struct json_object *arr, int64_t id)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++) {
		if (int_field(json_object_array_get_idx(arr, i), "id") == id)
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ table_1 */

Test(data, crud_on_table_1)
{
	struct user a;
	struct e2e_resp r;
	struct json_object *o;
	char title[64], body[256], path[128], loc[E2E_HDR_MAX];
	int64_t id;

	user_new(&a, "crud");
	make_name(title, sizeof(title), "crud");

	/* Create: 201, Location, the row with its defaults filled. */
	e2e_fmt(body, sizeof(body), "{\"title\":\"%s\",\"priority\":3}", title);
	e2e_must_call("POST", "/table_1", a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "create");
	o = r.er_json;
	id = int_field(o, "id");
	cr_assert_str_eq(str_field(o, "title"), title);
	cr_assert(field(o, "done") != NULL &&
	          json_object_is_type(field(o, "done"), json_type_boolean) &&
	          !json_object_get_boolean(field(o, "done")));
	cr_assert_eq(int_field(o, "priority"), 3);
	cr_assert(strlen(str_field(o, "created_at")) >= 19);
	cr_assert_eq(json_object_object_length(o), 5, "%s", e2e_body(&r));
	e2e_fmt(path, sizeof(path), "/table_1/%" PRId64, id);
	cr_assert(e2e_header(&r, "Location", loc, sizeof(loc)) == 0,
	    "create without Location");
	cr_assert_str_eq(loc, path);
	e2e_resp_free(&r);

	/* Get: the same row. */
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_object, "get");
	cr_assert_eq(int_field(r.er_json, "id"), id);
	cr_assert_str_eq(str_field(r.er_json, "title"), title);
	e2e_resp_free(&r);

	/* Get of a missing row, and of an id that cannot be a key. */
	get_error("/table_1/999999999999", a.us_tok, 404, "PN400", NULL);
	get_error("/table_1/abc", a.us_tok, 404, NULL, NULL);
	get_error("/table_1/1.5", a.us_tok, 404, NULL, NULL);

	/* The list shows it, filtered and unfiltered. */
	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "list by id");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	cr_assert(has_id(r.er_json, id));
	e2e_resp_free(&r);
	e2e_must_call("GET", "/table_1?order=id.desc&limit=1000", a.us_tok,
	    NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "list");
	cr_assert(has_id(r.er_json, id), "new row not in the list");
	e2e_resp_free(&r);

	/* Update: 200, the row with the change and nothing else changed. */
	e2e_fmt(path, sizeof(path), "/table_1/%" PRId64, id);
	e2e_must_call("PATCH", path, a.us_tok, NULL, "{\"done\":true}", &r);
	expect_json(&r, 200, json_type_object, "update");
	cr_assert_eq(int_field(r.er_json, "id"), id);
	cr_assert(json_object_get_boolean(field(r.er_json, "done")));
	cr_assert_str_eq(str_field(r.er_json, "title"), title);
	cr_assert_eq(int_field(r.er_json, "priority"), 3);
	e2e_resp_free(&r);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_object, "get after update");
	cr_assert(json_object_get_boolean(field(r.er_json, "done")));
	e2e_resp_free(&r);

	e2e_must_call("PATCH", "/table_1/999999999999", a.us_tok, NULL,
	    "{\"done\":true}", &r);
	expect_error(&r, 404, "PN400", NULL, "update missing");
	e2e_resp_free(&r);

	/* Delete: 204 without a body, then 404. */
	e2e_must_call("DELETE", path, a.us_tok, NULL, NULL, &r);
	expect_empty(&r, 204, "delete");
	e2e_resp_free(&r);
	e2e_must_call("DELETE", path, a.us_tok, NULL, NULL, &r);
	expect_error(&r, 404, "PN400", NULL, "delete again");
	e2e_resp_free(&r);
	get_error(path, a.us_tok, 404, "PN400", NULL);

	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "list after delete");
	cr_assert_eq(json_object_array_length(r.er_json), 0);
	e2e_resp_free(&r);
	e2e_must_call("GET", "/table_1?order=id.desc&limit=1000", a.us_tok,
	    NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "list after delete");
	cr_assert(!has_id(r.er_json, id), "deleted row still listed");
	e2e_resp_free(&r);
}

Test(data, prefer_and_accept)
{
	struct user a;
	struct e2e_resp r;
	struct json_object *o;
	char tag[64], body[512], path[256], cr[E2E_HDR_MAX];
	int64_t id_r, id_b1, id_b2;

	user_new(&a, "prefer");
	make_name(tag, sizeof(tag), "pref");

	/* return=representation: an array even for one row. */
	e2e_fmt(body, sizeof(body), "{\"title\":\"%s-r\"}", tag);
	e2e_must_call("POST", "/table_1", a.us_tok, PREFER_REPR, body, &r);
	expect_json(&r, 201, json_type_array, "create, representation");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	o = json_object_array_get_idx(r.er_json, 0);
	id_r = int_field(o, "id");
	cr_assert(strstr(str_field(o, "title"), "-r") != NULL);
	e2e_resp_free(&r);

	/* return=minimal: 201 and no body. */
	e2e_fmt(body, sizeof(body), "{\"title\":\"%s-m\"}", tag);
	e2e_must_call("POST", "/table_1", a.us_tok, PREFER_MIN, body, &r);
	expect_empty(&r, 201, "create, minimal");
	e2e_resp_free(&r);

	/* Bulk: an array of three in, an array of three out, in order. */
	e2e_fmt(body, sizeof(body),
	    "[{\"title\":\"%1$s-b1\",\"priority\":1},"
	    "{\"title\":\"%1$s-b2\",\"priority\":2},"
	    "{\"title\":\"%1$s-b3\",\"priority\":3}]",
	    tag);
	e2e_must_call("POST", "/table_1", a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_array, "bulk create");
	cr_assert_eq(
	    json_object_array_length(r.er_json), 3, "%s", e2e_body(&r));
	o = json_object_array_get_idx(r.er_json, 0);
	id_b1 = int_field(o, "id");
	cr_assert(strstr(str_field(o, "title"), "-b1") != NULL);
	o = json_object_array_get_idx(r.er_json, 1);
	id_b2 = int_field(o, "id");
	cr_assert_eq(int_field(o, "priority"), 2);
	o = json_object_array_get_idx(r.er_json, 2);
	cr_assert_eq(int_field(o, "priority"), 3);
	cr_assert(!json_object_get_boolean(field(o, "done")), "no default");
	cr_assert(strstr(str_field(o, "title"), "-b3") != NULL);
	e2e_resp_free(&r);

	/* PATCH on the collection with a filter. */
	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id_r);
	e2e_must_call(
	    "PATCH", path, a.us_tok, PREFER_REPR, "{\"priority\":9}", &r);
	expect_json(&r, 200, json_type_array, "collection PATCH, repr");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	o = json_object_array_get_idx(r.er_json, 0);
	cr_assert_eq(int_field(o, "id"), id_r);
	cr_assert_eq(int_field(o, "priority"), 9);
	e2e_resp_free(&r);
	e2e_must_call("PATCH", path, a.us_tok, NULL, "{\"priority\":8}", &r);
	expect_empty(&r, 204, "collection PATCH without Prefer");
	e2e_resp_free(&r);

	/* No filter at all: refused, and nothing changed. */
	e2e_must_call(
	    "PATCH", "/table_1", a.us_tok, NULL, "{\"priority\":1}", &r);
	expect_error(&r, 400, NULL, NULL, "PATCH without a filter");
	e2e_resp_free(&r);
	e2e_must_call("DELETE", "/table_1", a.us_tok, NULL, NULL, &r);
	expect_error(&r, 400, NULL, NULL, "DELETE without a filter");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/table_1/%" PRId64, id_r);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_object, "row after refused PATCH");
	cr_assert_eq(int_field(r.er_json, "priority"), 8);
	e2e_resp_free(&r);

	/* DELETE on the collection with a filter. */
	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id_b1);
	e2e_must_call("DELETE", path, a.us_tok, NULL, NULL, &r);
	expect_empty(&r, 204, "collection DELETE");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/table_1/%" PRId64, id_b1);
	get_error(path, a.us_tok, 404, "PN400", NULL);
	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id_b2);
	e2e_must_call("DELETE", path, a.us_tok, PREFER_REPR, NULL, &r);
	expect_json(&r, 200, json_type_array, "collection DELETE, repr");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	cr_assert_eq(
	    int_field(json_object_array_get_idx(r.er_json, 0), "id"), id_b2);
	e2e_resp_free(&r);

	/* Three rows carry the tag now: -r, -m and -b3. */
	e2e_fmt(path, sizeof(path), "/table_1?id=eq.%" PRId64, id_r);
	e2e_must_call("GET", path, a.us_tok, ACCEPT_OBJECT, NULL, &r);
	expect_json(&r, 200, json_type_object, "single object");
	cr_assert_eq(int_field(r.er_json, "id"), id_r);
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/table_1?title=like.%s*", tag);
	e2e_must_call("GET", path, a.us_tok, ACCEPT_OBJECT, NULL, &r);
	expect_error(&r, 406, "PGRST116", NULL, "single object of 3 rows");
	e2e_resp_free(&r);
	e2e_must_call(
	    "GET", "/table_1?id=eq.0", a.us_tok, ACCEPT_OBJECT, NULL, &r);
	expect_error(&r, 406, "PGRST116", NULL, "single object of 0 rows");
	e2e_resp_free(&r);

	/* count=exact counts every match, not just the page. */
	e2e_fmt(path, sizeof(path), "/table_1?title=like.%s*&order=id&limit=2",
	    tag);
	e2e_must_call("GET", path, a.us_tok, PREFER_COUNT, NULL, &r);
	expect_json(&r, 200, json_type_array, "count=exact");
	cr_assert_eq(json_object_array_length(r.er_json), 2);
	cr_assert(e2e_header(&r, "Content-Range", cr, sizeof(cr)) == 0);
	cr_assert_str_eq(cr, "0-1/3");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path),
	    "/table_1?title=like.%s*&order=id&limit=2&offset=2", tag);
	e2e_must_call("GET", path, a.us_tok, PREFER_COUNT, NULL, &r);
	expect_json(&r, 200, json_type_array, "count=exact, offset");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	cr_assert(e2e_header(&r, "Content-Range", cr, sizeof(cr)) == 0);
	cr_assert_str_eq(cr, "2-2/3");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/table_1?title=eq.%s-none", tag);
	e2e_must_call("GET", path, a.us_tok, PREFER_COUNT, NULL, &r);
	expect_json(&r, 200, json_type_array, "count=exact, none");
	cr_assert(e2e_header(&r, "Content-Range", cr, sizeof(cr)) == 0);
	cr_assert_str_eq(cr, "*/0");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/table_1?title=like.%s*&order=id&limit=2",
	    tag);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "no count");
	cr_assert(e2e_header(&r, "Content-Range", cr, sizeof(cr)) == 0);
	cr_assert_str_eq(cr, "0-1/*");
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "/table_1?title=like.%s*", tag);
	e2e_must_call("DELETE", path, a.us_tok, NULL, NULL, &r);
	expect_empty(&r, 204, "cleanup");
	e2e_resp_free(&r);
}

/* ------------------------------------------------------------ grammar */

Test(data, list_grammar)
{
	struct user a;
	struct dt d;
	struct e2e_resp r;
	struct json_object *o;
	char path[256];

	user_new(&a, "grammar");
	dt_create(&d, a.us_tok);

	expect_labels(&d, a.us_tok, "", "abcde");
	expect_labels(&d, a.us_tok, "num=eq.2", "b");
	expect_labels(&d, a.us_tok, "num=neq.2", "ace");
	expect_labels(&d, a.us_tok, "num=gt.2", "ce");
	expect_labels(&d, a.us_tok, "num=gte.2", "bce");
	expect_labels(&d, a.us_tok, "num=lt.2", "a");
	expect_labels(&d, a.us_tok, "num=lte.2", "ab");
	expect_labels(&d, a.us_tok, "num=not.eq.2", "ace");
	expect_labels(&d, a.us_tok, "num=in.(1,5,99)", "ae");
	expect_labels(&d, a.us_tok, "num=not.in.(1,2)", "ce");
	expect_labels(&d, a.us_tok, "num=is.null", "d");
	expect_labels(&d, a.us_tok, "num=not.is.null", "abce");

	expect_labels(&d, a.us_tok, "txt=eq.alpha", "a");
	expect_labels(&d, a.us_tok, "txt=like.alpha*", "ae");
	expect_labels(&d, a.us_tok, "txt=like.*a*", "abce");
	expect_labels(&d, a.us_tok, "txt=like.BETA", "");
	expect_labels(&d, a.us_tok, "txt=ilike.BETA", "b");
	expect_labels(&d, a.us_tok, "txt=ilike.*ALPHA*", "ae");
	expect_labels(
	    &d, a.us_tok, "txt=in.(alpha,%22gamma,%20delta%22)", "ac");
	expect_labels(&d, a.us_tok, "txt=eq.gamma,%20delta", "c");

	expect_labels(&d, a.us_tok, "flag=is.true", "ad");
	expect_labels(&d, a.us_tok, "flag=is.false", "be");
	expect_labels(&d, a.us_tok, "flag=is.null", "c");
	expect_labels(&d, a.us_tok, "flag=eq.true", "ad");
	expect_labels(&d, a.us_tok, "flag=not.is.true", "bce");

	expect_labels(&d, a.us_tok, "amount=gt.1.5", "bd");
	expect_labels(&d, a.us_tok, "amount=eq.1.5", "a");
	expect_labels(&d, a.us_tok, "amount=lte.0", "e");
	expect_labels(&d, a.us_tok, "at=gte.2024-02-01T00:00:00Z", "bd");
	expect_labels(&d, a.us_tok, "at=lt.2024-02-01T00:00:00%2B00:00", "a");
	expect_labels(
	    &d, a.us_tok, "uid=eq.00000000-0000-0000-0000-000000000002", "b");

	/* Orders, with the position of NULLs. */
	expect_labels(&d, a.us_tok, "order=num.asc", "abced");
	expect_labels(&d, a.us_tok, "order=num.desc", "decba");
	expect_labels(&d, a.us_tok, "order=num.asc.nullsfirst", "dabce");
	expect_labels(&d, a.us_tok, "order=num.desc.nullslast", "ecbad");
	expect_labels(&d, a.us_tok, "order=flag.desc,label.asc", "cadbe");
	expect_labels(
	    &d, a.us_tok, "order=flag.asc.nullsfirst,label.desc", "cebda");

	/* Pages. */
	expect_labels(&d, a.us_tok, "limit=2&offset=1", "bc");
	expect_labels(&d, a.us_tok, "offset=4", "e");
	expect_labels(&d, a.us_tok, "limit=2", "ab");

	/* Filters are AND-ed, across columns and on one column. */
	expect_labels(&d, a.us_tok, "flag=is.false&num=gt.2", "e");
	expect_labels(&d, a.us_tok, "num=gte.1&num=lte.3", "abc");
	expect_labels(&d, a.us_tok, "txt=like.alpha*&flag=is.true", "a");
	expect_labels(
	    &d, a.us_tok, "num=gt.1&txt=ilike.*A*&flag=not.is.null", "be");

	/* select= returns exactly the columns asked for, typed. */
	e2e_fmt(path, sizeof(path), "%s?select=num,txt&num=eq.1", d.dt_path);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, path);
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	o = json_object_array_get_idx(r.er_json, 0);
	cr_assert_eq(json_object_object_length(o), 2, "%s", e2e_body(&r));
	cr_assert_eq(int_field(o, "num"), 1);
	cr_assert_str_eq(str_field(o, "txt"), "alpha");
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "%s?select=amount,doc,uid,flag,at&num=eq.1",
	    d.dt_path);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, path);
	o = json_object_array_get_idx(r.er_json, 0);
	cr_assert_eq(json_object_object_length(o), 5, "%s", e2e_body(&r));
	cr_assert(json_object_is_type(field(o, "amount"), json_type_double) ||
	              json_object_is_type(field(o, "amount"), json_type_int),
	    "numeric is not a JSON number: %s", e2e_body(&r));
	cr_assert_float_eq(
	    json_object_get_double(field(o, "amount")), 1.5, 1e-9);
	cr_assert(json_object_is_type(field(o, "doc"), json_type_object),
	    "jsonb is not embedded as JSON: %s", e2e_body(&r));
	cr_assert_eq(int_field(field(o, "doc"), "k"), 1);
	cr_assert_str_eq(
	    str_field(o, "uid"), "00000000-0000-0000-0000-000000000001");
	cr_assert(json_object_is_type(field(o, "flag"), json_type_boolean));
	cr_assert(strncmp(str_field(o, "at"), "2024-01-01", 10) == 0);
	e2e_resp_free(&r);

	dt_drop(&d);
}

/* ------------------------------------------------------------- errors */

Test(data, query_errors)
{
	struct user a;
	struct dt d;
	char p[512];

	user_new(&a, "qerr");
	dt_create(&d, a.us_tok);

#define GET_ERR(q, status, code, needle)                                       \
	do {                                                                   \
		e2e_fmt(p, sizeof(p), "%s?%s", d.dt_path, q);                  \
		get_error(p, a.us_tok, status, code, needle);                  \
	} while (0)

	/* Unknown columns, wherever they are named. */
	GET_ERR("nope=eq.1", 400, "PN107", "nope");
	GET_ERR("select=id,nope", 400, "PN107", "nope");
	GET_ERR("order=nope.asc", 400, "PN107", "nope");
	GET_ERR("order=label.asc,nope", 400, "PN107", "nope");

	/* Unknown operators. */
	GET_ERR("num=foo.1", 400, "PN108", NULL);
	GET_ERR("num=1", 400, NULL, NULL);
	GET_ERR("num=not.foo.1", 400, "PN108", NULL);

	/* Values that cannot be of the column's type, each named. */
	GET_ERR("num=eq.abc", 400, NULL, "\"num\"");
	GET_ERR("num=eq.1.5", 400, NULL, "\"num\"");
	GET_ERR("num=gt.99999999999", 400, NULL, "\"num\"");
	GET_ERR("amount=eq.abc", 400, NULL, "\"amount\"");
	GET_ERR("flag=eq.maybe", 400, NULL, "\"flag\"");
	GET_ERR("uid=eq.not-a-uuid", 400, NULL, "\"uid\"");
	GET_ERR("at=lt.not%20a%20date", 400, NULL, NULL);
	GET_ERR("flag=is.maybe", 400, NULL, NULL);

	/* Malformed lists. */
	GET_ERR("num=in.(1,x)", 400, NULL, "\"num\"");
	GET_ERR("num=in.1,2", 400, NULL, NULL);
	GET_ERR("num=in.(1,2", 400, NULL, NULL);
	GET_ERR("txt=in.(%22open)", 400, NULL, NULL);

	/* What the grammar does not support. */
	GET_ERR("select=a(b)", 400, NULL, NULL);
	GET_ERR("select=txt::int", 400, NULL, NULL);
	GET_ERR("select=t:txt::regclass", 400, NULL, NULL);
	GET_ERR("select=...a(b)", 400, NULL, NULL);
	GET_ERR("order=num.sideways", 400, NULL, NULL);
	GET_ERR("limit=abc", 400, NULL, NULL);
	GET_ERR("limit=-1", 400, NULL, NULL);
	GET_ERR("offset=-1", 400, NULL, NULL);

#undef GET_ERR
	dt_drop(&d);
}

Test(data, typed_input)
{
	struct user a;
	struct dt d;
	struct e2e_resp r;
	struct json_object *o;
	char child[NAME_MAX_LEN + 4], body[256];

	user_new(&a, "typed");
	dt_create(&d, a.us_tok);
	e2e_fmt(child, sizeof(child), "%s_c", d.dt_path);

	/* A row of every type goes in and comes back as it went in. */
	e2e_must_call("POST", d.dt_path, a.us_tok, NULL,
	    "{\"label\":\"f\",\"num\":7,\"txt\":\"t\",\"flag\":true,"
	    "\"amount\":3.25,\"at\":\"2024-05-05T05:05:05Z\","
	    "\"uid\":\"00000000-0000-0000-0000-0000000000ff\","
	    "\"doc\":{\"a\":[1,2]},\"qty\":0,\"code\":\"cf\"}",
	    &r);
	expect_json(&r, 201, json_type_object, "typed create");
	o = r.er_json;
	cr_assert_eq(int_field(o, "num"), 7);
	cr_assert(json_object_get_boolean(field(o, "flag")));
	cr_assert_float_eq(
	    json_object_get_double(field(o, "amount")), 3.25, 1e-9);
	cr_assert(strncmp(str_field(o, "at"), "2024-05-05", 10) == 0);
	cr_assert_str_eq(
	    str_field(o, "uid"), "00000000-0000-0000-0000-0000000000ff");
	cr_assert(json_object_is_type(field(o, "doc"), json_type_object));
	cr_assert_eq(json_object_array_length(field(field(o, "doc"), "a")), 2);
	cr_assert_eq(int_field(o, "qty"), 0);
	e2e_fmt(body, sizeof(body), "{\"parent_id\":%" PRId64 "}",
	    int_field(o, "id"));
	e2e_resp_free(&r);

	/* The foreign key holds for a real parent. */
	e2e_must_call("POST", child, a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "child create");
	e2e_resp_free(&r);

	/* JSON values that do not fit the column: 400 naming it. */
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"num\":\"abc\"}",
	    400, "PN101", "\"num\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"num\":1.5}", 400,
	    "PN101", "\"num\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"num\":true}", 400,
	    "PN101", "\"num\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"num\":2147483648}",
	    400, "PN101", "\"num\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"flag\":1}", 400,
	    "PN101", "\"flag\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"txt\":5}", 400,
	    "PN101", "\"txt\"");
	post_error(d.dt_path, a.us_tok,
	    "{\"label\":\"x\",\"uid\":\"not-a-uuid\"}", 400, "PN101",
	    "\"uid\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"amount\":\"lots\"}",
	    400, "PN101", "\"amount\"");
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"nope\":1}", 400,
	    "PGRST204", "'nope' column");
	post_error(
	    d.dt_path, a.us_tok, "{\"label\":null}", 400, "PN101", "label");

	/* PostgreSQL's own refusals, mapped. */
	post_error(d.dt_path, a.us_tok, "{\"num\":1}", 400, "23502", NULL);
	post_error(d.dt_path, a.us_tok, "{}", 400, NULL, NULL);
	post_error(d.dt_path, a.us_tok,
	    "{\"label\":\"x\",\"at\":\"not a date\"}", 400, NULL, NULL);
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"qty\":-1}", 400,
	    NULL, NULL);
	post_error(d.dt_path, a.us_tok, "{\"label\":\"x\",\"code\":\"c1\"}",
	    409, "23505", NULL);
	post_error(
	    child, a.us_tok, "{\"parent_id\":999999999}", 409, "23503", NULL);

	/* Bodies that are not a JSON object (or array of objects). */
	post_error(d.dt_path, a.us_tok, "{\"label\":", 400, "PGRST102", NULL);
	post_error(d.dt_path, a.us_tok, "not json", 400, "PGRST102", NULL);
	post_error(d.dt_path, a.us_tok, "\"label\"", 400, "PN100", NULL);
	post_error(d.dt_path, a.us_tok, "[]", 400, "PN100", NULL);
	post_error(d.dt_path, a.us_tok, "[1]", 400, "PN100", NULL);
	post_error(
	    d.dt_path, a.us_tok, "{\"label\":\"x\"} {}", 400, "PGRST102", NULL);

	/* JSON under another media type. */
	{
		static const char *const text[] = {
		    "Content-Type: text/plain", NULL};

		e2e_must_call(
		    "POST", d.dt_path, a.us_tok, text, "{\"label\":\"x\"}", &r);
		expect_error(&r, 415, "PN601", NULL, "text/plain body");
		e2e_resp_free(&r);
	}

	/* None of the refused rows went in. */
	expect_labels(&d, a.us_tok, "label=neq.f", "abcde");
	dt_drop(&d);
}

Test(data, hostile_values)
{
	/* printf formats: %s is the table's name. */
	static const char *const queries[] = {
	    "txt=eq.%%27;%%20drop%%20table%%20%s;%%20--",
	    "txt=eq.%%27%%29;%%20delete%%20from%%20%s;%%20--",
	    "txt=like.%%2F*",
	    "txt=eq.*%%2F",
	    "txt=eq.%%22",
	    "txt=eq.%%27%%27%%27",
	    "txt=eq.%%5C",
	    "txt=eq.%%5C%%5C%%27%%22",
	    "txt=in.(%%27,%%22%%5C%%22%%22)",
	    "txt=like.%%25%%25_%%5C",
	    "txt=eq.$1",
	    "txt=eq.%s%%3B",
	    /* A double-quoted name, as PostgREST takes it. */
	    "%%22txt%%22=eq.1",
	};
	static const char *const bad[] = {
	    "select=txt;drop%%20table%%20%s",
	    "order=label;drop%%20table%%20%s",
	    "order=label%%20desc",
	    "%s=eq.1",
	    "txt%%3Bdrop=eq.1",
	    "%%22txt%%3Bdrop%%22=eq.1",
	    "select=%%2A%%2F",
	};
	struct user a;
	struct dt d;
	struct e2e_resp r;
	struct buf big, body;
	char q[512], path[1024], v[32];
	const char *hostile = "'); drop table x; -- /* \\\" \\\\ */";
	size_t i;

	user_new(&a, "hostile");
	dt_create(&d, a.us_tok);

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		/* Some of them carry the table's name. */
		e2e_fmt(q, sizeof(q), queries[i], d.dt_name);
		e2e_fmt(path, sizeof(path), "%s?%s", d.dt_path, q);
		e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
		expect_empty_or_400(&r, path);
		e2e_resp_free(&r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e2e_fmt(q, sizeof(q), bad[i], d.dt_name);
		e2e_fmt(path, sizeof(path), "%s?%s", d.dt_path, q);
		get_error(path, a.us_tok, 400, NULL, NULL);
	}

	/* A 3000-character value. */
	buf_init(&big);
	cr_assert(buf_printf(&big, "%s?txt=eq.", d.dt_path) == 0);
	for (i = 0; i < 3000; i++)
		cr_assert(buf_addc(&big, i % 7 == 0 ? '\'' : 'x') == 0);
	e2e_must_call("GET", big.b_data, a.us_tok, NULL, NULL, &r);
	expect_empty_or_400(&r, "3000-character value");
	e2e_resp_free(&r);
	buf_free(&big);

	/* A hostile string is stored and given back verbatim. */
	buf_init(&body);
	cr_assert(buf_addstr(&body, "{\"label\":\"h\",\"txt\":\"") == 0);
	cr_assert(buf_addstr(&body, hostile) == 0);
	cr_assert(buf_addstr(&body, "\"}") == 0);
	e2e_must_call("POST", d.dt_path, a.us_tok, NULL, body.b_data, &r);
	expect_json(&r, 201, json_type_object, "hostile create");
	cr_assert_str_eq(
	    str_field(r.er_json, "txt"), "'); drop table x; -- /* \" \\ */");
	e2e_resp_free(&r);
	buf_free(&body);
	expect_labels(&d, a.us_tok,
	    "txt=eq.%27);%20drop%20table%20x;%20--%20%2F*%20%22%20%5C%20*%2F",
	    "h");

	/* The table is still there, with every row. */
	cr_assert(e2e_sql_value(v, sizeof(v), "select count(*) from public.%s",
	              d.dt_name) == 0,
	    "%s is gone", d.dt_name);
	cr_assert_str_eq(v, "6");
	expect_labels(&d, a.us_tok, "", "abcdeh");
	dt_drop(&d);
}

/* ------------------------------------------------------ owners, auth */

Test(data, owner_rule_on_notes)
{
	struct user a, b;
	struct e2e_resp r;
	struct json_object *o;
	char body[256], path[128], t[64];
	size_t i, n;
	int64_t na, na2;

	user_new(&a, "owner-a");
	user_new(&b, "owner-b");
	make_name(t, sizeof(t), "note");

	/* The owner comes from the token. */
	e2e_fmt(body, sizeof(body), "{\"title\":\"%s\"}", t);
	e2e_must_call("POST", "/notes", a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "A creates");
	na = int_field(r.er_json, "id");
	cr_assert_eq(int_field(r.er_json, "owner_id"), a.us_id);
	e2e_resp_free(&r);

	/* Someone else's id is refused, one's own is accepted. */
	e2e_fmt(body, sizeof(body),
	    "{\"title\":\"%s\",\"owner_id\":%" PRId64 "}", t, b.us_id);
	e2e_must_call("POST", "/notes", a.us_tok, NULL, body, &r);
	expect_error(&r, 403, "PN300", NULL, "A creates for B");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "{\"title\":\"%s\",\"owner_id\":%" PRId64 "}", t, a.us_id);
	e2e_must_call("POST", "/notes", a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "A creates with own id");
	na2 = int_field(r.er_json, "id");
	cr_assert_eq(int_field(r.er_json, "owner_id"), a.us_id);
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "[{\"title\":\"%1$s\"},{\"title\":\"%1$s\",\"owner_id\":%2$" PRId64
	    "}]",
	    t, b.us_id);
	e2e_must_call("POST", "/notes", a.us_tok, NULL, body, &r);
	expect_error(&r, 403, "PN300", NULL, "A bulk-creates one for B");
	e2e_resp_free(&r);
	/* A repeated key must not let B's id past the check. */
	e2e_fmt(body, sizeof(body),
	    "{\"title\":\"%s\",\"owner_id\":%" PRId64 ",\"owner_id\":%" PRId64
	    "}",
	    t, a.us_id, b.us_id);
	e2e_must_call("POST", "/notes", a.us_tok, NULL, body, &r);
	if (r.er_status == 201)
		cr_assert_eq(int_field(r.er_json, "owner_id"), a.us_id,
		    "a repeated owner key gave the note to B");
	else
		expect_error(&r, 403, "PN300", NULL, "repeated owner key");
	e2e_resp_free(&r);

	/* A's list: A's notes only. */
	e2e_must_call("GET", "/notes?limit=1000", a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "A lists");
	cr_assert(has_id(r.er_json, na) && has_id(r.er_json, na2));
	n = json_object_array_length(r.er_json);
	cr_assert_eq(n, 2, "A has exactly two notes: %s", e2e_body(&r));
	e2e_resp_free(&r);

	/* B sees none of them, by any route. */
	e2e_must_call("GET", "/notes?limit=1000", b.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "B lists");
	n = json_object_array_length(r.er_json);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(r.er_json, i);
		cr_assert_eq(int_field(o, "owner_id"), b.us_id);
	}
	cr_assert_eq(n, 0, "B has no notes: %s", e2e_body(&r));
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "/notes?id=eq.%" PRId64, na);
	e2e_must_call("GET", path, b.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "B filters for A's note");
	cr_assert_eq(json_object_array_length(r.er_json), 0);
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "/notes/%" PRId64, na);
	get_error(path, b.us_tok, 404, "PN400", NULL);
	e2e_must_call(
	    "PATCH", path, b.us_tok, NULL, "{\"title\":\"stolen\"}", &r);
	expect_error(&r, 404, "PN400", NULL, "B patches A's note");
	e2e_resp_free(&r);
	e2e_must_call("DELETE", path, b.us_tok, NULL, NULL, &r);
	expect_error(&r, 404, "PN400", NULL, "B deletes A's note");
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "/notes?id=eq.%" PRId64, na);
	e2e_must_call(
	    "PATCH", path, b.us_tok, PREFER_REPR, "{\"title\":\"stolen\"}", &r);
	expect_json(&r, 200, json_type_array, "B patches A's note by filter");
	cr_assert_eq(json_object_array_length(r.er_json), 0);
	e2e_resp_free(&r);
	e2e_must_call("DELETE", path, b.us_tok, NULL, NULL, &r);
	expect_empty(&r, 204, "B deletes A's note by filter");
	e2e_resp_free(&r);
	e2e_must_call("DELETE", path, b.us_tok, PREFER_REPR, NULL, &r);
	expect_json(&r, 200, json_type_array, "B deletes by filter, repr");
	cr_assert_eq(json_object_array_length(r.er_json), 0);
	e2e_resp_free(&r);

	/* ... and A's note is untouched. */
	e2e_fmt(path, sizeof(path), "/notes/%" PRId64, na);
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_object, "A reads own note");
	cr_assert_str_eq(str_field(r.er_json, "title"), t);
	cr_assert_eq(int_field(r.er_json, "owner_id"), a.us_id);
	e2e_resp_free(&r);

	/* A may not give the note away, but may change and delete it. */
	e2e_fmt(body, sizeof(body), "{\"owner_id\":%" PRId64 "}", b.us_id);
	e2e_must_call("PATCH", path, a.us_tok, NULL, body, &r);
	expect_error(&r, 403, "PN300", NULL, "A gives the note to B");
	e2e_resp_free(&r);
	e2e_must_call(
	    "PATCH", path, a.us_tok, NULL, "{\"body\":\"edited\"}", &r);
	expect_json(&r, 200, json_type_object, "A updates own note");
	cr_assert_str_eq(str_field(r.er_json, "body"), "edited");
	cr_assert_eq(int_field(r.er_json, "owner_id"), a.us_id);
	e2e_resp_free(&r);
	e2e_must_call("DELETE", path, a.us_tok, NULL, NULL, &r);
	expect_empty(&r, 204, "A deletes own note");
	e2e_resp_free(&r);
	get_error(path, a.us_tok, 404, "PN400", NULL);
	e2e_fmt(path, sizeof(path), "/notes?id=eq.%" PRId64, na2);
	e2e_must_call("DELETE", path, a.us_tok, PREFER_REPR, NULL, &r);
	expect_json(&r, 200, json_type_array, "A deletes by filter");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	e2e_resp_free(&r);
}

Test(data, bearer_restricted_to_auth_table)
{
	struct e2e_resp r;
	char name[NAME_MAX_LEN], prefix[NAME_MAX_LEN], login[NAME_MAX_LEN + 8];
	char email[128], tok[TOKCAP];
	int64_t id;

	make_name(name, sizeof(name), "admins");
	e2e_fmt(prefix, sizeof(prefix), "/adm_%s", name + strlen("admins_"));
	cr_assert(
	    e2e_sql("create table public.%1$s ("
	            " id bigserial primary key,"
	            " email text unique not null);"
	            "grant select, insert on public.%1$s to postern_authd;"
	            "grant usage on sequence public.%1$s_id_seq"
	            " to postern_authd;"
	            "insert into postern.endpoints"
	            " (kind, path, table_name, ops)"
	            " values ('auth', '%2$s', '%1$s', '{signup,login}');",
	        name, prefix) == 0);
	e2e_fmt(login, sizeof(login), "%s/login", prefix);
	route_wait("POST", login, NULL);

	e2e_email(email, sizeof(email), "admin");
	e2e_signup_at(prefix, email, PASSWORD, tok, sizeof(tok), &id);

	/* Valid, but of the wrong auth table for /notes. */
	e2e_must_call("GET", "/notes", tok, NULL, NULL, &r);
	expect_error(&r, 403, "PN300", NULL, "admin token on /notes");
	e2e_resp_free(&r);
	e2e_must_call("POST", "/notes", tok, NULL, "{\"title\":\"adm\"}", &r);
	expect_error(&r, 403, "PN300", NULL, "admin token creates a note");
	e2e_resp_free(&r);

	/* Plain bearer takes any group's token. */
	e2e_must_call("GET", "/table_1?limit=1", tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "admin token on /table_1");
	e2e_resp_free(&r);

	cr_assert(e2e_sql("delete from postern.endpoints where path = '%s'",
	              prefix) == 0);
}

Test(data, row_level_security)
{
	struct user a, b;
	struct e2e_resp r;
	char name[NAME_MAX_LEN], path[NAME_MAX_LEN + 32], body[256];
	char item[NAME_MAX_LEN + 64];
	size_t i, n;
	int64_t ida;

	user_new(&a, "rls-a");
	user_new(&b, "rls-b");
	make_name(name, sizeof(name), "rls");
	e2e_fmt(path, sizeof(path), "/%s", name);
	cr_assert(
	    e2e_sql("create table public.%1$s ("
	            " id bigserial primary key,"
	            " owner bigint not null,"
	            " title text,"
	            " sub text default (current_setting("
	            "  'request.jwt.claims', true)::json ->> 'sub'),"
	            " tbl text default (current_setting("
	            "  'request.jwt.claims', true)::json ->> 'tbl'));"
	            "alter table public.%1$s enable row level security;"
	            "create policy own on public.%1$s to postern_gateway"
	            " using (owner = nullif(current_setting("
	            "  'request.user_id', true), '')::bigint)"
	            " with check (owner = nullif(current_setting("
	            "  'request.user_id', true), '')::bigint);"
	            "grant select, insert, update, delete on public.%1$s"
	            " to postern_gateway;"
	            "grant usage on sequence public.%1$s_id_seq"
	            " to postern_gateway;"
	            "insert into public.%1$s (owner, title)"
	            " values (0, 'nobody''s');"
	            "insert into postern.endpoints"
	            " (kind, method, path, table_name, op, auth) values"
	            " ('data', 'GET', '/%1$s', '%1$s', 'list', 'bearer'),"
	            " ('data', 'POST', '/%1$s', '%1$s', 'create', 'bearer'),"
	            " ('data', 'PATCH', '/%1$s/{id}', '%1$s', 'update',"
	            "  'bearer');",
	        name) == 0);
	route_wait("GET", path, a.us_tok);

	/* The policy accepts one's own rows ... */
	e2e_fmt(body, sizeof(body), "{\"owner\":%" PRId64 ",\"title\":\"a1\"}",
	    a.us_id);
	e2e_must_call("POST", path, a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "A inserts own row");
	cr_assert_eq(int_field(r.er_json, "owner"), a.us_id);
	ida = int_field(r.er_json, "id");
	/* The claims reach SQL as request.jwt.claims too. */
	e2e_fmt(body, sizeof(body), "%" PRId64, a.us_id);
	cr_assert_str_eq(str_field(r.er_json, "sub"), body);
	cr_assert_str_eq(str_field(r.er_json, "tbl"), "users");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body), "{\"owner\":%" PRId64 ",\"title\":\"b1\"}",
	    b.us_id);
	e2e_must_call("POST", path, b.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_object, "B inserts own row");
	e2e_resp_free(&r);

	/* ... and refuses a row for someone else. */
	e2e_fmt(body, sizeof(body), "{\"owner\":%" PRId64 ",\"title\":\"a2\"}",
	    b.us_id);
	e2e_must_call("POST", path, a.us_tok, NULL, body, &r);
	expect_error(&r, 403, "42501", NULL, "A inserts a row for B");
	e2e_resp_free(&r);

	/* B cannot reach A's row; A cannot hand it to B. */
	e2e_fmt(item, sizeof(item), "%s/%" PRId64, path, ida);
	e2e_must_call(
	    "PATCH", item, b.us_tok, NULL, "{\"title\":\"b's now\"}", &r);
	expect_error(&r, 404, "PN400", NULL, "B updates A's row");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body), "{\"owner\":%" PRId64 "}", b.us_id);
	e2e_must_call("PATCH", item, a.us_tok, NULL, body, &r);
	expect_error(&r, 403, "42501", NULL, "A gives the row to B");
	e2e_resp_free(&r);
	e2e_must_call("PATCH", item, a.us_tok, NULL, "{\"title\":\"a1\"}", &r);
	expect_json(&r, 200, json_type_object, "A updates own row");
	e2e_resp_free(&r);

	/* Each sees only their own. */
	e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "A lists");
	n = json_object_array_length(r.er_json);
	cr_assert_eq(n, 1, "A sees: %s", e2e_body(&r));
	cr_assert_str_eq(
	    str_field(json_object_array_get_idx(r.er_json, 0), "title"), "a1");
	e2e_resp_free(&r);
	e2e_must_call("GET", path, b.us_tok, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "B lists");
	n = json_object_array_length(r.er_json);
	for (i = 0; i < n; i++)
		cr_assert_eq(
		    int_field(json_object_array_get_idx(r.er_json, i), "owner"),
		    b.us_id);
	cr_assert_eq(n, 1, "B sees: %s", e2e_body(&r));
	e2e_resp_free(&r);

	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name = '%1$s';"
	                  "drop table public.%1$s;",
	              name) == 0);
}

/* ------------------------------------------------- catalog, public */

Test(data, live_catalog)
{
	struct user a;
	struct dt d;
	struct e2e_resp r;
	struct json_object *o;
	char path[256];
	int64_t deadline;
	size_t i, n;

	user_new(&a, "catalog");
	dt_create(&d, a.us_tok);
	e2e_fmt(
	    path, sizeof(path), "%s?select=extra,label&order=label", d.dt_path);
	get_error(path, a.us_tok, 400, "PN107", "extra");

	cr_assert(e2e_sql("alter table public.%s add column extra text",
	              d.dt_name) == 0);
	deadline = e2e_now_ms() + ROUTE_WAIT_MS;
	for (;;) {
		e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
		if (r.er_status != 400 || e2e_now_ms() >= deadline)
			break;
		e2e_resp_free(&r);
		e2e_sleep_ms(25);
	}
	expect_json(&r, 200, json_type_array, "select=extra after ALTER");
	n = json_object_array_length(r.er_json);
	cr_assert_eq(n, 5);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(r.er_json, i);
		cr_assert_eq(json_object_object_length(o), 2);
		cr_assert(json_object_object_get_ex(o, "extra", NULL) &&
		          field(o, "extra") == NULL);
	}
	e2e_resp_free(&r);

	/* The new column takes writes and filters too. */
	e2e_must_call("POST", d.dt_path, a.us_tok, NULL,
	    "{\"label\":\"x\",\"extra\":\"new\"}", &r);
	expect_json(&r, 201, json_type_object, "create with extra");
	cr_assert_str_eq(str_field(r.er_json, "extra"), "new");
	e2e_resp_free(&r);
	expect_labels(&d, a.us_tok, "extra=eq.new", "x");

	/* A dropped column is gone as quickly. */
	cr_assert(
	    e2e_sql("alter table public.%s drop column extra", d.dt_name) == 0);
	deadline = e2e_now_ms() + ROUTE_WAIT_MS;
	for (;;) {
		e2e_must_call("GET", path, a.us_tok, NULL, NULL, &r);
		if (r.er_status != 200 || e2e_now_ms() >= deadline)
			break;
		e2e_resp_free(&r);
		e2e_sleep_ms(25);
	}
	/* PostgreSQL's 42703 when the statement met the dropped column, the
	 * grammar's PN107 when the reloaded catalog refused it first. */
	expect_error(&r, 400, NULL, "extra", "select=extra after DROP");
	cr_assert(strcmp(str_field(r.er_json, "code"), "42703") == 0 ||
	              strcmp(str_field(r.er_json, "code"), "PN107") == 0,
	    "select=extra after DROP: %s", e2e_body(&r));
	e2e_resp_free(&r);
	expect_labels(&d, a.us_tok, "", "abcdex");
	dt_drop(&d);
}

Test(data, public_endpoint)
{
	struct user a;
	struct e2e_resp r;
	struct json_object *o;
	char name[NAME_MAX_LEN], path[NAME_MAX_LEN + 8], allow[E2E_HDR_MAX];
	int i;

	user_new(&a, "public");
	make_name(name, sizeof(name), "pub");
	e2e_fmt(path, sizeof(path), "/%s", name);
	/* who and claims record what the gateway exposed to the row. */
	cr_assert(e2e_sql("create table public.%1$s ("
	                  " id bigserial primary key, t text,"
	                  " who text default"
	                  "  current_setting('request.user_id', true),"
	                  " claims text default"
	                  "  current_setting('request.jwt.claims', true));"
	                  "insert into public.%1$s (t) values ('open');"
	                  "grant select, insert on public.%1$s"
	                  " to postern_gateway;"
	                  "grant usage on sequence public.%1$s_id_seq"
	                  " to postern_gateway;"
	                  "insert into postern.endpoints"
	                  " (kind, method, path, table_name, op, auth) values"
	                  " ('data', 'GET', '/%1$s', '%1$s', 'list', 'none'),"
	                  " ('data', 'POST', '/%1$s', '%1$s', 'create',"
	                  "  'none');",
	              name) == 0);
	route_wait("GET", path, NULL);

	e2e_fmt(allow, sizeof(allow), "%s?select=t&t=eq.open", path);
	e2e_must_call("GET", allow, NULL, NULL, NULL, &r);
	expect_json(&r, 200, json_type_array, "public list");
	cr_assert_eq(json_object_array_length(r.er_json), 1);
	o = json_object_array_get_idx(r.er_json, 0);
	cr_assert_str_eq(str_field(o, "t"), "open");
	e2e_resp_free(&r);

	/*
	 * A public request runs as nobody, even on a pooled connection that
	 * has just served a user: the claims are transaction-local.
	 */
	for (i = 0; i < 6; i++) {
		e2e_must_call(
		    "GET", "/table_1?limit=1", a.us_tok, NULL, NULL, &r);
		e2e_expect(&r, 200, "authenticated request");
		e2e_resp_free(&r);
		e2e_must_call("POST", path, NULL, NULL, "{\"t\":\"anon\"}", &r);
		expect_json(&r, 201, json_type_object, "public create");
		cr_assert_str_eq(str_field(r.er_json, "who"), "",
		    "a public request ran as a user: %s", e2e_body(&r));
		cr_assert_str_eq(str_field(r.er_json, "claims"), "{}",
		    "a public request carried claims: %s", e2e_body(&r));
		e2e_resp_free(&r);
	}

	/* Methods that are not published: 405 with Allow. */
	e2e_must_call("PATCH", path, NULL, NULL, "{\"t\":\"x\"}", &r);
	expect_error(&r, 405, "PN401", NULL, "PATCH on a list/create route");
	cr_assert(e2e_header(&r, "Allow", allow, sizeof(allow)) == 0 &&
	              strstr(allow, "GET") != NULL &&
	              strstr(allow, "POST") != NULL,
	    "405 without a fitting Allow");
	e2e_resp_free(&r);

	/* A protected route stays protected. */
	e2e_must_call("GET", "/table_1", NULL, NULL, NULL, &r);
	expect_error(&r, 401, "PN200", NULL, "table_1 without a token");
	e2e_resp_free(&r);

	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name = '%1$s';"
	                  "drop table public.%1$s;",
	              name) == 0);
}

/* ------------------------------------------- reproducers, off for now */

/*
 * Accept: application/vnd.pgrst.object+json on a write that affects more
 * than one row answers 406, and must then leave the table as it was (as
 * PostgREST does: it rolls the transaction back).  Disabled until the
 * gateway rolls back: today the 406 comes after the COMMIT.
 */
Test(data, object_accept_rolls_back_writes)
{
	struct user a;
	struct e2e_resp r;
	char tag[64], body[256], path[256], v[32];

	user_new(&a, "rollback");
	make_name(tag, sizeof(tag), "rb");
	e2e_fmt(body, sizeof(body),
	    "[{\"title\":\"%1$s\",\"priority\":1},"
	    "{\"title\":\"%1$s\",\"priority\":1}]",
	    tag);
	e2e_must_call("POST", "/table_1", a.us_tok, NULL, body, &r);
	expect_json(&r, 201, json_type_array, "two rows");
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "/table_1?title=eq.%s", tag);
	e2e_must_call(
	    "PATCH", path, a.us_tok, ACCEPT_OBJECT, "{\"priority\":2}", &r);
	expect_error(&r, 406, "PGRST116", NULL, "PATCH of two, one wanted");
	e2e_resp_free(&r);
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select count(*) from public.table_1"
	              " where title = '%s' and priority = 1",
	              tag) == 0);
	cr_assert_str_eq(v, "2", "a refused PATCH changed rows");

	e2e_must_call("DELETE", path, a.us_tok, ACCEPT_OBJECT, NULL, &r);
	expect_error(&r, 406, "PGRST116", NULL, "DELETE of two, one wanted");
	e2e_resp_free(&r);
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select count(*) from public.table_1 where title = '%s'",
	              tag) == 0);
	cr_assert_str_eq(v, "2", "a refused DELETE deleted rows");

	e2e_fmt(body, sizeof(body),
	    "[{\"title\":\"%1$s-b\"},{\"title\":\"%1$s-b\"}]", tag);
	e2e_must_call("POST", "/table_1", a.us_tok, ACCEPT_OBJECT, body, &r);
	expect_error(&r, 406, "PGRST116", NULL, "bulk create, one wanted");
	e2e_resp_free(&r);
	cr_assert(e2e_sql_value(v, sizeof(v),
	              "select count(*) from public.table_1"
	              " where title = '%s-b'",
	              tag) == 0);
	cr_assert_str_eq(v, "0", "a refused create inserted rows");

	cr_assert(e2e_sql("delete from public.table_1 where title like '%s%%'",
	              tag) == 0);
}

/*
 * docs/data-api.md: "a json/jsonb column [takes] anything"; a numeric
 * column takes any JSON number.  Integers beyond 64 bits are refused
 * today (json-c cannot hold them), though PostgreSQL and PostgREST take
 * them.  Disabled until the gateway passes such numbers through.
 */
Test(data, integers_beyond_64_bits)
{
	struct user a;
	struct dt d;
	struct e2e_resp r;

	user_new(&a, "bigint");
	dt_create(&d, a.us_tok);
	e2e_must_call("POST", d.dt_path, a.us_tok, NULL,
	    "{\"label\":\"n\",\"amount\":123456789012345678901234567890}", &r);
	expect_json(&r, 201, json_type_object, "numeric beyond 64 bits");
	e2e_resp_free(&r);
	e2e_must_call("POST", d.dt_path, a.us_tok, NULL,
	    "{\"label\":\"j\",\"doc\":{\"big\":123456789012345678901234567890}"
	    "}",
	    &r);
	expect_json(&r, 201, json_type_object, "jsonb with a big integer");
	e2e_resp_free(&r);
	dt_drop(&d);
}
