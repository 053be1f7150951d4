/*
 * GET /metrics: the gateway's counters in Prometheus' text exposition
 * format 0.0.4.  The gateway is one thread, so plain counters suffice.
 *
 * Label values are bounded sets: a request is labelled with the route it
 * matched (the template from postern.endpoints, "/table_1/{id}"), or with
 * a fixed name for the operational paths and for anything unmatched; the
 * raw path never becomes a label, so a scan of random URLs cannot grow the
 * series without bound.  The route table itself can change at run time, so
 * the series table is capped as well; past the cap new series are folded
 * into route="overflow".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/util.h"
#include "gateway/authc.h"
#include "gateway/builtin.h"
#include "gateway/db.h"
#include "gateway/gateway.h"
#include "gateway/vcache.h"

#define METRICS_SERIES_MAX 2048
#define METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* Request latency, seconds: from the first byte of a request to its
 * response being queued. */
static const double req_bounds[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define REQ_NB (sizeof(req_bounds) / sizeof(req_bounds[0]))

/* authd round trips are Unix-socket fast unless a hash is involved. */
static const double rtt_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define RTT_NB (sizeof(rtt_bounds) / sizeof(rtt_bounds[0]))
#define HIST_NB_MAX 15 /* bounds, plus one for +Inf */
_Static_assert(REQ_NB < HIST_NB_MAX && RTT_NB < HIST_NB_MAX,
    "histogram bounds do not fit");

struct mseries {
	char ms_route[ROUTE_PATH_MAX];
	char ms_method[16];
	int ms_status;
	uint64_t ms_count;
};

struct mhist {
	const double *mh_bounds;
	size_t mh_nb;
	uint64_t mh_buckets[HIST_NB_MAX + 1]; /* per bucket, not cumulative */
	uint64_t mh_count;
	double mh_sum;
};

struct mlimited {
	char ml_route[ROUTE_PATH_MAX];
	uint64_t ml_count;
};

static struct {
	struct mseries *m_series;
	size_t m_nseries;
	size_t m_capseries;
	struct mlimited *m_limited;
	size_t m_nlimited;
	size_t m_caplimited;
	struct mhist m_req;
	struct mhist m_rtt;
	uint64_t m_authd_timeouts;
	uint64_t m_authd_unavailable;
} mt = {
    .m_req = {.mh_bounds = req_bounds, .mh_nb = REQ_NB},
    .m_rtt = {.mh_bounds = rtt_bounds, .mh_nb = RTT_NB},
};

int64_t
metrics_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
hist_observe(struct mhist *h, double v)
{
	size_t i;

	for (i = 0; i < h->mh_nb; i++)
		if (v <= h->mh_bounds[i])
			break;
	/* i == mh_nb is the +Inf bucket. */
	h->mh_buckets[i]++;
	h->mh_count++;
	h->mh_sum += v;
}

const char *
metrics_route_label(const struct req *rq)
{
	const struct builtin *b;

	if (rq->rq_route != NULL)
		return rq->rq_route->rt_path;
	if (rq->rq_head.hh_path == NULL)
		return "malformed";
	if ((b = builtin_find(rq->rq_head.hh_path)) != NULL)
		return b->bi_label;
	return "unmatched";
}

/* Grows an array of n elements of size sz to hold one more; -1 at max. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	if (n >= METRICS_SERIES_MAX)
		return -1;
	ncap = *cap ? *cap * 2 : 32;
	if (ncap > METRICS_SERIES_MAX)
		ncap = METRICS_SERIES_MAX;
	if ((na = realloc(*arr, ncap * sz)) == NULL)
		return -1;
	*arr = na;
	*cap = ncap;
	return 0;
}

static void
count_request(const char *route, const char *method, int status)
{
	struct mseries *s;
	size_t i;

	for (i = 0; i < mt.m_nseries; i++) {
		s = &mt.m_series[i];
		if (s->ms_status == status &&
		    strcmp(s->ms_method, method) == 0 &&
		    strcmp(s->ms_route, route) == 0) {
			s->ms_count++;
			return;
		}
	}
	/* The last slot is kept for everything that does not fit. */
	if (mt.m_nseries + 1 >= METRICS_SERIES_MAX &&
	    strcmp(route, "overflow") != 0) {
		count_request("overflow", "-", 0);
		return;
	}
	if (grow((void **)&mt.m_series, &mt.m_capseries, mt.m_nseries,
	        sizeof(*mt.m_series)) == -1)
		return;
	s = &mt.m_series[mt.m_nseries++];
	memset(s, 0, sizeof(*s));
	x_strlcpy(s->ms_route, route, sizeof(s->ms_route));
	x_strlcpy(s->ms_method, method, sizeof(s->ms_method));
	s->ms_status = status;
	s->ms_count = 1;
}

static void
count_limited(const char *route)
{
	struct mlimited *l;
	size_t i;

	for (i = 0; i < mt.m_nlimited; i++)
		if (strcmp(mt.m_limited[i].ml_route, route) == 0) {
			mt.m_limited[i].ml_count++;
			return;
		}
	if (grow((void **)&mt.m_limited, &mt.m_caplimited, mt.m_nlimited,
	        sizeof(*mt.m_limited)) == -1)
		return;
	l = &mt.m_limited[mt.m_nlimited++];
	x_strlcpy(l->ml_route, route, sizeof(l->ml_route));
	l->ml_count = 1;
}

void
metrics_request_done(struct req *rq)
{
	const char *route = metrics_route_label(rq);
	const char *method = rq->rq_head.hh_path != NULL
	                         ? http_method_name(rq->rq_head.hh_method)
	                         : "-";
	int64_t ms = time_mono_ms() - rq->rq_start_ms;

	count_request(route, method, rq->rq_status);
	hist_observe(&mt.m_req, (double)(ms < 0 ? 0 : ms) / 1000.0);
	/* On an auth route only authd answers 429: its rate limiter. */
	if (rq->rq_status == 429 && rq->rq_route != NULL &&
	    rq->rq_route->rt_kind == RT_AUTH)
		count_limited(route);
}

void
metrics_authd_done(int st, int64_t usec)
{
	if (st == AUTHC_OK)
		hist_observe(&mt.m_rtt, (double)(usec < 0 ? 0 : usec) / 1e6);
	else if (st == AUTHC_TIMEOUT)
		mt.m_authd_timeouts++;
	else
		mt.m_authd_unavailable++;
}

/* A label value: backslash, double quote and newline escaped. */
static int
add_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"') {
			if (buf_addc(b, '\\') == -1 || buf_addc(b, *v) == -1)
				return -1;
		} else if (*v == '\n') {
			if (buf_addstr(b, "\\n") == -1)
				return -1;
		} else if (buf_addc(b, *v) == -1)
			return -1;
	}
	return 0;
}

static int
add_meta(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* %.17g round-trips a double; Prometheus parses it as Go's ParseFloat. */
static int
add_hist(
    struct buf *b, const char *name, const char *help, const struct mhist *h)
{
	uint64_t cum = 0;
	size_t i;

	if (add_meta(b, name, "histogram", help) == -1)
		return -1;
	for (i = 0; i < h->mh_nb; i++) {
		cum += h->mh_buckets[i];
		if (buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		        h->mh_bounds[i], (unsigned long long)cum) == -1)
			return -1;
	}
	cum += h->mh_buckets[h->mh_nb];
	return buf_printf(b,
	    "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n", name,
	    (unsigned long long)cum, name, h->mh_sum, name,
	    (unsigned long long)h->mh_count);
}

static int
render(struct gw *gw, struct buf *b)
{
	const struct mseries *s;
	int in_use = 0, idle = 0, waiting = 0;
	size_t i;

	if (add_meta(b, "postern_http_requests_total", "counter",
	        "HTTP requests answered, by route template, method and "
	        "status.") == -1)
		return -1;
	for (i = 0; i < mt.m_nseries; i++) {
		s = &mt.m_series[i];
		if (buf_addstr(b, "postern_http_requests_total{route=\"") ==
		        -1 ||
		    add_label(b, s->ms_route) == -1 ||
		    buf_printf(b, "\",method=\"%s\",status=\"%d\"} %llu\n",
		        s->ms_method, s->ms_status,
		        (unsigned long long)s->ms_count) == -1)
			return -1;
	}
	if (add_hist(b, "postern_http_request_duration_seconds",
	        "Time from a request's first byte to its response.",
	        &mt.m_req) == -1 ||
	    add_hist(b, "postern_authd_rtt_seconds",
	        "Round trips to authd that were answered, heartbeats "
	        "included.",
	        &mt.m_rtt) == -1)
		return -1;
	if (add_meta(b, "postern_authd_failures_total", "counter",
	        "Requests to authd that got no answer: timeout (503 after "
	        "ipc_timeout_ms) or unavailable (connection lost).") == -1 ||
	    buf_printf(b,
	        "postern_authd_failures_total{reason=\"timeout\"} %llu\n"
	        "postern_authd_failures_total{reason=\"unavailable\"} %llu\n",
	        (unsigned long long)mt.m_authd_timeouts,
	        (unsigned long long)mt.m_authd_unavailable) == -1)
		return -1;
	if (add_meta(b, "postern_authd_rate_limited_total", "counter",
	        "429 answers of authd's rate limiter, by auth route.") == -1)
		return -1;
	for (i = 0; i < mt.m_nlimited; i++)
		if (buf_addstr(
		        b, "postern_authd_rate_limited_total{route=\"") == -1 ||
		    add_label(b, mt.m_limited[i].ml_route) == -1 ||
		    buf_printf(b, "\"} %llu\n",
		        (unsigned long long)mt.m_limited[i].ml_count) == -1)
			return -1;
	if (add_meta(b, "postern_authd_connected", "gauge",
	        "1 while the gateway is connected to authd.") == -1 ||
	    buf_printf(b, "postern_authd_connected %d\n",
	        authc_connected(gw->gw_authc) ? 1 : 0) == -1)
		return -1;
	db_pool_stats(gw->gw_db, &in_use, &idle, &waiting);
	if (add_meta(b, "postern_db_pool_connections", "gauge",
	        "PostgreSQL pool connections by state.") == -1 ||
	    buf_printf(b,
	        "postern_db_pool_connections{state=\"in_use\"} %d\n"
	        "postern_db_pool_connections{state=\"idle\"} %d\n",
	        in_use, idle) == -1 ||
	    add_meta(b, "postern_db_pool_waiting", "gauge",
	        "Queries waiting for a free pool connection.") == -1 ||
	    buf_printf(b, "postern_db_pool_waiting %d\n", waiting) == -1)
		return -1;
	if (add_meta(b, "postern_verify_cache_entries", "gauge",
	        "Bearer verifications held in the gateway's cache.") == -1 ||
	    buf_printf(b, "postern_verify_cache_entries %zu\n",
	        gw->gw_vcache != NULL ? vcache_count(gw->gw_vcache) : 0) == -1)
		return -1;
	if (add_meta(b, "postern_http_connections", "gauge",
	        "Open client connections.") == -1 ||
	    buf_printf(b, "postern_http_connections %zu\n", gw->gw_nconns) ==
	        -1)
		return -1;
	return 0;
}

void
metrics_handle(struct req *rq)
{
	struct gw *gw = rq->rq_conn->hc_gw;

	/* GET and HEAD only: builtin.c's table checks. */
	buf_reset(&rq->rq_rbody);
	if (render(gw, &rq->rq_rbody) == -1) {
		req_error(rq, 503, "PN900", "out of memory");
		return;
	}
	rq->rq_status = 200;
	rq->rq_ctype = METRICS_CTYPE;
	req_respond(rq);
}
