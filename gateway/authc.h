/*
 * The gateway's side of the authd socket.  authc_*() here mirror
 * authd_answer_*() in authd/dispatch.c; the wire is common/ipc.h.
 * One persistent connection carries many requests, told apart by request
 * id; it reconnects with backoff.  Every request has a deadline, and the
 * number in flight is capped.  Failure is deny: the callback then gets
 * AUTHC_UNAVAILABLE or AUTHC_TIMEOUT and the caller answers 503/504.
 */
#ifndef POSTERN_GATEWAY_AUTHC_H
#define POSTERN_GATEWAY_AUTHC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/ipc.h"

enum authc_status { AUTHC_OK = 0, AUTHC_UNAVAILABLE, AUTHC_TIMEOUT };

/* On AUTHC_OK, h and cur describe the answer frame (valid only during the
 * call). */
typedef void (*authc_cb)(enum authc_status st, const struct ipc_hdr *h,
    struct ipc_cur *cur, void *arg);

struct authc;

struct authc *authc_new(struct event_base *base, const char *path,
    long timeout_ms, long max_pending);
void authc_free(struct authc *ac);
int authc_connected(const struct authc *ac);

/* Each returns the request id (never 0) or 0 if the request could not even
 * be queued; then the callback is not called. */
uint32_t authc_ping(struct authc *ac, authc_cb cb, void *arg);
uint32_t authc_verify(
    struct authc *ac, const char *tok, size_t len, authc_cb cb, void *arg);
uint32_t authc_auth(struct authc *ac, const char *op, const char *table,
    const char *client, const char *ua, const char *bearer, const char *param,
    const char *body, size_t bodylen, authc_cb cb, void *arg);
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
