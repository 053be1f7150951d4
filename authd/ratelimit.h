/*
 * Rate-limit arithmetic, pure: the counts themselves live in PostgreSQL
 * (auth.rate_counts, sql/006_rate_limits.sql; authd/rldb.c reads and bumps
 * them), shared by every authd, so a limit does not grow with the number
 * of nodes and survives restarts.
 *
 * Counting is a sliding-window approximation over two fixed windows per
 * key (Cloudflare's "sliding window counter"): the count in the last
 * window_s seconds, ending with the current second, is estimated as
 *
 *	cur + prev * (window_s - 1 - elapsed) / window_s
 *
 * where cur counts the hits of the key's current window, prev those of
 * the one before, and elapsed is the number of whole seconds since the
 * current window began.  The estimate assumes prev's hits were spread
 * evenly; it never lets more than limit hits through in any one fixed
 * window of a key, nor more than 2 * limit in any window_s span.  A key
 * is blocked while the estimate is >= limit.
 *
 * A key's windows are [phase + k * window_s, phase + (k + 1) * window_s)
 * for whole k, the window index; the phase (0 .. window_s - 1) comes from
 * the key's digest, so every node computes the same windows and keys do
 * not all unblock on the same second.
 *
 * Hits beyond limit in one window are not counted: the key is blocked
 * until that window ends whatever the excess, and the cap keeps every
 * Retry-After at most window_s and the arithmetic far from overflow.
 */
#ifndef POSTERN_AUTHD_RATELIMIT_H
#define POSTERN_AUTHD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

#define RATELIMIT_LIMIT_MAX 1000000u
#define RATELIMIT_WINDOW_MAX (366u * 86400u)
#define RATELIMIT_DIGEST_LEN SHA256_DIGEST_LENGTH

/* The stored form of a counted string: its SHA-256. */
void ratelimit_digest(const char *key, unsigned char md[RATELIMIT_DIGEST_LEN]);

/* The phase of a key's windows, 0 .. window_s - 1 (window_s > 0). */
unsigned ratelimit_phase(
    const unsigned char md[RATELIMIT_DIGEST_LEN], unsigned window_s);

/*
 * The window index of now_s and the whole seconds elapsed in it, for a key
 * of the given phase.
 */
int64_t ratelimit_window(
    int64_t now_s, unsigned phase, unsigned window_s, unsigned *elapsed);

/*
 * Given cur hits in the current window (capped at limit) and prev in the
 * one before, elapsed seconds into the current one: 0 if the key may
 * proceed, else the number of seconds (>= 1, <= window_s) until it may,
 * for Retry-After.  limit and window_s are at least 1.
 */
unsigned ratelimit_wait(unsigned limit, unsigned window_s, uint32_t cur,
    uint32_t prev, unsigned elapsed);

#endif
