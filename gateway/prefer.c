/*
 * Prefer and Accept of a data request (docs/data-api.md, "Prefer").
 * PostgREST splits every Prefer header on commas, strips white space and
 * compares each piece with its list of known preferences; with
 * handling=strict an unknown piece is 400 PGRST122.  Postern always
 * handles preferences strictly: a preference it does not honour would
 * otherwise be a silently wrong answer (a tx=rollback that commits).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "gateway/prefer.h"

#define PREF_TOKEN_MAX 64
#define ACCEPT_RANGES_MAX 32

/* A value preference: "key=value" sets *field to val. */
struct pref_def {
	const char *pd_token;
	size_t pd_off; /* offsetof the int-sized enum field */
	int pd_val;
};

#define PF(f) offsetof(struct prefer, f)

static const struct pref_def prefs[] = {
    {"return=minimal", PF(pf_return), PF_RETURN_MINIMAL},
    {"return=representation", PF(pf_return), PF_RETURN_REPR},
    {"count=exact", PF(pf_count), PF_COUNT_EXACT},
    {"count=planned", PF(pf_count), PF_COUNT_PLANNED},
    {"count=estimated", PF(pf_count), PF_COUNT_ESTIMATED},
    {"resolution=merge-duplicates", PF(pf_resolution), PF_RES_MERGE},
    {"resolution=ignore-duplicates", PF(pf_resolution), PF_RES_IGNORE},
    {"missing=default", PF(pf_missing), PF_MISSING_DEFAULT},
    {"missing=null", PF(pf_missing), PF_MISSING_NULL},
    {"tx=commit", PF(pf_tx), PF_TX_COMMIT},
    {"tx=rollback", PF(pf_tx), PF_TX_ROLLBACK},
    {"handling=strict", PF(pf_strict), 1},
};

static void
refuse(struct q_error *err, const char *details)
{
	err->qe_status = 400;
	x_strlcpy(err->qe_code, "PGRST122", sizeof(err->qe_code));
	x_strlcpy(err->qe_message,
	    "Invalid preferences given with handling=strict",
	    sizeof(err->qe_message));
	x_strlcpy(err->qe_details, details, sizeof(err->qe_details));
}

/* Appends tok to the "Invalid preferences: a, b" list in bad. */
static void
bad_add(char *bad, size_t cap, const char *tok, size_t len)
{
	size_t n = strlen(bad);

	if (n > 0 && n + 2 < cap) {
		memcpy(bad + n, ", ", 3);
		n += 2;
	}
	if (len > PREF_TOKEN_MAX)
		len = PREF_TOKEN_MAX;
	if (n + len + 1 < cap) {
		memcpy(bad + n, tok, len);
		bad[n + len] = '\0';
	}
}

/* "max-affected=N": N decimal, 0..PREFER_MAX_AFFECTED. -1 if not. */
static long long
max_affected(const char *tok, size_t len)
{
	static const char pre[] = "max-affected=";
	long long v = 0;
	size_t i;

	if (len <= sizeof(pre) - 1 || strncmp(tok, pre, sizeof(pre) - 1) != 0)
		return -2; /* not this preference */
	for (i = sizeof(pre) - 1; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]))
			return -1;
		v = v * 10 + (tok[i] - '0');
		if (v > PREFER_MAX_AFFECTED)
			return -1;
	}
	return v;
}

/*
 * One preference; 0 taken, 1 refused (named in bad), 2 conflicting with
 * an earlier one (named in conflict).
 */
static int
pref_one(struct prefer *p, const char *tok, size_t len, unsigned *seen,
    char *conflict, size_t ccap)
{
	size_t i;
	int *field;
	long long m;

	for (i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		if (strlen(prefs[i].pd_token) != len ||
		    memcmp(prefs[i].pd_token, tok, len) != 0)
			continue;
		field = (int *)(void *)((char *)p + prefs[i].pd_off);
		if (*field != 0 && *field != prefs[i].pd_val) {
			bad_add(conflict, ccap, tok, len);
			return 2;
		}
		*field = prefs[i].pd_val;
		return 0;
	}
	if ((m = max_affected(tok, len)) == -2)
		return 1;
	if (m == -1)
		return 1;
	if ((*seen & 1) && p->pf_max_affected != m) {
		bad_add(conflict, ccap, tok, len);
		return 2;
	}
	*seen |= 1;
	p->pf_max_affected = m;
	return 0;
}

int
prefer_parse(
    const char *const *vals, size_t n, struct prefer *p, struct q_error *err)
{
	char bad[sizeof(err->qe_details)], conflict[sizeof(err->qe_details)];
	char details[sizeof(err->qe_details)];
	const char *s, *e, *end;
	unsigned seen = 0;
	size_t i;
	int lenient = 0;

	memset(p, 0, sizeof(*p));
	p->pf_max_affected = -1;
	bad[0] = conflict[0] = '\0';
	for (i = 0; i < n; i++) {
		for (s = vals[i]; *s != '\0'; s = *end == ',' ? end + 1 : end) {
			end = strchr(s, ',');
			if (end == NULL)
				end = s + strlen(s);
			while (s < end && (*s == ' ' || *s == '\t'))
				s++;
			for (e = end; e > s && (e[-1] == ' ' || e[-1] == '\t');
			     e--)
				;
			if (e == s)
				continue; /* an empty list element */
			switch (pref_one(p, s, (size_t)(e - s), &seen, conflict,
			    sizeof(conflict))) {
			case 1:
				if ((size_t)(e - s) == 16 &&
				    memcmp(s, "handling=lenient", 16) == 0)
					lenient = 1;
				bad_add(bad, sizeof(bad), s, (size_t)(e - s));
				break;
			default:
				break;
			}
		}
	}
	if (bad[0] != '\0') {
		snprintf(details, sizeof(details), "Invalid preferences: %s%s",
		    bad,
		    lenient ? " (Postern handles every preference strictly: "
		              "one it does not honour is refused)"
		            : "");
		refuse(err, details);
		return -1;
	}
	if (conflict[0] != '\0') {
		snprintf(details, sizeof(details),
		    "Conflicting preferences: %s (another value was given "
		    "before)",
		    conflict);
		refuse(err, details);
		return -1;
	}
	return 0;
}

int
prefer_applied(const struct prefer *p, struct buf *out)
{
	static const char *const res[] = {NULL, "resolution=merge-duplicates",
	    "resolution=ignore-duplicates"};
	static const char *const mis[] = {
	    NULL, "missing=default", "missing=null"};
	static const char *const ret[] = {
	    NULL, "return=minimal", "return=representation"};
	static const char *const cnt[] = {
	    NULL, "count=exact", "count=planned", "count=estimated"};
	static const char *const tx[] = {NULL, "tx=commit", "tx=rollback"};
	const char *v[7];
	size_t i, nv = 0;
	int rv = 0;

	if ((v[nv] = res[p->pf_resolution]) != NULL)
		nv++;
	if ((v[nv] = mis[p->pf_missing]) != NULL)
		nv++;
	if ((v[nv] = ret[p->pf_return]) != NULL)
		nv++;
	if ((v[nv] = cnt[p->pf_count]) != NULL)
		nv++;
	if ((v[nv] = tx[p->pf_tx]) != NULL)
		nv++;
	if (p->pf_strict)
		v[nv++] = "handling=strict";
	for (i = 0; i < nv; i++)
		if ((i > 0 && buf_addstr(out, ", ") == -1) ||
		    buf_addstr(out, v[i]) == -1)
			rv = -1;
	/* PostgREST names max-affected only under handling=strict. */
	if (p->pf_max_affected >= 0 && p->pf_strict &&
	    buf_printf(out, "%smax-affected=%lld", nv > 0 ? ", " : "",
	        p->pf_max_affected) == -1)
		rv = -1;
	return rv;
}

/* Case-insensitive equality of [s, s+n) with z. */
static int
span_is(const char *s, size_t n, const char *z)
{
	return strlen(z) == n && strncasecmp(s, z, n) == 0;
}

/* The first c in [s, end), or NULL. */
static const char *
span_chr(const char *s, const char *end, char c)
{
	for (; s < end; s++)
		if (*s == c)
			return s;
	return NULL;
}

static const char *
skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* q=0.x as thousandths; 1000 when absent or malformed-but-positive. */
static int
qvalue(const char *s, size_t n)
{
	int q = 0, scale = 1000;
	size_t i = 0;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return 1000;
	q = (s[0] - '0') * 1000;
	if (n > 1 && s[1] == '.')
		for (i = 2; i < n && i < 5 && isdigit((unsigned char)s[i]);
		     i++) {
			scale /= 10;
			q += (s[i] - '0') * scale;
		}
	return q > 1000 ? 1000 : q;
}

int
accept_parse(
    const char *accept, enum media *m, int *strip_nulls, struct q_error *err)
{
	const char *s, *end, *semi, *te, *ps, *pe;
	int best_q = -1, plan = 0, q, strip, nranges = 0;
	enum media best = MEDIA_JSON, cur;
	int best_strip = 0, ok;

	*m = MEDIA_JSON;
	*strip_nulls = 0;
	if (accept == NULL || *accept == '\0')
		return 0;
	for (s = accept; *s != '\0' && nranges < ACCEPT_RANGES_MAX;
	     s = *end == ',' ? end + 1 : end, nranges++) {
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		s = skip_ws(s, end);
		semi = span_chr(s, end, ';');
		te = semi != NULL ? semi : end;
		while (te > s && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		if (te == s)
			continue;
		q = 1000;
		strip = 0;
		/* Parameters: q, and nulls=stripped; others (charset) pass. */
		for (ps = semi; ps != NULL && ps < end; ps = pe) {
			ps = skip_ws(ps + 1, end);
			pe = span_chr(ps, end, ';');
			if (pe == NULL)
				pe = end;
			te = pe;
			while (te > ps && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if ((size_t)(te - ps) >= 2 &&
			    strncasecmp(ps, "q=", 2) == 0)
				q = qvalue(ps + 2, (size_t)(te - ps - 2));
			else if (span_is(
			             ps, (size_t)(te - ps), "nulls=stripped"))
				strip = 1;
			if (pe == end)
				break;
		}
		te = semi != NULL ? semi : end;
		while (te > s && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		ok = 1;
		if (span_is(s, (size_t)(te - s), "application/json") ||
		    span_is(s, (size_t)(te - s), "*/*") ||
		    span_is(s, (size_t)(te - s), "application/*"))
			cur = MEDIA_JSON, strip = 0;
		else if (span_is(s, (size_t)(te - s),
		             "application/vnd.pgrst.object+json") ||
		         span_is(s, (size_t)(te - s),
		             "application/vnd.pgrst.object"))
			cur = MEDIA_OBJECT;
		else if (span_is(s, (size_t)(te - s),
		             "application/vnd.pgrst.array+json") ||
		         span_is(s, (size_t)(te - s),
		             "application/vnd.pgrst.array"))
			cur = MEDIA_ARRAY;
		else if (span_is(s, (size_t)(te - s), "text/csv"))
			cur = MEDIA_CSV, strip = 0;
		else {
			if ((size_t)(te - s) >= 26 &&
			    strncasecmp(s, "application/vnd.pgrst.plan", 26) ==
			        0)
				plan = 1;
			ok = 0;
			cur = MEDIA_JSON;
		}
		if (ok && q > 0 && q > best_q) {
			best_q = q;
			best = cur;
			best_strip = strip;
		}
	}
	if (best_q < 0) {
		err->qe_status = 406;
		x_strlcpy(err->qe_code, "PGRST107", sizeof(err->qe_code));
		if (plan)
			x_strlcpy(err->qe_message,
			    "explain plans (application/vnd.pgrst.plan) are "
			    "not enabled",
			    sizeof(err->qe_message));
		else
			snprintf(err->qe_message, sizeof(err->qe_message),
			    "None of these media types are available: %.160s",
			    accept);
		x_strlcpy(err->qe_details,
		    "available: application/json, "
		    "application/vnd.pgrst.object+json, "
		    "application/vnd.pgrst.array+json (both with "
		    ";nulls=stripped), text/csv",
		    sizeof(err->qe_details));
		return -1;
	}
	*m = best;
	*strip_nulls = best_strip;
	return 0;
}
