/*
 * The gateway's HTTP/1.1 server on libevent bufferevents.  We parse requests
 * ourselves (httpparse.c) instead of using evhttp: libevent 2.1.12's evhttp
 * answers errors such as 413 in HTML, has no connection cap and accepts
 * request-smuggling patterns (two Content-Length headers, Content-Length
 * with Transfer-Encoding) that a credential gateway must refuse.
 *
 * One request per connection is in flight at a time; reading stops while it
 * is processed and resumes once its response is written.  Every wait has a
 * deadline: idle_timeout_ms between requests, request_timeout_ms for the
 * whole of one request's head and body.
 *
 * A body is read only once its head has been judged (handle_head): a
 * protected route without a usable token is answered 401 at once, and a
 * token is verified with reading stopped, so an unauthenticated client
 * never makes us buffer its body.  The bodies being read or held, all
 * requests together, may take at most body_memory_limit bytes: a request
 * whose body would pass it gets 503 (PN603) and the connection closes.
 *
 * At max_connections a new connection is admitted by closing the one that
 * has been idle longest between requests (nginx and haproxy do the same);
 * only when none is idle does accepting pause, and the kernel backlog
 * holds the newcomers.  gw_idle keeps the idle connections in the order
 * they became idle, so both steps are O(1) on the request path.
 *
 * A request's state is written here only (gateway/http.h): a backend's
 * wait is registered with its cancel hook, a second response is refused,
 * and a connection dropped under a handler's frames is freed from the
 * event loop (gw_dead, drained by gw_reaper), as Redis frees a client it
 * cannot free at once (freeClientAsync).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/clientip.h"
#include "gateway/gateway.h"
#include "gateway/http.h"

static const char *const req_state_names[RS_STATES] = {
    "head", "body", "run", "auth", "db", "write"};

static void hconn_read(struct bufferevent *bev, void *arg);
static void hconn_write(struct bufferevent *bev, void *arg);
static void hconn_event(struct bufferevent *bev, short what, void *arg);
static void hconn_process(struct hconn *hc);
static void hconn_linger(struct hconn *hc);
static void hconn_free_async(struct hconn *hc);

#define HCONN_LINGER_MS 2000

const char *
req_state_name(enum req_state s)
{
	return (unsigned)s < RS_STATES ? req_state_names[s] : "?";
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static void
timer_arm(struct hconn *hc, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(hc->hc_timer, &tv);
}

/*
 * Accepting pauses only at the cap with no idle connection to give way;
 * never while draining (the listener is closed then).
 */
static void
listener_update(struct gw *gw)
{
	int pause;

	if (gw->gw_listener == NULL || gw->gw_draining)
		return;
	pause = gw->gw_nconns >= (size_t)gw->gw_cf.cf_max_connections &&
	        TAILQ_EMPTY(&gw->gw_idle);
	if (pause && !gw->gw_listener_paused) {
		evconnlistener_disable(gw->gw_listener);
		gw->gw_listener_paused = 1;
	} else if (!pause && gw->gw_listener_paused) {
		evconnlistener_enable(gw->gw_listener);
		gw->gw_listener_paused = 0;
	}
}

/* hc is between requests (none in flight, none begun): evictable. */
static void
idle_add(struct hconn *hc)
{
	if (hc->hc_idle)
		return;
	TAILQ_INSERT_TAIL(&hc->hc_gw->gw_idle, hc, hc_idle_entry);
	hc->hc_idle = 1;
	if (hc->hc_gw->gw_listener_paused)
		listener_update(hc->hc_gw);
}

static void
idle_del(struct hconn *hc)
{
	if (!hc->hc_idle)
		return;
	TAILQ_REMOVE(&hc->hc_gw->gw_idle, hc, hc_idle_entry);
	hc->hc_idle = 0;
	if (TAILQ_EMPTY(&hc->hc_gw->gw_idle))
		listener_update(hc->hc_gw);
}

/* Ends rq's wait, if any, by its hook: the backend will not call back. */
static void
req_cancel(struct req *rq)
{
	req_cancel_fn cancel = rq->rq_cancel;

	if (cancel == NULL)
		return;
	rq->rq_cancel = NULL;
	cancel(rq->rq_cancel_arg, rq->rq_cancel_id);
}

static void
req_free(struct req *rq)
{
	struct gw *gw;

	if (rq == NULL)
		return;
	gw = rq->rq_conn->hc_gw;
	req_cancel(rq);
	handle_abort(rq);
	gw->gw_body_mem -= rq->rq_body_charge;
	http_head_free(&rq->rq_head);
	/* Bodies of auth routes hold passwords. */
	buf_wipe_free(&rq->rq_body);
	buf_free(&rq->rq_rhdrs);
	buf_free(&rq->rq_rbody);
	routes_unref(rq->rq_routes);
	free(rq);
}

static void
hconn_free(struct hconn *hc)
{
	struct gw *gw = hc->hc_gw;

	TAILQ_REMOVE(&gw->gw_conns, hc, hc_entry);
	gw->gw_nconns--;
	if (hc->hc_idle) {
		TAILQ_REMOVE(&gw->gw_idle, hc, hc_idle_entry);
		hc->hc_idle = 0;
	}
	if (hc->hc_dead) {
		TAILQ_REMOVE(&gw->gw_dead, hc, hc_dead_entry);
		hc->hc_dead = 0;
	}
	req_free(hc->hc_req);
	event_free(hc->hc_timer);
	bufferevent_free(hc->hc_bev);
	free(hc);
	listener_update(gw);
	if (gw->gw_draining && gw->gw_nconns == 0)
		event_base_loopexit(gw->gw_base, NULL);
}

/*
 * Frees hc from the event loop, not now: called where a handler's frames
 * (or a backend's, calling back into a request) may still use it.  Until
 * then hc does nothing: no reading, writing or timer.
 */
static void
hconn_free_async(struct hconn *hc)
{
	struct gw *gw = hc->hc_gw;

	if (hc->hc_dead)
		return;
	hc->hc_dead = 1;
	hc->hc_close = 1;
	bufferevent_disable(hc->hc_bev, EV_READ | EV_WRITE);
	event_del(hc->hc_timer);
	TAILQ_INSERT_TAIL(&gw->gw_dead, hc, hc_dead_entry);
	event_active(gw->gw_reaper, EV_TIMEOUT, 0);
}

static void
http_reap(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct hconn *hc;

	(void)fd;
	(void)what;
	while ((hc = TAILQ_FIRST(&gw->gw_dead)) != NULL)
		hconn_free(hc);
}

static int
request_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') ||
		        strchr("-_.:", s[i]) != NULL))
			return 0;
	return 1;
}

static struct req *
req_new(struct hconn *hc)
{
	struct req *rq;
	unsigned char rnd[16];

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->rq_conn = hc;
	rq->rq_state = RS_HEAD;
	x_strlcpy(rq->rq_client, hc->hc_addr, sizeof(rq->rq_client));
	rq->rq_start_ms = time_mono_ms();
	buf_init(&rq->rq_body);
	buf_init(&rq->rq_rhdrs);
	buf_init(&rq->rq_rbody);
	http_chunked_init(&rq->rq_chunked);
	if (random_bytes(rnd, sizeof(rnd)) == -1 ||
	    hex_encode(rnd, sizeof(rnd), rq->rq_id, sizeof(rq->rq_id)) == -1)
		snprintf(rq->rq_id, sizeof(rq->rq_id), "%lld",
		    (long long)rq->rq_start_ms);
	return rq;
}

int
req_add_header(struct req *rq, const char *name, const char *value)
{
	return buf_printf(&rq->rq_rhdrs, "%s: %s\r\n", name, value);
}

int
http_allow_list(unsigned mask, char *out, size_t cap)
{
	size_t used = 0;
	int m, n;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (m = HM_GET; m < HM_OTHER; m++) {
		if (!(mask & HTTP_METHOD_BIT(m)))
			continue;
		n = snprintf(out + used, cap - used, "%s%s",
		    used > 0 ? ", " : "",
		    http_method_name((enum http_method)m));
		if (n < 0 || (size_t)n >= cap - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

int
req_refuse_method(struct req *rq, unsigned methods)
{
	char allow[96];

	if (methods & HTTP_METHOD_BIT(rq->rq_head.hh_method))
		return 0;
	if (http_allow_list(methods, allow, sizeof(allow)) == 0)
		req_add_header(rq, "Allow", allow);
	req_error(rq, 405, "PN401", "method not allowed");
	return 1;
}

int
req_type_is_json(const struct req *rq)
{
	const char *ct = http_head_get(&rq->rq_head, "Content-Type");
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

void
req_wait(struct req *rq, enum req_state st, req_cancel_fn cancel, void *arg,
    uint32_t id)
{
	/* A request that waited on two backends would be answered by
	 * both: refuse to go on rather than risk it. */
	if ((st != RS_AUTH && st != RS_DB) || rq->rq_state != RS_RUN ||
	    rq->rq_cancel != NULL || cancel == NULL)
		fatalx("request %s: wait for %s in state %s", rq->rq_id,
		    req_state_name(st), req_state_name(rq->rq_state));
	rq->rq_state = st;
	rq->rq_cancel = cancel;
	rq->rq_cancel_arg = arg;
	rq->rq_cancel_id = id;
}

void
req_resume(struct req *rq)
{
	if (rq->rq_state != RS_AUTH && rq->rq_state != RS_DB) {
		log_warnx("request %s: resumed in state %s", rq->rq_id,
		    req_state_name(rq->rq_state));
		return;
	}
	rq->rq_cancel = NULL;
	rq->rq_state = RS_RUN;
}

void
req_drop(struct req *rq)
{
	req_cancel(rq);
	hconn_free_async(rq->rq_conn);
}

static void
req_log(struct req *rq)
{
	struct buf b;
	const char *m = rq->rq_head.hh_path ? rq->rq_head.hh_method_str : "-";
	const char *p = rq->rq_head.hh_path ? rq->rq_head.hh_path : "-";
	const char *route = metrics_route_label(rq);
	char ts[40];

	if (log_get_level() < LOG_LVL_INFO)
		return;
	buf_init(&b);
	log_timestamp(ts, sizeof(ts));
	/* Appends after a failed one are no-ops; the buffer's error is
	 * checked once (common/buf.h). */
	buf_printf(
	    &b, "{\"ts\":\"%s\",\"level\":\"info\",\"proc\":\"gateway\",", ts);
	buf_addstr(&b, "\"msg\":\"request\",\"request_id\":");
	log_add_json_str(&b, rq->rq_id, strlen(rq->rq_id));
	buf_addstr(&b, ",\"method\":");
	log_add_json_str(&b, m, strlen(m));
	buf_addstr(&b, ",\"path\":");
	log_add_json_str(&b, p, strlen(p));
	buf_addstr(&b, ",\"route\":");
	log_add_json_str(&b, route, strlen(route));
	buf_printf(&b, ",\"status\":%d,\"ms\":%lld", rq->rq_status,
	    (long long)(time_mono_ms() - rq->rq_start_ms));
	if (rq->rq_sub[0] != '\0') {
		buf_addstr(&b, ",\"user\":");
		log_add_json_str(&b, rq->rq_sub, strlen(rq->rq_sub));
	}
	buf_addc(&b, '}');
	if (buf_error(&b) == 0)
		log_json_line(b.b_data, b.b_len);
	buf_free(&b);
}

/* A request has one response: a second is a bug, logged and dropped. */
static int
req_answered(const struct req *rq, int status)
{
	if (rq->rq_state == RS_WRITE) {
		log_warnx("request %s: a second response (%d) refused",
		    rq->rq_id, status);
		return 1;
	}
	if (rq->rq_conn->hc_dead) {
		log_warnx("request %s: response (%d) after its connection "
		          "was dropped refused",
		    rq->rq_id, status);
		return 1;
	}
	return 0;
}

int
req_respond(struct req *rq)
{
	struct hconn *hc = rq->rq_conn;
	struct evbuffer *out = bufferevent_get_output(hc->hc_bev);
	int head = rq->rq_head.hh_method == HM_HEAD, fail = 0;

	if (req_answered(rq, rq->rq_status))
		return -1;
	/* Answered while waiting (a deadline, say): the backend's answer,
	 * if it comes, has no request to go to. */
	req_cancel(rq);
	if (hc->hc_gw->gw_draining)
		hc->hc_close = 1;
	if (rq->rq_body_unread) {
		/* Answered before its body was read (or all of it): the
		 * rest is discarded by hconn_linger, never parsed. */
		hc->hc_close = 1;
		bufferevent_disable(hc->hc_bev, EV_READ);
	}
	fail |=
	    evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nX-Request-Id: %s\r\n",
	        rq->rq_status, reason(rq->rq_status), rq->rq_id) < 0;
	if (rq->rq_status != 204) {
		if (rq->rq_rbody.b_len > 0 || rq->rq_status >= 400)
			fail |=
			    evbuffer_add_printf(out, "Content-Type: %s\r\n",
			        rq->rq_ctype != NULL
			            ? rq->rq_ctype
			            : "application/json; charset=utf-8") < 0;
		fail |= evbuffer_add_printf(out, "Content-Length: %zu\r\n",
		            rq->rq_rbody.b_len) < 0;
	}
	if (rq->rq_rhdrs.b_len > 0)
		fail |= evbuffer_add(
		            out, rq->rq_rhdrs.b_data, rq->rq_rhdrs.b_len) == -1;
	fail |= evbuffer_add_printf(out, "Cache-Control: no-store\r\n%s\r\n",
	            hc->hc_close ? "Connection: close\r\n" : "") < 0;
	if (!head && rq->rq_status != 204 && rq->rq_rbody.b_len > 0)
		fail |= evbuffer_add(
		            out, rq->rq_rbody.b_data, rq->rq_rbody.b_len) == -1;
	rq->rq_state = RS_WRITE;
	if (fail) {
		/* Half a response is worse than none: the client sees the
		 * connection end instead. */
		log_warnx("request %s: cannot queue the response", rq->rq_id);
		hconn_free_async(hc);
		return -1;
	}
	timer_arm(hc, hc->hc_gw->gw_cf.cf_request_timeout_ms);
	req_log(rq);
	metrics_request_done(rq);
	/* hconn_write runs once the output buffer has drained. */
	bufferevent_enable(hc->hc_bev, EV_WRITE);
	return 0;
}

int
req_error(struct req *rq, int status, const char *code, const char *msg)
{
	if (req_answered(rq, status))
		return -1;
	rq->rq_status = status;
	buf_reset(&rq->rq_rbody);
	if (json_error_body(&rq->rq_rbody, code, msg, NULL) == -1)
		buf_reset(&rq->rq_rbody);
	return req_respond(rq);
}

/* Errors found while reading a request always close the connection: the
 * stream position is no longer trustworthy. */
static void
req_fail_read(struct req *rq, int status, const char *code, const char *msg)
{
	rq->rq_conn->hc_close = 1;
	event_del(rq->rq_conn->hc_timer);
	bufferevent_disable(rq->rq_conn->hc_bev, EV_READ);
	req_error(rq, status, code, msg);
}

/*
 * The client's address: the peer's, or, when the peer is a trusted proxy,
 * the right-most untrusted hop of X-Forwarded-For (all such headers joined).
 */
static void
req_client(struct req *rq)
{
	struct hconn *hc = rq->rq_conn;
	struct buf xff;
	size_t i;

	buf_init(&xff);
	for (i = 0; i < rq->rq_head.hh_nhdrs; i++) {
		if (strcasecmp(
		        rq->rq_head.hh_hdrs[i].hd_name, "X-Forwarded-For") != 0)
			continue;
		if ((xff.b_len > 0 && buf_addc(&xff, ',') == -1) ||
		    buf_addstr(&xff, rq->rq_head.hh_hdrs[i].hd_value) == -1)
			break;
	}
	client_addr(hc->hc_gw->gw_proxies, hc->hc_addr,
	    xff.b_len > 0 ? xff.b_data : NULL, rq->rq_client,
	    sizeof(rq->rq_client));
	buf_free(&xff);
}

static void
req_dispatch(struct req *rq)
{
	struct hconn *hc = rq->rq_conn;

	req_client(rq);

	event_del(hc->hc_timer);
	bufferevent_disable(hc->hc_bev, EV_READ);
	if (!rq->rq_head.hh_keepalive)
		hc->hc_close = 1;
	rq->rq_state = RS_RUN;
	handle_request(rq);
}

/*
 * Did the head overflow header_limit inside an Authorization header?  True
 * when the last, unterminated line of the buffered head is one.
 */
static int
oversized_bearer(const char *data, size_t n)
{
	const char *line = NULL, *p;
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (data[i] == '\r' && data[i + 1] == '\n')
			line = data + i + 2;
	if (line == NULL)
		return 0;
	p = line;
	if ((size_t)(data + n - p) < 14 ||
	    strncasecmp(p, "Authorization:", 14) != 0)
		return 0;
	return memchr(p, '\n', (size_t)(data + n - p)) == NULL;
}

/*
 * Sets the bytes rq's body is counted for in gw_body_mem to n; -1 (and no
 * change) if that would pass body_memory_limit.
 */
static int
body_charge(struct req *rq, size_t n)
{
	struct gw *gw = rq->rq_conn->hc_gw;
	size_t limit = (size_t)gw->gw_cf.cf_body_memory_limit;

	/* gw_body_mem may exceed a limit lowered by a reload. */
	if (n > rq->rq_body_charge &&
	    (gw->gw_body_mem >= limit ||
	        n - rq->rq_body_charge > limit - gw->gw_body_mem))
		return -1;
	gw->gw_body_mem = gw->gw_body_mem - rq->rq_body_charge + n;
	rq->rq_body_charge = n;
	return 0;
}

/*
 * Makes room in rq_body for extra more bytes (and a NUL), its capacity
 * never above rq_body_max + 1, and counts the capacity against the
 * budget.  The buffer is grown here rather than by buf_add() so that the
 * charge is its real size: a Content-Length body gets exactly its length
 * in one allocation; a chunked one doubles, up to its limit.  Returns 0,
 * or answers 503 and returns -1.
 */
static int
body_room(struct req *rq, size_t extra)
{
	struct buf *b = &rq->rq_body;
	size_t max = rq->rq_body_max + 1, need, ncap;
	char *p;

	if (b->b_len + 1 > max)
		return 0;
	if (extra > max - 1 - b->b_len)
		extra = max - 1 - b->b_len;
	need = b->b_len + extra + 1;
	if (need <= b->b_cap)
		return 0;
	ncap = b->b_cap > max / 2 ? max : b->b_cap * 2;
	if (ncap < need)
		ncap = need;
	if (body_charge(rq, ncap) == -1) {
		req_add_header(rq, "Retry-After", "1");
		req_fail_read(rq, 503, "PN603",
		    "the gateway is holding as many request bodies as it may; "
		    "retry shortly");
		return -1;
	}
	if ((p = realloc(b->b_data, ncap)) == NULL) {
		(void)body_charge(rq, b->b_cap);
		req_fail_read(rq, 503, "PN900", "out of memory");
		return -1;
	}
	b->b_data = p;
	b->b_cap = ncap;
	b->b_data[b->b_len] = '\0';
	return 0;
}

/* The head allows its body to be read: 1, or -1 when answered. */
static int
body_begin(struct req *rq)
{
	rq->rq_state = RS_BODY;
	if (!rq->rq_head.hh_chunked &&
	    body_room(rq, (size_t)rq->rq_head.hh_content_length) == -1)
		return -1;
	return 1;
}

static int
read_head(struct hconn *hc, struct req *rq)
{
	struct evbuffer *in = bufferevent_get_input(hc->hc_bev);
	struct gw *gw = hc->hc_gw;
	size_t avail = evbuffer_get_length(in), n;
	const char *why = NULL, *rid;
	char *data;
	int consumed, status = 400;

	n = avail;
	if (n > (size_t)gw->gw_cf.cf_header_limit + 1)
		n = (size_t)gw->gw_cf.cf_header_limit + 1;
	if ((data = (char *)evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return -1;
	consumed = http_head_parse(data, n, (size_t)gw->gw_cf.cf_header_limit,
	    &rq->rq_head, &status, &why);
	if (consumed == 0)
		return 0;
	if (consumed < 0 && status == 431 && oversized_bearer(data, n)) {
		/* A huge token is an invalid one (401 PN201, docs/errors.md),
		 * refused with no more than header_limit bytes of it read. */
		req_add_header(
		    rq, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		req_fail_read(rq, 401, "PN201", "the token is invalid");
		return -1;
	}
	if (consumed < 0) {
		req_fail_read(rq, status, status == 431 ? "PN602" : "PN106",
		    why ? why : "malformed request");
		return -1;
	}
	evbuffer_drain(in, (size_t)consumed);
	if ((rid = http_head_get(&rq->rq_head, "X-Request-Id")) != NULL &&
	    request_id_ok(rid))
		x_strlcpy(rq->rq_id, rid, sizeof(rq->rq_id));
	if (rq->rq_head.hh_method == HM_OTHER) {
		req_fail_read(rq, 501, "PN401", "method not supported");
		return -1;
	}
	if (rq->rq_head.hh_content_length > gw->gw_cf.cf_body_limit) {
		req_fail_read(rq, 413, "PN600", "request body too large");
		return -1;
	}
	if (rq->rq_head.hh_chunked || rq->rq_head.hh_content_length > 0) {
		rq->rq_body_unread = 1;
		rq->rq_body_max = (size_t)gw->gw_cf.cf_body_limit;
		rq->rq_state = RS_RUN;
		if (handle_head(rq) == 1)
			return body_begin(rq);
		/* Answered, or waiting for authd: read nothing meanwhile. */
		if (rq->rq_state == RS_AUTH)
			bufferevent_disable(hc->hc_bev, EV_READ);
		return -1;
	}
	req_dispatch(rq);
	return 1;
}

void
req_read_body(struct req *rq)
{
	struct hconn *hc = rq->rq_conn;
	int64_t left;

	if (rq->rq_state != RS_RUN || !rq->rq_body_unread) {
		log_warnx("request %s: body read in state %s", rq->rq_id,
		    req_state_name(rq->rq_state));
		return;
	}
	/* The request deadline may have passed, unseen, while authd
	 * answered: hconn_timeout does nothing in RS_AUTH. */
	left = rq->rq_start_ms + hc->hc_gw->gw_cf.cf_request_timeout_ms -
	       time_mono_ms();
	if (left <= 0) {
		req_fail_read(rq, 408, "PN106",
		    "request not received within the deadline");
		return;
	}
	timer_arm(hc, (long)left);
	if (body_begin(rq) != 1)
		return;
	bufferevent_enable(hc->hc_bev, EV_READ);
	hconn_process(hc);
}

static int
read_body(struct hconn *hc, struct req *rq)
{
	struct evbuffer *in = bufferevent_get_input(hc->hc_bev);
	size_t avail = evbuffer_get_length(in), want, consumed = 0;
	char *data;
	int r;

	if (avail == 0)
		return 0;
	if (!rq->rq_head.hh_chunked) {
		want =
		    (size_t)rq->rq_head.hh_content_length - rq->rq_body.b_len;
		if (want > avail)
			want = avail;
		/* body_begin made room for all of it. */
		if (evbuffer_remove(in, rq->rq_body.b_data + rq->rq_body.b_len,
		        want) != (int)want) {
			req_fail_read(rq, 503, "PN900", "out of memory");
			return -1;
		}
		rq->rq_body.b_len += want;
		rq->rq_body.b_data[rq->rq_body.b_len] = '\0';
		if (rq->rq_body.b_len ==
		    (size_t)rq->rq_head.hh_content_length) {
			rq->rq_body_unread = 0;
			req_dispatch(rq);
		}
		return 0;
	}
	/* The payload decoded from avail bytes is at most avail bytes. */
	if (body_room(rq, avail) == -1)
		return -1;
	if ((data = (char *)evbuffer_pullup(in, (ev_ssize_t)avail)) == NULL)
		return -1;
	r = http_chunked_feed(&rq->rq_chunked, data, avail, &consumed,
	    &rq->rq_body, rq->rq_body_max);
	evbuffer_drain(in, consumed);
	if (r == -2) {
		req_fail_read(rq, 413, "PN600", "request body too large");
		return -1;
	}
	if (r == -1) {
		req_fail_read(rq, 400, "PN106", "malformed chunked body");
		return -1;
	}
	if (r == 1) {
		rq->rq_body_unread = 0;
		req_dispatch(rq);
	}
	return 0;
}

static void
hconn_process(struct hconn *hc)
{
	struct evbuffer *in = bufferevent_get_input(hc->hc_bev);
	struct req *rq;

	for (;;) {
		if (hc->hc_req == NULL) {
			if (evbuffer_get_length(in) == 0 || hc->hc_close)
				return;
			/* This may run under a backend's callback
			 * (req_read_body): free from the loop. */
			if ((hc->hc_req = req_new(hc)) == NULL) {
				hconn_free_async(hc);
				return;
			}
			idle_del(hc);
			timer_arm(hc, hc->hc_gw->gw_cf.cf_request_timeout_ms);
		}
		rq = hc->hc_req;
		if (rq->rq_state == RS_HEAD) {
			if (read_head(hc, rq) <= 0)
				return;
		} else if (rq->rq_state == RS_BODY) {
			read_body(hc, rq);
			return;
		} else
			return;
	}
}

static void
hconn_read(struct bufferevent *bev, void *arg)
{
	struct hconn *hc = arg;

	if (hc->hc_lingering) {
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	hconn_process(hc);
}

/*
 * Closing a socket with unread input makes the kernel send a reset, which
 * can destroy the response before the client reads it (a 413 answered
 * while the client is still sending).  So: stop writing, discard input
 * until the client closes or a short deadline passes, then close.
 */
static void
hconn_linger(struct hconn *hc)
{
	hc->hc_lingering = 1;
	idle_del(hc);
	(void)shutdown(bufferevent_getfd(hc->hc_bev), SHUT_WR);
	bufferevent_enable(hc->hc_bev, EV_READ);
	timer_arm(hc, HCONN_LINGER_MS);
	hconn_read(hc->hc_bev, hc);
}

static void
hconn_write(struct bufferevent *bev, void *arg)
{
	struct hconn *hc = arg;

	(void)bev;
	if (hc->hc_req == NULL || hc->hc_req->rq_state != RS_WRITE)
		return;
	req_free(hc->hc_req);
	hc->hc_req = NULL;
	if (hc->hc_close) {
		hconn_linger(hc);
		return;
	}
	timer_arm(hc, hc->hc_gw->gw_cf.cf_idle_timeout_ms);
	bufferevent_enable(hc->hc_bev, EV_READ);
	idle_add(hc);
	hconn_process(hc);
}

static void
hconn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		hconn_free(arg);
}

static void
hconn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hconn *hc = arg;
	struct req *rq = hc->hc_req;

	(void)fd;
	(void)what;
	if (rq != NULL &&
	    (rq->rq_state == RS_HEAD || rq->rq_state == RS_BODY)) {
		req_fail_read(rq, 408, "PN106",
		    "request not received within the deadline");
		return;
	}
	/* Idle between requests, or a client that does not read its
	 * response. */
	if (rq == NULL || rq->rq_state == RS_WRITE || hc->hc_lingering)
		hconn_free(hc);
}

/* How many of the longest idle connections an accept looks at. */
#define EVICT_SCAN 16

/*
 * Closes the connection idle longest to make room for a new one; -1 if
 * none may go.  One whose next request is already arriving (bytes in
 * its buffer or its socket) is not idle and is skipped: closing it would
 * reset the connection under that request.  The others close at once
 * with nothing unread, so the client sees an orderly end of stream (a
 * FIN, not a reset), which HTTP clients retry on a new connection.
 */
static int
hconn_evict(struct gw *gw)
{
	struct hconn *hc;
	int n = 0;
	char c;

	TAILQ_FOREACH(hc, &gw->gw_idle, hc_idle_entry) {
		if (n++ == EVICT_SCAN)
			break;
		if (evbuffer_get_length(bufferevent_get_input(hc->hc_bev)) >
		        0 ||
		    recv(bufferevent_getfd(hc->hc_bev), &c, 1,
		        MSG_PEEK | MSG_DONTWAIT) == 1)
			continue;
		log_debug("closing idle connection from %s for a new one",
		    hc->hc_addr);
		hconn_free(hc);
		return 0;
	}
	return -1;
}

static void
http_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct gw *gw = arg;
	struct hconn *hc;

	(void)l;
	(void)salen;
	if (gw->gw_nconns >= (size_t)gw->gw_cf.cf_max_connections &&
	    hconn_evict(gw) == -1) {
		/* Every connection is busy: the cap holds. */
		close(fd);
		listener_update(gw);
		return;
	}
	if ((hc = calloc(1, sizeof(*hc))) == NULL) {
		close(fd);
		return;
	}
	hc->hc_gw = gw;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((struct sockaddr_in *)(void *)sa)->sin_addr, hc->hc_addr,
		    sizeof(hc->hc_addr));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)(void *)sa)->sin6_addr,
		    hc->hc_addr, sizeof(hc->hc_addr));
	if ((hc->hc_bev = bufferevent_socket_new(
	         gw->gw_base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (hc->hc_timer = evtimer_new(gw->gw_base, hconn_timeout, hc)) ==
	        NULL) {
		if (hc->hc_bev != NULL)
			bufferevent_free(hc->hc_bev);
		else
			close(fd);
		free(hc);
		return;
	}
	TAILQ_INSERT_TAIL(&gw->gw_conns, hc, hc_entry);
	gw->gw_nconns++;
	bufferevent_setcb(hc->hc_bev, hconn_read, hconn_write, hconn_event, hc);
	bufferevent_enable(hc->hc_bev, EV_READ);
	timer_arm(hc, gw->gw_cf.cf_idle_timeout_ms);
	/* libevent has no connection cap: we count, evict and pause. */
	idle_add(hc);
	listener_update(gw);
}

int
http_listen(struct gw *gw)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);

	TAILQ_INIT(&gw->gw_idle);
	TAILQ_INIT(&gw->gw_dead);
	if ((gw->gw_reaper = event_new(gw->gw_base, -1, 0, http_reap, gw)) ==
	    NULL) {
		log_warnx("listen: out of memory");
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(
	        gw->gw_cf.cf_listen, (struct sockaddr *)&ss, &sslen) == -1) {
		log_warnx("listen: cannot parse \"%s\" (want host:port)",
		    gw->gw_cf.cf_listen);
		return -1;
	}
	gw->gw_listener = evconnlistener_new_bind(gw->gw_base, http_accept, gw,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    511, (struct sockaddr *)&ss, sslen);
	if (gw->gw_listener == NULL) {
		log_warn("cannot listen on %s", gw->gw_cf.cf_listen);
		return -1;
	}
	log_info("listening on http://%s", gw->gw_cf.cf_listen);
	return 0;
}

void
http_close_listener(struct gw *gw)
{
	if (gw->gw_listener != NULL) {
		evconnlistener_free(gw->gw_listener);
		gw->gw_listener = NULL;
	}
}

/*
 * Draining (SIGTERM): requests in flight finish, and their connections
 * close after the response (req_respond adds Connection: close).  Idle
 * keep-alive connections close now, as nginx and Go's Shutdown do, except
 * one whose next request already waits in the socket: that one is in
 * flight too and is served.  They close gently (hconn_linger: FIN, then
 * discard), so a request racing the close sees an orderly end of stream,
 * which clients retry on a new connection, rather than a reset.
 */
void
http_drain(struct gw *gw)
{
	struct hconn *hc, *next;
	char c;

	for (hc = TAILQ_FIRST(&gw->gw_conns); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, hc_entry);
		if (hc->hc_req != NULL || hc->hc_lingering || hc->hc_dead)
			continue;
		if (evbuffer_get_length(bufferevent_get_input(hc->hc_bev)) >
		        0 ||
		    recv(bufferevent_getfd(hc->hc_bev), &c, 1,
		        MSG_PEEK | MSG_DONTWAIT) == 1)
			continue;
		hc->hc_close = 1;
		hconn_linger(hc);
	}
}

void
http_close_all(struct gw *gw)
{
	struct hconn *hc;

	while ((hc = TAILQ_FIRST(&gw->gw_conns)) != NULL) {
		gw->gw_draining = 0;
		hconn_free(hc);
	}
	if (gw->gw_reaper != NULL) {
		event_free(gw->gw_reaper);
		gw->gw_reaper = NULL;
	}
}
