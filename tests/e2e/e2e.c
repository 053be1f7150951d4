/*
 * Shared helpers of the end-to-end tests; see e2e.h.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "e2e.h"

#ifndef POSTERN_SOURCE_DIR
#error "POSTERN_SOURCE_DIR must be defined by the build"
#endif

extern char **environ;

struct e2e_env e2e_cf;

/*
 * Copies a value written by bash's printf %q into out, undoing the
 * backslash escapes it uses for spaces and shell metacharacters.
 */
static int
unquote(const char *v, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *v != '\0' && *v != '\n'; v++) {
		if (*v == '\\' && v[1] != '\0')
			v++;
		if (n + 1 >= outlen)
			return -1;
		out[n++] = *v;
	}
	out[n] = '\0';
	return 0;
}

static int
env_load(const char *path, struct e2e_env *env)
{
	static const struct {
		const char *k;
		size_t off;
	} keys[] = {
	    {"POSTERN_BASE_URL", offsetof(struct e2e_env, ee_base_url)},
	    {"POSTERN_VAR", offsetof(struct e2e_env, ee_var)},
	    {"POSTERN_BUILD_DIR", offsetof(struct e2e_env, ee_build_dir)},
	    {"POSTERN_CONF", offsetof(struct e2e_env, ee_conf)},
	    {"POSTERN_AUTHD_PID_FILE",
	        offsetof(struct e2e_env, ee_authd_pid_file)},
	    {"POSTERN_GATEWAY_PID_FILE",
	        offsetof(struct e2e_env, ee_gateway_pid_file)},
	    {"POSTERN_ADMIN_CONNINFO",
	        offsetof(struct e2e_env, ee_admin_conninfo)},
	};
	FILE *fp = NULL;
	char line[2048], *eq;
	size_t i, klen;
	int rv = -1;

	memset(env, 0, sizeof(*env));
	if ((fp = fopen(path, "r")) == NULL)
		goto fail;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		klen = (size_t)(eq - line);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strlen(keys[i].k) != klen ||
			    strncmp(line, keys[i].k, klen) != 0)
				continue;
			if (unquote(eq + 1, (char *)env + keys[i].off,
			        E2E_PATH_MAX) == -1)
				goto fail;
		}
	}
	if (env->ee_base_url[0] == '\0' || env->ee_conf[0] == '\0')
		goto fail;
	rv = 0;
fail:
	if (fp != NULL)
		fclose(fp);
	return rv;
}

void
e2e_setup(void)
{
	const char *path = getenv("POSTERN_E2E_ENV");

	cr_assert(path != NULL && path[0] != '\0',
	    "POSTERN_E2E_ENV must name the env file of deploy/dev up");
	cr_assert(env_load(path, &e2e_cf) == 0,
	    "cannot read POSTERN_BASE_URL and POSTERN_CONF from %s", path);
	cr_assert(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

void
e2e_teardown(void)
{
	curl_global_cleanup();
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) == -1)
		return 0;
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	/* A new status line starts a new response (after 100 Continue). */
	if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		buf_reset(b);
	if (buf_add(b, p, size * n) == -1)
		return 0;
	return size * n;
}

int
e2e_do(const struct e2e_req *rq, struct e2e_resp *out)
{
	CURL *c = NULL;
	struct curl_slist *hl = NULL, *t;
	struct buf url;
	size_t i, bodylen;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	buf_init(&out->er_head);
	buf_init(&out->er_body);
	buf_init(&url);
	if (buf_printf(&url, "%s%s", e2e_cf.ee_base_url, rq->rq_path) == -1)
		goto fail;
	if ((c = curl_easy_init()) == NULL)
		goto fail;
	/* curl adds "Expect: 100-continue" to big bodies; we test the server.
	 */
	if ((hl = curl_slist_append(NULL, "Expect:")) == NULL)
		goto fail;
	for (i = 0; rq->rq_hdrs != NULL && rq->rq_hdrs[i] != NULL; i++) {
		if ((t = curl_slist_append(hl, rq->rq_hdrs[i])) == NULL)
			goto fail;
		hl = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, url.b_data);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    rq->rq_timeout_ms > 0 ? rq->rq_timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->er_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->er_head);
	if (rq->rq_body != NULL) {
		bodylen =
		    rq->rq_bodylen != 0 ? rq->rq_bodylen : strlen(rq->rq_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->rq_body);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
	}
	if (rq->rq_method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->rq_method);
	if (curl_easy_perform(c) != CURLE_OK)
		goto fail;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->er_status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->er_secs);
	if (out->er_body.b_len > 0)
		out->er_json = json_tokener_parse(out->er_body.b_data);
	rv = 0;
fail:
	curl_slist_free_all(hl);
	if (c != NULL)
		curl_easy_cleanup(c);
	buf_free(&url);
	return rv;
}

void
e2e_resp_free(struct e2e_resp *r)
{
	buf_free(&r->er_head);
	buf_free(&r->er_body);
	if (r->er_json != NULL)
		json_object_put(r->er_json);
	r->er_json = NULL;
}

int
e2e_header(const struct e2e_resp *r, const char *name, char *out, size_t outlen)
{
	const char *p, *end, *eol, *v;
	size_t nlen = strlen(name), vlen;
	int found = 0;

	if (r->er_head.b_data == NULL)
		return -1;
	p = r->er_head.b_data;
	end = p + r->er_head.b_len;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) <= nlen || p[nlen] != ':' ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		v = p + nlen + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(eol - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen >= outlen)
			return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		found = 1;
	}
	return found ? 0 : -1;
}

int
e2e_post_json(const char *path, const char *body, struct e2e_resp *out)
{
	static const char *const hdrs[] = {
	    "Content-Type: application/json", NULL};
	struct e2e_req rq = {.rq_method = "POST",
	    .rq_path = path,
	    .rq_hdrs = hdrs,
	    .rq_body = body};

	return e2e_do(&rq, out);
}

int
e2e_get(const char *path, const char *bearer, struct e2e_resp *out)
{
	struct e2e_req rq = {.rq_path = path};
	const char *hdrs[2] = {NULL, NULL};
	struct buf h;
	int rv;

	buf_init(&h);
	if (bearer != NULL) {
		if (buf_printf(&h, "Authorization: Bearer %s", bearer) == -1)
			return -1;
		hdrs[0] = h.b_data;
		rq.rq_hdrs = hdrs;
	}
	rv = e2e_do(&rq, out);
	buf_free(&h);
	return rv;
}

void
e2e_email(char *out, size_t outlen, const char *tag)
{
	unsigned char r[8];
	int n;

	cr_assert(RAND_bytes(r, sizeof(r)) == 1);
	n = snprintf(out, outlen,
	    "%s-%02x%02x%02x%02x%02x%02x%02x%02x@example.com", tag, r[0], r[1],
	    r[2], r[3], r[4], r[5], r[6], r[7]);
	cr_assert(n > 0 && (size_t)n < outlen);
}

void
e2e_signup(const char *email, const char *password, char *tok, size_t tokcap)
{
	struct e2e_resp r;
	struct json_object *at;
	struct buf body;
	const char *s;

	buf_init(&body);
	cr_assert(buf_printf(&body, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, password) == 0);
	cr_assert(e2e_post_json("/auth/signup", body.b_data, &r) == 0,
	    "signup: no answer");
	cr_assert_eq(r.er_status, 201, "signup %s: %ld %s", email, r.er_status,
	    r.er_body.b_data ? r.er_body.b_data : "");
	cr_assert(r.er_json != NULL &&
	          json_object_object_get_ex(r.er_json, "access_token", &at) &&
	          json_object_is_type(at, json_type_string));
	s = json_object_get_string(at);
	cr_assert(strlen(s) < tokcap);
	memcpy(tok, s, strlen(s) + 1);
	e2e_resp_free(&r);
	buf_free(&body);
}

void
e2e_assert_error(const struct e2e_resp *r, long status)
{
	struct json_object *v;
	char ct[E2E_HDR_MAX];
	const char *body = r->er_body.b_data ? r->er_body.b_data : "(empty)";

	cr_assert_eq(r->er_status, status, "expected %ld, got %ld: %s", status,
	    r->er_status, body);
	cr_assert(e2e_header(r, "Content-Type", ct, sizeof(ct)) == 0 &&
	              strncasecmp(ct, "application/json", 16) == 0,
	    "error %ld without a JSON Content-Type", status);
	cr_assert(
	    e2e_header(r, "X-Request-Id", ct, sizeof(ct)) == 0 && ct[0] != '\0',
	    "error %ld without X-Request-Id", status);
	cr_assert(r->er_json != NULL &&
	              json_object_is_type(r->er_json, json_type_object),
	    "error body is not a JSON object: %s", body);
	cr_assert_eq(json_object_object_length(r->er_json), 4,
	    "error body must have exactly code/message/details/hint: %s", body);
	cr_assert(json_object_object_get_ex(r->er_json, "code", &v) &&
	              json_object_is_type(v, json_type_string) &&
	              json_object_get_string_len(v) > 0,
	    "no string code: %s", body);
	cr_assert(json_object_object_get_ex(r->er_json, "message", &v) &&
	              json_object_is_type(v, json_type_string) &&
	              json_object_get_string_len(v) > 0,
	    "no string message: %s", body);
	cr_assert(json_object_object_get_ex(r->er_json, "details", NULL),
	    "no details: %s", body);
	cr_assert(json_object_object_get_ex(r->er_json, "hint", NULL),
	    "no hint: %s", body);
}

int
e2e_conf_get(const char *key, char *out, size_t outlen)
{
	FILE *fp;
	char line[2048], *p, *v, *e;
	size_t klen = strlen(key);
	int rv = -1;

	if ((fp = fopen(e2e_cf.ee_conf, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, key, klen) != 0)
			continue;
		v = p + klen;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && isspace((unsigned char)e[-1]))
			e--;
		if ((size_t)(e - v) >= outlen)
			continue;
		memcpy(out, v, (size_t)(e - v));
		out[e - v] = '\0';
		rv = 0; /* the last one wins, as in the daemons */
	}
	fclose(fp);
	return rv;
}

int
e2e_read_key(unsigned char *key, size_t cap, size_t *lenp)
{
	char path[E2E_PATH_MAX];
	ssize_t n;
	size_t len = 0;
	int fd, rv = -1;

	if (e2e_conf_get("key_file", path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (len == cap)
			goto fail; /* larger than we expect a key to be */
		n = read(fd, key + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		goto fail;
	*lenp = len;
	rv = 0;
fail:
	close(fd);
	return rv;
}

pid_t
e2e_read_pid(const char *path)
{
	FILE *fp;
	long v;
	pid_t pid = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(fp, "%ld", &v) == 1 && v > 1 && v < 1L << 30)
		pid = (pid_t)v;
	fclose(fp);
	return pid;
}

/* Threads of pid still listed in /proc (the zombie main thread counts). */
static int
e2e_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
e2e_pid_alive(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *fp;
	int alive = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	/* The state follows the last ')' (comm may itself hold one). */
	if (fgets(line, sizeof(line), fp) != NULL &&
	    (p = strrchr(line, ')')) != NULL && p[1] == ' ')
		alive = p[2] != 'Z' && p[2] != 'X';
	fclose(fp);
	/*
	 * A killed multi-threaded process shows its main thread as a zombie
	 * while the other threads are still exiting, and they still hold its
	 * file descriptors (a peer sees its sockets close only after the last
	 * one).  It is down when no thread is left.
	 */
	if (!alive)
		alive = e2e_threads(pid) > 1;
	return alive;
}

char **
e2e_env_clean(void)
{
	char **envp;
	size_t i, j = 0, n = 0;

	while (environ[n] != NULL)
		n++;
	cr_assert((envp = calloc(n + 1, sizeof(*envp))) != NULL);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "POSTERN_", 8) != 0)
			envp[j++] = environ[i];
	envp[j] = NULL;
	return envp;
}

pid_t
e2e_spawn(
    const char *bin, char *const argv[], char *const envp[], const char *log)
{
	posix_spawn_file_actions_t fa, *fap = NULL;
	pid_t pid;
	int r;

	if (log != NULL) {
		if ((r = posix_spawn_file_actions_init(&fa)) != 0)
			goto fail;
		fap = &fa;
		if ((r = posix_spawn_file_actions_addopen(
		         &fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
		    (r = posix_spawn_file_actions_addopen(&fa, 1, log,
		         O_WRONLY | O_CREAT | O_APPEND, 0600)) != 0 ||
		    (r = posix_spawn_file_actions_adddup2(&fa, 1, 2)) != 0)
			goto fail;
	}
	if ((r = posix_spawn(&pid, bin, fap, NULL, argv, envp)) != 0)
		goto fail;
	if (fap != NULL)
		posix_spawn_file_actions_destroy(fap);
	return pid;
fail:
	if (fap != NULL)
		posix_spawn_file_actions_destroy(fap);
	errno = r;
	return -1;
}

pid_t
e2e_spawn_daemon(const char *bin, const char *conf, const char *log)
{
	char *argv[4], **envp;
	pid_t pid;

	cr_assert(access(bin, X_OK) == 0, "%s is not executable", bin);
	envp = e2e_env_clean();
	argv[0] = (char *)(uintptr_t)bin;
	argv[1] = (char *)(uintptr_t) "--config";
	argv[2] = (char *)(uintptr_t)conf;
	argv[3] = NULL;
	pid = e2e_spawn(bin, argv, envp, log);
	free(envp);
	cr_assert(pid != -1, "cannot start %s: %s", bin, strerror(errno));
	return pid;
}

int
e2e_dev(const char *const *argv)
{
	char *args[8], var[E2E_PATH_MAX + 16], bld[E2E_PATH_MAX + 24];
	char **envp = NULL;
	size_t i, n = 0, j = 0;
	pid_t pid;
	int st, rv = -1;

	args[0] = (char *)(uintptr_t)POSTERN_SOURCE_DIR "/deploy/dev";
	for (i = 0; argv[i] != NULL && i + 2 < sizeof(args) / sizeof(args[0]);
	     i++)
		args[i + 1] = (char *)(uintptr_t)argv[i];
	args[i + 1] = NULL;
	snprintf(var, sizeof(var), "POSTERN_VAR=%s", e2e_cf.ee_var);
	snprintf(bld, sizeof(bld), "POSTERN_BUILD_DIR=%s", e2e_cf.ee_build_dir);
	while (environ[n] != NULL)
		n++;
	if ((envp = calloc(n + 3, sizeof(*envp))) == NULL)
		return -1;
	/* Ours replace any inherited ones: they name this stack. */
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "POSTERN_VAR=", 12) == 0 ||
		    strncmp(environ[i], "POSTERN_BUILD_DIR=", 18) == 0)
			continue;
		envp[j++] = environ[i];
	}
	envp[j++] = var;
	envp[j++] = bld;
	envp[j] = NULL;
	if ((pid = e2e_spawn(args[0], args, envp, NULL)) == -1)
		goto fail;
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR)
			goto fail;
	}
	rv = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
fail:
	free(envp);
	return rv;
}

int
e2e_call(const char *method, const char *path, const char *bearer,
    const char *const *hdrs, const char *body, struct e2e_resp *out)
{
	struct e2e_req rq = {
	    .rq_method = method, .rq_path = path, .rq_body = body};
	const char *all[34];
	struct buf auth;
	size_t i, n = 0;
	int has_ct = 0, rv = -1;

	buf_init(&auth);
	memset(out, 0, sizeof(*out));
	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++) {
		if (n + 3 >= sizeof(all) / sizeof(all[0]))
			goto fail;
		if (strncasecmp(hdrs[i], "Content-Type:", 13) == 0)
			has_ct = 1;
		all[n++] = hdrs[i];
	}
	if (bearer != NULL) {
		if (buf_printf(&auth, "Authorization: Bearer %s", bearer) == -1)
			goto fail;
		all[n++] = auth.b_data;
	}
	if (body != NULL && !has_ct)
		all[n++] = "Content-Type: application/json";
	all[n] = NULL;
	rq.rq_hdrs = all;
	rv = e2e_do(&rq, out);
fail:
	buf_free(&auth);
	return rv;
}

void
e2e_signup_at(const char *prefix, const char *email, const char *password,
    char *tok, size_t tokcap, int64_t *idp)
{
	struct e2e_resp r;
	struct json_object *at, *u, *id;
	struct buf body, path;
	const char *s;

	buf_init(&body);
	buf_init(&path);
	cr_assert(buf_printf(&body, "{\"email\":\"%s\",\"password\":\"%s\"}",
	              email, password) == 0);
	cr_assert(buf_printf(&path, "%s/signup", prefix) == 0);
	cr_assert(e2e_post_json(path.b_data, body.b_data, &r) == 0,
	    "signup at %s: no answer", prefix);
	cr_assert_eq(r.er_status, 201, "signup %s at %s: %ld %s", email, prefix,
	    r.er_status, r.er_body.b_data ? r.er_body.b_data : "");
	cr_assert(r.er_json != NULL &&
	          json_object_object_get_ex(r.er_json, "access_token", &at) &&
	          json_object_is_type(at, json_type_string));
	s = json_object_get_string(at);
	cr_assert(strlen(s) < tokcap);
	memcpy(tok, s, strlen(s) + 1);
	if (idp != NULL) {
		cr_assert(json_object_object_get_ex(r.er_json, "user", &u) &&
		              json_object_object_get_ex(u, "id", &id) &&
		              json_object_is_type(id, json_type_int),
		    "signup answer without user.id: %s", r.er_body.b_data);
		*idp = json_object_get_int64(id);
	}
	e2e_resp_free(&r);
	buf_free(&body);
	buf_free(&path);
}

void
e2e_rand_hex(char *out, size_t outlen, size_t nbytes)
{
	unsigned char r[32];
	size_t i;

	cr_assert(nbytes <= sizeof(r) && outlen > 2 * nbytes);
	cr_assert(RAND_bytes(r, (int)nbytes) == 1);
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	out[2 * nbytes] = '\0';
}

/* Formats into a fresh string (free it), or NULL. */
static char *
vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/*
 * Runs sql on a fresh admin connection; *resp gets the result of the last
 * statement (PQclear it) if it succeeded.
 */
static int
sql_run(const char *sql, PGresult **resp)
{
	PGconn *conn = NULL;
	PGresult *res = NULL;
	ExecStatusType st;
	int rv = -1;

	*resp = NULL;
	if (sql == NULL || e2e_cf.ee_admin_conninfo[0] == '\0')
		goto fail;
	conn = PQconnectdb(e2e_cf.ee_admin_conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "e2e_sql: %s", PQerrorMessage(conn));
		goto fail;
	}
	res = PQexec(conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "e2e_sql: %s: %s", sql, PQerrorMessage(conn));
		goto fail;
	}
	*resp = res;
	res = NULL;
	rv = 0;
fail:
	PQclear(res);
	PQfinish(conn);
	return rv;
}

int
e2e_sql(const char *fmt, ...)
{
	PGresult *res;
	va_list ap;
	char *sql;
	int rv;

	va_start(ap, fmt);
	sql = vformat(fmt, ap);
	va_end(ap);
	rv = sql_run(sql, &res);
	PQclear(res);
	free(sql);
	return rv;
}

int
e2e_sql_value(char *out, size_t outlen, const char *fmt, ...)
{
	PGresult *res = NULL;
	va_list ap;
	char *sql;
	const char *v;
	int rv = -1;

	va_start(ap, fmt);
	sql = vformat(fmt, ap);
	va_end(ap);
	if (sql_run(sql, &res) == -1)
		goto fail;
	if (PQntuples(res) != 1 || PQnfields(res) != 1)
		goto fail;
	v = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
	if (strlen(v) >= outlen)
		goto fail;
	memcpy(out, v, strlen(v) + 1);
	rv = 0;
fail:
	PQclear(res);
	free(sql);
	return rv;
}

long
e2e_wait_route(
    const char *method, const char *path, const char *bearer, long timeout_ms)
{
	struct e2e_resp r;
	int64_t deadline = e2e_now_ms() + timeout_ms;
	long status = -1;

	for (;;) {
		if (e2e_call(method, path, bearer, NULL, NULL, &r) == 0)
			status = r.er_status;
		e2e_resp_free(&r);
		if (status != -1 && status != 404)
			break;
		if (e2e_now_ms() >= deadline)
			break;
		e2e_sleep_ms(25);
	}
	return status;
}

int64_t
e2e_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
e2e_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* 1 if the file holds a sanitizer report (printed to stderr), else 0. */
int
e2e_log_has_report(const char *path)
{
	static const char *const marks[] = {"ERROR: AddressSanitizer",
	    "ERROR: LeakSanitizer",
	    "runtime error:", "Sanitizer has encountered a fatal error"};
	char line[4096];
	FILE *fp;
	size_t i;
	int found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (strstr(line, marks[i]) != NULL) {
				fprintf(stderr, "%s: %s", path, line);
				found = 1;
			}
	fclose(fp);
	return found;
}

/* 1 if a line of the file contains needle. */
int
e2e_file_has(const char *path, const char *needle)
{
	return e2e_file_has_after(path, 0, needle);
}

int
e2e_file_has_after(const char *path, off_t offset, const char *needle)
{
	char line[4096];
	FILE *fp;
	int found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fseeko(fp, offset, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), fp) != NULL)
			found = strstr(line, needle) != NULL;
	fclose(fp);
	return found;
}

int
e2e_free_port(void)
{
	struct sockaddr_in sin;
	unsigned char r[2];
	int lo = 32768, hi = 60999, base, span, i, p, fd, rc;
	FILE *fp;

	if ((fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) !=
	    NULL) {
		if (fscanf(fp, "%d %d", &lo, &hi) != 2) {
			lo = 32768;
			hi = 60999;
		}
		fclose(fp);
	}
	if (lo > 11024) {
		base = 10000;
		span = lo - 10000;
	} else {
		base = hi + 1;
		span = 65536 - base;
	}
	cr_assert(span > 0, "no port outside the ephemeral range");
	for (i = 0; i < 100; i++) {
		cr_assert(RAND_bytes(r, sizeof(r)) == 1);
		p = base + ((r[0] << 8) | r[1]) % span;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)p);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert((fd = socket(
		               AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1);
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		close(fd);
		if (rc == -1 && errno == ECONNREFUSED)
			return p;
	}
	cr_assert_fail("no free port on 127.0.0.1");
	return -1;
}

/* SIGCONT (it may be stopped), SIGTERM, then SIGKILL after 10 s; reaps. */
void
e2e_child_stop(pid_t *pidp)
{
	int64_t deadline;
	pid_t pid = *pidp;
	int st;

	if (pid <= 0)
		return;
	*pidp = -1;
	kill(pid, SIGCONT);
	kill(pid, SIGTERM);
	deadline = e2e_now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (e2e_now_ms() >= deadline) {
			fprintf(stderr, "e2e: pid %ld ignored SIGTERM\n",
			    (long)pid);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
			return;
		}
		e2e_sleep_ms(20);
	}
}

int
e2e_env_get(const char *key, char *out, size_t outlen)
{
	const char *path = getenv("POSTERN_E2E_ENV");
	char line[8192], *eq;
	size_t klen = strlen(key);
	FILE *fp;
	int rv = -1;

	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((eq = strchr(line, '=')) == NULL ||
		    (size_t)(eq - line) != klen ||
		    strncmp(line, key, klen) != 0)
			continue;
		rv = unquote(eq + 1, out, outlen); /* the last one wins */
	}
	fclose(fp);
	return rv;
}

const char *
e2e_body(const struct e2e_resp *r)
{
	return r->er_body.b_data != NULL ? r->er_body.b_data : "(empty)";
}

void
e2e_must_call(const char *method, const char *path, const char *bearer,
    const char *const *hdrs, const char *body, struct e2e_resp *r)
{
	cr_assert(e2e_call(method, path, bearer, hdrs, body, r) == 0,
	    "%s %s: no answer", method, path);
}

void
e2e_expect(const struct e2e_resp *r, long status, const char *what)
{
	cr_assert_eq(r->er_status, status, "%s: expected %ld, got %ld: %s",
	    what, status, r->er_status, e2e_body(r));
}

void
e2e_fmt(char *out, size_t outlen, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, outlen, f, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < outlen, "e2e_fmt: %s does not fit", f);
}

void
e2e_admin_key(char *out, size_t outlen)
{
	char path[E2E_PATH_MAX];
	FILE *fp;
	size_t n;

	cr_assert(e2e_conf_get("admin_key_file", path, sizeof(path)) == 0,
	    "no admin_key_file in %s", e2e_cf.ee_conf);
	cr_assert((fp = fopen(path, "r")) != NULL, "cannot read %s", path);
	n = fread(out, 1, outlen - 1, fp);
	fclose(fp);
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
}
