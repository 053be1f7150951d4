/*
 * What authd accepts, in one permit table (OpenSSH monitor.c's mon_table):
 * a request type maps to its size limit, the state authd must be in to
 * serve it, and its handler.  A type not in the table, or a header that
 * announces more than its row allows, loses the client its connection
 * (server.c logs it) before any of the body is buffered; a request that
 * comes while authd is not in its row's state is answered 503.
 * authd_answer_*() here mirror authc_*() in the gateway, and every answer
 * is built by one function (answer_send) from common/ipc.h's typed
 * answers, which the gateway's client reads back with ipc_get_answer.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/authd.h"
#include "authd/revoked.h"
#include "authd/token.h"
#include "authd/unicode.h"

/* Bytes of a User-Agent kept for auth.sessions. */
#define DISPATCH_UA_MAX 512
#define DISPATCH_CLIENT_MAX 64

typedef int (*dispatch_fn)(
    struct aconn *, const struct ipc_hdr *, struct ipc_cur *);

static int authd_answer_ping(
    struct aconn *, const struct ipc_hdr *, struct ipc_cur *);
static int authd_answer_verify(
    struct aconn *, const struct ipc_hdr *, struct ipc_cur *);
static int authd_answer_auth(
    struct aconn *, const struct ipc_hdr *, struct ipc_cur *);

/* States a request may need authd to be in (dr_needs). */
#define DISPATCH_NEEDS_REVOCATIONS 0x1 /* the revoked sessions are loaded */

static const struct dispatch_row {
	uint16_t dr_type;
	uint32_t dr_max;   /* payload bytes at most; more drops the client */
	unsigned dr_needs; /* DISPATCH_NEEDS_*; else the answer is 503 */
	dispatch_fn dr_fn;
} dispatch_table[] = {
    {IPC_REQ_PING, 0, 0, authd_answer_ping},
    /* Until the revoked sessions are loaded, no token can be vouched
     * for: fail closed. */
    {IPC_REQ_VERIFY, IPC_REQ_VERIFY_MAX, DISPATCH_NEEDS_REVOCATIONS,
        authd_answer_verify},
    {IPC_REQ_AUTH, IPC_REQ_AUTH_MAX, 0, authd_answer_auth},
};

static int send_error(
    struct aconn *ac, uint32_t id, uint16_t status, const char *msg);

static const struct dispatch_row *
dispatch_row(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(dispatch_table) / sizeof(dispatch_table[0]); i++)
		if (dispatch_table[i].dr_type == type)
			return &dispatch_table[i];
	return NULL;
}

int
dispatch_permit(const struct ipc_hdr *h)
{
	const struct dispatch_row *dr;

	if ((dr = dispatch_row(h->ih_type)) == NULL || h->ih_len > dr->dr_max)
		return -1;
	return 0;
}

int
dispatch_frame(
    struct aconn *ac, const struct ipc_hdr *h, const unsigned char *payload)
{
	const struct dispatch_row *dr;
	struct ipc_cur cur;

	if (dispatch_permit(h) == -1 || (dr = dispatch_row(h->ih_type)) == NULL)
		return -1;
	if ((dr->dr_needs & DISPATCH_NEEDS_REVOCATIONS) &&
	    !atomic_load(&ac->ac_authd->ad_revoked_ready))
		return send_error(
		    ac, h->ih_id, 503, "revocations not loaded yet");
	ipc_cur_init(&cur, payload, h->ih_len);
	return dr->dr_fn(ac, h, &cur);
}

/*
 * Replaces *s (owned) by its scrubbed form (valid UTF-8 without controls,
 * at most max bytes): what the gateway forwards from a client's headers is
 * stored in text columns, which refuse invalid UTF-8.  0 or -1.
 */
static int
scrub_field(char **s, size_t max)
{
	struct buf b;
	char *t;

	buf_init(&b);
	if (uni_scrub(*s, strlen(*s), max, &b) == -1 ||
	    (t = buf_release(&b, NULL)) == NULL) {
		buf_free(&b);
		return -1;
	}
	free(*s);
	*s = t;
	return 0;
}

/*
 * Every answer authd gives is built and queued here.  Answers carry
 * tokens, so the frame is wiped once it has been copied out.  0 or -1.
 */
static int
answer_send(struct aconn *ac, const struct ipc_answer *a)
{
	struct buf b;
	int rv = -1;

	buf_init(&b);
	if (ipc_put_answer(&b, a) == 0)
		rv = aconn_send(ac, &b);
	buf_wipe_free(&b);
	return rv;
}

static int
send_error(struct aconn *ac, uint32_t id, uint16_t status, const char *msg)
{
	struct ipc_answer a = {.an_type = IPC_ANS_ERROR, .an_id = id};

	a.an_u.an_error.ae_status = status;
	a.an_u.an_error.ae_msg = msg;
	a.an_u.an_error.ae_msglen = strlen(msg);
	return answer_send(ac, &a);
}

#define AUTHD_PING_HOLD_MS 300

static int
ping_send(struct authd *ad, struct aconn *ac, uint32_t id)
{
	struct ipc_answer a = {.an_type = IPC_ANS_PING, .an_id = id};
	struct ipc_ans_ping *p = &a.an_u.an_ping;

	p->ap_db_ok = atomic_load(&ad->ad_db_ok);
	p->ap_listen_ok = atomic_load(&ad->ad_listen_ok);
	p->ap_reason = !p->ap_db_ok ? "authd cannot reach its database"
	               : !p->ap_listen_ok
	                   ? "authd's revocation LISTEN is not established"
	                   : "";
	p->ap_reasonlen = strlen(p->ap_reason);
	return answer_send(ac, &a);
}

void
dispatch_pings_flush(struct authd *ad)
{
	struct aconn *ac;
	int i;

	if (ad->ad_ping_timer != NULL)
		event_del(ad->ad_ping_timer);
	for (i = 0; i < ad->ad_npings; i++)
		if ((ac = aconn_find(ad, ad->ad_pings[i].pp_conn)) != NULL &&
		    ping_send(ad, ac, ad->ad_pings[i].pp_id) == -1)
			log_warnx("cannot answer a ping");
	ad->ad_npings = 0;
}

static void
pings_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dispatch_pings_flush(arg);
}

/*
 * With the database up, the answer is immediate.  Down, the ping starts a
 * check and waits for it (at most AUTHD_PING_HOLD_MS), so that readiness
 * turns green as soon as the database is back, not a check period later.
 */
static int
authd_answer_ping(
    struct aconn *ac, const struct ipc_hdr *h, struct ipc_cur *cur)
{
	struct authd *ad = ac->ac_authd;
	struct timeval tv = {0, AUTHD_PING_HOLD_MS * 1000};

	if (ipc_end(cur) == -1)
		return -1;
	if (atomic_load(&ad->ad_db_ok))
		return ping_send(ad, ac, h->ih_id);
	if (ad->ad_ping_timer == NULL)
		ad->ad_ping_timer = evtimer_new(ad->ad_base, pings_timeout, ad);
	if (ad->ad_ping_timer == NULL ||
	    ad->ad_npings >=
	        (int)(sizeof(ad->ad_pings) / sizeof(ad->ad_pings[0])))
		return ping_send(ad, ac, h->ih_id);
	ad->ad_pings[ad->ad_npings].pp_conn = ac->ac_serial;
	ad->ad_pings[ad->ad_npings].pp_id = h->ih_id;
	if (ad->ad_npings++ == 0)
		evtimer_add(ad->ad_ping_timer, &tv);
	authd_dbcheck(ad);
	return 0;
}

static int
authd_answer_verify(
    struct aconn *ac, const struct ipc_hdr *h, struct ipc_cur *cur)
{
	struct authd *ad = ac->ac_authd;
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY, .an_id = h->ih_id};
	struct ipc_ans_verify *v = &a.an_u.an_verify;
	struct token_claims tc;
	enum token_err te;
	const char *tok;
	size_t toklen;
	uint8_t result;
	int64_t now;

	if (ipc_get_str(cur, &tok, &toklen) == -1 || ipc_end(cur) == -1)
		return -1;
	memset(&tc, 0, sizeof(tc));
	now = time_epoch_s();
	te = token_verify(ad->ad_key, ad->ad_keylen, tok, toklen, now,
	    ad->ad_cf.cf_token_leeway, &tc);
	result = te == TOKEN_OK        ? IPC_VERIFY_OK
	         : te == TOKEN_EXPIRED ? IPC_VERIFY_EXPIRED
	                               : IPC_VERIFY_INVALID;
	if (te == TOKEN_OK && revoked_contains(ad->ad_revoked, tc.tc_sid, now))
		result = IPC_VERIFY_REVOKED;
	if (result != IPC_VERIFY_OK)
		memset(&tc, 0, sizeof(tc));
	v->av_result = result;
	v->av_sub = tc.tc_sub;
	v->av_sublen = strlen(tc.tc_sub);
	v->av_sid = tc.tc_sid;
	v->av_sidlen = strlen(tc.tc_sid);
	v->av_tbl = tc.tc_tbl;
	v->av_tbllen = strlen(tc.tc_tbl);
	v->av_exp = result == IPC_VERIFY_OK ? (uint64_t)tc.tc_exp : 0;
	v->av_reason = result == IPC_VERIFY_OK        ? ""
	               : result == IPC_VERIFY_REVOKED ? "revoked"
	                                              : token_err_str(te);
	v->av_reasonlen = strlen(v->av_reason);
	return answer_send(ac, &a);
}

static int
authd_answer_auth(
    struct aconn *ac, const struct ipc_hdr *h, struct ipc_cur *cur)
{
	struct authd *ad = ac->ac_authd;
	struct job *j;
	const char *body;
	size_t bodylen;

	if ((j = job_new(JOB_AUTH)) == NULL)
		return send_error(ac, h->ih_id, 503, "out of memory");
	if (ipc_get_cstr(cur, &j->j_req.ar_op) == -1 ||
	    ipc_get_cstr(cur, &j->j_req.ar_table) == -1 ||
	    ipc_get_cstr(cur, &j->j_req.ar_client) == -1 ||
	    ipc_get_cstr(cur, &j->j_req.ar_ua) == -1 ||
	    ipc_get_cstr(cur, &j->j_req.ar_bearer) == -1 ||
	    ipc_get_cstr(cur, &j->j_req.ar_arg) == -1 ||
	    ipc_get_str(cur, &body, &bodylen) == -1 || ipc_end(cur) == -1 ||
	    bodylen > IPC_AUTH_BODY_MAX) {
		job_free(j);
		return -1;
	}
	/* A gateway may forward the auth operations only. */
	if (op_from_name(j->j_req.ar_op, &j->j_req.ar_opid) == -1 ||
	    op_info(j->j_req.ar_opid)->oi_kind != OPK_AUTH) {
		job_free(j);
		return send_error(ac, h->ih_id, 404, "unknown auth operation");
	}
	if (scrub_field(&j->j_req.ar_ua, DISPATCH_UA_MAX) == -1 ||
	    scrub_field(&j->j_req.ar_client, DISPATCH_CLIENT_MAX) == -1) {
		job_free(j);
		return send_error(ac, h->ih_id, 503, "out of memory");
	}
	if ((j->j_req.ar_body = malloc(bodylen + 1)) == NULL) {
		job_free(j);
		return send_error(ac, h->ih_id, 503, "out of memory");
	}
	memcpy(j->j_req.ar_body, body, bodylen);
	j->j_req.ar_body[bodylen] = '\0';
	j->j_req.ar_bodylen = bodylen;
	j->j_conn = ac->ac_serial;
	j->j_id = h->ih_id;
	if (workers_submit(ad->ad_workers, j) == -1) {
		job_free(j);
		return send_error(ac, h->ih_id, 503, "authd is overloaded");
	}
	return 0;
}

/* Called on the event loop when a worker finished a job. */
void
dispatch_job_done(struct authd *ad, struct job *j)
{
	struct ipc_answer a = {.an_type = IPC_ANS_AUTH, .an_id = j->j_id};
	struct aconn *ac;

	if (j->j_kind == JOB_DBCHECK)
		dispatch_pings_flush(ad);
	if (j->j_kind != JOB_AUTH)
		return;
	/* A revocation this job made reaches the gateways before its
	 * answer does. */
	notice_flush(ad);
	/* The gateway may have gone away meanwhile; then nobody waits. */
	if ((ac = aconn_find(ad, j->j_conn)) == NULL)
		return;
	a.an_u.an_auth.aa_status = j->j_res.as_status;
	a.an_u.an_auth.aa_retry = j->j_res.as_retry;
	a.an_u.an_auth.aa_body = j->j_res.as_body.b_data;
	a.an_u.an_auth.aa_bodylen = j->j_res.as_body.b_len;
	if (answer_send(ac, &a) == -1)
		log_warnx("%s: cannot answer request %u", __func__, j->j_id);
}
