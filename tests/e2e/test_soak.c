/*
 * A 60-second soak of the fixture's stack (ctest label "slow"):
 * four client threads run a steady mix of list, create and login.  No
 * answer may be a 5xx (or missing), and the daemons' open file
 * descriptors and resident memory, measured after a warm-up and at the
 * end, must stay flat: at most 5 more descriptors and 8 MiB more RSS.
 * Under AddressSanitizer the memory is printed but not judged (its
 * quarantine holds up to 256 MiB of freed blocks by design).
 *
 * SOAK_SECONDS overrides the duration (for a quick local run).
 */
#include <sys/types.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "authd/token.h"
#include "common/buf.h"
#include "e2e.h"

#define PASSWORD "correct horse battery"
#define TOKCAP (TOKEN_MAX_LEN + 1)
#define THREADS 4
#define FD_SLACK 5
#define RSS_SLACK_KIB (8 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_ASAN 1
#endif
#endif
#ifndef SOAK_ASAN
#define SOAK_ASAN 0
#endif

TestSuite(soak, .init = e2e_setup, .fini = e2e_teardown, .timeout = 240);

static int
proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long
proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

struct worker {
	int w_id;
	const char *w_tok;
	const char *w_login; /* {"email","password"} */
	int64_t w_until;
	int w_n, w_bad;
	long w_bad_status;
	char w_bad_what[32];
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct e2e_resp r;
	char body[128];
	long st;
	int i;

	for (i = 0; e2e_now_ms() < w->w_until; i++) {
		const char *what;

		memset(&r, 0, sizeof(r));
		if (i % 10 == 9) {
			what = "login";
			st = e2e_post_json("/auth/login", w->w_login, &r) == 0
			         ? r.er_status
			         : -1;
			if (st == 200)
				st = 0;
		} else if (i % 3 == 2) {
			what = "create";
			snprintf(body, sizeof(body),
			    "{\"title\":\"soak-%d-%d\",\"priority\":%d}",
			    w->w_id, i, i % 100);
			st = e2e_call("POST", "/table_1", w->w_tok, NULL, body,
			         &r) == 0
			         ? r.er_status
			         : -1;
			if (st == 201)
				st = 0;
		} else {
			what = "list";
			st = e2e_get("/table_1?limit=5&order=id.desc", w->w_tok,
			         &r) == 0
			         ? r.er_status
			         : -1;
			if (st == 200)
				st = 0;
		}
		e2e_resp_free(&r);
		w->w_n++;
		if (st != 0) {
			w->w_bad++;
			w->w_bad_status = st;
			snprintf(
			    w->w_bad_what, sizeof(w->w_bad_what), "%s", what);
		}
	}
	return NULL;
}

static void
measure(const char *when, pid_t gw, pid_t ad, int *fds, long *rss)
{
	fds[0] = proc_fds(gw);
	fds[1] = proc_fds(ad);
	rss[0] = proc_rss_kib(gw);
	rss[1] = proc_rss_kib(ad);
	/* Printed whatever Criterion's verbosity: the numbers are the point. */
	fprintf(stderr,
	    "soak: %s: gateway %d fds, %ld KiB RSS; authd %d fds, %ld KiB "
	    "RSS\n",
	    when, fds[0], rss[0], fds[1], rss[1]);
	cr_assert(fds[0] > 0 && fds[1] > 0 && rss[0] > 0 && rss[1] > 0,
	    "cannot read /proc of the daemons");
}

static void
run_load(struct worker *w, const char *tok, const char *login, long ms)
{
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].w_id = i;
		w[i].w_tok = tok;
		w[i].w_login = login;
		w[i].w_until = e2e_now_ms() + ms;
		cr_assert(pthread_create(&th[i], NULL, worker, &w[i]) == 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

Test(soak, steady_load_stays_flat)
{
	struct worker w[THREADS];
	char email[128], tok[TOKCAP], login[256];
	int fds0[2], fds1[2], i, n = 0, bad = 0;
	long rss0[2], rss1[2], secs = 60;
	pid_t gw, ad;

	if (getenv("SOAK_SECONDS") != NULL)
		secs = atol(getenv("SOAK_SECONDS"));
	cr_assert(secs > 0 && secs <= 3600);
	gw = e2e_read_pid(e2e_cf.ee_gateway_pid_file);
	ad = e2e_read_pid(e2e_cf.ee_authd_pid_file);
	cr_assert(gw > 0 && ad > 0 && e2e_pid_alive(gw) && e2e_pid_alive(ad));
	e2e_email(email, sizeof(email), "soak");
	e2e_signup(email, PASSWORD, tok, sizeof(tok));
	snprintf(login, sizeof(login), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, PASSWORD);

	/* Warm-up: pools, caches and allocator arenas fill first. */
	run_load(w, tok, login, 5000);
	measure("after warm-up", gw, ad, fds0, rss0);
	run_load(w, tok, login, secs * 1000);
	measure("at the end", gw, ad, fds1, rss1);
	for (i = 0; i < THREADS; i++) {
		n += w[i].w_n;
		bad += w[i].w_bad;
		if (w[i].w_bad)
			cr_log_error("thread %d: %d failures, last %s %ld", i,
			    w[i].w_bad, w[i].w_bad_what, w[i].w_bad_status);
	}
	fprintf(stderr, "soak: %d requests in %ld s (%.0f/s), %d failed\n", n,
	    secs, (double)n / (double)secs, bad);
	cr_assert(e2e_sql("delete from public.table_1 where title like "
	                  "'soak-%%'") == 0);

	cr_assert_eq(bad, 0, "%d requests failed (5xx or no answer)", bad);
	cr_assert(n > 100);
	cr_assert(fds1[0] <= fds0[0] + FD_SLACK, "gateway fds %d -> %d",
	    fds0[0], fds1[0]);
	cr_assert(fds1[1] <= fds0[1] + FD_SLACK, "authd fds %d -> %d", fds0[1],
	    fds1[1]);
	if (SOAK_ASAN) {
		cr_log_info("ASan build: RSS not judged");
		return;
	}
	cr_assert(rss1[0] <= rss0[0] + RSS_SLACK_KIB,
	    "gateway RSS %ld -> %ld KiB", rss0[0], rss1[0]);
	cr_assert(rss1[1] <= rss0[1] + RSS_SLACK_KIB,
	    "authd RSS %ld -> %ld KiB", rss0[1], rss1[1]);
}
