/*
 * The gateway's cache of authd's positive verifications: token -> claims,
 * until the token's exp.  It is only an echo of authd's answers and holds
 * nothing authd would not say again: authd pushes every revocation
 * (IPC_EVT_REVOKED) before any later answer, the cache is flushed whenever
 * the connection to authd drops or authd stops answering its heartbeat, and
 * only tokens authd vouched for are ever stored.  Pure data structure.
 */
#ifndef POSTERN_GATEWAY_VCACHE_H
#define POSTERN_GATEWAY_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#define VCACHE_FIELD_MAX 128
#define VCACHE_TOKEN_MAX 4096

struct vclaims {
	char vc_sub[VCACHE_FIELD_MAX];
	char vc_sid[VCACHE_FIELD_MAX];
	char vc_tbl[VCACHE_FIELD_MAX];
	int64_t vc_exp;
};

struct vcache;

/* cap: entries held at most; when full the cache starts over (bounded
 * memory, and a flood of valid tokens only costs round trips). */
struct vcache *vcache_new(size_t cap);
void vcache_free(struct vcache *vc);
/* 1 and the claims if tok is cached and now < exp; else 0. */
int vcache_get(struct vcache *vc, const char *tok, size_t len, int64_t now,
    struct vclaims *out);
/* Stores a verification; a token over VCACHE_TOKEN_MAX is not stored. */
void vcache_put(
    struct vcache *vc, const char *tok, size_t len, const struct vclaims *c);
/* Drops every token of session sid. */
void vcache_revoke_sid(struct vcache *vc, const char *sid);
void vcache_flush(struct vcache *vc);
size_t vcache_count(const struct vcache *vc);

#endif
