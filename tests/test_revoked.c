#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "authd/revoked.h"

#define NOW 1700000000LL
#define SID "5f0c6b1e-8d2a-4c1b-9f3e-2a7d9c4b1e00"

Test(revoked, empty)
{
	struct revoked *rv = revoked_new();

	cr_assert_not_null(rv);
	cr_assert_eq(revoked_contains(rv, SID, NOW), 0);
	cr_assert_eq(revoked_sweep(rv, NOW), 0);
	revoked_free(rv);
	revoked_free(NULL);
}

Test(revoked, add_contains)
{
	struct revoked *rv = revoked_new();

	cr_assert_eq(revoked_add(rv, SID, NOW + 3600), 0);
	cr_assert_eq(revoked_contains(rv, SID, NOW), 1);
	/* Neighbours and prefixes are not revoked. */
	cr_assert_eq(
	    revoked_contains(rv, "5f0c6b1e-8d2a-4c1b-9f3e-2a7d9c4b1e01", NOW),
	    0);
	cr_assert_eq(revoked_contains(rv, "5f0c6b1e", NOW), 0);
	cr_assert_eq(
	    revoked_contains(rv, "5F0C6B1E-8D2A-4C1B-9F3E-2A7D9C4B1E00", NOW),
	    0);
	/* Adding twice is one entry. */
	cr_assert_eq(revoked_add(rv, SID, NOW + 3600), 0);
	cr_assert_eq(revoked_sweep(rv, NOW), 1);
	revoked_free(rv);
}

Test(revoked, bad_sids)
{
	struct revoked *rv = revoked_new();
	char big[REVOKED_SID_MAX + 2];

	errno = 0;
	cr_assert_eq(revoked_add(rv, "", NOW + 10), -1);
	cr_assert_eq(errno, EINVAL);
	memset(big, 'a', sizeof(big));
	big[REVOKED_SID_MAX + 1] = '\0';
	errno = 0;
	cr_assert_eq(revoked_add(rv, big, NOW + 10), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(revoked_contains(rv, big, NOW), 0);
	cr_assert_eq(revoked_contains(rv, "", NOW), 0);
	/* Exactly REVOKED_SID_MAX bytes is fine. */
	big[REVOKED_SID_MAX] = '\0';
	cr_assert_eq(revoked_add(rv, big, NOW + 10), 0);
	cr_assert_eq(revoked_contains(rv, big, NOW), 1);
	revoked_free(rv);
}

Test(revoked, expiry_with_grace)
{
	struct revoked *rv = revoked_new();
	int64_t exp = NOW + 60;

	cr_assert_eq(revoked_add(rv, SID, exp), 0);
	/* Past exp, within the grace a token's leeway could use. */
	cr_assert_eq(revoked_contains(rv, SID, exp), 1);
	cr_assert_eq(revoked_contains(rv, SID, exp + REVOKED_GRACE_S - 1), 1);
	cr_assert_eq(revoked_sweep(rv, exp + REVOKED_GRACE_S - 1), 1);
	cr_assert_eq(revoked_contains(rv, SID, exp + REVOKED_GRACE_S), 0);
	cr_assert_eq(revoked_sweep(rv, exp + REVOKED_GRACE_S), 0);
	cr_assert_eq(revoked_contains(rv, SID, NOW), 0);
	revoked_free(rv);
}

Test(revoked, later_expiry_wins)
{
	struct revoked *rv = revoked_new();

	cr_assert_eq(revoked_add(rv, SID, NOW + 1000), 0);
	cr_assert_eq(revoked_add(rv, SID, NOW + 10), 0);
	cr_assert_eq(revoked_sweep(rv, NOW + 500), 1);
	cr_assert_eq(revoked_contains(rv, SID, NOW + 500), 1);
	revoked_free(rv);
}

Test(revoked, extreme_times)
{
	struct revoked *rv = revoked_new();

	cr_assert_eq(revoked_add(rv, "forever", INT64_MAX), 0);
	cr_assert_eq(revoked_add(rv, "ancient", INT64_MIN), 0);
	cr_assert_eq(revoked_contains(rv, "forever", INT64_MAX - 1), 1);
	cr_assert_eq(revoked_contains(rv, "ancient", NOW), 0);
	cr_assert_eq(revoked_sweep(rv, NOW), 1);
	revoked_free(rv);
}

Test(revoked, many_and_sweep)
{
	struct revoked *rv = revoked_new();
	char sid[40];
	int i;

	/* Enough to grow the table several times. */
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		cr_assert_eq(
		    revoked_add(rv, sid, NOW + (i % 2 ? 10 : 100000)), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		cr_assert_eq(revoked_contains(rv, sid, NOW), 1);
	}
	cr_assert_eq(revoked_sweep(rv, NOW + 10 + REVOKED_GRACE_S), 2500);
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		cr_assert_eq(revoked_contains(rv, sid, NOW), i % 2 ? 0 : 1);
	}
	revoked_free(rv);
}

#define NTHREADS 4
#define PER_THREAD 2000

struct worker {
	struct revoked *w_rv;
	int w_id;
	int w_missing;
};

static void *
adder(void *arg)
{
	struct worker *w = arg;
	char sid[40];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(sid, sizeof(sid), "t%d-%d", w->w_id, i);
		if (revoked_add(w->w_rv, sid, NOW + 3600) == -1)
			w->w_missing++;
		/* What this thread added must be visible at once. */
		if (revoked_contains(w->w_rv, sid, NOW) != 1)
			w->w_missing++;
		/* Another thread's ids, present or not: must not crash. */
		snprintf(
		    sid, sizeof(sid), "t%d-%d", (w->w_id + 1) % NTHREADS, i);
		(void)revoked_contains(w->w_rv, sid, NOW);
		if (i % 500 == 0)
			(void)revoked_sweep(w->w_rv, NOW);
	}
	return NULL;
}

Test(revoked, concurrent)
{
	struct revoked *rv = revoked_new();
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++) {
		w[i].w_rv = rv;
		w[i].w_id = i;
		w[i].w_missing = 0;
		cr_assert_eq(pthread_create(&t[i], NULL, adder, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		cr_assert_eq(pthread_join(t[i], NULL), 0);
		cr_assert_eq(w[i].w_missing, 0);
	}
	cr_assert_eq(revoked_sweep(rv, NOW), NTHREADS * PER_THREAD);
	revoked_free(rv);
}
