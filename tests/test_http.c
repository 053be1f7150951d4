/*
 * gateway/http.c, the request life cycle, driven over a real socket with
 * the handlers replaced by the stubs below: one response per request, the
 * cancel hook of a wait, a connection dropped under a handler.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <event2/listener.h>

#include "gateway/gateway.h"
#include "gateway/http.h"

/* ---- what the stub handlers saw ---- */

static struct gw gw;
static int respond_rv[2] = {99, 99};
static int hook_calls;
static void *hook_arg;
static uint32_t hook_id;
static int hook_marker;
static int after_drop_ok;

static void
hook(void *arg, uint32_t id)
{
	hook_calls++;
	hook_arg = arg;
	hook_id = id;
}

int
handle_head(struct req *rq)
{
	(void)rq;
	return 1;
}

void
handle_request(struct req *rq)
{
	const char *p = rq->rq_head.hh_path;

	rq->rq_status = 200;
	buf_addstr(&rq->rq_rbody, "{}");
	if (strcmp(p, "/twice") == 0) {
		respond_rv[0] = req_respond(rq);
		rq->rq_status = 500;
		respond_rv[1] = req_respond(rq);
	} else if (strcmp(p, "/error-twice") == 0) {
		respond_rv[0] = req_respond(rq);
		respond_rv[1] = req_error(rq, 503, "PN800", "again");
	} else if (strcmp(p, "/wait") == 0) {
		/* Never answered: freed at exit, waiting. */
		req_wait(rq, RS_DB, hook, &hook_marker, 7);
	} else if (strcmp(p, "/wait-respond") == 0) {
		req_wait(rq, RS_AUTH, hook, &hook_marker, 42);
		respond_rv[0] = req_error(rq, 504, "PN802", "deadline");
	} else if (strcmp(p, "/wait-resume") == 0) {
		req_wait(rq, RS_AUTH, hook, &hook_marker, 9);
		req_resume(rq);
		cr_assert_eq(rq->rq_state, RS_RUN);
		respond_rv[0] = req_respond(rq);
	} else if (strcmp(p, "/drop") == 0) {
		req_wait(rq, RS_DB, hook, &hook_marker, 3);
		req_drop(rq);
		/* The request outlives the drop until we return. */
		respond_rv[0] = req_respond(rq);
		after_drop_ok = rq->rq_conn->hc_dead && hook_calls == 1;
	} else if (strcmp(p, "/method") == 0) {
		if (!req_refuse_method(rq, HTTP_GET_HEAD))
			respond_rv[0] = req_respond(rq);
	} else
		respond_rv[0] = req_respond(rq);
}

void
handle_abort(struct req *rq)
{
	(void)rq;
}

const char *
metrics_route_label(const struct req *rq)
{
	(void)rq;
	return "test";
}

void
metrics_request_done(struct req *rq)
{
	(void)rq;
}

/* ---- harness ---- */

/* A port free now: libevent's address parser refuses port 0. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int
start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&gw, 0, sizeof(gw));
	config_defaults(&gw.gw_cf);
	snprintf(gw.gw_cf.cf_listen, sizeof(gw.gw_cf.cf_listen), "127.0.0.1:%d",
	    free_port());
	TAILQ_INIT(&gw.gw_conns);
	cr_assert_not_null(gw.gw_base = event_base_new());
	cr_assert_eq(http_listen(&gw), 0);
	cr_assert_eq(getsockname(evconnlistener_get_fd(gw.gw_listener),
	                 (struct sockaddr *)&sin, &len),
	    0);
	return ntohs(sin.sin_port);
}

static void
finish(void)
{
	http_close_listener(&gw);
	http_close_all(&gw);
	event_base_free(gw.gw_base);
}

static void
run_ms(long ms)
{
	struct timeval tv = {0, ms * 1000};

	event_base_loopexit(gw.gw_base, &tv);
	event_base_dispatch(gw.gw_base);
}

/* Sends one request to path, runs the loop, returns what came back. */
static int
exchange(const char *method, const char *path, char *out, size_t cap)
{
	struct sockaddr_in sin;
	char req[256];
	int fd, port = start();
	ssize_t n;
	size_t got = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\n\r\n", method,
	    path);
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	run_ms(200);
	while (got + 1 < cap &&
	       (n = recv(fd, out + got, cap - 1 - got, MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	return fd;
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* ---- tests ---- */

Test(http, second_response_refused)
{
	char out[4096];
	int fd = exchange("GET", "/twice", out, sizeof(out));

	cr_assert_eq(respond_rv[0], 0);
	cr_assert_eq(respond_rv[1], -1);
	cr_assert_eq(count(out, "HTTP/1.1 "), 1, "%s", out);
	cr_assert_not_null(strstr(out, "HTTP/1.1 200 OK\r\n"), "%s", out);
	close(fd);
	finish();
}

Test(http, second_error_refused)
{
	char out[4096];
	int fd = exchange("GET", "/error-twice", out, sizeof(out));

	cr_assert_eq(respond_rv[1], -1);
	cr_assert_eq(count(out, "HTTP/1.1 "), 1, "%s", out);
	cr_assert_null(strstr(out, "again"), "%s", out);
	close(fd);
	finish();
}

Test(http, freed_while_waiting_cancels)
{
	char out[4096];
	int fd = exchange("GET", "/wait", out, sizeof(out));

	cr_assert_eq(out[0], '\0', "%s", out);
	cr_assert_eq(hook_calls, 0);
	finish();
	cr_assert_eq(hook_calls, 1);
	cr_assert_eq(hook_arg, &hook_marker);
	cr_assert_eq(hook_id, 7);
	close(fd);
}

Test(http, respond_while_waiting_cancels)
{
	char out[4096];
	int fd = exchange("GET", "/wait-respond", out, sizeof(out));

	cr_assert_eq(respond_rv[0], 0);
	cr_assert_eq(hook_calls, 1);
	cr_assert_eq(hook_id, 42);
	cr_assert_not_null(strstr(out, "HTTP/1.1 504 "), "%s", out);
	finish();
	cr_assert_eq(hook_calls, 1, "the hook ran twice");
	close(fd);
}

Test(http, resume_ends_wait_without_hook)
{
	char out[4096];
	int fd = exchange("GET", "/wait-resume", out, sizeof(out));

	cr_assert_eq(respond_rv[0], 0);
	cr_assert_not_null(strstr(out, "HTTP/1.1 200 "), "%s", out);
	finish();
	cr_assert_eq(hook_calls, 0);
	close(fd);
}

Test(http, drop_frees_from_the_loop)
{
	char out[4096], c;
	int fd = exchange("GET", "/drop", out, sizeof(out));

	/* Dropped: the wait cancelled at once, no response, and the
	 * connection freed once the handler had returned. */
	cr_assert(after_drop_ok);
	cr_assert_eq(respond_rv[0], -1);
	cr_assert_eq(out[0], '\0', "%s", out);
	cr_assert_eq(gw.gw_nconns, 0);
	cr_assert(TAILQ_EMPTY(&gw.gw_dead));
	cr_assert_eq(recv(fd, &c, 1, MSG_DONTWAIT), 0, "not closed");
	cr_assert_eq(hook_calls, 1);
	close(fd);
	finish();
}

Test(http, method_refused_with_allow)
{
	char out[4096];
	int fd = exchange("POST", "/method", out, sizeof(out));

	cr_assert_not_null(strstr(out, "HTTP/1.1 405 "), "%s", out);
	cr_assert_not_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"), "%s", out);
	close(fd);
	finish();
}

Test(http, allow_list)
{
	char s[96];

	cr_assert_eq(http_allow_list(HTTP_GET_HEAD, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "GET, HEAD");
	cr_assert_eq(http_allow_list(0, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "");
	cr_assert_eq(http_allow_list(~0u, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
	/* "GET, HEAD" needs 10 bytes. */
	cr_assert_eq(http_allow_list(HTTP_GET_HEAD, s, 10), 0);
	cr_assert_eq(http_allow_list(HTTP_GET_HEAD, s, 9), -1);
	cr_assert_eq(http_allow_list(HTTP_GET_HEAD, s, 0), -1);
}

static int
json_type(const char *ctype)
{
	struct req rq;
	char head[256];
	const char *why = NULL;
	int status = 0, rv;

	memset(&rq, 0, sizeof(rq));
	snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nHost: t\r\n%s%s%s\r\n",
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "");
	cr_assert_gt(http_head_parse(
	                 head, strlen(head), 4096, &rq.rq_head, &status, &why),
	    0, "%s", why);
	rv = req_type_is_json(&rq);
	http_head_free(&rq.rq_head);
	return rv;
}

Test(http, type_is_json)
{
	cr_assert(json_type("application/json"));
	cr_assert(json_type("Application/JSON"));
	cr_assert(json_type("application/json; charset=utf-8"));
	cr_assert(json_type("application/json ;charset=utf-8"));
	cr_assert_not(json_type(NULL));
	cr_assert_not(json_type(""));
	cr_assert_not(json_type("application/jsonx"));
	cr_assert_not(json_type("application/json-patch+json"));
	cr_assert_not(json_type("text/json"));
	cr_assert_not(json_type("application/jso"));
}
