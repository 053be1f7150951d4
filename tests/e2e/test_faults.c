/*
 * Fault tests: authd dies while the gateway runs.  The gateway must fail
 * closed (503, never 200, on a protected route), keep serving its public
 * routes, and reconnect once authd is back, without a restart.
 *
 * These tests kill and restart the stack's authd, so ctest runs them alone
 * (RUN_SERIAL).  Whatever happens, the fixture's fini starts authd again.
 */
#include <sys/types.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "authd/token.h"
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)

static const char *const dev_start_authd[] = {"start", "authd", NULL};

static void
restart_authd(void)
{
	pid_t pid = e2e_read_pid(e2e_cf.ee_authd_pid_file);

	/* deploy/dev start is a no-op when authd runs. */
	if (pid > 0 && e2e_pid_alive(pid))
		return;
	if (e2e_dev(dev_start_authd) != 0)
		fprintf(stderr, "test_faults: deploy/dev start authd failed\n");
}

static void
faults_fini(void)
{
	restart_authd();
	e2e_teardown();
}

TestSuite(faults, .init = e2e_setup, .fini = faults_fini, .timeout = 90);

static long
get_status(const char *path, const char *tok)
{
	struct e2e_resp r;
	long st;

	cr_assert(e2e_get(path, tok, &r) == 0, "GET %s: no answer", path);
	st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* SIGKILL authd and wait until it is gone; returns its pid. */
static pid_t
kill_authd(void)
{
	pid_t pid = e2e_read_pid(e2e_cf.ee_authd_pid_file);
	int64_t deadline;

	cr_assert(pid > 0 && e2e_pid_alive(pid), "authd is not running");
	cr_assert(kill(pid, SIGKILL) == 0);
	deadline = e2e_now_ms() + 5000;
	while (e2e_pid_alive(pid) && e2e_now_ms() < deadline)
		e2e_sleep_ms(20);
	cr_assert(!e2e_pid_alive(pid), "authd %ld survived SIGKILL", (long)pid);
	return pid;
}

/* Polls path until it answers want, for at most ms; returns the last. */
static long
poll_status(const char *path, const char *tok, long want, long ms)
{
	int64_t deadline = e2e_now_ms() + ms;
	long st;

	for (;;) {
		st = get_status(path, tok);
		if (st == want || e2e_now_ms() >= deadline)
			return st;
		e2e_sleep_ms(50);
	}
}

Test(faults, authd_down_fails_closed_and_recovers)
{
	char email[128], tok[TOKCAP];
	struct e2e_resp r;
	pid_t gw, old;
	long st;
	int i;

	gw = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	cr_assert(gw > 0 && e2e_pid_alive(gw), "gateway is not running");
	e2e_email(email, sizeof(email), "fault");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	cr_assert_eq(get_status("/table_1", tok), 200);

	old = kill_authd();

	/* Fail closed at once, on every request, with the JSON error. */
	for (i = 0; i < 5; i++) {
		cr_assert(e2e_get("/table_1", tok, &r) == 0);
		cr_assert_neq(r.er_status, 200,
		    "a protected route was served while authd was down");
		e2e_assert_error(&r, 503);
		e2e_resp_free(&r);
	}
	cr_assert(
	    e2e_post_json("/auth/login",
	        "{\"email\":\"x@example.com\",\"password\":\"" PASSWORD "\"}",
	        &r) == 0);
	e2e_assert_error(&r, 503);
	e2e_resp_free(&r);

	/* The public routes stay up; readiness says authd is missing. */
	cr_assert(e2e_get("/healthz", NULL, &r) == 0);
	cr_assert_eq(
	    r.er_status, 200, "/healthz: %ld %s", r.er_status, e2e_body(&r));
	e2e_resp_free(&r);
	st = poll_status("/readyz", NULL, 503, 3000);
	cr_assert_eq(st, 503, "/readyz answered %ld with authd down", st);
	cr_assert(e2e_get("/readyz", NULL, &r) == 0);
	cr_assert(strstr(e2e_body(&r), "authd") != NULL,
	    "/readyz does not say that authd failed: %s", e2e_body(&r));
	e2e_resp_free(&r);

	cr_assert_eq(e2e_dev(dev_start_authd), 0, "deploy/dev start authd");
	cr_assert_neq(e2e_read_pid(e2e_cf.ee_authd_pid_file), old);

	/* The gateway reconnects by itself within 5 s. */
	st = poll_status("/table_1", tok, 200, 5000);
	cr_assert_eq(
	    st, 200, "GET /table_1 still %ld 5 s after authd came back", st);
	cr_assert_eq(poll_status("/readyz", NULL, 200, 5000), 200);
	cr_assert_eq(e2e_read_pid(e2e_cf.ee_gateway_pid_file), gw,
	    "the gateway was restarted");
	cr_assert(e2e_pid_alive(gw), "the gateway died");
}

struct inflight {
	const char *if_body;
	long if_status;
	int if_err;
};

static void *
signup_thread(void *arg)
{
	struct inflight *in = arg;
	struct e2e_resp r;

	if (e2e_post_json("/auth/signup", in->if_body, &r) == -1) {
		in->if_err = 1;
		return NULL;
	}
	in->if_status = r.er_status;
	e2e_resp_free(&r);
	return NULL;
}

/*
 * authd dies while it hashes a signup's password.  Whatever the client was
 * told, the account must be whole or absent: never a users row without a
 * password, which would make the email unusable for good.
 */
Test(faults, signup_in_flight_is_atomic)
{
	struct inflight in = {0};
	char email[128], tok[TOKCAP];
	struct e2e_resp r;
	struct buf b;
	pthread_t th;
	pid_t gw;

	gw = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	e2e_email(email, sizeof(email), "inflight");
	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, PASSWORD) == 0);
	in.if_body = b.b_data;
	cr_assert(pthread_create(&th, NULL, signup_thread, &in) == 0);
	/* Argon2id at m=19 MiB, t=2 takes longer than this. */
	e2e_sleep_ms(15);
	kill_authd();
	pthread_join(th, NULL);
	cr_assert_eq(in.if_err, 0, "the in-flight signup got no answer");
	cr_log_info("the in-flight signup answered %ld", in.if_status);
	cr_assert(in.if_status == 201 || in.if_status == 503,
	    "in-flight signup answered %ld", in.if_status);

	cr_assert_eq(e2e_dev(dev_start_authd), 0, "deploy/dev start authd");
	cr_assert_eq(poll_status("/readyz", NULL, 200, 5000), 200);

	if (in.if_status == 201) {
		cr_assert(e2e_post_json("/auth/login", b.b_data, &r) == 0);
		cr_assert_eq(r.er_status, 200,
		    "signup said 201 but login answers %ld: %s", r.er_status,
		    e2e_body(&r));
		e2e_resp_free(&r);
	} else {
		/* Nothing was created: the same signup now succeeds. */
		e2e_signup(email, PASSWORD, tok, sizeof(tok));
	}
	cr_assert_eq(e2e_read_pid(e2e_cf.ee_gateway_pid_file), gw);
	buf_free(&b);
}
