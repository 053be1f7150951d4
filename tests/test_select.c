#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/select.h"

static struct sel_node *
parse_ok(const char *s, size_t *n)
{
	struct sel_node *nodes = NULL;
	struct q_error err;

	cr_assert_eq(sel_parse(s, &nodes, n, &err), 0, "%s: %s (%s)", s,
	    err.qe_message, err.qe_details);
	return nodes;
}

static void
parse_fails(const char *s, const char *code, const char *part)
{
	struct sel_node *nodes = (struct sel_node *)1;
	struct q_error err;
	size_t n = 99;

	cr_assert_eq(sel_parse(s, &nodes, &n, &err), -1, "accepted: %.80s", s);
	cr_assert_eq(err.qe_status, 400, "%.80s", s);
	cr_assert_str_eq(err.qe_code, code, "%.80s: %s", s, err.qe_message);
	cr_assert_null(nodes);
	cr_assert_eq(n, 0);
	cr_assert(memchr(err.qe_message, '\0', sizeof(err.qe_message)) != NULL);
	if (part != NULL)
		cr_assert(strstr(err.qe_message, part) != NULL ||
		              strstr(err.qe_details, part) != NULL,
		    "%.80s: \"%s\" (%s) lacks \"%s\"", s, err.qe_message,
		    err.qe_details, part);
}

Test(select, fields)
{
	struct sel_node *nd;
	size_t n;

	nd = parse_ok("id, pid:id , \"a b\",x:meta->lead->>name::text,arr->0,"
	              "j->-1->>\"k.,()\"",
	    &n);
	cr_assert_eq(n, 6);
	cr_assert_eq(nd[0].sn_kind, SEL_FIELD);
	cr_assert_str_eq(nd[0].sn_name, "id");
	cr_assert_null(nd[0].sn_alias);
	cr_assert_str_eq(nd[1].sn_alias, "pid");
	cr_assert_str_eq(nd[1].sn_name, "id");
	cr_assert_str_eq(nd[2].sn_name, "a b");
	cr_assert_str_eq(nd[3].sn_alias, "x");
	cr_assert_str_eq(nd[3].sn_name, "meta");
	cr_assert_eq(nd[3].sn_npath, 2);
	cr_assert_str_eq(nd[3].sn_path[0].ss_key, "lead");
	cr_assert_eq(nd[3].sn_path[0].ss_text, 0);
	cr_assert_str_eq(nd[3].sn_path[1].ss_key, "name");
	cr_assert_eq(nd[3].sn_path[1].ss_text, 1);
	cr_assert_str_eq(nd[3].sn_cast, "text");
	cr_assert_str_eq(nd[4].sn_path[0].ss_key, "0");
	cr_assert_str_eq(nd[5].sn_path[0].ss_key, "-1");
	cr_assert_str_eq(nd[5].sn_path[1].ss_key, "k.,()");
	sel_free(nd, n);

	/* Unquoted names may hold '-' (not before '>'), '$' and blanks,
	 * which are trimmed; a quoted one takes \" and \\. */
	nd = parse_ok("a-b, $c d ,\"q\\\"\\\\\",n::double precision", &n);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(nd[0].sn_name, "a-b");
	cr_assert_str_eq(nd[1].sn_name, "$c d");
	cr_assert_str_eq(nd[2].sn_name, "q\"\\");
	cr_assert_str_eq(nd[3].sn_cast, "double precision");
	sel_free(nd, n);

	nd = parse_ok("", &n);
	cr_assert_null(nd);
	cr_assert_eq(n, 0);
	nd = parse_ok("*", &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(nd[0].sn_kind, SEL_STAR);
	sel_free(nd, n);
}

Test(select, embeds)
{
	struct sel_node *nd, *k;
	size_t n;

	nd = parse_ok("*,project:projects!tasks_project_fk!inner(name,"
	              "owner:users(email)),tasks(),b!left(*),c!inner!h(id)",
	    &n);
	cr_assert_eq(n, 5);
	cr_assert_eq(nd[0].sn_kind, SEL_STAR);
	cr_assert_eq(nd[1].sn_kind, SEL_EMBED);
	cr_assert_str_eq(nd[1].sn_alias, "project");
	cr_assert_str_eq(nd[1].sn_name, "projects");
	cr_assert_str_eq(nd[1].sn_hint, "tasks_project_fk");
	cr_assert_eq(nd[1].sn_inner, 1);
	cr_assert_eq(nd[1].sn_nkids, 2);
	k = &nd[1].sn_kids[1];
	cr_assert_eq(k->sn_kind, SEL_EMBED);
	cr_assert_str_eq(k->sn_alias, "owner");
	cr_assert_str_eq(k->sn_kids[0].sn_name, "email");
	/* An empty embed (for !inner filtering) has no items. */
	cr_assert_eq(nd[2].sn_kind, SEL_EMBED);
	cr_assert_eq(nd[2].sn_nkids, 0);
	cr_assert_eq(nd[3].sn_left, 1);
	cr_assert_null(nd[3].sn_hint);
	cr_assert_eq(nd[3].sn_kids[0].sn_kind, SEL_STAR);
	cr_assert_eq(nd[4].sn_inner, 1);
	cr_assert_str_eq(nd[4].sn_hint, "h");
	sel_free(nd, n);

	/* A quoted "inner" is a hint. */
	nd = parse_ok("a!\"inner\"(id)", &n);
	cr_assert_str_eq(nd[0].sn_hint, "inner");
	cr_assert_eq(nd[0].sn_inner, 0);
	sel_free(nd, n);
}

Test(select, syntax_errors)
{
	parse_fails(",", "PGRST100", NULL);
	parse_fails("id,", "PGRST100", "expected a name");
	parse_fails("id,,title", "PGRST100", NULL);
	parse_fails("a(b", "PGRST100", "expected");
	parse_fails("a(b))", "PGRST100", "unbalanced");
	parse_fails(")", "PGRST100", NULL);
	parse_fails("a b(c", "PGRST100", NULL);
	parse_fails("\"abc", "PGRST100", "unterminated");
	parse_fails("\"\"", "PGRST100", "empty");
	parse_fails("a;b", "PGRST100", NULL);
	parse_fails("a->", "PGRST100", "JSON key");
	parse_fails("a->b(c)", "PGRST100", "only a name");
	parse_fails("a::text(c)", "PGRST100", "only a name");
	parse_fails("a!inner!h!g(e)", "PGRST100", "at most two");
	parse_fails("a!inner!left(e)", "PGRST100", "two join");
	parse_fails("a!h!g(e)", "PGRST100", "two hints");
	parse_fails("a!h", "PGRST100", "(");
	parse_fails("*x", "PGRST100", NULL);
	parse_fails("x:*", "PGRST100", NULL);
	parse_fails("a::", "PGRST100", "type");
	parse_fails("a->>--1", "PGRST100", NULL);
	parse_fails("a->>-x", "PGRST100", NULL);
	parse_fails("-a", "PGRST100", NULL);
	parse_fails("a->99999999999", "PGRST100", "out of range");
	parse_fails("a\tb", "PGRST100", NULL);
	parse_fails("...a(b)", "PN105", "spread");
	parse_fails("count()", "PN105", "aggregate");
	parse_fails("n:count()", "PN105", "aggregate");
	parse_fails("a.sum()", "PN105", "aggregate");
	parse_fails("a\xff", "PN105", "UTF-8");
}

Test(select, bounds)
{
	char *s, *p;
	size_t i, n;
	struct sel_node *nd;

	s = malloc(200000);
	cr_assert_not_null(s);
	/* Depth: the top list is level 1; eight levels parse, nine do not. */
	nd = parse_ok("a(b(c(d(e(f(g(h)))))))", &n);
	sel_free(nd, n);
	parse_fails("a(b(c(d(e(f(g(h(i))))))))", "PN105", "deeper");
	/* Deep nesting never recurses past the bound. */
	for (p = s, i = 0; i < 50000; i++)
		p += sprintf(p, "a(");
	parse_fails(s, "PN105", NULL);
	/* 256 nodes parse; 10,000 items do not. */
	for (p = s, i = 0; i < 256; i++)
		p += sprintf(p, "%sc%zu", i ? "," : "", i);
	nd = parse_ok(s, &n);
	cr_assert_eq(n, 256);
	sel_free(nd, n);
	for (p = s, i = 0; i < 10000; i++)
		p += sprintf(p, "%sc%zu", i ? "," : "", i);
	parse_fails(s, "PN105", "more than 256");
	/* Embeds count with their items. */
	for (p = s, i = 0; i < 129; i++)
		p += sprintf(p, "%se%zu(x)", i ? "," : "", i);
	parse_fails(s, "PN105", "more than 256");
	/* 16 path steps parse, 17 do not. */
	for (p = s + sprintf(s, "m"), i = 0; i < 16; i++)
		p += sprintf(p, "->k");
	nd = parse_ok(s, &n);
	cr_assert_eq(nd[0].sn_npath, 16);
	sel_free(nd, n);
	sprintf(p, "->k");
	parse_fails(s, "PN105", "16 steps");
	/* Names: 63 bytes, not 64; keys 1024 bytes. */
	memset(s, 'a', 63);
	s[63] = '\0';
	nd = parse_ok(s, &n);
	sel_free(nd, n);
	strcat(s, "a");
	parse_fails(s, "PN105", "longer than");
	strcpy(s, "m->");
	memset(s + 3, 'k', 1025);
	s[1028] = '\0';
	parse_fails(s, "PN105", "longer than");
	/* 100 KB is refused before parsing. */
	memset(s, 'a', 100 * 1024);
	s[100 * 1024] = '\0';
	parse_fails(s, "PN105", "longer than");
	free(s);
}

Test(select, field_parse)
{
	struct sel_step *path;
	struct q_error err;
	const char *end;
	char *name;
	size_t n;
	int idx;

	cr_assert_eq(sel_field_parse("meta->a->>0.desc", "order", &name, &path,
	                 &n, &end, &err),
	    0);
	cr_assert_str_eq(name, "meta");
	cr_assert_eq(n, 2);
	cr_assert_str_eq(path[1].ss_key, "0");
	cr_assert_str_eq(end, ".desc");
	free(name);
	sel_path_free(path, n);
	cr_assert_eq(sel_field_parse(
	                 "tasks.done", "filter", &name, &path, &n, &end, &err),
	    0);
	cr_assert_str_eq(end, ".done");
	cr_assert_eq(n, 0);
	cr_assert_null(path);
	free(name);
	cr_assert_eq(
	    sel_field_parse("m->", "filter", &name, &path, &n, &end, &err), -1);
	cr_assert_str_eq(err.qe_code, "PGRST100");
	cr_assert(strstr(err.qe_message, "filter") != NULL);
	cr_assert_null(name);
	cr_assert_null(path);

	cr_assert_eq(sel_step_index("12", &idx), 1);
	cr_assert_eq(idx, 12);
	cr_assert_eq(sel_step_index("-3", &idx), 1);
	cr_assert_eq(idx, -3);
	cr_assert_eq(sel_step_index("1a", &idx), 0);
	cr_assert_eq(sel_step_index("-", &idx), 0);
	cr_assert_eq(sel_step_index("1234567890", &idx), 0);
}
