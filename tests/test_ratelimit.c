#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "authd/ratelimit.h"

#define NOW 1700000000LL

Test(ratelimit, new_bad_params)
{
	errno = 0;
	cr_assert_null(ratelimit_new(0, 900, 10));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(ratelimit_new(10, 0, 10));
	cr_assert_null(ratelimit_new(10, 900, 0));
	cr_assert_null(ratelimit_new(RATELIMIT_LIMIT_MAX + 1, 900, 10));
	cr_assert_null(ratelimit_new(10, RATELIMIT_WINDOW_MAX + 1, 10));
	cr_assert_null(ratelimit_new(10, 900, RATELIMIT_KEYS_MAX + 1));
	ratelimit_free(NULL);
}

Test(ratelimit, new_max_params)
{
	struct ratelimit *rl;
	unsigned i;

	rl = ratelimit_new(RATELIMIT_LIMIT_MAX, RATELIMIT_WINDOW_MAX, 1);
	cr_assert_not_null(rl);
	for (i = 0; i < 10; i++)
		ratelimit_hit(rl, "k", NOW);
	cr_assert_eq(ratelimit_check(rl, "k", NOW), 0);
	ratelimit_free(rl);
}

Test(ratelimit, unknown_key_allowed)
{
	struct ratelimit *rl = ratelimit_new(10, 900, 100);

	cr_assert_eq(ratelimit_check(rl, "nobody@example.com", NOW), 0);
	cr_assert_eq(ratelimit_check(rl, "", NOW), 0);
	/* A check does not create a key. */
	cr_assert_eq(ratelimit_count(rl), 0);
	ratelimit_free(rl);
}

Test(ratelimit, limit_then_blocked)
{
	struct ratelimit *rl = ratelimit_new(10, 900, 100);
	unsigned i, wait;

	for (i = 0; i < 9; i++) {
		ratelimit_hit(rl, "a@example.com", NOW + i);
		cr_assert_eq(ratelimit_check(rl, "a@example.com", NOW + i), 0,
		    "blocked after %u hits", i + 1);
	}
	ratelimit_hit(rl, "a@example.com", NOW + 9);
	/* Ten hits: the eleventh attempt is refused. */
	wait = ratelimit_check(rl, "a@example.com", NOW + 9);
	cr_assert_gt(wait, 0);
	cr_assert_leq(wait, 900);
	/* The window began at the first hit, NOW. */
	cr_assert_eq(wait, 900 - 9);
	ratelimit_free(rl);
}

Test(ratelimit, retry_after_is_honest)
{
	struct ratelimit *rl = ratelimit_new(10, 900, 100);
	unsigned i, wait;

	for (i = 0; i < 10; i++)
		ratelimit_hit(rl, "k", NOW);
	wait = ratelimit_check(rl, "k", NOW);
	cr_assert_eq(wait, 900);
	/* One second before Retry-After runs out: still blocked. */
	cr_assert_eq(ratelimit_check(rl, "k", NOW + wait - 1), 1);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + wait), 0);
	ratelimit_free(rl);
}

Test(ratelimit, time_unblocks)
{
	struct ratelimit *rl = ratelimit_new(3, 60, 100);
	unsigned wait;
	int64_t t;

	ratelimit_hit(rl, "k", NOW);
	ratelimit_hit(rl, "k", NOW);
	ratelimit_hit(rl, "k", NOW);
	cr_assert_gt(ratelimit_check(rl, "k", NOW + 59), 0);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 60), 0);
	/*
	 * In the next window the previous one still weighs: one more hit
	 * blocks again, and Retry-After says exactly when it stops.
	 */
	ratelimit_hit(rl, "k", NOW + 60);
	wait = ratelimit_check(rl, "k", NOW + 60);
	cr_assert_gt(wait, 0);
	cr_assert_leq(wait, 60);
	for (t = NOW + 60; t < NOW + 60 + wait; t++)
		cr_assert_gt(ratelimit_check(rl, "k", t), 0);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 60 + wait), 0);
	/* Two idle windows later nothing is left. */
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 240), 0);
	ratelimit_hit(rl, "k", NOW + 240);
	ratelimit_hit(rl, "k", NOW + 240);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 240), 0);
	ratelimit_free(rl);
}

/*
 * Over a long run at the highest rate the limiter lets through, no
 * window_s span sees more than 2 * limit hits and the average rate stays
 * near limit per window.
 */
Test(ratelimit, sustained_rate_bounded)
{
	struct ratelimit *rl = ratelimit_new(10, 100, 100);
	static int64_t hits[4096];
	size_t n = 0, i, j;
	int64_t t;

	for (t = NOW; t < NOW + 10000; t++) {
		while (ratelimit_check(rl, "k", t) == 0) {
			cr_assert_lt(n, sizeof(hits) / sizeof(hits[0]));
			ratelimit_hit(rl, "k", t);
			hits[n++] = t;
		}
	}
	for (i = 0, j = 0; i < n; i++) {
		while (hits[i] - hits[j] >= 100)
			j++;
		cr_assert_leq(i - j + 1, 20, "%zu hits in 100 s", i - j + 1);
	}
	/* 100 windows at 10 each, plus the approximation's slack. */
	cr_assert_geq(n, 1000);
	cr_assert_leq(n, 1100, "%zu hits", n);
	ratelimit_free(rl);
}

Test(ratelimit, keys_independent)
{
	struct ratelimit *rl = ratelimit_new(10, 900, 100);
	unsigned i;

	for (i = 0; i < 50; i++)
		ratelimit_hit(rl, "victim-attacked@example.com", NOW);
	cr_assert_gt(
	    ratelimit_check(rl, "victim-attacked@example.com", NOW), 0);
	cr_assert_eq(ratelimit_check(rl, "other@example.com", NOW), 0);
	ratelimit_hit(rl, "other@example.com", NOW);
	cr_assert_eq(ratelimit_check(rl, "other@example.com", NOW), 0);
	/* Prefixes and case are distinct keys; the caller normalises. */
	cr_assert_eq(ratelimit_check(rl, "victim-attacked@example.co", NOW), 0);
	cr_assert_eq(
	    ratelimit_check(rl, "Victim-attacked@example.com", NOW), 0);
	ratelimit_free(rl);
}

Test(ratelimit, reset)
{
	struct ratelimit *rl = ratelimit_new(2, 900, 100);

	ratelimit_hit(rl, "a", NOW);
	ratelimit_hit(rl, "a", NOW);
	ratelimit_hit(rl, "b", NOW);
	ratelimit_hit(rl, "b", NOW);
	cr_assert_gt(ratelimit_check(rl, "a", NOW), 0);
	ratelimit_reset(rl, "a");
	cr_assert_eq(ratelimit_check(rl, "a", NOW), 0);
	cr_assert_gt(ratelimit_check(rl, "b", NOW), 0);
	cr_assert_eq(ratelimit_count(rl), 1);
	/* Resetting an unknown key is harmless. */
	ratelimit_reset(rl, "zzz");
	ratelimit_reset(rl, "a");
	cr_assert_eq(ratelimit_count(rl), 1);
	ratelimit_free(rl);
}

Test(ratelimit, clock_steps_back)
{
	struct ratelimit *rl = ratelimit_new(2, 60, 100);
	unsigned wait;

	ratelimit_hit(rl, "k", NOW);
	ratelimit_hit(rl, "k", NOW);
	/* A clock set back must not unblock the key, nor crash. */
	wait = ratelimit_check(rl, "k", NOW - 1000);
	cr_assert_gt(wait, 0);
	cr_assert_leq(wait, 60);
	ratelimit_hit(rl, "k", NOW - 1000);
	cr_assert_gt(ratelimit_check(rl, "k", NOW), 0);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 60), 0);
	ratelimit_free(rl);
}

Test(ratelimit, window_of_one_second)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 10);

	ratelimit_hit(rl, "k", NOW);
	cr_assert_eq(ratelimit_check(rl, "k", NOW), 1);
	cr_assert_eq(ratelimit_check(rl, "k", NOW + 1), 0);
	ratelimit_free(rl);
}

Test(ratelimit, eviction_bounded)
{
	struct ratelimit *rl = ratelimit_new(1, 900, 64);
	char key[32];
	unsigned i;

	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "10.0.%u.%u", i / 256, i % 256);
		ratelimit_hit(rl, key, NOW);
		cr_assert_leq(ratelimit_count(rl), 64);
	}
	cr_assert_eq(ratelimit_count(rl), 64);
	/* The most recent keys survive; the oldest were pushed out. */
	cr_assert_gt(ratelimit_check(rl, "10.0.39.15", NOW), 0);
	cr_assert_eq(ratelimit_check(rl, "10.0.0.0", NOW), 0);
	ratelimit_free(rl);
}

Test(ratelimit, eviction_prefers_lru)
{
	struct ratelimit *rl = ratelimit_new(1, 900, 2);

	ratelimit_hit(rl, "a", NOW);
	ratelimit_hit(rl, "b", NOW);
	/* a is hit again, so b is now the least recently hit. */
	ratelimit_hit(rl, "a", NOW);
	ratelimit_hit(rl, "c", NOW);
	cr_assert_eq(ratelimit_count(rl), 2);
	cr_assert_gt(ratelimit_check(rl, "a", NOW), 0);
	cr_assert_eq(ratelimit_check(rl, "b", NOW), 0);
	cr_assert_gt(ratelimit_check(rl, "c", NOW), 0);
	ratelimit_free(rl);
}

Test(ratelimit, expired_keys_dropped)
{
	struct ratelimit *rl = ratelimit_new(1, 10, 100);
	char key[16];
	unsigned i;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		ratelimit_hit(rl, key, NOW);
	}
	cr_assert_eq(ratelimit_count(rl), 50);
	/* After two windows the old keys are worthless and make room. */
	ratelimit_hit(rl, "late", NOW + 20);
	cr_assert_eq(ratelimit_count(rl), 1);
	ratelimit_free(rl);
}

Test(ratelimit, long_keys)
{
	struct ratelimit *rl = ratelimit_new(1, 900, 100);
	char a[2000], b[2000], edge[RATELIMIT_KEY_MAX + 2];

	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'y';
	ratelimit_hit(rl, a, NOW);
	cr_assert_gt(ratelimit_check(rl, a, NOW), 0);
	/* Same 1998-byte prefix, different key: not truncated together. */
	cr_assert_eq(ratelimit_check(rl, b, NOW), 0);

	/* Exactly at the bound the key is kept as is; one past, hashed. */
	memset(edge, 'e', sizeof(edge));
	edge[RATELIMIT_KEY_MAX] = '\0';
	ratelimit_hit(rl, edge, NOW);
	cr_assert_gt(ratelimit_check(rl, edge, NOW), 0);
	edge[RATELIMIT_KEY_MAX] = 'e';
	edge[RATELIMIT_KEY_MAX + 1] = '\0';
	cr_assert_eq(ratelimit_check(rl, edge, NOW), 0);
	ratelimit_hit(rl, edge, NOW);
	cr_assert_gt(ratelimit_check(rl, edge, NOW), 0);
	cr_assert_eq(ratelimit_count(rl), 3);
	ratelimit_reset(rl, a);
	cr_assert_eq(ratelimit_check(rl, a, NOW), 0);
	ratelimit_free(rl);
}

#define NTHREADS 4
#define PER_THREAD 1000

struct hitter {
	struct ratelimit *h_rl;
	const char *h_key;
};

static void *
hit_many(void *arg)
{
	struct hitter *h = arg;
	char other[32];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		ratelimit_hit(h->h_rl, h->h_key, NOW);
		/* Churn in other keys, so buckets and the LRU list move. */
		snprintf(other, sizeof(other), "%s-%d", h->h_key, i % 50);
		ratelimit_hit(h->h_rl, other, NOW);
		(void)ratelimit_check(h->h_rl, "shared", NOW);
	}
	return NULL;
}

/*
 * Concurrent hits within one window are counted exactly (the
 * approximation only concerns how the previous window is weighed).
 */
Test(ratelimit, concurrent_hits_exact)
{
	struct ratelimit *rl;
	struct hitter h[NTHREADS];
	pthread_t t[NTHREADS];
	int i;

	rl = ratelimit_new(NTHREADS * PER_THREAD + 1, 900, 1000);
	cr_assert_not_null(rl);
	for (i = 0; i < NTHREADS; i++) {
		h[i].h_rl = rl;
		h[i].h_key = "shared";
		cr_assert_eq(pthread_create(&t[i], NULL, hit_many, &h[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	/* 4000 of 4001 allowed hits: one more may pass, then no more. */
	cr_assert_eq(ratelimit_check(rl, "shared", NOW), 0);
	ratelimit_hit(rl, "shared", NOW);
	cr_assert_gt(ratelimit_check(rl, "shared", NOW), 0);
	ratelimit_free(rl);
}
