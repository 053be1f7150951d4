/*
 * The worker pool: a few threads that do what may take time — Argon2id and
 * the database — so that the event loop only ever does token verification
 * and framing.  Each worker owns one blocking libpq connection, opened on
 * first use and reopened after a failure.  Finished jobs are queued back and
 * the loop is woken with event_active(), which is thread-safe because main()
 * called evthread_use_pthreads().
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "common/pgconn.h"
#include "common/util.h"
#include "authd/authd.h"

#define WORKERS_MAX_QUEUE 256

#define WATCHDOG_MS 100

struct wthread {
	struct workers *wt_w;
	struct dbwatch wt_watch;
};

struct workers {
	struct authd *w_authd;
	struct wthread *w_wt;
	struct event *w_watchdog;
	pthread_mutex_t w_mtx;
	pthread_cond_t w_cond;
	TAILQ_HEAD(, job) w_todo;
	TAILQ_HEAD(, job) w_done;
	size_t w_nqueued;
	int w_stop;
	int w_nthreads;
	pthread_t *w_threads;
	struct event *w_done_ev;
};

struct job *
job_new(enum job_kind kind)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->j_kind = kind;
	buf_init(&j->j_res.as_body);
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->j_req.ar_op);
	free(j->j_req.ar_table);
	free(j->j_req.ar_client);
	free(j->j_req.ar_ua);
	free(j->j_req.ar_arg);
	if (j->j_req.ar_bearer != NULL) {
		OPENSSL_cleanse(j->j_req.ar_bearer, strlen(j->j_req.ar_bearer));
		free(j->j_req.ar_bearer);
	}
	if (j->j_req.ar_body != NULL) {
		/* The body holds a password. */
		OPENSSL_cleanse(j->j_req.ar_body, j->j_req.ar_bodylen);
		free(j->j_req.ar_body);
	}
	buf_wipe_free(&j->j_res.as_body);
	free(j);
}

/* Connect failures are logged at warning once per streak (per thread),
 * then at most every AUTHD_WARN_EVERY_S. */
#define AUTHD_WARN_EVERY_S 10

static PGconn *
db_connect(struct authd *ad, enum pgconn_kind kind)
{
	static _Thread_local int failing;
	static _Thread_local int64_t warned;
	PGconn *db;
	char err[512];
	int direct = 1;

	if ((db = pgconn_connect(&ad->ad_cf, "authd", ad->ad_dbpass, kind, err,
	         sizeof(err))) == NULL) {
		if (failing++ == 0 ||
		    time_epoch_s() - warned >= AUTHD_WARN_EVERY_S) {
			log_warnx("database connect failed%s: %s",
			    kind == PGCONN_LISTEN ? " (LISTEN connection)" : "",
			    err);
			warned = time_epoch_s();
		}
		return NULL;
	}
	/* Named statements are not used here, but LISTEN through a pooler
	 * hears nothing, and db_pooler unset means "there is none". */
	if (kind == PGCONN_LISTEN || !config_pooled(&ad->ad_cf))
		direct = pgconn_is_direct(db, err, sizeof(err));
	if (direct != 1) {
		log_warnx(
		    "%s", direct == -1 ? err
		          : kind == PGCONN_LISTEN
		              ? "listen_database_url leads to a "
		                "connection pooler: LISTEN needs a direct "
		                "connection"
		              : "database_url leads to a connection "
		                "pooler: set db_pooler = transaction");
		PQfinish(db);
		return NULL;
	}
	if (failing > 0)
		log_info("database connection%s is back",
		    kind == PGCONN_LISTEN ? " for LISTEN" : "");
	failing = 0;
	return db;
}

struct pg_conn *
authd_db_connect(struct authd *ad)
{
	return (struct pg_conn *)db_connect(ad, PGCONN_POOL);
}

struct pg_conn *
authd_db_connect_listen(struct authd *ad)
{
	return (struct pg_conn *)db_connect(ad, PGCONN_LISTEN);
}

void
dbwatch_init(struct dbwatch *dw, const char *name)
{
	pthread_mutex_init(&dw->dw_mtx, NULL);
	dw->dw_fd = -1;
	dw->dw_deadline = 0;
	dw->dw_name = name;
}

void
dbwatch_destroy(struct dbwatch *dw)
{
	pthread_mutex_destroy(&dw->dw_mtx);
}

void
dbwatch_arm(struct authd *ad, struct dbwatch *dw, struct pg_conn *db)
{
	pthread_mutex_lock(&dw->dw_mtx);
	dw->dw_fd = PQsocket((PGconn *)db);
	dw->dw_deadline = time_mono_ms() + ad->ad_cf.cf_db_timeout_ms;
	pthread_mutex_unlock(&dw->dw_mtx);
}

/* Before the connection may be closed: the watchdog never touches an fd
 * that is not this connection's any more. */
void
dbwatch_disarm(struct dbwatch *dw)
{
	pthread_mutex_lock(&dw->dw_mtx);
	dw->dw_fd = -1;
	pthread_mutex_unlock(&dw->dw_mtx);
}

static void
dbwatch_check(struct dbwatch *dw, int64_t now, long timeout_ms)
{
	pthread_mutex_lock(&dw->dw_mtx);
	if (dw->dw_fd >= 0 && now >= dw->dw_deadline) {
		log_warnx("%s: no answer from the database within "
		          "db_timeout_ms (%ld ms): dropping the connection",
		    dw->dw_name, timeout_ms);
		shutdown(dw->dw_fd, SHUT_RDWR);
		dw->dw_fd = -1;
	}
	pthread_mutex_unlock(&dw->dw_mtx);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	struct authd *ad = w->w_authd;
	int64_t now = time_mono_ms();
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < w->w_nthreads; i++)
		dbwatch_check(
		    &w->w_wt[i].wt_watch, now, ad->ad_cf.cf_db_timeout_ms);
	dbwatch_check(&ad->ad_listen_watch, now, ad->ad_cf.cf_db_timeout_ms);
}

static void
worker_drop(struct dbwatch *dw, PGconn **dbp)
{
	dbwatch_disarm(dw);
	PQfinish(*dbp);
	*dbp = NULL;
}

static void
worker_run_job(
    struct authd *ad, struct dbwatch *dw, PGconn **dbp, struct job *j)
{
	struct pollfd pfd;
	PGresult *res;
	int ok;

	/*
	 * An idle worker connection LISTENs on nothing, so anything readable
	 * on it is the server saying goodbye (a restart's "terminating
	 * connection" and then EOF, which libpq may not have seen yet: its
	 * status can still say CONNECTION_OK).  Drop it and connect afresh
	 * rather than fail this job with it.
	 */
	if (*dbp != NULL) {
		pfd.fd = PQsocket(*dbp);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0 || poll(&pfd, 1, 0) > 0) {
			(void)PQconsumeInput(*dbp);
			worker_drop(dw, dbp);
		}
	}
	if (*dbp != NULL && PQstatus(*dbp) != CONNECTION_OK)
		worker_drop(dw, dbp);
	/* Connecting is bounded by libpq's connect_timeout. */
	if (*dbp == NULL)
		*dbp = (PGconn *)authd_db_connect(ad);
	if (*dbp != NULL)
		dbwatch_arm(ad, dw, (struct pg_conn *)*dbp);
	if (j->j_kind == JOB_DBCHECK) {
		ok = 0;
		if (*dbp != NULL) {
			res = PQexecParams(
			    *dbp, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
			ok = PQresultStatus(res) == PGRES_TUPLES_OK;
			PQclear(res);
			if (!ok && PQstatus(*dbp) != CONNECTION_OK)
				worker_drop(dw, dbp);
		}
		if (*dbp != NULL)
			dbwatch_disarm(dw);
		atomic_store(&ad->ad_db_ok, ok);
		atomic_store(&ad->ad_dbcheck_queued, 0);
		return;
	}
	if (*dbp == NULL) {
		atomic_store(&ad->ad_db_ok, 0);
		account_unavailable(&j->j_res, "the database is unavailable");
		return;
	}
	if (account_handle(ad, (struct pg_conn *)*dbp, &j->j_req, &j->j_res) ==
	    -1) {
		/* A broken connection: answer 503, reconnect next time. */
		atomic_store(&ad->ad_db_ok, 0);
		buf_reset(&j->j_res.as_body);
		account_unavailable(&j->j_res, "the database is unavailable");
		worker_drop(dw, dbp);
		return;
	}
	dbwatch_disarm(dw);
	/* The database answered this request: say so at once. */
	atomic_store(&ad->ad_db_ok, 1);
}

static void *
worker_main(void *arg)
{
	struct wthread *wt = arg;
	struct workers *w = wt->wt_w;
	PGconn *db = NULL;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&w->w_mtx);
		while (!w->w_stop && TAILQ_EMPTY(&w->w_todo))
			pthread_cond_wait(&w->w_cond, &w->w_mtx);
		if (w->w_stop) {
			pthread_mutex_unlock(&w->w_mtx);
			break;
		}
		j = TAILQ_FIRST(&w->w_todo);
		TAILQ_REMOVE(&w->w_todo, j, j_entry);
		pthread_mutex_unlock(&w->w_mtx);

		worker_run_job(w->w_authd, &wt->wt_watch, &db, j);

		pthread_mutex_lock(&w->w_mtx);
		TAILQ_INSERT_TAIL(&w->w_done, j, j_entry);
		pthread_mutex_unlock(&w->w_mtx);
		event_active(w->w_done_ev, EV_READ, 0);
	}
	dbwatch_disarm(&wt->wt_watch);
	PQfinish(db);
	return NULL;
}

static void
workers_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	struct job *j;

	(void)fd;
	(void)what;
	for (;;) {
		pthread_mutex_lock(&w->w_mtx);
		if ((j = TAILQ_FIRST(&w->w_done)) != NULL) {
			TAILQ_REMOVE(&w->w_done, j, j_entry);
			w->w_nqueued--;
		}
		pthread_mutex_unlock(&w->w_mtx);
		if (j == NULL)
			break;
		dispatch_job_done(w->w_authd, j);
		job_free(j);
	}
}

struct workers *
workers_start(struct authd *ad, int n)
{
	struct workers *w;
	int i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->w_authd = ad;
	TAILQ_INIT(&w->w_todo);
	TAILQ_INIT(&w->w_done);
	pthread_mutex_init(&w->w_mtx, NULL);
	pthread_cond_init(&w->w_cond, NULL);
	struct timeval tv = {0, WATCHDOG_MS * 1000};

	if ((w->w_done_ev = event_new(
	         ad->ad_base, -1, 0, workers_done_cb, w)) == NULL ||
	    (w->w_watchdog = event_new(
	         ad->ad_base, -1, EV_PERSIST, watchdog_cb, w)) == NULL ||
	    event_add(w->w_watchdog, &tv) == -1 ||
	    (w->w_threads = calloc((size_t)n, sizeof(pthread_t))) == NULL ||
	    (w->w_wt = calloc((size_t)n, sizeof(*w->w_wt))) == NULL) {
		workers_stop(w);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		w->w_wt[i].wt_w = w;
		dbwatch_init(&w->w_wt[i].wt_watch, "worker");
		if ((errno = pthread_create(&w->w_threads[i], NULL, worker_main,
		         &w->w_wt[i])) != 0) {
			dbwatch_destroy(&w->w_wt[i].wt_watch);
			log_warn("pthread_create");
			workers_stop(w);
			return NULL;
		}
		w->w_nthreads++;
	}
	return w;
}

int
workers_submit(struct workers *w, struct job *j)
{
	int rv = -1;

	pthread_mutex_lock(&w->w_mtx);
	if (!w->w_stop && w->w_nqueued < WORKERS_MAX_QUEUE) {
		TAILQ_INSERT_TAIL(&w->w_todo, j, j_entry);
		w->w_nqueued++;
		pthread_cond_signal(&w->w_cond);
		rv = 0;
	}
	pthread_mutex_unlock(&w->w_mtx);
	return rv;
}

void
workers_stop(struct workers *w)
{
	struct job *j;
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->w_mtx);
	w->w_stop = 1;
	pthread_cond_broadcast(&w->w_cond);
	pthread_mutex_unlock(&w->w_mtx);
	for (i = 0; i < w->w_nthreads; i++)
		pthread_join(w->w_threads[i], NULL);
	while ((j = TAILQ_FIRST(&w->w_todo)) != NULL) {
		TAILQ_REMOVE(&w->w_todo, j, j_entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&w->w_done)) != NULL) {
		TAILQ_REMOVE(&w->w_done, j, j_entry);
		job_free(j);
	}
	if (w->w_done_ev != NULL)
		event_free(w->w_done_ev);
	if (w->w_watchdog != NULL)
		event_free(w->w_watchdog);
	for (i = 0; i < w->w_nthreads; i++)
		dbwatch_destroy(&w->w_wt[i].wt_watch);
	free(w->w_wt);
	free(w->w_threads);
	pthread_mutex_destroy(&w->w_mtx);
	pthread_cond_destroy(&w->w_cond);
	free(w);
}
