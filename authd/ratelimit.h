/*
 * In-memory rate limits keyed by a string (an email, a client address).
 * Pure logic, no I/O: the caller supplies the time.  Thread-safe: every
 * call takes the limiter's mutex.
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
 * is blocked while the estimate is >= limit.  Per-key windows start at the
 * key's first hit, so keys do not all unblock on the same second.
 *
 * Hits beyond limit in one window are not counted: the key is blocked
 * until that window ends whatever the excess, and the cap keeps every
 * Retry-After at most window_s and the arithmetic far from overflow.
 *
 * Memory is bounded by max_keys: inserting a new key into a full limiter
 * evicts the least recently hit key.  An attacker who can hit max_keys
 * distinct keys can therefore push out another key's counter; size
 * max_keys well above the number of keys live in one window.
 */
#ifndef POSTERN_AUTHD_RATELIMIT_H
#define POSTERN_AUTHD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Keys longer than this many bytes are replaced by their SHA-256 (kept
 * apart from short keys that happen to equal such a digest), so two long
 * keys never share a counter by sharing a prefix.
 */
#define RATELIMIT_KEY_MAX 320
#define RATELIMIT_LIMIT_MAX 1000000u
#define RATELIMIT_WINDOW_MAX (366u * 86400u)
#define RATELIMIT_KEYS_MAX ((size_t)1 << 22)

struct ratelimit;

/*
 * Allows limit hits per window_s seconds per key and remembers at most
 * max_keys keys.  NULL with errno EINVAL if a parameter is 0 or above its
 * _MAX, ENOMEM, or EIO if the hash seed cannot be drawn.
 */
struct ratelimit *ratelimit_new(
    unsigned limit, unsigned window_s, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/*
 * Returns 0 if key may proceed at now_s, else the number of seconds (>= 1,
 * <= window_s) until it may, for Retry-After.  Does not count a hit.
 */
unsigned ratelimit_check(struct ratelimit *rl, const char *key, int64_t now_s);

/*
 * Counts one hit (e.g. one failed login) for key.  If no memory is left
 * for a new key the hit is dropped: the limiter fails open rather than
 * refusing everyone while the process is out of memory anyway.
 */
void ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_s);

/* Forgets key, e.g. the per-email counter after a successful login. */
void ratelimit_reset(struct ratelimit *rl, const char *key);

/* Number of keys held, for tests and statistics. */
size_t ratelimit_count(struct ratelimit *rl);

#endif
