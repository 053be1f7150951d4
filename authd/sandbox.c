/*
 * authd's seccomp allowlist (libseccomp), installed after the privilege
 * drop and before any thread starts, so every thread inherits it.  The
 * list is what authd was seen to call through the whole end-to-end suite
 * (strace -f), grouped by who needs it; docs/SECURITY.md explains the
 * choices.
 *
 * The default action is EPERM, not a kill: a path the suite never took
 * (a TLS client certificate lookup in libpq, a DNS lookup for a database
 * host name) then fails like any refused call and is logged by its caller,
 * instead of taking logins down.  What an attacker inside authd can do is
 * the same under both: the call does not happen.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include <seccomp.h>

#include "common/log.h"
#include "authd/authd.h"

/* Allowed with any arguments.  One line per group, not one per name. */
/* clang-format off */
static const char *const sandbox_allow[] = {
	/* memory: malloc, Argon2's 19 MiB blocks, thread stacks */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads and their synchronisation */
	"futex", "set_robust_list", "rseq", "exit", "exit_group", "gettid",
	"getpid", "tgkill", "sched_yield", "sched_getaffinity",
	/* signals (libevent's evsignal, glibc's thread set-up) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	/* the event loop and its wake-ups */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll",
	"ppoll", "eventfd2", "pipe2",
	/* descriptors */
	"read", "readv", "write", "writev", "close", "fcntl", "fstat",
	"newfstatat", "lseek",
	/* authd's socket and libpq's connections */
	"accept4", "connect", "getsockopt", "setsockopt", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
	/* libpq and glibc may look at files (certificates, /etc/hosts when the
	 * database is named by host); the uid decides what they may read.  The
	 * log file is reopened on SIGHUP. */
	"openat",
	/* libpq's GSSAPI probe (gssencmode=prefer) reads /etc/gss/mech.d and
	 * asks who we are for the Kerberos keytab path */
	"getdents64", "getuid", "geteuid", "getgid", "getegid",
	/* time and randomness (OpenSSL, Argon2 salts, SCRAM nonces) */
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	"getrandom",
	/* the socket file at exit */
	"unlink",
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer and LeakSanitizer only (the sanitizer build):
	 * LeakSanitizer stops the world at exit from a cloned tracer that
	 * ptraces every thread and reads /proc/self/{maps,task}; the
	 * sanitizer runtime calls the old x86-64 names (open, stat) directly. */
	"sigaltstack", "ptrace", "wait4", "prctl", "readlink", "open", "stat",
	"lstat", "access", "getdents", "getppid", "kill", "sched_getparam",
	"getrlimit", "prlimit64", "setrlimit", "uname", "dup", "dup2", "dup3",
	"pread64", "pipe", "mincore", "clone", "process_vm_readv",
#endif
};
/* clang-format on */

/*
 * Adds the rules that look at arguments: sockets only of the three families
 * authd uses, ioctl only FIONREAD (libevent sizes its reads with it), clone
 * only for threads (no fork, so no exec either), clone3 answered ENOSYS so
 * that glibc falls back to clone, whose flags a filter can read.
 */
static int
sandbox_args(scmp_filter_ctx ctx)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6};
	const scmp_datum_t thread =
	    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		        SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i])) < 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	        SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)FIONREAD)) < 0)
		return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) <
	    0)
		return -1;
#if !defined(__SANITIZE_ADDRESS__)
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	        SCMP_A0(SCMP_CMP_MASKED_EQ, thread, thread)) < 0)
		return -1;
#else
	(void)thread;
#endif
	return 0;
}

size_t
sandbox_count(void)
{
	return sizeof(sandbox_allow) / sizeof(sandbox_allow[0]);
}

int
sandbox_enter(int enable)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, rc, rv = -1;

	if (!enable) {
		log_warnx("seccomp = no: authd runs without its system call "
		          "allowlist");
		return 0;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		log_warnx("%s: seccomp_init failed", __func__);
		return -1;
	}
	/* Any thread that exists already (none should) gets it too. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	for (i = 0; i < sandbox_count(); i++) {
		/* A name this architecture lacks is simply not added. */
		if ((nr = seccomp_syscall_resolve_name(sandbox_allow[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			goto fail;
	}
	if ((rc = sandbox_args(ctx)) < 0 || (rc = seccomp_load(ctx)) < 0)
		goto fail;
	log_info("seccomp allowlist installed (%zu calls, default EPERM)",
	    sandbox_count() + 3);
	rv = 0;
fail:
	if (rv == -1)
		log_warnx(
		    "%s: cannot install the seccomp filter (%d)", __func__, rc);
	seccomp_release(ctx);
	return rv;
}
