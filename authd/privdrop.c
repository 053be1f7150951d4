/*
 * Dropping root, in the fixed order of OpenBSD's proc_run and OpenSSH's
 * permanently_set_uid: groups, gid, uid; then prove root cannot come back;
 * then no new privileges.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "common/log.h"
#include "authd/authd.h"

int
privdrop(const char *user)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (geteuid() == 0) {
		if ((pw = getpwnam(user)) == NULL) {
			log_warnx("%s: no such user \"%s\" (set authd_user)",
			    __func__, user);
			return -1;
		}
		if (pw->pw_uid == 0) {
			log_warnx("%s: authd_user must not be root", __func__);
			return -1;
		}
		if (setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
			log_warn("%s: cannot drop to %s", __func__, user);
			return -1;
		}
		if (setuid(0) != -1 || seteuid(0) != -1) {
			log_warnx("%s: regained root after dropping", __func__);
			return -1;
		}
		if (getresuid(&ruid, &euid, &suid) == -1 ||
		    getresgid(&rgid, &egid, &sgid) == -1 ||
		    ruid != pw->pw_uid || euid != pw->pw_uid ||
		    suid != pw->pw_uid || rgid != pw->pw_gid ||
		    egid != pw->pw_gid || sgid != pw->pw_gid) {
			log_warnx("%s: ids did not stick", __func__);
			return -1;
		}
		log_info("dropped privileges to %s (uid %u, gid %u)", user,
		    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	} else
		log_info("not started as root: running as uid %u",
		    (unsigned)geteuid());
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: PR_SET_NO_NEW_PRIVS", __func__);
		return -1;
	}
	/* No core dumps and no ptrace by the same uid: the key is in memory. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("%s: PR_SET_DUMPABLE", __func__);
		return -1;
	}
	return 0;
}
