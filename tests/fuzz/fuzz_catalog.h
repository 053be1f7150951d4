/*
 * The fixed catalog of the fuzz targets: tests/catalog_fixture.h's
 * table_1 (one column of each kind and a hostile column name), without
 * Criterion, with an integer array, a range and a tsvector column more.
 * Header-only: each target is one program.
 */
#ifndef POSTERN_TESTS_FUZZ_CATALOG_H
#define POSTERN_TESTS_FUZZ_CATALOG_H

#include <stdio.h>
#include <string.h>

#include "gateway/catalog.h"

static void
fz_col_of(struct catalog *ca, const char *table, const char *name,
    const char *type, const char *typname, int notnull, int hasdef, int pk,
    int array)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	snprintf(c.co_name, sizeof(c.co_name), "%s", name);
	snprintf(c.co_type, sizeof(c.co_type), "%s", type);
	snprintf(c.co_typname, sizeof(c.co_typname), "%s", typname);
	c.co_kind = col_kind_from_typname(typname);
	c.co_notnull = notnull;
	c.co_hasdef = hasdef;
	c.co_pk = pk;
	c.co_array = array;
	if (catalog_add(ca, table, &c) == -1)
		__builtin_trap();
}

static void
fz_col(struct catalog *ca, const char *name, const char *type,
    const char *typname, int notnull, int hasdef, int pk, int array)
{
	fz_col_of(ca, "table_1", name, type, typname, notnull, hasdef, pk, array);
}

/* The catalog of fz_table() and fz_embed_catalog(). */
static struct catalog fz_ca;

/* Built once per process; the targets never change it. */
static const struct table *
fz_table(void)
{
	struct catalog *ca = &fz_ca;
	static int done;

	/* Looked up each time: fz_embed_catalog() adds tables. */
	if (done)
		return catalog_table(ca, "table_1");
	done = 1;
	fz_col(ca, "id", "bigint", "int8", 1, 1, 1, 0);
	fz_col(ca, "title", "text", "text", 1, 0, 0, 0);
	fz_col(ca, "done", "boolean", "bool", 1, 1, 0, 0);
	fz_col(ca, "priority", "integer", "int4", 0, 0, 0, 0);
	fz_col(ca, "created_at", "timestamp with time zone", "timestamptz", 1,
	    1, 0, 0);
	fz_col(ca, "small", "smallint", "int2", 0, 0, 0, 0);
	fz_col(ca, "amount", "numeric(10,2)", "numeric", 0, 0, 0, 0);
	fz_col(ca, "score", "double precision", "float8", 0, 0, 0, 0);
	fz_col(ca, "uid", "uuid", "uuid", 0, 0, 0, 0);
	fz_col(ca, "meta", "jsonb", "jsonb", 0, 0, 0, 0);
	fz_col(ca, "doc", "json", "json", 0, 0, 0, 0);
	fz_col(ca, "tags", "text[]", "text", 0, 0, 0, 1);
	fz_col(ca, "day", "date", "date", 0, 0, 0, 0);
	fz_col(ca, "spot", "point", "point", 0, 0, 0, 0);
	fz_col(ca, "we\"ird; --", "text", "text", 0, 0, 0, 0);
	/* For the operators of arrays, ranges and full text search. */
	fz_col(ca, "nums", "integer[]", "int4", 0, 0, 0, 1);
	fz_col(ca, "span", "int4range", "int4range", 0, 0, 0, 0);
	fz_col(ca, "body", "tsvector", "tsvector", 0, 0, 0, 0);
	return catalog_table(ca, "table_1");
}

/*
 * table_1 with relationships, for embedding: "sub" (sub.t1 -> table_1.id
 * and sub.parent -> sub.id), "tag" many-to-many with table_1 through
 * "t1_tag" (primary key t1, tag), and "t2" with two keys to table_1
 * (ambiguous).  Every table but t2 has a public list endpoint; t1_tag's
 * has an owner rule.  Built once.
 */
static inline const struct catalog *
fz_embed_catalog(void)
{
	static int done;

	fz_table();
	if (done)
		return &fz_ca;
	done = 1;
	fz_col_of(&fz_ca, "sub", "id", "bigint", "int8", 1, 1, 1, 0);
	fz_col_of(&fz_ca, "sub", "t1", "bigint", "int8", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "sub", "parent", "bigint", "int8", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "sub", "name", "text", "text", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "tag", "id", "bigint", "int8", 1, 1, 1, 0);
	fz_col_of(&fz_ca, "tag", "label", "text", "text", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "t1_tag", "t1", "bigint", "int8", 1, 0, 1, 0);
	fz_col_of(&fz_ca, "t1_tag", "tag", "bigint", "int8", 1, 0, 1, 0);
	fz_col_of(&fz_ca, "t1_tag", "owner", "text", "text", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "t2", "a", "bigint", "int8", 0, 0, 0, 0);
	fz_col_of(&fz_ca, "t2", "b", "bigint", "int8", 0, 0, 0, 0);
	if (catalog_add_fkey(&fz_ca, "sub_t1", "sub", "table_1", 0, "t1", "id",
	        0) == -1 ||
	    catalog_add_fkey(&fz_ca, "sub_parent", "sub", "sub", 0, "parent",
	        "id", 0) == -1 ||
	    catalog_add_fkey(&fz_ca, "j1", "t1_tag", "table_1", 0, "t1", "id",
	        0) == -1 ||
	    catalog_add_fkey(&fz_ca, "j2", "t1_tag", "tag", 0, "tag", "id", 0) ==
	        -1 ||
	    catalog_add_fkey(&fz_ca, "t2_a", "t2", "table_1", 0, "a", "id", 0) ==
	        -1 ||
	    catalog_add_fkey(&fz_ca, "t2_b", "t2", "table_1", 0, "b", "id", 0) ==
	        -1)
		__builtin_trap();
	return &fz_ca;
}

#endif
