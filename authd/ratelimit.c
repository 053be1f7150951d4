/*
 * The arithmetic of authd's rate limits; see ratelimit.h.
 */
#include <string.h>

#include <openssl/sha.h>

#include "authd/ratelimit.h"

void
ratelimit_digest(const char *key, unsigned char md[RATELIMIT_DIGEST_LEN])
{
	SHA256((const unsigned char *)key, strlen(key), md);
}

unsigned
ratelimit_phase(const unsigned char md[RATELIMIT_DIGEST_LEN], unsigned window_s)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | md[i];
	return (unsigned)(v % window_s);
}

int64_t
ratelimit_window(
    int64_t now_s, unsigned phase, unsigned window_s, unsigned *elapsed)
{
	int64_t x = now_s - (int64_t)phase, w = (int64_t)window_s, k;

	/* Floor division: a clock before the epoch is still well-defined. */
	k = x / w;
	if (x % w < 0)
		k--;
	*elapsed = (unsigned)(x - k * w);
	return k;
}

unsigned
ratelimit_wait(unsigned limit, unsigned window_s, uint32_t cur, uint32_t prev,
    unsigned elapsed)
{
	uint64_t w = window_s, lim = limit, el = elapsed, d, need;

	if (cur > lim)
		cur = (uint32_t)lim;
	if (el >= w)
		el = w - 1;
	if (cur >= lim)
		/*
		 * Blocked until this window ends; cur is capped at the limit,
		 * so in the next window prev's weight (w - 1 - el) / w already
		 * brings the estimate below the limit at el = 0.
		 */
		return (unsigned)(w - el);
	if (prev == 0)
		return 0;
	if (prev > lim)
		prev = (uint32_t)lim;
	/*
	 * Smallest el with prev * (w - 1 - el) < (lim - cur) * w, that is
	 * w - 1 - el <= ceil(d / prev) - 1.  The products stay below 2^46.
	 */
	d = (lim - cur) * w;
	need = (d + prev - 1) / prev;
	need = need >= w ? 0 : w - need;
	return need > el ? (unsigned)(need - el) : 0;
}
