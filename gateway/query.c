/*
 * The list and filter grammar (docs/data-api.md), PostgREST's syntax:
 *
 *	select=a,b		order=a.desc.nullslast,b
 *	limit=20		offset=40
 *	col=[not.]op.value	op: eq neq gt gte lt lte like ilike match
 *				imatch in is isdistinct fts plfts phfts wfts
 *				cs cd ov sl sr nxr nxl adj
 *	col=in.(1,2,"a,b")	col=is.null		col=like.*abc*
 *	col=like(any).{a*,b*}	col=fts(english).cat
 *	or=(a.eq.1,and(b.gt.2,c.lt.3))	not.and=(..)
 *
 * Everything here is checked before any SQL exists: names against the
 * catalog, values against the column's kind, lengths against fixed caps.
 * Client text quoted back in an error message goes through qerr_quote(), so
 * the error body stays valid UTF-8 and bounded whatever was sent.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "gateway/embed.h"
#include "gateway/query.h"

/* limit= and offset= take at most this many digits. */
#define COUNT_DIGITS_MAX 12

/* PostgREST parameters we do not support: a clear 400 instead of PN107. */
static const char *const unsupported_params[] = {"not", "on_conflict", NULL};

/* ---- values ---- */

/*
 * [+-]digits in the range [min, max].  PostgreSQL would also take
 * surrounding blanks and underscores (16+); we ask for the plain form.
 */
static int
int_ok(const char *s, long long min, long long max)
{
	const char *p = s;
	long long v;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return v >= min && v <= max;
}

/* [+-](digits[.digits*] | .digits)([eE][+-]digits) */
static int
decimal_ok(const char *s)
{
	const char *p = s;
	size_t a, b = 0;

	if (*p == '-' || *p == '+')
		p++;
	a = strspn(p, "0123456789");
	p += a;
	if (*p == '.') {
		p++;
		b = strspn(p, "0123456789");
		p += b;
	}
	if (a == 0 && b == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if ((a = strspn(p, "0123456789")) == 0)
			return 0;
		p += a;
	}
	return *p == '\0';
}

/* The special values of float4/float8 input, case-insensitive. */
static int
float_special_ok(const char *s)
{
	static const char *const names[] = {"nan", "infinity", "inf", NULL};
	size_t i;

	if (*s == '-' || *s == '+')
		s++;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(s, names[i]) == 0)
			return 1;
	return 0;
}

static int
bool_ok(const char *s)
{
	static const char *const names[] = {"true", "false", "t", "f", "yes",
	    "no", "y", "n", "on", "off", "1", "0", NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(s, names[i]) == 0)
			return 1;
	return 0;
}

int
query_is_uuid(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[36] == '\0';
}

/* Length and encoding, for every value whatever the column. */
static int
text_ok(const struct column *col, const char *value, struct q_error *err)
{
	size_t n = strlen(value);

	if (n > QUERY_VALUE_MAX) {
		qerr_set(err, 400, "PN105",
		    "value for column \"%s\" is longer than %d bytes",
		    col->co_name, QUERY_VALUE_MAX);
		return -1;
	}
	if (utf8_check(value, n, NULL) == -1) {
		qerr_set(err, 400, "PN105",
		    "value for column \"%s\" is not valid UTF-8", col->co_name);
		return -1;
	}
	return 0;
}

int
query_value_ok(const struct column *col, const char *value, struct q_error *err)
{
	char q[QERR_QUOTE_MAX + 4];
	int ok;

	if (text_ok(col, value, err) == -1)
		return -1;
	/* For an array column the kind is the element's: leave the array
	 * literal to PostgreSQL. */
	if (col->co_array)
		return 0;
	switch (col->co_kind) {
	case CK_INT2:
		ok = int_ok(value, INT16_MIN, INT16_MAX);
		break;
	case CK_INT4:
		ok = int_ok(value, INT32_MIN, INT32_MAX);
		break;
	case CK_INT8:
		ok = int_ok(value, INT64_MIN, INT64_MAX);
		break;
	case CK_NUMERIC:
		ok = decimal_ok(value);
		break;
	case CK_FLOAT:
		ok = decimal_ok(value) || float_special_ok(value);
		break;
	case CK_BOOL:
		ok = bool_ok(value);
		break;
	case CK_UUID:
		ok = query_is_uuid(value);
		break;
	default:
		/* Dates, times, text, json and the rest: PostgreSQL checks,
		 * and its 22xxx errors are answered with a 400. */
		ok = 1;
		break;
	}
	if (!ok) {
		qerr_set(err, 400, "PN105",
		    "invalid value for column \"%s\" (%s): \"%s\"",
		    col->co_name,
		    col->co_type[0] != '\0' ? col->co_type
		                            : col_kind_name(col->co_kind),
		    qerr_quote(q, value));
		return -1;
	}
	return 0;
}

/* ---- filters ---- */

/* Operators that take a modifier in parentheses after their name. */
enum {
	OPF_QUANT = 1, /* (any) or (all), with an array literal value */
	OPF_LANG = 2   /* (english): a text search configuration */
};

static const struct {
	const char *on_name;
	enum q_op on_op;
	int on_flags;
} op_names[] = {
    {"eq", QO_EQ, OPF_QUANT},
    {"neq", QO_NEQ, 0},
    {"gt", QO_GT, OPF_QUANT},
    {"gte", QO_GTE, OPF_QUANT},
    {"lt", QO_LT, OPF_QUANT},
    {"lte", QO_LTE, OPF_QUANT},
    {"like", QO_LIKE, OPF_QUANT},
    {"ilike", QO_ILIKE, OPF_QUANT},
    {"match", QO_MATCH, OPF_QUANT},
    {"imatch", QO_IMATCH, OPF_QUANT},
    {"in", QO_IN, 0},
    {"is", QO_IS, 0},
    {"isdistinct", QO_ISDISTINCT, 0},
    {"fts", QO_FTS, OPF_LANG},
    {"plfts", QO_PLFTS, OPF_LANG},
    {"phfts", QO_PHFTS, OPF_LANG},
    {"wfts", QO_WFTS, OPF_LANG},
    {"cs", QO_CS, 0},
    {"cd", QO_CD, 0},
    {"ov", QO_OV, 0},
    {"sl", QO_SL, 0},
    {"sr", QO_SR, 0},
    {"nxr", QO_NXR, 0},
    {"nxl", QO_NXL, 0},
    {"adj", QO_ADJ, 0},
};

/*
 * The text search configurations PostgreSQL 15 ships: fts(lang) takes one
 * of these, so the regconfig cast of the bound name cannot fail.
 */
static const char *const ts_configs[] = {"arabic", "armenian", "basque",
    "catalan", "danish", "dutch", "english", "finnish", "french", "german",
    "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian",
    "serbian", "simple", "spanish", "swedish", "tamil", "turkish", "yiddish",
    NULL};

static void
filter_free(struct q_filter *f)
{
	size_t i;

	free(f->qf_value);
	sel_path_free(f->qf_path, f->qf_npath);
	for (i = 0; i < f->qf_nlist; i++)
		free(f->qf_list[i]);
	free(f->qf_list);
	for (i = 0; i < f->qf_nkids; i++)
		filter_free(&f->qf_kids[i]);
	free(f->qf_kids);
	memset(f, 0, sizeof(*f));
}

/* Returns a zeroed slot at the end of q's filters, or NULL. */
static struct q_filter *
filter_new(struct query *q)
{
	struct q_filter *nf;
	size_t ncap;

	if (q->q_nfilters == q->q_filtcap) {
		ncap = q->q_filtcap == 0 ? 4 : q->q_filtcap * 2;
		if (ncap > SIZE_MAX / sizeof(*nf))
			return NULL;
		if ((nf = realloc(q->q_filters, ncap * sizeof(*nf))) == NULL)
			return NULL;
		q->q_filters = nf;
		q->q_filtcap = ncap;
	}
	nf = &q->q_filters[q->q_nfilters];
	memset(nf, 0, sizeof(*nf));
	return nf;
}

/* Ranges and multiranges, by the name PostgreSQL gives them all. */
static int
col_is_range(const struct column *c)
{
	size_t n = strlen(c->co_typname);

	return !c->co_array && n >= 5 &&
	       strcmp(c->co_typname + n - 5, "range") == 0;
}

static int
col_is_jsonb(const struct column *c)
{
	return !c->co_array && strcmp(c->co_typname, "jsonb") == 0;
}

/*
 * Why f's operator does not apply to col's type, or NULL when it does:
 * refused here, the statement would be PostgreSQL's 42883.
 */
static const char *
op_type_why(const struct column *col, const struct q_filter *f)
{
	if (f->qf_quant != QQ_NONE && col->co_array)
		return "any/all does not apply to an array column";
	switch (f->qf_op) {
	case QO_CS:
	case QO_CD:
		if (!col->co_array && !col_is_range(col) && !col_is_jsonb(col))
			return "it applies to arrays, ranges and jsonb";
		return NULL;
	case QO_OV:
		if (!col->co_array && !col_is_range(col))
			return "it applies to arrays and ranges";
		return NULL;
	case QO_SL:
	case QO_SR:
	case QO_NXR:
	case QO_NXL:
	case QO_ADJ:
		if (!col_is_range(col))
			return "it applies to ranges";
		return NULL;
	case QO_FTS:
	case QO_PLFTS:
	case QO_PHFTS:
	case QO_WFTS:
		if (col->co_array ||
		    (col->co_kind != CK_TEXT &&
		        strcmp(col->co_typname, "tsvector") != 0))
			return "it applies to text and tsvector";
		return NULL;
	default:
		return NULL;
	}
}

/*
 * Parses "(a,b,"c,d")" into f->qf_list.  Items are taken literally up to
 * the next ',' or ')'; a double-quoted item may hold ',', ')' and, escaped
 * with a backslash, '"' and '\'.  An unquoted item may not hold '"' or '('
 * (they mean the client meant to quote), and nothing may follow the ')'.
 * "()" is the empty list.
 */
static int
in_parse(const struct column *col, const char *s, struct q_filter *f,
    struct q_error *err)
{
	char *item = NULL, **nl;
	size_t len = strlen(s), i = 1, n, cap = 0;
	const char *why = NULL;

	if (len < 2 || s[0] != '(' || s[len - 1] != ')') {
		why = "must be a list in parentheses, e.g. in.(1,2,3)";
		goto bad;
	}
	if (len == 2)
		return 0;
	if ((item = malloc(len)) == NULL)
		goto nomem;
	for (;;) {
		n = 0;
		if (s[i] == '"') {
			for (i++; s[i] != '"'; i++) {
				if (s[i] == '\\' && s[i + 1] != '\0')
					i++;
				if (s[i] == '\0') {
					why = "has an unterminated quoted item";
					goto bad;
				}
				item[n++] = s[i];
			}
			i++;
			if (s[i] != ',' && s[i] != ')') {
				why = "has text after a quoted item";
				goto bad;
			}
		} else {
			for (; s[i] != ',' && s[i] != ')'; i++) {
				if (s[i] == '"' || s[i] == '(') {
					why = "has an unbalanced quote or "
					      "parenthesis";
					goto bad;
				}
				item[n++] = s[i];
			}
		}
		item[n] = '\0';
		if (f->qf_nlist == QUERY_MAX_IN) {
			qerr_set(err, 400, "PN105",
			    "in list for column \"%s\" has more than %d items",
			    col->co_name, QUERY_MAX_IN);
			goto fail;
		}
		if (query_value_ok(col, item, err) == -1)
			goto fail;
		if (f->qf_nlist == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((nl = realloc(f->qf_list, cap * sizeof(*nl))) ==
			    NULL)
				goto nomem;
			f->qf_list = nl;
		}
		if ((f->qf_list[f->qf_nlist] = strdup(item)) == NULL)
			goto nomem;
		f->qf_nlist++;
		if (s[i] == ')') {
			if (s[i + 1] != '\0') {
				why = "has text after the closing parenthesis";
				goto bad;
			}
			break;
		}
		i++; /* the ',' */
	}
	free(item);
	return 0;
bad:
	qerr_set(err, 400, "PN105", "in list for column \"%s\" %s",
	    col->co_name, why);
	goto fail;
nomem:
	qerr_nomem(err);
fail:
	free(item);
	return -1;
}

static int
is_parse(const struct column *col, const char *s, struct q_filter *f,
    struct q_error *err)
{
	char q[QERR_QUOTE_MAX + 4];

	if (strcasecmp(s, "null") == 0) {
		f->qf_is = QI_NULL;
		return 0;
	}
	if (strcasecmp(s, "true") == 0)
		f->qf_is = QI_TRUE;
	else if (strcasecmp(s, "false") == 0)
		f->qf_is = QI_FALSE;
	else if (strcasecmp(s, "unknown") == 0)
		f->qf_is = QI_UNKNOWN;
	else {
		qerr_set(err, 400, "PN105",
		    "is for column \"%s\" takes null, true, false or unknown, "
		    "not \"%s\"",
		    col->co_name, qerr_quote(q, s));
		return -1;
	}
	/* IS TRUE on anything but a boolean is a PostgreSQL type error. */
	if (col->co_kind != CK_BOOL || col->co_array) {
		qerr_set(err, 400, "PN105",
		    "column \"%s\" is not a boolean: only is.null applies",
		    col->co_name);
		return -1;
	}
	return 0;
}

/* The modifier "(m)" of op i, m of length n, into f. */
static int
op_modifier(const struct column *col, size_t i, const char *m, size_t n,
    struct q_filter *f, struct q_error *err)
{
	char qs[QERR_QUOTE_MAX + 4], word[QERR_QUOTE_MAX + 1];
	size_t j;

	if (n > QERR_QUOTE_MAX)
		n = QERR_QUOTE_MAX;
	memcpy(word, m, n);
	word[n] = '\0';
	if ((op_names[i].on_flags & OPF_QUANT) != 0) {
		if (strcmp(word, "any") == 0)
			f->qf_quant = QQ_ANY;
		else if (strcmp(word, "all") == 0)
			f->qf_quant = QQ_ALL;
		else {
			qerr_set(err, 400, "PN108",
			    "operator \"%s\" takes (any) or (all), not \"%s\"",
			    op_names[i].on_name, qerr_quote(qs, word));
			return -1;
		}
		return 0;
	}
	if ((op_names[i].on_flags & OPF_LANG) != 0) {
		for (j = 0; ts_configs[j] != NULL; j++)
			if (strcmp(word, ts_configs[j]) == 0)
				break;
		if (ts_configs[j] == NULL) {
			qerr_set(err, 400, "PN105",
			    "filter on column \"%s\": \"%s\" is not a text "
			    "search configuration (english, simple, ...)",
			    col->co_name, qerr_quote(qs, word));
			return -1;
		}
		x_strlcpy(f->qf_lang, word, sizeof(f->qf_lang));
		return 0;
	}
	qerr_set(err, 400, "PN108", "operator \"%s\" takes no modifier (%s)",
	    op_names[i].on_name, qerr_quote(qs, word));
	return -1;
}

/*
 * "[not.]op[(modifier)]." at the start of s, for column col: fills f's
 * qf_not, qf_op, qf_quant and qf_lang.  Returns the text after the '.',
 * or NULL with *err set.
 */
static const char *
op_parse(const struct column *col, const char *s, struct q_filter *f,
    struct q_error *err)
{
	const char *dot, *paren;
	char opname[QERR_QUOTE_MAX + 1], qs[QERR_QUOTE_MAX + 4];
	size_t i, oplen;

	if (strncmp(s, "not.", 4) == 0) {
		f->qf_not = 1;
		s += 4;
	}
	if ((dot = strchr(s, '.')) == NULL) {
		qerr_set(err, 400, "PN105",
		    "filter on column \"%s\" must be operator.value, e.g. "
		    "eq.5",
		    col->co_name);
		return NULL;
	}
	paren = memchr(s, '(', (size_t)(dot - s));
	oplen = (size_t)((paren != NULL ? paren : dot) - s);
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strlen(op_names[i].on_name) == oplen &&
		    strncmp(s, op_names[i].on_name, oplen) == 0)
			break;
	if (i == sizeof(op_names) / sizeof(op_names[0])) {
		oplen = (size_t)(dot - s);
		if (oplen > QERR_QUOTE_MAX)
			oplen = QERR_QUOTE_MAX;
		memcpy(opname, s, oplen);
		opname[oplen] = '\0';
		qerr_set(err, 400, "PN108", "unknown operator \"%s\"",
		    qerr_quote(qs, opname));
		return NULL;
	}
	f->qf_op = op_names[i].on_op;
	if (paren != NULL) {
		if (dot[-1] != ')') {
			qerr_set(err, 400, "PN108",
			    "operator \"%s\": modifier not closed by \")\"",
			    op_names[i].on_name);
			return NULL;
		}
		if (op_modifier(col, i, paren + 1, (size_t)(dot - paren - 2), f,
		        err) == -1)
			return NULL;
	}
	return dot + 1;
}

/*
 * Checks and stores value v of f (operator already parsed) on col, and
 * counts it against q's limits.
 */
static int
value_set(const struct column *col, const char *v, struct q_filter *f,
    struct query *q, struct q_error *err)
{
	const char *why;
	char qs[QERR_QUOTE_MAX + 4];
	size_t i, nv;
	char *p;

	f->qf_col = col;
	if ((why = op_type_why(col, f)) != NULL) {
		for (i = 0; op_names[i].on_op != f->qf_op; i++)
			;
		qerr_set(err, 400, "PN108",
		    "operator \"%s\" does not apply to column \"%s\" (%s): %s",
		    op_names[i].on_name, col->co_name,
		    col->co_type[0] != '\0' ? col->co_type
		                            : col_kind_name(col->co_kind),
		    why);
		return -1;
	}
	if (++q->q_nterms > QUERY_MAX_TERMS) {
		qerr_set(err, 400, "PN105", "more than %d filter terms",
		    QUERY_MAX_TERMS);
		return -1;
	}
	if (f->qf_op != QO_IN && text_ok(col, v, err) == -1)
		return -1;
	if (f->qf_quant != QQ_NONE) {
		/* The array literal goes to PostgreSQL whole, as ANY()
		 * takes it; its items are checked there (22P02). */
		size_t n = strlen(v);

		if (n < 2 || v[0] != '{' || v[n - 1] != '}') {
			qerr_set(err, 400, "PN105",
			    "filter on column \"%s\": any/all takes an array "
			    "literal, e.g. {a,b}, not \"%s\"",
			    col->co_name, qerr_quote(qs, v));
			return -1;
		}
	}
	switch (f->qf_op) {
	case QO_IN:
		if (in_parse(col, v, f, err) == -1)
			return -1;
		break;
	case QO_IS:
		if (is_parse(col, v, f, err) == -1)
			return -1;
		break;
	case QO_EQ:
	case QO_NEQ:
	case QO_GT:
	case QO_GTE:
	case QO_LT:
	case QO_LTE:
	case QO_ISDISTINCT:
		if (f->qf_quant == QQ_NONE && query_value_ok(col, v, err) == -1)
			return -1;
		/* FALLTHROUGH */
	default:
		/* Regular expressions, tsqueries, ranges, arrays and jsonb
		 * are parsed by PostgreSQL, whose 22xxx is a 400. */
		if ((f->qf_value = strdup(v)) == NULL) {
			qerr_nomem(err);
			return -1;
		}
		if (f->qf_op == QO_LIKE || f->qf_op == QO_ILIKE)
			for (p = f->qf_value; *p != '\0'; p++)
				if (*p == '*')
					*p = '%';
		break;
	}
	nv = f->qf_op == QO_IN ? f->qf_nlist : f->qf_op == QO_IS ? 0 : 1;
	if (f->qf_lang[0] != '\0')
		nv++;
	if ((q->q_nvalues += nv) > QUERY_MAX_VALUES) {
		qerr_set(err, 400, "PN105", "more than %d filter values",
		    QUERY_MAX_VALUES);
		return -1;
	}
	return 0;
}

static int path_check(const struct column *, const struct sel_step *, size_t,
    struct query *, struct q_error *);

/*
 * What a JSON path's result is compared as: text after a final ->>, the
 * column's own json or jsonb after ->.  *vc is a copy of col with that
 * type, for the checks of op_parse() and value_set().
 */
static void
path_result(const struct column *col, const struct sel_step *path, size_t npath,
    struct column *vc)
{
	*vc = *col;
	if (npath > 0 && path[npath - 1].ss_text) {
		vc->co_kind = CK_TEXT;
		x_strlcpy(vc->co_type, "text, by ->>", sizeof(vc->co_type));
		x_strlcpy(vc->co_typname, "text", sizeof(vc->co_typname));
	}
}

/*
 * "[not.]op.value" for column col, or the result of path on it (owned by
 * the filter from here on, freed on failure too), appended to q.
 */
static int
filter_parse(const struct column *col, struct sel_step *path, size_t npath,
    const char *s, struct query *q, struct q_error *err)
{
	struct q_filter *f;
	struct column vc;
	const char *v;

	/* Lengths are checked per value below (per item for in, whose
	 * whole is bounded by HTTP_QUERY_MAX). */
	if (utf8_check(s, strlen(s), NULL) == -1) {
		qerr_set(err, 400, "PN105",
		    "filter on column \"%s\" is not valid UTF-8", col->co_name);
		goto fail;
	}
	if (q->q_nfilters >= QUERY_MAX_FILTERS) {
		qerr_set(err, 400, "PN105", "more than %d filters",
		    QUERY_MAX_FILTERS);
		goto fail;
	}
	if (path_check(col, path, npath, q, err) == -1)
		goto fail;
	if ((f = filter_new(q)) == NULL) {
		qerr_nomem(err);
		goto fail;
	}
	f->qf_path = path;
	f->qf_npath = npath;
	path_result(col, path, npath, &vc);
	if ((v = op_parse(&vc, s, f, err)) == NULL ||
	    value_set(&vc, v, f, q, err) == -1) {
		filter_free(f);
		return -1;
	}
	f->qf_col = col;
	q->q_nfilters++;
	return 0;
fail:
	sel_path_free(path, npath);
	return -1;
}

/* ---- logic trees ---- */

/*
 * or=(a.eq.1,and(b.gt.2,not.c.is.null)), PostgREST's grammar:
 *
 *	tree	:= [not.](and|or)(node{,node})
 *	node	:= tree | column.[not.]op[(modifier)].value
 *	value	:= "quoted, \" and \\ escaped" | {array,literal} | (in,list)
 *		 | text up to the next ',' or ')'
 *
 * Blanks after '(' and ',' are skipped.  A node is parsed with the
 * single-filter rules above once its value is cut out, so a tree checks
 * exactly what a top-level filter checks.
 */
struct tree {
	const struct table *tr_t;
	struct query *tr_q;
	const char *tr_src; /* the whole parameter value, for messages */
	char *tr_buf;       /* one value at a time; strlen(tr_src) + 1 */
	struct q_error *tr_err;
};

static int
tree_err(struct tree *tr, const char *at, const char *why)
{
	char qs[QERR_QUOTE_MAX + 4];

	qerr_set(tr->tr_err, 400, "PGRST100", "failed to parse logic tree (%s)",
	    qerr_quote(qs, tr->tr_src));
	snprintf(tr->tr_err->qe_details, sizeof(tr->tr_err->qe_details),
	    "at byte %zu: %s", (size_t)(at - tr->tr_src), why);
	return -1;
}

static void
skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* "..." at p (p at the '"') unescaped into dst; the byte after, or NULL. */
static const char *
quoted(const char *p, char *dst)
{
	size_t n = 0;

	for (p++; *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\0')
			return NULL;
		dst[n++] = *p;
	}
	dst[n] = '\0';
	return p + 1;
}

/* The value of a node at p for operator op, into tr_buf; its end. */
static const char *
tree_value(struct tree *tr, const char *p, enum q_op op)
{
	const char *e;
	size_t n;

	if (op == QO_IN) {
		/* The list whole, quotes and all, for in_parse(). */
		if (*p != '(') {
			tree_err(tr, p, "in takes a list in parentheses");
			return NULL;
		}
		for (e = p + 1; *e != ')';) {
			if (*e == '\0') {
				tree_err(tr, e, "list not closed by \")\"");
				return NULL;
			}
			if (*e != '"')
				e++;
			else if ((e = quoted(e, tr->tr_buf)) == NULL) {
				tree_err(tr, p, "unterminated quote in a list");
				return NULL;
			}
		}
		n = (size_t)(e + 1 - p);
		memcpy(tr->tr_buf, p, n);
		tr->tr_buf[n] = '\0';
		return e + 1;
	}
	if (*p == '"' && (e = quoted(p, tr->tr_buf)) != NULL &&
	    (*e == ',' || *e == ')' || *e == '\0'))
		return e;
	if (*p == '{') {
		e = p + 1 + strcspn(p + 1, "{}");
		if (*e == '}') {
			n = (size_t)(e + 1 - p);
			memcpy(tr->tr_buf, p, n);
			tr->tr_buf[n] = '\0';
			return e + 1;
		}
	}
	n = strcspn(p, ",)");
	memcpy(tr->tr_buf, p, n);
	tr->tr_buf[n] = '\0';
	return p + n;
}

/*
 * The column of a node: its exact name, or (unless it was quoted) a
 * column with a JSON path (meta->>a.eq.1), the path into f.  NULL when
 * there is none; *tr_err is set only when the path is at fault.
 */
static const struct column *
tree_column(struct tree *tr, const char *name, int paths, struct q_filter *f)
{
	const struct column *col;
	struct q_error perr;
	const char *end;
	char *cname;

	if ((col = table_column(tr->tr_t, name)) != NULL || !paths)
		return col;
	if (sel_field_parse(name, "filter", &cname, &f->qf_path, &f->qf_npath,
	        &end, &perr) == -1) {
		if (perr.qe_status != 400)
			*tr->tr_err = perr;
		return NULL;
	}
	col = *end == '\0' ? table_column(tr->tr_t, cname) : NULL;
	free(cname);
	if (col != NULL && path_check(col, f->qf_path, f->qf_npath, tr->tr_q,
	                       tr->tr_err) == -1)
		return NULL;
	return col;
}

/* A column.op.value node at *pp into f. */
static int
tree_leaf(struct tree *tr, const char **pp, struct q_filter *f)
{
	struct column vc;
	const struct column *col;
	const char *p = *pp, *e, *v;
	char qs[QERR_QUOTE_MAX + 4];
	size_t n;

	if (*p == '"') {
		if ((e = quoted(p, tr->tr_buf)) == NULL)
			return tree_err(tr, p, "unterminated quoted name");
		n = strlen(tr->tr_buf);
	} else {
		e = p + strcspn(p, ".,()");
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		memcpy(tr->tr_buf, p, n);
		tr->tr_buf[n] = '\0';
	}
	if (*e != '.')
		return tree_err(tr, e,
		    n == 0 ? "expected a column name or and(..)/or(..)"
		           : "expected \".\" after the column name");
	if (n == 0)
		return tree_err(tr, p, "empty column name");
	if ((col = tree_column(tr, tr->tr_buf, *p != '"', f)) == NULL) {
		if (tr->tr_err->qe_status == 0)
			qerr_set(tr->tr_err, 400, "PN107",
			    "column \"%s\" does not exist",
			    qerr_quote(qs, tr->tr_buf));
		return -1;
	}
	/* The checks are of the path's result, if there is a path. */
	path_result(col, f->qf_path, f->qf_npath, &vc);
	if ((v = op_parse(&vc, e + 1, f, tr->tr_err)) == NULL ||
	    (e = tree_value(tr, v, f->qf_op)) == NULL ||
	    value_set(&vc, tr->tr_buf, f, tr->tr_q, tr->tr_err) == -1)
		return -1;
	f->qf_col = col;
	*pp = e;
	return 0;
}

static int tree_node(struct tree *, const char **, int, struct q_filter *);

/* The operands of group f at *pp (after its '(') through its ')'. */
static int
tree_group(struct tree *tr, const char **pp, int depth, struct q_filter *f)
{
	struct q_filter *nk;
	const char *p = *pp;

	if (depth > QUERY_TREE_DEPTH_MAX) {
		qerr_set(tr->tr_err, 400, "PN105",
		    "logic tree nested deeper than %d levels",
		    QUERY_TREE_DEPTH_MAX);
		return -1;
	}
	for (;;) {
		skip_blanks(&p);
		/* Grow by doubling: the count is a power of two when full. */
		if (f->qf_nkids == 0 ||
		    (f->qf_nkids & (f->qf_nkids - 1)) == 0) {
			if ((nk = reallocarray(f->qf_kids,
			         f->qf_nkids == 0 ? 2 : f->qf_nkids * 2,
			         sizeof(*nk))) == NULL) {
				qerr_nomem(tr->tr_err);
				return -1;
			}
			f->qf_kids = nk;
		}
		nk = &f->qf_kids[f->qf_nkids];
		memset(nk, 0, sizeof(*nk));
		if (tree_node(tr, &p, depth, nk) == -1) {
			filter_free(nk);
			return -1;
		}
		f->qf_nkids++;
		skip_blanks(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ')')
			break;
		return tree_err(tr, p, "expected \",\" or \")\"");
	}
	*pp = p + 1;
	return 0;
}

static int
tree_node(struct tree *tr, const char **pp, int depth, struct q_filter *f)
{
	const char *s = *pp;
	int neg = 0;

	if (strncmp(s, "not.", 4) == 0) {
		neg = 1;
		s += 4;
	}
	if (strncmp(s, "and(", 4) == 0 || strncmp(s, "or(", 3) == 0) {
		f->qf_op = s[0] == 'a' ? QO_AND : QO_OR;
		f->qf_not = neg;
		s += f->qf_op == QO_AND ? 4 : 3;
		if (tree_group(tr, &s, depth + 1, f) == -1)
			return -1;
		*pp = s;
		return 0;
	}
	return tree_leaf(tr, pp, f);
}

/*
 * A logic tree parameter: name is and, or, not.and or not.or (the
 * caller has checked), value "(node,...)".  Appends one filter to q.
 */
static int
logic_parse(const struct table *t, const char *name, const char *value,
    struct query *q, struct q_error *err)
{
	struct tree tr;
	struct q_filter *f;
	const char *p = value;
	int rv = -1;

	if (utf8_check(value, strlen(value), NULL) == -1) {
		qerr_set(err, 400, "PN105", "%s is not valid UTF-8", name);
		return -1;
	}
	if (q->q_nfilters >= QUERY_MAX_FILTERS) {
		qerr_set(err, 400, "PN105", "more than %d filters",
		    QUERY_MAX_FILTERS);
		return -1;
	}
	tr.tr_t = t;
	tr.tr_q = q;
	tr.tr_src = value;
	tr.tr_err = err;
	if ((tr.tr_buf = malloc(strlen(value) + 1)) == NULL ||
	    (f = filter_new(q)) == NULL) {
		free(tr.tr_buf);
		qerr_nomem(err);
		return -1;
	}
	if (strncmp(name, "not.", 4) == 0) {
		f->qf_not = 1;
		name += 4;
	}
	f->qf_op = strcmp(name, "and") == 0 ? QO_AND : QO_OR;
	skip_blanks(&p);
	if (*p != '(')
		tree_err(&tr, p, "expected \"(\"");
	else if (p++, tree_group(&tr, &p, 1, f) == 0) {
		skip_blanks(&p);
		if (*p != '\0')
			tree_err(&tr, p, "text after the closing parenthesis");
		else
			rv = 0;
	}
	free(tr.tr_buf);
	if (rv == -1)
		filter_free(f);
	else
		q->q_nfilters++;
	return rv;
}

/* Whether name is a logic tree: 0 no, 1 yes, -1 one on an embedding. */
static int
logic_name(const char *name)
{
	const char *last = strrchr(name, '.');

	if (strcmp(name, "or") == 0 || strcmp(name, "and") == 0 ||
	    strcmp(name, "not.or") == 0 || strcmp(name, "not.and") == 0)
		return 1;
	if (last != NULL &&
	    (strcmp(last, ".or") == 0 || strcmp(last, ".and") == 0))
		return -1;
	return 0;
}

int
query_add_eq(struct query *q, const struct column *col, const char *value)
{
	struct q_filter *f;
	struct q_error err;

	/* A path id or token subject that cannot be of the column's type
	 * names no row: the caller answers 404 rather than let PostgreSQL
	 * fail on it. */
	if (query_value_ok(col, value, &err) == -1)
		return -1;
	if ((f = filter_new(q)) == NULL)
		return -1;
	if ((f->qf_value = strdup(value)) == NULL)
		return -1;
	f->qf_col = col;
	f->qf_op = QO_EQ;
	q->q_nfilters++;
	return 0;
}

/* ---- select, order, limit ---- */

/*
 * The casts select= may ask for, by every name we take for them, and the
 * SQL each becomes: the statement gets this table's string, never the
 * client's text.
 */
static const struct {
	const char *ct_name;
	const char *ct_sql;
} cast_types[] = {
    {"text", "text"},
    {"integer", "integer"},
    {"int", "integer"},
    {"int4", "integer"},
    {"bigint", "bigint"},
    {"int8", "bigint"},
    {"smallint", "smallint"},
    {"int2", "smallint"},
    {"numeric", "numeric"},
    {"real", "real"},
    {"float4", "real"},
    {"double precision", "double precision"},
    {"float8", "double precision"},
    {"boolean", "boolean"},
    {"bool", "boolean"},
    {"date", "date"},
    {"timestamptz", "timestamptz"},
    {"timestamp", "timestamp"},
    {"time", "time"},
    {"uuid", "uuid"},
    {"json", "json"},
    {"jsonb", "jsonb"},
};

static const char *
cast_sql(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cast_types) / sizeof(cast_types[0]); i++)
		if (strcasecmp(name, cast_types[i].ct_name) == 0)
			return cast_types[i].ct_sql;
	return NULL;
}

void
query_item_free(struct q_item *it)
{
	sel_path_free(it->qi_path, it->qi_npath);
	free(it->qi_key);
	embed_free(it->qi_embed);
	memset(it, 0, sizeof(*it));
}

/* Copies a parsed JSON path. */
static int
path_copy(const struct sel_step *src, size_t n, struct sel_step **out)
{
	struct sel_step *p;
	size_t i;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((p = calloc(n, sizeof(*p))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p[i].ss_text = src[i].ss_text;
		if ((p[i].ss_key = strdup(src[i].ss_key)) == NULL) {
			sel_path_free(p, i);
			return -1;
		}
	}
	*out = p;
	return 0;
}

/*
 * A JSON path applies to json and jsonb columns only; its keys are bound
 * values, counted against QUERY_MAX_VALUES (array indexes are not: they
 * reach SQL as checked integers).
 */
static int
path_check(const struct column *col, const struct sel_step *path, size_t n,
    struct query *q, struct q_error *err)
{
	size_t i;
	int idx;

	if (n == 0)
		return 0;
	if (col->co_kind != CK_JSON || col->co_array) {
		qerr_set(err, 400, "PN105",
		    "column \"%s\" (%s) is not json or jsonb: JSON paths (->, "
		    "->>) do not apply",
		    col->co_name,
		    col->co_type[0] != '\0' ? col->co_type
		                            : col_kind_name(col->co_kind));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!sel_step_index(path[i].ss_key, &idx) &&
		    ++q->q_nvalues > QUERY_MAX_VALUES) {
			qerr_set(err, 400, "PN105",
			    "more than %d filter values", QUERY_MAX_VALUES);
			return -1;
		}
	return 0;
}

/*
 * The output key of a field: its alias, else the last key of its path
 * (PostgREST's rule: meta->lead->>name is "name", arr->0 is "arr"), else
 * the column's name.  It becomes a quoted identifier (AS "key"), which
 * PostgreSQL would cut to 63 bytes: a longer one is refused.
 */
static int
field_key(const struct sel_node *nd, const struct column *col,
    struct q_item *it, struct q_error *err)
{
	const char *k = col->co_name;
	size_t i;
	int idx;

	if (nd->sn_alias != NULL)
		k = nd->sn_alias;
	else
		for (i = nd->sn_npath; i > 0; i--)
			if (!sel_step_index(nd->sn_path[i - 1].ss_key, &idx)) {
				k = nd->sn_path[i - 1].ss_key;
				break;
			}
	if (strlen(k) >= CATALOG_NAME_MAX) {
		char qs[QERR_QUOTE_MAX + 4];

		qerr_set(err, 400, "PN105",
		    "select: the key \"%s\" is longer than %d bytes; give the "
		    "item an alias (x:%s)",
		    qerr_quote(qs, k), CATALOG_NAME_MAX - 1, col->co_name);
		return -1;
	}
	if ((it->qi_key = strdup(k)) == NULL) {
		qerr_nomem(err);
		return -1;
	}
	return 0;
}

/* A field node into it (zeroed). */
static int
field_resolve(const struct table *t, const struct sel_node *nd, struct query *q,
    struct q_item *it, struct q_error *err)
{
	char qs[QERR_QUOTE_MAX + 4];
	const struct column *col;

	if ((col = table_column(t, nd->sn_name)) == NULL) {
		qerr_set(err, 400, "PN107", "column \"%s\" does not exist",
		    qerr_quote(qs, nd->sn_name));
		return -1;
	}
	it->qi_kind = SEL_FIELD;
	it->qi_col = col;
	if (nd->sn_cast != NULL &&
	    (it->qi_cast = cast_sql(nd->sn_cast)) == NULL) {
		qerr_set(err, 400, "PN105",
		    "select: cannot cast to \"%s\" (text, integer, bigint, "
		    "smallint, numeric, real, double precision, boolean, date, "
		    "timestamptz, timestamp, time, uuid, json, jsonb)",
		    qerr_quote(qs, nd->sn_cast));
		return -1;
	}
	if (path_check(col, nd->sn_path, nd->sn_npath, q, err) == -1)
		return -1;
	if (path_copy(nd->sn_path, nd->sn_npath, &it->qi_path) == -1) {
		qerr_nomem(err);
		return -1;
	}
	it->qi_npath = nd->sn_npath;
	return field_key(nd, col, it, err);
}

/*
 * select=: the parsed items resolved against t.  A second "*" adds
 * nothing; an item whose key another item already has replaces that
 * item's value in its place (a JSON object holds a key once: this is what
 * a client's JSON parser makes of PostgREST's duplicate keys).
 */
static int
select_resolve(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nodes, size_t n, const struct http_param *params,
    size_t np, struct query *q, struct q_error *err)
{
	struct q_item it, *dup;
	size_t i, j;
	int star = 0, rv = -1, idx;

	if (n > 0 && (q->q_items = calloc(n, sizeof(*q->q_items))) == NULL) {
		qerr_nomem(err);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		memset(&it, 0, sizeof(it));
		switch (nodes[i].sn_kind) {
		case SEL_STAR:
			if (star++)
				continue;
			it.qi_kind = SEL_STAR;
			break;
		case SEL_FIELD:
			if (field_resolve(t, &nodes[i], q, &it, err) == -1) {
				query_item_free(&it);
				goto fail;
			}
			break;
		case SEL_EMBED:
			/* The parameters of an embed are its own: they go
			 * with it, by its key. */
			if (embed_resolve(ctx, t, &nodes[i], params, np, &it,
			        err) == -1)
				goto fail;
			break;
		}
		for (dup = NULL, j = 0; it.qi_key != NULL && j < q->q_nitems;
		     j++)
			if (q->q_items[j].qi_key != NULL &&
			    strcmp(q->q_items[j].qi_key, it.qi_key) == 0)
				dup = &q->q_items[j];
		if (dup != NULL) {
			/* Its path keys are no longer bound. */
			for (j = 0; j < dup->qi_npath; j++)
				if (!sel_step_index(
				        dup->qi_path[j].ss_key, &idx))
					q->q_nvalues--;
			query_item_free(dup);
			*dup = it;
		} else
			q->q_items[q->q_nitems++] = it;
	}
	/* "*" alone is the default: the statements stay the plain ones. */
	if (q->q_nitems == 1 && q->q_items[0].qi_kind == SEL_STAR) {
		free(q->q_items);
		q->q_items = NULL;
		q->q_nitems = 0;
	}
	rv = 0;
fail:
	return rv;
}

/* Splits s on ',' into a NUL-separated copy; returns it and the count. */
static char *
split_commas(const char *s, size_t *n)
{
	char *copy, *p;

	if ((copy = strdup(s)) == NULL)
		return NULL;
	*n = 1;
	for (p = copy; *p != '\0'; p++)
		if (*p == ',') {
			*p = '\0';
			(*n)++;
		}
	return copy;
}

/*
 * The column (with an optional JSON path) of order item s into o; *mod is
 * what follows its '.' (asc, desc, ...), or NULL.  An exact column name
 * wins over the grammar, as for filters.
 */
static int
order_term(const struct table *t, char *s, struct q_order *o, struct query *q,
    char **mod, struct q_error *err)
{
	char qs[QERR_QUOTE_MAX + 4], *cname, *dot;
	const char *end;

	*mod = NULL;
	if ((dot = strchr(s, '.')) != NULL)
		*dot = '\0';
	if ((o->qo_col = table_column(t, s)) != NULL) {
		if (dot != NULL)
			*mod = dot + 1;
		return 0;
	}
	if (dot != NULL)
		*dot = '.';
	if (sel_field_parse(
	        s, "order", &cname, &o->qo_path, &o->qo_npath, &end, err) == -1)
		return -1;
	if (*end != '\0' && *end != '.')
		o->qo_col = NULL;
	else
		o->qo_col = table_column(t, cname);
	if (o->qo_col == NULL) {
		qerr_set(err, 400, "PN107", "column \"%s\" does not exist",
		    qerr_quote(qs, *end == '\0' || *end == '.' ? cname : s));
		free(cname);
		return -1;
	}
	free(cname);
	if (*end == '.')
		*mod = s + (end - s) + 1;
	return path_check(o->qo_col, o->qo_path, o->qo_npath, q, err);
}

static int
order_parse(
    const struct table *t, const char *s, struct query *q, struct q_error *err)
{
	struct q_order *o;
	char *copy = NULL, *item, *mod, *next, qs[QERR_QUOTE_MAX + 4];
	size_t n = 0, i;
	int stage;

	if ((copy = split_commas(s, &n)) == NULL)
		goto nomem;
	if (n > QUERY_MAX_ORDER) {
		qerr_set(err, 400, "PN105", "order has more than %d items",
		    QUERY_MAX_ORDER);
		goto fail;
	}
	if ((q->q_order = calloc(n, sizeof(*q->q_order))) == NULL)
		goto nomem;
	for (i = 0, item = copy; i < n; i++, item = next) {
		next = item + strlen(item) + 1;
		o = &q->q_order[q->q_norder];
		if (*item == '\0' || *item == '.') {
			qerr_set(err, 400, "PN105",
			    "order has an empty column name");
			goto fail;
		}
		if (order_term(t, item, o, q, &mod, err) == -1)
			goto fail;
		/* json has no ordering; a path ending in ->> is text, one in
		 * -> keeps the column's type. */
		if (o->qo_col->co_kind == CK_JSON &&
		    strcmp(o->qo_col->co_typname, "json") == 0 &&
		    (o->qo_npath == 0 ||
		        !o->qo_path[o->qo_npath - 1].ss_text)) {
			qerr_set(err, 400, "PN105",
			    "column \"%s\" is of type json, which has no order",
			    o->qo_col->co_name);
			goto fail;
		}
		/* Modifiers: asc|desc, then nullsfirst|nullslast, each
		 * optional, in that order. */
		for (stage = 0; mod != NULL; stage++) {
			char *word = mod;

			if ((mod = strchr(word, '.')) != NULL)
				*mod++ = '\0';
			if (stage == 0 && strcmp(word, "asc") == 0)
				continue;
			if (stage == 0 && strcmp(word, "desc") == 0) {
				o->qo_desc = 1;
				continue;
			}
			if (stage <= 1 && strcmp(word, "nullsfirst") == 0) {
				o->qo_nulls = 1;
				stage = 1;
				continue;
			}
			if (stage <= 1 && strcmp(word, "nullslast") == 0) {
				o->qo_nulls = 2;
				stage = 1;
				continue;
			}
			qerr_set(err, 400, "PN105",
			    "order for column \"%s\": unexpected \"%s\" (use "
			    "asc|desc then nullsfirst|nullslast)",
			    o->qo_col->co_name, qerr_quote(qs, word));
			goto fail;
		}
		q->q_norder++;
	}
	free(copy);
	return 0;
nomem:
	qerr_nomem(err);
fail:
	/* The item being parsed is not counted yet: its path is freed
	 * here, the others' by query_free(). */
	if (q->q_order != NULL && q->q_norder < n) {
		o = &q->q_order[q->q_norder];
		sel_path_free(o->qo_path, o->qo_npath);
		o->qo_path = NULL;
		o->qo_npath = 0;
	}
	free(copy);
	return -1;
}

static int
count_parse(const char *name, const char *s, long *out, struct q_error *err)
{
	size_t n = strlen(s);

	if (n == 0 || n > COUNT_DIGITS_MAX || strspn(s, "0123456789") != n) {
		qerr_set(err, 400, "PN105", "%s must be a non-negative integer",
		    name);
		return -1;
	}
	/* Twelve digits fit a 64-bit long; we build for LP64 only. */
	*out = strtol(s, NULL, 10);
	return 0;
}

_Static_assert(sizeof(long) >= 8, "limit and offset need a 64-bit long");

/* ---- columns= ---- */

/*
 * columns=a,"b c" names the keys a bulk insert takes (postgrest-js always
 * sends it with an array body); names may be double-quoted.
 */
static int
columns_parse(const struct table *t, const char *value, struct query *out,
    struct q_error *err)
{
	char name[CATALOG_NAME_MAX + 1], qs[QERR_QUOTE_MAX + 4];
	const struct column *col, **nc;
	const char *p = value, *e;
	size_t len;

	for (;;) {
		if (*p == '"') {
			if ((e = strchr(p + 1, '"')) == NULL) {
				qerr_set(err, 400, "PN105",
				    "columns: unbalanced quote");
				return -1;
			}
			len = (size_t)(e - p - 1);
			p++;
			e++;
		} else {
			e = p + strcspn(p, ",");
			len = (size_t)(e - p);
		}
		if (len == 0 || len >= sizeof(name)) {
			qerr_set(err, 400, "PN105",
			    "columns: empty or overlong "
			    "name");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if ((col = table_column(t, name)) == NULL) {
			qerr_set(err, 400, "PN107",
			    "column \"%s\" does not exist",
			    qerr_quote(qs, name));
			return -1;
		}
		if (out->q_ncolumns >= t->tb_ncols) {
			qerr_set(
			    err, 400, "PN105", "columns: a column repeats");
			return -1;
		}
		if ((nc = reallocarray(out->q_columns, out->q_ncolumns + 1,
		         sizeof(*nc))) == NULL) {
			qerr_set(err, 500, "PN900", "out of memory");
			return -1;
		}
		out->q_columns = nc;
		out->q_columns[out->q_ncolumns++] = col;
		if (*e == '\0')
			break;
		if (*e != ',') {
			qerr_set(
			    err, 400, "PN105", "columns: expected a comma");
			return -1;
		}
		p = e + 1;
	}
	out->q_has_columns = 1;
	return 0;
}

/* ---- filter keys ---- */

/* The embed item of q keyed k (k ends at end, or at its NUL). */
static struct q_item *
embed_keyed(const struct query *q, const char *k, const char *end)
{
	size_t i, len = end != NULL ? (size_t)(end - k) : strlen(k);

	for (i = 0; i < q->q_nitems; i++)
		if (q->q_items[i].qi_kind == SEL_EMBED &&
		    strlen(q->q_items[i].qi_key) == len &&
		    memcmp(q->q_items[i].qi_key, k, len) == 0)
			return &q->q_items[i];
	return NULL;
}

/*
 * A parameter of an embedded resource (tasks.done=, tasks.order=, ..):
 * embed_resolve() has taken it into the embed its first part names; one
 * that names no embed of select= is a 400.
 */
static int
embed_param(const struct query *q, const char *name, struct q_error *err)
{
	char qs[QERR_QUOTE_MAX + 4];
	const char *dot = strchr(name, '.');

	if (dot != NULL && embed_keyed(q, name, dot) != NULL)
		return 0;
	qerr_set(err, 400, "PGRST100",
	    "\"%s\": the part before the dot names no embedded resource of "
	    "select=",
	    qerr_quote(qs, name));
	return -1;
}

/* rel=is.null / rel=not.is.null on an embed (PostgREST's top-level
 * filtering): 1 when name is an embed's key, 0 when not, -1 with *err. */
static int
embed_null_filter(struct query *q, const char *name, const char *value,
    int mode, struct q_error *err)
{
	struct q_item *it = embed_keyed(q, name, NULL);

	if (it == NULL)
		return 0;
	if (mode == QM_WRITE) {
		qerr_set(err, 400, "PGRST100",
		    "filters on embedded resources are not supported on "
		    "writes");
		return -1;
	}
	if (strcmp(value, "is.null") == 0)
		it->qi_embed->em_null = EMN_NULL;
	else if (strcmp(value, "not.is.null") == 0)
		it->qi_embed->em_null = EMN_NOT_NULL;
	else {
		qerr_set(err, 400, "PGRST100",
		    "an embedded resource is filtered with is.null or "
		    "not.is.null only");
		return -1;
	}
	return 1;
}

/* Bound values of q and its embeds, all levels. */
static size_t
values_all(const struct query *q)
{
	size_t i, n = q->q_nvalues;

	for (i = 0; i < q->q_nitems; i++)
		if (q->q_items[i].qi_kind == SEL_EMBED &&
		    q->q_items[i].qi_embed != NULL)
			n += values_all(&q->q_items[i].qi_embed->em_q) + 1;
	return n;
}

/*
 * A filter whose key is not a column's exact name: a column with a JSON
 * path (meta->>budget=eq.100), or an embedded resource's parameter.
 * Returns 0 when the filter was added, 1 when name is no column (the
 * caller's 400), 2 for an embedded resource's parameter, -1 with *err.
 */
static int
filter_key(const struct table *t, const char *name, const char *value,
    struct query *q, struct q_error *err)
{
	const struct column *col;
	struct sel_step *path;
	struct q_error perr;
	const char *end;
	char *cname;
	size_t npath;
	int rv;

	if (sel_field_parse(
	        name, "filter", &cname, &path, &npath, &end, &perr) == -1) {
		if (perr.qe_status == 400)
			return 1;
		*err = perr;
		return -1;
	}
	if (*end == '.' && npath == 0)
		rv = 2;
	else if (*end != '\0' || (col = table_column(t, cname)) == NULL)
		rv = 1;
	else if (filter_parse(col, path, npath, value, q, err) == -1) {
		/* filter_parse took the path. */
		free(cname);
		return -1;
	} else {
		free(cname);
		return 0;
	}
	free(cname);
	sel_path_free(path, npath);
	return rv;
}

/* ---- the whole query ---- */

/*
 * The select list comes first, from nodes (an embed's items) or from the
 * select= parameter, so that the other parameters can name its embeds.
 */
static int
parse_all(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nodes, size_t nnodes, int have_nodes,
    const struct http_param *params, size_t n, long default_limit,
    long max_limit, enum query_mode mode, struct query *out,
    struct q_error *err)
{
	const struct column *col;
	const char *name, *value, *sel = NULL;
	struct sel_node *parsed = NULL;
	char qs[QERR_QUOTE_MAX + 4];
	size_t i, j, nparsed = 0;
	int seen_order = 0, seen_limit = 0, seen_offset = 0;
	int *seen, logic, key, rv;
	long limit = default_limit;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	for (i = 0; i < n; i++) {
		if (strcmp(params[i].hp_name, "select") != 0)
			continue;
		if (sel != NULL || have_nodes) {
			qerr_set(err, 400, "PN105",
			    "select is given more than once");
			goto fail;
		}
		sel = params[i].hp_value != NULL ? params[i].hp_value : "";
	}
	if (sel != NULL) {
		if (sel_parse(sel, &parsed, &nparsed, err) == -1)
			goto fail;
		nodes = parsed;
		nnodes = nparsed;
	}
	rv = select_resolve(ctx, t, nodes, nnodes, params, n, out, err);
	sel_free(parsed, nparsed);
	if (rv == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		name = params[i].hp_name;
		value = params[i].hp_value != NULL ? params[i].hp_value : "";
		if (strcmp(name, "select") == 0)
			continue;
		if (strcmp(name, "columns") == 0) {
			if (mode != QM_WRITE || out->q_has_columns) {
				qerr_set(err, 400, "PN105",
				    "columns is only for writes, once");
				goto fail;
			}
			if (columns_parse(t, value, out, err) == -1)
				goto fail;
			continue;
		}
		if (strcmp(name, "order") == 0 || strcmp(name, "limit") == 0 ||
		    strcmp(name, "offset") == 0) {
			if (mode == QM_WRITE) {
				qerr_set(err, 400, "PN105",
				    "%s is not supported on writes", name);
				goto fail;
			}
			seen = strcmp(name, "order") == 0   ? &seen_order
			       : strcmp(name, "limit") == 0 ? &seen_limit
			                                    : &seen_offset;
			if ((*seen)++) {
				qerr_set(err, 400, "PN105",
				    "%s is given more than once", name);
				goto fail;
			}
			if (strcmp(name, "order") == 0) {
				if (order_parse(t, value, out, err) == -1)
					goto fail;
			} else if (strcmp(name, "limit") == 0) {
				if (count_parse(name, value, &limit, err) == -1)
					goto fail;
			} else if (count_parse(
			               name, value, &out->q_offset, err) == -1)
				goto fail;
			continue;
		}
		if ((logic = logic_name(name)) == 1) {
			if (logic_parse(t, name, value, out, err) == -1)
				goto fail;
			continue;
		}
		/* A column named exactly so, whatever its characters. */
		if ((col = table_column(t, name)) != NULL) {
			if (filter_parse(col, NULL, 0, value, out, err) == -1)
				goto fail;
			continue;
		}
		if ((key = embed_null_filter(out, name, value, mode, err)) != 0) {
			if (key == -1)
				goto fail;
			continue;
		}
		/* tasks.done=, tasks.order=, tasks.limit=, tasks.or=(..):
		 * the one place an embedded resource's parameter is
		 * recognised. */
		if (logic == -1 ||
		    (key = filter_key(t, name, value, out, err)) == 2) {
			if (embed_param(out, name, err) == -1)
				goto fail;
			continue;
		}
		if (key == -1)
			goto fail;
		if (key == 0)
			continue;
		for (j = 0; unsupported_params[j] != NULL; j++)
			if (strcmp(name, unsupported_params[j]) == 0)
				break;
		if (unsupported_params[j] != NULL)
			qerr_set(err, 400, "PN105",
			    "query parameter \"%s\" is not supported", name);
		else
			qerr_set(err, 400, "PN107",
			    "column \"%s\" does not exist",
			    qerr_quote(qs, name));
		goto fail;
	}
	if (mode == QM_READ) {
		if (max_limit > 0 && limit > max_limit)
			limit = max_limit;
		if (limit < 0)
			limit = 0;
		out->q_limit = limit;
		out->q_has_limit = 1;
	}
	/* Each level keeps its own bounds; the statement binds them all. */
	if ((ctx == NULL || ctx->ec_depth == 0) &&
	    values_all(out) > QUERY_MAX_VALUES) {
		qerr_set(err, 400, "PN105",
		    "the query binds more than %d values", QUERY_MAX_VALUES);
		goto fail;
	}
	return 0;
fail:
	query_free(out);
	return -1;
}

int
query_parse(const struct table *t, const struct http_param *params, size_t n,
    long default_limit, long max_limit, enum query_mode mode, struct query *out,
    struct q_error *err)
{
	return parse_all(NULL, t, NULL, 0, 0, params, n, default_limit,
	    max_limit, mode, out, err);
}

int
query_parse_embed(const struct embed_ctx *ctx, const struct table *t,
    const struct http_param *params, size_t n, long default_limit,
    long max_limit, enum query_mode mode, struct query *out,
    struct q_error *err)
{
	struct embed_ctx top;
	size_t count = 0;

	if (ctx == NULL)
		return query_parse(t, params, n, default_limit, max_limit,
		    mode, out, err);
	top = *ctx;
	top.ec_count = &count;
	top.ec_depth = 0;
	top.ec_write = mode == QM_WRITE;
	return parse_all(&top, t, NULL, 0, 0, params, n, default_limit,
	    max_limit, mode, out, err);
}

int
query_parse_items(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nodes, size_t nnodes,
    const struct http_param *params, size_t n, struct query *out,
    struct q_error *err)
{
	return parse_all(ctx, t, nodes, nnodes, 1, params, n, 0, 0, QM_READ,
	    out, err);
}

void
query_free(struct query *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->q_nfilters; i++)
		filter_free(&q->q_filters[i]);
	free(q->q_filters);
	for (i = 0; i < q->q_nitems; i++)
		query_item_free(&q->q_items[i]);
	free(q->q_items);
	for (i = 0; i < q->q_norder; i++)
		sel_path_free(q->q_order[i].qo_path, q->q_order[i].qo_npath);
	free(q->q_order);
	free(q->q_columns);
	memset(q, 0, sizeof(*q));
}
