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
