/*
 * Request-body checks for create and update.  The JSON types a column
 * takes are narrower than what PostgreSQL's json_populate_record() would
 * coerce (it turns "5" into 5 and 1.0 into an error), so a client gets a
 * 400 naming the column instead of a database error, and the SQL built
 * from the body never meets a value of the wrong shape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/util.h"
#include "gateway/rows.h"

#define MSG_QUOTE_MAX 64

static void
seterr(
    struct q_error *err, const char *code, const char *msg, const char *detail)
{
	err->qe_status = strcmp(code, "PN900") == 0 ? 500 : 400;
	x_strlcpy(err->qe_code, code, sizeof(err->qe_code));
	x_strlcpy(err->qe_message, msg, sizeof(err->qe_message));
	x_strlcpy(err->qe_details, detail != NULL ? detail : "",
	    sizeof(err->qe_details));
}

/* format_type()'s name when the loader gave one (it has the "[]"). */
static void
type_name(const struct column *c, char *dst, size_t cap)
{
	if (c->co_type[0] != '\0')
		snprintf(dst, cap, "%s", c->co_type);
	else
		snprintf(dst, cap, "%s%s", col_kind_name(c->co_kind),
		    c->co_array ? "[]" : "");
}

/* Whether v, a JSON integer, fits in [min, max]. */
static int
json_int_fits(struct json_object *v, int64_t min, int64_t max)
{
	int64_t i = json_object_get_int64(v);

	/* json-c clamps a larger positive value to INT64_MAX and keeps it
	 * as unsigned; its negative side clamps silently to INT64_MIN, which
	 * PostgreSQL then refuses from the original text. */
	if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return 0;
	return i >= min && i <= max;
}

/*
 * json-c clamps an integer beyond 64 bits to INT64_MIN or UINT64_MAX
 * without a word, and the body is re-serialised from the parsed object, so
 * such a number would reach PostgreSQL as a different number.  Refuse the
 * clamp values themselves, anywhere in the value (json columns included):
 * the price is that exactly -9223372036854775808 and 18446744073709551615
 * are refused too.
 */
static int
json_has_clamped_int(struct json_object *v, int depth)
{
	size_t i, n;

	if (depth > JSON_MAX_DEPTH)
		return 1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		return json_object_get_int64(v) == INT64_MIN ||
		       json_object_get_uint64(v) == UINT64_MAX;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (json_has_clamped_int(
			        json_object_array_get_idx(v, i), depth + 1))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (json_has_clamped_int(val, depth + 1))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* A JSON string without NUL: PostgreSQL's text cannot hold one. */
static int
json_plain_str(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	return strlen(s) == (size_t)json_object_get_string_len(v);
}

/*
 * An object for a composite names only its attributes: PostgreSQL would
 * drop any other key without a word.  The attributes' values are
 * PostgreSQL's to check.
 */
static int
composite_fits(const struct udt *u, struct json_object *v)
{
	size_t i;

	json_object_object_foreach(v, key, val) {
		(void)val;
		for (i = 0; i < u->ud_nattrs; i++)
			if (strcmp(u->ud_attrs[i].co_name, key) == 0)
				break;
		if (i == u->ud_nattrs)
			return 0;
	}
	return 1;
}

static int
value_fits(const struct column *c, struct json_object *v)
{
	enum json_type jt = json_object_get_type(v);

	if (c->co_array)
		return jt == json_type_array;
	/* A composite takes an object (json_populate_record fills it by
	 * attribute name) or its record text. */
	if (c->co_udt != NULL && c->co_udt->ud_kind == UDT_COMPOSITE &&
	    jt == json_type_object)
		return composite_fits(c->co_udt, v);
	switch (c->co_kind) {
	case CK_INT2:
		return jt == json_type_int &&
		       json_int_fits(v, INT16_MIN, INT16_MAX);
	case CK_INT4:
		return jt == json_type_int &&
		       json_int_fits(v, INT32_MIN, INT32_MAX);
	case CK_INT8:
		return jt == json_type_int &&
		       json_int_fits(v, INT64_MIN, INT64_MAX);
	case CK_NUMERIC:
	case CK_FLOAT:
		return jt == json_type_int || jt == json_type_double;
	case CK_BOOL:
		return jt == json_type_boolean;
	case CK_UUID:
		return jt == json_type_string &&
		       query_is_uuid(json_object_get_string(v));
	case CK_TEXT:
	case CK_TIMESTAMPTZ:
	case CK_TIMESTAMP:
	case CK_DATE:
	case CK_TIME:
		return jt == json_type_string && json_plain_str(v);
	case CK_JSON:
		return 1;
	case CK_OTHER:
		return (jt == json_type_string && json_plain_str(v)) ||
		       jt == json_type_int || jt == json_type_double ||
		       jt == json_type_boolean;
	}
	return 0;
}

/* Checks one row object and adds its new keys to cols. */
static int
row_check(const struct table *t, struct json_object *row,
    const struct column **cols, size_t *ncols, struct q_error *err,
    int reserialized)
{
	const struct column *c;
	char msg[256], name[MSG_QUOTE_MAX + 1], tname[CATALOG_NAME_MAX + 2];
	size_t j;

	if (!json_object_is_type(row, json_type_object)) {
		seterr(err, "PN100", "each row must be a JSON object", NULL);
		return -1;
	}
	json_object_object_foreach(row, key, val) {
		if ((c = table_column(t, key)) == NULL) {
			/* Keys are valid UTF-8 (the strict parser checked);
			 * cut long ones on a character boundary. */
			size_t n = strlen(key), k;

			if (n > MSG_QUOTE_MAX) {
				n = MSG_QUOTE_MAX;
				while (n > 0 &&
				       ((unsigned char)key[n] & 0xc0) == 0x80)
					n--;
			}
			memcpy(name, key, n);
			name[n] = '\0';
			for (k = 0; k < n; k++)
				if ((unsigned char)name[k] < 0x20)
					name[k] = '?';
			/* PostgREST's PGRST204, in its words. */
			snprintf(msg, sizeof(msg),
			    "Could not find the '%s' column of '%s' in the "
			    "schema cache",
			    name, t->tb_name);
			seterr(err, "PGRST204", msg, NULL);
			return -1;
		}
		if (val == NULL) {
			if (c->co_notnull) {
				snprintf(msg, sizeof(msg),
				    "column \"%s\" cannot be null", c->co_name);
				seterr(err, "PN101", msg, NULL);
				return -1;
			}
		} else if (reserialized && json_has_clamped_int(val, 0)) {
			snprintf(msg, sizeof(msg),
			    "invalid value for column \"%s\": number out of "
			    "range",
			    c->co_name);
			seterr(err, "PN101", msg, NULL);
			return -1;
		} else if (!value_fits(c, val)) {
			type_name(c, tname, sizeof(tname));
			snprintf(msg, sizeof(msg),
			    "invalid value for column \"%s\": expected %s",
			    c->co_name, tname);
			seterr(err, "PN101", msg, NULL);
			return -1;
		}
		for (j = 0; j < *ncols; j++)
			if (cols[j] == c)
				break;
		if (j == *ncols)
			cols[(*ncols)++] = c;
	}
	return 0;
}

int
rows_check(const struct table *t, struct json_object *body, int allow_array,
    const struct column ***cols, size_t *ncols, struct q_error *err)
{
	return rows_check_ex(t, body, allow_array, cols, ncols, err, 1);
}

int
rows_check_ex(const struct table *t, struct json_object *body, int allow_array,
    const struct column ***cols, size_t *ncols, struct q_error *err,
    int reserialized)
{
	const struct column **cv = NULL;
	size_t n = 0, nrows = 1, i;
	int rv = -1;

	*cols = NULL;
	*ncols = 0;
	memset(err, 0, sizeof(*err));
	if (json_object_is_type(body, json_type_array)) {
		if (!allow_array) {
			seterr(err, "PN100", "the body must be a JSON object",
			    NULL);
			goto fail;
		}
		if ((nrows = json_object_array_length(body)) == 0) {
			seterr(
			    err, "PN100", "the body is an empty array", NULL);
			goto fail;
		}
		if (nrows > ROWS_MAX) {
			seterr(err, "PN101", "too many rows in one request",
			    "at most 1000 rows");
			goto fail;
		}
	} else if (!json_object_is_type(body, json_type_object)) {
		seterr(err, "PN100",
		    allow_array ? "the body must be a JSON object or an array "
		                  "of objects"
		                : "the body must be a JSON object",
		    NULL);
		goto fail;
	}
	/* Each column appears once, so tb_ncols bounds the union. */
	if ((cv = calloc(t->tb_ncols > 0 ? t->tb_ncols : 1, sizeof(*cv))) ==
	    NULL) {
		seterr(err, "PN900", "out of memory", NULL);
		goto fail;
	}
	if (json_object_is_type(body, json_type_array)) {
		for (i = 0; i < nrows; i++)
			if (row_check(t, json_object_array_get_idx(body, i), cv,
			        &n, err, reserialized) == -1)
				goto fail;
	} else if (row_check(t, body, cv, &n, err, reserialized) == -1)
		goto fail;
	if (n == 0 && !allow_array) {
		seterr(err, "PN101", "nothing to update", NULL);
		goto fail;
	}
	if (n == 0 && nrows > 1) {
		seterr(err, "PN101", "rows set no column",
		    "only a single row can be created from defaults alone");
		goto fail;
	}
	if (n == 0) {
		free(cv);
		cv = NULL;
	}
	*cols = cv;
	*ncols = n;
	cv = NULL;
	rv = 0;
fail:
	free(cv);
	return rv;
}
