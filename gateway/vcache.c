#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"
#include "gateway/vcache.h"

struct ventry {
	struct ventry *ve_next;
	uint64_t ve_hash;
	struct vclaims ve_claims;
	size_t ve_len;
	char ve_tok[]; /* ve_len bytes */
};

struct vcache {
	struct ventry **vc_buckets;
	size_t vc_nbuckets; /* a power of two */
	size_t vc_count;
	size_t vc_cap;
	uint64_t vc_seed;
};

/* FNV-1a from a random start: the bucket of a token cannot be chosen. */
static uint64_t
vc_hash(const struct vcache *vc, const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ vc->vc_seed;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

struct vcache *
vcache_new(size_t cap)
{
	struct vcache *vc;
	size_t nb = 16;

	if (cap == 0 || (vc = calloc(1, sizeof(*vc))) == NULL)
		return NULL;
	while (nb < cap && nb < ((size_t)1 << 24))
		nb <<= 1;
	if ((vc->vc_buckets = calloc(nb, sizeof(*vc->vc_buckets))) == NULL ||
	    random_bytes(&vc->vc_seed, sizeof(vc->vc_seed)) == -1) {
		free(vc->vc_buckets);
		free(vc);
		return NULL;
	}
	vc->vc_nbuckets = nb;
	vc->vc_cap = cap;
	return vc;
}

static void
ventry_free(struct ventry *e)
{
	OPENSSL_cleanse(e->ve_tok, e->ve_len);
	free(e);
}

void
vcache_flush(struct vcache *vc)
{
	struct ventry *e, *next;
	size_t i;

	for (i = 0; i < vc->vc_nbuckets; i++) {
		for (e = vc->vc_buckets[i]; e != NULL; e = next) {
			next = e->ve_next;
			ventry_free(e);
		}
		vc->vc_buckets[i] = NULL;
	}
	vc->vc_count = 0;
}

void
vcache_free(struct vcache *vc)
{
	if (vc == NULL)
		return;
	vcache_flush(vc);
	free(vc->vc_buckets);
	free(vc);
}

int
vcache_get(struct vcache *vc, const char *tok, size_t len, int64_t now,
    struct vclaims *out)
{
	uint64_t h = vc_hash(vc, tok, len);
	struct ventry **pp, *e;

	for (pp = &vc->vc_buckets[h & (vc->vc_nbuckets - 1)]; (e = *pp) != NULL;
	     pp = &e->ve_next) {
		if (e->ve_hash != h || e->ve_len != len ||
		    CRYPTO_memcmp(e->ve_tok, tok, len) != 0)
			continue;
		if (now >= e->ve_claims.vc_exp) {
			*pp = e->ve_next;
			ventry_free(e);
			vc->vc_count--;
			return 0;
		}
		*out = e->ve_claims;
		return 1;
	}
	return 0;
}

void
vcache_put(
    struct vcache *vc, const char *tok, size_t len, const struct vclaims *c)
{
	struct vclaims tmp;
	struct ventry *e;
	uint64_t h;

	if (len == 0 || len > VCACHE_TOKEN_MAX ||
	    vcache_get(vc, tok, len, INT64_MIN, &tmp))
		return;
	if (vc->vc_count >= vc->vc_cap)
		vcache_flush(vc);
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return;
	h = vc_hash(vc, tok, len);
	e->ve_hash = h;
	e->ve_claims = *c;
	e->ve_len = len;
	memcpy(e->ve_tok, tok, len);
	e->ve_next = vc->vc_buckets[h & (vc->vc_nbuckets - 1)];
	vc->vc_buckets[h & (vc->vc_nbuckets - 1)] = e;
	vc->vc_count++;
}

void
vcache_revoke_sid(struct vcache *vc, const char *sid)
{
	struct ventry **pp, *e;
	size_t i;

	for (i = 0; i < vc->vc_nbuckets && vc->vc_count > 0; i++) {
		pp = &vc->vc_buckets[i];
		while ((e = *pp) != NULL) {
			if (strcmp(e->ve_claims.vc_sid, sid) == 0) {
				*pp = e->ve_next;
				ventry_free(e);
				vc->vc_count--;
			} else
				pp = &e->ve_next;
		}
	}
}

size_t
vcache_count(const struct vcache *vc)
{
	return vc->vc_count;
}
