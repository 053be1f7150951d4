/*
 * postern-gateway: configuration, the database pool, the authd client, the
 * route table, the HTTP listener, then the event loop.  SIGTERM/SIGINT stop
 * accepting and let requests in flight finish (bounded), then exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "gateway/authc.h"
#include "gateway/clientip.h"
#include "gateway/db.h"
#include "gateway/gateway.h"
#include "gateway/vcache.h"

#define DRAIN_SECONDS 10

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gw *gw = arg;
	struct timeval tv = {DRAIN_SECONDS, 0};

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading endpoints");
		registry_reload(gw);
		return;
	}
	if (gw->gw_draining) {
		event_base_loopexit(gw->gw_base, NULL);
		return;
	}
	log_info(
	    "signal %d: draining %zu connections", (int)sig, gw->gw_nconns);
	gw->gw_draining = 1;
	http_close_listener(gw);
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
	const char *keys[6], *vals[6];
	const char *url = config_db_url(&gw->gw_cf, "gateway");
	const char *user = config_db_user(&gw->gw_cf, "gateway");
	int i = 0;

	if (url[0] != '\0') {
		keys[i] = "dbname";
		vals[i++] = url;
	}
	if (user[0] != '\0') {
		keys[i] = "user";
		vals[i++] = user;
	}
	if (gw->gw_dbpass[0] != '\0') {
		keys[i] = "password";
		vals[i++] = gw->gw_dbpass;
	}
	keys[i] = "application_name";
	vals[i++] = "postern-gateway";
	keys[i] = "connect_timeout";
	vals[i++] = "5";
	keys[i] = NULL;
	vals[i] = NULL;
	return db_pool_new(gw->gw_base, keys, vals, (int)gw->gw_cf.cf_pool_size,
	    gw->gw_cf.cf_pool_acquire_timeout_ms);
}

int
main(int argc, char *argv[])
{
	static struct gw gw;
	char err[512];
	const char *path, *pwfile, *why;

	log_init("gateway", LOG_LVL_INFO);
	path = config_cmdline(argc, argv, "postern-gateway");
	if (config_load(&gw.gw_cf, path, err, sizeof(err)) == -1)
		fatalx("configuration: %s", err);
	log_set_level(log_level_parse(gw.gw_cf.cf_log_level));
	signal(SIGPIPE, SIG_IGN);
	TAILQ_INIT(&gw.gw_conns);

	pwfile = config_db_password_file(&gw.gw_cf, "gateway");
	if (pwfile[0] != '\0' && config_read_secret(pwfile, gw.gw_dbpass,
	                             sizeof(gw.gw_dbpass)) == -1)
		fatal("gateway_database_password_file %s", pwfile);
	if ((gw.gw_proxies = trusted_proxies_parse(
	         gw.gw_cf.cf_trusted_proxies, &why)) == NULL)
		fatalx("trusted_proxies: %s", why);
	if ((gw.gw_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((gw.gw_db = pool_open(&gw)) == NULL)
		fatalx("cannot create the database pool");
	if (registry_init(&gw) == -1)
		fatalx("cannot set up the endpoint registry");
	OPENSSL_cleanse(gw.gw_dbpass, sizeof(gw.gw_dbpass));
	if (gw.gw_cf.cf_verify_cache > 0 &&
	    (gw.gw_vcache = vcache_new((size_t)gw.gw_cf.cf_verify_cache)) ==
	        NULL)
		fatalx("out of memory");
	if ((gw.gw_authc = authc_new(gw.gw_base, gw.gw_cf.cf_socket,
	         gw.gw_cf.cf_ipc_timeout_ms, gw.gw_cf.cf_ipc_max_pending)) ==
	    NULL)
		fatalx("cannot create the authd client");
	authc_set_event_cb(gw.gw_authc, on_revoked, &gw);
	if (http_listen(&gw) == -1)
		exit(1);
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

	http_close_listener(&gw);
	http_close_all(&gw);
	authc_free(gw.gw_authc);
	vcache_free(gw.gw_vcache);
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
