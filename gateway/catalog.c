/*
 * The live catalog: tables and their columns, and the foreign keys between
 * them, as the loader found them in pg_catalog.  Lookups are linear: a table has tens of columns, and a
 * linear scan of a small array beats a hash table at that size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/util.h"
#include "gateway/catalog.h"

static const struct {
	const char *tk_typname;
	enum col_kind tk_kind;
} typname_kinds[] = {
    {"text", CK_TEXT},
    {"varchar", CK_TEXT},
    {"bpchar", CK_TEXT},
    {"citext", CK_TEXT},
    {"name", CK_TEXT},
    {"int2", CK_INT2},
    {"int4", CK_INT4},
    {"int8", CK_INT8},
    {"numeric", CK_NUMERIC},
    {"float4", CK_FLOAT},
    {"float8", CK_FLOAT},
    {"bool", CK_BOOL},
    {"timestamptz", CK_TIMESTAMPTZ},
    {"timestamp", CK_TIMESTAMP},
    {"date", CK_DATE},
    {"time", CK_TIME},
    {"timetz", CK_TIME},
    {"uuid", CK_UUID},
    {"json", CK_JSON},
    {"jsonb", CK_JSON},
};

enum col_kind
col_kind_from_typname(const char *typname)
{
	size_t i;

	if (typname == NULL)
		return CK_OTHER;
	for (i = 0; i < sizeof(typname_kinds) / sizeof(typname_kinds[0]); i++)
		if (strcmp(typname, typname_kinds[i].tk_typname) == 0)
			return typname_kinds[i].tk_kind;
	return CK_OTHER;
}

/* PostgreSQL's names for the kinds, as used in error messages. */
const char *
col_kind_name(enum col_kind k)
{
	switch (k) {
	case CK_TEXT:
		return "text";
	case CK_INT2:
		return "smallint";
	case CK_INT4:
		return "integer";
	case CK_INT8:
		return "bigint";
	case CK_NUMERIC:
		return "numeric";
	case CK_FLOAT:
		return "double precision";
	case CK_BOOL:
		return "boolean";
	case CK_TIMESTAMPTZ:
		return "timestamp with time zone";
	case CK_TIMESTAMP:
		return "timestamp without time zone";
	case CK_DATE:
		return "date";
	case CK_TIME:
		return "time";
	case CK_UUID:
		return "uuid";
	case CK_JSON:
		return "json";
	case CK_OTHER:
		break;
	}
	return "other";
}

static struct table *
table_find(const struct catalog *ca, const char *name)
{
	size_t i;

	for (i = 0; i < ca->ca_ntables; i++)
		if (strcmp(ca->ca_tables[i].tb_name, name) == 0)
			return &ca->ca_tables[i];
	return NULL;
}

int
catalog_add(struct catalog *ca, const char *tname, const struct column *c)
{
	struct table *t, *nt;
	struct column *nc;
	size_t ncap;

	if (tname == NULL || *tname == '\0' ||
	    strlen(tname) >= CATALOG_NAME_MAX || c->co_name[0] == '\0' ||
	    memchr(c->co_name, '\0', sizeof(c->co_name)) == NULL)
		return -1;
	if ((t = table_find(ca, tname)) == NULL) {
		if (ca->ca_ntables == ca->ca_cap) {
			ncap = ca->ca_cap == 0 ? 8 : ca->ca_cap * 2;
			if (ncap > SIZE_MAX / sizeof(*nt))
				return -1;
			if ((nt = realloc(ca->ca_tables, ncap * sizeof(*nt))) ==
			    NULL)
				return -1;
			ca->ca_tables = nt;
			ca->ca_cap = ncap;
		}
		t = &ca->ca_tables[ca->ca_ntables++];
		memset(t, 0, sizeof(*t));
		x_strlcpy(t->tb_name, tname, sizeof(t->tb_name));
	}
	if (table_column(t, c->co_name) != NULL)
		return -1;
	if (t->tb_ncols == t->tb_cap) {
		ncap = t->tb_cap == 0 ? 8 : t->tb_cap * 2;
		if (ncap > SIZE_MAX / sizeof(*nc))
			return -1;
		if ((nc = realloc(t->tb_cols, ncap * sizeof(*nc))) == NULL)
			return -1;
		t->tb_cols = nc;
		t->tb_cap = ncap;
	}
	t->tb_cols[t->tb_ncols++] = *c;
	return 0;
}

const struct table *
catalog_table(const struct catalog *ca, const char *name)
{
	if (ca == NULL || name == NULL)
		return NULL;
	return table_find(ca, name);
}

const struct column *
table_column(const struct table *t, const char *name)
{
	size_t i;

	if (t == NULL || name == NULL)
		return NULL;
	for (i = 0; i < t->tb_ncols; i++)
		if (strcmp(t->tb_cols[i].co_name, name) == 0)
			return &t->tb_cols[i];
	return NULL;
}

const struct column *
table_pk(const struct table *t)
{
	const struct column *pk = NULL;
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->tb_ncols; i++) {
		if (!t->tb_cols[i].co_pk)
			continue;
		if (pk != NULL)
			return NULL; /* composite key */
		pk = &t->tb_cols[i];
	}
	return pk;
}

static int
name_ok(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) < CATALOG_NAME_MAX;
}

int
catalog_add_fkey(struct catalog *ca, const char *name, const char *tname,
    const char *ftname, size_t i, const char *col, const char *fcol,
    int unique)
{
	struct fkey *fk, *nf;
	size_t ncap;

	if (!name_ok(name) || !name_ok(tname) || !name_ok(ftname) ||
	    !name_ok(col) || !name_ok(fcol) || i >= CATALOG_FK_COLS_MAX)
		return -1;
	if (i > 0) {
		if (ca->ca_nfkeys == 0)
			return -1;
		fk = &ca->ca_fkeys[ca->ca_nfkeys - 1];
		if (fk->fk_ncols != i || strcmp(fk->fk_name, name) != 0 ||
		    strcmp(fk->fk_table, tname) != 0 ||
		    strcmp(fk->fk_ftable, ftname) != 0)
			return -1;
	} else {
		if (ca->ca_nfkeys == ca->ca_fkcap) {
			ncap = ca->ca_fkcap == 0 ? 8 : ca->ca_fkcap * 2;
			if (ncap > SIZE_MAX / sizeof(*nf))
				return -1;
			if ((nf = realloc(ca->ca_fkeys, ncap * sizeof(*nf))) ==
			    NULL)
				return -1;
			ca->ca_fkeys = nf;
			ca->ca_fkcap = ncap;
		}
		fk = &ca->ca_fkeys[ca->ca_nfkeys++];
		memset(fk, 0, sizeof(*fk));
		x_strlcpy(fk->fk_name, name, sizeof(fk->fk_name));
		x_strlcpy(fk->fk_table, tname, sizeof(fk->fk_table));
		x_strlcpy(fk->fk_ftable, ftname, sizeof(fk->fk_ftable));
		fk->fk_unique = unique;
	}
	x_strlcpy(fk->fk_cols[i], col, sizeof(fk->fk_cols[i]));
	x_strlcpy(fk->fk_fcols[i], fcol, sizeof(fk->fk_fcols[i]));
	fk->fk_ncols = i + 1;
	return 0;
}


static void
udt_free(struct udt *u)
{
	if (u == NULL)
		return;
	free(u->ud_attrs);
	free(u->ud_labels);
	free(u);
}

/* items: [[name, format_type, typname, is_array, typtype], ...]. */
static int
udt_attrs(struct udt *u, struct json_object *items)
{
	struct json_object *a, *f[5];
	struct column *c;
	size_t i, n = json_object_array_length(items), k;

	if ((u->ud_attrs = calloc(n > 0 ? n : 1, sizeof(*u->ud_attrs))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(items, i);
		if (!json_object_is_type(a, json_type_array) ||
		    json_object_array_length(a) != 5)
			return 1;
		for (k = 0; k < 5; k++)
			f[k] = json_object_array_get_idx(a, k);
		if (!json_object_is_type(f[0], json_type_string) ||
		    !json_object_is_type(f[1], json_type_string) ||
		    !json_object_is_type(f[2], json_type_string) ||
		    !json_object_is_type(f[3], json_type_boolean) ||
		    !json_object_is_type(f[4], json_type_string) ||
		    (size_t)json_object_get_string_len(f[0]) >=
		        CATALOG_NAME_MAX ||
		    (size_t)json_object_get_string_len(f[0]) == 0)
			return 1;
		c = &u->ud_attrs[u->ud_nattrs++];
		x_strlcpy(c->co_name, json_object_get_string(f[0]),
		    sizeof(c->co_name));
		x_strlcpy(c->co_type, json_object_get_string(f[1]),
		    sizeof(c->co_type));
		x_strlcpy(c->co_typname, json_object_get_string(f[2]),
		    sizeof(c->co_typname));
		c->co_kind = col_kind_from_typname(c->co_typname);
		/* A nested composite is a JSON object in row_to_json(). */
		if (strcmp(json_object_get_string(f[4]), "c") == 0)
			c->co_kind = CK_JSON;
		c->co_array = json_object_get_boolean(f[3]);
	}
	return 0;
}

/* items: ["label", ...]. */
static int
udt_labels(struct udt *u, struct json_object *items)
{
	struct json_object *l;
	size_t i, n = json_object_array_length(items);

	if ((u->ud_labels = calloc(n > 0 ? n : 1, sizeof(*u->ud_labels))) ==
	    NULL)
		return -1;
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(items, i);
		if (!json_object_is_type(l, json_type_string) ||
		    (size_t)json_object_get_string_len(l) >= CATALOG_NAME_MAX)
			return 1;
		x_strlcpy(u->ud_labels[u->ud_nlabels++],
		    json_object_get_string(l), CATALOG_NAME_MAX);
	}
	return 0;
}

int
catalog_set_extra(struct catalog *ca, const char *table, const char *column,
    int generated, char kind, const char *typname, const char *items)
{
	struct table *t;
	struct column *c = NULL;
	struct json_object *o = NULL;
	struct udt *u = NULL;
	const char *why;
	size_t i;
	int rv = -1, r;

	if ((t = table_find(ca, table)) == NULL)
		return -1;
	for (i = 0; i < t->tb_ncols && c == NULL; i++)
		if (strcmp(t->tb_cols[i].co_name, column) == 0)
			c = &t->tb_cols[i];
	if (c == NULL)
		return -1;
	c->co_generated = generated;
	if ((kind != 'c' && kind != 'e') || typname == NULL || items == NULL ||
	    strlen(typname) >= CATALOG_NAME_MAX)
		return 0;
	if ((o = json_parse_strict(items, strlen(items), &why)) == NULL ||
	    !json_object_is_type(o, json_type_array) ||
	    json_object_array_length(o) > UDT_MAX_ITEMS) {
		rv = 0; /* described by its kind alone */
		goto fail;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		goto fail;
	u->ud_kind = kind == 'c' ? UDT_COMPOSITE : UDT_ENUM;
	x_strlcpy(u->ud_name, typname, sizeof(u->ud_name));
	r = kind == 'c' ? udt_attrs(u, o) : udt_labels(u, o);
	if (r != 0) {
		rv = r == 1 ? 0 : -1;
		goto fail;
	}
	udt_free(c->co_udt);
	c->co_udt = u;
	u = NULL;
	rv = 0;
fail:
	udt_free(u);
	json_object_put(o);
	return rv;
}

void
catalog_free(struct catalog *ca)
{
	size_t i, j;

	if (ca == NULL)
		return;
	for (i = 0; i < ca->ca_ntables; i++) {
		for (j = 0; j < ca->ca_tables[i].tb_ncols; j++)
			udt_free(ca->ca_tables[i].tb_cols[j].co_udt);
		free(ca->ca_tables[i].tb_cols);
	}
	free(ca->ca_tables);
	ca->ca_tables = NULL;
	ca->ca_ntables = 0;
	ca->ca_cap = 0;
	free(ca->ca_fkeys);
	ca->ca_fkeys = NULL;
	ca->ca_nfkeys = 0;
	ca->ca_fkcap = 0;
}

/*
 * The always-quoted form of quote_ident(): enclose in double quotes and
 * double every double quote inside.  That is all PostgreSQL's lexer needs
 * for a delimited identifier; invalid UTF-8 is refused as well because the
 * server would refuse the whole statement for it.  On failure b is left as
 * it was.
 */
int
sql_ident(struct buf *b, const char *name)
{
	size_t n, i;

	if (name == NULL || (n = strlen(name)) == 0 ||
	    utf8_check(name, n, NULL) == -1)
		return -1;
	if (buf_reserve(b, n * 2 + 2) == -1)
		return -1;
	/* The reservation makes room for all of it: nothing below fails. */
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (name[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, name[i]);
	}
	buf_addc(b, '"');
	return buf_error(b);
}
