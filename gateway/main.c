/*
 * postern-gateway: configuration, the database pool, the authd client, the
 * route table, the HTTP listener, then the event loop.  SIGTERM/SIGINT stop
 * accepting and let requests in flight finish (bounded by drain_timeout_ms),
 * then exit 0; SIGHUP reopens the log and reloads what it can.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/pgconn.h"
#include "common/privdrop.h"
#include "gateway/authc.h"
#include "gateway/clientip.h"
#include "gateway/db.h"
#include "gateway/cors.h"
#include "gateway/gateway.h"
#include "gateway/vcache.h"

/* The --config path, for reloading on SIGHUP (NULL: defaults and env). */
static const char *conf_path;

/* Keys the gateway applies on SIGHUP: each is read afresh by every request
 * or connection, none is held in a structure built at start-up. */
static const char *const reloadable[] = {"log_level", "log_file",
    "trusted_proxies", "body_limit", "header_limit", "max_connections",
    "request_timeout_ms", "idle_timeout_ms", "list_default_limit",
    "list_max_limit", "drain_timeout_ms"};

static int
is_reloadable(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
		if (strcmp(reloadable[i], key) == 0)
			return 1;
	return 0;
}

/*
 * SIGHUP: reads the configuration again and applies the reloadable keys.
 * A changed key that needs a restart is named in the log and keeps its
 * old value; a configuration that does not load changes nothing.
 */
static void
reload_config(struct gw *gw)
{
	static struct config ncf; /* large; the loop is single-threaded */
	struct trusted_proxies *tp = NULL;
	const struct config_key *t;
	const char *why;
	char err[512], *o, *n;
	size_t i, nkeys;
	int same;

	if (config_load(&ncf, conf_path, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: configuration: %s; nothing changed", err);
		return;
	}
	if (strcmp(ncf.cf_trusted_proxies, gw->gw_cf.cf_trusted_proxies) != 0 &&
	    (tp = trusted_proxies_parse(ncf.cf_trusted_proxies, &why)) ==
	        NULL) {
		log_warnx("SIGHUP: trusted_proxies: %s; nothing changed", why);
		return;
	}
	if (strcmp(ncf.cf_log_file, gw->gw_cf.cf_log_file) != 0 &&
	    log_open(ncf.cf_log_file) == -1) {
		log_warn(
		    "SIGHUP: log_file %s; nothing changed", ncf.cf_log_file);
		trusted_proxies_free(tp);
		return;
	}
	if (tp != NULL) {
		trusted_proxies_free(gw->gw_proxies);
		gw->gw_proxies = tp;
	}
	t = config_keys(&nkeys);
	for (i = 0; i < nkeys; i++) {
		if (strcmp(t[i].ck_who, "authd") == 0)
			continue;
		o = (char *)&gw->gw_cf + t[i].ck_off;
		n = (char *)&ncf + t[i].ck_off;
		same = t[i].ck_type == CONFIG_T_STR
		           ? strcmp(o, n) == 0
		           : memcmp(o, n, sizeof(long)) == 0;
		if (same)
			continue;
		if (!is_reloadable(t[i].ck_name)) {
			log_warnx("SIGHUP: %s changed: restart the gateway "
			          "to apply it",
			    t[i].ck_name);
			continue;
		}
		if (t[i].ck_type == CONFIG_T_STR)
			memcpy(o, n, CONFIG_STR_MAX);
		else
			memcpy(o, n, sizeof(long));
		log_info("SIGHUP: %s changed", t[i].ck_name);
	}
	log_set_level(log_level_parse(gw->gw_cf.cf_log_level));
}

/*
 * SIGTERM/SIGINT: stop accepting, close idle connections, let requests in
 * flight finish for at most drain_timeout_ms, then leave the loop; main()
 * closes what is left and exits 0.  A second signal ends the wait.
 * SIGHUP: reopen the log file (logrotate), reload the configuration's
 * reloadable keys and the endpoint registry.
 */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gw *gw = arg;
	long ms = gw->gw_cf.cf_drain_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	(void)what;
	if (sig == SIGHUP) {
		if (log_reopen() == -1)
			log_warn(
			    "SIGHUP: cannot reopen %s", gw->gw_cf.cf_log_file);
		log_info("SIGHUP: reloading the configuration and endpoints");
		reload_config(gw);
		registry_reload(gw);
		return;
	}
	if (gw->gw_draining) {
		log_info("signal %d while draining: stopping now", (int)sig);
		event_base_loopexit(gw->gw_base, NULL);
		return;
	}
	gw->gw_draining = 1;
	http_close_listener(gw);
	http_drain(gw);
	log_info("signal %d: draining %zu connections (at most %ld ms)",
	    (int)sig, gw->gw_nconns, ms);
	/* hconn_free leaves the loop when the last connection goes. */
	if (gw->gw_nconns == 0)
		event_base_loopexit(gw->gw_base, NULL);
	else
		event_base_loopexit(gw->gw_base, &tv);
}

/* authd revoked a session (sid), asks us to forget everything (""), or
 * the connection dropped (NULL): cached verifications go accordingly. */
static void
on_revoked(const char *sid, void *arg)
{
	struct gw *gw = arg;

	if (gw->gw_vcache == NULL)
		return;
	if (sid == NULL || sid[0] == '\0')
		vcache_flush(gw->gw_vcache);
	else
		vcache_revoke_sid(gw->gw_vcache, sid);
}

static struct dbpool *
pool_open(struct gw *gw)
{
	struct pgconn_params pp;

	pgconn_params(&pp, &gw->gw_cf, "gateway", gw->gw_dbpass, PGCONN_POOL);
	return db_pool_new(gw->gw_base, pp.pp_keys, pp.pp_vals,
	    (int)gw->gw_cf.cf_pool_size, gw->gw_cf.cf_pool_acquire_timeout_ms,
	    config_pooled(&gw->gw_cf), gw->gw_cf.cf_db_timeout_ms);
}

int
main(int argc, char *argv[])
{
	static struct gw gw;
	char err[512];
	const char *path, *pwfile, *why;

	log_init("gateway", LOG_LVL_INFO);
	path = config_cmdline(argc, argv, "postern-gateway");
	conf_path = path;
	if (config_load(&gw.gw_cf, path, err, sizeof(err)) == -1)
		fatalx("configuration: %s", err);
	log_set_level(log_level_parse(gw.gw_cf.cf_log_level));
	if (log_open(gw.gw_cf.cf_log_file) == -1)
		fatal("log_file %s", gw.gw_cf.cf_log_file);
	signal(SIGPIPE, SIG_IGN);
	TAILQ_INIT(&gw.gw_conns);
	/* Refuse early, before anything is opened, rather than run as root. */
	if (geteuid() == 0 && gw.gw_cf.cf_gateway_user[0] == '\0')
		fatalx("started as root: set gateway_user to the user the "
		       "gateway drops to (the uid authd admits)");

	pwfile = config_db_password_file(&gw.gw_cf, "gateway");
	if (pwfile[0] != '\0' && config_read_secret(pwfile, gw.gw_dbpass,
	                             sizeof(gw.gw_dbpass)) == -1)
		fatal("gateway_database_password_file %s", pwfile);
	if ((gw.gw_proxies = trusted_proxies_parse(
	         gw.gw_cf.cf_trusted_proxies, &why)) == NULL)
		fatalx("trusted_proxies: %s", why);
	if ((gw.gw_cors = cors_parse(gw.gw_cf.cf_cors_origins, &why)) == NULL)
		fatalx("cors_origins: %s", why);
	if ((gw.gw_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	pgconn_probe(&gw.gw_cf, "gateway", gw.gw_dbpass, PGCONN_PROBE);
	pgconn_probe(&gw.gw_cf, "gateway", gw.gw_dbpass, PGCONN_LISTEN);
	if ((gw.gw_db = pool_open(&gw)) == NULL)
		fatalx("cannot create the database pool");
	if (registry_init(&gw) == -1)
		fatalx("cannot set up the endpoint registry");
	OPENSSL_cleanse(gw.gw_dbpass, sizeof(gw.gw_dbpass));
	if (gw.gw_cf.cf_verify_cache > 0 &&
	    (gw.gw_vcache = vcache_new((size_t)gw.gw_cf.cf_verify_cache)) ==
	        NULL)
		fatalx("out of memory");
	if (admin_init(&gw) == -1) /* builder: the admin key */
		exit(1);
	if (http_listen(&gw) == -1)
		exit(1);
	/* The listener is bound and the secrets (database password, admin
	 * key) are read: nothing from here on needs root. */
	if (privdrop(gw.gw_cf.cf_gateway_user, "gateway_user", 0) == -1)
		fatalx("cannot drop privileges");
	/* authd reads our uid from the connection (SO_PEERCRED) when it
	 * is made: connect only as gateway_user. */
	if ((gw.gw_authc = authc_new(gw.gw_base, gw.gw_cf.cf_socket,
	         gw.gw_cf.cf_ipc_timeout_ms, gw.gw_cf.cf_ipc_max_pending)) ==
	    NULL)
		fatalx("cannot create the authd client");
	authc_set_event_cb(gw.gw_authc, on_revoked, &gw);
	authc_set_observer(gw.gw_authc, metrics_authd_done);
	gw.gw_sigterm = evsignal_new(gw.gw_base, SIGTERM, on_signal, &gw);
	gw.gw_sigint = evsignal_new(gw.gw_base, SIGINT, on_signal, &gw);
	gw.gw_sighup = evsignal_new(gw.gw_base, SIGHUP, on_signal, &gw);
	if (gw.gw_sigterm == NULL || gw.gw_sigint == NULL ||
	    gw.gw_sighup == NULL || evsignal_add(gw.gw_sigterm, NULL) == -1 ||
	    evsignal_add(gw.gw_sigint, NULL) == -1 ||
	    evsignal_add(gw.gw_sighup, NULL) == -1)
		fatalx("cannot set up signals");
	/* The pool connects asynchronously; the registry loads the routes
	 * as soon as the first connection is up. */
	log_info("postern-gateway started");

	event_base_dispatch(gw.gw_base);

	if (gw.gw_nconns > 0)
		log_warnx(
		    "drain timeout: closing %zu connections", gw.gw_nconns);
	http_close_listener(&gw);
	http_close_all(&gw);
	authc_free(gw.gw_authc);
	vcache_free(gw.gw_vcache);
	cors_free(gw.gw_cors);
	db_pool_free(gw.gw_db);
	routes_unref(gw.gw_routes);
	trusted_proxies_free(gw.gw_proxies);
	if (gw.gw_routes_retry != NULL)
		event_free(gw.gw_routes_retry);
	event_free(gw.gw_sigterm);
	event_free(gw.gw_sigint);
	event_free(gw.gw_sighup);
	event_base_free(gw.gw_base);
	log_info("postern-gateway stopped");
	return 0;
}
