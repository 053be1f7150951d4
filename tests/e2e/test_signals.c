/*
 * Signals, on a private gateway+authd pair so that the fixture's
 * gateway keeps running:
 *
 *   - SIGTERM during a stream of keep-alive requests from several threads:
 *     no response is cut off, requests whose bytes reached the gateway
 *     before or after the signal (a head or body still arriving) are
 *     answered in full with "Connection: close", new connections are
 *     refused at once, and the gateway exits 0;
 *   - a request that never completes does not hold the exit beyond
 *     drain_timeout_ms;
 *   - SIGHUP reopens log_file (logrotate's create mode).
 *
 * The clients speak raw HTTP/1.1 on sockets, so that every byte the
 * gateway sends is seen.  A request on a reused keep-alive connection that
 * meets an orderly end of stream before any byte of its answer was never
 * read by the gateway (it closed the idle connection): HTTP clients retry
 * those (RFC 9112 section 9.3.1), and so do ours.  Any other short answer
 * counts as cut off.
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
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define NWORKERS 6
#define NSLOW 3
#define IO_TIMEOUT_MS 15000

extern char **environ;

struct spair {
	char sp_dir[64];
	char sp_conf[E2E_PATH_MAX];
	char sp_socket[E2E_PATH_MAX];
	char sp_authd_log[E2E_PATH_MAX];
	char sp_gateway_log[E2E_PATH_MAX];
	char sp_base[E2E_PATH_MAX];
	int sp_port;
	pid_t sp_authd;
	pid_t sp_gateway;
};

static struct spair sp = {.sp_authd = -1, .sp_gateway = -1};

/* ------------------------------------------------------ the private pair */

/* Waits up to ms for pid to exit; its wait status, or -1 on timeout. */
static int
child_wait(pid_t *pidp, long ms)
{
	int64_t deadline = e2e_now_ms() + ms;
	int st;

	for (;;) {
		if (waitpid(*pidp, &st, WNOHANG) == *pidp) {
			*pidp = -1;
			return st;
		}
		if (e2e_now_ms() >= deadline)
			return -1;
		e2e_sleep_ms(10);
	}
}

/* The fixture's config without listen/socket/log_file, then ours. */
static void
write_conf(const char *extra)
{
	static const char *const keys[] = {"listen", "socket", "log_file"};
	char line[2048], *p;
	FILE *in, *out;
	size_t i, n;
	int fd, skip;

	cr_assert((in = fopen(e2e_cf.ee_conf, "r")) != NULL);
	fd = open(sp.sp_conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(fd != -1 && (out = fdopen(fd, "w")) != NULL);
	while (fgets(line, sizeof(line), in) != NULL) {
		p = line;
		while (isspace((unsigned char)*p))
			p++;
		skip = 0;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			n = strlen(keys[i]);
			if (strncmp(p, keys[i], n) == 0 &&
			    (p[n] == ' ' || p[n] == '\t' || p[n] == '='))
				skip = 1;
		}
		if (!skip)
			fputs(line, out);
	}
	/* The per-address rate-limit counts are in the database, shared
	 * with the rest of the suite, which runs them up on 127.0.0.1:
	 * raised as for the fixture (tests/e2e/CMakeLists.txt). */
	fprintf(out, "login_limit_per_addr = 100000\n"
	             "signup_limit_per_addr = 100000\n");
	fprintf(out, "listen = 127.0.0.1:%d\nsocket = %s\n%s\n", sp.sp_port,
	    sp.sp_socket, extra != NULL ? extra : "");
	fclose(in);
	cr_assert(fclose(out) == 0);
}

static pid_t
spawn_daemon(const char *name, const char *log)
{
	char bin[E2E_PATH_MAX + 32];

	snprintf(bin, sizeof(bin), "%s/postern-%s", e2e_cf.ee_build_dir, name);
	return e2e_spawn_daemon(bin, sp.sp_conf, log);
}

static long
status_of(const char *path)
{
	struct e2e_resp r;
	long st = -1;

	if (e2e_call("GET", path, NULL, NULL, NULL, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	return st;
}

/*
 * Starts the pair with extra config lines and points e2e_cf.ee_base_url
 * at it (Criterion runs each test in its own process).
 */
static void
pair_start(const char *extra)
{
	struct stat sb;
	int64_t deadline;
	int attempt, st;

	snprintf(sp.sp_dir, sizeof(sp.sp_dir), "/tmp/postern-sig.XXXXXX");
	cr_assert(mkdtemp(sp.sp_dir) != NULL);
	/* As root the gateway drops to gateway_user, which must reach the
	 * socket in here (authd gives the socket itself to that uid). */
	cr_assert(chmod(sp.sp_dir, 0711) == 0);
	snprintf(sp.sp_conf, sizeof(sp.sp_conf), "%s/postern.conf", sp.sp_dir);
	snprintf(
	    sp.sp_socket, sizeof(sp.sp_socket), "%s/authd.sock", sp.sp_dir);
	snprintf(sp.sp_authd_log, sizeof(sp.sp_authd_log), "%s/authd.log",
	    sp.sp_dir);
	snprintf(sp.sp_gateway_log, sizeof(sp.sp_gateway_log), "%s/gateway.log",
	    sp.sp_dir);
	sp.sp_port = e2e_free_port();
	write_conf(extra);
	sp.sp_authd = spawn_daemon("authd", sp.sp_authd_log);
	deadline = e2e_now_ms() + 10000;
	while (stat(sp.sp_socket, &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
		cr_assert(waitpid(sp.sp_authd, &st, WNOHANG) == 0,
		    "authd exited (log %s)", sp.sp_authd_log);
		cr_assert(e2e_now_ms() < deadline, "no authd socket");
		e2e_sleep_ms(20);
	}
	for (attempt = 0;; attempt++) {
		snprintf(sp.sp_base, sizeof(sp.sp_base), "http://127.0.0.1:%d",
		    sp.sp_port);
		memcpy(e2e_cf.ee_base_url, sp.sp_base, sizeof(sp.sp_base));
		sp.sp_gateway = spawn_daemon("gateway", sp.sp_gateway_log);
		deadline = e2e_now_ms() + 20000;
		while (status_of("/readyz") != 200) {
			if (waitpid(sp.sp_gateway, &st, WNOHANG) ==
			    sp.sp_gateway) {
				sp.sp_gateway = -1;
				break;
			}
			cr_assert(e2e_now_ms() < deadline,
			    "gateway not ready (log %s)", sp.sp_gateway_log);
			e2e_sleep_ms(50);
		}
		if (sp.sp_gateway > 0)
			break;
		cr_assert(attempt < 3 && e2e_file_has(sp.sp_gateway_log,
		                             "Address already in use"),
		    "gateway exited (log %s)", sp.sp_gateway_log);
		sp.sp_port = e2e_free_port();
		write_conf(extra);
	}
}

static void
pair_finish(void)
{
	int bad;

	e2e_child_stop(&sp.sp_gateway);
	e2e_child_stop(&sp.sp_authd);
	bad = e2e_log_has_report(sp.sp_authd_log) ||
	      e2e_log_has_report(sp.sp_gateway_log);
	cr_assert(!bad, "sanitizer report in %s", sp.sp_dir);
	unlink(sp.sp_conf);
	unlink(sp.sp_socket);
	unlink(sp.sp_authd_log);
	unlink(sp.sp_gateway_log);
	rmdir(sp.sp_dir);
}

static void
suite_fini(void)
{
	if (sp.sp_gateway > 0 || sp.sp_authd > 0)
		fprintf(stderr, "test_signals: logs in %s\n", sp.sp_dir);
	e2e_child_stop(&sp.sp_gateway);
	e2e_child_stop(&sp.sp_authd);
	e2e_teardown();
}

TestSuite(signals, .init = e2e_setup, .fini = suite_fini, .timeout = 90);

/* -------------------------------------------------------- a raw client */

enum outcome {
	OC_COMPLETE,    /* a whole response */
	OC_NOT_STARTED, /* end of stream or reset before any byte */
	OC_CUT,         /* some bytes, then the end */
	OC_REFUSED      /* connect() refused */
};

struct answer {
	int an_status;
	int an_close; /* Connection: close */
	size_t an_bytes;
};

static int
client_connect(void)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)sp.sp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Reads one response (head, then Content-Length bytes of body).  Nothing
 * but a whole response is OC_COMPLETE; a deadline is a cut.
 */
static enum outcome
read_answer(int fd, int head_only, struct answer *an)
{
	char buf[16384], *eoh, *cl, *cn;
	size_t have = 0, want = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t deadline = e2e_now_ms() + IO_TIMEOUT_MS;
	ssize_t r;

	memset(an, 0, sizeof(*an));
	for (;;) {
		if (have > 0 && want == 0 &&
		    (eoh = memmem(buf, have, "\r\n\r\n", 4)) != NULL) {
			*eoh = '\0';
			if (sscanf(buf, "HTTP/1.1 %d ", &an->an_status) != 1)
				return OC_CUT;
			cl = strcasestr(buf, "\r\nContent-Length: ");
			cn = strcasestr(buf, "\r\nConnection: close");
			an->an_close = cn != NULL;
			want = (size_t)(eoh + 4 - buf);
			if (cl != NULL && !head_only && an->an_status != 204)
				want += strtoul(cl + 18, NULL, 10);
			*eoh = '\r';
		}
		if (want > 0 && have >= want) {
			an->an_bytes = have;
			return have == want ? OC_COMPLETE : OC_CUT;
		}
		if (have == sizeof(buf))
			return OC_CUT;
		if (poll(&pfd, 1, 100) == 0) {
			if (e2e_now_ms() > deadline)
				return OC_CUT;
			continue;
		}
		r = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			an->an_bytes = have;
			return have == 0 ? OC_NOT_STARTED : OC_CUT;
		}
		have += (size_t)r;
	}
}

/* ------------------------------------------------ SIGTERM under load */

struct worker {
	pthread_t w_thread;
	const char *w_request;
	atomic_int *w_go;
	int w_complete;
	int w_complete_after; /* completed once the signal was sent */
	int w_retried;        /* keep-alive closes before any byte */
	int w_cut;
	int w_bad_status;
	int w_last_status;
};

static atomic_int signalled;

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct answer an;
	enum outcome oc;
	int fd = -1, reused = 0;

	while (atomic_load(w->w_go)) {
		if (fd == -1) {
			if ((fd = client_connect()) == -1)
				break; /* refused: the listener is closed */
			reused = 0;
		}
		if (send_all(fd, w->w_request, strlen(w->w_request)) == -1)
			oc = OC_NOT_STARTED;
		else
			oc = read_answer(fd, 0, &an);
		if (oc == OC_COMPLETE) {
			w->w_complete++;
			if (atomic_load(&signalled))
				w->w_complete_after++;
			if (an.an_status != 200) {
				w->w_bad_status++;
				w->w_last_status = an.an_status;
			}
			reused = 1;
			if (an.an_close) {
				close(fd);
				fd = -1;
			}
			continue;
		}
		if (oc == OC_NOT_STARTED && reused)
			w->w_retried++;
		else
			w->w_cut++;
		close(fd);
		fd = -1;
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

Test(signals, sigterm_finishes_requests_in_flight)
{
	static struct worker w[NWORKERS];
	struct buf req, login, body;
	struct answer an;
	char tok[4096], email[128];
	int slow[NSLOW], body_fd, i, st, total = 0, after = 0, retried = 0;
	atomic_int go = 1;
	const char *part2 = "Host: x\r\n\r\n";
	size_t half;

	pair_start(NULL);
	e2e_email(email, sizeof(email), "sig");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	buf_init(&req);
	cr_assert(buf_printf(&req,
	              "GET /table_1?limit=2 HTTP/1.1\r\nHost: x\r\n"
	              "Authorization: Bearer %s\r\n\r\n",
	              tok) == 0);
	buf_init(&body);
	cr_assert(buf_printf(&body, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, PASSWORD) == 0);
	buf_init(&login);
	cr_assert(buf_printf(&login,
	              "POST /auth/login HTTP/1.1\r\nHost: x\r\n"
	              "Content-Type: application/json\r\n"
	              "Content-Length: %zu\r\n\r\n%s",
	              body.b_len, body.b_data) == 0);

	/* Requests half received when the signal comes: a head, and a
	 * login whose body is incomplete (it reaches authd afterwards). */
	for (i = 0; i < NSLOW; i++) {
		cr_assert((slow[i] = client_connect()) != -1);
		cr_assert(
		    send_all(slow[i], "GET /healthz HTTP/1.1\r\n", 23) == 0);
	}
	cr_assert((body_fd = client_connect()) != -1);
	half = login.b_len - 10;
	cr_assert(send_all(body_fd, login.b_data, half) == 0);

	for (i = 0; i < NWORKERS; i++) {
		w[i].w_request = req.b_data;
		w[i].w_go = &go;
		cr_assert(pthread_create(
		              &w[i].w_thread, NULL, worker_run, &w[i]) == 0);
	}
	e2e_sleep_ms(700);
	atomic_store(&signalled, 1);
	cr_assert(kill(sp.sp_gateway, SIGTERM) == 0);
	e2e_sleep_ms(300);

	/* Not accepting any more, yet still alive for those in flight. */
	cr_assert(client_connect() == -1 && errno == ECONNREFUSED,
	    "a new connection was accepted while draining");
	cr_assert(waitpid(sp.sp_gateway, &st, WNOHANG) == 0,
	    "the gateway exited with requests in flight");

	for (i = 0; i < NSLOW; i++) {
		cr_assert(send_all(slow[i], part2, strlen(part2)) == 0);
		cr_assert_eq(read_answer(slow[i], 0, &an), OC_COMPLETE,
		    "a request begun before SIGTERM was cut off");
		cr_assert_eq(an.an_status, 200);
		cr_assert(an.an_close, "no Connection: close while draining");
		close(slow[i]);
	}
	cr_assert(
	    send_all(body_fd, login.b_data + half, login.b_len - half) == 0);
	cr_assert_eq(read_answer(body_fd, 0, &an), OC_COMPLETE,
	    "a login begun before SIGTERM was cut off");
	cr_assert_eq(
	    an.an_status, 200, "login while draining: %d", an.an_status);
	close(body_fd);

	for (i = 0; i < NWORKERS; i++) {
		cr_assert(pthread_join(w[i].w_thread, NULL) == 0);
		cr_assert_eq(w[i].w_cut, 0, "worker %d: %d responses cut off",
		    i, w[i].w_cut);
		cr_assert_eq(w[i].w_bad_status, 0, "worker %d: status %d", i,
		    w[i].w_last_status);
		total += w[i].w_complete;
		after += w[i].w_complete_after;
		retried += w[i].w_retried;
	}
	atomic_store(&go, 0);
	st = child_wait(&sp.sp_gateway, 15000);
	cr_assert(st != -1, "the gateway did not exit after draining");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the gateway's exit status is %#x", st);
	cr_log_info("%d complete responses (%d after SIGTERM), %d idle "
	            "keep-alive closes",
	    total, after, retried);
	cr_assert(total >= NWORKERS, "too little traffic: %d", total);
	cr_assert(e2e_file_has(sp.sp_gateway_log, "draining"));
	cr_assert(e2e_file_has(sp.sp_gateway_log, "postern-gateway stopped"));
	buf_free(&req);
	buf_free(&login);
	buf_free(&body);
	pair_finish();
}

/* A request that never completes is given up at drain_timeout_ms. */
Test(signals, drain_timeout_bounds_the_wait)
{
	int64_t t0;
	int fd, st;

	pair_start("drain_timeout_ms = 500");
	cr_assert((fd = client_connect()) != -1);
	cr_assert(send_all(fd, "GET /healthz HTTP/1.1\r\n", 23) == 0);
	e2e_sleep_ms(100);
	t0 = e2e_now_ms();
	cr_assert(kill(sp.sp_gateway, SIGTERM) == 0);
	st = child_wait(&sp.sp_gateway, 5000);
	cr_assert(st != -1, "the gateway waited past its drain timeout");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %#x", st);
	cr_assert(e2e_now_ms() - t0 >= 400, "exited before the drain timeout");
	cr_assert(e2e_file_has(sp.sp_gateway_log, "drain timeout"));
	close(fd);
	pair_finish();
}

/* Idle keep-alive connections do not hold the exit. */
Test(signals, idle_connections_do_not_delay_exit)
{
	struct answer an;
	int64_t t0;
	int fd, st;
	const char *rq = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

	pair_start(NULL);
	cr_assert((fd = client_connect()) != -1);
	cr_assert(send_all(fd, rq, strlen(rq)) == 0);
	cr_assert_eq(read_answer(fd, 0, &an), OC_COMPLETE);
	t0 = e2e_now_ms();
	cr_assert(kill(sp.sp_gateway, SIGINT) == 0);
	/* The idle connection is closed in order: end of stream. */
	cr_assert_eq(read_answer(fd, 0, &an), OC_NOT_STARTED);
	close(fd);
	st = child_wait(&sp.sp_gateway, 5000);
	cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "exit status %#x", st);
	cr_assert(e2e_now_ms() - t0 < 1500, "idle connection delayed the exit");
	pair_finish();
}

/* SIGHUP: logrotate moves the file away, the gateway opens a new one. */
Test(signals, sighup_reopens_the_log_file)
{
	char logf[E2E_PATH_MAX + 16], moved[E2E_PATH_MAX + 32],
	    extra[E2E_PATH_MAX + 64], rid[64], hdr[96], user[128];
	struct passwd *pw;
	const char *hdrs[2] = {hdr, NULL};
	struct e2e_resp r;
	int64_t deadline;
	struct stat sb;

	pair_start("log_level = info");
	/* As root the gateway runs as gateway_user by the time it reopens:
	 * like logrotate's "create", the directory must let it. */
	if (geteuid() == 0 &&
	    e2e_conf_get("gateway_user", user, sizeof(user)) == 0) {
		cr_assert((pw = getpwnam(user)) != NULL, "no user %s", user);
		cr_assert(chown(sp.sp_dir, pw->pw_uid, (gid_t)-1) == 0);
	}
	snprintf(logf, sizeof(logf), "%s/gateway-file.log", sp.sp_dir);
	snprintf(moved, sizeof(moved), "%s.1", logf);
	snprintf(extra, sizeof(extra), "log_file = %s", logf);
	/* Restart the gateway with log_file set (authd keeps stderr). */
	e2e_child_stop(&sp.sp_gateway);
	write_conf(extra);
	sp.sp_gateway = spawn_daemon("gateway", sp.sp_gateway_log);
	deadline = e2e_now_ms() + 20000;
	while (status_of("/readyz") != 200) {
		cr_assert(e2e_now_ms() < deadline, "gateway not ready");
		e2e_sleep_ms(50);
	}
	cr_assert(stat(logf, &sb) == 0, "log_file was not created");
	cr_assert(e2e_file_has(logf, "\"route\":\"/readyz\""),
	    "request lines do not go to log_file");

	cr_assert(rename(logf, moved) == 0);
	cr_assert(kill(sp.sp_gateway, SIGHUP) == 0);
	deadline = e2e_now_ms() + 5000;
	while (stat(logf, &sb) != 0) {
		cr_assert(e2e_now_ms() < deadline, "SIGHUP did not reopen");
		e2e_sleep_ms(20);
	}
	e2e_rand_hex(rid, sizeof(rid), 12);
	snprintf(hdr, sizeof(hdr), "X-Request-Id: %s", rid);
	cr_assert(e2e_call("GET", "/healthz", NULL, hdrs, NULL, &r) == 0);
	cr_assert_eq(r.er_status, 200);
	e2e_resp_free(&r);
	deadline = e2e_now_ms() + 5000;
	while (!e2e_file_has(logf, rid)) {
		cr_assert(e2e_now_ms() < deadline,
		    "the request after SIGHUP is not in the new file");
		e2e_sleep_ms(20);
	}
	cr_assert(!e2e_file_has(moved, rid), "the old file got a new line");
	cr_assert(e2e_file_has(logf, "SIGHUP"));
	cr_assert(!e2e_file_has(logf, "Bearer "), "a token reached the log");
	unlink(moved);
	unlink(logf);
	pair_finish();
}

/* Bytes of the file at path, or 0. */
static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * SIGHUP to the gateway of the deploy/dev stack itself, as deploy/dev runs
 * it (as root: dropped to gateway_user, re-reading the config that
 * deploy/dev wrote): a changed reloadable key takes effect, and the
 * configuration is read without error.  drain_timeout_ms matters only
 * when the gateway stops, so the other tests running meanwhile do not
 * notice; the file is put back as it was, and reloaded again.
 */
Test(signals, sighup_reloads_the_deploy_dev_config)
{
	char log[E2E_PATH_MAX + 32], old[64];
	const char *line = "\ndrain_timeout_ms = 7777\n";
	struct stat sb;
	int64_t deadline;
	off_t size, at;
	pid_t pid;
	FILE *fp;

	snprintf(log, sizeof(log), "%s/log/gateway.log", e2e_cf.ee_var);
	pid = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	cr_assert(pid > 0 && e2e_pid_alive(pid), "no gateway in %s",
	    e2e_cf.ee_gateway_pid_file);
	cr_assert(stat(e2e_cf.ee_conf, &sb) == 0);
	cr_assert(e2e_conf_get("drain_timeout_ms", old, sizeof(old)) == -1 ||
	              strcmp(old, "7777") != 0,
	    "the config already holds the test's value");
	size = sb.st_size;

	/* In place: the file keeps its owner and mode. */
	cr_assert((fp = fopen(e2e_cf.ee_conf, "a")) != NULL);
	cr_assert(fputs(line, fp) >= 0);
	cr_assert(fclose(fp) == 0);
	at = file_size(log);
	cr_assert(kill(pid, SIGHUP) == 0);
	deadline = e2e_now_ms() + 5000;
	while (
	    !e2e_file_has_after(log, at, "SIGHUP: drain_timeout_ms changed")) {
		if (e2e_now_ms() >= deadline)
			break;
		e2e_sleep_ms(20);
	}
	cr_assert(truncate(e2e_cf.ee_conf, size) == 0);
	cr_assert(!e2e_file_has_after(log, at, "SIGHUP: configuration:"),
	    "the gateway could not read %s on SIGHUP (see %s)", e2e_cf.ee_conf,
	    log);
	cr_assert(
	    e2e_file_has_after(log, at, "SIGHUP: drain_timeout_ms changed"),
	    "SIGHUP did not apply the changed drain_timeout_ms (see %s)", log);

	/* And back: the original value is reloaded as well. */
	at = file_size(log);
	cr_assert(kill(pid, SIGHUP) == 0);
	deadline = e2e_now_ms() + 5000;
	while (
	    !e2e_file_has_after(log, at, "SIGHUP: drain_timeout_ms changed")) {
		cr_assert(e2e_now_ms() < deadline,
		    "the second SIGHUP did not restore drain_timeout_ms");
		e2e_sleep_ms(20);
	}
	cr_assert(!e2e_file_has_after(log, at, "SIGHUP: configuration:"));
	cr_assert(e2e_pid_alive(pid), "the gateway died of SIGHUP");
}
