/*
 * A private gateway+authd pair for the hardening tests (test_hostile.c,
 * test_chaos.c): the fixture's config (database, roles, signing key) with
 * its own socket, listen address and whatever extra "key = value" lines a
 * test needs (request_timeout_ms, pool_size, ipc_timeout_ms, ...).  Both
 * daemons are children of the test process, so a test may SIGSTOP, SIGKILL
 * and restart them without touching the fixture's stack.
 *
 * hpair_start() also points e2e_cf.ee_base_url at the pair, so e2e_call()
 * and friends talk to it; hp_fixture_base keeps the fixture's URL.
 * Criterion runs each test in its own process, so the swap never leaks
 * into another test.
 */
#ifndef POSTERN_TESTS_HPAIR_H
#define POSTERN_TESTS_HPAIR_H

#include <sys/types.h>

#include "e2e.h"

struct hpair {
	char hp_dir[64]; /* temporary; holds all of the below */
	char hp_conf[E2E_PATH_MAX];
	char hp_socket[E2E_PATH_MAX];
	char hp_authd_log[E2E_PATH_MAX];
	char hp_gateway_log[E2E_PATH_MAX];
	char hp_base[E2E_PATH_MAX];         /* http://127.0.0.1:<port> */
	char hp_fixture_base[E2E_PATH_MAX]; /* the fixture's gateway */
	int hp_port;
	pid_t hp_authd;
	pid_t hp_gateway;
};

/*
 * Starts the pair with extra config lines (may be NULL) and waits until its
 * gateway answers /readyz 200.  Fails the test if it cannot.
 */
void hpair_start(struct hpair *p, const char *extra);

/*
 * Sets the pair up with extra config lines but starts only daemon
 * ("authd" or "gateway") and expects it to refuse to start: returns 0 if it
 * exited with a non-zero status within timeout_ms (its log is
 * hp_authd_log or hp_gateway_log), -1 if it kept running (then stopped).
 */
int hpair_expect_refusal(
    struct hpair *p, const char *extra, const char *daemon, long timeout_ms);

/* Starts authd again (after a kill) and waits for its socket. */
void hpair_start_authd(struct hpair *p);

/* SIGKILLs authd and reaps it. */
void hpair_kill_authd(struct hpair *p);

/*
 * Stops both daemons and fails the test if either logged a sanitizer
 * report; removes the pair's directory.
 */
void hpair_finish(struct hpair *p);

/* For a suite's fini: stops whatever still runs, keeps the logs. */
void hpair_cleanup(struct hpair *p);

#endif
