/*
 * postern-authd: the only process that touches credentials.  Shared state of
 * the daemon; each file owns one part of it (server.c the socket and
 * connections, dispatch.c the table of accepted requests, workers.c the
 * hashing/database threads, account.c signup and login).
 */
#ifndef POSTERN_AUTHD_H
#define POSTERN_AUTHD_H

#include <sys/queue.h>
#include <sys/types.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/bufferevent.h>

#include "common/buf.h"
#include "common/op.h"
#include "common/config.h"
#include "common/ipc.h"
#include "authd/password.h"

#define AUTHD_KEY_LEN 64
#define AUTHD_MAX_CONNS 64
/* Retry-After of a 503 when the database cannot take a write or a read. */
#define AUTHD_RETRY_AFTER_S 5

struct aconn;
struct job;

/*
 * A client-side deadline on a thread's blocking libpq calls (a frozen
 * server accepts TCP and never answers; no socket option notices).  The
 * thread arms it around its database work; the event loop's watchdog
 * (workers.c) shuts the socket down when the deadline passes, so the
 * blocked call fails at once as a broken connection.
 */
struct dbwatch {
	pthread_mutex_t dw_mtx;
	int dw_fd;           /* -1 when disarmed */
	int64_t dw_deadline; /* time_mono_ms() */
	const char *dw_name;
};
struct blocklist;
struct revoked;
struct notices;

struct authd {
	struct event_base *ad_base;
	struct config ad_cf;
	unsigned char ad_key[AUTHD_KEY_LEN];
	size_t ad_keylen;
	uid_t ad_peer_uid;
	struct evconnlistener *ad_listener;
	TAILQ_HEAD(, aconn) ad_conns;
	size_t ad_nconns;
	uint64_t ad_conn_serial;
	struct workers *ad_workers;
	char ad_dbpass[256];
	atomic_int ad_db_ok;
	atomic_int ad_listen_ok;      /* revocation LISTEN established */
	atomic_int ad_dbcheck_queued; /* a JOB_DBCHECK waits or runs */
	/* Pings that found the database down wait (at most
	 * AUTHD_PING_HOLD_MS) for the check they started (dispatch.c). */
	struct {
		uint64_t pp_conn;
		uint32_t pp_id;
	} ad_pings[AUTHD_MAX_CONNS];
	int ad_npings;
	struct event *ad_ping_timer;
	struct password_params ad_pp;
	char ad_dummy_phc[PASSWORD_PHC_MAX];
	struct event *ad_sigterm;
	struct event *ad_sigint;
	struct event *ad_sighup;
	struct event *ad_dbcheck;
	/* Revoked sessions: loaded at start, kept current by NOTIFY
	 * (revlisten.c); until the first load, verification fails closed. */
	struct revoked *ad_revoked;
	atomic_int ad_revoked_ready;
	pthread_t ad_revlisten;
	struct dbwatch ad_listen_watch; /* the revocation listener's */
	atomic_int ad_stopping;
	struct blocklist *ad_blocklist; /* common passwords, or NULL */
	struct notices *ad_notices;     /* revocation notices to gateways */
};

struct aconn {
	TAILQ_ENTRY(aconn) ac_entry;
	struct authd *ac_authd;
	struct bufferevent *ac_bev;
	uint64_t ac_serial;
	uid_t ac_uid;
	pid_t ac_pid;
};

/* Request handed to a worker and its answer; see account.c. */
struct acct_req {
	char *ar_op;
	enum op_id ar_opid; /* ar_op, parsed by dispatch.c */
	char *ar_table;
	char *ar_client;
	char *ar_ua;
	char *ar_bearer;
	char *ar_arg; /* the route's {id} segment, or "" */
	char *ar_body;
	size_t ar_bodylen;
};

struct acct_res {
	uint16_t as_status;
	uint32_t as_retry;
	struct buf as_body;
};

enum job_kind { JOB_AUTH, JOB_DBCHECK };

struct job {
	TAILQ_ENTRY(job) j_entry;
	enum job_kind j_kind;
	uint64_t j_conn;
	uint32_t j_id;
	struct acct_req j_req;
	struct acct_res j_res;
};

/* server.c */
int server_listen(struct authd *ad);
void server_close(struct authd *ad);
int aconn_send(struct aconn *ac, struct buf *frame);
struct aconn *aconn_find(struct authd *ad, uint64_t serial);
void aconn_free(struct aconn *ac);

/* dispatch.c */
/* The permit table's verdict on a header alone: 0, or -1 if its type is not
 * served or its length is over its type's limit (drop the client). */
int dispatch_permit(const struct ipc_hdr *h);
int dispatch_frame(
    struct aconn *ac, const struct ipc_hdr *h, const unsigned char *payload);
void dispatch_job_done(struct authd *ad, struct job *j);
/* Answers the pings held for a database check. */
void dispatch_pings_flush(struct authd *ad);

/* workers.c */
struct workers *workers_start(struct authd *ad, int n);
int workers_submit(struct workers *w, struct job *j);
void workers_stop(struct workers *w);
struct job *job_new(enum job_kind kind);
void job_free(struct job *j);

/* account.c: runs on a worker thread with that thread's connection. */
struct pg_conn;
int account_handle(struct authd *ad, struct pg_conn *db,
    const struct acct_req *rq, struct acct_res *rs);
/* acctres.c: the error answers every handler writes (below account.c,
 * dbutil.c and session.c, so none of them depends on another for them). */
int account_error(
    struct acct_res *rs, uint16_t status, const char *code, const char *msg);
/* 503 PN801 with Retry-After. */
void account_unavailable(struct acct_res *rs, const char *msg);

/* workers.c: a blocking connection as postern_authd (NULL on failure);
 * listen: to listen_database_url, checked to be direct. */
struct pg_conn *authd_db_connect(struct authd *ad);
struct pg_conn *authd_db_connect_listen(struct authd *ad);

/* notice.c */
int notice_init(struct authd *ad);
void notice_free(struct authd *ad);
void notice_revoked(struct authd *ad, const char *sid, int64_t expires_at);
void notice_flush_all(struct authd *ad);
void notice_flush(struct authd *ad);

/* main.c: queues a database check unless one is queued already. */
void authd_dbcheck(struct authd *ad);

/* workers.c: the deadline of a thread's blocking database calls. */
void dbwatch_init(struct dbwatch *dw, const char *name);
void dbwatch_arm(struct authd *ad, struct dbwatch *dw, struct pg_conn *db);
void dbwatch_disarm(struct dbwatch *dw);
void dbwatch_destroy(struct dbwatch *dw);

/* revlisten.c */
int revlisten_start(struct authd *ad);
void revlisten_stop(struct authd *ad);

/* keyfile.c */
int keyfile_load(
    const char *path, unsigned char *key, size_t keycap, size_t *keylen);

/* sandbox.c: the seccomp allowlist; enable 0 only logs that it is off. */
int sandbox_enter(int enable);
size_t sandbox_count(void);

#endif
