#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "authd/revoked.h"

#define RV_MIN_BUCKETS 64

struct rv_entry {
	struct rv_entry *ve_next;
	uint64_t ve_hash;
	int64_t ve_until; /* expires_at + grace: a token may still be live */
	size_t ve_len;
	char ve_sid[REVOKED_SID_MAX + 1];
};

struct revoked {
	pthread_rwlock_t rv_lock;
	struct rv_entry **rv_buckets;
	size_t rv_nbuckets; /* a power of two */
	size_t rv_count;
	uint64_t rv_seed;
};

/*
 * FNV-1a from a random offset.  Session ids are uuids authd generated,
 * read back from our own database; nobody outside chooses them, so a
 * keyed hash such as SipHash buys nothing here.
 */
static uint64_t
rv_hash(const struct revoked *rv, const char *s, size_t n)
{
	uint64_t h = rv->rv_seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Length of a valid sid, or 0 if it is empty or too long. */
static size_t
rv_sidlen(const char *sid)
{
	size_t n = strnlen(sid, REVOKED_SID_MAX + 1);

	return n > REVOKED_SID_MAX ? 0 : n;
}

static int64_t
rv_until(int64_t expires_at)
{
	return expires_at > INT64_MAX - REVOKED_GRACE_S
	           ? INT64_MAX
	           : expires_at + REVOKED_GRACE_S;
}

struct revoked *
revoked_new(void)
{
	struct revoked *rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return NULL;
	if ((rv->rv_buckets =
	            calloc(RV_MIN_BUCKETS, sizeof(*rv->rv_buckets))) == NULL)
		goto fail;
	rv->rv_nbuckets = RV_MIN_BUCKETS;
	/* Without randomness the constant FNV offset does as well. */
	if (random_bytes(&rv->rv_seed, sizeof(rv->rv_seed)) == -1)
		rv->rv_seed = 0xcbf29ce484222325ULL;
	if ((errno = pthread_rwlock_init(&rv->rv_lock, NULL)) != 0)
		goto fail;
	return rv;
fail:
	free(rv->rv_buckets);
	free(rv);
	return NULL;
}

void
revoked_free(struct revoked *rv)
{
	struct rv_entry *e, *next;
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->rv_nbuckets; i++)
		for (e = rv->rv_buckets[i]; e != NULL; e = next) {
			next = e->ve_next;
			free(e);
		}
	pthread_rwlock_destroy(&rv->rv_lock);
	free(rv->rv_buckets);
	free(rv);
}

static struct rv_entry *
rv_find(const struct revoked *rv, const char *sid, size_t n, uint64_t h)
{
	struct rv_entry *e;

	for (e = rv->rv_buckets[h & (rv->rv_nbuckets - 1)]; e != NULL;
	     e = e->ve_next)
		if (e->ve_hash == h && e->ve_len == n &&
		    memcmp(e->ve_sid, sid, n) == 0)
			return e;
	return NULL;
}

/*
 * Doubles the table.  A failed allocation leaves the old table, which
 * still works, only with longer chains.
 */
static void
rv_grow(struct revoked *rv)
{
	struct rv_entry **nb, *e, *next;
	size_t i, n = rv->rv_nbuckets * 2;

	if (rv->rv_nbuckets > SIZE_MAX / 2 / sizeof(*nb) ||
	    (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < rv->rv_nbuckets; i++)
		for (e = rv->rv_buckets[i]; e != NULL; e = next) {
			next = e->ve_next;
			e->ve_next = nb[e->ve_hash & (n - 1)];
			nb[e->ve_hash & (n - 1)] = e;
		}
	free(rv->rv_buckets);
	rv->rv_buckets = nb;
	rv->rv_nbuckets = n;
}

int
revoked_add(struct revoked *rv, const char *sid, int64_t expires_at)
{
	struct rv_entry *e;
	size_t n;
	uint64_t h;
	int64_t until = rv_until(expires_at);
	int ret = -1;

	if ((n = rv_sidlen(sid)) == 0) {
		errno = EINVAL;
		return -1;
	}
	h = rv_hash(rv, sid, n);
	pthread_rwlock_wrlock(&rv->rv_lock);
	if ((e = rv_find(rv, sid, n, h)) != NULL) {
		if (until > e->ve_until)
			e->ve_until = until;
	} else {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			goto fail;
		memcpy(e->ve_sid, sid, n);
		e->ve_len = n;
		e->ve_hash = h;
		e->ve_until = until;
		if (rv->rv_count >= rv->rv_nbuckets)
			rv_grow(rv);
		e->ve_next = rv->rv_buckets[h & (rv->rv_nbuckets - 1)];
		rv->rv_buckets[h & (rv->rv_nbuckets - 1)] = e;
		rv->rv_count++;
	}
	ret = 0;
fail:
	pthread_rwlock_unlock(&rv->rv_lock);
	return ret;
}

int
revoked_contains(struct revoked *rv, const char *sid, int64_t now)
{
	struct rv_entry *e;
	size_t n;
	int found;

	if ((n = rv_sidlen(sid)) == 0)
		return 0;
	pthread_rwlock_rdlock(&rv->rv_lock);
	e = rv_find(rv, sid, n, rv_hash(rv, sid, n));
	found = e != NULL && now < e->ve_until;
	pthread_rwlock_unlock(&rv->rv_lock);
	return found;
}

size_t
revoked_sweep(struct revoked *rv, int64_t now)
{
	struct rv_entry **pp, *e;
	size_t i, left;

	pthread_rwlock_wrlock(&rv->rv_lock);
	for (i = 0; i < rv->rv_nbuckets; i++) {
		pp = &rv->rv_buckets[i];
		while ((e = *pp) != NULL) {
			if (now >= e->ve_until) {
				*pp = e->ve_next;
				free(e);
				rv->rv_count--;
			} else
				pp = &e->ve_next;
		}
	}
	left = rv->rv_count;
	pthread_rwlock_unlock(&rv->rv_lock);
	return left;
}
