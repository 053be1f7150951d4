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
fz_col(struct catalog *ca, const char *name, const char *type,
    const char *typname, int notnull, int hasdef, int pk, int array)
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
	if (catalog_add(ca, "table_1", &c) == -1)
		__builtin_trap();
}

/* Built once per process; the targets never change it. */
static const struct table *
fz_table(void)
{
	static struct catalog ca;
	static const struct table *t;

	if (t != NULL)
		return t;
	fz_col(&ca, "id", "bigint", "int8", 1, 1, 1, 0);
	fz_col(&ca, "title", "text", "text", 1, 0, 0, 0);
	fz_col(&ca, "done", "boolean", "bool", 1, 1, 0, 0);
	fz_col(&ca, "priority", "integer", "int4", 0, 0, 0, 0);
	fz_col(&ca, "created_at", "timestamp with time zone", "timestamptz", 1,
	    1, 0, 0);
	fz_col(&ca, "small", "smallint", "int2", 0, 0, 0, 0);
	fz_col(&ca, "amount", "numeric(10,2)", "numeric", 0, 0, 0, 0);
	fz_col(&ca, "score", "double precision", "float8", 0, 0, 0, 0);
	fz_col(&ca, "uid", "uuid", "uuid", 0, 0, 0, 0);
	fz_col(&ca, "meta", "jsonb", "jsonb", 0, 0, 0, 0);
	fz_col(&ca, "doc", "json", "json", 0, 0, 0, 0);
	fz_col(&ca, "tags", "text[]", "text", 0, 0, 0, 1);
	fz_col(&ca, "day", "date", "date", 0, 0, 0, 0);
	fz_col(&ca, "spot", "point", "point", 0, 0, 0, 0);
	fz_col(&ca, "we\"ird; --", "text", "text", 0, 0, 0, 0);
	/* For the operators of arrays, ranges and full text search. */
	fz_col(&ca, "nums", "integer[]", "int4", 0, 0, 0, 1);
	fz_col(&ca, "span", "int4range", "int4range", 0, 0, 0, 0);
	fz_col(&ca, "body", "tsvector", "tsvector", 0, 0, 0, 0);
	t = catalog_table(&ca, "table_1");
	return t;
}

#endif
