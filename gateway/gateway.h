/*
 * postern-gateway: the state the gateway's modules share (struct gw) and
 * their entry points.  http.c owns connections and the request life cycle
 * (its API is gateway/http.h), handlers.c decides what a request means,
 * builtin.c lists the built-in routes, authc.c talks to authd, db.c is the
 * asynchronous PostgreSQL pool, routes.c the route table.
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
#include "gateway/http.h"
#include "gateway/routes.h"

struct authc;
struct dbpool;

struct gw {
	struct event_base *gw_base;
	struct config gw_cf;
	struct evconnlistener *gw_listener;
	TAILQ_HEAD(, hconn) gw_conns;
	size_t gw_nconns;
	/* Connections between requests, longest idle first (http.c). */
	TAILQ_HEAD(, hconn) gw_idle;
	/* Connections dropped under a handler, freed by gw_reaper (http.c). */
	TAILQ_HEAD(, hconn) gw_dead;
	struct event *gw_reaper;
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
/* Frees what the handlers hold (http.c, when the request is freed). */
void handle_abort(struct req *rq);
/* The built-in routes handlers.c serves itself (builtin.c's table). */
void handle_healthz(struct req *rq);
void handle_readyz(struct req *rq);
void handle_openapi(struct req *rq);
/* req_wait()'s cancel hook for a query on the pool: arg is its dbq. */
void handle_cancel_db(void *q, uint32_t id);

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

/* admin.c: /_admin/... (the builder API, docs/builder.md). */
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
