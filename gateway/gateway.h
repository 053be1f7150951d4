/*
 * postern-gateway: shared state.  http.c owns connections and the request
 * life cycle, handlers.c decides what a request means, authc.c talks to
 * authd, db.c is the asynchronous PostgreSQL pool, routes.c the route table.
 */
#ifndef POSTERN_GATEWAY_H
#define POSTERN_GATEWAY_H

#include <sys/queue.h>

#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/bufferevent.h>

#include "common/buf.h"
#include "common/config.h"
#include "gateway/httpparse.h"
#include "gateway/routes.h"

struct authc;
struct dbpool;
struct dbq;
struct hconn;

/* A request's life, printable in logs (memcached's conn_states). */
enum req_state {
	RS_HEAD,  /* reading the request head */
	RS_BODY,  /* reading the body */
	RS_AUTH,  /* waiting for authd */
	RS_DB,    /* waiting for PostgreSQL */
	RS_WRITE, /* response queued, being written */
	RS_STATES
};
const char *req_state_name(enum req_state s);

struct gw {
	struct event_base *gw_base;
	struct config gw_cf;
	struct evconnlistener *gw_listener;
	TAILQ_HEAD(, hconn) gw_conns;
	size_t gw_nconns;
	/* Connections between requests, longest idle first (http.c). */
	TAILQ_HEAD(, hconn) gw_idle;
	size_t
	    gw_body_mem; /* bytes held by bodies in flight (rq_body_charge) */
	int gw_listener_paused;
	int gw_draining;
	struct authc *gw_authc;
	struct trusted_proxies *gw_proxies; /* whose X-Forwarded-For counts */
	struct vcache *gw_vcache;           /* authd's verifications, or NULL */
	struct cors *gw_cors; /* allowed browser origins (cors.c) */
	struct dbpool *gw_db;
	struct routes *gw_routes; /* NULL until loaded */
	struct event *gw_routes_retry;
	int gw_routes_loading;
	int gw_routes_again;
	char gw_dbpass[256];
	struct event *gw_sigterm;
	struct event *gw_sigint;
	struct event *gw_sighup;
};

struct req {
	struct hconn *rq_conn;
	enum req_state rq_state;
	struct http_head rq_head;
	struct http_chunked rq_chunked;
	struct buf rq_body;
	size_t rq_body_charge; /* rq_body's capacity, counted in gw_body_mem */
	size_t rq_body_max;    /* body_limit, or less for the route */
	int rq_body_unread;    /* a body follows the head, not all read yet */
	int rq_headed;         /* handle_head() ran (CORS, route, token) */
	int rq_verified;       /* rq_sub/rq_sid/rq_tbl hold verified claims */
	char rq_id[72];
	char rq_client[64]; /* the client's address (trusted_proxies applied) */
	int64_t rq_start_ms;
	struct routes *rq_routes; /* reference held while in flight */
	const struct route *rq_route;
	char rq_idseg[128];
	char rq_sub[128]; /* the caller's claims, once verified */
	char rq_sid[128];
	char rq_tbl[128];
	struct crud *rq_crud; /* data operation state (crud.c) */
	uint32_t rq_authc_id; /* pending authd request, 0 if none */
	struct dbq *rq_dbq;   /* pending query, NULL if none */
	int rq_pending_ping;  /* /readyz: answers still awaited */
	int rq_ready_db;
	int rq_ready_authd;
	struct readyz *rq_readyz; /* /readyz: its deadline and findings */
	/* The response. */
	int rq_status;
	const char *rq_ctype; /* static string; NULL means JSON */
	struct buf rq_rhdrs;  /* extra header lines, CRLF-terminated */
	struct buf rq_rbody;
};

struct hconn {
	TAILQ_ENTRY(hconn) hc_entry;
	TAILQ_ENTRY(hconn) hc_idle_entry; /* in gw_idle while hc_idle */
	int hc_idle;
	struct gw *hc_gw;
	struct bufferevent *hc_bev;
	struct event *hc_timer;
	char hc_addr[64];
	int hc_close;     /* close after the current response */
	int hc_lingering; /* response sent; discarding input until close */
	struct req *hc_req;
};

/* http.c */
int http_listen(struct gw *gw);
void http_close_listener(struct gw *gw);
void http_close_all(struct gw *gw);
/* SIGTERM: closes idle connections; the others close after their response. */
void http_drain(struct gw *gw);
/* Queues the response held in req (rq_status, rq_rhdrs, rq_rbody). */
void req_respond(struct req *rq);
/* Builds a JSON error response and sends it. */
void req_error(struct req *rq, int status, const char *code, const char *msg);
int req_add_header(struct req *rq, const char *name, const char *value);

/*
 * Continues a request held by handle_head() (its token verified while the
 * body waited in the socket): reads the body, then handle_request().
 */
void req_read_body(struct req *rq);

/* handlers.c */
/*
 * Called once the head of a request with a body is read, before any of
 * the body: answers at once what needs no body (no usable bearer token on
 * a protected route: 401; a body too large for the route: 413), and has a
 * token verified before the body is read.  Returns 1 to read the body
 * now; 0 when it answered (the connection then closes) or is waiting for
 * authd, and will call req_read_body() or answer.
 */
int handle_head(struct req *rq);
void handle_request(struct req *rq);
void handle_abort(struct req *rq);

/* metrics.c: GET /metrics, and the counters it reports. */
void metrics_handle(struct req *rq);
/* Called once per finished request (http.c, when its response is
 * queued). */
void metrics_request_done(struct req *rq);
/* authc's observer (set by main.c), told once per request to authd: st is
 * its enum authc_status, usec the time since it was sent. */
void metrics_authd_done(int st, int64_t usec);
/* The bounded label a request is counted and logged under: its route
 * template, a fixed path such as "/healthz", "unmatched" or "malformed". */
const char *metrics_route_label(const struct req *rq);
/* CLOCK_MONOTONIC in microseconds. */
int64_t metrics_clock_us(void);

/* admin.c: /_admin/... (the builder API, API.md section 4). */
void admin_handle(struct req *rq);
/* Answers 401 unless the request carries the admin key: 1 if it answered.
 * handle_head() calls it too, so that no body is read without the key. */
int admin_refuse(struct req *rq);
/* Loads (or, if missing, creates) admin_key_file; logs why on -1. */
int admin_init(struct gw *gw);

/* console.c: /_console/... (the web console's static files). */
void console_handle(struct req *rq);

/* crud.c */
void crud_run(struct req *rq);
void crud_abort(struct req *rq);

/* registry.c */
int registry_init(struct gw *gw);
void registry_reload(struct gw *gw);

#endif
