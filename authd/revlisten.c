/*
 * Keeps the in-memory set of revoked sessions current.  One thread with its
 * own connection LISTENs on postern_revocations (the trigger on
 * auth.sessions NOTIFYs "<session id> <expiry epoch>" when a session is
 * revoked, by this authd or any other), loads every revoked, unexpired
 * session each time it (re)connects — notifications sent while it was away
 * are lost — and sweeps expired entries.  Verification fails closed until
 * the first load has finished.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "common/util.h"
#include "authd/authd.h"
#include "authd/revoked.h"

#define REVLISTEN_POLL_MS 500
#define REVLISTEN_SWEEP_S 60
#define REVLISTEN_BACKOFF_MAX_MS 2000

static int
revlisten_load(struct authd *ad, PGconn *db)
{
	PGresult *res;
	int i, n;

	res = PQexec(db, "LISTEN postern_revocations");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("LISTEN: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	/* After LISTEN, so that nothing falls between the load and the
	 * notifications. */
	res = PQexec(db,
	    "SELECT id::text, floor(extract(epoch FROM expires_at))::bigint "
	    "FROM auth.sessions WHERE revoked_at IS NOT NULL "
	    "AND expires_at > now()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("loading revocations: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (revoked_add(ad->ad_revoked, PQgetvalue(res, i, 0),
		        strtoll(PQgetvalue(res, i, 1), NULL, 10)) == -1) {
			PQclear(res);
			return -1;
		}
	PQclear(res);
	if (!atomic_load(&ad->ad_revoked_ready))
		log_info("loaded %d revoked sessions", n);
	else
		/* Notifications may have been lost while the connection was
		 * down: gateways must forget what they cached. */
		notice_flush_all(ad);
	atomic_store(&ad->ad_revoked_ready, 1);
	atomic_store(&ad->ad_listen_ok, 1);
	return 0;
}

static void
revlisten_notify(struct authd *ad, const char *payload)
{
	char sid[72];
	long long exp;

	if (sscanf(payload, "%71s %lld", sid, &exp) != 2) {
		log_warnx("malformed revocation notice ignored");
		return;
	}
	notice_revoked(ad, sid, exp);
}

static void *
revlisten_main(void *arg)
{
	struct authd *ad = arg;
	PGconn *db = NULL;
	PGnotify *n;
	struct pollfd pfd;
	int64_t last_sweep = time_epoch_s();
	long backoff = 100;

	while (!atomic_load(&ad->ad_stopping)) {
		if (db == NULL) {
			if ((db = (PGconn *)authd_db_connect_listen(ad)) ==
			        NULL ||
			    revlisten_load(ad, db) == -1) {
				atomic_store(&ad->ad_listen_ok, 0);
				PQfinish(db);
				db = NULL;
				usleep((useconds_t)backoff * 1000);
				backoff = backoff * 2 > REVLISTEN_BACKOFF_MAX_MS
				              ? REVLISTEN_BACKOFF_MAX_MS
				              : backoff * 2;
				continue;
			}
			backoff = 100;
		}
		pfd.fd = PQsocket(db);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, REVLISTEN_POLL_MS) == -1 && errno != EINTR) {
			log_warn("revocation listener: poll");
			atomic_store(&ad->ad_listen_ok, 0);
			PQfinish(db);
			db = NULL;
			continue;
		}
		if (PQconsumeInput(db) == 0) {
			log_warnx("revocation listener lost its connection: %s",
			    PQerrorMessage(db));
			atomic_store(&ad->ad_listen_ok, 0);
			PQfinish(db);
			db = NULL;
			continue;
		}
		while ((n = PQnotifies(db)) != NULL) {
			revlisten_notify(ad, n->extra);
			PQfreemem(n);
		}
		if (time_epoch_s() - last_sweep >= REVLISTEN_SWEEP_S) {
			last_sweep = time_epoch_s();
			revoked_sweep(ad->ad_revoked, last_sweep);
		}
	}
	PQfinish(db);
	return NULL;
}

int
revlisten_start(struct authd *ad)
{
	if ((errno = pthread_create(
	         &ad->ad_revlisten, NULL, revlisten_main, ad)) != 0) {
		log_warn("revocation listener");
		return -1;
	}
	return 0;
}

void
revlisten_stop(struct authd *ad)
{
	atomic_store(&ad->ad_stopping, 1);
	pthread_join(ad->ad_revlisten, NULL);
}
