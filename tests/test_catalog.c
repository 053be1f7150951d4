#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/buf.h"
#include "gateway/catalog.h"

static struct column
col(const char *name, const char *typname, int pk)
{
	struct column c;

	memset(&c, 0, sizeof(c));
	strcpy(c.co_name, name);
	strcpy(c.co_typname, typname);
	c.co_kind = col_kind_from_typname(typname);
	c.co_pk = pk;
	return c;
}

Test(catalog, kinds)
{
	cr_assert_eq(col_kind_from_typname("text"), CK_TEXT);
	cr_assert_eq(col_kind_from_typname("varchar"), CK_TEXT);
	cr_assert_eq(col_kind_from_typname("bpchar"), CK_TEXT);
	cr_assert_eq(col_kind_from_typname("citext"), CK_TEXT);
	cr_assert_eq(col_kind_from_typname("name"), CK_TEXT);
	cr_assert_eq(col_kind_from_typname("int2"), CK_INT2);
	cr_assert_eq(col_kind_from_typname("int4"), CK_INT4);
	cr_assert_eq(col_kind_from_typname("int8"), CK_INT8);
	cr_assert_eq(col_kind_from_typname("numeric"), CK_NUMERIC);
	cr_assert_eq(col_kind_from_typname("float4"), CK_FLOAT);
	cr_assert_eq(col_kind_from_typname("float8"), CK_FLOAT);
	cr_assert_eq(col_kind_from_typname("bool"), CK_BOOL);
	cr_assert_eq(col_kind_from_typname("timestamptz"), CK_TIMESTAMPTZ);
	cr_assert_eq(col_kind_from_typname("timestamp"), CK_TIMESTAMP);
	cr_assert_eq(col_kind_from_typname("date"), CK_DATE);
	cr_assert_eq(col_kind_from_typname("time"), CK_TIME);
	cr_assert_eq(col_kind_from_typname("timetz"), CK_TIME);
	cr_assert_eq(col_kind_from_typname("uuid"), CK_UUID);
	cr_assert_eq(col_kind_from_typname("json"), CK_JSON);
	cr_assert_eq(col_kind_from_typname("jsonb"), CK_JSON);
	cr_assert_eq(col_kind_from_typname("point"), CK_OTHER);
	cr_assert_eq(col_kind_from_typname("_int4"), CK_OTHER);
	cr_assert_eq(col_kind_from_typname("INT4"), CK_OTHER);
	cr_assert_eq(col_kind_from_typname(""), CK_OTHER);
	cr_assert_eq(col_kind_from_typname(NULL), CK_OTHER);
	cr_assert_str_eq(col_kind_name(CK_INT4), "integer");
	cr_assert_str_eq(col_kind_name(CK_OTHER), "other");
}

Test(catalog, add_and_lookup)
{
	struct catalog ca;
	struct column c;
	const struct table *t;
	char big[100];
	int i;

	memset(&ca, 0, sizeof(ca));
	c = col("id", "int8", 1);
	cr_assert_eq(catalog_add(&ca, "table_1", &c), 0);
	c = col("title", "text", 0);
	cr_assert_eq(catalog_add(&ca, "table_1", &c), 0);
	cr_assert_eq(catalog_add(&ca, "table_1", &c), -1); /* duplicate */
	/* Enough tables and columns to make both arrays grow. */
	for (i = 0; i < 40; i++) {
		char n[16];

		snprintf(n, sizeof(n), "t%d", i);
		c = col(n, "int4", 0);
		cr_assert_eq(catalog_add(&ca, n, &c), 0);
		cr_assert_eq(catalog_add(&ca, "table_1", &c), 0);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(catalog_add(&ca, big, &c), -1);
	cr_assert_eq(catalog_add(&ca, "", &c), -1);
	cr_assert_eq(ca.ca_ntables, 41);

	cr_assert_null(catalog_table(&ca, "nope"));
	cr_assert_null(catalog_table(&ca, "Table_1"));
	t = catalog_table(&ca, "table_1");
	cr_assert_not_null(t);
	cr_assert_eq(t->tb_ncols, 42);
	cr_assert_str_eq(table_column(t, "title")->co_name, "title");
	cr_assert_null(table_column(t, "TITLE"));
	cr_assert_null(table_column(t, "title "));
	cr_assert_str_eq(table_pk(t)->co_name, "id");

	/* A composite key is no single key. */
	c = col("a", "int4", 1);
	cr_assert_eq(catalog_add(&ca, "pair", &c), 0);
	cr_assert_str_eq(table_pk(catalog_table(&ca, "pair"))->co_name, "a");
	c = col("b", "int4", 1);
	cr_assert_eq(catalog_add(&ca, "pair", &c), 0);
	cr_assert_null(table_pk(catalog_table(&ca, "pair")));
	cr_assert_null(table_pk(catalog_table(&ca, "t0")));

	catalog_free(&ca);
	catalog_free(&ca);
	cr_assert_eq(ca.ca_ntables, 0);
}

Test(catalog, sql_ident)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(sql_ident(&b, "table_1"), 0);
	cr_assert_str_eq(b.b_data, "\"table_1\"");
	buf_reset(&b);
	cr_assert_eq(sql_ident(&b, "a\"b"), 0);
	cr_assert_str_eq(b.b_data, "\"a\"\"b\"");
	buf_reset(&b);
	cr_assert_eq(sql_ident(&b, "\"; DROP TABLE x; --"), 0);
	cr_assert_str_eq(b.b_data, "\"\"\"; DROP TABLE x; --\"");
	buf_reset(&b);
	cr_assert_eq(sql_ident(&b, "\"\""), 0);
	cr_assert_str_eq(b.b_data, "\"\"\"\"\"\"");
	buf_reset(&b);
	cr_assert_eq(sql_ident(&b, "Ünïcode"), 0);
	cr_assert_str_eq(b.b_data, "\"Ünïcode\"");

	/* Refusals leave the buffer as it was. */
	buf_reset(&b);
	cr_assert_eq(buf_addstr(&b, "x"), 0);
	cr_assert_eq(sql_ident(&b, ""), -1);
	cr_assert_eq(sql_ident(&b, NULL), -1);
	cr_assert_eq(sql_ident(&b, "bad\xff"), -1);
	cr_assert_str_eq(b.b_data, "x");
	cr_assert_eq(b.b_len, 1);
	buf_free(&b);
}

Test(catalog, fkeys)
{
	struct catalog ca;
	char big[100];
	int i;

	memset(&ca, 0, sizeof(ca));
	cr_assert_eq(catalog_add_fkey(&ca, "tasks_project_id_fkey", "tasks",
	                 "projects", 0, "project_id", "id", 0),
	    0);
	/* A composite key: pairs in order, same key. */
	cr_assert_eq(
	    catalog_add_fkey(&ca, "c_fk", "child", "parent", 0, "a", "x", 1), 0);
	cr_assert_eq(
	    catalog_add_fkey(&ca, "c_fk", "child", "parent", 1, "b", "y", 1), 0);
	cr_assert_eq(ca.ca_nfkeys, 2);
	cr_assert_str_eq(ca.ca_fkeys[0].fk_name, "tasks_project_id_fkey");
	cr_assert_str_eq(ca.ca_fkeys[0].fk_table, "tasks");
	cr_assert_str_eq(ca.ca_fkeys[0].fk_ftable, "projects");
	cr_assert_eq(ca.ca_fkeys[0].fk_ncols, 1);
	cr_assert_eq(ca.ca_fkeys[0].fk_unique, 0);
	cr_assert_eq(ca.ca_fkeys[1].fk_ncols, 2);
	cr_assert_str_eq(ca.ca_fkeys[1].fk_cols[1], "b");
	cr_assert_str_eq(ca.ca_fkeys[1].fk_fcols[1], "y");
	cr_assert_eq(ca.ca_fkeys[1].fk_unique, 1);

	/* Out of order, another key's pair, a gap: refused, nothing kept. */
	cr_assert_eq(
	    catalog_add_fkey(&ca, "c_fk", "child", "parent", 1, "c", "z", 1),
	    -1);
	cr_assert_eq(
	    catalog_add_fkey(&ca, "other", "child", "parent", 2, "c", "z", 1),
	    -1);
	cr_assert_eq(
	    catalog_add_fkey(&ca, "c_fk", "kid", "parent", 2, "c", "z", 1), -1);
	cr_assert_eq(ca.ca_fkeys[1].fk_ncols, 2);
	/* Names: empty, NULL, overlong. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(catalog_add_fkey(&ca, "", "a", "b", 0, "c", "d", 0), -1);
	cr_assert_eq(catalog_add_fkey(&ca, "n", NULL, "b", 0, "c", "d", 0), -1);
	cr_assert_eq(catalog_add_fkey(&ca, "n", "a", "b", 0, big, "d", 0), -1);
	cr_assert_eq(catalog_add_fkey(&ca, big, "a", "b", 0, "c", "d", 0), -1);
	cr_assert_eq(ca.ca_nfkeys, 2);
	/* At most CATALOG_FK_COLS_MAX pairs; the array grows past 8 keys. */
	for (i = 0; i < CATALOG_FK_COLS_MAX; i++)
		cr_assert_eq(catalog_add_fkey(&ca, "wide", "w", "v", (size_t)i,
		                 "c", "d", 0),
		    0);
	cr_assert_eq(catalog_add_fkey(&ca, "wide", "w", "v",
	                 CATALOG_FK_COLS_MAX, "c", "d", 0),
	    -1);
	for (i = 0; i < 20; i++)
		cr_assert_eq(
		    catalog_add_fkey(&ca, "k", "t", "u", 0, "c", "d", 0), 0);
	cr_assert_eq(ca.ca_nfkeys, 23);
	catalog_free(&ca);
	cr_assert_eq(ca.ca_nfkeys, 0);
	cr_assert_null(ca.ca_fkeys);
	catalog_free(&ca);
}

/* catalog_set_extra: generated, a composite's attributes, an enum's
 * labels; anything of another shape or too large sets no type. */
Test(catalog, extras)
{
	struct catalog ca;
	struct column c;
	const struct table *t;
	const struct column *x;
	struct buf big;
	int i;

	memset(&ca, 0, sizeof(ca));
	c = col("id", "int8", 1);
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	c = col("a", "addr", 0);
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	c = col("m", "mood", 0);
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	cr_assert_eq(catalog_set_extra(&ca, "t", "id", 1, 0, "", NULL), 0);
	cr_assert_eq(catalog_set_extra(&ca, "t", "a", 0, 'c', "addr",
	                 "[[\"street\",\"text\",\"text\",false,\"b\"],"
	                 "[\"nums\",\"integer[]\",\"int4\",true,\"b\"],"
	                 "[\"in\",\"inner\",\"inner\",false,\"c\"]]"),
	    0);
	cr_assert_eq(
	    catalog_set_extra(&ca, "t", "m", 0, 'e', "mood", "[\"a\",\"b\"]"),
	    0);
	t = catalog_table(&ca, "t");
	cr_assert(table_column(t, "id")->co_generated);
	cr_assert_null(table_column(t, "id")->co_udt);
	x = table_column(t, "a");
	cr_assert_not_null(x->co_udt);
	cr_assert_eq(x->co_udt->ud_kind, UDT_COMPOSITE);
	cr_assert_str_eq(x->co_udt->ud_name, "addr");
	cr_assert_eq(x->co_udt->ud_nattrs, 3);
	cr_assert_str_eq(x->co_udt->ud_attrs[0].co_name, "street");
	cr_assert_eq(x->co_udt->ud_attrs[0].co_kind, CK_TEXT);
	cr_assert_eq(x->co_udt->ud_attrs[1].co_kind, CK_INT4);
	cr_assert(x->co_udt->ud_attrs[1].co_array);
	cr_assert_eq(x->co_udt->ud_attrs[2].co_kind, CK_JSON, "nested");
	x = table_column(t, "m");
	cr_assert_eq(x->co_udt->ud_kind, UDT_ENUM);
	cr_assert_eq(x->co_udt->ud_nlabels, 2);
	cr_assert_str_eq(x->co_udt->ud_labels[1], "b");

	/* Set again: the new type replaces the old (no leak). */
	cr_assert_eq(
	    catalog_set_extra(&ca, "t", "m", 0, 'e', "mood", "[\"c\"]"), 0);
	cr_assert_eq(table_column(t, "m")->co_udt->ud_nlabels, 1);

	/* Unknown column or table: -1.  Malformed or too large: no type. */
	cr_assert_eq(catalog_set_extra(&ca, "t", "zz", 0, 0, "", NULL), -1);
	cr_assert_eq(catalog_set_extra(&ca, "u", "id", 0, 0, "", NULL), -1);
	c = col("b", "addr", 0);
	cr_assert_eq(catalog_add(&ca, "t", &c), 0);
	t = catalog_table(&ca, "t");
	cr_assert_eq(catalog_set_extra(&ca, "t", "b", 0, 'c', "addr", "{"), 0);
	cr_assert_eq(
	    catalog_set_extra(&ca, "t", "b", 0, 'c', "addr", "[[1,2,3,4,5]]"),
	    0);
	cr_assert_eq(
	    catalog_set_extra(&ca, "t", "b", 0, 'e', "addr", "[\"ok\", 5]"), 0);
	cr_assert_eq(catalog_set_extra(&ca, "t", "b", 0, 'c', "addr",
	                 "[[\"\",\"text\",\"text\",false,\"b\"]]"),
	    0);
	cr_assert_null(table_column(t, "b")->co_udt);
	buf_init(&big);
	buf_addc(&big, '[');
	for (i = 0; i <= UDT_MAX_ITEMS; i++)
		buf_printf(&big, "%s\"l%d\"", i > 0 ? "," : "", i);
	buf_addc(&big, ']');
	cr_assert_eq(buf_error(&big), 0);
	cr_assert_eq(
	    catalog_set_extra(&ca, "t", "b", 0, 'e', "big", big.b_data), 0);
	cr_assert_null(table_column(t, "b")->co_udt);
	buf_free(&big);
	catalog_free(&ca);
}
