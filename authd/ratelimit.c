#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/util.h"
#include "authd/ratelimit.h"

struct rl_entry {
	struct rl_entry *re_chain;    /* next in the hash bucket */
	TAILQ_ENTRY(rl_entry) re_lru; /* head: most recently hit */
	uint64_t re_hash;
	int64_t re_start;   /* start of the current window */
	int64_t re_touched; /* time of the last hit */
	uint32_t re_prev;   /* hits in the window before re_start */
	uint32_t re_cur;    /* hits since re_start, at most the limit */
	uint16_t re_keylen;
	uint8_t re_digest; /* re_key is the SHA-256 of a long key */
	unsigned char re_key[];
};

TAILQ_HEAD(rl_lru, rl_entry);

struct ratelimit {
	pthread_mutex_t rl_mtx;
	struct rl_entry **rl_buckets;
	size_t rl_nbuckets; /* a power of two */
	size_t rl_count;
	size_t rl_max;
	struct rl_lru rl_lru;
	uint64_t rl_seed[2]; /* SipHash key, random per limiter */
	uint32_t rl_limit;
	uint32_t rl_window;
};

/* A key as stored: its bytes or, if too long, its digest. */
struct rl_key {
	const unsigned char *rk_p;
	size_t rk_len;
	int rk_digest;
	unsigned char rk_md[SHA256_DIGEST_LENGTH];
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = ROTL(v1, 13);                                             \
		v1 ^= v0;                                                      \
		v0 = ROTL(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = ROTL(v3, 16);                                             \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = ROTL(v3, 21);                                             \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = ROTL(v1, 17);                                             \
		v1 ^= v2;                                                      \
		v2 = ROTL(v2, 32);                                             \
	} while (0)

static uint64_t
rl_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * SipHash-2-4 (Aumasson and Bernstein): keys are chosen by clients, so a
 * keyed hash stops them from filling one bucket on purpose.
 */
static uint64_t
rl_siphash(const uint64_t k[2], const unsigned char *p, size_t n, int tweak)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n & 7;

	/* Digest keys hash apart from raw keys with the same bytes. */
	v1 ^= (uint64_t)tweak;
	for (i = 0; i + 8 <= n; i += 8) {
		m = rl_le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	while (left > 0) {
		left--;
		b |= (uint64_t)p[i + left] << (8 * left);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static void
rl_key_init(struct rl_key *k, const char *key)
{
	size_t len = strnlen(key, RATELIMIT_KEY_MAX + 1);

	if (len > RATELIMIT_KEY_MAX) {
		SHA256((const unsigned char *)key, strlen(key), k->rk_md);
		k->rk_p = k->rk_md;
		k->rk_len = sizeof(k->rk_md);
		k->rk_digest = 1;
	} else {
		k->rk_p = (const unsigned char *)key;
		k->rk_len = len;
		k->rk_digest = 0;
	}
}

struct ratelimit *
ratelimit_new(unsigned limit, unsigned window_s, size_t max_keys)
{
	struct ratelimit *rl = NULL;
	size_t nb;

	if (limit == 0 || limit > RATELIMIT_LIMIT_MAX || window_s == 0 ||
	    window_s > RATELIMIT_WINDOW_MAX || max_keys == 0 ||
	    max_keys > RATELIMIT_KEYS_MAX) {
		errno = EINVAL;
		goto fail;
	}
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		goto fail;
	/* One bucket per key at most keeps chains short without resizing. */
	for (nb = 16; nb < max_keys; nb <<= 1)
		;
	if ((rl->rl_buckets = calloc(nb, sizeof(*rl->rl_buckets))) == NULL)
		goto fail;
	if (random_bytes(rl->rl_seed, sizeof(rl->rl_seed)) == -1)
		goto fail;
	if ((errno = pthread_mutex_init(&rl->rl_mtx, NULL)) != 0)
		goto fail;
	rl->rl_nbuckets = nb;
	rl->rl_max = max_keys;
	rl->rl_limit = limit;
	rl->rl_window = window_s;
	TAILQ_INIT(&rl->rl_lru);
	return rl;
fail:
	if (rl != NULL) {
		free(rl->rl_buckets);
		free(rl);
	}
	return NULL;
}

void
ratelimit_free(struct ratelimit *rl)
{
	struct rl_entry *e;

	if (rl == NULL)
		return;
	while ((e = TAILQ_FIRST(&rl->rl_lru)) != NULL) {
		TAILQ_REMOVE(&rl->rl_lru, e, re_lru);
		free(e);
	}
	pthread_mutex_destroy(&rl->rl_mtx);
	free(rl->rl_buckets);
	free(rl);
}

static struct rl_entry **
rl_slot(struct ratelimit *rl, const struct rl_key *k, uint64_t h)
{
	struct rl_entry **pp;

	for (pp = &rl->rl_buckets[h & (rl->rl_nbuckets - 1)]; *pp != NULL;
	     pp = &(*pp)->re_chain) {
		struct rl_entry *e = *pp;

		if (e->re_hash == h && e->re_digest == k->rk_digest &&
		    e->re_keylen == k->rk_len &&
		    memcmp(e->re_key, k->rk_p, k->rk_len) == 0)
			break;
	}
	return pp;
}

/* Unlinks and frees the entry *pp points to. */
static void
rl_drop(struct ratelimit *rl, struct rl_entry **pp)
{
	struct rl_entry *e = *pp;

	*pp = e->re_chain;
	TAILQ_REMOVE(&rl->rl_lru, e, re_lru);
	rl->rl_count--;
	free(e);
}

static void
rl_drop_entry(struct ratelimit *rl, struct rl_entry *victim)
{
	struct rl_entry **pp;

	pp = &rl->rl_buckets[victim->re_hash & (rl->rl_nbuckets - 1)];
	while (*pp != victim)
		pp = &(*pp)->re_chain;
	rl_drop(rl, pp);
}

/* Moves e's windows forward so that re_start <= now < re_start + window. */
static void
rl_roll(const struct ratelimit *rl, struct rl_entry *e, int64_t now)
{
	int64_t w = rl->rl_window;

	/* A clock that stepped back keeps the current window. */
	if (now < e->re_start || now - e->re_start < w)
		return;
	if (now - e->re_start < 2 * w) {
		e->re_prev = e->re_cur;
		e->re_start += w;
	} else {
		e->re_prev = 0;
		e->re_start = now;
	}
	e->re_cur = 0;
}

/*
 * Seconds from now until the estimate drops below the limit, 0 if it
 * already is.  Expects e rolled to now.
 */
static unsigned
rl_wait(const struct ratelimit *rl, const struct rl_entry *e, int64_t now)
{
	uint64_t w = rl->rl_window, lim = rl->rl_limit;
	uint64_t el, d, need;

	el = now > e->re_start ? (uint64_t)(now - e->re_start) : 0;
	if (e->re_cur >= lim)
		/*
		 * Blocked until this window ends; re_cur is capped at the
		 * limit, so in the next window prev's weight (w - 1 - el) / w
		 * already brings the estimate below the limit at el = 0.
		 */
		return (unsigned)(w - el);
	if (e->re_prev == 0)
		return 0;
	/*
	 * Smallest el with prev * (w - 1 - el) < (lim - cur) * w, that is
	 * w - 1 - el <= ceil(d / prev) - 1.  The products stay below 2^46.
	 */
	d = (lim - e->re_cur) * w;
	need = (d + e->re_prev - 1) / e->re_prev;
	need = need >= w ? 0 : w - need;
	return need > el ? (unsigned)(need - el) : 0;
}

unsigned
ratelimit_check(struct ratelimit *rl, const char *key, int64_t now_s)
{
	struct rl_entry **pp;
	struct rl_key k;
	unsigned wait = 0;

	rl_key_init(&k, key);
	pthread_mutex_lock(&rl->rl_mtx);
	pp = rl_slot(
	    rl, &k, rl_siphash(rl->rl_seed, k.rk_p, k.rk_len, k.rk_digest));
	if (*pp != NULL) {
		rl_roll(rl, *pp, now_s);
		wait = rl_wait(rl, *pp, now_s);
	}
	pthread_mutex_unlock(&rl->rl_mtx);
	return wait;
}

/* Nothing of e counts any more at now: both its windows have passed. */
static int
rl_expired(const struct ratelimit *rl, const struct rl_entry *e, int64_t now)
{
	return now > e->re_touched &&
	       now - e->re_touched >= 2 * (int64_t)rl->rl_window;
}

void
ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_s)
{
	struct rl_entry **pp, *e, *old;
	struct rl_key k;
	uint64_t h;

	rl_key_init(&k, key);
	h = rl_siphash(rl->rl_seed, k.rk_p, k.rk_len, k.rk_digest);
	pthread_mutex_lock(&rl->rl_mtx);
	pp = rl_slot(rl, &k, h);
	if ((e = *pp) != NULL) {
		rl_roll(rl, e, now_s);
		TAILQ_REMOVE(&rl->rl_lru, e, re_lru);
	} else {
		/*
		 * Expired keys at the cold end go first; then, if still full,
		 * the least recently hit live key makes room.
		 */
		while (
		    (old = TAILQ_LAST(&rl->rl_lru, rl_lru)) != NULL &&
		    (rl->rl_count >= rl->rl_max || rl_expired(rl, old, now_s)))
			rl_drop_entry(rl, old);
		if ((e = calloc(1, sizeof(*e) + k.rk_len)) == NULL)
			goto out;
		memcpy(e->re_key, k.rk_p, k.rk_len);
		e->re_keylen = (uint16_t)k.rk_len;
		e->re_digest = (uint8_t)k.rk_digest;
		e->re_hash = h;
		e->re_start = now_s;
		e->re_touched = now_s;
		/* Eviction may have changed the chain; link at its head. */
		pp = &rl->rl_buckets[h & (rl->rl_nbuckets - 1)];
		e->re_chain = *pp;
		*pp = e;
		rl->rl_count++;
	}
	if (e->re_cur < rl->rl_limit)
		e->re_cur++;
	if (now_s > e->re_touched)
		e->re_touched = now_s;
	TAILQ_INSERT_HEAD(&rl->rl_lru, e, re_lru);
out:
	pthread_mutex_unlock(&rl->rl_mtx);
}

void
ratelimit_reset(struct ratelimit *rl, const char *key)
{
	struct rl_entry **pp;
	struct rl_key k;

	rl_key_init(&k, key);
	pthread_mutex_lock(&rl->rl_mtx);
	pp = rl_slot(
	    rl, &k, rl_siphash(rl->rl_seed, k.rk_p, k.rk_len, k.rk_digest));
	if (*pp != NULL)
		rl_drop(rl, pp);
	pthread_mutex_unlock(&rl->rl_mtx);
}

size_t
ratelimit_count(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->rl_mtx);
	n = rl->rl_count;
	pthread_mutex_unlock(&rl->rl_mtx);
	return n;
}
