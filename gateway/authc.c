#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/authc.h"

#define AUTHC_BACKOFF_MIN_MS 50
#define AUTHC_BACKOFF_MAX_MS 1000
#define AUTHC_HEARTBEAT_MS 250
#define AUTHC_FRESH_MS 1000

/* What a request asked, so that its answer is decoded for its callback. */
enum authc_kind { AK_PING, AK_VERIFY, AK_AUTH };

union authc_cbs {
	authc_ping_cb cb_ping;
	authc_verify_cb cb_verify;
	authc_auth_cb cb_auth;
};

struct pending {
	TAILQ_ENTRY(pending) p_entry;
	struct authc *p_ac;
	uint32_t p_id;
	enum authc_kind p_kind;
	union authc_cbs p_cb;
	void *p_arg;
	struct event *p_timer;
	int64_t p_start_us; /* when sent, for the round-trip metric */
};

struct authc {
	struct event_base *ac_base;
	char ac_path[108];
	long ac_timeout_ms;
	long ac_max_pending;
	struct bufferevent *ac_bev;
	int ac_connected;
	long ac_backoff_ms;
	struct event *ac_retry;
	uint32_t ac_next_id;
	size_t ac_npending;
	TAILQ_HEAD(, pending) ac_pending;
	void (*ac_evt_cb)(const char *, void *);
	void *ac_evt_arg;
	struct event *ac_heartbeat;
	int64_t ac_last_pong_ms;
	int ac_reading; /* inside authc_read's loop: a callback is running */
	int ac_hb_pending;
	authc_observer ac_observer;
};

static void authc_connect(struct authc *ac);
static void heartbeat_cb(evutil_socket_t fd, short what, void *arg);

int
authc_connected(const struct authc *ac)
{
	return ac->ac_connected;
}

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&p->p_ac->ac_pending, p, p_entry);
	p->p_ac->ac_npending--;
	event_free(p->p_timer);
	free(p);
}

static struct pending *
pending_find(struct authc *ac, uint32_t id)
{
	struct pending *p;

	TAILQ_FOREACH(p, &ac->ac_pending, p_entry)
		if (p->p_id == id)
			return p;
	return NULL;
}

static int64_t
authc_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A request that got no usable answer: its callback, without a result. */
static void
callback_failed(
    enum authc_kind kind, union authc_cbs cb, void *arg, enum authc_status st)
{
	switch (kind) {
	case AK_PING:
		cb.cb_ping(st, NULL, arg);
		break;
	case AK_VERIFY:
		cb.cb_verify(st, NULL, arg);
		break;
	case AK_AUTH:
		cb.cb_auth(st, NULL, arg);
		break;
	}
}

/*
 * NUL-terminated copies of an answer's strings, in one allocation that the
 * caller frees.  A string ends at its first NUL byte, as it would when
 * printed; ipc_get_answer has refused those where that would matter.
 */
static const char *
pack_str(char *pack, size_t *used, const char *p, size_t n)
{
	char *s = pack + *used;

	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	*used += n + 1;
	return s;
}

/* The decoders of authd_answer_*(): an answer frame to a typed result. */
static enum authc_status
answer_ping(const struct ipc_answer *a, union authc_cbs cb, void *arg)
{
	const struct ipc_ans_ping *p = &a->an_u.an_ping;
	struct authc_health ah;
	size_t used = 0;
	char *pack;

	if (a->an_type != IPC_ANS_PING)
		return AUTHC_BADANSWER;
	if ((pack = malloc(p->ap_reasonlen + 1)) == NULL)
		return AUTHC_UNAVAILABLE;
	ah.ah_db_ok = p->ap_db_ok;
	ah.ah_listen_ok = p->ap_listen_ok;
	ah.ah_reason = pack_str(pack, &used, p->ap_reason, p->ap_reasonlen);
	cb.cb_ping(AUTHC_OK, &ah, arg);
	free(pack);
	return AUTHC_OK;
}

static enum authc_status
answer_verify(const struct ipc_answer *a, union authc_cbs cb, void *arg)
{
	const struct ipc_ans_verify *v = &a->an_u.an_verify;
	struct authc_claims cl;
	size_t used = 0;
	char *pack;

	if (a->an_type != IPC_ANS_VERIFY)
		return AUTHC_BADANSWER;
	if ((pack = malloc(v->av_sublen + v->av_sidlen + v->av_tbllen +
	                   v->av_reasonlen + 4)) == NULL)
		return AUTHC_UNAVAILABLE;
	cl.acl_verdict = v->av_result == IPC_VERIFY_OK        ? AUTHC_VALID
	                 : v->av_result == IPC_VERIFY_EXPIRED ? AUTHC_EXPIRED
	                 : v->av_result == IPC_VERIFY_REVOKED ? AUTHC_REVOKED
	                                                      : AUTHC_INVALID;
	cl.acl_sub = pack_str(pack, &used, v->av_sub, v->av_sublen);
	cl.acl_sid = pack_str(pack, &used, v->av_sid, v->av_sidlen);
	cl.acl_tbl = pack_str(pack, &used, v->av_tbl, v->av_tbllen);
	cl.acl_exp = v->av_exp > INT64_MAX ? INT64_MAX : (int64_t)v->av_exp;
	cl.acl_reason = pack_str(pack, &used, v->av_reason, v->av_reasonlen);
	cb.cb_verify(AUTHC_OK, &cl, arg);
	free(pack);
	return AUTHC_OK;
}

static enum authc_status
answer_auth(const struct ipc_answer *a, union authc_cbs cb, void *arg)
{
	const struct ipc_ans_error *e = &a->an_u.an_error;
	struct authc_reply rp;
	size_t used = 0;
	char *pack;

	memset(&rp, 0, sizeof(rp));
	if (a->an_type == IPC_ANS_AUTH) {
		rp.arp_status = a->an_u.an_auth.aa_status;
		rp.arp_retry_after = a->an_u.an_auth.aa_retry;
		rp.arp_body = a->an_u.an_auth.aa_body;
		rp.arp_bodylen = a->an_u.an_auth.aa_bodylen;
		cb.cb_auth(AUTHC_OK, &rp, arg);
		return AUTHC_OK;
	}
	if (a->an_type != IPC_ANS_ERROR)
		return AUTHC_BADANSWER;
	if ((pack = malloc(e->ae_msglen + 1)) == NULL)
		return AUTHC_UNAVAILABLE;
	rp.arp_status = e->ae_status;
	rp.arp_error = pack_str(pack, &used, e->ae_msg, e->ae_msglen);
	cb.cb_auth(AUTHC_OK, &rp, arg);
	free(pack);
	return AUTHC_OK;
}

/*
 * Every request to authd ends here once: answered (h and payload are its
 * answer frame), timed out or failed with the connection (h is NULL).
 * That makes it the one place to time round trips for the observer.  Calls
 * back after unlinking, so the callback may issue new requests.
 */
static void
pending_finish(struct pending *p, enum authc_status st, const struct ipc_hdr *h,
    const unsigned char *payload)
{
	enum authc_kind kind = p->p_kind;
	union authc_cbs cb = p->p_cb;
	void *arg = p->p_arg;
	uint32_t id = p->p_id;
	struct ipc_answer a;

	if (p->p_ac->ac_observer != NULL)
		p->p_ac->ac_observer((int)st, authc_clock_us() - p->p_start_us);
	pending_free(p);
	if (st != AUTHC_OK) {
		callback_failed(kind, cb, arg, st);
		return;
	}
	if (ipc_get_answer(h, payload, &a) == -1) {
		log_warnx("malformed %s from authd to request %u",
		    ipc_type_name(h->ih_type), id);
		callback_failed(kind, cb, arg, AUTHC_BADANSWER);
		return;
	}
	switch (kind) {
	case AK_PING:
		st = answer_ping(&a, cb, arg);
		break;
	case AK_VERIFY:
		st = answer_verify(&a, cb, arg);
		break;
	case AK_AUTH:
		st = answer_auth(&a, cb, arg);
		break;
	}
	if (st != AUTHC_OK) {
		/* A refusal of a ping or a verification is no news; any
		 * other mismatch is authd's bug. */
		if (st == AUTHC_BADANSWER && a.an_type != IPC_ANS_ERROR)
			log_warnx("authd answered request %u with %s", id,
			    ipc_type_name(a.an_type));
		callback_failed(kind, cb, arg, st);
	}
}

static void
authc_fail_all(struct authc *ac)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&ac->ac_pending)) != NULL)
		pending_finish(p, AUTHC_UNAVAILABLE, NULL, NULL);
}

static void
authc_schedule_retry(struct authc *ac)
{
	struct timeval tv;

	tv.tv_sec = ac->ac_backoff_ms / 1000;
	tv.tv_usec = (ac->ac_backoff_ms % 1000) * 1000;
	event_add(ac->ac_retry, &tv);
	ac->ac_backoff_ms *= 2;
	if (ac->ac_backoff_ms > AUTHC_BACKOFF_MAX_MS)
		ac->ac_backoff_ms = AUTHC_BACKOFF_MAX_MS;
}

static void
authc_drop(struct authc *ac, const char *why)
{
	if (ac->ac_bev != NULL) {
		if (ac->ac_connected)
			log_warnx("authd connection lost: %s", why);
		bufferevent_free(ac->ac_bev);
		ac->ac_bev = NULL;
	}
	ac->ac_connected = 0;
	ac->ac_last_pong_ms = 0;
	if (ac->ac_evt_cb != NULL)
		ac->ac_evt_cb(NULL, ac->ac_evt_arg);
	authc_fail_all(ac);
	if (!event_pending(ac->ac_retry, EV_TIMEOUT, NULL))
		authc_schedule_retry(ac);
}

static void
authc_read(struct bufferevent *bev, void *arg)
{
	struct authc *ac = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char hdrbuf[IPC_HDR_LEN], *frame;
	struct ipc_hdr h;
	struct ipc_cur cur;
	struct pending *p;
	size_t avail, n;
	int r;

	for (;;) {
		avail = evbuffer_get_length(in);
		n = avail < IPC_HDR_LEN ? avail : IPC_HDR_LEN;
		evbuffer_copyout(in, hdrbuf, n);
		if ((r = ipc_frame_take(hdrbuf, avail, &h)) == -1) {
			authc_drop(ac, "malformed frame from authd");
			return;
		}
		if (r == 0)
			return;
		if ((frame = evbuffer_pullup(in, IPC_HDR_LEN + h.ih_len)) ==
		    NULL) {
			authc_drop(ac, "out of memory");
			return;
		}
		if (h.ih_type == IPC_EVT_REVOKED) {
			char *sid = NULL;
			ipc_cur_init(&cur, frame + IPC_HDR_LEN, h.ih_len);
			if (ipc_get_cstr(&cur, &sid) == -1 ||
			    ipc_end(&cur) == -1) {
				free(sid);
				authc_drop(ac, "malformed revocation notice");
				return;
			}
			ac->ac_reading++;
			if (ac->ac_evt_cb != NULL)
				ac->ac_evt_cb(sid, ac->ac_evt_arg);
			ac->ac_reading--;
			free(sid);
		} else if ((p = pending_find(ac, h.ih_id)) != NULL) {
			/* The frame stays in the input until the callback has
			 * returned: no read of the socket may run meanwhile
			 * (authc_fresh checks ac_reading). */
			ac->ac_reading++;
			pending_finish(p, AUTHC_OK, &h, frame + IPC_HDR_LEN);
			ac->ac_reading--;
			/* The callback may have dropped the connection. */
			if (ac->ac_bev != bev)
				return;
		}
		evbuffer_drain(in, IPC_HDR_LEN + h.ih_len);
	}
}

static void
authc_event(struct bufferevent *bev, short what, void *arg)
{
	struct authc *ac = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		ac->ac_connected = 1;
		ac->ac_backoff_ms = AUTHC_BACKOFF_MIN_MS;
		log_info("connected to authd at %s", ac->ac_path);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		authc_drop(ac,
		    what & BEV_EVENT_EOF ? "closed by authd" : strerror(errno));
}

static void
authc_connect(struct authc *ac)
{
	struct sockaddr_un sun;

	if (ac->ac_bev != NULL)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ac->ac_path, strlen(ac->ac_path));
	if ((ac->ac_bev = bufferevent_socket_new(
	         ac->ac_base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		authc_schedule_retry(ac);
		return;
	}
	bufferevent_setcb(ac->ac_bev, authc_read, NULL, authc_event, ac);
	bufferevent_enable(ac->ac_bev, EV_READ | EV_WRITE);
	/* A Unix socket connects (or fails) at once; failure arrives as an
	 * error event or a -1 here. */
	if (bufferevent_socket_connect(
	        ac->ac_bev, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		bufferevent_free(ac->ac_bev);
		ac->ac_bev = NULL;
		ac->ac_connected = 0;
		authc_schedule_retry(ac);
	}
}

static void
authc_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	authc_connect(arg);
}

static void
pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)what;
	log_warnx("authd did not answer request %u in time", p->p_id);
	pending_finish(p, AUTHC_TIMEOUT, NULL, NULL);
}

struct authc *
authc_new(struct event_base *base, const char *path, long timeout_ms,
    long max_pending)
{
	struct authc *ac;

	if (strlen(path) >= sizeof(ac->ac_path)) {
		log_warnx("socket path too long: %s", path);
		return NULL;
	}
	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		return NULL;
	ac->ac_base = base;
	memcpy(ac->ac_path, path, strlen(path) + 1);
	ac->ac_timeout_ms = timeout_ms;
	ac->ac_max_pending = max_pending;
	ac->ac_backoff_ms = AUTHC_BACKOFF_MIN_MS;
	TAILQ_INIT(&ac->ac_pending);
	if ((ac->ac_retry = evtimer_new(base, authc_retry_cb, ac)) == NULL ||
	    (ac->ac_heartbeat = event_new(
	         base, -1, EV_PERSIST, heartbeat_cb, ac)) == NULL) {
		if (ac->ac_retry != NULL)
			event_free(ac->ac_retry);
		free(ac);
		return NULL;
	}
	{
		struct timeval tv = {0, AUTHC_HEARTBEAT_MS * 1000};
		event_add(ac->ac_heartbeat, &tv);
	}
	authc_connect(ac);
	return ac;
}

void
authc_set_observer(struct authc *ac, authc_observer obs)
{
	ac->ac_observer = obs;
}

void
authc_set_event_cb(
    struct authc *ac, void (*cb)(const char *, void *), void *arg)
{
	ac->ac_evt_cb = cb;
	ac->ac_evt_arg = arg;
}

/*
 * Before an earlier answer is reused, whatever authd has already sent must
 * be taken in: a revocation notice may be waiting in the socket, or authd
 * may have died with its end of the socket closed, and the event loop may
 * not have got to either yet.  One non-blocking peek tells.
 */
int
authc_fresh(struct authc *ac)
{
	struct evbuffer *in;
	char c;
	ssize_t n;
	int fd;

	/* Called back from inside authc_read (a pipelined request handled
	 * in an answer's callback): the input is being walked, and what is
	 * still in the socket cannot be taken in now; not fresh, so the
	 * caller asks authd. */
	if (ac->ac_reading > 0)
		return 0;
	if (!ac->ac_connected || ac->ac_bev == NULL ||
	    ac->ac_last_pong_ms == 0 ||
	    time_mono_ms() - ac->ac_last_pong_ms > AUTHC_FRESH_MS)
		return 0;
	fd = bufferevent_getfd(ac->ac_bev);
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		authc_drop(ac, n == 0 ? "closed by authd" : strerror(errno));
		return 0;
	}
	if (n > 0) {
		/* bufferevent keeps the end of its input frozen and thaws it
		 * only while it reads itself; do as it does. */
		in = bufferevent_get_input(ac->ac_bev);
		evbuffer_unfreeze(in, 0);
		n = evbuffer_read(in, fd, -1);
		evbuffer_freeze(in, 0);
		if (n <= 0) {
			authc_drop(ac, "read failed");
			return 0;
		}
		authc_read(ac->ac_bev, ac);
		if (!ac->ac_connected)
			return 0;
	}
	return 1;
}

static void
heartbeat_answer(enum authc_status st, const struct authc_health *ah, void *arg)
{
	struct authc *ac = arg;

	(void)ah;
	ac->ac_hb_pending = 0;
	if (st == AUTHC_OK)
		ac->ac_last_pong_ms = time_mono_ms();
}

/* authd proves it is alive four times a second; a stopped authd stops
 * the reuse of its earlier answers within a second. */
static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct authc *ac = arg;

	(void)fd;
	(void)what;
	if (!ac->ac_connected || ac->ac_hb_pending)
		return;
	if (authc_ping(ac, heartbeat_answer, ac) != 0)
		ac->ac_hb_pending = 1;
}

void
authc_free(struct authc *ac)
{
	struct pending *p;

	if (ac == NULL)
		return;
	while ((p = TAILQ_FIRST(&ac->ac_pending)) != NULL)
		pending_free(p);
	if (ac->ac_bev != NULL)
		bufferevent_free(ac->ac_bev);
	event_free(ac->ac_retry);
	if (ac->ac_heartbeat != NULL)
		event_free(ac->ac_heartbeat);
	free(ac);
}

void
authc_cancel(struct authc *ac, uint32_t id)
{
	struct pending *p;

	if ((p = pending_find(ac, id)) != NULL)
		pending_free(p);
}

/* Sends a frame built in b (its id is set here) and registers the wait. */
static uint32_t
authc_send(struct authc *ac, struct buf *b, enum authc_kind kind,
    union authc_cbs cb, void *arg)
{
	struct pending *p;
	struct timeval tv;
	uint32_t id;

	if (ac->ac_bev == NULL) {
		/* Try now; the request itself fails (deny) meanwhile. */
		event_del(ac->ac_retry);
		authc_connect(ac);
		if (ac->ac_bev == NULL)
			return 0;
	}
	if ((long)ac->ac_npending >= ac->ac_max_pending) {
		log_warnx("too many requests waiting for authd");
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return 0;
	if ((p->p_timer = evtimer_new(ac->ac_base, pending_timeout, p)) ==
	    NULL) {
		free(p);
		return 0;
	}
	if (++ac->ac_next_id == 0)
		ac->ac_next_id = 1;
	id = ac->ac_next_id;
	if (ipc_msg_set_id(b, id) == -1 ||
	    bufferevent_write(ac->ac_bev, b->b_data, b->b_len) == -1) {
		event_free(p->p_timer);
		free(p);
		return 0;
	}
	p->p_ac = ac;
	p->p_id = id;
	p->p_kind = kind;
	p->p_cb = cb;
	p->p_arg = arg;
	p->p_start_us = authc_clock_us();
	TAILQ_INSERT_TAIL(&ac->ac_pending, p, p_entry);
	ac->ac_npending++;
	tv.tv_sec = ac->ac_timeout_ms / 1000;
	tv.tv_usec = (ac->ac_timeout_ms % 1000) * 1000;
	event_add(p->p_timer, &tv);
	return id;
}

uint32_t
authc_ping(struct authc *ac, authc_ping_cb cb, void *arg)
{
	union authc_cbs cbs = {.cb_ping = cb};
	struct buf b;
	uint32_t id = 0;

	buf_init(&b);
	if (ipc_msg_begin(&b, IPC_REQ_PING, 0) == 0 && ipc_msg_end(&b) == 0)
		id = authc_send(ac, &b, AK_PING, cbs, arg);
	buf_free(&b);
	return id;
}

uint32_t
authc_verify(struct authc *ac, const char *tok, size_t len, authc_verify_cb cb,
    void *arg)
{
	union authc_cbs cbs = {.cb_verify = cb};
	struct buf b;
	uint32_t id = 0;

	/* authd would drop the connection over a longer one. */
	if (len > IPC_TOKEN_MAX)
		return 0;
	buf_init(&b);
	ipc_msg_begin(&b, IPC_REQ_VERIFY, 0);
	ipc_put_str(&b, tok, len);
	if (ipc_msg_end(&b) == 0)
		id = authc_send(ac, &b, AK_VERIFY, cbs, arg);
	buf_wipe_free(&b);
	return id;
}

uint32_t
authc_auth(struct authc *ac, const char *op, const char *table,
    const char *client, const char *ua, const char *bearer, const char *param,
    const char *body, size_t bodylen, authc_auth_cb cb, void *arg)
{
	union authc_cbs cbs = {.cb_auth = cb};
	struct buf b;
	uint32_t id = 0;

	/* Within the permit table's limits (common/ipc.h), or authd would
	 * drop the connection: authd keeps less of a User-Agent than is
	 * sent, so the cut changes nothing it stores. */
	if (bodylen > IPC_AUTH_BODY_MAX)
		return 0;
	buf_init(&b);
	/* Appends after a failed one are no-ops; ipc_msg_end checks once. */
	ipc_msg_begin(&b, IPC_REQ_AUTH, 0);
	ipc_put_cstr(&b, op);
	ipc_put_cstr(&b, table);
	ipc_put_cstr(&b, client);
	ipc_put_str(&b, ua, ua != NULL ? strnlen(ua, IPC_AUTH_UA_MAX) : 0);
	ipc_put_cstr(&b, bearer);
	ipc_put_cstr(&b, param);
	ipc_put_str(&b, body, bodylen);
	if (ipc_msg_end(&b) == 0) {
		if (b.b_len - IPC_HDR_LEN <= IPC_REQ_AUTH_MAX)
			id = authc_send(ac, &b, AK_AUTH, cbs, arg);
		else
			log_warnx("an auth request of %zu bytes is over the "
			          "limit of authd's permit table",
			    b.b_len - IPC_HDR_LEN);
	}
	/* The body holds a password. */
	buf_wipe_free(&b);
	return id;
}
