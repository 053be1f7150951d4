/*
 * Shared by the gateway's pure-logic tests (query, rows, sqlbuild): a
 * catalog table "table_1" with one column of each kind and a hostile column
 * name.  Header-only because each test is one Criterion binary.
 */
#ifndef POSTERN_TESTS_CATALOG_FIXTURE_H
#define POSTERN_TESTS_CATALOG_FIXTURE_H

#include <string.h>

#include <criterion/criterion.h>

#include "gateway/catalog.h"

static struct catalog fx_ca;

static void
fx_col(const char *name, const char *type, const char *typname, int notnull,
    int hasdef, int pk, int array)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, name);
	strcpy(c.co_type, type);
	strcpy(c.co_typname, typname);
	c.co_kind = col_kind_from_typname(typname);
	c.co_notnull = notnull;
	c.co_hasdef = hasdef;
	c.co_pk = pk;
	c.co_array = array;
	cr_assert_eq(catalog_add(&fx_ca, "table_1", &c), 0);
}

/* A column of another table of the fixture's catalog. */
static inline void
fx_ca_add(const char *table, const char *name, const char *typname, int pk)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, name);
	strcpy(c.co_type, typname);
	strcpy(c.co_typname, typname);
	c.co_kind = col_kind_from_typname(typname);
	c.co_pk = pk;
	cr_assert_eq(catalog_add(&fx_ca, table, &c), 0);
}

static const struct table *
fx_table(void)
{
	catalog_free(&fx_ca);
	fx_col("id", "bigint", "int8", 1, 1, 1, 0);
	fx_col("title", "text", "text", 1, 0, 0, 0);
	fx_col("done", "boolean", "bool", 1, 1, 0, 0);
	fx_col("priority", "integer", "int4", 0, 0, 0, 0);
	fx_col("created_at", "timestamp with time zone", "timestamptz", 1, 1, 0,
	    0);
	fx_col("small", "smallint", "int2", 0, 0, 0, 0);
	fx_col("amount", "numeric(10,2)", "numeric", 0, 0, 0, 0);
	fx_col("score", "double precision", "float8", 0, 0, 0, 0);
	fx_col("uid", "uuid", "uuid", 0, 0, 0, 0);
	fx_col("meta", "jsonb", "jsonb", 0, 0, 0, 0);
	fx_col("doc", "json", "json", 0, 0, 0, 0);
	fx_col("tags", "text[]", "text", 0, 0, 0, 1);
	fx_col("day", "date", "date", 0, 0, 0, 0);
	fx_col("spot", "point", "point", 0, 0, 0, 0);
	fx_col("we\"ird; --", "text", "text", 0, 0, 0, 0);
	return catalog_table(&fx_ca, "table_1");
}

static void
fx_free(void)
{
	catalog_free(&fx_ca);
}

#endif
