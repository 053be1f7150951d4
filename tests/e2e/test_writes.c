/*
 * End-to-end tests of the Prefer header and the output forms
 * (docs/data-api.md, "Prefer" and "Output forms"): each write is followed
 * by a look at the rows in the database (through admin SQL), so that a
 * preference the gateway ignored cannot pass.  Every table carries a
 * random suffix; tests run in parallel.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define ROUTE_WAIT_MS 3000

/* See test_e2e.c: no test may override .timeout. */
TestSuite(writes, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

struct user {
	char us_tok[TOKCAP];
	int64_t us_id;
};

/* wt_<hex>: id, title (unique), prio (not null, default 7), note
 * (default 'dflt'); and wt_<hex>_o, owner-ruled on owner_id. */
struct wt {
	char wt_name[64];
	char wt_path[64];
	char wt_opath[64];
};

static void
expect_code(
    const struct e2e_resp *r, long status, const char *code, const char *what)
{
	struct json_object *v;

	e2e_expect(r, status, what);
	e2e_assert_error(r, status);
	cr_assert(json_object_object_get_ex(r->er_json, "code", &v) &&
	              strcmp(json_object_get_string(v), code) == 0,
	    "%s: want code %s: %s", what, code, e2e_body(r));
}

static void
expect_field(const struct e2e_resp *r, const char *k, const char *want)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(r->er_json, k, &v) &&
	              json_object_is_type(v, json_type_string) &&
	              strcmp(json_object_get_string(v), want) == 0,
	    "want %s \"%s\": %s", k, want, e2e_body(r));
}

static void
expect_header(const struct e2e_resp *r, const char *name, const char *want,
    const char *what)
{
	char v[E2E_HDR_MAX];

	cr_assert(e2e_header(r, name, v, sizeof(v)) == 0, "%s: no %s: %s", what,
	    name, e2e_body(r));
	cr_assert_str_eq(v, want, "%s: %s", what, name);
}

/* One value of admin SQL, as text ("" for NULL). */
static void sql_is(const char *want, const char *what, const char *f, ...)
    __attribute__((format(printf, 3, 4)));

static void
sql_is(const char *want, const char *what, const char *f, ...)
{
	char q[1024], v[256];
	va_list ap;

	va_start(ap, f);
	cr_assert(vsnprintf(q, sizeof(q), f, ap) < (int)sizeof(q));
	va_end(ap);
	cr_assert(e2e_sql_value(v, sizeof(v), "%s", q) == 0, "%s: %s", what, q);
	cr_assert_str_eq(v, want, "%s: %s", what, q);
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
wt_create(struct wt *w, const char *tok)
{
	char hex[17];
	long st;

	e2e_rand_hex(hex, sizeof(hex), 8);
	e2e_fmt(w->wt_name, sizeof(w->wt_name), "wt_%s", hex);
	e2e_fmt(w->wt_path, sizeof(w->wt_path), "/%s", w->wt_name);
	e2e_fmt(w->wt_opath, sizeof(w->wt_opath), "/%s_o", w->wt_name);
	cr_assert(e2e_sql("create table public.%1$s ("
	                  " id bigserial primary key,"
	                  " title text not null unique,"
	                  " prio integer not null default 7,"
	                  " note text default 'dflt');"
	                  "create table public.%1$s_o ("
	                  " id bigint primary key,"
	                  " owner_id bigint not null,"
	                  " title text);"
	                  "grant select, insert, update, delete"
	                  " on public.%1$s, public.%1$s_o to postern_gateway;"
	                  "grant usage on sequence public.%1$s_id_seq"
	                  " to postern_gateway;"
	                  "insert into postern.endpoints (kind, method, path,"
	                  " table_name, op, auth, owner_column) values"
	                  " ('data', 'GET', '/%1$s', '%1$s', 'list', 'bearer',"
	                  "  null),"
	                  " ('data', 'POST', '/%1$s', '%1$s', 'create',"
	                  "  'bearer', null),"
	                  " ('data', 'PATCH', '/%1$s/{id}', '%1$s', 'update',"
	                  "  'bearer', null),"
	                  " ('data', 'DELETE', '/%1$s/{id}', '%1$s', 'delete',"
	                  "  'bearer', null),"
	                  " ('data', 'GET', '/%1$s_o', '%1$s_o', 'list',"
	                  "  'bearer:users', 'owner_id'),"
	                  " ('data', 'POST', '/%1$s_o', '%1$s_o', 'create',"
	                  "  'bearer:users', 'owner_id');",
	              w->wt_name) == 0,
	    "cannot create %s", w->wt_name);
	st = e2e_wait_route("POST", w->wt_opath, tok, ROUTE_WAIT_MS);
	cr_assert(st != -1 && st != 404, "%s not published", w->wt_opath);
}

static void
wt_drop(const struct wt *w)
{
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name in ('%1$s', '%1$s_o');"
	                  "drop table public.%1$s, public.%1$s_o;",
	              w->wt_name) == 0);
}

/* Inserts titles with prio 1 through admin SQL. */
static void
seed(const struct wt *w, const char *values)
{
	cr_assert(e2e_sql("insert into public.%s (title, prio) values %s",
	              w->wt_name, values) == 0);
}

Test(writes, unknown_and_misplaced_preferences_are_refused)
{
	static const char *const bad[][2] = {
	    {"Prefer: foo", NULL},
	    {"Prefer: handling=lenient", NULL},
	    {"Prefer: return=minimal, return=representation", NULL},
	    {"Prefer: return=headers-only", NULL},
	    {"Prefer: timezone=UTC", NULL},
	    {"Prefer: count=planned", NULL},
	};
	const char *get_bad[] = {"Prefer: return=minimal", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128];
	size_t i;

	user_new(&a, "prefer");
	wt_create(&w, a.us_tok);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e2e_must_call("POST", w.wt_path, a.us_tok, bad[i],
		    "{\"title\":\"x\"}", &r);
		expect_code(&r, 400, "PGRST122", bad[i][0]);
		e2e_resp_free(&r);
	}
	sql_is("0", "a refused preference wrote nothing",
	    "select count(*) from public.%s", w.wt_name);
	e2e_must_call("GET", w.wt_path, a.us_tok, get_bad, NULL, &r);
	expect_code(&r, 400, "PGRST122", "return= on a read");
	e2e_resp_free(&r);
	/* on_conflict without a resolution would be a plain insert. */
	e2e_fmt(path, sizeof(path), "%s?on_conflict=title", w.wt_path);
	e2e_must_call("POST", path, a.us_tok, NULL, "{\"title\":\"x\"}", &r);
	expect_code(&r, 400, "PGRST100", "on_conflict alone");
	e2e_resp_free(&r);
	sql_is("0", "nothing written", "select count(*) from public.%s",
	    w.wt_name);
	/* A query string the data API cannot parse (more parameters than it
	 * takes): PostgREST's PGRST100. */
	{
		char many[4200];
		size_t k, o;

		o = (size_t)snprintf(many, sizeof(many), "%s?", w.wt_path);
		for (k = 0; k < 2000; k++, o += 2)
			memcpy(many + o, "a&", 2);
		many[o] = '\0';
		e2e_must_call("GET", many, a.us_tok, NULL, NULL, &r);
		expect_code(&r, 400, "PGRST100", "2000 parameters");
		e2e_resp_free(&r);
	}
	wt_drop(&w);
}

Test(writes, tx_rollback_leaves_nothing)
{
	const char *rb[] = {"Prefer: tx=rollback, return=representation", NULL};
	const char *cm[] = {"Prefer: tx=commit", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128], id[32];

	user_new(&a, "txrb");
	wt_create(&w, a.us_tok);
	e2e_must_call(
	    "POST", w.wt_path, a.us_tok, rb, "{\"title\":\"rb\"}", &r);
	e2e_expect(&r, 201, "POST tx=rollback");
	cr_assert(json_object_is_type(r.er_json, json_type_array) &&
	              json_object_array_length(r.er_json) == 1,
	    "the answer is the row as it would be: %s", e2e_body(&r));
	expect_header(&r, "Preference-Applied",
	    "return=representation, tx=rollback", "POST");
	e2e_resp_free(&r);
	sql_is("0", "tx=rollback inserted", "select count(*) from public.%s",
	    w.wt_name);

	seed(&w, "('keep', 1)");
	cr_assert(e2e_sql_value(id, sizeof(id),
	              "select id from public.%s where title = 'keep'",
	              w.wt_name) == 0);
	e2e_fmt(path, sizeof(path), "%s/%s", w.wt_path, id);
	e2e_must_call("PATCH", path, a.us_tok, rb, "{\"prio\":99}", &r);
	e2e_expect(&r, 200, "PATCH tx=rollback");
	e2e_resp_free(&r);
	sql_is("1", "tx=rollback updated", "select prio from public.%s",
	    w.wt_name);
	e2e_must_call("DELETE", path, a.us_tok, rb, NULL, &r);
	e2e_expect(&r, 200, "DELETE tx=rollback");
	e2e_resp_free(&r);
	sql_is("1", "tx=rollback deleted", "select count(*) from public.%s",
	    w.wt_name);

	e2e_must_call(
	    "POST", w.wt_path, a.us_tok, cm, "{\"title\":\"cm\"}", &r);
	e2e_expect(&r, 201, "POST tx=commit");
	expect_header(&r, "Preference-Applied", "tx=commit", "tx=commit");
	e2e_resp_free(&r);
	sql_is("1", "tx=commit committed",
	    "select count(*) from public.%s where title = 'cm'", w.wt_name);
	wt_drop(&w);
}

Test(writes, max_affected_refuses_and_changes_nothing)
{
	const char *two[] = {"Prefer: handling=strict, max-affected=2", NULL};
	const char *three[] = {"Prefer: handling=strict, max-affected=3", NULL};
	const char *one[] = {"Prefer: max-affected=1", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128];

	user_new(&a, "maxaff");
	wt_create(&w, a.us_tok);
	seed(&w, "('a', 1), ('b', 1), ('c', 1)");
	e2e_fmt(path, sizeof(path), "%s?prio=eq.1", w.wt_path);
	e2e_must_call("PATCH", path, a.us_tok, two, "{\"prio\":2}", &r);
	expect_code(&r, 400, "PGRST124", "PATCH of 3, at most 2");
	e2e_resp_free(&r);
	sql_is("3", "the refused PATCH changed rows",
	    "select count(*) from public.%s where prio = 1", w.wt_name);
	e2e_must_call("DELETE", path, a.us_tok, one, NULL, &r);
	expect_code(&r, 400, "PGRST124", "DELETE of 3, at most 1");
	e2e_resp_free(&r);
	sql_is("3", "the refused DELETE deleted rows",
	    "select count(*) from public.%s", w.wt_name);
	e2e_must_call("POST", w.wt_path, a.us_tok, one,
	    "[{\"title\":\"d\"},{\"title\":\"e\"}]", &r);
	expect_code(&r, 400, "PGRST124", "POST of 2, at most 1");
	e2e_resp_free(&r);
	sql_is("3", "the refused POST inserted",
	    "select count(*) from public.%s", w.wt_name);

	e2e_must_call("PATCH", path, a.us_tok, three, "{\"prio\":2}", &r);
	e2e_expect(&r, 204, "PATCH of 3, at most 3");
	expect_header(&r, "Preference-Applied",
	    "handling=strict, max-affected=3", "max-affected");
	e2e_resp_free(&r);
	sql_is("3", "PATCH within max-affected",
	    "select count(*) from public.%s where prio = 2", w.wt_name);
	wt_drop(&w);
}

Test(writes, missing_default_takes_the_column_default)
{
	const char *def[] = {
	    "Prefer: missing=default, return=representation", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128];

	user_new(&a, "missing");
	wt_create(&w, a.us_tok);
	/* Without it the absent prio is NULL, which NOT NULL refuses. */
	e2e_must_call("POST", w.wt_path, a.us_tok, NULL,
	    "[{\"title\":\"a\",\"prio\":1,\"note\":\"n\"},{\"title\":\"b\"}]",
	    &r);
	expect_code(&r, 400, "23502", "bulk insert without missing=default");
	e2e_resp_free(&r);

	e2e_must_call("POST", w.wt_path, a.us_tok, def,
	    "[{\"title\":\"a\",\"prio\":1,\"note\":\"n\"},{\"title\":\"b\"},"
	    "{\"title\":\"c\",\"note\":null}]",
	    &r);
	e2e_expect(&r, 201, "bulk insert with missing=default");
	expect_header(&r, "Preference-Applied",
	    "missing=default, return=representation", "missing=default");
	e2e_resp_free(&r);
	sql_is("1|n", "row a",
	    "select prio || '|' || note from public.%s"
	    " where title = 'a'",
	    w.wt_name);
	sql_is("7|dflt", "row b takes both defaults",
	    "select prio || '|' || note from public.%s where title = 'b'",
	    w.wt_name);
	/* An explicit null stays null. */
	sql_is("7|", "row c",
	    "select prio || '|' || coalesce(note, '')"
	    " from public.%s where title = 'c'",
	    w.wt_name);
	sql_is("3", "each row has its own id from the sequence",
	    "select count(distinct id) from public.%s", w.wt_name);

	/* columns= names a key the only object lacks. */
	e2e_fmt(path, sizeof(path), "%s?columns=title,prio,note", w.wt_path);
	e2e_must_call("POST", path, a.us_tok, def, "{\"title\":\"d\"}", &r);
	e2e_expect(&r, 201, "columns= with missing=default");
	e2e_resp_free(&r);
	sql_is("7|dflt", "row d",
	    "select prio || '|' || note from public.%s"
	    " where title = 'd'",
	    w.wt_name);
	wt_drop(&w);
}

Test(writes, counts_on_writes_and_planner_counts)
{
	const char *exact[] = {"Prefer: count=exact", NULL};
	const char *planned[] = {"Prefer: count=planned", NULL};
	const char *estimated[] = {"Prefer: count=estimated", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128], v[E2E_HDR_MAX];
	const char *slash;

	user_new(&a, "counts");
	wt_create(&w, a.us_tok);
	e2e_must_call("POST", w.wt_path, a.us_tok, exact,
	    "[{\"title\":\"a\"},{\"title\":\"b\"}]", &r);
	e2e_expect(&r, 201, "POST count=exact");
	expect_header(&r, "Content-Range", "*/2", "POST count=exact");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?prio=eq.7", w.wt_path);
	e2e_must_call("PATCH", path, a.us_tok, exact, "{\"prio\":8}", &r);
	e2e_expect(&r, 204, "PATCH count=exact");
	expect_header(&r, "Content-Range", "0-1/2", "PATCH count=exact");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?prio=eq.8&title=eq.a", w.wt_path);
	e2e_must_call("DELETE", path, a.us_tok, exact, NULL, &r);
	e2e_expect(&r, 204, "DELETE count=exact");
	expect_header(&r, "Content-Range", "0-0/1", "DELETE count=exact");
	e2e_resp_free(&r);
	sql_is("b", "what is left",
	    "select string_agg(title, ',')"
	    " from public.%s",
	    w.wt_name);

	/* Planned: the planner's estimate, a number, never NaN. */
	e2e_must_call("GET", w.wt_path, a.us_tok, planned, NULL, &r);
	e2e_expect(&r, 200, "GET count=planned");
	cr_assert(e2e_header(&r, "Content-Range", v, sizeof(v)) == 0);
	slash = strchr(v, '/');
	cr_assert(slash != NULL && slash[1] >= '0' && slash[1] <= '9' &&
	              strspn(slash + 1, "0123456789") == strlen(slash + 1),
	    "planned total is not a number: %s", v);
	cr_assert(strncmp(v, "0-0/", 4) == 0, "range: %s", v);
	expect_header(&r, "Preference-Applied", "count=planned", "planned");
	e2e_resp_free(&r);
	/* Estimated: below max-rows it is the exact count. */
	e2e_must_call("GET", w.wt_path, a.us_tok, estimated, NULL, &r);
	e2e_expect(&r, 200, "GET count=estimated");
	expect_header(&r, "Content-Range", "0-0/1", "estimated");
	e2e_resp_free(&r);
	wt_drop(&w);
}

Test(writes, upsert_merges_and_ignores)
{
	const char *merge[] = {
	    "Prefer: resolution=merge-duplicates, return=representation", NULL};
	const char *ignore[] = {"Prefer: resolution=ignore-duplicates", NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[128];

	user_new(&a, "upsert");
	wt_create(&w, a.us_tok);
	/* postgrest-js's plain upsert(): twice the same key. */
	e2e_must_call("POST", w.wt_path, a.us_tok, merge,
	    "{\"id\":1,\"title\":\"one\",\"prio\":1}", &r);
	e2e_expect(&r, 201, "first upsert");
	e2e_resp_free(&r);
	e2e_must_call("POST", w.wt_path, a.us_tok, merge,
	    "{\"id\":1,\"title\":\"one\",\"prio\":2}", &r);
	e2e_expect(&r, 201, "second upsert");
	expect_header(&r, "Preference-Applied",
	    "resolution=merge-duplicates, return=representation", "merge");
	e2e_resp_free(&r);
	sql_is("1|2", "merged",
	    "select count(*) || '|' || max(prio)"
	    " from public.%s",
	    w.wt_name);
	/* A bulk upsert: one existing key, one new. */
	e2e_must_call("POST", w.wt_path, a.us_tok, merge,
	    "[{\"id\":1,\"title\":\"one\",\"prio\":3},"
	    "{\"id\":2,\"title\":\"two\",\"prio\":4}]",
	    &r);
	e2e_expect(&r, 201, "bulk upsert");
	e2e_resp_free(&r);
	sql_is("1:3,2:4", "bulk merged",
	    "select string_agg(id || ':' || prio, ',' order by id)"
	    " from public.%s",
	    w.wt_name);

	e2e_must_call("POST", w.wt_path, a.us_tok, ignore,
	    "{\"id\":1,\"title\":\"one\",\"prio\":9}", &r);
	e2e_expect(&r, 201, "ignore-duplicates");
	e2e_resp_free(&r);
	sql_is("3", "ignored", "select prio from public.%s where id = 1",
	    w.wt_name);

	/* on_conflict on another unique key. */
	e2e_fmt(path, sizeof(path), "%s?on_conflict=title", w.wt_path);
	e2e_must_call("POST", path, a.us_tok, merge,
	    "{\"title\":\"two\",\"prio\":5}", &r);
	e2e_expect(&r, 201, "on_conflict=title");
	e2e_resp_free(&r);
	sql_is("2|5", "merged on title",
	    "select count(*) || '|' || max(prio) filter (where title = 'two')"
	    " from public.%s",
	    w.wt_name);
	e2e_fmt(path, sizeof(path), "%s?on_conflict=nope", w.wt_path);
	e2e_must_call("POST", path, a.us_tok, merge, "{\"title\":\"x\"}", &r);
	expect_code(&r, 400, "PGRST204", "on_conflict=nope");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?on_conflict=prio", w.wt_path);
	e2e_must_call(
	    "POST", path, a.us_tok, merge, "{\"title\":\"x\",\"prio\":5}", &r);
	expect_code(&r, 400, "42P10", "on_conflict on a non-unique column");
	e2e_resp_free(&r);
	sql_is("2", "nothing else written", "select count(*) from public.%s",
	    w.wt_name);
	wt_drop(&w);
}

Test(writes, upsert_cannot_take_another_owners_row)
{
	const char *merge[] = {
	    "Prefer: resolution=merge-duplicates, return=representation", NULL};
	const char *ignore[] = {
	    "Prefer: resolution=ignore-duplicates, return=representation",
	    NULL};
	struct user a, b;
	struct wt w;
	struct e2e_resp r;
	char body[128];

	user_new(&a, "upown-a");
	user_new(&b, "upown-b");
	wt_create(&w, a.us_tok);
	e2e_must_call("POST", w.wt_opath, a.us_tok, merge,
	    "{\"id\":1,\"title\":\"mine\"}", &r);
	e2e_expect(&r, 201, "A creates row 1 by upsert");
	e2e_resp_free(&r);
	sql_is("mine", "A's row",
	    "select title from public.%s_o where id = 1"
	    " and owner_id = %" PRId64,
	    w.wt_name, a.us_id);

	e2e_must_call("POST", w.wt_opath, b.us_tok, merge,
	    "{\"id\":1,\"title\":\"stolen\"}", &r);
	expect_code(&r, 403, "42501", "B merges into A's row");
	e2e_resp_free(&r);
	e2e_must_call("POST", w.wt_opath, b.us_tok, merge,
	    "[{\"id\":2,\"title\":\"b's\"},{\"id\":1,\"title\":\"stolen\"}]",
	    &r);
	expect_code(&r, 403, "42501", "B bulk-merges into A's row");
	e2e_resp_free(&r);
	e2e_must_call("POST", w.wt_opath, b.us_tok, ignore,
	    "{\"id\":1,\"title\":\"stolen\"}", &r);
	e2e_expect(&r, 201, "B ignore-duplicates on A's row");
	cr_assert_str_eq(e2e_body(&r), "[]");
	e2e_resp_free(&r);
	e2e_fmt(
	    body, sizeof(body), "{\"id\":1,\"owner_id\":%" PRId64 "}", a.us_id);
	e2e_must_call("POST", w.wt_opath, b.us_tok, merge, body, &r);
	expect_code(&r, 403, "PN300", "B names A as the owner");
	e2e_resp_free(&r);
	sql_is("1|mine|1", "A's row is untouched and B has none",
	    "select count(*) || '|' || max(title) || '|' ||"
	    " count(*) filter (where owner_id = %" PRId64 ")"
	    " from public.%s_o",
	    a.us_id, w.wt_name);

	e2e_must_call("POST", w.wt_opath, a.us_tok, merge,
	    "{\"id\":1,\"title\":\"still mine\"}", &r);
	e2e_expect(&r, 201, "A merges into A's row");
	e2e_resp_free(&r);
	sql_is("still mine", "A's merge",
	    "select title from public.%s_o"
	    " where id = 1",
	    w.wt_name);
	wt_drop(&w);
}

Test(writes, output_forms)
{
	const char *csv[] = {"Accept: text/csv", NULL};
	const char *stripped[] = {
	    "Accept: application/vnd.pgrst.array+json;nulls=stripped", NULL};
	const char *ostripped[] = {
	    "Accept: application/vnd.pgrst.object+json;nulls=stripped", NULL};
	const char *xml[] = {"Accept: text/xml", NULL};
	const char *plan[] = {
	    "Accept: application/vnd.pgrst.plan+text; for=\"application/json\"",
	    NULL};
	struct user a;
	struct wt w;
	struct e2e_resp r;
	char path[256];

	user_new(&a, "output");
	wt_create(&w, a.us_tok);
	cr_assert(e2e_sql("insert into public.%s (title, prio, note) values"
	                  " ('a, \"quoted\"', 1, null), ('b', 2, 'x y')",
	              w.wt_name) == 0);
	e2e_fmt(path, sizeof(path), "%s?select=title,prio,note&order=prio",
	    w.wt_path);
	e2e_must_call("GET", path, a.us_tok, csv, NULL, &r);
	e2e_expect(&r, 200, "csv");
	expect_header(&r, "Content-Type", "text/csv; charset=utf-8", "csv");
	cr_assert_str_eq(e2e_body(&r),
	    "title,prio,note\n\"a, \"\"quoted\"\"\",1,\nb,2,\"x y\"");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?select=title&prio=eq.99", w.wt_path);
	e2e_must_call("GET", path, a.us_tok, csv, NULL, &r);
	e2e_expect(&r, 200, "empty csv");
	cr_assert_str_eq(e2e_body(&r), "\n");
	e2e_resp_free(&r);

	e2e_fmt(
	    path, sizeof(path), "%s?select=prio,note&order=prio", w.wt_path);
	e2e_must_call("GET", path, a.us_tok, stripped, NULL, &r);
	e2e_expect(&r, 200, "nulls=stripped");
	cr_assert_str_eq(
	    e2e_body(&r), "[{\"prio\":1},{\"prio\":2,\"note\":\"x y\"}]");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?select=prio,note&prio=eq.1", w.wt_path);
	e2e_must_call("GET", path, a.us_tok, ostripped, NULL, &r);
	e2e_expect(&r, 200, "object nulls=stripped");
	cr_assert_str_eq(e2e_body(&r), "{\"prio\":1}");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?prio=eq.99", w.wt_path);
	e2e_must_call("GET", path, a.us_tok, ostripped, NULL, &r);
	expect_code(&r, 406, "PGRST116", "object of no rows");
	expect_field(
	    &r, "message", "Cannot coerce the result to a single JSON object");
	expect_field(&r, "details", "The result contains 0 rows");
	e2e_resp_free(&r);
	/* On a write the check is inside the statement; same answer. */
	seed(&w, "('twin1', 5), ('twin2', 5)");
	e2e_fmt(path, sizeof(path), "%s?prio=eq.5", w.wt_path);
	e2e_must_call("DELETE", path, a.us_tok, ostripped, NULL, &r);
	expect_code(&r, 406, "PGRST116", "object DELETE of two rows");
	expect_field(&r, "details", "The result contains 2 rows");
	e2e_resp_free(&r);
	sql_is("2", "the refused DELETE deleted",
	    "select count(*) from public.%s where prio = 5", w.wt_name);

	e2e_must_call("GET", w.wt_path, a.us_tok, xml, NULL, &r);
	expect_code(&r, 406, "PGRST107", "text/xml");
	e2e_resp_free(&r);
	e2e_must_call("GET", w.wt_path, a.us_tok, plan, NULL, &r);
	expect_code(&r, 406, "PGRST107", "explain");
	e2e_resp_free(&r);
	/* A write answers CSV too, and is refused before it runs on 406. */
	e2e_must_call(
	    "POST", w.wt_path, a.us_tok, xml, "{\"title\":\"c\"}", &r);
	expect_code(&r, 406, "PGRST107", "POST text/xml");
	e2e_resp_free(&r);
	sql_is("0", "a refused Accept wrote nothing",
	    "select count(*) from public.%s where title = 'c'", w.wt_name);
	wt_drop(&w);
}

/* ---- PUT (docs/data-api.md, "PUT") ---- */

/*
 * pt_<hex>: id (the key), title, prio (default 7), note (default 'dflt'),
 * shout (generated), addr (a composite, pt_<hex>_addr), with a trigger
 * refusing the title 'forbidden' with a detail and a hint; PUT at
 * /pt_<hex>/{id} (also /pt_<hex>?id=eq.N).  pt_<hex>_o: owner-ruled on
 * owner_id, PUT at /pt_<hex>_o/{id}.  pt_<hex>_r: Row Level Security on
 * owner_id, PUT at /pt_<hex>_r (filters only).
 */
struct pt {
	char pt_name[64];
	char pt_path[64];
	char pt_opath[64];
	char pt_rpath[64];
};

static void
pt_create(struct pt *p, const char *tok)
{
	char hex[17];
	long st;

	e2e_rand_hex(hex, sizeof(hex), 8);
	e2e_fmt(p->pt_name, sizeof(p->pt_name), "pt_%s", hex);
	e2e_fmt(p->pt_path, sizeof(p->pt_path), "/%s", p->pt_name);
	e2e_fmt(p->pt_opath, sizeof(p->pt_opath), "/%s_o", p->pt_name);
	e2e_fmt(p->pt_rpath, sizeof(p->pt_rpath), "/%s_r", p->pt_name);
	cr_assert(
	    e2e_sql("create type public.%1$s_addr as"
	            " (street text, zip integer);"
	            "create table public.%1$s ("
	            " id bigint primary key,"
	            " title text not null,"
	            " prio integer not null default 7,"
	            " note text default 'dflt',"
	            " shout text generated always as (title || '!')"
	            "  stored,"
	            " addr public.%1$s_addr);"
	            "create function public.%1$s_guard() returns trigger"
	            " language plpgsql as $$ begin"
	            " if new.title = 'forbidden' then"
	            "  raise exception 'the title %% is not allowed',"
	            "   new.title using detail = 'a guard trigger',"
	            "   hint = 'choose another title';"
	            " end if; return new; end $$;"
	            "create trigger guard before insert or update"
	            " on public.%1$s for each row"
	            " execute function public.%1$s_guard();"
	            "create table public.%1$s_o ("
	            " id bigint primary key,"
	            " owner_id bigint not null,"
	            " title text);"
	            "create table public.%1$s_r ("
	            " id bigint primary key,"
	            " owner_id bigint not null,"
	            " title text);"
	            "alter table public.%1$s_r enable row level security;"
	            "create policy own on public.%1$s_r to postern_gateway"
	            " using (owner_id = nullif(current_setting("
	            "  'request.user_id', true), '')::bigint)"
	            " with check (owner_id = nullif(current_setting("
	            "  'request.user_id', true), '')::bigint);"
	            "grant select, insert, update"
	            " on public.%1$s, public.%1$s_o, public.%1$s_r"
	            " to postern_gateway;"
	            "insert into postern.endpoints (kind, method, path,"
	            " table_name, op, auth, owner_column) values"
	            " ('data', 'PUT', '/%1$s/{id}', '%1$s', 'replace',"
	            "  'bearer', null),"
	            " ('data', 'PUT', '/%1$s_o/{id}', '%1$s_o',"
	            "  'replace', 'bearer:users', 'owner_id'),"
	            " ('data', 'PUT', '/%1$s_r', '%1$s_r', 'replace',"
	            "  'bearer', null);",
	        p->pt_name) == 0,
	    "cannot create %s", p->pt_name);
	st = e2e_wait_route("GET", p->pt_rpath, tok, ROUTE_WAIT_MS);
	cr_assert(st == 405, "%s not published (%ld)", p->pt_rpath, st);
}

static void
pt_drop(const struct pt *p)
{
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name like '%1$s%%';"
	                  "drop table public.%1$s, public.%1$s_o,"
	                  " public.%1$s_r;"
	                  "drop function public.%1$s_guard();"
	                  "drop type public.%1$s_addr;",
	              p->pt_name) == 0);
}

/* The row of pt as text, for comparisons with what the database holds. */
static void
pt_row_is(const struct pt *p, long id, const char *want, const char *what)
{
	sql_is(want, what,
	    "select coalesce((select row_to_json(t)::text from public.%s t"
	    " where id = %ld), 'none')",
	    p->pt_name, id);
}

Test(writes, put_creates_and_replaces)
{
	const char *repr[] = {"Prefer: return=representation", NULL};
	const char *count[] = {"Prefer: count=exact", NULL};
	const char *rollback[] = {
	    "Prefer: tx=rollback, return=representation", NULL};
	const char *object[] = {"Prefer: return=representation",
	    "Accept: application/vnd.pgrst.object+json", NULL};
	struct user a;
	struct pt p;
	struct e2e_resp r;
	char path[256];

	user_new(&a, "put");
	pt_create(&p, a.us_tok);

	/* Created: 201 with the row, its generated column and composite. */
	e2e_fmt(path, sizeof(path), "%s/1", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, repr,
	    "{\"id\":1,\"title\":\"one\",\"prio\":2,\"note\":null,"
	    "\"addr\":{\"street\":\"Main\",\"zip\":12345}}",
	    &r);
	e2e_expect(&r, 201, "PUT creates row 1");
	cr_assert_str_eq(e2e_body(&r),
	    "[{\"id\":1,\"title\":\"one\",\"prio\":2,\"note\":null,"
	    "\"shout\":\"one!\",\"addr\":{\"street\":\"Main\",\"zip\":12345}}"
	    "]");
	e2e_resp_free(&r);
	pt_row_is(&p, 1,
	    "{\"id\":1,\"title\":\"one\",\"prio\":2,\"note\":null,"
	    "\"shout\":\"one!\",\"addr\":{\"street\":\"Main\",\"zip\":12345}}",
	    "row 1 created");

	/* Replaced: 200, every column from the body. */
	e2e_must_call("PUT", path, a.us_tok, repr,
	    "{\"id\":1,\"title\":\"uno\",\"prio\":3,\"note\":\"n\","
	    "\"addr\":null}",
	    &r);
	e2e_expect(&r, 200, "PUT replaces row 1");
	cr_assert_str_eq(e2e_body(&r),
	    "[{\"id\":1,\"title\":\"uno\",\"prio\":3,\"note\":\"n\","
	    "\"shout\":\"uno!\",\"addr\":null}]");
	e2e_resp_free(&r);
	pt_row_is(&p, 1,
	    "{\"id\":1,\"title\":\"uno\",\"prio\":3,\"note\":\"n\","
	    "\"shout\":\"uno!\",\"addr\":null}",
	    "row 1 replaced");

	/* Without a Prefer: 204, no body; PostgREST's collection form; the
	 * key's text form is compared as the key's type. */
	e2e_fmt(path, sizeof(path), "%s?id=eq.02", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, NULL,
	    "{\"id\":2,\"title\":\"two\",\"prio\":1,\"note\":\"x\","
	    "\"addr\":{\"street\":null,\"zip\":1}}",
	    &r);
	e2e_expect(&r, 204, "PUT ?id=eq.02 creates row 2");
	cr_assert_eq(r.er_body.b_len, 0, "204 with a body: %s", e2e_body(&r));
	e2e_resp_free(&r);
	pt_row_is(&p, 2,
	    "{\"id\":2,\"title\":\"two\",\"prio\":1,\"note\":\"x\","
	    "\"shout\":\"two!\",\"addr\":{\"street\":null,\"zip\":1}}",
	    "row 2 created");

	/* count=exact, one object, tx=rollback. */
	e2e_fmt(path, sizeof(path), "%s/2", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, count,
	    "{\"id\":2,\"title\":\"deux\",\"prio\":1,\"note\":\"x\","
	    "\"addr\":null}",
	    &r);
	e2e_expect(&r, 204, "PUT count=exact");
	expect_header(&r, "Content-Range", "0-0/1", "PUT count=exact");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s/2?select=id,title", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, object,
	    "{\"id\":2,\"title\":\"dos\",\"prio\":1,\"note\":\"x\","
	    "\"addr\":null}",
	    &r);
	e2e_expect(&r, 200, "PUT as one object");
	cr_assert_str_eq(e2e_body(&r), "{\"id\":2,\"title\":\"dos\"}");
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s/3", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, rollback,
	    "{\"id\":3,\"title\":\"three\",\"prio\":1,\"note\":\"x\","
	    "\"addr\":null}",
	    &r);
	e2e_expect(&r, 201, "PUT tx=rollback answers as if committed");
	e2e_resp_free(&r);
	pt_row_is(&p, 3, "none", "tx=rollback wrote nothing");
	sql_is("2|dos", "row 2 after the PUTs",
	    "select id || '|' || title from public.%s where id = 2", p.pt_name);
	pt_drop(&p);
}

Test(writes, put_refusals_write_nothing)
{
	static const struct {
		const char *q, *body;
		long status;
		const char *code;
	} cases[] = {
	    /* The body's key is not the filter's. */
	    {"/1",
	        "{\"id\":2,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}",
	        400, "PGRST115"},
	    {"?id=eq.3",
	        "{\"id\":4,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}",
	        400, "PGRST115"},
	    /* Not every column, or a null key. */
	    {"/1",
	        "{\"id\":null,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}",
	        400, "PN101"},
	    {"/1", "{\"id\":1,\"title\":\"t\"}", 400, "PN101"},
	    /* Filters other than eq on the key, once. */
	    {"",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}",
	        405, "PGRST105"},
	    {"?title=eq.t",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"?id=gt.0",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}",
	        405, "PGRST105"},
	    {"?id=not.eq.1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"?id=in.(1)",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"?and=(id.eq.1)",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"?id=eq.1&title=eq.t",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"?id=eq.1&id=eq.1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    {"/1?id=eq.1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        405, "PGRST105"},
	    /* limit and offset. */
	    {"?id=eq.1&limit=1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        400, "PGRST114"},
	    {"/1?offset=1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        400, "PGRST114"},
	    {"/1?on_conflict=id",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,"
	        "\"note\":null,\"addr\":null}",
	        400, "PGRST100"},
	    /* One object only; a generated column is never written. */
	    {"/1",
	        "[{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null}]",
	        400, "PN100"},
	    {"/1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":null,\"shout\":\"x\"}",
	        400, "428C9"},
	    {"/1",
	        "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,"
	        "\"addr\":{\"street\":\"s\",\"town\":\"x\"}}",
	        400, "PN101"},
	};
	const char *merge[] = {"Prefer: resolution=merge-duplicates", NULL};
	const char *missing[] = {"Prefer: missing=default", NULL};
	struct user a;
	struct pt p;
	struct e2e_resp r;
	char path[256], what[300];
	size_t i;

	user_new(&a, "put-refused");
	pt_create(&p, a.us_tok);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e2e_fmt(path, sizeof(path), "%s%s", p.pt_path, cases[i].q);
		e2e_fmt(what, sizeof(what), "PUT %s %s", path, cases[i].body);
		e2e_must_call("PUT", path, a.us_tok, NULL, cases[i].body, &r);
		expect_code(&r, cases[i].status, cases[i].code, what);
		e2e_resp_free(&r);
	}
	e2e_fmt(path, sizeof(path), "%s/1", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, NULL,
	    "{\"id\":2,\"title\":\"t\","
	    "\"prio\":1,\"note\":null,\"addr\":null}",
	    &r);
	expect_field(&r, "message",
	    "Payload values do not match URL in primary key column(s)");
	e2e_resp_free(&r);
	e2e_must_call(
	    "PUT", path, a.us_tok, NULL, "{\"id\":1,\"title\":\"t\"}", &r);
	expect_field(&r, "details", "prio, note, addr");
	e2e_resp_free(&r);
	e2e_must_call("PUT", path, a.us_tok, merge,
	    "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,\"addr\":null}",
	    &r);
	expect_code(&r, 400, "PGRST122", "PUT with resolution=");
	e2e_resp_free(&r);
	e2e_must_call("PUT", path, a.us_tok, missing,
	    "{\"id\":1,\"title\":\"t\",\"prio\":1,\"note\":null,\"addr\":null}",
	    &r);
	expect_code(&r, 400, "PGRST122", "PUT with missing=");
	e2e_resp_free(&r);
	sql_is("0", "no refused PUT wrote a row",
	    "select count(*) from public.%s", p.pt_name);
	pt_drop(&p);
}

/*
 * PostgreSQL's HINT reaches the body as PostgREST passes it: a trigger's
 * RAISE with DETAIL and HINT is 400 with its SQLSTATE (P0001) and all four
 * keys filled.
 */
Test(writes, database_hint_reaches_the_error_body)
{
	struct user a;
	struct pt p;
	struct e2e_resp r;
	struct json_object *v;
	char path[256];

	user_new(&a, "hint");
	pt_create(&p, a.us_tok);
	e2e_fmt(path, sizeof(path), "%s/1", p.pt_path);
	e2e_must_call("PUT", path, a.us_tok, NULL,
	    "{\"id\":1,\"title\":\"forbidden\",\"prio\":1,\"note\":null,"
	    "\"addr\":null}",
	    &r);
	expect_code(&r, 400, "P0001", "the guard trigger refuses");
	expect_field(&r, "message", "the title forbidden is not allowed");
	expect_field(&r, "details", "a guard trigger");
	expect_field(&r, "hint", "choose another title");
	cr_assert_eq(
	    json_object_object_length(r.er_json), 4, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	/* Where PostgreSQL gives no hint, the key is there, null. */
	e2e_must_call("PUT", path, a.us_tok, NULL,
	    "{\"id\":1,\"title\":null,\"prio\":1,\"note\":null,\"addr\":null}",
	    &r);
	expect_code(&r, 400, "PN101", "null title");
	cr_assert(json_object_object_get_ex(r.er_json, "hint", &v) && v == NULL,
	    "hint not null: %s", e2e_body(&r));
	e2e_resp_free(&r);
	pt_row_is(&p, 1, "none", "the refused PUTs wrote nothing");
	pt_drop(&p);
}

Test(writes, put_cannot_take_another_owners_row)
{
	const char *repr[] = {"Prefer: return=representation", NULL};
	struct user a, b;
	struct pt p;
	struct e2e_resp r;
	char path[256], body[160], want[160];

	user_new(&a, "putown-a");
	user_new(&b, "putown-b");
	pt_create(&p, a.us_tok);
	/* The owner rule sets owner_id from the token: the body may leave
	 * it out. */
	e2e_fmt(path, sizeof(path), "%s/1", p.pt_opath);
	e2e_must_call(
	    "PUT", path, a.us_tok, repr, "{\"id\":1,\"title\":\"mine\"}", &r);
	e2e_expect(&r, 201, "A creates row 1 by PUT");
	e2e_fmt(want, sizeof(want),
	    "[{\"id\":1,\"owner_id\":%" PRId64 ",\"title\":\"mine\"}]",
	    a.us_id);
	cr_assert_str_eq(e2e_body(&r), want);
	e2e_resp_free(&r);

	e2e_must_call(
	    "PUT", path, b.us_tok, repr, "{\"id\":1,\"title\":\"stolen\"}", &r);
	expect_code(&r, 403, "42501", "B replaces A's row");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "{\"id\":1,\"owner_id\":%" PRId64 ","
	    "\"title\":\"stolen\"}",
	    a.us_id);
	e2e_must_call("PUT", path, b.us_tok, repr, body, &r);
	expect_code(&r, 403, "PN300", "B names A as the owner");
	e2e_resp_free(&r);
	sql_is("mine", "A's row is unchanged",
	    "select title from public.%s_o where id = 1"
	    " and owner_id = %" PRId64,
	    p.pt_name, a.us_id);

	/* A replaces its own row. */
	e2e_must_call("PUT", path, a.us_tok, NULL,
	    "{\"id\":1,\"title\":\"still mine\"}", &r);
	e2e_expect(&r, 204, "A replaces row 1");
	e2e_resp_free(&r);
	sql_is("still mine", "A's row replaced",
	    "select title from public.%s_o where id = 1"
	    " and owner_id = %" PRId64,
	    p.pt_name, a.us_id);
	pt_drop(&p);
}

Test(writes, put_under_row_level_security)
{
	struct user a, b;
	struct pt p;
	struct e2e_resp r;
	char path[256], body[160];

	user_new(&a, "putrls-a");
	user_new(&b, "putrls-b");
	pt_create(&p, a.us_tok);
	e2e_fmt(path, sizeof(path), "%s?id=eq.1", p.pt_rpath);
	e2e_fmt(body, sizeof(body),
	    "{\"id\":1,\"owner_id\":%" PRId64 ",\"title\":\"a's\"}", a.us_id);
	e2e_must_call("PUT", path, a.us_tok, NULL, body, &r);
	e2e_expect(&r, 204, "A creates its row");
	e2e_resp_free(&r);
	/* B may not write a row as A's, nor replace A's row with its own. */
	e2e_fmt(body, sizeof(body),
	    "{\"id\":1,\"owner_id\":%" PRId64 ",\"title\":\"b's\"}", b.us_id);
	e2e_must_call("PUT", path, b.us_tok, NULL, body, &r);
	expect_code(&r, 403, "42501", "B replaces A's row under RLS");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "{\"id\":2,\"owner_id\":%" PRId64 ",\"title\":\"b's\"}", a.us_id);
	e2e_fmt(path, sizeof(path), "%s?id=eq.2", p.pt_rpath);
	e2e_must_call("PUT", path, b.us_tok, NULL, body, &r);
	expect_code(&r, 403, "42501", "B creates a row as A's under RLS");
	e2e_resp_free(&r);
	sql_is("1|a's", "only A's row, unchanged",
	    "select string_agg(id || '|' || title, ',') from public.%s_r",
	    p.pt_name);
	pt_drop(&p);
}

/* The admin API publishes a replace: PUT /<table>/{id} by default, with
 * the grants it needs; a table without a key cannot have one.  Its
 * columns have the names of the PUT statement's own aliases. */
Test(writes, admin_api_publishes_put)
{
	const char *repr[] = {"Prefer: return=representation", NULL};
	struct user a;
	struct e2e_resp r;
	char key[256], hex[17], name[64], body[256], path[128];
	long st;

	user_new(&a, "put-admin");
	e2e_admin_key(key, sizeof(key));
	e2e_rand_hex(hex, sizeof(hex), 8);
	e2e_fmt(name, sizeof(name), "pa_%s", hex);
	cr_assert(
	    e2e_sql("create table public.%1$s (id integer primary key,"
	            " title text, \"_t\" text, \"_ins\" boolean,"
	            " \"_row\" integer);"
	            "create table public.%1$s_nk (id integer, title text);",
	        name) == 0);
	e2e_fmt(body, sizeof(body),
	    "{\"kind\":\"data\",\"table\":\"%s\",\"op\":\"replace\"}", name);
	e2e_must_call("POST", "/_admin/endpoints", key, NULL, body, &r);
	e2e_expect(&r, 201, "replace endpoint created");
	expect_field(&r, "method", "PUT");
	e2e_fmt(path, sizeof(path), "/%s/{id}", name);
	expect_field(&r, "path", path);
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "{\"kind\":\"data\",\"table\":\"%s\",\"op\":\"replace\","
	    "\"method\":\"PATCH\"}",
	    name);
	e2e_must_call("POST", "/_admin/endpoints", key, NULL, body, &r);
	expect_code(&r, 400, "PN110", "replace with PATCH");
	e2e_resp_free(&r);
	e2e_fmt(body, sizeof(body),
	    "{\"kind\":\"data\",\"table\":\"%s_nk\",\"op\":\"replace\"}", name);
	e2e_must_call("POST", "/_admin/endpoints", key, NULL, body, &r);
	expect_code(&r, 400, "PN110", "replace on a table without a key");
	e2e_resp_free(&r);

	e2e_fmt(path, sizeof(path), "/%s/7", name);
	st = e2e_wait_route("GET", path, a.us_tok, ROUTE_WAIT_MS);
	cr_assert(st == 405, "%s not published (%ld)", path, st);
	e2e_must_call("PUT", path, a.us_tok, repr,
	    "{\"id\":7,\"title\":\"seven\",\"_t\":\"t\",\"_ins\":false,"
	    "\"_row\":1}",
	    &r);
	e2e_expect(&r, 201, "PUT through the admin-made endpoint");
	cr_assert_str_eq(e2e_body(&r),
	    "[{\"id\":7,\"title\":\"seven\",\"_t\":\"t\",\"_ins\":false,"
	    "\"_row\":1}]");
	e2e_resp_free(&r);
	e2e_must_call("PUT", path, a.us_tok, repr,
	    "{\"id\":7,\"title\":\"sieben\",\"_t\":null,\"_ins\":true,"
	    "\"_row\":2}",
	    &r);
	e2e_expect(&r, 200, "PUT replaces through it");
	cr_assert_str_eq(e2e_body(&r),
	    "[{\"id\":7,\"title\":\"sieben\",\"_t\":null,\"_ins\":true,"
	    "\"_row\":2}]");
	e2e_resp_free(&r);
	sql_is("sieben", "the row", "select title from public.%s where id = 7",
	    name);
	sql_is("INSERT,SELECT,UPDATE", "the grants it made",
	    "select string_agg(privilege, ',' order by privilege)"
	    " from postern.endpoint_grants where rel = 'public.%s'::regclass",
	    name);
	cr_assert(
	    e2e_sql("delete from postern.endpoints where table_name = '%1$s';"
	            "drop table public.%1$s, public.%1$s_nk;",
	        name) == 0);
}
