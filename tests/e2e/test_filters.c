/*
 * End-to-end tests of the filter grammar (docs/data-api.md, "List
 * grammar"): every operator on the column types it applies to, the
 * any/all modifiers, the fts family with a configuration, or/and trees on
 * lists, counts, collection updates and deletes, and the owner rule around
 * all of them, against a table with array, range, jsonb, text and tsvector
 * columns.  The table is made with admin SQL, its endpoints published
 * through the admin API; each test has its own table (a random suffix).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define KEYCAP 256
#define NAME_MAX_LEN 64
#define ROUTE_WAIT_MS 3000
/* gateway/query.h's QUERY_TREE_DEPTH_MAX, as documented. */
#define TREE_DEPTH_MAX 8

static char admin_key[KEYCAP];

static void
filters_setup(void)
{
	e2e_setup();
	e2e_admin_key(admin_key, sizeof(admin_key));
}

/* See test_e2e.c: no test may override .timeout. */
TestSuite(filters, .init = filters_setup, .fini = e2e_teardown, .timeout = 60);

static const char *const PREFER_REPR[] = {
    "Prefer: return=representation", NULL};
static const char *const PREFER_COUNT[] = {"Prefer: count=exact", NULL};

struct user {
	char us_tok[TOKCAP];
	int64_t us_id;
};

/* The table of one test: ft_<hex>, rows a..e of user A, f of user B. */
struct ft {
	char ft_name[NAME_MAX_LEN];
	char ft_path[NAME_MAX_LEN + 1];
	struct user ft_a, ft_b;
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
publish(const char *def)
{
	struct e2e_resp r;

	e2e_must_call("POST", "/_admin/endpoints", admin_key, NULL, def, &r);
	cr_assert_eq(r.er_status, 201, "publish %s: %ld %s", def, r.er_status,
	    e2e_body(&r));
	e2e_resp_free(&r);
}

/*
 * ft_<hex>: labels a..e owned by A, f by B (f matches most filters, so a
 * filter or tree that leaked past the owner rule would show it).
 * GET /ft (list), PATCH /ft/{id}, DELETE /ft/{id}, all bearer with
 * owner_column owner_id: the collection forms PATCH/DELETE /ft?filters
 * come with the item routes.
 */
/*
 * Waits until method on t's collection path is served: the three routes
 * are published one by one, and a path whose GET is loaded already answers
 * 405 to a PATCH that is not, so 404 and 405 both mean "not yet".
 */
static void
ft_wait(const struct ft *t, const char *method)
{
	int64_t deadline = e2e_now_ms() + ROUTE_WAIT_MS;
	long st;

	do {
		st = e2e_wait_route(method, t->ft_path, t->ft_a.us_tok, 1000);
		if (st != -1 && st != 404 && st != 405)
			return;
		e2e_sleep_ms(25);
	} while (e2e_now_ms() < deadline);
	cr_assert_fail(
	    "%s %s not published (last answer %ld)", method, t->ft_path, st);
}

static void
ft_create(struct ft *t)
{
	char hex[17], def[512];

	user_new(&t->ft_a, "filt-a");
	user_new(&t->ft_b, "filt-b");
	e2e_rand_hex(hex, sizeof(hex), 8);
	e2e_fmt(t->ft_name, sizeof(t->ft_name), "ft_%s", hex);
	e2e_fmt(t->ft_path, sizeof(t->ft_path), "/%s", t->ft_name);
	cr_assert(
	    e2e_sql(
	        "create table public.%1$s ("
	        " id bigserial primary key,"
	        " owner_id bigint not null,"
	        " label text not null,"
	        " num integer,"
	        " tags text[],"
	        " nums integer[],"
	        " span int4range,"
	        " doc jsonb,"
	        " body text,"
	        " tsv tsvector generated always as"
	        "  (to_tsvector('english', coalesce(body, ''))) stored);"
	        "insert into public.%1$s"
	        " (owner_id, label, num, tags, nums, span, doc, body) values"
	        " (%2$" PRId64 ", 'a', 1, '{red,blue}', '{1,2}', '[1,5)',"
	        "  '{\"k\":1,\"t\":\"x\"}', 'the fat cats sat'),"
	        " (%2$" PRId64 ", 'b', 2, '{green}', '{3}', '[5,10)',"
	        "  '{\"k\":2}', 'a quick brown fox'),"
	        " (%2$" PRId64 ", 'c', 3, '{}', '{1,3,5}', '[20,30)',"
	        "  '[1,2]', 'fat dogs, big cats'),"
	        " (%2$" PRId64 ", 'd', null, null, null, null, null, null),"
	        " (%2$" PRId64 ", 'e', 5, '{red}', '{5}', '[10,20)',"
	        "  '{\"k\":1}', 'Cats and dogs (and birds)'),"
	        " (%3$" PRId64 ", 'f', 1, '{red,green}', '{1,3,5}', '[1,30)',"
	        "  '{\"k\":1}', 'fat cats, quick fox (and birds)');"
	        "grant select, insert, update, delete on public.%1$s"
	        " to postern_gateway;",
	        t->ft_name, t->ft_a.us_id, t->ft_b.us_id) == 0,
	    "cannot create %s", t->ft_name);
	e2e_fmt(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"GET\",\"path\":\"%s\","
	    "\"table\":\"%s\",\"op\":\"list\",\"auth\":\"bearer\","
	    "\"owner_column\":\"owner_id\"}",
	    t->ft_path, t->ft_name);
	publish(def);
	e2e_fmt(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"PATCH\",\"path\":\"%s/{id}\","
	    "\"table\":\"%s\",\"op\":\"update\",\"auth\":\"bearer\","
	    "\"owner_column\":\"owner_id\"}",
	    t->ft_path, t->ft_name);
	publish(def);
	e2e_fmt(def, sizeof(def),
	    "{\"kind\":\"data\",\"method\":\"DELETE\",\"path\":\"%s/{id}\","
	    "\"table\":\"%s\",\"op\":\"delete\",\"auth\":\"bearer\","
	    "\"owner_column\":\"owner_id\"}",
	    t->ft_path, t->ft_name);
	publish(def);
	ft_wait(t, "GET");
	ft_wait(t, "PATCH");
	ft_wait(t, "DELETE");
}

static void
ft_drop(const struct ft *t)
{
	cr_assert(e2e_sql("delete from postern.endpoints"
	                  " where table_name = '%1$s';"
	                  "drop table public.%1$s;",
	              t->ft_name) == 0);
}

/* The labels of an answer's rows, in order, into got. */
static void
labels_of(const struct e2e_resp *r, char *got, size_t cap, const char *what)
{
	struct json_object *o, *l;
	size_t i, n;

	cr_assert(r->er_json != NULL &&
	              json_object_is_type(r->er_json, json_type_array),
	    "%s: not an array: %s", what, e2e_body(r));
	n = json_object_array_length(r->er_json);
	cr_assert(n < cap, "%s: %zu rows", what, n);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(r->er_json, i);
		cr_assert(json_object_object_get_ex(o, "label", &l) &&
		              json_object_get_string_len(l) == 1,
		    "%s: no label in %s", what, e2e_body(r));
		got[i] = json_object_get_string(l)[0];
	}
	got[n] = '\0';
}

/* GET ft?query&order=label as tok: exactly the rows labelled want. */
static void
rows(const struct ft *t, const char *tok, const char *query, const char *want)
{
	struct e2e_resp r;
	char path[8192], got[64];

	e2e_fmt(path, sizeof(path), "%s?%s&order=label", t->ft_path, query);
	e2e_must_call("GET", path, tok, NULL, NULL, &r);
	cr_assert_eq(
	    r.er_status, 200, "%s: %ld %s", path, r.er_status, e2e_body(&r));
	labels_of(&r, got, sizeof(got), path);
	cr_assert_str_eq(
	    got, want, "%s: rows \"%s\", want \"%s\"", query, got, want);
	e2e_resp_free(&r);
}

/* GET ft?query: the error status and code. */
static void
refused(const struct ft *t, const char *query, long status, const char *code)
{
	struct e2e_resp r;
	struct json_object *c;
	char path[8192];

	e2e_fmt(path, sizeof(path), "%s?%s", t->ft_path, query);
	e2e_must_call("GET", path, t->ft_a.us_tok, NULL, NULL, &r);
	cr_assert_eq(r.er_status, status, "%s: %ld %s", query, r.er_status,
	    e2e_body(&r));
	e2e_assert_error(&r, status);
	cr_assert(json_object_object_get_ex(r.er_json, "code", &c) &&
	              strcmp(json_object_get_string(c), code) == 0,
	    "%s: want %s: %s", query, code, e2e_body(&r));
	e2e_resp_free(&r);
}

Test(filters, operators)
{
	struct ft t;
	const char *a;

	ft_create(&t);
	a = t.ft_a.us_tok;
	/* The plain ones, and the owner rule: f is B's. */
	rows(&t, a, "num=eq.1", "a");
	rows(&t, t.ft_b.us_tok, "num=eq.1", "f");
	rows(&t, a, "num=isdistinct.1", "bcde");
	rows(&t, a, "num=not.isdistinct.1", "a");
	rows(&t, a, "body=match.^[A-Z]", "e");
	rows(&t, a, "body=imatch.^c", "e");
	rows(&t, a, "body=not.match.fox", "ace");
	/* Arrays. */
	rows(&t, a, "tags=cs.{red}", "ae");
	rows(&t, a, "tags=not.cs.{red}", "bc");
	rows(&t, a, "tags=cd.{red,blue,green}", "abce");
	rows(&t, a, "tags=ov.{green,red}", "abe");
	rows(&t, a, "nums=cs.{1}", "ac");
	rows(&t, a, "nums=cd.{1,2,3}", "ab");
	rows(&t, a, "nums=ov.{5,9}", "ce");
	/* Ranges. */
	rows(&t, a, "span=cs.[3,3]", "a");
	refused(&t, "span=cs.3", 400, "22P02"); /* a range, as PostgREST */
	rows(&t, a, "span=cs.[11,12]", "e");
	rows(&t, a, "span=cd.[0,12)", "ab");
	rows(&t, a, "span=ov.[4,6)", "ab");
	rows(&t, a, "span=sl.[10,11)", "ab");
	rows(&t, a, "span=sr.[0,6)", "ce");
	rows(&t, a, "span=nxr.[0,10)", "ab");
	rows(&t, a, "span=nxl.[10,11)", "ce");
	rows(&t, a, "span=adj.[10,20)", "bc");
	rows(&t, a, "span=not.adj.[10,20)", "ae");
	/* jsonb. */
	rows(&t, a, "doc=cs.{%22k%22:1}", "ae");
	rows(&t, a, "doc=cd.{%22k%22:1,%22t%22:%22x%22,%22z%22:0}", "ae");
	rows(&t, a, "doc=cs.[1]", "c");
	/* Full text search, on text and on tsvector. */
	/* A text column is matched with the server's default configuration
	 * (fox is fox in every one). */
	rows(&t, a, "body=fts(english).fox", "b");
	rows(&t, a, "tsv=fts(english).fat%20%26%20!dog", "a");
	rows(&t, a, "tsv=plfts(english).fat%20cats", "ac");
	rows(&t, a, "tsv=phfts(english).fat%20cats", "a");
	rows(&t, a, "tsv=wfts(english).cats%20-fat", "e");
	rows(&t, a, "tsv=not.wfts(english).cats", "bd");
	rows(&t, a, "tsv=fts.fat", "ac");
	/* any / all. */
	rows(&t, a, "body=like(any).{*fox*,*birds*}", "be");
	rows(&t, a, "body=ilike(all).{*CATS*,*dogs*}", "ce");
	rows(&t, a, "num=eq(any).{1,5}", "ae");
	rows(&t, a, "num=gt(all).{1,2}", "ce");
	rows(&t, a, "num=not.lte(any).{2,3}", "e");
	rows(&t, a, "body=match(any).{^the,fox$}", "ab");

	/* Refused before SQL: an operator the type lacks. */
	refused(&t, "body=cs.{x}", 400, "PN108");
	refused(&t, "num=sl.[1,2)", 400, "PN108");
	refused(&t, "doc=ov.{}", 400, "PN108");
	refused(&t, "num=fts.x", 400, "PN108");
	refused(&t, "tags=eq(any).{x}", 400, "PN108");
	refused(&t, "num=neq(any).{1}", 400, "PN108");
	refused(&t, "body=fts(klingon).x", 400, "PN105");
	/* Values PostgreSQL refuses: still 400, never 500. */
	refused(&t, "span=adj.garbage", 400, "22P02");
	refused(&t, "nums=cs.{a}", 400, "22P02");
	refused(&t, "doc=cs.{nope", 400, "22P02");
	refused(&t, "body=match.(", 400, "2201B");
	refused(&t, "tsv=fts.fat%20cats", 400, "PN105");
	refused(&t, "num=eq(any).{x}", 400, "22P02");
	refused(&t, "num=eq(any).5", 400, "PN105");
	ft_drop(&t);
}

Test(filters, logic_trees_on_reads)
{
	struct ft t;
	struct e2e_resp r;
	char cr[128], deep[512];
	const char *a;
	int i;

	ft_create(&t);
	a = t.ft_a.us_tok;
	/* f matches each of these trees but is B's: the owner rule holds. */
	rows(&t, a, "or=(num.eq.1,tags.cs.{green})", "ab");
	rows(&t, t.ft_b.us_tok, "or=(num.eq.1,tags.cs.{green})", "f");
	rows(&t, a, "or=(label.eq.f,label.eq.a)", "a");
	rows(&t, a, "or=(owner_id.gt.0)", "abcde");
	rows(&t, a, "or=(num.eq.5,and(num.lt.3,tags.ov.{green}))", "be");
	rows(&t, a, "and=(num.gte.1,num.lte.3)&or=(label.eq.a,label.eq.c)",
	    "ac");
	rows(&t, a, "not.or=(num.eq.1,num.eq.2)", "ce");
	rows(&t, a, "not.and=(num.gt.1,num.lt.5)", "ae");
	rows(&t, a, "or=(not.and(num.gt.1,num.lt.5),num.is.null)", "ade");
	rows(&t, a, "or=(num.not.eq.1,label.eq.a)&num=lt.3", "ab");
	/* Quoting: commas, parentheses and a quote inside values. */
	rows(&t, a,
	    "or=(body.eq.%22a%20quick%20brown%20fox%22,"
	    "body.eq.%22Cats%20and%20dogs%20(and%20birds)%22)",
	    "be");
	rows(&t, a, "or=(body.eq.%22fat%20dogs,%20big%20cats%22,label.eq.x)",
	    "c");
	rows(&t, a, "or=(num.in.(1,2),label.eq.e)", "abe");
	rows(&t, a, "or=(tags.cs.{red,blue},span.adj.%22[10,20)%22)", "abc");
	rows(&t, a, "or=(body.like(any).{*fox,*sat},doc.cs.[2])", "abc");
	rows(&t, a, "or=(tsv.fts(english).dog,span.cs.%22[7,7]%22)", "bce");
	rows(&t, a, "or=(%22label%22.eq.d,%20num.eq.3)", "cd");

	/* Counts see the same rows. */
	e2e_must_call("GET",
	    strcat(strcpy(deep, t.ft_path), "?or=(num.eq.1,num.eq.5)&limit=1"),
	    a, PREFER_COUNT, NULL, &r);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	cr_assert(e2e_header(&r, "Content-Range", cr, sizeof(cr)) == 0 &&
	              strcmp(cr, "0-0/2") == 0,
	    "Content-Range: %s", cr);
	e2e_resp_free(&r);

	/* Errors: a clear 400 each. */
	refused(&t, "or=(num.eq.1", 400, "PGRST100");
	refused(&t, "or=num.eq.1", 400, "PGRST100");
	refused(&t, "or=()", 400, "PGRST100");
	refused(&t, "or=(xor(num.eq.1))", 400, "PGRST100");
	refused(&t, "or=(nope.eq.1)", 400, "PN107");
	refused(&t, "or=(num.foo.1)", 400, "PN108");
	refused(&t, "or=(num.eq.x)", 400, "PN105");
	refused(&t, "or=(body.cs.{x})", 400, "PN108");
	refused(&t, "tasks.or=(done.is.true)", 400, "PGRST100");
	strcpy(deep, "or=(");
	for (i = 0; i < TREE_DEPTH_MAX; i++)
		strcat(deep, "or(");
	strcat(deep, "num.eq.1");
	for (i = 0; i <= TREE_DEPTH_MAX; i++)
		strcat(deep, ")");
	refused(&t, deep, 400, "PN105");
	ft_drop(&t);
}

/* PATCH and DELETE on the collection with an or-tree, under the owner. */
Test(filters, logic_trees_on_writes)
{
	struct ft t;
	struct e2e_resp r;
	char path[512], got[64];
	const char *a;

	ft_create(&t);
	a = t.ft_a.us_tok;
	e2e_fmt(path, sizeof(path), "%s?or=(label.eq.a,label.eq.f,num.eq.5)",
	    t.ft_path);
	e2e_must_call("PATCH", path, a, PREFER_REPR, "{\"num\":100}", &r);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	labels_of(&r, got, sizeof(got), "PATCH or");
	cr_assert(strcmp(got, "ae") == 0 || strcmp(got, "ea") == 0,
	    "PATCH changed %s", got);
	e2e_resp_free(&r);
	rows(&t, a, "num=eq.100", "ae");
	/* B's f matched the tree but was not touched. */
	rows(&t, t.ft_b.us_tok, "num=eq.1", "f");

	e2e_fmt(path, sizeof(path),
	    "%s?or=(label.eq.b,and(label.eq.f,num.eq.1))&label=neq.zz",
	    t.ft_path);
	e2e_must_call("DELETE", path, a, PREFER_REPR, NULL, &r);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	labels_of(&r, got, sizeof(got), "DELETE or");
	cr_assert_str_eq(got, "b");
	e2e_resp_free(&r);
	rows(&t, a, "label=neq.zz", "acde");
	rows(&t, t.ft_b.us_tok, "label=neq.zz", "f");

	/* not.and on a delete; a tree that does not parse deletes nothing. */
	e2e_fmt(path, sizeof(path), "%s?not.and=(num.is.null)&or=(label.eq.c)",
	    t.ft_path);
	e2e_must_call("DELETE", path, a, NULL, NULL, &r);
	cr_assert_eq(r.er_status, 204, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	e2e_fmt(path, sizeof(path), "%s?or=(label.eq.a", t.ft_path);
	e2e_must_call("DELETE", path, a, NULL, NULL, &r);
	cr_assert_eq(r.er_status, 400, "%s", e2e_body(&r));
	e2e_resp_free(&r);
	rows(&t, a, "label=neq.zz", "ade");
	ft_drop(&t);
}

/* GET ft?query as A: exactly the body want. */
static void
body_is(const struct ft *t, const char *query, const char *want)
{
	struct e2e_resp r;
	char path[8192];

	e2e_fmt(path, sizeof(path), "%s?%s", t->ft_path, query);
	e2e_must_call("GET", path, t->ft_a.us_tok, NULL, NULL, &r);
	cr_assert_eq(
	    r.er_status, 200, "%s: %ld %s", query, r.er_status, e2e_body(&r));
	cr_assert_str_eq(e2e_body(&r), want, "%s", query);
	e2e_resp_free(&r);
}

/*
 * select= aliases, casts and JSON paths, and JSON paths in filters, trees
 * and order, on the jsonb column doc (a {"k":1,"t":"x"}, b {"k":2}, c
 * [1,2], d null, e {"k":1}; B's f {"k":1}).
 */
Test(filters, json_paths_and_select_items)
{
	struct ft t;
	struct e2e_resp r;
	const char *a;
	char path[512], got[64];

	ft_create(&t);
	a = t.ft_a.us_tok;
	rows(&t, a, "doc->>k=eq.1", "ae");
	rows(&t, t.ft_b.us_tok, "doc->>k=eq.1", "f");
	/* -> compares jsonb: 2 > 1; ->> compares text. */
	rows(&t, a, "doc->k=gt.1", "b");
	rows(&t, a, "doc->k=eq.1", "ae");
	rows(&t, a, "doc->>k=gt.10", "b");
	rows(&t, a, "doc->0=eq.1", "c");
	rows(&t, a, "doc->>t=like.x*", "a");
	rows(&t, a, "doc->>k=is.null", "cd");
	rows(&t, a, "doc=cs.%7B%22k%22:1%7D&doc->>t=not.is.null", "a");
	rows(&t, a, "or=(doc->>k.eq.2,doc->>t.eq.x)", "ab");
	/* Order by a path (nulls last), then the label. */
	e2e_fmt(path, sizeof(path), "%s?order=doc->>k.desc.nullslast,label",
	    t.ft_path);
	e2e_must_call("GET", path, a, NULL, NULL, &r);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	labels_of(&r, got, sizeof(got), path);
	cr_assert_str_eq(got, "baecd");
	e2e_resp_free(&r);

	body_is(&t,
	    "select=label,k:doc->>k,doc->t,first:doc->0,n:num::text&"
	    "label=in.(a,c)&order=label",
	    "[{\"label\":\"a\",\"k\":\"1\",\"t\":\"x\",\"first\":null,"
	    "\"n\":\"1\"},{\"label\":\"c\",\"k\":null,\"t\":null,\"first\":1,"
	    "\"n\":\"3\"}]");
	/* A column given again with a cast replaces it in "*". */
	body_is(&t, "select=label,num::text,num&label=eq.e",
	    "[{\"label\":\"e\",\"num\":5}]");
	body_is(&t, "select=label,num,num::text&label=eq.e",
	    "[{\"label\":\"e\",\"num\":\"5\"}]");

	/* A write's representation takes the same items. */
	e2e_fmt(path, sizeof(path),
	    "%s?label=eq.a&select=l:label,k:doc->>k,"
	    "n:num::text",
	    t.ft_path);
	e2e_must_call("PATCH", path, a, PREFER_REPR, "{\"num\":9}", &r);
	cr_assert_eq(r.er_status, 200, "%s", e2e_body(&r));
	cr_assert_str_eq(
	    e2e_body(&r), "[{\"l\":\"a\",\"k\":\"1\",\"n\":\"9\"}]");
	e2e_resp_free(&r);
	/* order= names the column label, not the item keyed label (num:
	 * a 9, c 3, e 5 now): a, c, e rather than c, e, a. */
	body_is(&t, "select=x:label,label:num&label=in.(a,c,e)&order=label",
	    "[{\"x\":\"a\",\"label\":9},{\"x\":\"c\",\"label\":3},"
	    "{\"x\":\"e\",\"label\":5}]");

	refused(&t, "doc->>k=cs.%7B1%7D", 400, "PN108");
	refused(&t, "label->>x=eq.1", 400, "PN105");
	refused(&t, "select=label::regclass", 400, "PN105");
	refused(&t, "select=label,(", 400, "PGRST100");
	refused(&t, "select=label,tasks(id)", 400, "PGRST200");
	refused(&t, "tasks.num=eq.1", 400, "PGRST100");
	ft_drop(&t);
}
