/*
 * The select= grammar (select.h), a recursive descent over the string
 * with every level, node, path and name bounded.  Only syntax: whether a
 * name is a column, a relation or an allowed type is query.c's question.
 * The rules follow PostgREST's parser: an unquoted name is letters,
 * digits, '_', '$', blanks and '-' (not before '>'), trimmed; a JSON key
 * is anything but ( - : . , > ) (again '-' unless before '>'), trimmed;
 * an array index is [-]digits ending where a key would; a type after "::"
 * is letters, digits, '_', '$' and blanks.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "gateway/select.h"

/* Digits of an array index: anything longer is not an int. */
#define SEL_INDEX_DIGITS 9

struct sel_parser {
	const char *sp_src;  /* the whole value, for messages */
	const char *sp_what; /* "select parameter", "filter", "order" */
	const char *sp_p;
	size_t sp_nodes;
	struct q_error *sp_err;
};

/* A parse error at p: 400 PGRST100, as PostgREST's. */
static int
perr(struct sel_parser *sp, const char *p, const char *why)
{
	char qs[QERR_QUOTE_MAX + 4];

	qerr_set(sp->sp_err, 400, "PGRST100", "failed to parse %s (%s)",
	    sp->sp_what, qerr_quote(qs, sp->sp_src));
	snprintf(sp->sp_err->qe_details, sizeof(sp->sp_err->qe_details),
	    "at byte %zu: %s", (size_t)(p - sp->sp_src), why);
	return -1;
}

static void
skip_ws(struct sel_parser *sp)
{
	while (*sp->sp_p == ' ' || *sp->sp_p == '\t')
		sp->sp_p++;
}

/* Characters of an unquoted name. */
static int
name_char(const char *p)
{
	unsigned char c = (unsigned char)*p;

	if (c == '-')
		return p[1] != '>';
	return isalnum(c) || c == '_' || c == '$' || c == ' ' || c >= 0x80;
}

/* Characters of an unquoted JSON key. */
static int
key_char(const char *p)
{
	unsigned char c = (unsigned char)*p;

	if (c == '-')
		return p[1] != '>';
	return c >= 0x20 && c != 0x7f && strchr("(:.,>)", c) == NULL;
}

/* Characters of a type after "::". */
static int
type_char(const char *p)
{
	unsigned char c = (unsigned char)*p;

	return isalnum(c) || c == '_' || c == '$' || c == ' ' || c >= 0x80;
}

/*
 * A name, key or type at sp_p: double-quoted (not for types), or a run
 * of ok() characters with blanks trimmed.  *out is owned by the caller;
 * *quoted says which form it was.  At most max bytes.
 */
static int
word(struct sel_parser *sp, int (*ok)(const char *), int allow_quote,
    size_t max, const char *what, char **out, int *quoted)
{
	const char *p = sp->sp_p, *s, *e;
	char *w;
	size_t n = 0;

	*out = NULL;
	if (quoted != NULL)
		*quoted = 0;
	if (allow_quote && *p == '"') {
		/* Measure, then copy with the escapes undone. */
		for (e = p + 1; *e != '"'; e++) {
			if (*e == '\\' && e[1] != '\0')
				e++;
			if (*e == '\0')
				return perr(sp, p, "unterminated quoted name");
			n++;
		}
		if (n == 0)
			return perr(sp, p, "empty quoted name");
		if (n > max)
			goto toolong;
		if ((w = malloc(n + 1)) == NULL)
			goto nomem;
		for (n = 0, s = p + 1; s < e; s++) {
			if (*s == '\\')
				s++;
			w[n++] = *s;
		}
		w[n] = '\0';
		sp->sp_p = e + 1;
		if (quoted != NULL)
			*quoted = 1;
		*out = w;
		return 0;
	}
	/* A '-' joins two parts of a name; it does not start one. */
	for (e = p; *e != '\0' && ok(e) && (e > p || *e != '-'); e++)
		;
	sp->sp_p = e;
	for (s = p; s < e && *s == ' '; s++)
		;
	while (e > s && e[-1] == ' ')
		e--;
	if (s == e) {
		char why[64];

		snprintf(why, sizeof(why), "expected %s", what);
		return perr(sp, p, why);
	}
	n = (size_t)(e - s);
	if (n > max)
		goto toolong;
	if ((w = malloc(n + 1)) == NULL)
		goto nomem;
	memcpy(w, s, n);
	w[n] = '\0';
	*out = w;
	return 0;
toolong:
	qerr_set(sp->sp_err, 400, "PN105", "%s: %s longer than %zu bytes",
	    sp->sp_what, what, max);
	return -1;
nomem:
	qerr_nomem(sp->sp_err);
	return -1;
}

static int
name(struct sel_parser *sp, char **out, int *quoted)
{
	return word(
	    sp, name_char, 1, CATALOG_NAME_MAX - 1, "a name", out, quoted);
}

int
sel_step_index(const char *k, int *idx)
{
	const char *d = *k == '-' ? k + 1 : k;
	size_t n = strlen(d);

	if (n == 0 || n > SEL_INDEX_DIGITS || strspn(d, "0123456789") != n)
		return 0;
	*idx = (int)strtol(k, NULL, 10);
	return 1;
}

/* Where an array index may end: before "->", "::", '.', ',', ')', the end. */
static int
index_end(const char *p)
{
	return *p == '\0' || *p == '.' || *p == ',' || *p == ')' || *p == ' ' ||
	       strncmp(p, "->", 2) == 0 || strncmp(p, "::", 2) == 0;
}

void
sel_path_free(struct sel_step *path, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(path[i].ss_key);
	free(path);
}

/* The "->key" / "->>key" steps at sp_p, into *path. */
static int
path_parse(struct sel_parser *sp, struct sel_step **path, size_t *npath)
{
	struct sel_step *st;
	const char *p, *d;
	size_t n;

	while (strncmp(sp->sp_p, "->", 2) == 0) {
		if (*npath == SEL_PATH_MAX) {
			qerr_set(sp->sp_err, 400, "PN105",
			    "%s: a JSON path has more than %d steps",
			    sp->sp_what, SEL_PATH_MAX);
			return -1;
		}
		if (*npath == 0 || (*npath & (*npath - 1)) == 0) {
			if ((st = reallocarray(*path,
			         *npath == 0 ? 2 : *npath * 2, sizeof(*st))) ==
			    NULL) {
				qerr_nomem(sp->sp_err);
				return -1;
			}
			*path = st;
		}
		st = &(*path)[*npath];
		memset(st, 0, sizeof(*st));
		sp->sp_p += 2;
		if (*sp->sp_p == '>') {
			st->ss_text = 1;
			sp->sp_p++;
		}
		p = sp->sp_p;
		d = *p == '-' ? p + 1 : p;
		n = strspn(d, "0123456789");
		if (n > 0 && index_end(d + n)) {
			if (n > SEL_INDEX_DIGITS)
				return perr(sp, p, "array index out of range");
			n += (size_t)(d - p);
			if ((st->ss_key = malloc(n + 1)) == NULL) {
				qerr_nomem(sp->sp_err);
				return -1;
			}
			memcpy(st->ss_key, p, n);
			st->ss_key[n] = '\0';
			sp->sp_p = p + n;
		} else if (word(sp, key_char, 1, SEL_KEY_MAX, "a JSON key",
		               &st->ss_key, NULL) == -1)
			return -1;
		(*npath)++;
	}
	return 0;
}

static int forest(struct sel_parser *, int, struct sel_node **, size_t *);

/* Refusal of a PostgREST form we do not implement. */
static int
unsupported(struct sel_parser *sp, const char *what)
{
	qerr_set(
	    sp->sp_err, 400, "PN105", "%s are not supported in select", what);
	return -1;
}

/* "!hint", "!inner", "!left" (at most two), then "(items)". */
static int
embed_parse(struct sel_parser *sp, int depth, struct sel_node *nd)
{
	char *w;
	int quoted, i, joins = 0;

	nd->sn_kind = SEL_EMBED;
	for (i = 0; *sp->sp_p == '!'; i++) {
		if (i == 2)
			return perr(
			    sp, sp->sp_p, "at most two !hint/!inner parts");
		sp->sp_p++;
		if (name(sp, &w, &quoted) == -1)
			return -1;
		if (!quoted &&
		    (strcmp(w, "inner") == 0 || strcmp(w, "left") == 0)) {
			if (joins++) {
				free(w);
				return perr(sp, sp->sp_p, "two join types");
			}
			if (w[0] == 'i')
				nd->sn_inner = 1;
			else
				nd->sn_left = 1;
			free(w);
		} else if (nd->sn_hint != NULL) {
			free(w);
			return perr(sp, sp->sp_p, "two hints");
		} else
			nd->sn_hint = w;
	}
	if (*sp->sp_p != '(')
		return perr(sp, sp->sp_p, "expected \"(\" after the hint");
	sp->sp_p++;
	if (forest(sp, depth + 1, &nd->sn_kids, &nd->sn_nkids) == -1)
		return -1;
	if (*sp->sp_p != ')')
		return perr(sp, sp->sp_p, "expected \")\"");
	sp->sp_p++;
	return 0;
}

/* One item at sp_p into nd (zeroed). */
static int
item(struct sel_parser *sp, int depth, struct sel_node *nd)
{
	const char *p;
	char *w;
	int quoted;

	if (++sp->sp_nodes > SEL_NODES_MAX) {
		qerr_set(sp->sp_err, 400, "PN105",
		    "select has more than %d items", SEL_NODES_MAX);
		return -1;
	}
	skip_ws(sp);
	p = sp->sp_p;
	if (strncmp(p, "...", 3) == 0)
		return unsupported(sp, "spread embeddings (...rel(..))");
	if (*p == '*') {
		nd->sn_kind = SEL_STAR;
		sp->sp_p++;
		return 0;
	}
	if (name(sp, &w, &quoted) == -1)
		return -1;
	if (*sp->sp_p == ':' && sp->sp_p[1] != ':') {
		nd->sn_alias = w;
		sp->sp_p++;
		skip_ws(sp);
		if (name(sp, &w, &quoted) == -1)
			return -1;
	}
	nd->sn_name = w;
	if (!quoted && strcmp(w, "count") == 0 &&
	    strncmp(sp->sp_p, "()", 2) == 0)
		return unsupported(sp, "aggregate functions (count())");
	if (*sp->sp_p == '!' || *sp->sp_p == '(')
		return embed_parse(sp, depth, nd);
	nd->sn_kind = SEL_FIELD;
	if (path_parse(sp, &nd->sn_path, &nd->sn_npath) == -1)
		return -1;
	if (strncmp(sp->sp_p, "::", 2) == 0) {
		sp->sp_p += 2;
		if (word(sp, type_char, 0, CATALOG_NAME_MAX - 1, "a type",
		        &nd->sn_cast, NULL) == -1)
			return -1;
	}
	if (*sp->sp_p == '.')
		return unsupported(sp, "aggregate functions (a.sum())");
	if (*sp->sp_p == '(' || *sp->sp_p == '!')
		return perr(sp, sp->sp_p,
		    "only a name can be embedded, not a JSON path or cast");
	return 0;
}

/*
 * Items separated by ',' up to the end of the string (depth 1) or the
 * ')' of an embed, which is left for the caller.  An empty list is
 * allowed at both: all columns at the top, none in an embed.
 */
static int
forest(struct sel_parser *sp, int depth, struct sel_node **out, size_t *n)
{
	struct sel_node *nodes = NULL, *nn;
	size_t cnt = 0;
	char close = depth == 1 ? '\0' : ')';

	*out = NULL;
	*n = 0;
	if (depth > SEL_DEPTH_MAX) {
		qerr_set(sp->sp_err, 400, "PN105",
		    "select nests embeddings deeper than %d levels",
		    SEL_DEPTH_MAX);
		return -1;
	}
	skip_ws(sp);
	if (*sp->sp_p == close)
		return 0;
	for (;;) {
		/* Grow by doubling: the count is a power of two when full. */
		if (cnt == 0 || (cnt & (cnt - 1)) == 0) {
			if ((nn = reallocarray(nodes, cnt == 0 ? 2 : cnt * 2,
			         sizeof(*nn))) == NULL) {
				qerr_nomem(sp->sp_err);
				goto fail;
			}
			nodes = nn;
		}
		memset(&nodes[cnt], 0, sizeof(nodes[cnt]));
		cnt++;
		if (item(sp, depth, &nodes[cnt - 1]) == -1)
			goto fail;
		skip_ws(sp);
		if (*sp->sp_p == ',') {
			sp->sp_p++;
			continue;
		}
		if (*sp->sp_p == close)
			break;
		perr(sp, sp->sp_p,
		    *sp->sp_p == ')' ? "unbalanced \")\""
		    : close == ')'   ? "expected \",\" or \")\""
		                     : "expected \",\" or the end");
		goto fail;
	}
	*out = nodes;
	*n = cnt;
	return 0;
fail:
	sel_free(nodes, cnt);
	return -1;
}

int
sel_parse(const char *s, struct sel_node **out, size_t *n, struct q_error *err)
{
	struct sel_parser sp;
	size_t len = strlen(s);

	*out = NULL;
	*n = 0;
	memset(err, 0, sizeof(*err));
	if (len > SEL_TEXT_MAX) {
		qerr_set(err, 400, "PN105", "select is longer than %d bytes",
		    SEL_TEXT_MAX);
		return -1;
	}
	if (utf8_check(s, len, NULL) == -1) {
		qerr_set(err, 400, "PN105", "select is not valid UTF-8");
		return -1;
	}
	sp.sp_src = s;
	sp.sp_what = "select parameter";
	sp.sp_p = s;
	sp.sp_nodes = 0;
	sp.sp_err = err;
	return forest(&sp, 1, out, n);
}

int
sel_field_parse(const char *s, const char *what, char **namep,
    struct sel_step **path, size_t *npath, const char **end,
    struct q_error *err)
{
	struct sel_parser sp;

	*namep = NULL;
	*path = NULL;
	*npath = 0;
	sp.sp_src = s;
	sp.sp_what = what;
	sp.sp_p = s;
	sp.sp_nodes = 0;
	sp.sp_err = err;
	if (utf8_check(s, strlen(s), NULL) == -1) {
		qerr_set(err, 400, "PN105", "%s is not valid UTF-8", what);
		return -1;
	}
	if (name(&sp, namep, NULL) == -1 ||
	    path_parse(&sp, path, npath) == -1) {
		free(*namep);
		sel_path_free(*path, *npath);
		*namep = NULL;
		*path = NULL;
		*npath = 0;
		return -1;
	}
	*end = sp.sp_p;
	return 0;
}

static void
node_free(struct sel_node *nd)
{
	free(nd->sn_alias);
	free(nd->sn_name);
	sel_path_free(nd->sn_path, nd->sn_npath);
	free(nd->sn_cast);
	free(nd->sn_hint);
	sel_free(nd->sn_kids, nd->sn_nkids);
}

void
sel_free(struct sel_node *nodes, size_t n)
{
	size_t i;

	if (nodes == NULL)
		return;
	for (i = 0; i < n; i++)
		node_free(&nodes[i]);
	free(nodes);
}
