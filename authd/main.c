/*
 * postern-authd: start-up in the order the trust model needs.  Everything
 * that needs root or secrets happens first (config, database password, key,
 * socket), then privileges are dropped for good, then threads start and the
 * event loop runs.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/pgconn.h"
#include "common/privdrop.h"
#include "common/util.h"
#include "authd/authd.h"
#include "authd/blocklist.h"
#include "authd/revoked.h"

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct authd *ad = arg;

	(void)what;
	if (sig == SIGHUP) {
		/* logrotate moved the file: reopen it.  After the privilege
		 * drop this needs the new file to be writable by authd_user
		 * (docs/deploy.md). */
		if (log_reopen() == -1)
			log_warn(
			    "SIGHUP: cannot reopen %s", ad->ad_cf.cf_log_file);
		else
			log_info("SIGHUP: log file reopened");
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(ad->ad_base, NULL);
}

/* One database check at a time; the worker clears the flag. */
void
authd_dbcheck(struct authd *ad)
{
	struct job *j;

	if (atomic_exchange(&ad->ad_dbcheck_queued, 1))
		return;
	if ((j = job_new(JOB_DBCHECK)) == NULL ||
	    workers_submit(ad->ad_workers, j) == -1) {
		job_free(j);
		atomic_store(&ad->ad_dbcheck_queued, 0);
	}
}

static void
on_dbcheck(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	authd_dbcheck(arg);
}

static int
resolve_peer(struct authd *ad)
{
	if (ad->ad_cf.cf_gateway_user[0] == '\0') {
		ad->ad_peer_uid = getuid();
		return 0;
	}
	if (privdrop_uid(ad->ad_cf.cf_gateway_user, &ad->ad_peer_uid) == 0)
		return 0;
	log_warnx(
	    "gateway_user: no such user \"%s\"", ad->ad_cf.cf_gateway_user);
	return -1;
}

int
main(int argc, char *argv[])
{
	static struct authd ad;
	struct timeval tv = {1, 0};
	char err[512], dummy[32];
	const char *path, *pwfile;

	log_init("authd", LOG_LVL_INFO);
	path = config_cmdline(argc, argv, "postern-authd");
	if (config_load(&ad.ad_cf, path, err, sizeof(err)) == -1)
		fatalx("configuration: %s", err);
	log_set_level(log_level_parse(ad.ad_cf.cf_log_level));
	if (log_open(ad.ad_cf.cf_log_file) == -1)
		fatal("log_file %s", ad.ad_cf.cf_log_file);
	signal(SIGPIPE, SIG_IGN);
	TAILQ_INIT(&ad.ad_conns);
	ad.ad_pp.pp_m_kib = (uint32_t)ad.ad_cf.cf_argon2_memory_kib;
	ad.ad_pp.pp_t = (uint32_t)ad.ad_cf.cf_argon2_iterations;
	ad.ad_pp.pp_p = (uint32_t)ad.ad_cf.cf_argon2_parallelism;

	pwfile = config_db_password_file(&ad.ad_cf, "authd");
	if (pwfile[0] != '\0' && config_read_secret(pwfile, ad.ad_dbpass,
	                             sizeof(ad.ad_dbpass)) == -1)
		fatal("authd_database_password_file %s", pwfile);
	if (keyfile_load(ad.ad_cf.cf_key_file, ad.ad_key, sizeof(ad.ad_key),
	        &ad.ad_keylen) == -1)
		fatalx("cannot load or create the signing key %s",
		    ad.ad_cf.cf_key_file);
	if (resolve_peer(&ad) == -1)
		exit(1);
	pgconn_probe(&ad.ad_cf, "authd", ad.ad_dbpass, PGCONN_PROBE);
	pgconn_probe(&ad.ad_cf, "authd", ad.ad_dbpass, PGCONN_LISTEN);
	/* The common-password list is read while we may still be root. */
	if (ad.ad_cf.cf_password_blocklist[0] != '\0') {
		if ((ad.ad_blocklist = blocklist_load(
		         ad.ad_cf.cf_password_blocklist)) == NULL)
			fatal("password_blocklist %s (install Debian's "
			      "john-data, or set password_blocklist = to "
			      "disable the check)",
			    ad.ad_cf.cf_password_blocklist);
		log_info("%zu common passwords refused (%s)",
		    blocklist_count(ad.ad_blocklist),
		    ad.ad_cf.cf_password_blocklist);
	}
	if ((ad.ad_revoked = revoked_new()) == NULL)
		fatalx("out of memory");

	if (evthread_use_pthreads() == -1)
		fatalx("evthread_use_pthreads failed");
	if ((ad.ad_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (server_listen(&ad) == -1)
		exit(1);
	if (privdrop(ad.ad_cf.cf_authd_user, "authd_user", PRIVDROP_NODUMP) ==
	    -1)
		fatalx("cannot drop privileges");
	/* Before the first thread: every thread inherits the filter. */
	if (sandbox_enter(ad.ad_cf.cf_seccomp != 0) == -1)
		fatalx("cannot install the seccomp filter");

	/* The dummy hash that unknown emails are verified against. */
	if (random_bytes(dummy, sizeof(dummy)) == -1 ||
	    password_hash(&ad.ad_pp, dummy, sizeof(dummy), ad.ad_dummy_phc,
	        sizeof(ad.ad_dummy_phc)) == -1)
		fatalx("cannot make the dummy hash");
	OPENSSL_cleanse(dummy, sizeof(dummy));

	if (notice_init(&ad) == -1)
		fatalx("out of memory");
	if (revlisten_start(&ad) == -1)
		fatalx("cannot start the revocation listener");
	if ((ad.ad_workers =
	            workers_start(&ad, (int)ad.ad_cf.cf_hash_workers)) == NULL)
		fatalx("cannot start workers");
	ad.ad_sigterm = evsignal_new(ad.ad_base, SIGTERM, on_signal, &ad);
	ad.ad_sigint = evsignal_new(ad.ad_base, SIGINT, on_signal, &ad);
	ad.ad_sighup = evsignal_new(ad.ad_base, SIGHUP, on_signal, &ad);
	ad.ad_dbcheck = event_new(ad.ad_base, -1, EV_PERSIST, on_dbcheck, &ad);
	if (ad.ad_sigterm == NULL || ad.ad_sigint == NULL ||
	    ad.ad_sighup == NULL || ad.ad_dbcheck == NULL ||
	    evsignal_add(ad.ad_sigterm, NULL) == -1 ||
	    evsignal_add(ad.ad_sigint, NULL) == -1 ||
	    evsignal_add(ad.ad_sighup, NULL) == -1 ||
	    event_add(ad.ad_dbcheck, &tv) == -1)
		fatalx("cannot set up events");
	on_dbcheck(-1, 0, &ad);
	log_info("postern-authd ready");

	event_base_dispatch(ad.ad_base);

	server_close(&ad);
	workers_stop(ad.ad_workers);
	revlisten_stop(&ad);
	notice_free(&ad);
	revoked_free(ad.ad_revoked);
	blocklist_free(ad.ad_blocklist);
	event_free(ad.ad_sigterm);
	event_free(ad.ad_sigint);
	event_free(ad.ad_sighup);
	event_free(ad.ad_dbcheck);
	if (ad.ad_ping_timer != NULL)
		event_free(ad.ad_ping_timer);
	event_base_free(ad.ad_base);
	OPENSSL_cleanse(ad.ad_key, sizeof(ad.ad_key));
	OPENSSL_cleanse(ad.ad_dbpass, sizeof(ad.ad_dbpass));
	log_info("postern-authd stopped");
	return 0;
}
