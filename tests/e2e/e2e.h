/*
 * Helpers shared by the end-to-end tests: they drive a running Postern
 * stack (started by deploy/dev up) over HTTP with libcurl.  The stack is
 * described by the env file deploy/dev writes; its path comes from the
 * environment variable POSTERN_E2E_ENV.
 */
#ifndef POSTERN_TESTS_E2E_H
#define POSTERN_TESTS_E2E_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "common/buf.h"

#define E2E_PATH_MAX 512
#define E2E_HDR_MAX 1024

struct e2e_env {
	char ee_base_url[E2E_PATH_MAX];
	char ee_var[E2E_PATH_MAX];
	char ee_build_dir[E2E_PATH_MAX];
	char ee_conf[E2E_PATH_MAX];
	char ee_authd_pid_file[E2E_PATH_MAX];
	char ee_gateway_pid_file[E2E_PATH_MAX];
	char ee_admin_conninfo[E2E_PATH_MAX]; /* superuser; may be empty */
};

struct e2e_resp {
	long er_status;
	struct buf er_head; /* every header line of the final response */
	struct buf er_body;
	double er_secs;              /* total transfer time */
	struct json_object *er_json; /* body parsed, or NULL */
};

/* A request; unset fields mean "none".  hdrs is NULL-terminated. */
struct e2e_req {
	const char *rq_method;
	const char *rq_path; /* appended to the base URL */
	const char *const *rq_hdrs;
	const char *rq_body;
	size_t rq_bodylen;  /* if 0 and rq_body set, strlen(rq_body) */
	long rq_timeout_ms; /* default 10000 */
};

/*
 * Loads the env file named by POSTERN_E2E_ENV into the process-wide
 * e2e_cf.  Fails the current test (cr_assert) if it cannot.
 */
void e2e_setup(void);
void e2e_teardown(void);
extern struct e2e_env e2e_cf;

/* Performs rq; fills *out (free with e2e_resp_free).  0 or -1. */
int e2e_do(const struct e2e_req *rq, struct e2e_resp *out);
void e2e_resp_free(struct e2e_resp *r);

/*
 * Copies the value of the last header called name (case-insensitive) into
 * out.  Returns 0, or -1 if there is none or it does not fit.
 */
int e2e_header(
    const struct e2e_resp *r, const char *name, char *out, size_t outlen);

/* Shorthands: a JSON POST (Content-Type application/json) and a GET. */
int e2e_post_json(const char *path, const char *body, struct e2e_resp *out);
int e2e_get(const char *path, const char *bearer, struct e2e_resp *out);

/* A fresh, unique, lowercase address like tag-<random>@example.com. */
void e2e_email(char *out, size_t outlen, const char *tag);

/*
 * Signs up email/password; stores the access token in tok (tokcap bytes).
 * Fails the current test if the answer is not 201.
 */
void e2e_signup(
    const char *email, const char *password, char *tok, size_t tokcap);

/*
 * Asserts that r is an error of the given status whose body is exactly the
 * PostgREST shape {"code","message","details","hint"} with a string code
 * and message, and a JSON Content-Type.
 */
void e2e_assert_error(const struct e2e_resp *r, long status);

/* Reads "key = value" from the config file.  0 or -1. */
int e2e_conf_get(const char *key, char *out, size_t outlen);

/* Reads the signing key (key_file in the config).  0 or -1. */
int e2e_read_key(unsigned char *key, size_t cap, size_t *lenp);

/* Reads a pid file; -1 if it is missing or malformed. */
pid_t e2e_read_pid(const char *path);

/* Whether pid names a live (not zombie) process. */
int e2e_pid_alive(pid_t pid);

/*
 * environ without our POSTERN_* variables, for a daemon a test starts
 * itself (the fixture's settings, e.g. its raised rate limits, must not
 * reach it).  The array is the caller's to free; its strings are environ's.
 * Fails the current test if out of memory.
 */
char **e2e_env_clean(void);

/*
 * posix_spawn of bin with argv and envp.  With log, stdin is /dev/null and
 * stdout and stderr are appended to log (created 0600); with log NULL the
 * child inherits them.  The child's pid, or -1 with errno set.
 */
pid_t e2e_spawn(
    const char *bin, char *const argv[], char *const envp[], const char *log);

/*
 * Starts bin --config conf in e2e_env_clean()'s environment, output
 * appended to log.  Fails the current test if it cannot.
 */
pid_t e2e_spawn_daemon(const char *bin, const char *conf, const char *log);

/*
 * Runs deploy/dev with the arguments (NULL-terminated) and the stack's
 * POSTERN_VAR and POSTERN_BUILD_DIR; returns its exit status or -1.
 */
int e2e_dev(const char *const *argv);

/*
 * A request with an optional bearer token and extra header lines
 * (NULL-terminated, may be NULL).  A body is sent as application/json
 * unless hdrs carry their own Content-Type.  0 or -1, as e2e_do.
 */
int e2e_call(const char *method, const char *path, const char *bearer,
    const char *const *hdrs, const char *body, struct e2e_resp *out);

/* The tests' shared assertions (each fails the test with the body). */
/* The body as a string for messages: "(empty)" when there is none. */
const char *e2e_body(const struct e2e_resp *r);
/* e2e_call, failing the test when no answer came. */
void e2e_must_call(const char *method, const char *path, const char *bearer,
    const char *const *hdrs, const char *body, struct e2e_resp *r);
/* Fails the test unless r's status is status. */
void e2e_expect(const struct e2e_resp *r, long status, const char *what);
/* snprintf into out, failing the test when it does not fit. */
void e2e_fmt(char *out, size_t outlen, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
/* The fixture's admin key (its admin_key_file), into out. */
void e2e_admin_key(char *out, size_t outlen);

/*
 * Signs up at the auth group under prefix (e.g. "/auth"); stores the
 * access token in tok and, if idp is not NULL, the new user's id.  Fails
 * the current test if the answer is not 201.
 */
void e2e_signup_at(const char *prefix, const char *email, const char *password,
    char *tok, size_t tokcap, int64_t *idp);

/* 2 * nbytes random lowercase hex digits into out (fails the test). */
void e2e_rand_hex(char *out, size_t outlen, size_t nbytes);

/*
 * Runs SQL (one or more statements) as the cluster's superuser through
 * POSTERN_ADMIN_CONNINFO.  The statement is built with printf: only for
 * identifiers and values the test made up itself, never for input under
 * test.  0, or -1 with the server's message printed to stderr.
 */
int e2e_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * As e2e_sql, for a query with one row of one column: copies its text
 * (empty for NULL) into out.  -1 on any error or another row count.
 */
int e2e_sql_value(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Polls method path (with bearer) until the answer is not 404 (a route
 * published by SQL reaches the gateway by NOTIFY), at most timeout_ms.
 * Returns the last status seen, or -1 if no answer came at all.
 */
long e2e_wait_route(
    const char *method, const char *path, const char *bearer, long timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t e2e_now_ms(void);
void e2e_sleep_ms(long ms);

/* 1 if the daemon log at path holds a sanitizer report (printed to
 * stderr), else 0. */
int e2e_log_has_report(const char *path);
/* 1 if a line of the file at path contains needle. */
int e2e_file_has(const char *path, const char *needle);
/* The same for the part of the file from offset on. */
int e2e_file_has_after(const char *path, off_t offset, const char *needle);
/* A loopback port nothing listens on, below the kernel's ephemeral range
 * (a port in it may be the local end of an outgoing connection, and then a
 * daemon cannot bind it), as deploy/dev picks them. */
int e2e_free_port(void);
/* SIGCONT (it may be stopped), SIGTERM, then SIGKILL after 10 s; reaps the
 * child and sets *pidp to -1.  Nothing if *pidp <= 0. */
void e2e_child_stop(pid_t *pidp);

/*
 * Copies the value of key from the env file named by POSTERN_E2E_ENV
 * (printf %q quoting undone) into out.  0, or -1 if it is missing or does
 * not fit.
 */
int e2e_env_get(const char *key, char *out, size_t outlen);

#endif
