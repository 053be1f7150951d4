/*
 * What a data request asks for beyond its path and query: the Prefer
 * header (RFC 7240, as PostgREST reads it) and the Accept header, parsed
 * strictly and with no I/O.  A preference Postern does not implement is
 * refused, never ignored, so a client can never mistake an unhonoured
 * preference for an honoured one.
 */
#ifndef POSTERN_GATEWAY_PREFER_H
#define POSTERN_GATEWAY_PREFER_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/query.h"

/* The largest max-affected accepted (ROWS_MAX is far below). */
#define PREFER_MAX_AFFECTED 1000000000LL

enum pf_return { PF_RETURN_NONE, PF_RETURN_MINIMAL, PF_RETURN_REPR };
enum pf_count {
	PF_COUNT_NONE,
	PF_COUNT_EXACT,
	PF_COUNT_PLANNED,
	PF_COUNT_ESTIMATED
};
enum pf_resolution { PF_RES_NONE, PF_RES_MERGE, PF_RES_IGNORE };
enum pf_missing { PF_MISSING_NONE, PF_MISSING_DEFAULT, PF_MISSING_NULL };
enum pf_tx { PF_TX_NONE, PF_TX_COMMIT, PF_TX_ROLLBACK };

/* Each field is its _NONE value (0) when the request did not ask. */
struct prefer {
	enum pf_return pf_return;
	enum pf_count pf_count;
	enum pf_resolution pf_resolution;
	enum pf_missing pf_missing;
	enum pf_tx pf_tx;
	int pf_strict;             /* handling=strict */
	long long pf_max_affected; /* -1: not asked */
};

/*
 * Parses the values of every Prefer header of a request (vals[0..n-1]):
 * comma-separated preferences, white space around each ignored, each
 * compared exactly as PostgREST does (so "return=minimal; x" is not
 * return=minimal).  The same preference repeated with the same value is
 * one preference; with another value it is refused.  Returns 0, or -1 with
 * *err: 400 PGRST122 naming the preferences refused (unknown ones, the
 * ones not implemented, handling=lenient, a bad max-affected, conflicts).
 */
int prefer_parse(
    const char *const *vals, size_t n, struct prefer *p, struct q_error *err);

/*
 * Preference-Applied's value for the preferences in p, in PostgREST's
 * order, comma-separated ("" when none).  The caller passes only what it
 * honoured.  0, or -1 on no memory.
 */
int prefer_applied(const struct prefer *p, struct buf *out);

enum media {
	MEDIA_JSON,   /* application/json, or no Accept, or a wildcard */
	MEDIA_OBJECT, /* application/vnd.pgrst.object+json */
	MEDIA_ARRAY,  /* application/vnd.pgrst.array+json: JSON, as array */
	MEDIA_CSV,    /* text/csv */
};

/*
 * Picks the answer's media type from an Accept value (NULL: none): the
 * producible range with the highest q, the first of equal ones.
 * ;nulls=stripped is taken on the two vnd.pgrst types.  Returns 0, or -1
 * with *err: 406 PGRST107 when nothing listed can be produced (an explain
 * plan, application/vnd.pgrst.plan, is named as not enabled).
 */
int accept_parse(
    const char *accept, enum media *m, int *strip_nulls, struct q_error *err);

#endif
