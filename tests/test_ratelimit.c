/*
 * The rate-limit arithmetic (authd/ratelimit.c).  The counts live in
 * PostgreSQL; here a tiny store for one key stands in for auth.rate_counts
 * (a hit bumps the count of the current window index, capped at the limit,
 * as rldb.c's upsert does).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "authd/ratelimit.h"

#define NOW 1700000000LL
#define WINS 64

struct store {
	unsigned s_limit, s_window, s_phase;
	int64_t s_win[WINS];
	uint32_t s_hits[WINS];
	size_t s_n;
};

static void
store_init(struct store *s, unsigned limit, unsigned window, unsigned phase)
{
	memset(s, 0, sizeof(*s));
	s->s_limit = limit;
	s->s_window = window;
	s->s_phase = phase;
}

static uint32_t
store_get(const struct store *s, int64_t win)
{
	size_t i;

	for (i = 0; i < s->s_n; i++)
		if (s->s_win[i] == win)
			return s->s_hits[i];
	return 0;
}

static void
store_hit(struct store *s, int64_t now)
{
	unsigned el;
	int64_t win = ratelimit_window(now, s->s_phase, s->s_window, &el);
	size_t i;

	for (i = 0; i < s->s_n; i++)
		if (s->s_win[i] == win) {
			if (s->s_hits[i] < s->s_limit)
				s->s_hits[i]++;
			return;
		}
	/* Old windows no longer count: reuse the slots round robin. */
	i = s->s_n < WINS ? s->s_n++ : (size_t)(win % WINS);
	s->s_win[i] = win;
	s->s_hits[i] = 1;
}

static unsigned
store_check(const struct store *s, int64_t now)
{
	unsigned el;
	int64_t win = ratelimit_window(now, s->s_phase, s->s_window, &el);

	return ratelimit_wait(s->s_limit, s->s_window, store_get(s, win),
	    store_get(s, win - 1), el);
}

Test(ratelimit, window_index)
{
	unsigned el;

	cr_assert_eq(ratelimit_window(900, 0, 900, &el), 1);
	cr_assert_eq(el, 0);
	cr_assert_eq(ratelimit_window(899, 0, 900, &el), 0);
	cr_assert_eq(el, 899);
	cr_assert_eq(ratelimit_window(1000, 100, 900, &el), 1);
	cr_assert_eq(el, 0);
	cr_assert_eq(ratelimit_window(999, 100, 900, &el), 0);
	cr_assert_eq(el, 899);
	/* Floor, not truncation, below the phase. */
	cr_assert_eq(ratelimit_window(50, 100, 900, &el), -1);
	cr_assert_eq(el, 850);
	cr_assert_eq(ratelimit_window(7, 0, 1, &el), 7);
	cr_assert_eq(el, 0);
}

Test(ratelimit, digest_and_phase)
{
	unsigned char a[RATELIMIT_DIGEST_LEN], b[RATELIMIT_DIGEST_LEN];
	unsigned p;

	ratelimit_digest("127.0.0.1", a);
	ratelimit_digest("127.0.0.1", b);
	cr_assert(memcmp(a, b, sizeof(a)) == 0);
	/* SHA-256("abc") starts ba7816bf 8f01cfea. */
	ratelimit_digest("abc", a);
	cr_assert_eq(a[0], 0xba);
	cr_assert_eq(a[7], 0xea);
	p = ratelimit_phase(a, 900);
	cr_assert_eq(p, (unsigned)(0xba7816bf8f01cfeaULL % 900));
	cr_assert_eq(ratelimit_phase(a, 1), 0);
	ratelimit_digest("abd", b);
	cr_assert(memcmp(a, b, sizeof(a)) != 0);
}

Test(ratelimit, wait_edges)
{
	/* Nothing counted: free. */
	cr_assert_eq(ratelimit_wait(10, 900, 0, 0, 0), 0);
	cr_assert_eq(ratelimit_wait(10, 900, 9, 0, 500), 0);
	/* At the limit: until the window ends. */
	cr_assert_eq(ratelimit_wait(10, 900, 10, 0, 0), 900);
	cr_assert_eq(ratelimit_wait(10, 900, 10, 0, 899), 1);
	/* Counts above the limit (another node's higher limit) are capped. */
	cr_assert_eq(ratelimit_wait(10, 900, 500, 500, 10), 890);
	/* A full previous window weighs (w - 1 - el) / w: alone it never
	 * blocks, with 5 in the current one until 5 + 10 * 449 / 900 < 10. */
	cr_assert_eq(ratelimit_wait(10, 900, 0, 10, 0), 0);
	cr_assert_eq(ratelimit_wait(10, 900, 5, 10, 0), 450);
	cr_assert_eq(ratelimit_wait(10, 900, 5, 10, 449), 1);
	cr_assert_eq(ratelimit_wait(10, 900, 5, 10, 450), 0);
	cr_assert_eq(ratelimit_wait(1, 1, 1, 0, 0), 1);
	cr_assert_eq(ratelimit_wait(1, 1, 0, 1, 0), 0);
	cr_assert_eq(ratelimit_wait(RATELIMIT_LIMIT_MAX, RATELIMIT_WINDOW_MAX,
	                 RATELIMIT_LIMIT_MAX - 1, RATELIMIT_LIMIT_MAX, 0),
	    RATELIMIT_WINDOW_MAX - 32);
}

Test(ratelimit, limit_then_blocked)
{
	struct store s;
	unsigned wait;
	int i;

	store_init(&s, 10, 900, 0);
	for (i = 0; i < 10; i++) {
		cr_assert_eq(store_check(&s, NOW + i), 0, "hit %d blocked", i);
		store_hit(&s, NOW + i);
	}
	wait = store_check(&s, NOW + 9);
	cr_assert_gt(wait, 0);
	cr_assert_leq(wait, 900);
}

Test(ratelimit, retry_after_is_honest)
{
	struct store s;
	unsigned wait, p;
	int i;

	for (p = 0; p < 900; p += 97) {
		store_init(&s, 10, 900, p);
		for (i = 0; i < 10; i++)
			store_hit(&s, NOW);
		wait = store_check(&s, NOW);
		cr_assert_gt(wait, 0);
		cr_assert_eq(store_check(&s, NOW + wait - 1) > 0, 1,
		    "phase %u: free before Retry-After", p);
		cr_assert_eq(store_check(&s, NOW + wait), 0,
		    "phase %u: still blocked at Retry-After", p);
	}
}

Test(ratelimit, time_unblocks)
{
	struct store s;
	int64_t t0;
	unsigned el;

	/* Start at a window's first second. */
	store_init(&s, 3, 60, 0);
	ratelimit_window(NOW, 0, 60, &el);
	t0 = NOW - el;
	store_hit(&s, t0);
	store_hit(&s, t0);
	store_hit(&s, t0);
	cr_assert_eq(store_check(&s, t0 + 59), 1);
	/* The next window: prev 3 weighs 59/60, below the limit; one more hit
	 * blocks until 1 + 3 * (59 - el) / 60 < 3. */
	cr_assert_eq(store_check(&s, t0 + 60), 0);
	store_hit(&s, t0 + 60);
	cr_assert_eq(store_check(&s, t0 + 60), 20);
	cr_assert_gt(store_check(&s, t0 + 79), 0);
	cr_assert_eq(store_check(&s, t0 + 80), 0);
	/* Two windows later nothing of the first counts. */
	store_hit(&s, t0 + 80);
	cr_assert_eq(store_check(&s, t0 + 180), 0);
}

/*
 * Over a long run at the highest rate the limiter lets through, no
 * window_s span sees more than 2 * limit hits and the average rate stays
 * near limit per window.
 */
Test(ratelimit, sustained_rate_bounded)
{
	static int64_t hits[4096];
	struct store s;
	size_t n = 0, i, j;
	int64_t t;

	store_init(&s, 10, 100, 37);
	for (t = NOW; t < NOW + 10000; t++) {
		while (store_check(&s, t) == 0) {
			cr_assert_lt(n, sizeof(hits) / sizeof(hits[0]));
			store_hit(&s, t);
			hits[n++] = t;
		}
	}
	for (i = 0, j = 0; i < n; i++) {
		while (hits[i] - hits[j] >= 100)
			j++;
		cr_assert_leq(i - j + 1, 20, "%zu hits in 100 s", i - j + 1);
	}
	cr_assert_geq(n, 1000);
	cr_assert_leq(n, 1110, "%zu hits", n);
}

Test(ratelimit, window_of_one_second)
{
	struct store s;

	store_init(&s, 1, 1, 0);
	cr_assert_eq(store_check(&s, NOW), 0);
	store_hit(&s, NOW);
	cr_assert_eq(store_check(&s, NOW), 1);
	cr_assert_eq(store_check(&s, NOW + 1), 0);
}
