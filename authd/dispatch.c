/*
 * What authd accepts, in one table (OpenSSH monitor.c's mon_table): a frame
 * type maps to one handler; anything else is refused and the connection
 * dropped.  authd_answer_*() here mirror authc_*() in the gateway.
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

static const struct dispatch_row {
	uint16_t dr_type;
	dispatch_fn dr_fn;
} dispatch_table[] = {
    {IPC_REQ_PING, authd_answer_ping},
    {IPC_REQ_VERIFY, authd_answer_verify},
    {IPC_REQ_AUTH, authd_answer_auth},
};

int
dispatch_frame(
    struct aconn *ac, const struct ipc_hdr *h, const unsigned char *payload)
{
	struct ipc_cur cur;
	size_t i;

	ipc_cur_init(&cur, payload, h->ih_len);
	for (i = 0; i < sizeof(dispatch_table) / sizeof(dispatch_table[0]); i++)
		if (dispatch_table[i].dr_type == h->ih_type)
			return dispatch_table[i].dr_fn(ac, h, &cur);
	return -1;
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

static int
send_error(struct aconn *ac, uint32_t id, uint16_t status, const char *msg)
{
	struct buf b;
	int rv = -1;

	buf_init(&b);
	if (ipc_msg_begin(&b, IPC_ANS_ERROR, id) == -1 ||
	    ipc_put_u16(&b, status) == -1 || ipc_put_cstr(&b, msg) == -1 ||
	    ipc_msg_end(&b) == -1)
		goto fail;
	rv = aconn_send(ac, &b);
fail:
	buf_free(&b);
	return rv;
}

#define AUTHD_PING_HOLD_MS 300

static int
ping_send(struct authd *ad, struct aconn *ac, uint32_t id)
{
	int dbok = atomic_load(&ad->ad_db_ok);
	int listenok = atomic_load(&ad->ad_listen_ok);
	struct buf b;
	int rv = -1;

	buf_init(&b);
	if (ipc_put_ping(&b, id, dbok, listenok,
	        !dbok       ? "authd cannot reach its database"
	        : !listenok ? "authd's revocation LISTEN is not established"
	                    : "") == 0)
		rv = aconn_send(ac, &b);
	buf_free(&b);
	return rv;
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
	struct token_claims tc;
	enum token_err te;
	const char *tok;
	size_t toklen;
	struct buf b;
	uint8_t result;
	int64_t now;
	int rv = -1;

	if (ipc_get_str(cur, &tok, &toklen) == -1 || ipc_end(cur) == -1)
		return -1;
	/* Until the revoked sessions are loaded, no token can be vouched
	 * for: fail closed. */
	if (!atomic_load(&ad->ad_revoked_ready))
		return send_error(
		    ac, h->ih_id, 503, "revocations not loaded yet");
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
	buf_init(&b);
	if (ipc_msg_begin(&b, IPC_ANS_VERIFY, h->ih_id) == -1 ||
	    ipc_put_u8(&b, result) == -1 || ipc_put_cstr(&b, tc.tc_sub) == -1 ||
	    ipc_put_cstr(&b, tc.tc_sid) == -1 ||
	    ipc_put_cstr(&b, tc.tc_tbl) == -1 ||
	    ipc_put_u64(
	        &b, result == IPC_VERIFY_OK ? (uint64_t)tc.tc_exp : 0) == -1 ||
	    ipc_put_cstr(&b, result == IPC_VERIFY_OK ? ""
	                     : result == IPC_VERIFY_REVOKED
	                         ? "revoked"
	                         : token_err_str(te)) == -1 ||
	    ipc_msg_end(&b) == -1)
		goto fail;
	rv = aconn_send(ac, &b);
fail:
	buf_free(&b);
	return rv;
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
	    ipc_get_str(cur, &body, &bodylen) == -1 || ipc_end(cur) == -1) {
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
	struct aconn *ac;
	struct buf b;

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
	buf_init(&b);
	if (ipc_msg_begin(&b, IPC_ANS_AUTH, j->j_id) == -1 ||
	    ipc_put_u16(&b, j->j_res.as_status) == -1 ||
	    ipc_put_u32(&b, j->j_res.as_retry) == -1 ||
	    ipc_put_str(&b, j->j_res.as_body.b_data, j->j_res.as_body.b_len) ==
	        -1 ||
	    ipc_msg_end(&b) == -1 || aconn_send(ac, &b) == -1)
		log_warnx("%s: cannot answer request %u", __func__, j->j_id);
	buf_free(&b);
}
