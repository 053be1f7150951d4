/*
 * Privileges, read from /proc (docs/SECURITY.md):
 *
 *   - the fixture's authd: seccomp filter installed (Seccomp 2, at least
 *     one filter), NoNewPrivs 1, and when started as root no capability
 *     left in any set (effective, permitted, inheritable, ambient,
 *     bounding);
 *   - the fixture's gateway, started as root: all of Uid/Gid are
 *     gateway_user's, its primary group is its only group, no capability,
 *     NoNewPrivs 1;
 *   - a gateway started as root without gateway_user refuses to start and
 *     names the key;
 *   - authd started without root (as in compose): with socket_group it
 *     makes its socket 0660 for that group, and a gateway running as
 *     gateway_user, a member of that group, serves a signup through it.
 *
 * The first two also hold their non-root parts when the suite does not run
 * as root; the rest need root to change users and are skipped otherwise.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "e2e.h"
#include "hpair.h"

extern char **environ;

/* Daemons a test started; the suite's fini stops them if it failed. */
static pid_t started[2] = {-1, -1};

static void stop_child(pid_t pid);

static void
privs_fini(void)
{
	size_t i;

	for (i = 0; i < sizeof(started) / sizeof(started[0]); i++) {
		stop_child(started[i]);
		started[i] = -1;
	}
	e2e_teardown();
}

TestSuite(privs, .init = e2e_setup, .fini = privs_fini, .timeout = 90);

static void
read_status(pid_t pid, char *out, size_t outlen)
{
	char path[64];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	cr_assert((fp = fopen(path, "r")) != NULL, "cannot read %s", path);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	fclose(fp);
}

/* The text after "key:\t" in a status buffer, up to the line's end. */
static const char *
status_field(const char *status, const char *key, char *out, size_t outlen)
{
	const char *p = status;
	size_t klen = strlen(key), n;

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			break;
	cr_assert(p != NULL && *p != '\0', "no %s in /proc status", key);
	p += klen + 1;
	while (*p == '\t' || *p == ' ')
		p++;
	n = strcspn(p, "\n");
	cr_assert(n < outlen);
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static long
status_num(const char *status, const char *key)
{
	char v[64];

	return strtol(status_field(status, key, v, sizeof(v)), NULL, 10);
}

/* Every capability set is empty (hex masks of zeros). */
static void
assert_no_caps(const char *status, const char *who)
{
	static const char *const sets[] = {
	    "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	char v[64];
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		status_field(status, sets[i], v, sizeof(v));
		cr_assert(strspn(v, "0") == strlen(v) && v[0] != '\0',
		    "%s: %s is %s, want all zero", who, sets[i], v);
	}
}

/* Uid and Gid (real, effective, saved, fs) are user's; Groups only gid. */
static void
assert_ids(const char *status, const struct passwd *pw, const char *who)
{
	char v[256], want[128];

	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
	cr_assert_str_eq(
	    status_field(status, "Uid", v, sizeof(v)), want, "%s: Uid", who);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid,
	    (unsigned)pw->pw_gid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
	cr_assert_str_eq(
	    status_field(status, "Gid", v, sizeof(v)), want, "%s: Gid", who);
	snprintf(want, sizeof(want), "%u", (unsigned)pw->pw_gid);
	status_field(status, "Groups", v, sizeof(v));
	v[strcspn(v, " ")] = '\0';
	cr_assert_str_eq(v, want, "%s: Groups", who);
}

static pid_t
fixture_pid(const char *pidfile, const char *who)
{
	pid_t pid = e2e_read_pid(pidfile);

	cr_assert(pid > 0 && e2e_pid_alive(pid), "%s is not running (%s)", who,
	    pidfile);
	return pid;
}

Test(privs, authd_sandboxed)
{
	char status[8192], v[16];
	pid_t pid = fixture_pid(e2e_cf.ee_authd_pid_file, "authd");

	read_status(pid, status, sizeof(status));
	cr_assert_eq(status_num(status, "NoNewPrivs"), 1);
	if (e2e_conf_get("seccomp", v, sizeof(v)) == 0 && strcmp(v, "0") == 0)
		cr_skip("seccomp = 0 in the stack's config (valgrind run)");
	cr_assert_eq(status_num(status, "Seccomp"), 2,
	    "authd runs without its seccomp filter");
	cr_assert_geq(status_num(status, "Seccomp_filters"), 1);
	if (geteuid() != 0)
		cr_skip("not root: no capabilities to have dropped");
	assert_no_caps(status, "authd");
}

Test(privs, gateway_dropped)
{
	char status[8192], user[128];
	struct passwd *pw;
	pid_t pid = fixture_pid(e2e_cf.ee_gateway_pid_file, "gateway");

	read_status(pid, status, sizeof(status));
	cr_assert_eq(status_num(status, "NoNewPrivs"), 1);
	if (geteuid() != 0)
		cr_skip("not root: the gateway had no privileges to drop");
	cr_assert(e2e_conf_get("gateway_user", user, sizeof(user)) == 0,
	    "the stack runs as root but its config has no gateway_user");
	cr_assert((pw = getpwnam(user)) != NULL, "no user %s", user);
	cr_assert_neq(pw->pw_uid, 0);
	assert_ids(status, pw, "gateway");
	assert_no_caps(status, "gateway");
}

/*
 * Copies the fixture's config without the lines whose key is in drop
 * (NULL-terminated), then appends extra.
 */
static void
conf_copy(const char *path, const char *const *drop, const char *extra)
{
	char line[2048];
	FILE *in, *out;
	size_t i, n;
	int fd, skip;

	cr_assert((in = fopen(e2e_cf.ee_conf, "r")) != NULL);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd != -1 && (out = fdopen(fd, "w")) != NULL);
	while (fgets(line, sizeof(line), in) != NULL) {
		for (skip = 0, i = 0; drop[i] != NULL && !skip; i++) {
			n = strlen(drop[i]);
			skip = strncmp(line, drop[i], n) == 0 &&
			       (line[n] == ' ' || line[n] == '=');
		}
		if (!skip)
			fputs(line, out);
	}
	/* The per-address rate-limit counts are in the database, shared
	 * with the rest of the suite, which runs them up on 127.0.0.1:
	 * raised as for the fixture (tests/e2e/CMakeLists.txt). */
	fprintf(out, "login_limit_per_addr = 100000\n"
	             "signup_limit_per_addr = 100000\n");
	fprintf(out, "%s\n", extra);
	fclose(in);
	cr_assert(fclose(out) == 0);
}

/*
 * Starts build/postern-<name> --config conf with output to log; when pw is
 * not NULL the child first becomes that user, with its primary group and
 * extra_gid (if not -1) as its groups.  No POSTERN_* variable reaches it.
 */
static pid_t
spawn_as(const char *name, const char *conf, const char *log,
    const struct passwd *pw, gid_t extra_gid)
{
	char bin[E2E_PATH_MAX + 32], *argv[4], **envp;
	gid_t groups[2];
	pid_t pid;
	int cap, fd;

	snprintf(bin, sizeof(bin), "%s/postern-%s", e2e_cf.ee_build_dir, name);
	envp = e2e_env_clean();
	argv[0] = bin;
	argv[1] = (char *)(uintptr_t) "--config";
	argv[2] = (char *)(uintptr_t)conf;
	argv[3] = NULL;
	cr_assert((pid = fork()) != -1);
	if (pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) ==
		        -1 ||
		    dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1)
			_exit(126);
		if (pw != NULL) {
			/* As compose's cap_drop: ALL and systemd's empty
			 * CapabilityBoundingSet= do for a non-root start. */
			for (cap = 0; cap < 64; cap++)
				if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) ==
				        -1 &&
				    errno == EINVAL)
					break;
			groups[0] = pw->pw_gid;
			groups[1] = extra_gid;
			if (setgroups(extra_gid == (gid_t)-1 ? 1 : 2, groups) ==
			        -1 ||
			    setgid(pw->pw_gid) == -1 ||
			    setuid(pw->pw_uid) == -1)
				_exit(125);
		}
		execve(bin, argv, envp);
		_exit(127);
	}
	free(envp);
	return pid;
}

static void
stop_child(pid_t pid)
{
	int64_t deadline = e2e_now_ms() + 10000;
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (e2e_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return;
		}
		e2e_sleep_ms(20);
	}
}

Test(privs, gateway_as_root_needs_gateway_user)
{
	static const char *const drop[] = {"listen", "gateway_user", NULL};
	char dir[] = "/tmp/postern-privs.XXXXXX", conf[128], log[128],
	     extra[128];
	int64_t deadline;
	pid_t pid;
	int st;

	if (geteuid() != 0)
		cr_skip("not root");
	cr_assert(mkdtemp(dir) != NULL);
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	snprintf(log, sizeof(log), "%s/gateway.log", dir);
	snprintf(
	    extra, sizeof(extra), "listen = 127.0.0.1:%d", e2e_free_port());
	conf_copy(conf, drop, extra);
	pid = started[1] = spawn_as("gateway", conf, log, NULL, (gid_t)-1);
	deadline = e2e_now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (e2e_now_ms() > deadline) {
			stop_child(pid);
			cr_assert_fail("the gateway ran as root without "
			               "gateway_user");
		}
		e2e_sleep_ms(20);
	}
	started[1] = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	cr_assert(e2e_file_has(log, "set gateway_user"),
	    "the refusal does not name gateway_user (log %s)", log);
	unlink(conf);
	unlink(log);
	rmdir(dir);
}

/* Copies a secret file to dst, owned by uid, mode 0600. */
static void
copy_secret(const char *src, const char *dst, uid_t uid)
{
	char buf[512];
	ssize_t n;
	int in, out;

	cr_assert((in = open(src, O_RDONLY | O_CLOEXEC)) != -1, "%s", src);
	cr_assert((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	               0600)) != -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
	cr_assert(chown(dst, uid, (gid_t)-1) == 0);
}

/*
 * compose runs authd as its own user from the start: no root, no
 * capabilities.  authd (user postern, also in group postern-gw) makes its
 * socket 0660 with group socket_group; the gateway (postern-gw) connects
 * through the group bit and SO_PEERCRED admits its uid.
 */
Test(privs, authd_without_root_shares_its_socket_by_group)
{
	static const char *const drop[] = {"listen", "socket", "key_file",
	    "admin_key_file", "authd_database_password_file",
	    "gateway_database_password_file", "authd_user", "gateway_user",
	    "log_file", NULL};
	char dir[] = "/tmp/postern-privs.XXXXXX", gwdir[64], conf[128],
	     sock[128], alog[128], glog[128], apw[128], gpw[128], extra[2048],
	     src[E2E_PATH_MAX], status[8192], email[128], tok[2048];
	char base[64], saved[E2E_PATH_MAX];
	struct passwd aupw, gwpw, *pw;
	struct stat sb;
	struct group *gr;
	int64_t deadline;
	pid_t authd = -1, gw = -1;
	struct e2e_resp r;
	int port, st;

	if (geteuid() != 0)
		cr_skip("not root: cannot run the daemons as other users");
	cr_assert((pw = getpwnam("postern")) != NULL);
	aupw = *pw;
	cr_assert((pw = getpwnam("postern-gw")) != NULL);
	gwpw = *pw;
	cr_assert((gr = getgrnam("postern-gw")) != NULL,
	    "no group postern-gw (deploy/dev creates it)");

	cr_assert(mkdtemp(dir) != NULL);
	/* authd (postern) makes its socket and key in here. */
	cr_assert(
	    chown(dir, aupw.pw_uid, aupw.pw_gid) == 0 && chmod(dir, 0711) == 0);
	snprintf(gwdir, sizeof(gwdir), "%s/gw", dir);
	cr_assert(mkdir(gwdir, 0700) == 0 &&
	          chown(gwdir, gwpw.pw_uid, gwpw.pw_gid) == 0);
	snprintf(conf, sizeof(conf), "%s/postern.conf", dir);
	snprintf(sock, sizeof(sock), "%s/authd.sock", dir);
	snprintf(alog, sizeof(alog), "%s/authd.log", gwdir);
	snprintf(glog, sizeof(glog), "%s/gateway.log", gwdir);
	snprintf(apw, sizeof(apw), "%s/authd.pw", dir);
	snprintf(gpw, sizeof(gpw), "%s/gateway.pw", gwdir);
	cr_assert(e2e_conf_get(
	              "authd_database_password_file", src, sizeof(src)) == 0);
	copy_secret(src, apw, aupw.pw_uid);
	cr_assert(e2e_conf_get(
	              "gateway_database_password_file", src, sizeof(src)) == 0);
	copy_secret(src, gpw, gwpw.pw_uid);
	port = e2e_free_port();
	snprintf(extra, sizeof(extra),
	    "listen = 127.0.0.1:%d\nsocket = %s\nkey_file = %s/signing.key\n"
	    "admin_key_file = %s/admin.key\n"
	    "authd_database_password_file = %s\n"
	    "gateway_database_password_file = %s\n"
	    "gateway_user = postern-gw\nsocket_group = postern-gw\n",
	    port, sock, dir, gwdir, apw, gpw);
	conf_copy(conf, drop, extra);

	authd = started[0] = spawn_as("authd", conf, alog, &aupw, gr->gr_gid);
	deadline = e2e_now_ms() + 10000;
	while (!e2e_file_has(alog, "listening on")) {
		cr_assert(waitpid(authd, &st, WNOHANG) == 0,
		    "authd exited (log %s)", alog);
		cr_assert(e2e_now_ms() < deadline, "no socket (log %s)", alog);
		e2e_sleep_ms(20);
	}
	cr_assert(stat(sock, &sb) == 0);
	cr_assert_eq(sb.st_uid, aupw.pw_uid);
	cr_assert_eq(sb.st_gid, gr->gr_gid, "socket group %u, want %u",
	    (unsigned)sb.st_gid, (unsigned)gr->gr_gid);
	cr_assert_eq(sb.st_mode & 0777, 0660, "socket mode %o",
	    (unsigned)(sb.st_mode & 0777));

	gw = started[1] = spawn_as("gateway", conf, glog, &gwpw, (gid_t)-1);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	memcpy(saved, e2e_cf.ee_base_url, sizeof(saved));
	snprintf(e2e_cf.ee_base_url, sizeof(e2e_cf.ee_base_url), "%s", base);
	deadline = e2e_now_ms() + 20000;
	for (;;) {
		st = -1;
		if (e2e_call("GET", "/readyz", NULL, NULL, NULL, &r) == 0)
			st = (int)r.er_status;
		e2e_resp_free(&r);
		if (st == 200)
			break;
		cr_assert(e2e_now_ms() < deadline, "gateway not ready (log %s)",
		    glog);
		e2e_sleep_ms(50);
	}
	/* A signup goes through authd: the socket admitted the gateway. */
	e2e_email(email, sizeof(email), "privs");
	e2e_rand_hex(tok, 64, 12);
	snprintf(extra, sizeof(extra), "pw-%.60s", tok);
	e2e_signup(email, extra, tok, sizeof(tok));
	cr_assert(tok[0] != '\0');

	/* Its groups are postern's and postern-gw: only the uid is checked. */
	read_status(authd, status, sizeof(status));
	snprintf(email, sizeof(email), "%u\t%u\t%u\t%u", (unsigned)aupw.pw_uid,
	    (unsigned)aupw.pw_uid, (unsigned)aupw.pw_uid,
	    (unsigned)aupw.pw_uid);
	cr_assert_str_eq(status_field(status, "Uid", src, sizeof(src)), email);
	assert_no_caps(status, "authd");
	cr_assert_eq(status_num(status, "Seccomp"), 2);
	cr_assert_eq(status_num(status, "NoNewPrivs"), 1);

	memcpy(e2e_cf.ee_base_url, saved, sizeof(saved));
	stop_child(gw);
	stop_child(authd);
	started[0] = started[1] = -1;
	cr_assert(!e2e_file_has(alog, "ERROR: AddressSanitizer") &&
	          !e2e_file_has(glog, "ERROR: AddressSanitizer"));
	unlink(conf);
	unlink(apw);
	unlink(gpw);
	unlink(alog);
	unlink(glog);
	(void)unlink(sock);
	snprintf(src, sizeof(src), "%s/signing.key", dir);
	unlink(src);
	snprintf(src, sizeof(src), "%s/admin.key", gwdir);
	unlink(src);
	rmdir(gwdir);
	rmdir(dir);
}
