#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/prefer.h"

static int
parse1(const char *v, struct prefer *p, struct q_error *err)
{
	const char *vals[1] = {v};

	memset(err, 0, sizeof(*err));
	return prefer_parse(vals, 1, p, err);
}

Test(prefer, none)
{
	struct prefer p;
	struct q_error err;

	cr_assert_eq(prefer_parse(NULL, 0, &p, &err), 0);
	cr_assert_eq(p.pf_return, PF_RETURN_NONE);
	cr_assert_eq(p.pf_count, PF_COUNT_NONE);
	cr_assert_eq(p.pf_max_affected, -1);
	cr_assert_eq(p.pf_strict, 0);
}

Test(prefer, every_known_preference)
{
	struct prefer p;
	struct q_error err;

	cr_assert_eq(parse1("return=representation,count=exact, "
	                    "resolution=merge-duplicates ,missing=default,"
	                    "\ttx=rollback, handling=strict, max-affected=5",
	                 &p, &err),
	    0, "%s", err.qe_details);
	cr_assert_eq(p.pf_return, PF_RETURN_REPR);
	cr_assert_eq(p.pf_count, PF_COUNT_EXACT);
	cr_assert_eq(p.pf_resolution, PF_RES_MERGE);
	cr_assert_eq(p.pf_missing, PF_MISSING_DEFAULT);
	cr_assert_eq(p.pf_tx, PF_TX_ROLLBACK);
	cr_assert_eq(p.pf_strict, 1);
	cr_assert_eq(p.pf_max_affected, 5);
	cr_assert_eq(parse1("return=minimal, count=planned, "
	                    "resolution=ignore-duplicates, missing=null, "
	                    "tx=commit, max-affected=0",
	                 &p, &err),
	    0);
	cr_assert_eq(p.pf_return, PF_RETURN_MINIMAL);
	cr_assert_eq(p.pf_count, PF_COUNT_PLANNED);
	cr_assert_eq(p.pf_resolution, PF_RES_IGNORE);
	cr_assert_eq(p.pf_missing, PF_MISSING_NULL);
	cr_assert_eq(p.pf_tx, PF_TX_COMMIT);
	cr_assert_eq(p.pf_max_affected, 0);
	cr_assert_eq(parse1("count=estimated", &p, &err), 0);
	cr_assert_eq(p.pf_count, PF_COUNT_ESTIMATED);
}

Test(prefer, several_headers_and_empty_elements)
{
	const char *vals[3] = {"return=minimal", " , ,", "count=exact,"};
	struct prefer p;
	struct q_error err;

	cr_assert_eq(prefer_parse(vals, 3, &p, &err), 0);
	cr_assert_eq(p.pf_return, PF_RETURN_MINIMAL);
	cr_assert_eq(p.pf_count, PF_COUNT_EXACT);
}

Test(prefer, unknown_and_unimplemented_are_named)
{
	static const char *const bad[] = {"foo", "return=headers-only",
	    "params=single-object", "timezone=UTC", "count=EXACT",
	    "return=minimal; x=1", "return = minimal",
	    "max-affected=", "max-affected=-1", "max-affected=1x",
	    "max-affected=99999999999", "tx=maybe", "respond-async", "wait=10"};
	struct prefer p;
	struct q_error err;
	char want[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse1(bad[i], &p, &err), -1, "%s", bad[i]);
		cr_assert_eq(err.qe_status, 400);
		cr_assert_str_eq(err.qe_code, "PGRST122");
		cr_assert_str_eq(err.qe_message,
		    "Invalid preferences given with handling=strict");
		snprintf(want, sizeof(want), "Invalid preferences: %s", bad[i]);
		cr_assert_str_eq(err.qe_details, want);
	}
	cr_assert_eq(
	    parse1("handling=strict, foo, count=exact, bar", &p, &err), -1);
	cr_assert_str_eq(err.qe_details, "Invalid preferences: foo, bar");
}

Test(prefer, lenient_is_refused)
{
	struct prefer p;
	struct q_error err;

	cr_assert_eq(parse1("handling=lenient, foo", &p, &err), -1);
	cr_assert_str_eq(err.qe_code, "PGRST122");
	cr_assert(strstr(err.qe_details,
	              "Invalid preferences: handling=lenient, foo") ==
	          err.qe_details);
	cr_assert_not_null(strstr(err.qe_details, "strictly"));
}

Test(prefer, repeats_and_conflicts)
{
	const char *vals[2] = {"tx=commit", "tx=rollback"};
	struct prefer p;
	struct q_error err;

	/* The same value twice is one preference (postgrest-js may append
	 * handling=strict twice). */
	cr_assert_eq(parse1("handling=strict, handling=strict, count=exact, "
	                    "count=exact, max-affected=3, max-affected=3",
	                 &p, &err),
	    0);
	cr_assert_eq(
	    parse1("return=minimal, return=representation", &p, &err), -1);
	cr_assert_str_eq(err.qe_code, "PGRST122");
	cr_assert_not_null(strstr(err.qe_details, "Conflicting preferences: "
	                                          "return=representation"));
	cr_assert_eq(parse1("max-affected=1, max-affected=2", &p, &err), -1);
	cr_assert_not_null(strstr(err.qe_details, "max-affected=2"));
	cr_assert_eq(prefer_parse(vals, 2, &p, &err), -1);
	cr_assert_not_null(strstr(err.qe_details, "tx=rollback"));
}

Test(prefer, hostile_input_is_bounded)
{
	static char big[100000];
	struct prefer p;
	struct q_error err;

	for (size_t i = 0; i + 4 < sizeof(big); i += 4)
		memcpy(big + i, "foo,", 4);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(parse1(big, &p, &err), -1);
	cr_assert_lt(strlen(err.qe_details), sizeof(err.qe_details));
	memset(big, 'x', sizeof(big) - 1);
	cr_assert_eq(parse1(big, &p, &err), -1);
}

Test(prefer, applied_in_postgrest_order)
{
	struct prefer p;
	struct q_error err;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(parse1("max-affected=2, handling=strict, tx=rollback, "
	                    "count=exact, return=representation, "
	                    "missing=default, resolution=merge-duplicates",
	                 &p, &err),
	    0);
	cr_assert_eq(prefer_applied(&p, &b), 0);
	cr_assert_str_eq(b.b_data,
	    "resolution=merge-duplicates, missing=default, "
	    "return=representation, count=exact, tx=rollback, "
	    "handling=strict, max-affected=2");
	buf_reset(&b);
	cr_assert_eq(parse1("max-affected=2", &p, &err), 0);
	cr_assert_eq(prefer_applied(&p, &b), 0);
	cr_assert_eq(b.b_len, 0);
	buf_free(&b);
}

static void
accepts(const char *a, enum media want, int want_strip)
{
	struct q_error err;
	enum media m;
	int strip;

	cr_assert_eq(accept_parse(a, &m, &strip, &err), 0, "%s", a);
	cr_assert_eq(m, want, "%s", a);
	cr_assert_eq(strip, want_strip, "%s", a);
}

Test(accept, producible_types)
{
	accepts(NULL, MEDIA_JSON, 0);
	accepts("", MEDIA_JSON, 0);
	accepts("*/*", MEDIA_JSON, 0);
	accepts("application/json", MEDIA_JSON, 0);
	accepts("application/json; charset=utf-8", MEDIA_JSON, 0);
	accepts("text/html,application/xhtml+xml,*/*;q=0.8", MEDIA_JSON, 0);
	accepts("application/vnd.pgrst.object+json", MEDIA_OBJECT, 0);
	accepts("Application/Vnd.Pgrst.Object+JSON", MEDIA_OBJECT, 0);
	accepts("application/vnd.pgrst.object+json;nulls=stripped",
	    MEDIA_OBJECT, 1);
	accepts(
	    "application/vnd.pgrst.array+json; nulls=stripped", MEDIA_ARRAY, 1);
	accepts("application/vnd.pgrst.array+json", MEDIA_ARRAY, 0);
	accepts("text/csv", MEDIA_CSV, 0);
	accepts("application/json;q=0.5, text/csv", MEDIA_CSV, 0);
	accepts("text/csv;q=0.2, application/json;q=0.9", MEDIA_JSON, 0);
	accepts("text/csv, application/json", MEDIA_CSV, 0);
	/* q=0 means "not this one". */
	accepts("text/csv;q=0, application/json", MEDIA_JSON, 0);
}

Test(accept, refused)
{
	static const char *const bad[] = {"text/xml", "application/xml",
	    "text/csv;q=0", "application/geo+json", "text/plain"};
	struct q_error err;
	enum media m;
	int strip;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(
		    accept_parse(bad[i], &m, &strip, &err), -1, "%s", bad[i]);
		cr_assert_eq(err.qe_status, 406);
		cr_assert_str_eq(err.qe_code, "PGRST107");
		cr_assert_not_null(strstr(err.qe_message, bad[i]));
	}
	cr_assert_eq(accept_parse("application/vnd.pgrst.plan+text; "
	                          "for=\"application/json\"",
	                 &m, &strip, &err),
	    -1);
	cr_assert_eq(err.qe_status, 406);
	cr_assert_str_eq(err.qe_code, "PGRST107");
	cr_assert_not_null(strstr(err.qe_message, "not enabled"));
}
