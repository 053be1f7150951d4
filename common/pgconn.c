#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pgconn.h"

void
pgconn_params(struct pgconn_params *p, const struct config *cf, const char *who,
    const char *pass, enum pgconn_kind kind)
{
	const char *url = kind == PGCONN_LISTEN ? config_listen_url(cf, who)
	                                        : config_db_url(cf, who);
	const char *user = config_db_user(cf, who);
	long secs;
	int i = 0;

	memset(p, 0, sizeof(*p));
	if (url[0] != '\0') {
		p->pp_keys[i] = "dbname";
		p->pp_vals[i++] = url;
	}
	if (user[0] != '\0') {
		p->pp_keys[i] = "user";
		p->pp_vals[i++] = user;
	}
	if (pass != NULL && pass[0] != '\0') {
		p->pp_keys[i] = "password";
		p->pp_vals[i++] = pass;
	}
	p->pp_keys[i] = "application_name";
	p->pp_vals[i++] =
	    strcmp(who, "gateway") == 0 ? "postern-gateway" : "postern-authd";
	/* libpq's connect_timeout is whole seconds, 2 at least. */
	secs = (cf->cf_db_timeout_ms + 999) / 1000;
	snprintf(
	    p->pp_timeout, sizeof(p->pp_timeout), "%ld", secs < 2 ? 2 : secs);
	p->pp_keys[i] = "connect_timeout";
	p->pp_vals[i++] = p->pp_timeout;
	if (kind == PGCONN_POOL && !config_pooled(cf)) {
		snprintf(p->pp_options, sizeof(p->pp_options),
		    "-c statement_timeout=%ld", cf->cf_db_timeout_ms + 1000);
		p->pp_keys[i] = "options";
		p->pp_vals[i++] = p->pp_options;
	}
	p->pp_keys[i] = NULL;
	p->pp_vals[i] = NULL;
}

PGconn *
pgconn_connect(const struct config *cf, const char *who, const char *pass,
    enum pgconn_kind kind, char *err, size_t errlen)
{
	struct pgconn_params pp;
	PGconn *c;

	pgconn_params(&pp, cf, who, pass, kind);
	c = PQconnectdbParams(pp.pp_keys, pp.pp_vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s",
		    c != NULL ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, pgconn_notice, NULL);
	return c;
}

int
pgconn_is_direct(PGconn *c, char *err, size_t errlen)
{
	PGresult *res;
	long pid;
	int rv = -1;

	res = PQexecParams(
	    c, "SELECT pg_backend_pid()", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		pid = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		rv = pid == (long)PQbackendPID(c);
	} else
		snprintf(err, errlen, "%s",
		    res != NULL ? PQresultErrorMessage(res)
		                : PQerrorMessage(c));
	PQclear(res);
	return rv;
}

void
pgconn_notice(void *arg, const char *msg)
{
	char line[512];
	size_t n;

	(void)arg;
	snprintf(line, sizeof(line), "%s", msg);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_info("database notice: %s", line);
}

void
pgconn_probe(const struct config *cf, const char *who, const char *pass,
    enum pgconn_kind kind)
{
	PGconn *c;
	char err[512];
	int direct;

	if (kind == PGCONN_PROBE && config_pooled(cf))
		return;
	if ((c = pgconn_connect(cf, who, pass, kind, err, sizeof(err))) ==
	    NULL) {
		log_warnx("database connect failed%s: %s; the check for a "
		          "connection pooler waits for the first connection",
		    kind == PGCONN_LISTEN ? " (LISTEN connection)" : "", err);
		return;
	}
	direct = pgconn_is_direct(c, err, sizeof(err));
	PQfinish(c);
	if (direct == 0 && kind == PGCONN_LISTEN)
		fatalx("listen_database_url leads to a connection pooler: "
		       "LISTEN needs a direct connection to PostgreSQL (set "
		       "listen_database_url to one)");
	if (direct == 0)
		fatalx("database_url leads to a connection pooler (the "
		       "server's pg_backend_pid() is not the connection's "
		       "backend pid): set db_pooler = transaction, and "
		       "listen_database_url to a direct connection");
	if (direct == -1)
		log_warnx("cannot check for a connection pooler: %s", err);
}
