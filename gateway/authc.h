/*
 * The gateway's side of the authd socket.  authc_*() here mirror
 * authd_answer_*() in authd/dispatch.c; the wire is common/ipc.h, and no
 * caller sees it: as OpenSSH's mm_*() wrappers do, each authc_*() encodes
 * its request and hands its callback a typed result, decoded here.
 * One persistent connection carries many requests, told apart by request
 * id; it reconnects with backoff.  Every request has a deadline, and the
 * number in flight is capped.  Failure is deny: the callback then gets
 * AUTHC_UNAVAILABLE, AUTHC_TIMEOUT or AUTHC_BADANSWER and no result, and the
 * caller answers 503.
 */
#ifndef POSTERN_GATEWAY_AUTHC_H
#define POSTERN_GATEWAY_AUTHC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

enum authc_status {
	AUTHC_OK = 0,      /* answered: the result is there */
	AUTHC_UNAVAILABLE, /* not connected, or the connection dropped */
	AUTHC_TIMEOUT,     /* no answer within the deadline */
	/* authd answered something other than what was asked: a malformed
	 * answer (logged), or a refusal of a ping or a verification (a
	 * verification before authd has loaded its revocations). */
	AUTHC_BADANSWER
};

/*
 * Results.  Each is valid only during the callback; its strings are
 * NUL-terminated, owned by authc.
 */

/* authd's own readiness (ANS_PING). */
struct authc_health {
	int ah_db_ok;          /* its database answers */
	int ah_listen_ok;      /* its revocation LISTEN is established */
	const char *ah_reason; /* why not; "" when both are 1 */
};

enum authc_verdict {
	AUTHC_VALID = 0, /* the claims below are good */
	AUTHC_INVALID,
	AUTHC_EXPIRED,
	AUTHC_REVOKED
};

/* A token's verification (ANS_VERIFY): the claims, or a refusal. */
struct authc_claims {
	enum authc_verdict acl_verdict;
	const char *acl_sub;    /* user id; "" unless AUTHC_VALID */
	const char *acl_sid;    /* session id; "" unless AUTHC_VALID */
	const char *acl_tbl;    /* auth table; "" unless AUTHC_VALID */
	int64_t acl_exp;        /* the token's exp (epoch s); 0 unless valid */
	const char *acl_reason; /* why it failed; "" when valid */
};

/*
 * An auth operation's answer, to relay to the client: authd's response
 * (ANS_AUTH: status 200 to 599, body, Retry-After), or its refusal of the
 * request (ANS_ERROR: status 400 to 599 and a message; no body).
 */
struct authc_reply {
	int arp_status;
	uint32_t arp_retry_after; /* seconds for Retry-After; 0 = none */
	const char *arp_body;     /* the JSON body, verbatim; NULL if refused */
	size_t arp_bodylen;
	const char *arp_error; /* authd's message if refused, else NULL */
};

/* On AUTHC_OK the result is non-NULL; otherwise it is NULL. */
typedef void (*authc_ping_cb)(
    enum authc_status st, const struct authc_health *ah, void *arg);
typedef void (*authc_verify_cb)(
    enum authc_status st, const struct authc_claims *cl, void *arg);
typedef void (*authc_auth_cb)(
    enum authc_status st, const struct authc_reply *rp, void *arg);

/* Told of every request once it ends (answered, timed out or failed with
 * the connection): st as its callback gets it, usec since it was sent. */
typedef void (*authc_observer)(int st, int64_t usec);

struct authc;

struct authc *authc_new(struct event_base *base, const char *path,
    long timeout_ms, long max_pending);
void authc_free(struct authc *ac);
int authc_connected(const struct authc *ac);
/* The gateway's metrics watch round trips through this; NULL for none. */
void authc_set_observer(struct authc *ac, authc_observer obs);

/* Each returns the request id (never 0) or 0 if the request could not even
 * be queued (or is over common/ipc.h's limits); then the callback is not
 * called. */
uint32_t authc_ping(struct authc *ac, authc_ping_cb cb, void *arg);
uint32_t authc_verify(struct authc *ac, const char *tok, size_t len,
    authc_verify_cb cb, void *arg);
uint32_t authc_auth(struct authc *ac, const char *op, const char *table,
    const char *client, const char *ua, const char *bearer, const char *param,
    const char *body, size_t bodylen, authc_auth_cb cb, void *arg);
/*
 * Revocation events: cb(sid) for IPC_EVT_REVOKED, cb("") for "forget
 * everything", and cb(NULL) when the connection drops.
 */
void authc_set_event_cb(
    struct authc *ac, void (*cb)(const char *, void *), void *arg);
/* Connected, and authd answered a heartbeat within the last second: only
 * then may answers it gave earlier be reused. */
int authc_fresh(struct authc *ac);
/* Forgets a pending request: its callback will not be called. */
void authc_cancel(struct authc *ac, uint32_t id);

#endif
