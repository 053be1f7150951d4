/*
 * gateway/authc.c against a fake authd on a Unix socket: each authc_*()
 * puts its request on the wire as common/ipc.h says, and each answer
 * authd can give (built with ipc_put_answer, as authd builds it) reaches
 * the callback as its typed result; anything else is AUTHC_BADANSWER, and
 * no answer AUTHC_TIMEOUT.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/event.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "gateway/authc.h"

#define TIMEOUT_MS 300

/* The fake authd: a listener, its one accepted connection, and what the
 * last callback got. */
struct fake {
	char f_dir[64];
	char f_path[108];
	int f_lfd;
	int f_fd;
	struct event_base *f_base;
	struct authc *f_ac;
	struct buf f_in; /* bytes read from authc, not yet taken */
	int f_done;
	enum authc_status f_st;
	int f_observed;
	int f_observed_st;
	/* Copies of the typed result, since it lives only during the call. */
	int f_has_result;
	struct authc_health f_ah;
	struct authc_claims f_cl;
	struct authc_reply f_rp;
	char f_s[4][256];
	struct buf f_body;
};

static struct fake fk;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
observer(int st, int64_t usec)
{
	cr_assert(usec >= 0);
	fk.f_observed++;
	fk.f_observed_st = st;
}

static void
setup(void)
{
	struct sockaddr_un sun;
	int64_t deadline;

	memset(&fk, 0, sizeof(fk));
	buf_init(&fk.f_in);
	buf_init(&fk.f_body);
	snprintf(fk.f_dir, sizeof(fk.f_dir), "/tmp/test_authc.XXXXXX");
	cr_assert_not_null(mkdtemp(fk.f_dir));
	snprintf(fk.f_path, sizeof(fk.f_path), "%s/s", fk.f_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, fk.f_path, strlen(fk.f_path));
	cr_assert((fk.f_lfd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	cr_assert(bind(fk.f_lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	cr_assert(listen(fk.f_lfd, 4) == 0);
	cr_assert_not_null(fk.f_base = event_base_new());
	cr_assert_not_null(
	    fk.f_ac = authc_new(fk.f_base, fk.f_path, TIMEOUT_MS, 4));
	authc_set_observer(fk.f_ac, observer);
	/* authc connects at once; take the connection and let the event
	 * loop see it connected. */
	cr_assert((fk.f_fd = accept(fk.f_lfd, NULL, NULL)) != -1);
	cr_assert(fcntl(fk.f_fd, F_SETFL, O_NONBLOCK) == 0);
	deadline = now_ms() + 2000;
	while (!authc_connected(fk.f_ac) && now_ms() < deadline)
		event_base_loop(fk.f_base, EVLOOP_NONBLOCK);
	cr_assert(authc_connected(fk.f_ac));
}

static void
teardown(void)
{
	authc_free(fk.f_ac);
	event_base_free(fk.f_base);
	close(fk.f_fd);
	close(fk.f_lfd);
	unlink(fk.f_path);
	rmdir(fk.f_dir);
	buf_free(&fk.f_in);
	buf_free(&fk.f_body);
}

TestSuite(authc, .init = setup, .fini = teardown, .timeout = 20);

/* Runs the event loop and reads what authc sent, for up to ms. */
static void
pump(int ms)
{
	struct pollfd pfd = {.fd = fk.f_fd, .events = POLLIN};
	char tmp[65536];
	ssize_t n;

	event_base_loop(fk.f_base, EVLOOP_NONBLOCK);
	if (poll(&pfd, 1, ms) > 0 && (n = read(fk.f_fd, tmp, sizeof(tmp))) > 0)
		cr_assert_eq(buf_add(&fk.f_in, tmp, (size_t)n), 0);
	event_base_loop(fk.f_base, EVLOOP_NONBLOCK);
}

static void send_answer(const struct ipc_answer *a);

/* authc's heartbeat: authd is healthy. */
static void
answer_heartbeat(uint32_t id)
{
	struct ipc_answer a = {.an_type = IPC_ANS_PING, .an_id = id};

	a.an_u.an_ping.ap_db_ok = 1;
	a.an_u.an_ping.ap_listen_ok = 1;
	send_answer(&a);
}

/*
 * Waits for a request of the given type, answering authc's heartbeat
 * pings on the way, and copies its frame to out.
 */
static void
next_request(uint16_t type, struct buf *out)
{
	int64_t deadline = now_ms() + 2000;
	struct ipc_hdr h;
	size_t n;
	int r;

	while (now_ms() < deadline) {
		r = ipc_frame_take(
		    (unsigned char *)fk.f_in.b_data, fk.f_in.b_len, &h);
		cr_assert_neq(r, -1, "authc sent a bad frame");
		if (r == 0) {
			pump(10);
			continue;
		}
		n = IPC_HDR_LEN + h.ih_len;
		if (h.ih_type == type) {
			buf_reset(out);
			cr_assert_eq(buf_add(out, fk.f_in.b_data, n), 0);
		}
		memmove(fk.f_in.b_data, fk.f_in.b_data + n, fk.f_in.b_len - n);
		fk.f_in.b_len -= n;
		if (h.ih_type == type)
			return;
		cr_assert_eq(h.ih_type, IPC_REQ_PING, "unexpected %s",
		    ipc_type_name(h.ih_type));
		answer_heartbeat(h.ih_id);
	}
	cr_assert_fail("no %s from authc", ipc_type_name(type));
}

static uint32_t
frame_id(const struct buf *b)
{
	struct ipc_hdr h;

	cr_assert_eq(
	    ipc_hdr_parse((unsigned char *)b->b_data, b->b_len, &h), 0);
	return h.ih_id;
}

static void
send_bytes(const void *p, size_t n)
{
	cr_assert_eq(write(fk.f_fd, p, n), (ssize_t)n);
}

static void
send_answer(const struct ipc_answer *a)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(ipc_put_answer(&b, a), 0);
	send_bytes(b.b_data, b.b_len);
	buf_free(&b);
}

static void
wait_done(void)
{
	int64_t deadline = now_ms() + 2000;

	while (!fk.f_done && now_ms() < deadline)
		pump(5);
	cr_assert(fk.f_done, "the callback was not called");
}

static void
copy_str(int i, const char *s)
{
	cr_assert_not_null(s);
	cr_assert(strlen(s) < sizeof(fk.f_s[i]));
	snprintf(fk.f_s[i], sizeof(fk.f_s[i]), "%s", s);
}

static void
ping_cb(enum authc_status st, const struct authc_health *ah, void *arg)
{
	cr_assert_eq(arg, &fk);
	fk.f_done++;
	fk.f_st = st;
	cr_assert_eq(st == AUTHC_OK, ah != NULL);
	if ((fk.f_has_result = ah != NULL)) {
		fk.f_ah = *ah;
		copy_str(0, ah->ah_reason);
	}
}

static void
verify_cb(enum authc_status st, const struct authc_claims *cl, void *arg)
{
	cr_assert_eq(arg, &fk);
	fk.f_done++;
	fk.f_st = st;
	cr_assert_eq(st == AUTHC_OK, cl != NULL);
	if ((fk.f_has_result = cl != NULL)) {
		fk.f_cl = *cl;
		copy_str(0, cl->acl_sub);
		copy_str(1, cl->acl_sid);
		copy_str(2, cl->acl_tbl);
		copy_str(3, cl->acl_reason);
	}
}

static void
auth_cb(enum authc_status st, const struct authc_reply *rp, void *arg)
{
	cr_assert_eq(arg, &fk);
	fk.f_done++;
	fk.f_st = st;
	cr_assert_eq(st == AUTHC_OK, rp != NULL);
	if ((fk.f_has_result = rp != NULL)) {
		fk.f_rp = *rp;
		buf_reset(&fk.f_body);
		if (rp->arp_body != NULL)
			cr_assert_eq(
			    buf_add(&fk.f_body, rp->arp_body, rp->arp_bodylen),
			    0);
		if (rp->arp_error != NULL)
			copy_str(0, rp->arp_error);
		/* One or the other. */
		cr_assert((rp->arp_body == NULL) != (rp->arp_error == NULL));
	}
}

/* The payload of a request frame, as a cursor. */
static void
open_request(const struct buf *b, struct ipc_cur *c)
{
	ipc_cur_init(c, b->b_data + IPC_HDR_LEN, b->b_len - IPC_HDR_LEN);
}

static void
expect_field(struct ipc_cur *c, const char *want, size_t n)
{
	const char *s;
	size_t len;

	cr_assert_eq(ipc_get_str(c, &s, &len), 0);
	cr_assert_eq(len, n);
	cr_assert(n == 0 || memcmp(s, want, n) == 0);
}

Test(authc, verify_claims)
{
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY};
	struct ipc_ans_verify *v = &a.an_u.an_verify;
	struct ipc_cur c;
	struct buf req;
	uint32_t id;

	buf_init(&req);
	id = authc_verify(fk.f_ac, "aaa.bbb.ccc", 11, verify_cb, &fk);
	cr_assert_neq(id, 0);
	next_request(IPC_REQ_VERIFY, &req);
	/* The id authc returned is the one on the wire. */
	cr_assert_eq(frame_id(&req), id);
	open_request(&req, &c);
	expect_field(&c, "aaa.bbb.ccc", 11);
	cr_assert_eq(ipc_end(&c), 0);

	a.an_id = id;
	v->av_result = IPC_VERIFY_OK;
	v->av_sub = "42";
	v->av_sublen = 2;
	v->av_sid = "sess-1";
	v->av_sidlen = 6;
	v->av_tbl = "users";
	v->av_tbllen = 5;
	v->av_exp = 1795812509;
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_OK);
	cr_assert_eq(fk.f_cl.acl_verdict, AUTHC_VALID);
	cr_assert_str_eq(fk.f_s[0], "42");
	cr_assert_str_eq(fk.f_s[1], "sess-1");
	cr_assert_str_eq(fk.f_s[2], "users");
	cr_assert_str_eq(fk.f_s[3], "");
	cr_assert_eq(fk.f_cl.acl_exp, 1795812509);
	cr_assert_eq(fk.f_done, 1);
	cr_assert(fk.f_observed >= 1);
	cr_assert_eq(fk.f_observed_st, AUTHC_OK);
	buf_free(&req);
}

Test(authc, verify_refusals)
{
	static const struct {
		uint8_t result;
		enum authc_verdict verdict;
		const char *reason;
	} cases[] = {
	    {IPC_VERIFY_INVALID, AUTHC_INVALID, "bad signature"},
	    {IPC_VERIFY_EXPIRED, AUTHC_EXPIRED, "expired"},
	    {IPC_VERIFY_REVOKED, AUTHC_REVOKED, "revoked"},
	};
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY};
	struct buf req;
	size_t i;

	buf_init(&req);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fk.f_done = 0;
		memset(&a.an_u, 0, sizeof(a.an_u));
		a.an_id = authc_verify(fk.f_ac, "t.t.t", 5, verify_cb, &fk);
		cr_assert_neq(a.an_id, 0);
		next_request(IPC_REQ_VERIFY, &req);
		a.an_u.an_verify.av_result = cases[i].result;
		a.an_u.an_verify.av_reason = cases[i].reason;
		a.an_u.an_verify.av_reasonlen = strlen(cases[i].reason);
		send_answer(&a);
		wait_done();
		cr_assert_eq(fk.f_st, AUTHC_OK);
		cr_assert_eq(fk.f_cl.acl_verdict, cases[i].verdict);
		cr_assert_str_eq(fk.f_s[0], "");
		cr_assert_str_eq(fk.f_s[3], cases[i].reason);
	}
	buf_free(&req);
}

/* A verification authd refuses (revocations not loaded) or answers with
 * the wrong type: no claims, fail closed. */
Test(authc, verify_bad_answers)
{
	struct ipc_answer a = {.an_type = IPC_ANS_ERROR};
	struct buf req;

	buf_init(&req);
	a.an_id = authc_verify(fk.f_ac, "t.t.t", 5, verify_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_VERIFY, &req);
	a.an_u.an_error.ae_status = 503;
	a.an_u.an_error.ae_msg = "revocations not loaded yet";
	a.an_u.an_error.ae_msglen = strlen(a.an_u.an_error.ae_msg);
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_BADANSWER);
	cr_assert_not(fk.f_has_result);

	/* An auth answer to a verification. */
	fk.f_done = 0;
	memset(&a, 0, sizeof(a));
	a.an_type = IPC_ANS_AUTH;
	a.an_u.an_auth.aa_status = 200;
	a.an_id = authc_verify(fk.f_ac, "t.t.t", 5, verify_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_VERIFY, &req);
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_BADANSWER);
	buf_free(&req);
}

/* A verify answer with a byte too many: malformed, the connection stays
 * (the frame itself was sound). */
Test(authc, malformed_answer)
{
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY};
	struct buf req, b;

	buf_init(&req);
	buf_init(&b);
	a.an_id = authc_verify(fk.f_ac, "t.t.t", 5, verify_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_VERIFY, &req);
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(buf_add(&b, "x", 1), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	send_bytes(b.b_data, b.b_len);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_BADANSWER);
	cr_assert(authc_connected(fk.f_ac));
	buf_free(&req);
	buf_free(&b);
}

Test(authc, auth_answer_and_refusal)
{
	static const char body[] = "{\"code\":\"PN500\"}";
	struct ipc_answer a = {.an_type = IPC_ANS_AUTH};
	struct ipc_cur c;
	struct buf req;

	buf_init(&req);
	a.an_id = authc_auth(fk.f_ac, "login", "users", "192.0.2.1", "curl/8",
	    "", "", "{\"e\":1}", 7, auth_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_AUTH, &req);
	cr_assert_eq(frame_id(&req), a.an_id);
	open_request(&req, &c);
	expect_field(&c, "login", 5);
	expect_field(&c, "users", 5);
	expect_field(&c, "192.0.2.1", 9);
	expect_field(&c, "curl/8", 6);
	expect_field(&c, "", 0);
	expect_field(&c, "", 0);
	expect_field(&c, "{\"e\":1}", 7);
	cr_assert_eq(ipc_end(&c), 0);
	a.an_u.an_auth.aa_status = 429;
	a.an_u.an_auth.aa_retry = 60;
	a.an_u.an_auth.aa_body = body;
	a.an_u.an_auth.aa_bodylen = sizeof(body) - 1;
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_OK);
	cr_assert_eq(fk.f_rp.arp_status, 429);
	cr_assert_eq(fk.f_rp.arp_retry_after, 60);
	cr_assert_eq(fk.f_body.b_len, sizeof(body) - 1);
	cr_assert_eq(memcmp(fk.f_body.b_data, body, sizeof(body) - 1), 0);

	/* authd refuses the request: status and message, no body. */
	fk.f_done = 0;
	memset(&a, 0, sizeof(a));
	a.an_type = IPC_ANS_ERROR;
	a.an_id = authc_auth(
	    fk.f_ac, "nope", "users", "", "", "", "", "", 0, auth_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_AUTH, &req);
	a.an_u.an_error.ae_status = 404;
	a.an_u.an_error.ae_msg = "unknown auth operation";
	a.an_u.an_error.ae_msglen = strlen(a.an_u.an_error.ae_msg);
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_OK);
	cr_assert_eq(fk.f_rp.arp_status, 404);
	cr_assert_null(fk.f_rp.arp_body);
	cr_assert_str_eq(fk.f_s[0], "unknown auth operation");
	buf_free(&req);
}

/* authc stays within authd's permit table, never losing its connection
 * over a request: a body over the limit is not sent, a User-Agent is cut. */
Test(authc, auth_within_limits)
{
	static char big[IPC_AUTH_BODY_MAX + 1], ua[5000];
	/* The largest of each field the gateway has: rt_op[32],
	 * rt_table[ROUTE_NAME_MAX = 64], rq_client[64], a token of
	 * TOKEN_MAX = IPC_TOKEN_MAX bytes, rq_idseg[128]. */
	static char op[32], table[64], client[64], tok[IPC_TOKEN_MAX + 1],
	    param[128];
	struct ipc_answer a = {.an_type = IPC_ANS_AUTH};
	struct ipc_cur c;
	struct buf req;
	const char *s;
	uint32_t id;
	size_t n;

	buf_init(&req);
	memset(big, ' ', sizeof(big));
	id = authc_auth(fk.f_ac, "login", "users", "", "", "", "", big,
	    sizeof(big), auth_cb, &fk);
	cr_assert_eq(id, 0);
	memset(ua, 'u', sizeof(ua) - 1);
	memset(op, 'o', sizeof(op) - 1);
	memset(table, 't', sizeof(table) - 1);
	memset(client, 'c', sizeof(client) - 1);
	memset(tok, 'k', sizeof(tok) - 1);
	memset(param, 'p', sizeof(param) - 1);
	a.an_id = authc_auth(fk.f_ac, op, table, client, ua, tok, param, big,
	    IPC_AUTH_BODY_MAX, auth_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	next_request(IPC_REQ_AUTH, &req);
	/* All of it at once is within authd's limit for REQ_AUTH. */
	cr_assert(req.b_len - IPC_HDR_LEN <= IPC_REQ_AUTH_MAX);
	open_request(&req, &c);
	expect_field(&c, op, sizeof(op) - 1);
	expect_field(&c, table, sizeof(table) - 1);
	expect_field(&c, client, sizeof(client) - 1);
	cr_assert_eq(ipc_get_str(&c, &s, &n), 0);
	cr_assert_eq(n, IPC_AUTH_UA_MAX);
	expect_field(&c, tok, sizeof(tok) - 1);
	expect_field(&c, param, sizeof(param) - 1);
	expect_field(&c, big, IPC_AUTH_BODY_MAX);
	cr_assert_eq(ipc_end(&c), 0);
	a.an_u.an_auth.aa_status = 200;
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_OK);
	/* A token over the limit is not sent either. */
	id = authc_verify(fk.f_ac, big, IPC_TOKEN_MAX + 1, verify_cb, &fk);
	cr_assert_eq(id, 0);
	buf_free(&req);
}

Test(authc, ping_health)
{
	struct ipc_answer a = {.an_type = IPC_ANS_PING};
	struct buf req;

	buf_init(&req);
	a.an_id = authc_ping(fk.f_ac, ping_cb, &fk);
	cr_assert_neq(a.an_id, 0);
	/* Heartbeats are pings too: answer the one with our id. */
	for (;;) {
		next_request(IPC_REQ_PING, &req);
		if (frame_id(&req) == a.an_id)
			break;
		answer_heartbeat(frame_id(&req));
	}
	a.an_u.an_ping.ap_db_ok = 1;
	a.an_u.an_ping.ap_reason = "authd's revocation LISTEN is not "
	                           "established";
	a.an_u.an_ping.ap_reasonlen = strlen(a.an_u.an_ping.ap_reason);
	send_answer(&a);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_OK);
	cr_assert_eq(fk.f_ah.ah_db_ok, 1);
	cr_assert_eq(fk.f_ah.ah_listen_ok, 0);
	cr_assert_str_eq(
	    fk.f_s[0], "authd's revocation LISTEN is not established");
	buf_free(&req);
}

Test(authc, timeout_and_cancel)
{
	struct buf req;
	uint32_t id;

	buf_init(&req);
	/* A cancelled request is never called back. */
	id = authc_verify(fk.f_ac, "t.t.t", 5, verify_cb, &fk);
	cr_assert_neq(id, 0);
	authc_cancel(fk.f_ac, id);
	/* An unanswered one times out. */
	id = authc_verify(fk.f_ac, "u.u.u", 5, verify_cb, &fk);
	cr_assert_neq(id, 0);
	next_request(IPC_REQ_VERIFY, &req);
	wait_done();
	cr_assert_eq(fk.f_st, AUTHC_TIMEOUT);
	cr_assert_eq(fk.f_done, 1);
	cr_assert_eq(fk.f_observed_st, AUTHC_TIMEOUT);
	buf_free(&req);
}

/* authd going away fails what waits, as unavailable. */
Test(authc, connection_lost)
{
	struct buf req;
	uint32_t id;

	buf_init(&req);
	id = authc_auth(
	    fk.f_ac, "me", "users", "", "", "", "", "", 0, auth_cb, &fk);
	cr_assert_neq(id, 0);
	next_request(IPC_REQ_AUTH, &req);
	close(fk.f_fd);
	fk.f_fd = -1;
	while (!fk.f_done)
		event_base_loop(fk.f_base, EVLOOP_ONCE);
	cr_assert_eq(fk.f_st, AUTHC_UNAVAILABLE);
	cr_assert_not(fk.f_has_result);
	buf_free(&req);
}

/*
 * Re-entry: a callback that asks authc_fresh() while authc is still taking
 * in the frames of one read (a pipelined request handled from inside an
 * answer's callback does) must not read the socket again under the loop
 * that is walking the input, or that loop then drains bytes of frames it
 * has not seen.  authc_fresh answers "not fresh" there (the caller asks
 * authd again), and every answer still reaches its request.
 */
struct reentry {
	struct buf re_rest; /* sent by the first callback, before asking */
	int re_fresh;       /* what authc_fresh said inside it */
	int re_done[3];
	char re_sub[3][16];
};

static struct reentry re;

static void
reentry_cb(enum authc_status st, const struct authc_claims *cl, void *arg)
{
	int i = (int)(intptr_t)arg;

	cr_assert_eq(st, AUTHC_OK, "request %d: status %d", i, st);
	re.re_done[i]++;
	snprintf(re.re_sub[i], sizeof(re.re_sub[i]), "%s", cl->acl_sub);
	if (i == 0) {
		send_bytes(re.re_rest.b_data, re.re_rest.b_len);
		re.re_fresh = authc_fresh(fk.f_ac);
	}
}

static void
put_verify_answer(struct buf *out, uint32_t id, const char *sub)
{
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY, .an_id = id};
	struct ipc_ans_verify *v = &a.an_u.an_verify;

	v->av_result = IPC_VERIFY_OK;
	v->av_sub = sub;
	v->av_sublen = strlen(sub);
	v->av_sid = "s";
	v->av_sidlen = 1;
	v->av_tbl = "users";
	v->av_tbllen = 5;
	v->av_exp = 1795812509;
	cr_assert_eq(ipc_put_answer(out, &a), 0);
}

Test(authc, fresh_inside_a_callback_reads_nothing)
{
	struct buf req, f[3];
	uint32_t id[3];
	int64_t deadline;
	size_t h1, h2;
	int i;

	memset(&re, 0, sizeof(re));
	buf_init(&re.re_rest);
	buf_init(&req);
	/* Fresh first: a heartbeat answered. */
	next_request(IPC_REQ_PING, &req);
	answer_heartbeat(frame_id(&req));
	deadline = now_ms() + 2000;
	while (!authc_fresh(fk.f_ac) && now_ms() < deadline)
		pump(5);
	cr_assert(authc_fresh(fk.f_ac), "authc never became fresh");

	for (i = 0; i < 3; i++) {
		id[i] = authc_verify(fk.f_ac, "aaa.bbb.ccc", 11, reentry_cb,
		    (void *)(intptr_t)i);
		cr_assert_neq(id[i], 0);
		next_request(IPC_REQ_VERIFY, &req);
		buf_init(&f[i]);
		put_verify_answer(&f[i], id[i],
		    i == 0   ? "u0"
		    : i == 1 ? "u1"
		             : "u2");
	}
	/* The first answer and half the second now; the first callback
	 * sends the rest of the second and half the third, then asks. */
	h1 = f[1].b_len / 2;
	h2 = f[2].b_len / 2;
	cr_assert_eq(
	    buf_add(&re.re_rest, f[1].b_data + h1, f[1].b_len - h1), 0);
	cr_assert_eq(buf_add(&re.re_rest, f[2].b_data, h2), 0);
	send_bytes(f[0].b_data, f[0].b_len);
	send_bytes(f[1].b_data, h1);
	deadline = now_ms() + 2000;
	while (re.re_done[0] == 0 && now_ms() < deadline)
		pump(5);
	cr_assert_eq(re.re_done[0], 1, "the first answer was not taken in");
	cr_assert_eq(re.re_fresh, 0,
	    "authc_fresh read the socket inside a "
	    "callback of authc's own read");
	send_bytes(f[2].b_data + h2, f[2].b_len - h2);
	deadline = now_ms() + 2000;
	while (
	    (re.re_done[1] == 0 || re.re_done[2] == 0) && now_ms() < deadline)
		pump(5);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(re.re_done[i], 1,
		    "answer %d reached its request %d "
		    "times",
		    i, re.re_done[i]);
		buf_free(&f[i]);
	}
	cr_assert_str_eq(re.re_sub[1], "u1");
	cr_assert_str_eq(re.re_sub[2], "u2");
	cr_assert(authc_connected(fk.f_ac), "the connection was dropped");
	buf_free(&req);
	buf_free(&re.re_rest);
}
