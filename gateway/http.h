/*
 * The gateway's request/response API.  http.c owns connections and the
 * life of each request on them: it alone changes a request's state, it
 * alone frees a request, and it sends at most one response per request.
 * Handlers (handlers.c and the modules it calls) read the request, build
 * the response in it and hand it back with req_respond() or req_error().
 *
 * A request waits on at most one backend at a time (authd, the pool, the
 * /readyz checks).  The backend's caller registers that wait with
 * req_wait(), naming a cancel hook; the backend's callback ends the wait
 * with req_resume() before it does anything else.  Should the request end
 * first (the client went away, or a response was given meanwhile), http.c
 * calls the hook, so that the backend never calls back into a request
 * that is gone, and http.c needs to know no backend by name.
 *
 * A connection that must close while a handler's frames are on the stack
 * (req_drop) is freed from the event loop afterwards, never under them:
 * an answer from authd can run other requests' callbacks in the middle of
 * a handler (authc_fresh), so no handler may assume it is alone.
 */
#ifndef POSTERN_GATEWAY_HTTP_H
#define POSTERN_GATEWAY_HTTP_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "common/buf.h"
#include "gateway/httpparse.h"

struct crud;
struct gw;
struct route;
struct routes;

/* A request's life, printable in logs (memcached's conn_states). */
enum req_state {
	RS_HEAD,  /* reading the request head */
	RS_BODY,  /* reading the body */
	RS_RUN,   /* a handler has it, between waits */
	RS_AUTH,  /* waiting for authd */
	RS_DB,    /* waiting for PostgreSQL */
	RS_WRITE, /* response queued, being written */
	RS_STATES
};
const char *req_state_name(enum req_state s);

/* A set of methods, as in Allow: one bit per enum http_method. */
#define HTTP_METHOD_BIT(m) (1u << (unsigned)(m))
#define HTTP_GET_HEAD (HTTP_METHOD_BIT(HM_GET) | HTTP_METHOD_BIT(HM_HEAD))
/* "GET, HEAD": the methods of mask in Allow's form; -1 if cap is short. */
int http_allow_list(unsigned mask, char *out, size_t cap);

/*
 * Forgets the operation a request waits on (arg and id are what was given
 * to req_wait): after it returns, the backend must not call back.
 */
typedef void (*req_cancel_fn)(void *arg, uint32_t id);

struct req {
	struct hconn *rq_conn;
	enum req_state rq_state; /* written by http.c only */
	/* What the request waits on while in RS_AUTH or RS_DB. */
	req_cancel_fn rq_cancel;
	void *rq_cancel_arg;
	uint32_t rq_cancel_id;
	struct http_head rq_head;
	struct http_chunked rq_chunked;
	struct buf rq_body;
	size_t rq_body_charge; /* rq_body's capacity, counted in gw_body_mem */
	size_t rq_body_max;    /* body_limit, or less for the route */
	int rq_body_unread;    /* a body follows the head, not all read yet */
	char rq_id[72];
	char rq_client[64]; /* the client's address (trusted_proxies applied) */
	int64_t rq_start_ms;
	/* What handlers.c made of it: its route, and the caller's claims
	 * once verified (the data handler and the log read them). */
	int rq_headed;            /* handle_head() ran (CORS, route, token) */
	struct routes *rq_routes; /* reference held while in flight */
	const struct route *rq_route;
	char rq_idseg[128];
	int rq_verified; /* rq_sub/rq_sid/rq_tbl hold verified claims */
	char rq_sub[128];
	char rq_sid[128];
	char rq_tbl[128];
	struct crud *rq_crud; /* the data handler's state, owned by crud.c */
	/* The response. */
	int rq_status;
	const char *rq_ctype; /* static string; NULL means JSON */
	struct buf rq_rhdrs;  /* extra header lines, CRLF-terminated */
	struct buf rq_rbody;
};

/* A client connection: http.c's own; the other modules read hc_gw only. */
struct hconn {
	TAILQ_ENTRY(hconn) hc_entry;
	TAILQ_ENTRY(hconn) hc_idle_entry; /* in gw_idle while hc_idle */
	TAILQ_ENTRY(hconn) hc_dead_entry; /* in gw_dead while hc_dead */
	int hc_idle;
	int hc_dead; /* to be freed from the event loop (req_drop) */
	struct gw *hc_gw;
	struct bufferevent *hc_bev;
	struct event *hc_timer;
	char hc_addr[64];
	int hc_close;     /* close after the current response */
	int hc_lingering; /* response sent; discarding input until close */
	struct req *hc_req;
};

int http_listen(struct gw *gw);
void http_close_listener(struct gw *gw);
/* Frees every connection (at exit), those awaiting req_drop's free too. */
void http_close_all(struct gw *gw);
/* SIGTERM: closes idle connections; the others close after their response. */
void http_drain(struct gw *gw);

/*
 * Queues the response held in rq (rq_status, rq_rhdrs, rq_rbody) and ends
 * any wait (its cancel hook runs).  Returns 0, or -1 and logs when rq was
 * answered already or its connection dropped: a request has one response.
 */
int req_respond(struct req *rq);
/* Builds a JSON error response and sends it (req_respond). */
int req_error(struct req *rq, int status, const char *code, const char *msg);
int req_add_header(struct req *rq, const char *name, const char *value);
/*
 * Answers 405 with Allow unless rq's method is in methods (a mask of
 * HTTP_METHOD_BIT()); 1 when it answered.
 */
int req_refuse_method(struct req *rq, unsigned methods);
/* The request's Content-Type is application/json (any parameters). */
int req_type_is_json(const struct req *rq);

/*
 * rq now waits on a backend (st is RS_AUTH or RS_DB): until req_resume(),
 * cancel(arg, id) is called if the request ends first.  A request waits on
 * one backend at a time; a second wait is a broken invariant (fatal).
 */
void req_wait(struct req *rq, enum req_state st, req_cancel_fn cancel,
    void *arg, uint32_t id);
/* The backend answered: the wait is over, its hook is not called. */
void req_resume(struct req *rq);
/*
 * Closes rq's connection without (another) response: the wait is
 * cancelled now, the request and its connection are freed from the event
 * loop, so rq stays valid until the caller returns.
 */
void req_drop(struct req *rq);

/*
 * Continues a request held by handle_head() (its token verified while the
 * body waited in the socket): reads the body, then handle_request().
 */
void req_read_body(struct req *rq);

#endif
