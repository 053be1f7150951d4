/*
 * A private gateway+authd pair for the hardening tests; see hpair.h.  The
 * start-up code follows test_pair.c's (which keeps its own copy, as its
 * pairs differ in what they drop from the fixture's config).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <openssl/rand.h>

#include "e2e.h"
#include "hpair.h"

extern char **environ;

static int
child_exited(pid_t *pidp)
{
	int st;

	if (*pidp <= 0)
		return 1;
	if (waitpid(*pidp, &st, WNOHANG) == *pidp) {
		*pidp = -1;
		return 1;
	}
	return 0;
}

/* Whether a config line sets a key the pair sets itself. */
static int
conf_line_ours(const char *line)
{
	static const char *const keys[] = {"listen", "socket"};
	const char *p = line;
	size_t i, n;

	while (isspace((unsigned char)*p))
		p++;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i]);
		if (strncmp(p, keys[i], n) == 0 &&
		    (p[n] == ' ' || p[n] == '\t' || p[n] == '='))
			return 1;
	}
	return 0;
}

static void
write_conf(struct hpair *p, const char *extra)
{
	char line[2048];
	FILE *in, *out;
	int fd;

	cr_assert((in = fopen(e2e_cf.ee_conf, "r")) != NULL, "cannot read %s",
	    e2e_cf.ee_conf);
	fd = open(p->hp_conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fd != -1 && (out = fdopen(fd, "w")) != NULL);
	fprintf(out, "# A private pair of the hardening tests.\n");
	while (fgets(line, sizeof(line), in) != NULL)
		if (!conf_line_ours(line))
			fputs(line, out);
	fprintf(out, "listen = 127.0.0.1:%d\nsocket = %s\n", p->hp_port,
	    p->hp_socket);
	/* The per-address counts are in the database, shared with the rest
	 * of the suite, which runs them up on 127.0.0.1: raised as for the
	 * fixture (a test's extra lines come later and win). */
	fprintf(out, "login_limit_per_addr = 100000\n"
	             "signup_limit_per_addr = 100000\n");
	if (extra != NULL)
		fprintf(out, "%s\n", extra);
	fclose(in);
	cr_assert(fclose(out) == 0);
}

/*
 * Starts build/postern-<name> --config <conf>, output appended to log, in
 * an environment without POSTERN_* variables (the fixture's raised rate
 * limits must not reach the pair).
 */
static pid_t
spawn_daemon(struct hpair *p, const char *name, const char *log)
{
	char bin[E2E_PATH_MAX + 32];

	/* POSTERN_TEST_PAIR_BUILD: measure another build's daemons. */
	snprintf(bin, sizeof(bin), "%s/postern-%s",
	    getenv("POSTERN_TEST_PAIR_BUILD") != NULL
	        ? getenv("POSTERN_TEST_PAIR_BUILD")
	        : e2e_cf.ee_build_dir,
	    name);
	return e2e_spawn_daemon(bin, p->hp_conf, log);
}

/*
 * Waits for authd's socket to be there and accept connections (a stale
 * file from a killed authd is there before the new one binds).
 */
static void
wait_authd(struct hpair *p)
{
	int64_t deadline = e2e_now_ms() + 10000;

	for (;;) {
		if (e2e_file_has(p->hp_authd_log, "listening on"))
			return;
		cr_assert(!child_exited(&p->hp_authd),
		    "the pair's authd exited during start-up (log %s)",
		    p->hp_authd_log);
		cr_assert(e2e_now_ms() < deadline,
		    "the pair's authd made no socket in 10 s (log %s)",
		    p->hp_authd_log);
		e2e_sleep_ms(20);
	}
}

static long
readyz(struct hpair *p)
{
	struct e2e_resp r;
	long st = -1;

	(void)p;
	if (e2e_call("GET", "/readyz", NULL, NULL, NULL, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/* 0 when ready, -1 when the gateway exited because its port was taken. */
static int
wait_gateway(struct hpair *p)
{
	int64_t deadline = e2e_now_ms() + 20000;

	for (;;) {
		if (readyz(p) == 200)
			return 0;
		if (child_exited(&p->hp_gateway)) {
			if (e2e_file_has(
			        p->hp_gateway_log, "Address already in use"))
				return -1;
			cr_assert_fail("the pair's gateway exited (log %s)",
			    p->hp_gateway_log);
		}
		cr_assert(e2e_now_ms() < deadline,
		    "the pair's gateway was not ready in 20 s (log %s)",
		    p->hp_gateway_log);
		e2e_sleep_ms(50);
	}
}

void
hpair_start_authd(struct hpair *p)
{
	/* wait_authd looks for a new "listening on" line. */
	cr_assert(truncate(p->hp_authd_log, 0) == 0 || errno == ENOENT);
	p->hp_authd = spawn_daemon(p, "authd", p->hp_authd_log);
	wait_authd(p);
}

void
hpair_kill_authd(struct hpair *p)
{
	int st;

	if (p->hp_authd <= 0)
		return;
	kill(p->hp_authd, SIGKILL);
	while (waitpid(p->hp_authd, &st, 0) == -1 && errno == EINTR)
		;
	p->hp_authd = -1;
}

static void
pair_setup(struct hpair *p, const char *extra)
{
	memset(p, 0, sizeof(*p));
	p->hp_authd = p->hp_gateway = -1;
	memcpy(
	    p->hp_fixture_base, e2e_cf.ee_base_url, sizeof(p->hp_fixture_base));
	snprintf(p->hp_dir, sizeof(p->hp_dir), "/tmp/postern-hpair.XXXXXX");
	cr_assert(mkdtemp(p->hp_dir) != NULL, "mkdtemp");
	/* As root the gateway drops to gateway_user, which must reach the
	 * socket in here (authd gives the socket itself to that uid). */
	cr_assert(chmod(p->hp_dir, 0711) == 0);
	snprintf(p->hp_conf, sizeof(p->hp_conf), "%s/postern.conf", p->hp_dir);
	snprintf(
	    p->hp_socket, sizeof(p->hp_socket), "%s/authd.sock", p->hp_dir);
	snprintf(p->hp_authd_log, sizeof(p->hp_authd_log), "%s/authd.log",
	    p->hp_dir);
	snprintf(p->hp_gateway_log, sizeof(p->hp_gateway_log), "%s/gateway.log",
	    p->hp_dir);

	p->hp_port = e2e_free_port();
	write_conf(p, extra);
}

int
hpair_expect_refusal(
    struct hpair *p, const char *extra, const char *daemon, long timeout_ms)
{
	int64_t deadline;
	pid_t *pidp;
	int st;

	pair_setup(p, extra);
	pidp = strcmp(daemon, "authd") == 0 ? &p->hp_authd : &p->hp_gateway;
	*pidp = spawn_daemon(p, daemon,
	    pidp == &p->hp_authd ? p->hp_authd_log : p->hp_gateway_log);
	deadline = e2e_now_ms() + timeout_ms;
	while (e2e_now_ms() < deadline) {
		if (waitpid(*pidp, &st, WNOHANG) == *pidp) {
			*pidp = -1;
			return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? 0 : -1;
		}
		e2e_sleep_ms(20);
	}
	e2e_child_stop(pidp);
	return -1;
}

void
hpair_start_unready(struct hpair *p, const char *extra)
{
	int64_t deadline;

	pair_setup(p, extra);
	hpair_start_authd(p);
	snprintf(
	    p->hp_base, sizeof(p->hp_base), "http://127.0.0.1:%d", p->hp_port);
	memcpy(e2e_cf.ee_base_url, p->hp_base, sizeof(e2e_cf.ee_base_url));
	p->hp_gateway = spawn_daemon(p, "gateway", p->hp_gateway_log);
	deadline = e2e_now_ms() + 20000;
	while (readyz(p) < 0) {
		cr_assert(!child_exited(&p->hp_gateway),
		    "the pair's gateway exited (log %s)", p->hp_gateway_log);
		cr_assert(e2e_now_ms() < deadline,
		    "the pair's gateway did not answer in 20 s (log %s)",
		    p->hp_gateway_log);
		e2e_sleep_ms(50);
	}
}

void
hpair_start(struct hpair *p, const char *extra)
{
	int attempt;

	pair_setup(p, extra);
	hpair_start_authd(p);
	for (attempt = 0;; attempt++) {
		snprintf(p->hp_base, sizeof(p->hp_base), "http://127.0.0.1:%d",
		    p->hp_port);
		memcpy(
		    e2e_cf.ee_base_url, p->hp_base, sizeof(e2e_cf.ee_base_url));
		p->hp_gateway = spawn_daemon(p, "gateway", p->hp_gateway_log);
		if (wait_gateway(p) == 0)
			break;
		cr_assert(attempt < 3, "no port could be bound");
		p->hp_port = e2e_free_port();
		write_conf(p, extra);
	}
	cr_log_info("private pair at %s (authd %ld, gateway %ld, dir %s)",
	    p->hp_base, (long)p->hp_authd, (long)p->hp_gateway, p->hp_dir);
}

static void
pair_remove(struct hpair *p)
{
	const char *const files[] = {
	    p->hp_conf, p->hp_socket, p->hp_authd_log, p->hp_gateway_log};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i][0] != '\0')
			unlink(files[i]);
	if (p->hp_dir[0] != '\0')
		rmdir(p->hp_dir);
	p->hp_dir[0] = '\0';
}

void
hpair_finish(struct hpair *p)
{
	int bad;

	e2e_child_stop(&p->hp_gateway);
	e2e_child_stop(&p->hp_authd);
	memcpy(
	    e2e_cf.ee_base_url, p->hp_fixture_base, sizeof(e2e_cf.ee_base_url));
	bad = e2e_log_has_report(p->hp_authd_log) |
	      e2e_log_has_report(p->hp_gateway_log);
	cr_assert(!bad, "sanitizer report in the pair's logs (%s)", p->hp_dir);
	pair_remove(p);
}

void
hpair_cleanup(struct hpair *p)
{
	if (p->hp_gateway > 0 || p->hp_authd > 0) {
		e2e_child_stop(&p->hp_gateway);
		e2e_child_stop(&p->hp_authd);
		fprintf(stderr, "hpair: logs of the private pair in %s\n",
		    p->hp_dir);
	}
}
