#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pgconn.h"
#include "common/util.h"
#include "gateway/db.h"

#define DB_BACKOFF_MIN_MS 100
/* Low, so that the pool is back soon after PostgreSQL is (readyz must not
 * say "down" while requests would work); connecting to a closed port is
 * cheap. */
#define DB_BACKOFF_MAX_MS 1000
/* A failing connection is logged at warning once per streak and then at
 * most this often. */
#define DB_WARN_EVERY_MS 10000
#define DB_MAX_PARAMS 4096
/* Prepared statements kept per connection; past it the cache starts over. */
#define DB_PREP_MAX 256
/* One pipeline: DEALLOCATE, and per statement a Parse and an Execute. */
#define DB_MAX_ITEMS (1 + 2 * DB_MAX_STMTS)
#define ITEM_DEALLOCATE (-1)
#define ITEM_PREPARE (-2)

enum slot_state {
	SLOT_DOWN,
	SLOT_CONNECTING,
	SLOT_CHECKING,  /* asking pg_backend_pid(): are we behind a pooler? */
	SLOT_LISTENING, /* the listener: LISTEN sent, not yet answered */
	SLOT_IDLE,
	SLOT_BUSY
};

struct dbq {
	TAILQ_ENTRY(dbq) q_entry;
	struct dbpool *q_pool;
	struct slot *q_slot;
	int q_nstmts;
	char *q_sql[DB_MAX_STMTS];
	int q_nparams[DB_MAX_STMTS];
	char **q_vals[DB_MAX_STMTS];
	db_cb q_cb;
	void *q_arg;
	int q_canceled;
	struct event *q_timer;
};

/* A statement prepared (or being prepared) on one connection. */
struct prep {
	uint64_t pr_hash;
	char *pr_sql;
	char pr_name[16];
};

struct slot {
	struct dbpool *s_pool;
	PGconn *s_conn;
	enum slot_state s_state;
	int s_fd;
	struct event *s_ev;
	struct event *s_retry;
	struct event *s_deadline; /* connecting, checking or a statement */
	long s_backoff_ms;
	int s_failing;       /* connect failures since the last success */
	int64_t s_warned_ms; /* when a failure was last logged at warning */
	long s_check_pid;    /* pg_backend_pid() as the server said */
	struct dbq *s_q;
	PGresult *s_res[DB_MAX_STMTS];
	int s_nended; /* pipeline items whose results have ended */
	int s_flushing;
	int s_listener;
	short s_what; /* events watched on s_fd */
	/* What each pipeline item is: a statement's index, or a prepare or
	 * DEALLOCATE whose result only matters if it failed. */
	int s_items[DB_MAX_ITEMS];
	int s_nitems;
	struct prep s_prep[DB_PREP_MAX];
	int s_nprep;
	unsigned s_prep_serial;
	unsigned s_gen; /* the catalog generation s_prep belongs to */
};

struct dbpool {
	struct event_base *p_base;
	char **p_keys;
	char **p_vals;
	int p_size;
	long p_acquire_ms;
	struct slot *p_slots;
	TAILQ_HEAD(, dbq) p_wait;
	int p_nwait;
	void (*p_ready_cb)(void *);
	void *p_ready_arg;
	struct slot *p_listen;
	char **p_lkeys; /* the listener's conninfo (listen_database_url) */
	char **p_lvals;
	int p_listen_ok; /* LISTEN answered and the connection is up */
	char p_listen_err[160];
	int p_pooled;      /* db_pooler = transaction: unnamed statements */
	long p_timeout_ms; /* db_timeout_ms */
	char *p_channel;
	void (*p_notify_cb)(void *);
	void *p_notify_arg;
	unsigned p_gen; /* bumped when the catalog changes: prepared
	                   statements of older generations are dropped */
	/* The query db_exec is handing out right now, and whether it ended
	 * before db_exec returned (a send that failed at once). */
	struct dbq *p_submitting;
	int p_submit_ended;
};

static void slot_start(struct slot *s);
static void slot_ready(struct slot *s);
static void slot_io(evutil_socket_t fd, short what, void *arg);
static void pool_kick(struct dbpool *p);
static void listen_send(struct slot *s);

static void
dbq_free(struct dbq *q)
{
	int i, j;

	if (q->q_timer != NULL)
		event_free(q->q_timer);
	for (i = 0; i < q->q_nstmts; i++) {
		for (j = 0; j < q->q_nparams[i]; j++)
			free(q->q_vals[i][j]);
		free(q->q_vals[i]);
		free(q->q_sql[i]);
	}
	free(q);
}

static void
dbq_finish(struct dbq *q, enum db_status st, PGresult **res)
{
	/*
	 * Ended inside db_exec (only a failure can be that quick): its
	 * caller has not got q yet and learns of it from db_exec's NULL, as
	 * from an unhealthy pool, so the callback must not run (it would
	 * answer a request whose caller then answers it again).
	 */
	if (q == q->q_pool->p_submitting) {
		q->q_pool->p_submit_ended = 1;
		dbq_free(q);
		return;
	}
	if (!q->q_canceled && q->q_cb != NULL)
		q->q_cb(st, res, st == DB_OK ? q->q_nstmts : 0, q->q_arg);
	dbq_free(q);
}

static void
slot_clear_results(struct slot *s)
{
	int i;

	for (i = 0; i < DB_MAX_STMTS; i++) {
		PQclear(s->s_res[i]);
		s->s_res[i] = NULL;
	}
	s->s_nended = 0;
}

static void
slot_watch(struct slot *s, short what)
{
	int fd = s->s_conn != NULL ? PQsocket(s->s_conn) : -1;

	/* Nothing changed: no epoll_ctl. */
	if (s->s_ev != NULL && s->s_fd == fd && s->s_what == what)
		return;
	/* libpq may change the socket while connecting. */
	if (s->s_ev != NULL && (s->s_fd != fd || what == 0)) {
		event_free(s->s_ev);
		s->s_ev = NULL;
	}
	if (what == 0 || fd < 0)
		return;
	if (s->s_ev == NULL) {
		s->s_ev = event_new(
		    s->s_pool->p_base, fd, what | EV_PERSIST, slot_io, s);
		s->s_fd = fd;
	} else {
		event_del(s->s_ev);
		event_assign(s->s_ev, s->s_pool->p_base, fd, what | EV_PERSIST,
		    slot_io, s);
	}
	if (s->s_ev != NULL) {
		event_add(s->s_ev, NULL);
		s->s_what = what;
	}
}

static void
prep_clear(struct slot *s)
{
	int i;

	for (i = 0; i < s->s_nprep; i++)
		free(s->s_prep[i].pr_sql);
	s->s_nprep = 0;
}

static uint64_t
prep_hash(const char *sql)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *sql != '\0'; sql++)
		h = (h ^ (unsigned char)*sql) * 1099511628211ULL;
	return h;
}

static struct prep *
prep_find(struct slot *s, const char *sql, uint64_t h)
{
	int i;

	for (i = 0; i < s->s_nprep; i++)
		if (s->s_prep[i].pr_hash == h &&
		    strcmp(s->s_prep[i].pr_sql, sql) == 0)
			return &s->s_prep[i];
	return NULL;
}

/* Forgets a statement whose preparation failed. */
static void
prep_forget(struct slot *s, const char *name)
{
	int i;

	for (i = 0; i < s->s_nprep; i++)
		if (strcmp(s->s_prep[i].pr_name, name) == 0) {
			free(s->s_prep[i].pr_sql);
			s->s_prep[i] = s->s_prep[--s->s_nprep];
			return;
		}
}

static void
slot_down(struct slot *s, const char *why)
{
	struct dbpool *p = s->s_pool;
	struct dbq *q = s->s_q;
	struct timeval tv;

	if (s->s_state == SLOT_IDLE || s->s_state == SLOT_BUSY) {
		log_warnx("database connection lost: %s", why);
		s->s_failing = 0;
	} else if (s->s_failing++ == 0 ||
	           time_mono_ms() - s->s_warned_ms >= DB_WARN_EVERY_MS) {
		log_warnx("database connect failed%s: %s",
		    s->s_listener ? " (LISTEN connection)" : "", why);
		s->s_warned_ms = time_mono_ms();
	} else
		log_debug("database connect failed: %s", why);
	if (s->s_listener) {
		p->p_listen_ok = 0;
		snprintf(p->p_listen_err, sizeof(p->p_listen_err), "%s", why);
	}
	if (s->s_deadline != NULL)
		event_del(s->s_deadline);
	if (s->s_ev != NULL) {
		event_free(s->s_ev);
		s->s_ev = NULL;
	}
	PQfinish(s->s_conn);
	s->s_conn = NULL;
	s->s_state = SLOT_DOWN;
	s->s_what = 0;
	prep_clear(s);
	slot_clear_results(s);
	s->s_q = NULL;
	tv.tv_sec = s->s_backoff_ms / 1000;
	tv.tv_usec = (s->s_backoff_ms % 1000) * 1000;
	event_add(s->s_retry, &tv);
	s->s_backoff_ms *= 2;
	if (s->s_backoff_ms > DB_BACKOFF_MAX_MS)
		s->s_backoff_ms = DB_BACKOFF_MAX_MS;
	if (q != NULL)
		dbq_finish(q, DB_UNAVAILABLE, NULL);
	/* With no healthy connection left, waiting requests fail now rather
	 * than at their deadline. */
	if (!s->s_listener && !db_pool_healthy(p)) {
		while ((q = TAILQ_FIRST(&p->p_wait)) != NULL) {
			TAILQ_REMOVE(&p->p_wait, q, q_entry);
			p->p_nwait--;
			dbq_finish(q, DB_UNAVAILABLE, NULL);
		}
	}
}

static void slot_flush(struct slot *s);

static void
deadline_arm(struct slot *s)
{
	struct dbpool *p = s->s_pool;
	struct timeval tv;

	tv.tv_sec = p->p_timeout_ms / 1000;
	tv.tv_usec = (p->p_timeout_ms % 1000) * 1000;
	if (s->s_deadline != NULL)
		event_add(s->s_deadline, &tv);
}

/*
 * Connected: unless this pool connection goes through a pooler on purpose
 * (db_pooler = transaction), first make sure it does not: named statements
 * and LISTEN need a real server session.
 */
static void
slot_connected(struct slot *s)
{
	struct dbpool *p = s->s_pool;

	if (PQsetnonblocking(s->s_conn, 1) == -1) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	if (p->p_pooled && !s->s_listener) {
		slot_ready(s);
		return;
	}
	if (PQsendQueryParams(s->s_conn, "SELECT pg_backend_pid()", 0, NULL,
	        NULL, NULL, NULL, 0) == 0) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	s->s_state = SLOT_CHECKING;
	s->s_check_pid = -1;
	deadline_arm(s);
	slot_flush(s);
}

/* The answer to SELECT pg_backend_pid() has come (res NULL: all of it). */
static void
slot_check_result(struct slot *s, PGresult *res)
{
	struct dbpool *p = s->s_pool;

	if (res != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1)
			s->s_check_pid =
			    strtol(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		return;
	}
	if (s->s_check_pid != (long)PQbackendPID(s->s_conn)) {
		log_warnx("%s",
		    s->s_listener
		        ? "listen_database_url leads to a connection pooler "
		          "(the server's pg_backend_pid() differs from the "
		          "connection's): LISTEN needs a direct connection to "
		          "PostgreSQL; set listen_database_url to one"
		        : "database_url leads to a connection pooler (the "
		          "server's pg_backend_pid() differs from the "
		          "connection's): set db_pooler = transaction");
		if (s->s_listener)
			snprintf(p->p_listen_err, sizeof(p->p_listen_err),
			    "listen_database_url leads to a connection pooler");
		s->s_failing = 1;
		s->s_warned_ms = time_mono_ms();
		slot_down(s, "behind a connection pooler");
		return;
	}
	if (s->s_deadline != NULL)
		event_del(s->s_deadline);
	slot_ready(s);
}

static void
slot_ready(struct slot *s)
{
	struct dbpool *p = s->s_pool;

	/* Connected (and checked): the connect deadline is over. */
	if (s->s_deadline != NULL)
		event_del(s->s_deadline);
	if (!s->s_listener && PQenterPipelineMode(s->s_conn) == 0) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	if (s->s_failing > 0)
		log_info("database connection %s",
		    s->s_listener ? "for LISTEN is back" : "is back");
	s->s_failing = 0;
	s->s_state = SLOT_IDLE;
	s->s_backoff_ms = DB_BACKOFF_MIN_MS;
	slot_watch(s, EV_READ);
	if (s->s_listener) {
		listen_send(s);
		return;
	}
	log_debug("database connection ready");
	pool_kick(p);
	if (p->p_ready_cb != NULL)
		p->p_ready_cb(p->p_ready_arg);
}

static void
slot_connect_poll(struct slot *s)
{
	switch (PQconnectPoll(s->s_conn)) {
	case PGRES_POLLING_READING:
		slot_watch(s, EV_READ);
		return;
	case PGRES_POLLING_WRITING:
		slot_watch(s, EV_WRITE);
		return;
	case PGRES_POLLING_OK:
		slot_connected(s);
		return;
	default:
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
}

static void
slot_start(struct slot *s)
{
	struct dbpool *p = s->s_pool;
	char **keys = s->s_listener ? p->p_lkeys : p->p_keys;
	char **vals = s->s_listener ? p->p_lvals : p->p_vals;

	s->s_conn = PQconnectStartParams(
	    (const char *const *)keys, (const char *const *)vals, 1);
	if (s->s_conn == NULL || PQstatus(s->s_conn) == CONNECTION_BAD) {
		slot_down(
		    s, s->s_conn ? PQerrorMessage(s->s_conn) : "out of memory");
		return;
	}
	PQsetNoticeProcessor(s->s_conn, pgconn_notice, NULL);
	s->s_state = SLOT_CONNECTING;
	s->s_fd = -1;
	/* PQconnectPoll has no timeout of its own (connect_timeout is for
	 * the blocking calls): a frozen server would hold us forever. */
	deadline_arm(s);
	slot_watch(s, EV_WRITE);
}

/* Connecting, checking, LISTEN or a statement took db_timeout_ms: the
 * statement fails with DB_TIMEOUT (504) and the connection is dropped and
 * made again (statement_timeout ends the orphan on the server). */
static void
slot_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	struct dbq *q = s->s_q;
	char why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "no answer within db_timeout_ms (%ld ms)",
	    s->s_pool->p_timeout_ms);
	if (s->s_state == SLOT_BUSY && q != NULL) {
		s->s_q = NULL;
		q->q_slot = NULL;
		dbq_finish(q, DB_TIMEOUT, NULL);
		log_warnx("database statement timed out: %s", why);
		/* Counted as a lost connection, not a connect failure. */
		s->s_state = SLOT_IDLE;
	}
	slot_down(s, why);
}

static void
slot_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	slot_start(arg);
}

static void
slot_flush(struct slot *s)
{
	int r = PQflush(s->s_conn);

	if (r == -1) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	s->s_flushing = r == 1;
	slot_watch(s, r == 1 ? EV_READ | EV_WRITE : EV_READ);
}

/*
 * Sends one request as a pipeline: each statement is prepared once per
 * connection (parse and plan once, not per request) and executed by name;
 * one sync closes the implicit transaction.
 */
static void
slot_send(struct slot *s, struct dbq *q)
{
	struct dbpool *p = s->s_pool;
	struct prep *pr;
	uint64_t h;
	int i;

	s->s_q = q;
	q->q_slot = s;
	s->s_state = SLOT_BUSY;
	s->s_nitems = 0;
	slot_clear_results(s);
	if (q->q_timer != NULL)
		event_del(q->q_timer);
	deadline_arm(s);
	/* Behind a transaction-mode pooler each sync may land on another
	 * server connection: only unnamed statements, nothing kept. */
	if (p->p_pooled) {
		for (i = 0; i < q->q_nstmts; i++) {
			if (PQsendQueryParams(s->s_conn, q->q_sql[i],
			        q->q_nparams[i], NULL,
			        (const char *const *)q->q_vals[i], NULL, NULL,
			        0) == 0)
				goto broken;
			s->s_items[s->s_nitems++] = i;
		}
		if (PQpipelineSync(s->s_conn) == 0)
			goto broken;
		slot_flush(s);
		return;
	}
	/* The catalog changed, or the cache is full: start over. */
	if (s->s_gen != p->p_gen || s->s_nprep + q->q_nstmts > DB_PREP_MAX) {
		if (PQsendQueryParams(s->s_conn, "DEALLOCATE ALL", 0, NULL,
		        NULL, NULL, NULL, 0) == 0)
			goto broken;
		s->s_items[s->s_nitems++] = ITEM_DEALLOCATE;
		prep_clear(s);
		s->s_gen = p->p_gen;
	}
	for (i = 0; i < q->q_nstmts; i++) {
		h = prep_hash(q->q_sql[i]);
		if ((pr = prep_find(s, q->q_sql[i], h)) == NULL) {
			pr = &s->s_prep[s->s_nprep];
			if ((pr->pr_sql = strdup(q->q_sql[i])) == NULL)
				goto broken;
			pr->pr_hash = h;
			snprintf(pr->pr_name, sizeof(pr->pr_name), "p%u",
			    ++s->s_prep_serial);
			s->s_nprep++;
			if (PQsendPrepare(s->s_conn, pr->pr_name, q->q_sql[i],
			        q->q_nparams[i], NULL) == 0)
				goto broken;
			s->s_items[s->s_nitems++] = ITEM_PREPARE;
		}
		if (PQsendQueryPrepared(s->s_conn, pr->pr_name, q->q_nparams[i],
		        (const char *const *)q->q_vals[i], NULL, NULL, 0) == 0)
			goto broken;
		s->s_items[s->s_nitems++] = i;
	}
	if (PQpipelineSync(s->s_conn) == 0)
		goto broken;
	slot_flush(s);
	return;
broken:
	slot_down(s, PQerrorMessage(s->s_conn));
}

static void
slot_complete(struct slot *s)
{
	struct dbq *q = s->s_q;
	PGresult *res[DB_MAX_STMTS];
	int i;

	for (i = 0; i < DB_MAX_STMTS; i++) {
		res[i] = s->s_res[i];
		s->s_res[i] = NULL;
	}
	s->s_nended = 0;
	s->s_q = NULL;
	s->s_state = SLOT_IDLE;
	if (s->s_deadline != NULL)
		event_del(s->s_deadline);
	if (q != NULL) {
		for (i = 0; i < q->q_nstmts; i++)
			if (res[i] == NULL)
				break;
		dbq_finish(q, i == q->q_nstmts ? DB_OK : DB_UNAVAILABLE, res);
	}
	for (i = 0; i < DB_MAX_STMTS; i++)
		PQclear(res[i]);
	pool_kick(s->s_pool);
}

static void
listener_read(struct slot *s)
{
	struct dbpool *p = s->s_pool;
	PGnotify *n;
	PGresult *res;
	int notified = 0, failed = 0, ended = 0;
	char why[160] = "";

	while (!PQisBusy(s->s_conn)) {
		if ((res = PQgetResult(s->s_conn)) == NULL) {
			ended = 1;
			break;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			failed = 1;
			snprintf(why, sizeof(why), "LISTEN failed: %s",
			    PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	if (failed) {
		slot_down(s, why);
		return;
	}
	if (s->s_state == SLOT_LISTENING && ended) {
		/* LISTEN is in place: from now on nothing is missed. */
		s->s_state = SLOT_IDLE;
		if (s->s_deadline != NULL)
			event_del(s->s_deadline);
		p->p_listen_ok = 1;
		p->p_listen_err[0] = '\0';
		log_info("listening for %s notifications", p->p_channel);
		/* Anything may have changed while we were not listening. */
		notified = 1;
	}
	while ((n = PQnotifies(s->s_conn)) != NULL) {
		notified = 1;
		PQfreemem(n);
	}
	if (notified && p->p_notify_cb != NULL)
		p->p_notify_cb(p->p_notify_arg);
}

/* The item after a failed prepare executes that statement: forget it. */
static void
slot_forget_failed(struct slot *s)
{
	struct dbq *q = s->s_q;
	struct prep *pr;
	int next = s->s_nended + 1;

	if (q == NULL || next >= s->s_nitems || s->s_items[next] < 0)
		return;
	pr = prep_find(s, q->q_sql[s->s_items[next]],
	    prep_hash(q->q_sql[s->s_items[next]]));
	if (pr != NULL)
		prep_forget(s, pr->pr_name);
}

static void
slot_read(struct slot *s)
{
	PGresult *res;
	int nitems, item;

	if (PQconsumeInput(s->s_conn) == 0) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	if (s->s_state == SLOT_CHECKING) {
		while (s->s_state == SLOT_CHECKING && !PQisBusy(s->s_conn))
			slot_check_result(s, PQgetResult(s->s_conn));
		if (s->s_state != SLOT_DOWN &&
		    PQstatus(s->s_conn) == CONNECTION_BAD)
			slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	if (s->s_listener) {
		listener_read(s);
		return;
	}
	nitems = s->s_nitems;
	while (s->s_state == SLOT_BUSY && !PQisBusy(s->s_conn)) {
		res = PQgetResult(s->s_conn);
		if (res == NULL) {
			/* The end of one item's results. */
			if (s->s_nended < nitems) {
				s->s_nended++;
				continue;
			}
			break;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			slot_complete(s);
			return;
		}
		item = s->s_nended < nitems ? s->s_items[s->s_nended]
		                            : ITEM_DEALLOCATE;
		if (item >= 0) {
			/* Keep the error of a failed prepare rather than the
			 * "aborted" of the execute that followed it. */
			if (s->s_res[item] != NULL &&
			    PQresultStatus(s->s_res[item]) ==
			        PGRES_FATAL_ERROR) {
				PQclear(res);
				continue;
			}
			PQclear(s->s_res[item]);
			s->s_res[item] = res;
			continue;
		}
		/* A prepare that did not succeed must be prepared again next
		 * time, and its error is the statement's answer. */
		if (item == ITEM_PREPARE &&
		    PQresultStatus(res) != PGRES_COMMAND_OK) {
			slot_forget_failed(s);
			if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
			    s->s_q != NULL && s->s_nended + 1 < s->s_nitems &&
			    s->s_items[s->s_nended + 1] >= 0) {
				item = s->s_items[s->s_nended + 1];
				PQclear(s->s_res[item]);
				s->s_res[item] = res;
				continue;
			}
		}
		PQclear(res);
	}
	if (PQstatus(s->s_conn) == CONNECTION_BAD)
		slot_down(s, PQerrorMessage(s->s_conn));
}

static void
slot_io(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;

	(void)fd;
	if (s->s_state == SLOT_CONNECTING) {
		slot_connect_poll(s);
		return;
	}
	if ((what & EV_WRITE) && s->s_flushing) {
		slot_flush(s);
		if (s->s_state == SLOT_DOWN)
			return;
	}
	if (what & EV_READ)
		slot_read(s);
}

static void
pool_kick(struct dbpool *p)
{
	struct dbq *q;
	int i;

	for (i = 0; i < p->p_size && !TAILQ_EMPTY(&p->p_wait); i++) {
		if (p->p_slots[i].s_state != SLOT_IDLE)
			continue;
		q = TAILQ_FIRST(&p->p_wait);
		TAILQ_REMOVE(&p->p_wait, q, q_entry);
		p->p_nwait--;
		if (q->q_canceled) {
			dbq_free(q);
			i--;
			continue;
		}
		slot_send(&p->p_slots[i], q);
	}
}

void
db_pool_wake(struct dbpool *p)
{
	int i;

	for (i = 0; i < p->p_size; i++)
		if (p->p_slots[i].s_state == SLOT_DOWN &&
		    evtimer_pending(p->p_slots[i].s_retry, NULL)) {
			event_del(p->p_slots[i].s_retry);
			slot_start(&p->p_slots[i]);
		}
	if (p->p_listen != NULL && p->p_listen->s_state == SLOT_DOWN &&
	    evtimer_pending(p->p_listen->s_retry, NULL)) {
		event_del(p->p_listen->s_retry);
		slot_start(p->p_listen);
	}
}

int
db_pool_listening(const struct dbpool *p, const char **why)
{
	*why = p->p_listen_err;
	return p->p_listen != NULL && p->p_listen_ok;
}

void
db_pool_invalidate(struct dbpool *p)
{
	p->p_gen++;
}

void
db_pool_on_ready(struct dbpool *p, void (*cb)(void *), void *arg)
{
	p->p_ready_cb = cb;
	p->p_ready_arg = arg;
}

int
db_pool_healthy(const struct dbpool *p)
{
	int i;

	for (i = 0; i < p->p_size; i++)
		if (p->p_slots[i].s_state == SLOT_IDLE ||
		    p->p_slots[i].s_state == SLOT_BUSY)
			return 1;
	return 0;
}

void
db_pool_stats(const struct dbpool *p, int *in_use, int *idle, int *waiting)
{
	int i;

	*in_use = *idle = 0;
	for (i = 0; i < p->p_size; i++) {
		if (p->p_slots[i].s_state == SLOT_BUSY)
			(*in_use)++;
		else if (p->p_slots[i].s_state == SLOT_IDLE)
			(*idle)++;
	}
	*waiting = p->p_nwait;
}

static void
dbq_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dbq *q = arg;
	struct dbpool *p = q->q_pool;

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&p->p_wait, q, q_entry);
	p->p_nwait--;
	dbq_finish(q, DB_TIMEOUT, NULL);
}

struct dbq *
db_exec(
    struct dbpool *p, const struct dbstmt *stmts, int n, db_cb cb, void *arg)
{
	struct dbq *q;
	struct timeval tv;
	int i, j;

	if (!db_pool_healthy(p) || n < 1 || n > DB_MAX_STMTS)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->q_pool = p;
	q->q_cb = cb;
	q->q_arg = arg;
	for (i = 0; i < n; i++) {
		q->q_nstmts++;
		if (stmts[i].ds_nparams < 0 ||
		    stmts[i].ds_nparams > DB_MAX_PARAMS ||
		    (q->q_sql[i] = strdup(stmts[i].ds_sql)) == NULL)
			goto fail;
		if (stmts[i].ds_nparams > 0 &&
		    (q->q_vals[i] = calloc(
		         (size_t)stmts[i].ds_nparams, sizeof(char *))) == NULL)
			goto fail;
		for (j = 0; j < stmts[i].ds_nparams; j++) {
			q->q_nparams[i]++;
			if (stmts[i].ds_vals[j] != NULL &&
			    (q->q_vals[i][j] = strdup(stmts[i].ds_vals[j])) ==
			        NULL)
				goto fail;
		}
	}
	if ((q->q_timer = evtimer_new(p->p_base, dbq_timeout, q)) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&p->p_wait, q, q_entry);
	p->p_nwait++;
	tv.tv_sec = p->p_acquire_ms / 1000;
	tv.tv_usec = (p->p_acquire_ms % 1000) * 1000;
	event_add(q->q_timer, &tv);
	p->p_submitting = q;
	p->p_submit_ended = 0;
	pool_kick(p);
	p->p_submitting = NULL;
	if (p->p_submit_ended)
		return NULL;
	return q;
fail:
	dbq_free(q);
	return NULL;
}

struct dbq *
db_query(struct dbpool *p, const char *sql, int nparams,
    const char *const *vals, db_cb cb, void *arg)
{
	struct dbstmt st = {sql, nparams, vals};

	return db_exec(p, &st, 1, cb, arg);
}

void
db_cancel(struct dbq *q)
{
	/* Still waiting: forget it now.  Running: let it finish unseen. */
	if (q->q_slot == NULL) {
		TAILQ_REMOVE(&q->q_pool->p_wait, q, q_entry);
		q->q_pool->p_nwait--;
		dbq_free(q);
		return;
	}
	q->q_canceled = 1;
}

static void
listen_send(struct slot *s)
{
	struct dbpool *p = s->s_pool;
	char *chan, sql[128];

	if ((chan = PQescapeIdentifier(
	         s->s_conn, p->p_channel, strlen(p->p_channel))) == NULL) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", chan);
	PQfreemem(chan);
	if (PQsendQuery(s->s_conn, sql) == 0) {
		slot_down(s, PQerrorMessage(s->s_conn));
		return;
	}
	/* Listening only once the server says so (listener_read). */
	s->s_state = SLOT_LISTENING;
	deadline_arm(s);
	slot_flush(s);
}

static char **strv_dup(const char *const *v, int n);
static void strv_free(char **v, int wipe);
static void slot_free(struct slot *s);

static int
strv_len(const char *const *v)
{
	int n;

	for (n = 0; v[n] != NULL; n++)
		;
	return n;
}

int
db_pool_listen(struct dbpool *p, const char *const *keys,
    const char *const *vals, const char *channel, void (*cb)(void *), void *arg)
{
	struct slot *s;

	if (p->p_listen != NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->s_pool = p;
	s->s_listener = 1;
	s->s_fd = -1;
	s->s_backoff_ms = DB_BACKOFF_MIN_MS;
	if ((p->p_channel = strdup(channel)) == NULL ||
	    (p->p_lkeys = strv_dup(keys, strv_len(keys))) == NULL ||
	    (p->p_lvals = strv_dup(vals, strv_len(vals))) == NULL ||
	    (s->s_retry = evtimer_new(p->p_base, slot_retry, s)) == NULL ||
	    (s->s_deadline = evtimer_new(p->p_base, slot_deadline, s)) ==
	        NULL) {
		slot_free(s);
		free(s);
		return -1;
	}
	snprintf(p->p_listen_err, sizeof(p->p_listen_err), "not connected yet");
	p->p_listen = s;
	p->p_notify_cb = cb;
	p->p_notify_arg = arg;
	slot_start(s);
	return 0;
}

static char **
strv_dup(const char *const *v, int n)
{
	char **out;
	int i;

	if ((out = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL) {
			strv_free(out, 1);
			return NULL;
		}
	return out;
}

static void
strv_free(char **v, int wipe)
{
	int i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++) {
		if (wipe)
			memset(v[i], 0, strlen(v[i]));
		free(v[i]);
	}
	free(v);
}

struct dbpool *
db_pool_new(struct event_base *base, const char *const *keys,
    const char *const *vals, int size, long acquire_timeout_ms, int pooled,
    long timeout_ms)
{
	struct dbpool *p;
	int i, n;

	for (n = 0; keys[n] != NULL; n++)
		;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->p_base = base;
	p->p_size = size;
	p->p_acquire_ms = acquire_timeout_ms;
	p->p_pooled = pooled;
	p->p_timeout_ms = timeout_ms;
	TAILQ_INIT(&p->p_wait);
	if ((p->p_keys = strv_dup(keys, n)) == NULL ||
	    (p->p_vals = strv_dup(vals, n)) == NULL ||
	    (p->p_slots = calloc((size_t)size, sizeof(*p->p_slots))) == NULL) {
		db_pool_free(p);
		return NULL;
	}
	for (i = 0; i < size; i++) {
		p->p_slots[i].s_pool = p;
		p->p_slots[i].s_backoff_ms = DB_BACKOFF_MIN_MS;
		p->p_slots[i].s_fd = -1;
		if ((p->p_slots[i].s_retry = evtimer_new(
		         base, slot_retry, &p->p_slots[i])) == NULL ||
		    (p->p_slots[i].s_deadline = evtimer_new(
		         base, slot_deadline, &p->p_slots[i])) == NULL) {
			db_pool_free(p);
			return NULL;
		}
	}
	for (i = 0; i < size; i++)
		slot_start(&p->p_slots[i]);
	return p;
}

static void
slot_free(struct slot *s)
{
	if (s->s_ev != NULL)
		event_free(s->s_ev);
	if (s->s_retry != NULL)
		event_free(s->s_retry);
	if (s->s_deadline != NULL)
		event_free(s->s_deadline);
	if (s->s_q != NULL)
		dbq_free(s->s_q);
	prep_clear(s);
	slot_clear_results(s);
	PQfinish(s->s_conn);
}

void
db_pool_free(struct dbpool *p)
{
	struct dbq *q;
	int i;

	if (p == NULL)
		return;
	while ((q = TAILQ_FIRST(&p->p_wait)) != NULL) {
		TAILQ_REMOVE(&p->p_wait, q, q_entry);
		dbq_free(q);
	}
	for (i = 0; p->p_slots != NULL && i < p->p_size; i++)
		slot_free(&p->p_slots[i]);
	if (p->p_listen != NULL) {
		slot_free(p->p_listen);
		free(p->p_listen);
	}
	free(p->p_channel);
	strv_free(p->p_lkeys, 0);
	strv_free(p->p_lvals, 1);
	free(p->p_slots);
	strv_free(p->p_keys, 0);
	strv_free(p->p_vals, 1);
	free(p);
}
