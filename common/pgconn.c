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
