#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "gateway/catalog.h"
#include "gateway/embed.h"
#include "gateway/httpparse.h"
#include "gateway/query.h"
#include "gateway/routes.h"

/*
 * projects 1-n tasks (tasks.project_id), tasks n-m tags through task_tags
 * (primary key task_id, tag_id), employees.manager_id -> employees (self),
 * orders with two keys to users, profiles.user_id unique -> users (1-1),
 * notes.task_id -> tasks with notes' key not in a primary key (no junction).
 */
static struct catalog ca;

static void
col(const char *t, const char *name, const char *typname, int pk)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, name);
	strcpy(c.co_typname, typname);
	strcpy(c.co_type, typname);
	c.co_kind = col_kind_from_typname(typname);
	c.co_pk = pk;
	cr_assert_eq(catalog_add(&ca, t, &c), 0);
}

static void
fk(const char *name, const char *t, const char *c, const char *ft,
    const char *fc, int unique)
{
	cr_assert_eq(catalog_add_fkey(&ca, name, t, ft, 0, c, fc, unique), 0);
}

static void
setup(void)
{
	memset(&ca, 0, sizeof(ca));
	col("projects", "id", "int8", 1);
	col("projects", "name", "text", 0);
	col("tasks", "id", "int8", 1);
	col("tasks", "title", "text", 0);
	col("tasks", "project_id", "int8", 0);
	col("tags", "id", "int8", 1);
	col("tags", "label", "text", 0);
	col("task_tags", "task_id", "int8", 1);
	col("task_tags", "tag_id", "int8", 1);
	col("employees", "id", "int8", 1);
	col("employees", "manager_id", "int8", 0);
	col("users", "id", "int8", 1);
	col("orders", "id", "int8", 1);
	col("orders", "billing", "int8", 0);
	col("orders", "shipping", "int8", 0);
	col("profiles", "id", "int8", 1);
	col("profiles", "user_id", "int8", 0);
	col("notes", "id", "int8", 1);
	col("notes", "task_id", "int8", 0);
	col("notes", "tag_id", "int8", 0);
	fk("tasks_project_id_fkey", "tasks", "project_id", "projects", "id", 0);
	fk("task_tags_task_id_fkey", "task_tags", "task_id", "tasks", "id", 0);
	fk("task_tags_tag_id_fkey", "task_tags", "tag_id", "tags", "id", 0);
	fk("employees_manager_id_fkey", "employees", "manager_id", "employees",
	    "id", 0);
	fk("orders_billing_fkey", "orders", "billing", "users", "id", 0);
	fk("orders_shipping_fkey", "orders", "shipping", "users", "id", 0);
	fk("profiles_user_id_fkey", "profiles", "user_id", "users", "id", 1);
	fk("notes_task_id_fkey", "notes", "task_id", "tasks", "id", 0);
	fk("notes_tag_id_fkey", "notes", "tag_id", "tags", "id", 0);
}

static void
teardown(void)
{
	catalog_free(&ca);
}

TestSuite(embed, .init = setup, .fini = teardown);

static const struct table *
tb(const char *name)
{
	const struct table *t = catalog_table(&ca, name);

	cr_assert_not_null(t);
	return t;
}

static struct relation
find_ok(const char *origin, const char *target, const char *hint)
{
	struct relation r;
	struct q_error err;

	memset(&err, 0, sizeof(err));
	cr_assert_eq(embed_find_rel(&ca, tb(origin), target, hint, &r, &err),
	    0, "%s -> %s!%s: %s %s", origin, target, hint ? hint : "",
	    err.qe_code, err.qe_message);
	return r;
}

static struct q_error
find_err(const char *origin, const char *target, const char *hint)
{
	struct relation r;
	struct q_error err;

	memset(&err, 0, sizeof(err));
	cr_assert_eq(
	    embed_find_rel(&ca, tb(origin), target, hint, &r, &err), -1);
	return err;
}

Test(embed, many_to_one_and_one_to_many)
{
	struct relation r;

	r = find_ok("tasks", "projects", NULL);
	cr_assert_eq(r.rl_card, RC_M2O);
	cr_assert(rel_to_one(&r));
	cr_assert_eq(r.rl_here, 1);
	cr_assert_str_eq(r.rl_target->tb_name, "projects");
	cr_assert_str_eq(r.rl_fk->fk_name, "tasks_project_id_fkey");

	r = find_ok("projects", "tasks", NULL);
	cr_assert_eq(r.rl_card, RC_O2M);
	cr_assert_not(rel_to_one(&r));
	cr_assert_eq(r.rl_here, 0);
	cr_assert_str_eq(r.rl_target->tb_name, "tasks");

	/* The key's name or the origin's key column as the target. */
	r = find_ok("tasks", "tasks_project_id_fkey", NULL);
	cr_assert_eq(r.rl_card, RC_M2O);
	cr_assert_str_eq(r.rl_target->tb_name, "projects");
	r = find_ok("tasks", "project_id", NULL);
	cr_assert_eq(r.rl_card, RC_M2O);
	cr_assert_str_eq(r.rl_target->tb_name, "projects");
	/* Hints: key name, either column. */
	cr_assert_eq(find_ok("tasks", "projects", "tasks_project_id_fkey")
	                 .rl_card,
	    RC_M2O);
	cr_assert_eq(find_ok("tasks", "projects", "project_id").rl_card, RC_M2O);
	cr_assert_eq(find_ok("tasks", "projects", "id").rl_card, RC_M2O);
	cr_assert_eq(find_ok("projects", "tasks", "project_id").rl_card, RC_O2M);
}

Test(embed, one_to_one)
{
	struct relation r;

	r = find_ok("profiles", "users", NULL);
	cr_assert_eq(r.rl_card, RC_O2O);
	cr_assert_eq(r.rl_here, 1);
	cr_assert(rel_to_one(&r));
	r = find_ok("users", "profiles", NULL);
	cr_assert_eq(r.rl_card, RC_O2O);
	cr_assert_eq(r.rl_here, 0);
	cr_assert(rel_to_one(&r));
}

Test(embed, many_to_many)
{
	struct relation r;

	r = find_ok("tasks", "tags", NULL);
	cr_assert_eq(r.rl_card, RC_M2M);
	cr_assert_str_eq(r.rl_junction->tb_name, "task_tags");
	cr_assert_str_eq(r.rl_fk->fk_name, "task_tags_task_id_fkey");
	cr_assert_str_eq(r.rl_fk2->fk_name, "task_tags_tag_id_fkey");
	cr_assert_str_eq(r.rl_target->tb_name, "tags");
	r = find_ok("tags", "tasks", "task_tags");
	cr_assert_eq(r.rl_card, RC_M2M);
	cr_assert_str_eq(r.rl_fk->fk_name, "task_tags_tag_id_fkey");
	/* The junction itself is one-to-many from either side. */
	cr_assert_eq(find_ok("tasks", "task_tags", NULL).rl_card, RC_O2M);
	/* notes has keys to both but they are not its primary key. */
	cr_assert_eq(find_ok("tasks", "notes", NULL).rl_card, RC_O2M);
}

Test(embed, self_reference)
{
	struct relation r;

	/* The table's name: its one-to-many side (the reports). */
	r = find_ok("employees", "employees", NULL);
	cr_assert_eq(r.rl_card, RC_O2M);
	cr_assert(r.rl_self);
	/* The key column: the many-to-one side (the manager). */
	r = find_ok("employees", "manager_id", NULL);
	cr_assert_eq(r.rl_card, RC_M2O);
	cr_assert_str_eq(r.rl_target->tb_name, "employees");
	/* With a hint, the one-to-many side by the referencing column. */
	r = find_ok("employees", "employees", "manager_id");
	cr_assert_eq(r.rl_card, RC_O2M);
	find_err("employees", "employees", "id");
}

Test(embed, ambiguous_is_300_with_candidates)
{
	struct q_error e = find_err("orders", "users", NULL);
	struct json_object *d, *o, *v;

	cr_assert_eq(e.qe_status, 300);
	cr_assert_str_eq(e.qe_code, "PGRST201");
	cr_assert_str_eq(e.qe_message,
	    "Could not embed because more than one relationship was found "
	    "for 'orders' and 'users'");
	cr_assert_str_eq(e.qe_hint,
	    "Try changing 'users' to one of the following: "
	    "'users!orders_billing_fkey', 'users!orders_shipping_fkey'. Find "
	    "the desired relationship in the 'details' key.");
	cr_assert(e.qe_details_json);
	d = json_tokener_parse(e.qe_details);
	cr_assert_not_null(d, "%s", e.qe_details);
	cr_assert_eq(json_object_array_length(d), 2);
	o = json_object_array_get_idx(d, 0);
	cr_assert(json_object_object_get_ex(o, "cardinality", &v));
	cr_assert_str_eq(json_object_get_string(v), "many-to-one");
	cr_assert(json_object_object_get_ex(o, "embedding", &v));
	cr_assert_str_eq(json_object_get_string(v), "orders with users");
	cr_assert(json_object_object_get_ex(o, "relationship", &v));
	cr_assert_str_eq(json_object_get_string(v),
	    "orders_billing_fkey using orders(billing) and users(id)");
	json_object_put(d);
	/* Disambiguated by key or column. */
	cr_assert_str_eq(
	    find_ok("orders", "users", "orders_shipping_fkey").rl_fk->fk_name,
	    "orders_shipping_fkey");
	cr_assert_str_eq(find_ok("orders", "users", "billing").rl_fk->fk_name,
	    "orders_billing_fkey");
	cr_assert_str_eq(find_ok("orders", "shipping", NULL).rl_fk->fk_name,
	    "orders_shipping_fkey");
	/* From users, two one-to-many. */
	e = find_err("users", "orders", NULL);
	cr_assert_eq(e.qe_status, 300);
	d = json_tokener_parse(e.qe_details);
	cr_assert_not_null(d);
	o = json_object_array_get_idx(d, 1);
	cr_assert(json_object_object_get_ex(o, "relationship", &v));
	cr_assert_str_eq(json_object_get_string(v),
	    "orders_shipping_fkey using users(id) and orders(shipping)");
	json_object_put(d);
}

Test(embed, none_is_400)
{
	struct q_error e = find_err("projects", "tags", NULL);

	cr_assert_eq(e.qe_status, 400);
	cr_assert_str_eq(e.qe_code, "PGRST200");
	cr_assert_str_eq(e.qe_message,
	    "Could not find a relationship between 'projects' and 'tags' in "
	    "the schema cache");
	cr_assert_str_eq(e.qe_details,
	    "Searched for a foreign key relationship between 'projects' and "
	    "'tags' in the schema 'public', but no matches were found.");
	cr_assert_not(e.qe_details_json);
	e = find_err("tasks", "projects", "nope");
	cr_assert_str_eq(e.qe_details,
	    "Searched for a foreign key relationship between 'tasks' and "
	    "'projects' using the hint 'nope' in the schema 'public', but no "
	    "matches were found.");
	/* Hostile names are quoted safely, never a crash. */
	e = find_err("tasks", "\x01\xff\"'", "\n");
	cr_assert_eq(e.qe_status, 400);
	cr_assert_null(strchr(e.qe_message, '\x01'));
	cr_assert_null(strchr(e.qe_details, '\n'));
	e = find_err("tasks", "", NULL);
	cr_assert_eq(e.qe_status, 400);
	/* A hint alone never picks a table it does not name. */
	find_err("tasks", "users", "tasks_project_id_fkey");
}

Test(embed, many_candidates_are_bounded)
{
	struct q_error e;
	char name[32];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "orders_k%02d_fkey", i);
		fk(name, "orders", "billing", "users", "id", 0);
	}
	e = find_err("orders", "users", NULL);
	cr_assert_eq(e.qe_status, 300);
	cr_assert_str_eq(e.qe_code, "PGRST201");
	/* Either the first candidates as JSON, or a count: never cut JSON. */
	if (e.qe_details_json) {
		struct json_object *d = json_tokener_parse(e.qe_details);

		cr_assert_not_null(d);
		json_object_put(d);
	} else
		cr_assert_str_eq(e.qe_details, "42 relationships match");
	cr_assert_lt(strlen(e.qe_hint), sizeof(e.qe_hint));
}

static struct routes *
routes_with(void)
{
	struct routes *rs = routes_new();
	const char *why;

	cr_assert_not_null(rs);
	cr_assert_eq(routes_add_row(rs, 1, "data", "GET", "/projects",
	                 "projects", "list", "none", "", "", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 2, "data", "GET", "/tasks", "tasks",
	                 "list", "bearer", "owner", "", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 3, "data", "GET", "/tasks/mine",
	                 "tasks", "list", "bearer:staff", "", "", &why),
	    0);
	cr_assert_eq(routes_add_row(rs, 4, "data", "GET", "/tags/{id}", "tags",
	                 "get", "none", "", "", &why),
	    0);
	return rs;
}

Test(embed, publishing_rules)
{
	struct routes *rs = routes_with();
	struct embed_ctx ctx = {
	    .ec_catalog = &ca, .ec_routes = rs, .ec_sub = "", .ec_group = ""};
	struct q_error e;
	const char *owner = NULL;

	cr_assert_eq(embed_route(&ctx, "projects", &owner, &e), 0);
	cr_assert_str_eq(owner, "");
	/* No token: the bearer-only table is 401 as its endpoint is. */
	cr_assert_eq(embed_route(&ctx, "tasks", &owner, &e), -1);
	cr_assert_eq(e.qe_status, 401);
	cr_assert_str_eq(e.qe_code, "PN200");
	/* A token of another group: the owner-ruled endpoint admits it. */
	ctx.ec_verified = 1;
	ctx.ec_sub = "42";
	ctx.ec_group = "users";
	cr_assert_eq(embed_route(&ctx, "tasks", &owner, &e), 0);
	cr_assert_str_eq(owner, "owner");
	/* The staff group: the endpoint without an owner rule wins. */
	ctx.ec_group = "staff";
	cr_assert_eq(embed_route(&ctx, "tasks", &owner, &e), 0);
	cr_assert_str_eq(owner, "");
	/* Only a read endpoint, or none at all: not published. */
	cr_assert_eq(embed_route(&ctx, "tags", &owner, &e), -1);
	cr_assert_eq(e.qe_status, 400);
	cr_assert_str_eq(e.qe_code, "PGRST200");
	cr_assert_eq(embed_route(&ctx, "users", &owner, &e), -1);
	cr_assert_eq(e.qe_status, 400);
	routes_unref(rs);
}

Test(embed, group_mismatch_is_403)
{
	struct routes *rs = routes_new();
	struct embed_ctx ctx = {.ec_catalog = &ca,
	    .ec_routes = rs,
	    .ec_verified = 1,
	    .ec_sub = "42",
	    .ec_group = "users"};
	struct q_error e;
	const char *owner = NULL, *why;

	cr_assert_eq(routes_add_row(rs, 3, "data", "GET", "/tasks", "tasks",
	                 "list", "bearer:staff", "", "", &why),
	    0);
	cr_assert_eq(embed_route(&ctx, "tasks", &owner, &e), -1);
	cr_assert_eq(e.qe_status, 403);
	cr_assert_str_eq(e.qe_code, "PN300");
	routes_unref(rs);
}

/* ---- select= through query_parse_embed ---- */

static struct routes *
routes_all(void)
{
	static const char *const tables[] = {"projects", "tasks", "tags",
	    "task_tags", "employees", "users", "orders", "profiles", "notes"};
	struct routes *rs = routes_new();
	const char *why;
	char path[64];
	size_t i;

	cr_assert_not_null(rs);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(path, sizeof(path), "/%s", tables[i]);
		cr_assert_eq(routes_add_row(rs, (long)i + 1, "data", "GET", path,
		                 tables[i], "list", "none", "", "", &why),
		    0);
	}
	return rs;
}

/* Parses the query string qs for table origin as a caller with a token. */
static int
parse(const char *origin, const char *qs, struct query *q, struct q_error *e)
{
	struct routes *rs = routes_all();
	struct http_param *p = NULL;
	size_t n = 0;
	const char *why;
	struct embed_ctx ctx = {.ec_catalog = &ca,
	    .ec_routes = rs,
	    .ec_verified = 1,
	    .ec_sub = "7",
	    .ec_group = "users"};
	int rv;

	cr_assert_eq(http_query_parse(qs, 100000, &p, &n, &why), 0, "%s", why);
	rv = query_parse_embed(
	    &ctx, tb(origin), p, n, 100, 1000, QM_READ, q, e);
	http_params_free(p, n);
	routes_unref(rs);
	return rv;
}

static void
parse_fails(const char *origin, const char *qs, int status, const char *code)
{
	struct query q;
	struct q_error e;

	cr_assert_eq(parse(origin, qs, &q, &e), -1, "%s parsed", qs);
	cr_assert_eq(e.qe_status, status, "%s: %d %s %s", qs, e.qe_status,
	    e.qe_code, e.qe_message);
	cr_assert_str_eq(e.qe_code, code, "%s: %s", qs, e.qe_message);
}

Test(embed, resolve_items_and_params)
{
	struct query q;
	struct q_error e;
	const struct q_embed *em;

	cr_assert_eq(parse("projects",
	                 "select=name,work:tasks!inner(title,tags(*))"
	                 "&work.order=title.desc&work.limit=2&work.offset=1"
	                 "&work.title=like.a*&work.tags.label=eq.red",
	                 &q, &e),
	    0, "%s %s", e.qe_code, e.qe_message);
	cr_assert_eq(q.q_nitems, 2);
	cr_assert_eq(q.q_items[1].qi_kind, SEL_EMBED);
	cr_assert_str_eq(q.q_items[1].qi_key, "work");
	em = q.q_items[1].qi_embed;
	cr_assert_eq(em->em_depth, 1);
	cr_assert(em->em_inner);
	cr_assert_eq(em->em_rel.rl_card, RC_O2M);
	cr_assert_eq(em->em_q.q_norder, 1);
	cr_assert(em->em_q.q_has_limit);
	cr_assert_eq(em->em_q.q_limit, 2);
	cr_assert_eq(em->em_q.q_offset, 1);
	cr_assert_eq(em->em_q.q_nfilters, 1);
	cr_assert_eq(em->em_q.q_nitems, 2);
	cr_assert_eq(em->em_q.q_items[1].qi_embed->em_depth, 2);
	cr_assert_eq(em->em_q.q_items[1].qi_embed->em_rel.rl_card, RC_M2M);
	cr_assert_eq(em->em_q.q_items[1].qi_embed->em_q.q_nfilters, 1);
	/* No limit unless given. */
	cr_assert_not(em->em_q.q_items[1].qi_embed->em_q.q_has_limit);
	query_free(&q);
}

Test(embed, resolve_refusals)
{
	char qs[8192];
	size_t i, n;

	/* No such relation, ambiguity, an unknown column inside. */
	parse_fails("projects", "select=name,nothing(id)", 400, "PGRST200");
	parse_fails("orders", "select=id,users(id)", 300, "PGRST201");
	parse_fails("projects", "select=name,tasks(nope)", 400, "PN107");
	/* Parameters of an embed the select does not have. */
	parse_fails("projects", "select=name&tasks.title=eq.a", 400, "PGRST100");
	parse_fails("projects", "select=name,tasks(id)&tags.id=eq.1", 400,
	    "PGRST100");
	parse_fails("projects", "select=name,tasks(id)&tasks.nope=eq.1", 400,
	    "PN107");
	parse_fails("projects", "select=name,tasks(id)&tasks.limit=x", 400,
	    "PN105");
	/* Nesting deeper than the bound: tasks(projects(tasks(...))). */
	n = 0;
	n += (size_t)snprintf(qs + n, sizeof(qs) - n, "select=");
	for (i = 0; i < 12; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%s(",
		    i % 2 ? "tasks" : "projects");
	n += (size_t)snprintf(qs + n, sizeof(qs) - n, "id");
	for (i = 0; i < 12; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, ")");
	cr_assert_lt(n, sizeof(qs));
	{
		struct query q;
		struct q_error e;

		cr_assert_eq(parse("tasks", qs, &q, &e), -1);
		cr_assert_eq(e.qe_status, 400);
	}
	/* 100 embeds side by side: bounded, 400. */
	n = (size_t)snprintf(qs, sizeof(qs), "select=id");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(
		    qs + n, sizeof(qs) - n, ",p%zu:projects(id)", i);
	cr_assert_lt(n, sizeof(qs));
	parse_fails("tasks", qs, 400, "PN105");
}
