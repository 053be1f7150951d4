/*
 * End-to-end tests of resource embedding (docs/data-api.md, "Embedding"):
 * many-to-one, one-to-many, many-to-many through a junction, a
 * self-reference, aliases, '*', !inner, nested embeds, filters, order,
 * limit and offset on embedded resources, ambiguity, and the publishing
 * rules: an embedded table is read through its own list endpoint, so its
 * auth rule, its owner rule and Row Level Security hold inside the embed.
 * Each test has its own tables (a random suffix), made with admin SQL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define SFX_MAX 24

/* See test_e2e.c: no test may override .timeout. */
TestSuite(embedding, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

struct user {
	char us_tok[TOKCAP];
	int64_t us_id;
};

/*
 * One test's tables, suffix _<hex>:
 *   pj (projects, list: public)          1 Alpha, 2 Beta, 3 Empty
 *   tk (tasks, list: bearer, owner rule owner_id; parent_id -> tk)
 *      1 a1 (project 1), 2 a2 done (project 1, parent 1),
 *      3 a3 (project 1, parent 1, user B's), 4 b1 (project 2),
 *      5 x (no project)
 *   tg (tags, public): 1 red, 2 blue; tt (junction): (1,1) (1,2) (2,2)
 *   nt (notes of tasks, bearer, RLS on owner): 1 "na" (A's), 2 "nb" (B's)
 *   hd (hidden: only a GET /{id} endpoint, no list), task 1
 *   us (users) and od (orders, billing and shipping -> us): ambiguity
 */
struct fx {
	char fx_sfx[SFX_MAX];
	struct user fx_a, fx_b;
};

static void
user_new(struct user *u, const char *tag)
{
	char email[128];

	e2e_email(email, sizeof(email), tag);
	e2e_signup_at(
	    "/auth", email, PASSWORD, u->us_tok, sizeof(u->us_tok), &u->us_id);
}

static void
fx_create(struct fx *f)
{
	char hex[17], path[64];

	user_new(&f->fx_a, "emb-a");
	user_new(&f->fx_b, "emb-b");
	e2e_rand_hex(hex, sizeof(hex), 8);
	e2e_fmt(f->fx_sfx, sizeof(f->fx_sfx), "%s", hex);
	cr_assert(
	    e2e_sql(
	        "create table public.pj_%1$s (id bigint primary key,"
	        " name text not null);"
	        "create table public.tk_%1$s (id bigint primary key,"
	        " title text not null, done boolean not null default false,"
	        " project_id bigint references public.pj_%1$s (id),"
	        " parent_id bigint references public.tk_%1$s (id),"
	        " owner_id bigint not null, score numeric);"
	        "create table public.tg_%1$s (id bigint primary key,"
	        " label text not null);"
	        "create table public.tt_%1$s ("
	        " task_id bigint references public.tk_%1$s (id),"
	        " tag_id bigint references public.tg_%1$s (id),"
	        " primary key (task_id, tag_id));"
	        "create table public.nt_%1$s (id bigint primary key,"
	        " task_id bigint not null references public.tk_%1$s (id),"
	        " owner bigint not null, body text);"
	        "alter table public.nt_%1$s enable row level security;"
	        "create policy own on public.nt_%1$s to postern_gateway"
	        " using (owner = nullif(current_setting("
	        "  'request.user_id', true), '')::bigint);"
	        "create table public.hd_%1$s (id bigint primary key,"
	        " task_id bigint references public.tk_%1$s (id), body text);"
	        "create table public.us_%1$s (id bigint primary key,"
	        " name text);"
	        "create table public.od_%1$s (id bigint primary key,"
	        " billing bigint references public.us_%1$s (id),"
	        " shipping bigint references public.us_%1$s (id));"
	        "insert into public.pj_%1$s values (1, 'Alpha'), (2, 'Beta'),"
	        " (3, 'Empty');"
	        "insert into public.tk_%1$s values"
	        " (1, 'a1', false, 1, null, %2$" PRId64 ", 1.50),"
	        " (2, 'a2', true, 1, 1, %2$" PRId64 ", 2),"
	        " (3, 'a3', false, 1, 1, %3$" PRId64 ", null),"
	        " (4, 'b1', false, 2, null, %2$" PRId64 ", null),"
	        " (5, 'x', false, null, null, %2$" PRId64 ", null);"
	        "insert into public.tg_%1$s values (1, 'red'), (2, 'blue');"
	        "insert into public.tt_%1$s values (1, 1), (1, 2), (2, 2);"
	        "insert into public.nt_%1$s values"
	        " (1, 1, %2$" PRId64 ", 'na'), (2, 1, %3$" PRId64 ", 'nb');"
	        "insert into public.hd_%1$s values (1, 1, 'secret');"
	        "insert into public.us_%1$s values (1, 'u1'), (2, 'u2');"
	        "insert into public.od_%1$s values (1, 1, 2);"
	        "grant select on public.pj_%1$s, public.tk_%1$s,"
	        " public.tg_%1$s, public.tt_%1$s, public.nt_%1$s,"
	        " public.hd_%1$s, public.us_%1$s, public.od_%1$s"
	        " to postern_gateway;"
	        "grant update on public.tk_%1$s to postern_gateway;"
	        "insert into postern.endpoints"
	        " (kind, method, path, table_name, op, auth, owner_column)"
	        " values"
	        " ('data', 'GET', '/pj_%1$s', 'pj_%1$s', 'list', 'none', null),"
	        " ('data', 'GET', '/tk_%1$s', 'tk_%1$s', 'list', 'bearer',"
	        "  'owner_id'),"
	        " ('data', 'PATCH', '/tk_%1$s/{id}', 'tk_%1$s', 'update',"
	        "  'bearer', 'owner_id'),"
	        " ('data', 'GET', '/tg_%1$s', 'tg_%1$s', 'list', 'none', null),"
	        " ('data', 'GET', '/tt_%1$s', 'tt_%1$s', 'list', 'none', null),"
	        " ('data', 'GET', '/nt_%1$s', 'nt_%1$s', 'list', 'bearer',"
	        "  null),"
	        " ('data', 'GET', '/hd_%1$s/{id}', 'hd_%1$s', 'get', 'none',"
	        "  null),"
	        " ('data', 'GET', '/us_%1$s', 'us_%1$s', 'list', 'none', null),"
	        " ('data', 'GET', '/od_%1$s', 'od_%1$s', 'list', 'none',"
	        "  null);",
	        f->fx_sfx, f->fx_a.us_id, f->fx_b.us_id) == 0,
	    "cannot create the tables of %s", f->fx_sfx);
	/* The rows go in as one transaction with the endpoints, so once
	 * the last route answers the catalog holds every key. */
	e2e_fmt(path, sizeof(path), "/od_%s", f->fx_sfx);
	cr_assert_eq(e2e_wait_route("GET", path, NULL, 3000), 200);
}

static void
fx_drop(const struct fx *f)
{
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name like '%%\\_%1$s';"
	                  "drop table public.od_%1$s, public.us_%1$s,"
	                  " public.hd_%1$s, public.nt_%1$s, public.tt_%1$s,"
	                  " public.tg_%1$s, public.tk_%1$s, public.pj_%1$s;",
	              f->fx_sfx) == 0);
}

/*
 * Replaces every "@" in tmpl by the suffix (table names are x_<sfx>), so
 * that the expectations read like the tables' short names.
 */
static void
subst(const struct fx *f, const char *tmpl, char *out, size_t cap)
{
	size_t n = 0, k;
	const char *p;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p == '@') {
			k = strlen(f->fx_sfx);
			cr_assert_lt(n + k, cap);
			memcpy(out + n, f->fx_sfx, k);
			n += k;
		} else {
			cr_assert_lt(n + 1, cap);
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

/* The compact form of a JSON text, for comparing two answers. */
static void
canon(const char *text, char *out, size_t cap, const char *what)
{
	struct json_object *o = json_tokener_parse(text);

	cr_assert_not_null(o, "%s: not JSON: %s", what, text);
	e2e_fmt(out, cap, "%s",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* GET query as tok: status 200 and exactly the rows want (JSON). */
static void
rows(const struct fx *f, const char *tok, const char *query, const char *want)
{
	struct e2e_resp r;
	char path[4096], w[8192], got[8192], exp[8192];

	subst(f, query, path, sizeof(path));
	subst(f, want, w, sizeof(w));
	e2e_must_call("GET", path, tok, NULL, NULL, &r);
	cr_assert_eq(
	    r.er_status, 200, "%s: %ld %s", path, r.er_status, e2e_body(&r));
	canon(e2e_body(&r), got, sizeof(got), path);
	canon(w, exp, sizeof(exp), "expected");
	cr_assert_str_eq(got, exp, "%s:\n got %s\nwant %s", path, got, exp);
	e2e_resp_free(&r);
}

/* GET query as tok: the error status and code; returns the body parsed
 * (the caller puts it) when keep is set. */
static struct json_object *
refused(const struct fx *f, const char *tok, const char *query, long status,
    const char *code, int keep)
{
	struct e2e_resp r;
	struct json_object *c, *o = NULL;
	char path[4096];

	subst(f, query, path, sizeof(path));
	e2e_must_call("GET", path, tok, NULL, NULL, &r);
	cr_assert_eq(r.er_status, status, "%s: %ld %s", path, r.er_status,
	    e2e_body(&r));
	cr_assert_not_null(r.er_json, "%s: %s", path, e2e_body(&r));
	cr_assert(json_object_object_get_ex(r.er_json, "code", &c) &&
	              strcmp(json_object_get_string(c), code) == 0,
	    "%s: want %s: %s", path, code, e2e_body(&r));
	if (keep)
		o = json_object_get(r.er_json);
	e2e_resp_free(&r);
	return o;
}

Test(embedding, many_to_one_and_one_to_many)
{
	struct fx f;
	const char *a, *b;
	char want[1024];

	fx_create(&f);
	a = f.fx_a.us_tok;
	b = f.fx_b.us_tok;
	/* Many-to-one: an object, or null; a3 is B's (the owner rule of
	 * the top-level tasks endpoint). */
	rows(&f, a, "/tk_@?select=title,pj_@(name)&order=id",
	    "[{\"title\":\"a1\",\"pj_@\":{\"name\":\"Alpha\"}},"
	    "{\"title\":\"a2\",\"pj_@\":{\"name\":\"Alpha\"}},"
	    "{\"title\":\"b1\",\"pj_@\":{\"name\":\"Beta\"}},"
	    "{\"title\":\"x\",\"pj_@\":null}]");
	/* One-to-many: an array, [] when none; the embedded tasks obey the
	 * tasks endpoint's owner rule, for A and for B. */
	rows(&f, a, "/pj_@?select=name,tk_@(title)&order=id&tk_@.order=id",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a1\"},"
	    "{\"title\":\"a2\"}]},"
	    "{\"name\":\"Beta\",\"tk_@\":[{\"title\":\"b1\"}]},"
	    "{\"name\":\"Empty\",\"tk_@\":[]}]");
	rows(&f, b, "/pj_@?select=name,tk_@(title)&order=id",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a3\"}]},"
	    "{\"name\":\"Beta\",\"tk_@\":[]},{\"name\":\"Empty\",\"tk_@\":[]}]");
	/* '*' with an aliased embed; types are kept (numbers, booleans,
	 * null). */
	e2e_fmt(want, sizeof(want),
	    "[{\"id\":1,\"title\":\"a1\",\"done\":false,\"project_id\":1,"
	    "\"parent_id\":null,\"owner_id\":%" PRId64 ",\"score\":1.50,"
	    "\"project\":{\"id\":1,\"name\":\"Alpha\"}}]",
	    f.fx_a.us_id);
	rows(&f, a, "/tk_@?select=*,project:pj_@(*)&id=eq.1", want);
	/* An embed keyed like the column sorted on: the column is
	 * sorted. */
	rows(&f, a,
	    "/tk_@?select=title,project_id:pj_@(name)&order=project_id.desc,id"
	    "&project_id=not.is.null",
	    "[{\"title\":\"b1\",\"project_id\":{\"name\":\"Beta\"}},"
	    "{\"title\":\"a1\",\"project_id\":{\"name\":\"Alpha\"}},"
	    "{\"title\":\"a2\",\"project_id\":{\"name\":\"Alpha\"}}]");
	/* Without a token, the bearer-only tasks cannot be embedded: 401
	 * as their endpoint answers; the public parent alone is fine. */
	refused(&f, NULL, "/pj_@?select=name,tk_@(title)", 401, "PN200", 0);
	rows(&f, NULL, "/pj_@?select=name&id=eq.3", "[{\"name\":\"Empty\"}]");
	fx_drop(&f);
}

Test(embedding, many_to_many_and_self_reference)
{
	struct fx f;
	const char *a;

	fx_create(&f);
	a = f.fx_a.us_tok;
	rows(&f, a, "/tk_@?select=title,tg_@(label)&order=id&tg_@.order=label",
	    "[{\"title\":\"a1\",\"tg_@\":[{\"label\":\"blue\"},"
	    "{\"label\":\"red\"}]},"
	    "{\"title\":\"a2\",\"tg_@\":[{\"label\":\"blue\"}]},"
	    "{\"title\":\"b1\",\"tg_@\":[]},{\"title\":\"x\",\"tg_@\":[]}]");
	/* And back, the junction named as hint, parameters by alias; the
	 * tasks' owner rule holds through the junction. */
	rows(&f, a,
	    "/tg_@?select=label,tasks:tk_@!tt_@(title)&order=id"
	    "&tasks.order=id",
	    "[{\"label\":\"red\",\"tasks\":[{\"title\":\"a1\"}]},"
	    "{\"label\":\"blue\",\"tasks\":[{\"title\":\"a1\"},"
	    "{\"title\":\"a2\"}]}]");
	rows(&f, f.fx_b.us_tok, "/tg_@?select=label,tk_@(title)&order=id",
	    "[{\"label\":\"red\",\"tk_@\":[]},"
	    "{\"label\":\"blue\",\"tk_@\":[]}]");
	/* The junction itself is a one-to-many of its own. */
	rows(&f, NULL, "/tg_@?select=label,tt_@(task_id)&id=eq.1",
	    "[{\"label\":\"red\",\"tt_@\":[{\"task_id\":1}]}]");
	/* Self-reference: the key column names the parent (many-to-one),
	 * the table the children (one-to-many); a3 (B's) stays hidden. */
	rows(&f, a,
	    "/tk_@?select=title,parent:parent_id(title),kids:tk_@(title)"
	    "&id=in.(1,2)&order=id",
	    "[{\"title\":\"a1\",\"parent\":null,\"kids\":[{\"title\":\"a2\"}]},"
	    "{\"title\":\"a2\",\"parent\":{\"title\":\"a1\"},\"kids\":[]}]");
	fx_drop(&f);
}

Test(embedding, inner_filters_order_limit_nested)
{
	struct fx f;
	struct e2e_resp r;
	const char *a;
	const char *const count[] = {"Prefer: count=exact", NULL};
	char path[256], range[64];

	fx_create(&f);
	a = f.fx_a.us_tok;
	/* !inner with a filter on the embed: projects without a matching
	 * task are left out, and so is the count. */
	rows(&f, a,
	    "/pj_@?select=name,tk_@!inner(title)&tk_@.done=is.false&order=id",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a1\"}]},"
	    "{\"name\":\"Beta\",\"tk_@\":[{\"title\":\"b1\"}]}]");
	e2e_fmt(path, sizeof(path),
	    "/pj_%s?select=name,tk_%s!inner(title)&tk_%s.title=eq.b1",
	    f.fx_sfx, f.fx_sfx, f.fx_sfx);
	e2e_must_call("GET", path, a, count, NULL, &r);
	e2e_expect(&r, 200, path);
	cr_assert_eq(e2e_header(&r, "Content-Range", range, sizeof(range)), 0);
	cr_assert_str_eq(range, "0-0/1");
	e2e_resp_free(&r);
	/* Without !inner the filter narrows the embed only. */
	rows(&f, a, "/pj_@?select=name,tk_@(title)&tk_@.title=eq.b1&order=id",
	    "[{\"name\":\"Alpha\",\"tk_@\":[]},"
	    "{\"name\":\"Beta\",\"tk_@\":[{\"title\":\"b1\"}]},"
	    "{\"name\":\"Empty\",\"tk_@\":[]}]");
	/* Order, limit and offset of the embed; or= on it. */
	rows(&f, a,
	    "/pj_@?select=name,tk_@(title)&id=eq.1&tk_@.order=title.desc"
	    "&tk_@.limit=1&tk_@.offset=1",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a1\"}]}]");
	rows(&f, a,
	    "/pj_@?select=name,tk_@(title)&id=eq.1&tk_@.order=id"
	    "&tk_@.or=(title.eq.a1,done.is.true)",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a1\"},"
	    "{\"title\":\"a2\"}]}]");
	rows(&f, a,
	    "/pj_@?select=name,tk_@(title)&id=eq.1&tk_@.done=not.is.true",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"title\":\"a1\"}]}]");
	/* Nested: tasks of a project with their tags, filtered below. */
	rows(&f, a,
	    "/pj_@?select=name,tk_@(title,tg_@(label))&id=eq.1"
	    "&tk_@.order=id&tk_@.tg_@.label=eq.blue",
	    "[{\"name\":\"Alpha\",\"tk_@\":["
	    "{\"title\":\"a1\",\"tg_@\":[{\"label\":\"blue\"}]},"
	    "{\"title\":\"a2\",\"tg_@\":[{\"label\":\"blue\"}]}]}]");
	/* Nested !inner: only tasks tagged red, only their projects. */
	rows(&f, a,
	    "/pj_@?select=name,tk_@!inner(title,tg_@!inner(label))"
	    "&tk_@.tg_@.label=eq.red",
	    "[{\"name\":\"Alpha\",\"tk_@\":["
	    "{\"title\":\"a1\",\"tg_@\":[{\"label\":\"red\"}]}]}]");
	fx_drop(&f);
}

Test(embedding, null_filters_and_writes)
{
	struct fx f;
	struct e2e_resp r;
	const char *const repr[] = {"Prefer: return=representation", NULL};
	char path[256], got[1024], want[1024], exp[1024];
	const char *a;

	fx_create(&f);
	a = f.fx_a.us_tok;
	/* Top-level filtering: projects with / without a task of A's. */
	rows(&f, a, "/pj_@?select=name,tk_@(id)&tk_@=not.is.null&order=id",
	    "[{\"name\":\"Alpha\",\"tk_@\":[{\"id\":1},{\"id\":2}]},"
	    "{\"name\":\"Beta\",\"tk_@\":[{\"id\":4}]}]");
	rows(&f, a, "/pj_@?select=name,tk_@(id)&tk_@=is.null",
	    "[{\"name\":\"Empty\",\"tk_@\":[]}]");
	refused(&f, a, "/pj_@?select=name,tk_@(id)&tk_@=eq.1", 400, "PGRST100",
	    0);
	/* A write returns its row with the embeds. */
	e2e_fmt(path, sizeof(path), "/tk_%s/1?select=title,pj_%s(name)",
	    f.fx_sfx, f.fx_sfx);
	e2e_must_call("PATCH", path, a, repr, "{\"title\":\"a1!\"}", &r);
	e2e_expect(&r, 200, path);
	canon(e2e_body(&r), got, sizeof(got), path);
	subst(&f, "[{\"title\":\"a1!\",\"pj_@\":{\"name\":\"Alpha\"}}]",
	    want, sizeof(want));
	canon(want, exp, sizeof(exp), "expected");
	cr_assert_str_eq(got, exp);
	e2e_resp_free(&r);
	/* !inner and embed parameters are refused on writes: nothing
	 * changes. */
	e2e_fmt(path, sizeof(path), "/tk_%s/1?select=title,pj_%s!inner(name)",
	    f.fx_sfx, f.fx_sfx);
	e2e_must_call("PATCH", path, a, repr, "{\"title\":\"zz\"}", &r);
	e2e_expect(&r, 400, path);
	e2e_resp_free(&r);
	rows(&f, a, "/tk_@?select=title&id=eq.1", "[{\"title\":\"a1!\"}]");
	fx_drop(&f);
}

Test(embedding, rls_and_publishing)
{
	struct fx f;

	fx_create(&f);
	/* Row Level Security of the notes holds inside the embed. */
	rows(&f, f.fx_a.us_tok, "/tk_@?select=title,nt_@(body)&id=eq.1",
	    "[{\"title\":\"a1\",\"nt_@\":[{\"body\":\"na\"}]}]");
	rows(&f, f.fx_b.us_tok, "/tk_@?select=title,nt_@(body)&id=eq.3",
	    "[{\"title\":\"a3\",\"nt_@\":[]}]");
	/* hd has no list endpoint: not published, never its rows. */
	refused(&f, f.fx_a.us_tok, "/tk_@?select=title,hd_@(body)", 400,
	    "PGRST200", 0);
	/* No relationship at all. */
	refused(&f, NULL, "/pj_@?select=name,us_@(name)", 400, "PGRST200", 0);
	refused(&f, NULL, "/pj_@?select=name,nope(name)", 400, "PGRST200", 0);
	/* A parameter for an embed the select does not have. */
	refused(&f, NULL, "/pj_@?select=name&tk_@.done=is.false", 400,
	    "PGRST100", 0);
	fx_drop(&f);
}

Test(embedding, ambiguity)
{
	struct fx f;
	struct json_object *o, *v;
	char hint[512];

	fx_create(&f);
	o = refused(&f, NULL, "/od_@?select=id,us_@(name)", 300, "PGRST201", 1);
	cr_assert(json_object_object_get_ex(o, "details", &v) &&
	              json_object_is_type(v, json_type_array) &&
	              json_object_array_length(v) == 2,
	    "%s", json_object_to_json_string(o));
	cr_assert(json_object_object_get_ex(o, "hint", &v));
	subst(&f,
	    "Try changing 'us_@' to one of the following: "
	    "'us_@!od_@_billing_fkey', 'us_@!od_@_shipping_fkey'. Find the "
	    "desired relationship in the 'details' key.",
	    hint, sizeof(hint));
	cr_assert_str_eq(json_object_get_string(v), hint);
	json_object_put(o);
	rows(&f, NULL,
	    "/od_@?select=id,b:us_@!od_@_billing_fkey(name),"
	    "s:us_@!shipping(name)",
	    "[{\"id\":1,\"b\":{\"name\":\"u1\"},\"s\":{\"name\":\"u2\"}}]");
	fx_drop(&f);
}
