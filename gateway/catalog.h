/*
 * The live catalog of the tables the gateway serves: columns, types,
 * nullability, defaults, primary key.  Loaded from pg_catalog together with
 * the routes and swapped with them; every identifier in a request is checked
 * against it before it can reach SQL.  Pure data and lookups; the loading
 * query lives in handlers.c.
 */
#ifndef POSTERN_GATEWAY_CATALOG_H
#define POSTERN_GATEWAY_CATALOG_H

#include <stddef.h>

#include "common/buf.h"

#define CATALOG_NAME_MAX 64

/* What JSON a column accepts, decided from pg_type.typname. */
enum col_kind {
	CK_TEXT, /* text, varchar, bpchar, citext, name */
	CK_INT2,
	CK_INT4,
	CK_INT8,
	CK_NUMERIC, /* numeric */
	CK_FLOAT,   /* float4, float8 */
	CK_BOOL,
	CK_TIMESTAMPTZ,
	CK_TIMESTAMP,
	CK_DATE,
	CK_TIME, /* time, timetz */
	CK_UUID,
	CK_JSON, /* json, jsonb */
	CK_OTHER /* anything else: passed as text, PostgreSQL checks */
};

struct column {
	char co_name[CATALOG_NAME_MAX];
	char co_type[CATALOG_NAME_MAX];    /* format_type(), e.g. "bigint" */
	char co_typname[CATALOG_NAME_MAX]; /* pg_type.typname, e.g. "int8" */
	enum col_kind co_kind;
	int co_notnull;
	int co_hasdef; /* has a default or is an identity/serial column */
	int co_pk;     /* part of the primary key */
	int co_array;  /* an array type (co_kind describes the element) */
};

struct table {
	char tb_name[CATALOG_NAME_MAX];
	struct column *tb_cols;
	size_t tb_ncols;
	size_t tb_cap;
};

struct catalog {
	struct table *ca_tables;
	size_t ca_ntables;
	size_t ca_cap;
};

enum col_kind col_kind_from_typname(const char *typname);
const char *col_kind_name(enum col_kind k);

/* Adds a column to table tname (created on first use).  0 / -1. */
int catalog_add(struct catalog *ca, const char *tname, const struct column *c);
const struct table *catalog_table(const struct catalog *ca, const char *name);
const struct column *table_column(const struct table *t, const char *name);
/* The single-column primary key, or NULL (no key, or a composite one). */
const struct column *table_pk(const struct table *t);
void catalog_free(struct catalog *ca);

/* Appends name as a quoted SQL identifier ("a""b"); -1 on NUL or empty. */
int sql_ident(struct buf *b, const char *name);

#endif
