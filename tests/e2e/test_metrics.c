/*
 * GET /metrics (docs/deploy.md, "Operating") on the fixture's gateway, after
 * traffic of the test's own: the body must follow Prometheus' text format
 * 0.0.4 to the letter, checked line by line with a strict grammar:
 *
 *   - "# HELP name text" and "# TYPE name type", at most once per family
 *     and before its samples; other "#" lines are comments;
 *   - samples: a metric name [a-zA-Z_:][a-zA-Z0-9_:]*, an optional label
 *     set {name="value",...} with label names [a-zA-Z_][a-zA-Z0-9_]*, no
 *     duplicate names, and values that only use the escapes \\ \" \n;
 *     then one space and a float (or +Inf, -Inf, NaN), nothing after;
 *   - every sample belongs to a family that has a TYPE (a histogram's
 *     _bucket, _sum and _count to their histogram), and a family's samples
 *     are contiguous;
 *   - histograms: each series' buckets have strictly increasing "le",
 *     non-decreasing counts, end with le="+Inf", whose count equals
 *     _count.
 *
 * Other tests run against the same gateway at the same time, so counters
 * are checked for what this test did at least, never for exact values.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define MAX_FAMILIES 64
#define MAX_LABELS 8
#define NAME_MAX_LEN 128
#define VALUE_MAX_LEN 512

TestSuite(metrics, .init = e2e_setup, .fini = e2e_teardown, .timeout = 60);

struct label {
	char l_name[NAME_MAX_LEN];
	char l_value[VALUE_MAX_LEN]; /* unescaped */
};

struct sample {
	char s_name[NAME_MAX_LEN];
	struct label s_labels[MAX_LABELS];
	int s_nlabels;
	double s_value;
};

struct family {
	char f_name[NAME_MAX_LEN];
	char f_type[16];
	int f_help;
	int f_closed; /* samples seen, then another family's */
};

/* One histogram series being checked: its labels other than "le". */
struct hseries {
	char h_family[NAME_MAX_LEN];
	char h_key[1024];
	double h_last_le;
	double h_last_count;
	double h_inf;
	int h_nbuckets;
	int h_has_inf;
	int h_has_count;
	double h_count;
};

struct scrape {
	struct family sc_fam[MAX_FAMILIES];
	int sc_nfam;
	int sc_current; /* family of the last sample, or -1 */
	struct hseries sc_hist[64];
	int sc_nhist;
	struct sample *sc_samples;
	size_t sc_nsamples;
};

static int
is_name_start(int c, int colon)
{
	return isalpha(c) || c == '_' || (colon && c == ':');
}

static int
is_name_char(int c, int colon)
{
	return isalnum(c) || c == '_' || (colon && c == ':');
}

/* Reads a name at *p; returns its length, 0 if none. */
static size_t
scan_name(const char *p, int colon, char *out, size_t cap)
{
	size_t n = 0;

	if (!is_name_start((unsigned char)p[0], colon))
		return 0;
	while (is_name_char((unsigned char)p[n], colon))
		n++;
	cr_assert(n < cap, "name too long: %.40s", p);
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

/* The Prometheus float syntax, strictly: Go's ParseFloat forms. */
static int
parse_value(const char *p, double *v)
{
	char *end;

	if (strcmp(p, "+Inf") == 0) {
		*v = INFINITY;
		return 0;
	}
	if (strcmp(p, "-Inf") == 0) {
		*v = -INFINITY;
		return 0;
	}
	if (strcmp(p, "NaN") == 0) {
		*v = NAN;
		return 0;
	}
	if (p[0] == '\0' || isspace((unsigned char)p[0]) ||
	    strpbrk(p, "xXpPiInN") != NULL)
		return -1;
	*v = strtod(p, &end);
	return *end == '\0' ? 0 : -1;
}

static void
parse_sample(const char *line, int lineno, struct sample *s)
{
	const char *p = line;
	size_t n, vn;
	int i;

	memset(s, 0, sizeof(*s));
	n = scan_name(p, 1, s->s_name, sizeof(s->s_name));
	cr_assert(n > 0, "line %d: bad metric name: %s", lineno, line);
	p += n;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			struct label *l;

			cr_assert(s->s_nlabels < MAX_LABELS, "line %d", lineno);
			l = &s->s_labels[s->s_nlabels];
			n = scan_name(p, 0, l->l_name, sizeof(l->l_name));
			cr_assert(
			    n > 0, "line %d: bad label name: %s", lineno, line);
			cr_assert(strncmp(l->l_name, "__", 2) != 0,
			    "line %d: reserved label name", lineno);
			for (i = 0; i < s->s_nlabels; i++)
				cr_assert(strcmp(s->s_labels[i].l_name,
				              l->l_name) != 0,
				    "line %d: duplicate label %s", lineno,
				    l->l_name);
			p += n;
			cr_assert(p[0] == '=' && p[1] == '"',
			    "line %d: expected =\" after a label name: %s",
			    lineno, line);
			p += 2;
			vn = 0;
			while (*p != '"') {
				char c = *p;

				cr_assert(c != '\0' && c != '\n',
				    "line %d: unterminated label value",
				    lineno);
				if (c == '\\') {
					p++;
					cr_assert(*p == '\\' || *p == '"' ||
					              *p == 'n',
					    "line %d: bad escape \\%c", lineno,
					    *p);
					c = *p == 'n' ? '\n' : *p;
				}
				cr_assert(vn + 1 < sizeof(l->l_value));
				l->l_value[vn++] = c;
				p++;
			}
			l->l_value[vn] = '\0';
			p++;
			s->s_nlabels++;
			if (*p == ',') {
				p++;
				cr_assert(*p != '}',
				    "line %d: trailing comma in labels",
				    lineno);
			} else
				cr_assert(*p == '}',
				    "line %d: expected , or } in labels: %s",
				    lineno, line);
		}
		p++;
	}
	cr_assert(*p == ' ' && p[1] != ' ',
	    "line %d: expected one space before the value: %s", lineno, line);
	p++;
	/* No timestamps from us: the value is all that follows. */
	cr_assert(parse_value(p, &s->s_value) == 0, "line %d: bad value: %s",
	    lineno, line);
}

static struct family *
find_family(struct scrape *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->sc_nfam; i++)
		if (strcmp(sc->sc_fam[i].f_name, name) == 0)
			return &sc->sc_fam[i];
	return NULL;
}

static struct family *
add_family(struct scrape *sc, const char *name)
{
	struct family *f;

	if ((f = find_family(sc, name)) != NULL)
		return f;
	cr_assert(sc->sc_nfam < MAX_FAMILIES);
	f = &sc->sc_fam[sc->sc_nfam++];
	memset(f, 0, sizeof(*f));
	snprintf(f->f_name, sizeof(f->f_name), "%s", name);
	return f;
}

/* The family a sample name belongs to (histogram suffixes removed). */
static struct family *
family_of(struct scrape *sc, const char *name, const char **suffix)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	char base[NAME_MAX_LEN];
	struct family *f;
	size_t i, n = strlen(name), k;

	*suffix = "";
	if ((f = find_family(sc, name)) != NULL && f->f_type[0] != '\0')
		return f;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		k = strlen(sfx[i]);
		if (n <= k || strcmp(name + n - k, sfx[i]) != 0)
			continue;
		memcpy(base, name, n - k);
		base[n - k] = '\0';
		if ((f = find_family(sc, base)) != NULL &&
		    (strcmp(f->f_type, "histogram") == 0 ||
		        (strcmp(f->f_type, "summary") == 0 && i > 0))) {
			*suffix = sfx[i];
			return f;
		}
	}
	return NULL;
}

static const char *
label_get(const struct sample *s, const char *name)
{
	int i;

	for (i = 0; i < s->s_nlabels; i++)
		if (strcmp(s->s_labels[i].l_name, name) == 0)
			return s->s_labels[i].l_value;
	return NULL;
}

static struct hseries *
hist_series(struct scrape *sc, const char *fam, const struct sample *s)
{
	char key[1024];
	size_t n = 0;
	int i;

	key[0] = '\0';
	for (i = 0; i < s->s_nlabels; i++)
		if (strcmp(s->s_labels[i].l_name, "le") != 0)
			n +=
			    (size_t)snprintf(key + n, sizeof(key) - n, "%s=%s;",
			        s->s_labels[i].l_name, s->s_labels[i].l_value);
	for (i = 0; i < sc->sc_nhist; i++)
		if (strcmp(sc->sc_hist[i].h_family, fam) == 0 &&
		    strcmp(sc->sc_hist[i].h_key, key) == 0)
			return &sc->sc_hist[i];
	cr_assert(sc->sc_nhist < 64);
	memset(&sc->sc_hist[sc->sc_nhist], 0, sizeof(sc->sc_hist[0]));
	snprintf(sc->sc_hist[sc->sc_nhist].h_family, NAME_MAX_LEN, "%s", fam);
	snprintf(sc->sc_hist[sc->sc_nhist].h_key, sizeof(key), "%s", key);
	sc->sc_hist[sc->sc_nhist].h_last_le = -INFINITY;
	return &sc->sc_hist[sc->sc_nhist++];
}

static void
check_hist_sample(struct scrape *sc, const struct family *f, const char *suffix,
    const struct sample *s, int lineno)
{
	struct hseries *h = hist_series(sc, f->f_name, s);
	const char *le;
	double lev;

	if (strcmp(suffix, "_bucket") == 0) {
		le = label_get(s, "le");
		cr_assert(le != NULL, "line %d: bucket without le", lineno);
		cr_assert(parse_value(le, &lev) == 0 && !isnan(lev),
		    "line %d: bad le \"%s\"", lineno, le);
		cr_assert(!h->h_has_inf, "line %d: bucket after +Inf", lineno);
		cr_assert(lev > h->h_last_le,
		    "line %d: le not increasing (%g after %g)", lineno, lev,
		    h->h_last_le);
		cr_assert(s->s_value >= h->h_last_count,
		    "line %d: bucket count decreases", lineno);
		cr_assert(s->s_value >= 0 && floor(s->s_value) == s->s_value,
		    "line %d: bucket count not a whole number", lineno);
		h->h_last_le = lev;
		h->h_last_count = s->s_value;
		h->h_nbuckets++;
		if (isinf(lev)) {
			h->h_has_inf = 1;
			h->h_inf = s->s_value;
		}
	} else if (strcmp(suffix, "_count") == 0) {
		h->h_has_count = 1;
		h->h_count = s->s_value;
	} else {
		cr_assert(strcmp(suffix, "_sum") == 0,
		    "line %d: histogram sample %s without a suffix", lineno,
		    s->s_name);
	}
}

/* Parses the whole body; fails the test on the first violation. */
static void
scrape_parse(const char *text, size_t len, struct scrape *sc)
{
	char line[4096], name[NAME_MAX_LEN], *sp;
	const char *p = text, *end = text + len, *nl, *suffix;
	struct family *f;
	struct sample s;
	int lineno = 0, i;
	size_t n;

	memset(sc, 0, sizeof(*sc));
	sc->sc_current = -1;
	cr_assert(len > 0 && text[len - 1] == '\n',
	    "the body must end with a newline");
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		cr_assert(nl != NULL);
		n = (size_t)(nl - p);
		cr_assert(n < sizeof(line), "line %d too long", lineno);
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		cr_assert(strchr(line, '\r') == NULL && n > 0,
		    "line %d: empty or CR", lineno);
		if (strncmp(line, "# HELP ", 7) == 0 ||
		    strncmp(line, "# TYPE ", 7) == 0) {
			n = scan_name(line + 7, 1, name, sizeof(name));
			cr_assert(n > 0 && line[7 + n] == ' ',
			    "line %d: bad HELP/TYPE line: %s", lineno, line);
			f = add_family(sc, name);
			cr_assert(!f->f_closed &&
			              sc->sc_current != (int)(f - sc->sc_fam),
			    "line %d: %s after the samples of %s", lineno, line,
			    name);
			if (line[2] == 'H') {
				cr_assert(
				    !f->f_help, "line %d: second HELP", lineno);
				f->f_help = 1;
				continue;
			}
			cr_assert(f->f_type[0] == '\0',
			    "line %d: second TYPE for %s", lineno, name);
			sp = line + 7 + n + 1;
			cr_assert(strcmp(sp, "counter") == 0 ||
			              strcmp(sp, "gauge") == 0 ||
			              strcmp(sp, "histogram") == 0 ||
			              strcmp(sp, "summary") == 0 ||
			              strcmp(sp, "untyped") == 0,
			    "line %d: unknown type %s", lineno, sp);
			snprintf(f->f_type, sizeof(f->f_type), "%s", sp);
			continue;
		}
		if (line[0] == '#')
			continue;
		parse_sample(line, lineno, &s);
		f = family_of(sc, s.s_name, &suffix);
		cr_assert(f != NULL && f->f_type[0] != '\0',
		    "line %d: sample %s without a TYPE", lineno, s.s_name);
		cr_assert(!f->f_closed,
		    "line %d: samples of %s are not contiguous", lineno,
		    f->f_name);
		if (sc->sc_current != -1 &&
		    sc->sc_current != (int)(f - sc->sc_fam))
			sc->sc_fam[sc->sc_current].f_closed = 1;
		sc->sc_current = (int)(f - sc->sc_fam);
		if (strcmp(f->f_type, "counter") == 0)
			cr_assert(s.s_value >= 0, "line %d: negative counter",
			    lineno);
		if (strcmp(f->f_type, "histogram") == 0)
			check_hist_sample(sc, f, suffix, &s, lineno);
		else
			cr_assert(label_get(&s, "le") == NULL,
			    "line %d: le outside a histogram", lineno);
		sc->sc_samples = realloc(sc->sc_samples,
		    (sc->sc_nsamples + 1) * sizeof(*sc->sc_samples));
		cr_assert(sc->sc_samples != NULL);
		sc->sc_samples[sc->sc_nsamples++] = s;
	}
	for (i = 0; i < sc->sc_nhist; i++) {
		struct hseries *h = &sc->sc_hist[i];

		cr_assert(h->h_has_inf, "%s{%s}: no +Inf bucket", h->h_family,
		    h->h_key);
		cr_assert(
		    h->h_has_count, "%s{%s}: no _count", h->h_family, h->h_key);
		cr_assert(h->h_inf == h->h_count,
		    "%s{%s}: +Inf bucket %g != _count %g", h->h_family,
		    h->h_key, h->h_inf, h->h_count);
	}
}

/* The value of the sample name{labels...} (pairs, NULL-terminated);
 * -1 if there is none. */
static double sample_value(const struct scrape *sc, const char *name, ...)
    __attribute__((sentinel));

static double
sample_value(const struct scrape *sc, const char *name, ...)
{
	const char *k, *v, *have;
	va_list ap;
	size_t i;
	int ok;

	for (i = 0; i < sc->sc_nsamples; i++) {
		if (strcmp(sc->sc_samples[i].s_name, name) != 0)
			continue;
		ok = 1;
		va_start(ap, name);
		while (ok && (k = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			have = label_get(&sc->sc_samples[i], k);
			ok = have != NULL && strcmp(have, v) == 0;
		}
		va_end(ap);
		if (ok)
			return sc->sc_samples[i].s_value;
	}
	return -1;
}

static void
scrape(struct scrape *sc, struct e2e_resp *r)
{
	char ct[256];

	cr_assert(e2e_get("/metrics", NULL, r) == 0, "GET /metrics: no answer");
	cr_assert_eq(r->er_status, 200);
	cr_assert(e2e_header(r, "Content-Type", ct, sizeof(ct)) == 0);
	cr_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
	scrape_parse(r->er_body.b_data, r->er_body.b_len, sc);
}

static void
scrape_free(struct scrape *sc, struct e2e_resp *r)
{
	free(sc->sc_samples);
	e2e_resp_free(r);
}

static long
call(const char *method, const char *path, const char *bearer, const char *body)
{
	struct e2e_resp r;
	long st = -1;

	if (e2e_call(method, path, bearer, NULL, body, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

Test(metrics, parses_and_counts_traffic)
{
	static struct scrape before, after;
	struct e2e_resp r0, r1;
	char tok[4096], email[128], junk[64], path[96];
	struct buf body;
	double v0, v1;
	int i;

	scrape(&before, &r0);
	e2e_email(email, sizeof(email), "metrics");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	cr_assert_eq(call("GET", "/healthz", NULL, NULL), 200);
	cr_assert_eq(call("GET", "/table_1?limit=1", NULL, NULL), 401);
	for (i = 0; i < 3; i++)
		cr_assert_eq(call("GET", "/table_1?limit=1", tok, NULL), 200);
	cr_assert_eq(call("GET", "/table_1/1", tok, NULL), 200);
	/* A random path: counted as "unmatched", never as itself. */
	e2e_rand_hex(junk, sizeof(junk), 8);
	snprintf(path, sizeof(path), "/no-such-%s", junk);
	cr_assert_eq(call("GET", path, NULL, NULL), 404);
	cr_assert_eq(call("POST", "/metrics", NULL, "{}"), 405);
	/* The per-email login limit (10 failures per window, kept at its
	 * default in the fixture) makes authd answer 429. */
	buf_init(&body);
	cr_assert(buf_printf(&body,
	              "{\"email\":\"%s\",\"password\":\"wrong password!\"}",
	              email) == 0);
	for (i = 0; i < 12; i++)
		if (call("POST", "/auth/login", NULL, body.b_data) == 429)
			break;
	cr_assert(i < 12, "no 429 from the login limit");
	buf_free(&body);

	scrape(&after, &r1);
	cr_assert(strstr(r1.er_body.b_data, junk) == NULL,
	    "a raw path became a label");

	v0 = sample_value(&before, "postern_http_requests_total", "route",
	    "/table_1", "method", "GET", "status", "200", NULL);
	v1 = sample_value(&after, "postern_http_requests_total", "route",
	    "/table_1", "method", "GET", "status", "200", NULL);
	cr_assert(
	    v1 >= (v0 < 0 ? 0 : v0) + 3, "GET /table_1 200: %g -> %g", v0, v1);
	cr_assert(
	    sample_value(&after, "postern_http_requests_total", "route",
	        "/table_1/{id}", "method", "GET", "status", "200", NULL) >= 1,
	    "no series for the route template /table_1/{id}");
	cr_assert(sample_value(&after, "postern_http_requests_total", "route",
	              "/table_1", "method", "GET", "status", "401", NULL) >= 1);
	cr_assert(
	    sample_value(&after, "postern_http_requests_total", "route",
	        "unmatched", "method", "GET", "status", "404", NULL) >= 1);
	cr_assert(
	    sample_value(&after, "postern_http_requests_total", "route",
	        "/auth/signup", "method", "POST", "status", "201", NULL) >= 1);
	cr_assert(
	    sample_value(&after, "postern_http_requests_total", "route",
	        "/metrics", "method", "POST", "status", "405", NULL) >= 1);
	cr_assert(sample_value(&after, "postern_authd_rate_limited_total",
	              "route", "/auth/login", NULL) >= 1,
	    "the 429 of authd's limiter is not counted");

	v0 = sample_value(
	    &before, "postern_http_request_duration_seconds_count", NULL);
	v1 = sample_value(
	    &after, "postern_http_request_duration_seconds_count", NULL);
	cr_assert(v0 >= 0 && v1 >= v0 + 20, "latency count %g -> %g", v0, v1);
	v1 = sample_value(&after, "postern_authd_rtt_seconds_count", NULL);
	cr_assert(v1 >= 5, "authd round trips: %g", v1);
	cr_assert(
	    sample_value(&after, "postern_authd_rtt_seconds_sum", NULL) > 0);
	cr_assert(sample_value(&after, "postern_db_pool_connections", "state",
	              "in_use", NULL) >= 0);
	cr_assert(sample_value(&after, "postern_db_pool_connections", "state",
	              "idle", NULL) >= 0);
	cr_assert(sample_value(&after, "postern_db_pool_connections", "state",
	              "in_use", NULL) +
	              sample_value(&after, "postern_db_pool_connections",
	                  "state", "idle", NULL) >=
	          1);
	cr_assert(sample_value(&after, "postern_db_pool_waiting", NULL) >= 0);
	cr_assert(
	    sample_value(&after, "postern_verify_cache_entries", NULL) >= 1);
	cr_assert_eq(sample_value(&after, "postern_authd_connected", NULL), 1);
	cr_assert(sample_value(&after, "postern_http_connections", NULL) >= 1);
	/* Every family documents itself. */
	for (i = 0; i < after.sc_nfam; i++)
		cr_assert(after.sc_fam[i].f_help && after.sc_fam[i].f_type[0],
		    "%s without HELP or TYPE", after.sc_fam[i].f_name);
	scrape_free(&before, &r0);
	scrape_free(&after, &r1);
}

/* Only GET and HEAD. */
Test(metrics, methods)
{
	struct e2e_resp r;

	cr_assert(e2e_call("DELETE", "/metrics", NULL, NULL, NULL, &r) == 0);
	e2e_assert_error(&r, 405);
	e2e_resp_free(&r);
}

/* The grammar itself refuses what it must (a check of the checker). */
Test(metrics, grammar_accepts_escapes)
{
	static const char ok[] =
	    "# HELP a_total x\n# TYPE a_total counter\n"
	    "a_total{route=\"/x\\\"y\\\\z\\n\"} 1\n"
	    "# TYPE h histogram\n"
	    "h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
	    "h_sum 0.5\nh_count 2\n";
	struct scrape sc;

	scrape_parse(ok, sizeof(ok) - 1, &sc);
	cr_assert_eq(sc.sc_nsamples, 5);
	cr_assert_str_eq(sc.sc_samples[0].s_labels[0].l_value, "/x\"y\\z\n");
	free(sc.sc_samples);
}
