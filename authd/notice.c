/*
 * Revocation notices to the gateways.  Whoever revokes a session — a
 * worker (logout, refresh reuse, session deletion, password change) or the
 * LISTEN thread (another authd did) — calls notice_revoked(): it adds the
 * session to the revoked set and queues a notice; the event loop sends the
 * queued notices to every connected gateway (IPC_EVT_REVOKED), always before
 * it sends the answer of a finished job (dispatch_job_done), so a gateway
 * that caches verifications has dropped the session's tokens by the time it
 * relays the logout's 204.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/authd.h"
#include "authd/revoked.h"

#define NOTICE_SID_MAX 64
#define NOTICE_QUEUE_MAX 4096

struct notices {
	pthread_mutex_t nt_mtx;
	char (*nt_sids)[NOTICE_SID_MAX + 1];
	size_t nt_n;
	int nt_flush_all;
	struct event *nt_ev;
};

static void
notice_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	notice_flush(arg);
}

int
notice_init(struct authd *ad)
{
	struct notices *nt;

	if ((nt = calloc(1, sizeof(*nt))) == NULL ||
	    (nt->nt_sids = calloc(NOTICE_QUEUE_MAX, sizeof(*nt->nt_sids))) ==
	        NULL ||
	    (nt->nt_ev = event_new(ad->ad_base, -1, 0, notice_cb, ad)) ==
	        NULL) {
		if (nt != NULL)
			free(nt->nt_sids);
		free(nt);
		return -1;
	}
	pthread_mutex_init(&nt->nt_mtx, NULL);
	ad->ad_notices = nt;
	return 0;
}

void
notice_free(struct authd *ad)
{
	struct notices *nt = ad->ad_notices;

	if (nt == NULL)
		return;
	event_free(nt->nt_ev);
	pthread_mutex_destroy(&nt->nt_mtx);
	free(nt->nt_sids);
	free(nt);
	ad->ad_notices = NULL;
}

/* Thread-safe. */
void
notice_revoked(struct authd *ad, const char *sid, int64_t expires_at)
{
	struct notices *nt = ad->ad_notices;

	revoked_add(ad->ad_revoked, sid, expires_at);
	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->nt_mtx);
	/* A full queue (a mass revocation) turns into one "forget all". */
	if (nt->nt_n < NOTICE_QUEUE_MAX && strlen(sid) <= NOTICE_SID_MAX)
		x_strlcpy(nt->nt_sids[nt->nt_n++], sid, NOTICE_SID_MAX + 1);
	else
		nt->nt_flush_all = 1;
	pthread_mutex_unlock(&nt->nt_mtx);
	event_active(nt->nt_ev, EV_READ, 0);
}

/* Thread-safe: gateways must forget every verification they hold. */
void
notice_flush_all(struct authd *ad)
{
	struct notices *nt = ad->ad_notices;

	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->nt_mtx);
	nt->nt_flush_all = 1;
	pthread_mutex_unlock(&nt->nt_mtx);
	event_active(nt->nt_ev, EV_READ, 0);
}

static void
notice_send(struct authd *ad, const char *sid)
{
	struct aconn *ac;
	struct buf b;

	buf_init(&b);
	ipc_msg_begin(&b, IPC_EVT_REVOKED, 0);
	ipc_put_cstr(&b, sid);
	if (ipc_msg_end(&b) == 0)
		TAILQ_FOREACH(ac, &ad->ad_conns, ac_entry)
			if (aconn_send(ac, &b) == -1)
				log_warnx("cannot queue a revocation notice");
	buf_free(&b);
}

/* Event loop only. */
void
notice_flush(struct authd *ad)
{
	struct notices *nt = ad->ad_notices;
	char(*sids)[NOTICE_SID_MAX + 1] = NULL;
	size_t i, n;
	int all;

	if (nt == NULL)
		return;
	pthread_mutex_lock(&nt->nt_mtx);
	n = nt->nt_n;
	all = nt->nt_flush_all;
	if (n > 0 && !all && (sids = malloc(n * sizeof(*sids))) != NULL)
		memcpy(sids, nt->nt_sids, n * sizeof(*sids));
	else if (n > 0)
		all = 1; /* out of memory: the safe side */
	nt->nt_n = 0;
	nt->nt_flush_all = 0;
	pthread_mutex_unlock(&nt->nt_mtx);
	if (all)
		notice_send(ad, "");
	else
		for (i = 0; i < n; i++)
			notice_send(ad, sids[i]);
	free(sids);
}
