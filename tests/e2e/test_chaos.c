/*
 * Faults with real processes (docs/hardening.md).  The fixture's authd and
 * PostgreSQL are killed or restarted, and private pairs (hpair.c) are
 * stopped, starved and fed garbage:
 *
 *   - authd SIGKILLed while a signup hashes: 503 at once, never a user row
 *     without its credential; public routes stay up; after a restart of
 *     authd alone, logins work on the same gateway;
 *   - authd SIGSTOPped (pair, ipc_timeout_ms = 1000, ipc_max_pending = 4):
 *     a fresh token fails with 503/504 at the IPC deadline, a cached one
 *     stops being served within about a second (the heartbeat), requests
 *     past the cap fail at once; SIGCONT and service resumes;
 *   - authd's socket file removed while it runs: the established
 *     connection keeps working; once authd dies the gateway answers 503
 *     (nothing to reconnect to) without crashing; a restarted authd binds
 *     again, also over a stale socket file left by a SIGKILL;
 *   - garbage on authd's socket (length 2^31, bad type, truncated frame,
 *     random bytes) and a connection from another uid: that connection is
 *     dropped, authd keeps serving;
 *   - PostgreSQL restarted (pg_ctl restart -m fast) under load: only 200
 *     or 503 meanwhile, no hang, no 5xx a second after it is back;
 *   - the pool exhausted (pair, pool_size = 1, pool_acquire_timeout_ms =
 *     500) by a slow query: the next request gets 504 at the deadline.
 *
 * ctest runs this alone (RUN_SERIAL), one test at a time.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <json-c/json.h>
#include <openssl/rand.h>

#include "authd/token.h"
#include "common/buf.h"
#include "common/ipc.h"
#include "e2e.h"
#include "hpair.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)

static struct hpair hp;
static const char *const dev_start_authd[] = {"start", "authd", NULL};

/* PostgreSQL's processes while a test holds them stopped. */
#define PG_MAX_PIDS 256
static pid_t pg_stopped[PG_MAX_PIDS];
static int pg_nstopped;

static void
pg_continue(void)
{
	int i;

	for (i = 0; i < pg_nstopped; i++)
		kill(pg_stopped[i], SIGCONT);
	pg_nstopped = 0;
}

static void
chaos_fini(void)
{
	pid_t pid;

	pg_continue();
	hpair_cleanup(&hp);
	/* Whatever happened, the fixture's authd runs again. */
	pid = e2e_read_pid(e2e_cf.ee_authd_pid_file);
	if (pid > 0 && e2e_pid_alive(pid))
		kill(pid, SIGCONT);
	else if (e2e_dev(dev_start_authd) != 0)
		fprintf(stderr, "test_chaos: deploy/dev start authd failed\n");
	e2e_teardown();
}

TestSuite(chaos, .init = e2e_setup, .fini = chaos_fini, .timeout = 120);

/* GET path with tok; the status (-1: no answer) and the time taken. */
static long
get_timed(const char *path, const char *tok, long timeout_ms, long *msp)
{
	struct e2e_req rq = {.rq_path = path, .rq_timeout_ms = timeout_ms};
	const char *h[2] = {NULL, NULL};
	struct e2e_resp r;
	struct buf auth;
	int64_t t0 = e2e_now_ms();
	long st = -1;

	buf_init(&auth);
	if (tok != NULL) {
		cr_assert(
		    buf_printf(&auth, "Authorization: Bearer %s", tok) == 0);
		h[0] = auth.b_data;
		rq.rq_hdrs = h;
	}
	if (e2e_do(&rq, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	buf_free(&auth);
	if (msp != NULL)
		*msp = (long)(e2e_now_ms() - t0);
	return st;
}

static long
poll_status(const char *path, const char *tok, long want, long ms)
{
	int64_t deadline = e2e_now_ms() + ms;
	long st;

	for (;;) {
		st = get_timed(path, tok, 5000, NULL);
		if (st == want || e2e_now_ms() >= deadline)
			return st;
		e2e_sleep_ms(50);
	}
}

static long
login_status(const char *email)
{
	struct e2e_resp r;
	struct buf b;
	long st = -1;

	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, PASSWORD) == 0);
	if (e2e_post_json("/auth/login", b.b_data, &r) == 0)
		st = r.er_status;
	e2e_resp_free(&r);
	buf_free(&b);
	return st;
}

/* A fresh user (on the fixture) and its token. */
static void
fresh_token(char *tok, const char *tag)
{
	char email[128], saved[E2E_PATH_MAX];

	/* Sign up at the fixture even while the pair is the base URL. */
	memcpy(saved, e2e_cf.ee_base_url, sizeof(saved));
	if (hp.hp_fixture_base[0] != '\0')
		memcpy(e2e_cf.ee_base_url, hp.hp_fixture_base,
		    sizeof(e2e_cf.ee_base_url));
	e2e_email(email, sizeof(email), tag);
	e2e_signup(email, PASSWORD, tok, TOKCAP);
	memcpy(e2e_cf.ee_base_url, saved, sizeof(saved));
}

/* ------------------------------------------------ authd SIGKILL */

struct inflight {
	const char *if_body;
	long if_status;
	int64_t if_done_ms;
	int if_err;
};

static void *
signup_thread(void *arg)
{
	struct inflight *in = arg;
	struct e2e_resp r;

	if (e2e_post_json("/auth/signup", in->if_body, &r) == -1)
		in->if_err = 1;
	else
		in->if_status = r.er_status;
	in->if_done_ms = e2e_now_ms();
	e2e_resp_free(&r);
	return NULL;
}

Test(chaos, authd_killed_mid_signup)
{
	struct inflight in = {0};
	char email[128], n[64], ipc_ms[32];
	int64_t killed;
	long timeout_ms = 5000, st;
	struct buf b;
	pthread_t th;
	pid_t gw, ad;

	if (e2e_conf_get("ipc_timeout_ms", ipc_ms, sizeof(ipc_ms)) == 0)
		timeout_ms = atol(ipc_ms);
	gw = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	ad = e2e_read_pid(e2e_cf.ee_authd_pid_file);
	cr_assert(gw > 0 && ad > 0 && e2e_pid_alive(ad));
	e2e_email(email, sizeof(email), "chaos-kill");
	buf_init(&b);
	cr_assert(buf_printf(&b, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, PASSWORD) == 0);
	in.if_body = b.b_data;
	cr_assert(pthread_create(&th, NULL, signup_thread, &in) == 0);
	/* Argon2id (19 MiB, t=2) takes longer than this. */
	e2e_sleep_ms(15);
	cr_assert(kill(ad, SIGKILL) == 0);
	killed = e2e_now_ms();
	pthread_join(th, NULL);
	cr_assert_eq(in.if_err, 0, "the in-flight signup got no answer");
	cr_log_info("in-flight signup: %ld, %lld ms after the kill",
	    in.if_status, (long long)(in.if_done_ms - killed));
	cr_assert(in.if_status == 503 || in.if_status == 201,
	    "in-flight signup answered %ld", in.if_status);
	cr_assert(in.if_done_ms - killed <= timeout_ms + 500,
	    "the answer took %lld ms (ipc_timeout_ms %ld)",
	    (long long)(in.if_done_ms - killed), timeout_ms);

	/* Whole or absent: a user row always has its credential. */
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select (select count(*) from public.users "
	              "where email = '%s') || ',' || (select count(*) from "
	              "auth.credentials c join public.users u on "
	              "c.tbl = 'users' and c.user_id = u.id::text "
	              "where u.email = '%s')",
	              email, email) == 0);
	cr_log_info("users,credentials rows for the email: %s", n);
	cr_assert(strcmp(n, "0,0") == 0 || strcmp(n, "1,1") == 0,
	    "half-created user: %s", n);
	if (in.if_status == 503)
		cr_assert_str_eq(n, "0,0", "503, yet the user was created");
	cr_assert(e2e_sql_value(n, sizeof(n),
	              "select count(*) from public.users u where not exists "
	              "(select 1 from auth.credentials c where c.tbl = "
	              "'users' and c.user_id = u.id::text)") == 0);
	cr_assert_str_eq(n, "0", "users rows without a credential exist");

	/* Public routes keep working; the gateway lives. */
	cr_assert_eq(get_timed("/healthz", NULL, 5000, NULL), 200);
	cr_assert_eq(get_timed("/openapi.json", NULL, 5000, NULL), 200);
	st = login_status(email);
	cr_assert_eq(st, 503, "login with authd down: %ld", st);

	cr_assert_eq(e2e_dev(dev_start_authd), 0, "deploy/dev start authd");
	cr_assert_eq(poll_status("/readyz", NULL, 200, 5000), 200);
	if (in.if_status == 503) {
		/* Nothing was created: the same signup now succeeds. */
		char tok[TOKCAP];

		e2e_signup(email, PASSWORD, tok, sizeof(tok));
	}
	st = login_status(email);
	cr_assert_eq(st, 200, "login after authd's restart: %ld", st);
	cr_assert_eq(e2e_read_pid(e2e_cf.ee_gateway_pid_file), gw,
	    "the gateway was restarted");
	cr_assert(e2e_pid_alive(gw));
	buf_free(&b);
}

/* ------------------------------------------------ authd SIGSTOP */

struct par {
	const char *pa_tok;
	long pa_status;
	long pa_ms;
};

static void *
par_thread(void *arg)
{
	struct par *p = arg;

	p->pa_status = get_timed("/table_1", p->pa_tok, 5000, &p->pa_ms);
	return NULL;
}

Test(chaos, authd_stopped)
{
	char cached[TOKCAP], fresh[TOKCAP];
	struct par par[8];
	pthread_t th[8];
	int64_t stopped, t;
	long st, ms;
	int i, fast = 0;

	hpair_start(&hp, "ipc_timeout_ms = 1000\nipc_max_pending = 4");
	fresh_token(cached, "chaos-stop");
	fresh_token(fresh, "chaos-stop");
	cr_assert_eq(get_timed("/table_1", cached, 5000, NULL), 200);

	cr_assert(kill(hp.hp_authd, SIGSTOP) == 0);
	stopped = e2e_now_ms();

	/* The cached token stops being served within about a second. */
	for (;;) {
		t = e2e_now_ms();
		st = get_timed("/table_1", cached, 5000, &ms);
		if (st != 200)
			break;
		cr_assert(t - stopped < 1500,
		    "a cached token was still served %lld ms after SIGSTOP",
		    (long long)(t - stopped));
		e2e_sleep_ms(50);
	}
	cr_log_info("cached token: %ld after %lld ms (the request took %ld ms)",
	    st, (long long)(t - stopped), ms);
	cr_assert(st == 503 || st == 504, "cached token: %ld", st);
	cr_assert(ms <= 1600, "the refusal took %ld ms", ms);

	/* A fresh token waits for authd, then 503 at ipc_timeout_ms. */
	st = get_timed("/table_1", fresh, 5000, &ms);
	cr_log_info("fresh token: %ld in %ld ms", st, ms);
	cr_assert(st == 503 || st == 504, "fresh token: %ld", st);
	cr_assert(ms >= 800 && ms <= 1600, "fresh token refused in %ld ms", ms);

	/* Past ipc_max_pending, requests fail at once. */
	for (i = 0; i < 8; i++) {
		par[i].pa_tok = fresh;
		cr_assert(
		    pthread_create(&th[i], NULL, par_thread, &par[i]) == 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		cr_log_info("parallel %d: %ld in %ld ms", i, par[i].pa_status,
		    par[i].pa_ms);
		cr_assert(par[i].pa_status == 503 || par[i].pa_status == 504);
		cr_assert(par[i].pa_ms <= 1600);
		if (par[i].pa_ms < 500)
			fast++;
	}
	cr_assert(fast >= 4, "only %d of 8 were refused at once (cap 4)", fast);
	cr_assert(kill(hp.hp_gateway, 0) == 0);

	cr_assert(kill(hp.hp_authd, SIGCONT) == 0);
	st = poll_status("/table_1", fresh, 200, 3000);
	cr_assert_eq(st, 200, "after SIGCONT: %ld", st);
	cr_assert_eq(get_timed("/table_1", cached, 5000, NULL), 200);
	hpair_finish(&hp);
}

/* --------------------------------------------- socket file removed */

Test(chaos, authd_socket_removed)
{
	char tok[TOKCAP], tok2[TOKCAP], tok3[TOKCAP];
	struct stat sb;
	long st, ms;
	int i;

	hpair_start(&hp, "ipc_timeout_ms = 1000");
	fresh_token(tok, "chaos-sock");
	fresh_token(tok2, "chaos-sock");
	fresh_token(tok3, "chaos-sock");
	cr_assert_eq(get_timed("/table_1", tok, 5000, NULL), 200);

	/* The established connection does not need the file. */
	cr_assert(unlink(hp.hp_socket) == 0);
	st = get_timed("/table_1", tok2, 5000, NULL);
	cr_assert_eq(st, 200, "fresh token after unlink: %ld", st);

	/* authd dies: nothing to reconnect to, 503, no crash. */
	hpair_kill_authd(&hp);
	for (i = 0; i < 5; i++) {
		st = get_timed("/table_1", tok3, 5000, &ms);
		cr_assert_eq(st, 503, "with no socket: %ld", st);
		cr_assert(ms < 1500, "the 503 took %ld ms", ms);
		e2e_sleep_ms(100);
	}
	cr_assert(kill(hp.hp_gateway, 0) == 0, "the gateway died");

	/* A new authd binds; the gateway reconnects by itself. */
	hpair_start_authd(&hp);
	st = poll_status("/table_1", tok3, 200, 5000);
	cr_assert_eq(st, 200, "after authd came back: %ld", st);

	/* A SIGKILL leaves a stale socket file; a new authd removes it. */
	hpair_kill_authd(&hp);
	cr_assert(lstat(hp.hp_socket, &sb) == 0 && S_ISSOCK(sb.st_mode),
	    "no stale socket file after SIGKILL");
	hpair_start_authd(&hp);
	st = poll_status("/table_1", tok3, 200, 5000);
	cr_assert_eq(st, 200, "after a start over a stale socket: %ld", st);
	hpair_finish(&hp);
}

/* ------------------------------------------------- garbage frames */

/*
 * Connects to authd's socket as the gateway would: as root, with the
 * effective uid of gateway_user (SO_PEERCRED reports the effective uid at
 * connect time; authd admits only that one), then back to root.
 */
static int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	struct passwd *pw = NULL;
	char user[128];
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (geteuid() == 0 &&
	    e2e_conf_get("gateway_user", user, sizeof(user)) == 0 &&
	    (pw = getpwnam(user)) != NULL)
		cr_assert(seteuid(pw->pw_uid) == 0);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (pw != NULL)
		cr_assert(seteuid(0) == 0);
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads what the peer sends within ms: returns the bytes read (into buf,
 * at most cap), and *eof says whether it closed.
 */
static size_t
read_until(int fd, unsigned char *buf, size_t cap, long ms, int *eof)
{
	int64_t deadline = e2e_now_ms() + ms, left;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t len = 0;
	ssize_t n;

	*eof = 0;
	while ((left = deadline - e2e_now_ms()) > 0 && len < cap) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*eof = 1;
			break;
		}
		len += (size_t)n;
	}
	return len;
}

static void
hdr(unsigned char *out, uint32_t len, uint16_t type, uint16_t flags)
{
	struct ipc_hdr h = {
	    .ih_len = len, .ih_type = type, .ih_flags = flags, .ih_id = 7};

	ipc_hdr_write(out, &h);
}

/* Sends bytes and expects authd to close the connection unanswered. */
static void
expect_dropped(const char *what, const void *p, size_t n)
{
	unsigned char in[256];
	size_t got;
	int fd, eof;

	cr_assert((fd = unix_connect(hp.hp_socket)) != -1, "connect: %s",
	    strerror(errno));
	(void)send(fd, p, n, MSG_NOSIGNAL);
	got = read_until(fd, in, sizeof(in), 2000, &eof);
	close(fd);
	cr_log_info(
	    "%s: %zu bytes back, %s", what, got, eof ? "closed" : "left open");
	cr_assert(eof, "%s: authd left the connection open", what);
	cr_assert_eq(got, 0, "%s: authd answered", what);
}

Test(chaos, authd_socket_garbage)
{
	unsigned char f[64], in[64], rnd[4096];
	char tok[TOKCAP], dir[E2E_PATH_MAX];
	struct ipc_hdr h;
	size_t got;
	pid_t child;
	int fd, eof, st;

	hpair_start(&hp, NULL);

	/* A well-formed ping is answered: the frames below are ours. */
	hdr(f, 0, IPC_REQ_PING, 0);
	cr_assert((fd = unix_connect(hp.hp_socket)) != -1);
	cr_assert(send(fd, f, IPC_HDR_LEN, MSG_NOSIGNAL) == IPC_HDR_LEN);
	got = read_until(fd, in, IPC_HDR_LEN + 1, 2000, &eof);
	cr_assert_eq(got, IPC_HDR_LEN + 1, "no answer to a ping");
	cr_assert(ipc_hdr_parse(in, got, &h) == 0 &&
	          h.ih_type == IPC_ANS_PING && h.ih_id == 7);
	close(fd);

	hdr(f, 0x80000000u, IPC_REQ_VERIFY, 0);
	expect_dropped("length 2^31", f, IPC_HDR_LEN);
	hdr(f, IPC_MAX_PAYLOAD + 1, IPC_REQ_VERIFY, 0);
	expect_dropped("length max + 1", f, IPC_HDR_LEN);
	hdr(f, 0, 0, 0);
	expect_dropped("type 0", f, IPC_HDR_LEN);
	hdr(f, 0, IPC_TYPE_MAX, 0);
	expect_dropped("type max", f, IPC_HDR_LEN);
	hdr(f, 0, IPC_REQ_PING, 1);
	expect_dropped("flags", f, IPC_HDR_LEN);
	hdr(f, 0, IPC_ANS_VERIFY, 0);
	expect_dropped("an answer type from the client", f, IPC_HDR_LEN);
	/* A verify whose string claims more bytes than the frame has. */
	hdr(f, 8, IPC_REQ_VERIFY, 0);
	memcpy(f + IPC_HDR_LEN, "\0\0\0\100abcd", 8);
	expect_dropped("string past the frame", f, IPC_HDR_LEN + 8);
	cr_assert(RAND_bytes(rnd, sizeof(rnd)) == 1);
	rnd[0] = 0x7f; /* a length far above the maximum */
	expect_dropped("random bytes", rnd, sizeof(rnd));

	/* A truncated frame, then close. */
	hdr(f, 100, IPC_REQ_VERIFY, 0);
	cr_assert((fd = unix_connect(hp.hp_socket)) != -1);
	(void)send(fd, f, IPC_HDR_LEN + 10, MSG_NOSIGNAL);
	close(fd);

	/*
	 * Another uid: the socket is 0600 and its directory 0700, which
	 * stop it at connect.  Open both up so that authd's SO_PEERCRED
	 * check is what refuses.
	 */
	snprintf(dir, sizeof(dir), "%s", hp.hp_dir);
	cr_assert(chmod(dir, 0711) == 0 && chmod(hp.hp_socket, 0666) == 0);
	if ((child = fork()) == 0) {
		unsigned char b[IPC_HDR_LEN + 1];
		int cfd, ceof;

		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(3);
		if ((cfd = unix_connect(hp.hp_socket)) == -1)
			_exit(2);
		hdr(b, 0, IPC_REQ_PING, 0);
		(void)send(cfd, b, IPC_HDR_LEN, MSG_NOSIGNAL);
		if (read_until(cfd, b, sizeof(b), 2000, &ceof) > 0)
			_exit(1);
		_exit(ceof ? 0 : 4);
	}
	cr_assert(child > 0);
	cr_assert(waitpid(child, &st, 0) == child && WIFEXITED(st));
	cr_log_info("uid 65534: child exit %d", WEXITSTATUS(st));
	cr_assert_eq(WEXITSTATUS(st), 0,
	    "a connection from uid 65534 was not refused (%d: 1 answered, "
	    "2 connect failed, 3 setuid, 4 left open)",
	    WEXITSTATUS(st));

	/* authd is alive and keeps serving the gateway. */
	cr_assert(kill(hp.hp_authd, 0) == 0, "authd died");
	fresh_token(tok, "chaos-garbage");
	st = (int)get_timed("/table_1", tok, 5000, NULL);
	cr_assert_eq(st, 200, "a request through the gateway: %d", st);
	hpair_finish(&hp);
}

/*
 * Each request type has its own size limit in authd's permit table, far
 * below the 2 MiB frame cap: a header that announces more is refused
 * before any of the body is buffered, and a request whose fields are over
 * their limits loses the connection too.  A request type authd does not
 * serve (an answer type, or the notice it sends itself) is refused alike.
 */
Test(chaos, authd_permit_limits)
{
	static char big[64 * 1024 + 1];
	unsigned char f[64], in[64];
	struct buf b;
	struct ipc_hdr h;
	size_t got;
	int fd, eof;

	memset(big, ' ', sizeof(big));
	hpair_start(&hp, NULL);

	/* Headers alone: each announces more than its type may carry. */
	hdr(f, 1, IPC_REQ_PING, 0);
	expect_dropped("a ping with a payload", f, IPC_HDR_LEN);
	hdr(f, 64 * 1024, IPC_REQ_VERIFY, 0);
	expect_dropped("a 64 KiB verify", f, IPC_HDR_LEN);
	hdr(f, IPC_MAX_PAYLOAD, IPC_REQ_AUTH, 0);
	expect_dropped("a 2 MiB auth request", f, IPC_HDR_LEN);
	hdr(f, 0, IPC_EVT_REVOKED, 0);
	expect_dropped("a revocation notice from the client", f, IPC_HDR_LEN);
	hdr(f, 0, IPC_ANS_ERROR, 0);
	expect_dropped("an error answer from the client", f, IPC_HDR_LEN);

	/* A whole login whose body is one byte over the 64 KiB the gateway
	 * forwards. */
	buf_init(&b);
	ipc_msg_begin(&b, IPC_REQ_AUTH, 7);
	ipc_put_cstr(&b, "login");
	ipc_put_cstr(&b, "users");
	ipc_put_cstr(&b, "127.0.0.1");
	ipc_put_cstr(&b, "chaos");
	ipc_put_cstr(&b, "");
	ipc_put_cstr(&b, "");
	ipc_put_str(&b, big, sizeof(big));
	cr_assert(ipc_msg_end(&b) == 0);
	expect_dropped("a 64 KiB + 1 login body", b.b_data, b.b_len);
	buf_free(&b);

	/* authd is alive and answers a well-formed ping. */
	hdr(f, 0, IPC_REQ_PING, 0);
	cr_assert((fd = unix_connect(hp.hp_socket)) != -1);
	cr_assert(send(fd, f, IPC_HDR_LEN, MSG_NOSIGNAL) == IPC_HDR_LEN);
	got = read_until(fd, in, IPC_HDR_LEN + 1, 2000, &eof);
	close(fd);
	cr_assert_eq(got, IPC_HDR_LEN + 1, "no answer to a ping");
	cr_assert(ipc_hdr_parse(in, got, &h) == 0 && h.ih_type == IPC_ANS_PING);
	cr_assert(kill(hp.hp_authd, 0) == 0, "authd died");
	hpair_finish(&hp);
}

/* ------------------------------------------------ PostgreSQL restart */

struct load {
	const char *ld_tok;
	volatile int *ld_stop;
	int64_t ld_back_ms; /* when PostgreSQL was back, 0 before */
	int ld_n, ld_ok, ld_503, ld_bad, ld_late_5xx;
	long ld_bad_status;
};

static volatile int load_stop;
static volatile int64_t pg_back_ms;

static void *
load_thread(void *arg)
{
	struct load *ld = arg;
	int64_t t0;
	long st;

	while (!load_stop) {
		t0 = e2e_now_ms();
		st = get_timed("/table_1?limit=3", ld->ld_tok, 8000, NULL);
		ld->ld_n++;
		if (st == 200)
			ld->ld_ok++;
		else if (st == 503)
			ld->ld_503++;
		else {
			ld->ld_bad++;
			ld->ld_bad_status = st;
		}
		if (st != 200 && pg_back_ms != 0 && t0 >= pg_back_ms + 1000)
			ld->ld_late_5xx++;
		e2e_sleep_ms(20);
	}
	return NULL;
}

/* The cluster's data directory: next to its socket directory. */
static void
pg_data_dir(char *out, size_t outlen)
{
	char line[1024], *v, *e;
	FILE *fp;

	out[0] = '\0';
	cr_assert((fp = fopen(getenv("POSTERN_E2E_ENV"), "r")) != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "POSTERN_PGHOST=", 15) != 0)
			continue;
		v = line + 15;
		v[strcspn(v, "\n")] = '\0';
		if ((e = strrchr(v, '/')) != NULL)
			*e = '\0';
		/* An overlong path would be truncated; then it is not found. */
		if (snprintf(out, outlen, "%s/data", v) >= (int)outlen)
			out[0] = '\0';
	}
	fclose(fp);
	cr_assert(out[0] != '\0', "no POSTERN_PGHOST in the env file");
}

Test(chaos, postgres_restart_under_load)
{
	struct load ld[3];
	pthread_t th[3];
	char tok[TOKCAP], data[E2E_PATH_MAX], cmd[2 * E2E_PATH_MAX + 512];
	char email[128];
	int64_t t0;
	long st;
	int i, rc, n = 0, ok = 0, n503 = 0, bad = 0, late = 0;

	e2e_email(email, sizeof(email), "chaos-pg");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	pg_data_dir(data, sizeof(data));
	snprintf(cmd, sizeof(cmd),
	    "d=${POSTERN_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | "
	    "sort -V | tail -1)}; cd / && %s \"$d/pg_ctl\" restart -m fast "
	    "-w -t 60 -D '%s' -l /dev/null >/dev/null 2>&1",
	    getuid() == 0 ? "runuser -u postgres --" : "", data);

	memset(ld, 0, sizeof(ld));
	load_stop = 0;
	pg_back_ms = 0;
	for (i = 0; i < 3; i++) {
		ld[i].ld_tok = tok;
		cr_assert(
		    pthread_create(&th[i], NULL, load_thread, &ld[i]) == 0);
	}
	e2e_sleep_ms(500);
	t0 = e2e_now_ms();
	rc = system(cmd);
	pg_back_ms = e2e_now_ms();
	cr_log_info("pg_ctl restart took %lld ms (exit %d)",
	    (long long)(pg_back_ms - t0), rc);
	e2e_sleep_ms(3000);
	load_stop = 1;
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		n += ld[i].ld_n;
		ok += ld[i].ld_ok;
		n503 += ld[i].ld_503;
		bad += ld[i].ld_bad;
		late += ld[i].ld_late_5xx;
		if (ld[i].ld_bad)
			cr_log_error(
			    "thread %d saw status %ld", i, ld[i].ld_bad_status);
	}
	cr_log_info("%d requests: %d 200, %d 503, %d other, %d non-200 a "
	            "second after PostgreSQL was back",
	    n, ok, n503, bad, late);
	cr_assert_eq(rc, 0, "pg_ctl restart failed: %s", cmd);
	cr_assert_eq(bad, 0, "statuses other than 200/503 (or no answer)");
	cr_assert_eq(late, 0, "5xx a second after PostgreSQL was back");
	cr_assert(ok > 0);

	/* authd's own connections recover too: a login works. */
	st = -1;
	for (t0 = e2e_now_ms(); e2e_now_ms() - t0 < 5000;) {
		if ((st = login_status(email)) == 200)
			break;
		e2e_sleep_ms(100);
	}
	cr_log_info("login after the restart: %ld (%lld ms)", st,
	    (long long)(e2e_now_ms() - t0));
	cr_assert_eq(st, 200, "login after PostgreSQL's restart: %ld", st);
}

/* ------------------------------------------------ pool exhausted */

struct slow {
	char sl_path[64];
	const char *sl_tok;
	long sl_status, sl_ms;
};

static void *
slow_thread(void *arg)
{
	struct slow *s = arg;

	s->sl_status = get_timed(s->sl_path, NULL, 10000, &s->sl_ms);
	return NULL;
}

Test(chaos, pool_exhausted_is_504)
{
	char name[32], hex[17], tok[TOKCAP];
	struct slow sl;
	pthread_t th;
	long st, ms;

	e2e_rand_hex(hex, sizeof(hex), 8);
	snprintf(name, sizeof(name), "hz_slow_%s", hex);
	/* Every row of the view takes 3 s to compute. */
	cr_assert(e2e_sql("create view public.%1$s as select 1::bigint as id, "
	                  "pg_sleep(3)::text as s; "
	                  "grant select on public.%1$s to postern_gateway; "
	                  "insert into postern.endpoints (kind, method, path, "
	                  "table_name, op, auth) values ('data', 'GET', "
	                  "'/%1$s', '%1$s', 'list', 'none');",
	              name) == 0);
	hpair_start(&hp, "pool_size = 1\npool_acquire_timeout_ms = 500");
	fresh_token(tok, "chaos-pool");
	cr_assert_eq(get_timed("/table_1", tok, 5000, NULL), 200);
	snprintf(sl.sl_path, sizeof(sl.sl_path), "/%s", name);
	cr_assert_neq(e2e_wait_route("GET", sl.sl_path, NULL, 10000), 404);

	cr_assert(pthread_create(&th, NULL, slow_thread, &sl) == 0);
	e2e_sleep_ms(300);
	st = get_timed("/table_1", tok, 5000, &ms);
	cr_log_info("with the only connection held: %ld in %ld ms", st, ms);
	cr_assert_eq(st, 504, "with the pool exhausted: %ld", st);
	cr_assert(ms >= 400 && ms <= 1000, "the 504 took %ld ms", ms);
	pthread_join(th, NULL);
	cr_log_info("slow query: %ld in %ld ms", sl.sl_status, sl.sl_ms);
	cr_assert_eq(sl.sl_status, 200);
	cr_assert_eq(get_timed("/table_1", tok, 5000, NULL), 200);
	hpair_finish(&hp);
	cr_assert(e2e_sql("delete from postern.endpoints where path = '/%1$s';"
	                  "drop view public.%1$s;",
	              name) == 0);
}

/* ------------------------------------------------ frozen PostgreSQL */

/*
 * The pairs below get db_timeout_ms; with POSTERN_TEST_LEGACY set (to run
 * against a build from before the key, with POSTERN_TEST_PAIR_BUILD) they
 * get nothing and the test reports what that build does.
 */
static const char *
legacy_or(const char *extra)
{
	return getenv("POSTERN_TEST_LEGACY") != NULL ? NULL : extra;
}

/* SIGSTOPs the postmaster (its pid is postmaster.pid's first line) and
 * every process whose parent it is: the backends and helpers. */
static void
pg_freeze(void)
{
	char data[E2E_PATH_MAX], path[E2E_PATH_MAX + 32], line[512], *p;
	FILE *f;
	long pm = 0, ppid;
	struct dirent *de;
	DIR *dir;
	pid_t pid;
	int i;

	pg_data_dir(data, sizeof(data));
	snprintf(path, sizeof(path), "%s/postmaster.pid", data);
	cr_assert((f = fopen(path, "r")) != NULL, "cannot read %s", path);
	cr_assert(fscanf(f, "%ld", &pm) == 1 && pm > 1);
	fclose(f);
	pg_nstopped = 0;
	cr_assert(kill((pid_t)pm, SIGSTOP) == 0);
	pg_stopped[pg_nstopped++] = (pid_t)pm;
	/* Children, by /proc/<pid>/stat's fourth field. */
	cr_assert((dir = opendir("/proc")) != NULL);
	while ((de = readdir(dir)) != NULL) {
		if ((pid = (pid_t)strtol(de->d_name, &p, 10)) <= 0 ||
		    *p != '\0')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL &&
		    (p = strrchr(line, ')')) != NULL &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == pm &&
		    pg_nstopped < PG_MAX_PIDS) {
			kill(pid, SIGSTOP);
			pg_stopped[pg_nstopped++] = pid;
		}
		fclose(f);
	}
	closedir(dir);
	for (i = 0; i < pg_nstopped; i++)
		cr_log_info(
		    "stopped PostgreSQL process %ld", (long)pg_stopped[i]);
}

static void *
frozen_get_thread(void *arg)
{
	struct slow *s = arg;

	s->sl_status = get_timed(s->sl_path, s->sl_tok, 10000, &s->sl_ms);
	return NULL;
}

struct frozen_login {
	const char *fl_email;
	long fl_status, fl_ms;
};

static void *
frozen_login_thread(void *arg)
{
	struct frozen_login *fl = arg;
	int64_t t0 = e2e_now_ms();

	fl->fl_status = login_status(fl->fl_email);
	fl->fl_ms = (long)(e2e_now_ms() - t0);
	return NULL;
}

Test(chaos, postgres_frozen, .timeout = 90)
{
	char tok[TOKCAP], tok2[TOKCAP], email[128];
	struct frozen_login fl;
	struct slow sl;
	pthread_t th, lth;
	long st, ms, rz_ms = -1;
	int64_t t0;

	fresh_token(tok, "chaos-frozen");
	hpair_start(&hp, legacy_or("db_timeout_ms = 1500"));
	cr_assert_eq(get_timed("/table_1", tok, 5000, NULL), 200);
	e2e_email(email, sizeof(email), "chaos-frozen-login");
	e2e_signup(email, PASSWORD, tok2, sizeof(tok2));
	cr_assert_eq(login_status(email), 200);

	pg_freeze();
	t0 = e2e_now_ms();
	/* authd's blocking calls are bounded too: a login in flight fails
	 * (503) at db_timeout_ms rather than at ipc_timeout_ms (5 s). */
	memset(&fl, 0, sizeof(fl));
	fl.fl_email = email;
	cr_assert(pthread_create(&lth, NULL, frozen_login_thread, &fl) == 0);
	memset(&sl, 0, sizeof(sl));
	snprintf(sl.sl_path, sizeof(sl.sl_path), "/table_1");
	sl.sl_tok = tok;
	cr_assert(pthread_create(&th, NULL, frozen_get_thread, &sl) == 0);
	e2e_sleep_ms(100);
	st = get_timed("/readyz", NULL, 4000, &rz_ms);
	cr_log_info("/readyz with PostgreSQL frozen: %ld in %ld ms", st, rz_ms);
	fprintf(
	    stderr, "test_chaos: /readyz frozen: %ld in %ld ms\n", st, rz_ms);
	cr_expect_eq(st, 503, "/readyz said %ld with PostgreSQL frozen", st);
	cr_expect(rz_ms <= 1000, "/readyz took %ld ms", rz_ms);
	pthread_join(th, NULL);
	cr_log_info(
	    "in-flight GET /table_1: %ld in %ld ms", sl.sl_status, sl.sl_ms);
	fprintf(stderr, "test_chaos: in-flight GET frozen: %ld in %ld ms\n",
	    sl.sl_status, sl.sl_ms);
	cr_expect_eq(
	    sl.sl_status, 504, "the in-flight request got %ld", sl.sl_status);
	cr_expect(sl.sl_ms <= 1500 + 700, "the 504 took %ld ms", sl.sl_ms);
	pthread_join(lth, NULL);
	fprintf(stderr, "test_chaos: login in flight frozen: %ld in %ld ms\n",
	    fl.fl_status, fl.fl_ms);
	cr_expect_eq(fl.fl_status, 503, "the login got %ld", fl.fl_status);
	cr_expect(
	    fl.fl_ms <= 1500 + 700, "the login's 503 took %ld ms", fl.fl_ms);
	/* Frozen for about 4 s in all, then back. */
	ms = (long)(4000 - (e2e_now_ms() - t0));
	if (ms > 0)
		e2e_sleep_ms(ms);
	pg_continue();
	t0 = e2e_now_ms();
	cr_assert_eq(poll_status("/table_1", tok, 200, 5000), 200,
	    "no 200 within 5 s of SIGCONT");
	cr_assert_eq(poll_status("/readyz", NULL, 200, 5000), 200,
	    "/readyz not 200 within 5 s of SIGCONT");
	cr_log_info(
	    "recovered %lld ms after SIGCONT", (long long)(e2e_now_ms() - t0));
	hpair_finish(&hp);
}

/* After a PostgreSQL restart /readyz is 200 no later than logins work
 * (authd's view of its database must not lag behind it). */
Test(chaos, readyz_not_behind_logins_after_restart, .timeout = 90)
{
	char data[E2E_PATH_MAX], cmd[2 * E2E_PATH_MAX + 512], email[128];
	char tok[TOKCAP];
	int64_t t0, t_login = 0, t_ready = 0, now;
	long st;
	int rc;

	hpair_start(&hp, legacy_or("db_timeout_ms = 2000"));
	e2e_email(email, sizeof(email), "chaos-ready");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	cr_assert_eq(login_status(email), 200);
	pg_data_dir(data, sizeof(data));
	snprintf(cmd, sizeof(cmd),
	    "d=${POSTERN_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | "
	    "sort -V | tail -1)}; cd / && %s \"$d/pg_ctl\" restart -m fast "
	    "-w -t 60 -D '%s' -l /dev/null >/dev/null 2>&1",
	    getuid() == 0 ? "runuser -u postgres --" : "", data);
	/* Both daemons see PostgreSQL go away first. */
	rc = system(cmd);
	cr_assert_eq(rc, 0, "pg_ctl restart failed");
	t0 = e2e_now_ms();
	while ((now = e2e_now_ms()) - t0 < 10000 &&
	       (t_login == 0 || t_ready == 0)) {
		st = get_timed("/readyz", NULL, 2000, NULL);
		if (st == 200 && t_ready == 0)
			t_ready = e2e_now_ms();
		st = login_status(email);
		if (st == 200 && t_login == 0)
			t_login = e2e_now_ms();
		e2e_sleep_ms(20);
	}
	fprintf(stderr,
	    "test_chaos: after the restart, login 200 at %lld ms, /readyz 200 "
	    "at %lld ms\n",
	    (long long)(t_login ? t_login - t0 : -1),
	    (long long)(t_ready ? t_ready - t0 : -1));
	cr_assert(t_login != 0, "no login worked within 10 s");
	cr_assert(t_ready != 0, "/readyz not 200 within 10 s");
	/* One polling round of slack (a login takes its Argon2id time). */
	cr_assert(t_ready <= t_login + 300,
	    "/readyz turned 200 %lld ms after logins worked",
	    (long long)(t_ready - t_login));
	hpair_finish(&hp);
}

/* LISTEN that cannot be established: /readyz says so (503, the error
 * shape, details naming listen), within its deadline. */
Test(chaos, readyz_503_without_listen, .timeout = 60)
{
	char extra[128], *details;
	struct json_object *v;
	struct e2e_resp r;
	int64_t t0;
	long ms;

	/* A port nothing listens on: LISTEN's connection fails. */
	snprintf(extra, sizeof(extra),
	    "listen_database_url = postgresql://127.0.0.1:%d/postern",
	    e2e_free_port());
	hpair_start_unready(&hp, extra);
	/* The pool itself is fine: routes load, data is served. */
	cr_assert_eq(poll_status("/table_1?limit=1", NULL, 401, 5000), 401);
	t0 = e2e_now_ms();
	cr_assert(e2e_get("/readyz", NULL, &r) == 0);
	ms = (long)(e2e_now_ms() - t0);
	e2e_assert_error(&r, 503);
	cr_assert(json_object_object_get_ex(r.er_json, "code", &v) &&
	          strcmp(json_object_get_string(v), "PN803") == 0);
	cr_assert(json_object_object_get_ex(r.er_json, "details", &v) &&
	          json_object_is_type(v, json_type_string));
	details = strdup(json_object_get_string(v));
	cr_log_info("/readyz in %ld ms: %s", ms, details);
	cr_assert(strstr(details, "listen: ") != NULL &&
	              strstr(details, "listen: ok") == NULL,
	    "details do not say LISTEN failed: %s", details);
	cr_assert(strstr(details, "database: ok") != NULL, "%s", details);
	/* authd's revocation LISTEN uses the same key: it is down too. */
	cr_assert(strstr(details, "authd: ok") == NULL, "%s", details);
	cr_assert(ms <= 1000, "/readyz took %ld ms", ms);
	free(details);
	e2e_resp_free(&r);
	hpair_finish(&hp);
}
