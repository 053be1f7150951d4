/*
 * The worker pool: a few threads that do what may take time — Argon2id and
 * the database — so that the event loop only ever does token verification
 * and framing.  Each worker owns one blocking libpq connection, opened on
 * first use and reopened after a failure.  Finished jobs are queued back and
 * the loop is woken with event_active(), which is thread-safe because main()
 * called evthread_use_pthreads().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <libpq-fe.h>

#include "common/log.h"
#include "authd/authd.h"

#define WORKERS_MAX_QUEUE 256

struct workers {
	struct authd *w_authd;
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

struct pg_conn *
authd_db_connect(struct authd *ad)
{
	const char *keys[6], *vals[6];
	const char *url = config_db_url(&ad->ad_cf, "authd");
	const char *user = config_db_user(&ad->ad_cf, "authd");
	PGconn *db;
	int i = 0;

	if (url[0] != '\0') {
		keys[i] = "dbname";
		vals[i++] = url;
	}
	if (user[0] != '\0') {
		keys[i] = "user";
		vals[i++] = user;
	}
	if (ad->ad_dbpass[0] != '\0') {
		keys[i] = "password";
		vals[i++] = ad->ad_dbpass;
	}
	keys[i] = "application_name";
	vals[i++] = "postern-authd";
	keys[i] = "connect_timeout";
	vals[i++] = "5";
	keys[i] = NULL;
	vals[i] = NULL;
	db = PQconnectdbParams(keys, vals, 1);
	if (db == NULL || PQstatus(db) != CONNECTION_OK) {
		log_warnx("database connection failed: %s",
		    db ? PQerrorMessage(db) : "out of memory");
		PQfinish(db);
		return NULL;
	}
	return db;
}

static void
worker_run_job(struct authd *ad, PGconn **dbp, struct job *j)
{
	PGresult *res;
	int ok;

	if (*dbp != NULL && PQstatus(*dbp) != CONNECTION_OK) {
		PQfinish(*dbp);
		*dbp = NULL;
	}
	if (*dbp == NULL)
		*dbp = authd_db_connect(ad);
	if (j->j_kind == JOB_DBCHECK) {
		ok = 0;
		if (*dbp != NULL) {
			res = PQexec(*dbp, "SELECT 1");
			ok = PQresultStatus(res) == PGRES_TUPLES_OK;
			PQclear(res);
		}
		atomic_store(&ad->ad_db_ok, ok);
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
		PQfinish(*dbp);
		*dbp = NULL;
	}
}

static void *
worker_main(void *arg)
{
	struct workers *w = arg;
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

		worker_run_job(w->w_authd, &db, j);

		pthread_mutex_lock(&w->w_mtx);
		TAILQ_INSERT_TAIL(&w->w_done, j, j_entry);
		pthread_mutex_unlock(&w->w_mtx);
		event_active(w->w_done_ev, EV_READ, 0);
	}
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
	if ((w->w_done_ev = event_new(
	         ad->ad_base, -1, 0, workers_done_cb, w)) == NULL ||
	    (w->w_threads = calloc((size_t)n, sizeof(pthread_t))) == NULL) {
		workers_stop(w);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((errno = pthread_create(
		         &w->w_threads[i], NULL, worker_main, w)) != 0) {
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
	free(w->w_threads);
	pthread_mutex_destroy(&w->w_mtx);
	pthread_cond_destroy(&w->w_cond);
	free(w);
}
