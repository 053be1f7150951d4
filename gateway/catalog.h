/*
 * The live catalog of the tables the gateway serves: columns, types,
 * nullability, defaults, primary key, and the foreign keys between them.
 * Loaded from pg_catalog together with the routes and swapped with them;
 * every identifier in a request is checked against it before it can reach
 * SQL.  Pure data and lookups; the loading queries live in registry.c.
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

/*
 * A column's type when it is a composite or an enum (for an array column,
 * its element's), for OpenAPI and the body check.  Owned by the column
 * that points at it (catalog_free frees it).
 */
#define UDT_MAX_ITEMS 256

enum udt_kind { UDT_COMPOSITE, UDT_ENUM };

struct udt {
	enum udt_kind ud_kind;
	char ud_name[CATALOG_NAME_MAX]; /* pg_type.typname */
	/* Composite: its attributes in order (co_name, co_type,
	 * co_typname, co_kind, co_array; a nested composite is CK_JSON
	 * with no udt of its own). */
	struct column *ud_attrs;
	size_t ud_nattrs;
	/* Enum: its labels in order. */
	char (*ud_labels)[CATALOG_NAME_MAX];
	size_t ud_nlabels;
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
	/* Generated, or an identity GENERATED ALWAYS: a body never writes
	 * it (a PUT's whole row is every other column). */
	int co_generated;
	struct udt *co_udt; /* NULL unless a composite or an enum */
};

struct table {
	char tb_name[CATALOG_NAME_MAX];
	struct column *tb_cols;
	size_t tb_ncols;
	size_t tb_cap;
};

/* Columns of one foreign key; PostgreSQL allows 32, we load up to this. */
#define CATALOG_FK_COLS_MAX 8

/*
 * A foreign key between two served tables (pg_constraint contype 'f'):
 * fk_cols[i] of fk_table references fk_fcols[i] of fk_ftable.  fk_unique:
 * fk_cols are exactly the primary key or a unique constraint of fk_table,
 * which makes the relationship one-to-one.
 */
struct fkey {
	char fk_name[CATALOG_NAME_MAX];
	char fk_table[CATALOG_NAME_MAX];
	char fk_ftable[CATALOG_NAME_MAX];
	char fk_cols[CATALOG_FK_COLS_MAX][CATALOG_NAME_MAX];
	char fk_fcols[CATALOG_FK_COLS_MAX][CATALOG_NAME_MAX];
	size_t fk_ncols;
	int fk_unique;
};

struct catalog {
	struct table *ca_tables;
	size_t ca_ntables;
	size_t ca_cap;
	struct fkey *ca_fkeys;
	size_t ca_nfkeys;
	size_t ca_fkcap;
};

enum col_kind col_kind_from_typname(const char *typname);
const char *col_kind_name(enum col_kind k);

/* Adds a column to table tname (created on first use).  0 / -1. */
int catalog_add(struct catalog *ca, const char *tname, const struct column *c);
const struct table *catalog_table(const struct catalog *ca, const char *name);
/*
 * What the catalog load says of some columns beyond their row: generated,
 * and their composite ('c') or enum ('e') type (kind 0: neither) named
 * typname, with items the JSON the load built: for an enum its labels
 * (["a","b"]), for a composite its attributes, each [name, format_type,
 * typname (an array's element's), is an array, typtype (an array's
 * element's)].  A type with more
 * than UDT_MAX_ITEMS items, or JSON of another shape, sets no type.
 * 0; -1 when the column is unknown or on no memory.
 */
int catalog_set_extra(struct catalog *ca, const char *table, const char *column,
    int generated, char kind, const char *typname, const char *items);
const struct column *table_column(const struct table *t, const char *name);
/* The single-column primary key, or NULL (no key, or a composite one). */
const struct column *table_pk(const struct table *t);
/*
 * Adds column pair i (0, 1, ... in order) of foreign key name on tname to
 * the catalog: i == 0 starts a new key, a later i extends the last one
 * added, which must be the same key.  0, or -1 on a bad or overlong name,
 * a pair out of order, more than CATALOG_FK_COLS_MAX pairs, or no memory.
 * Keys between tables the catalog does not hold are accepted; resolution
 * (embed.c) looks both tables up.
 */
int catalog_add_fkey(struct catalog *ca, const char *name, const char *tname,
    const char *ftname, size_t i, const char *col, const char *fcol,
    int unique);
void catalog_free(struct catalog *ca);

/* Appends name as a quoted SQL identifier ("a""b"); -1 on NUL or empty. */
int sql_ident(struct buf *b, const char *name);

#endif
