/*
 * Dropping root, in the fixed order of OpenBSD's proc_run and OpenSSH's
 * permanently_set_uid: bounding set, groups, gid, uid; then prove root
 * cannot come back and no capability is left; then no new privileges.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privdrop.h"

int
privdrop_uid(const char *user, uid_t *uid)
{
	struct passwd *pw;
	char *end;
	unsigned long v;

	if ((pw = getpwnam(user)) != NULL) {
		*uid = pw->pw_uid;
		return 0;
	}
	errno = 0;
	v = strtoul(user, &end, 10);
	if (user[0] >= '0' && user[0] <= '9' && errno == 0 && *end == '\0' &&
	    v < (uid_t)-1) {
		*uid = (uid_t)v;
		return 0;
	}
	return -1;
}

/*
 * Empties the bounding set while we still hold CAP_SETPCAP: after it, not
 * even an exec of a set-uid or file-capability binary can bring a
 * capability back.  Capabilities the running kernel does not know answer
 * EINVAL, which ends the walk.
 */
static int
drop_bounding_set(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;
			log_warn("%s: PR_CAPBSET_READ %d", __func__, cap);
			return -1;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			log_warn("%s: PR_CAPBSET_DROP %d", __func__, cap);
			return -1;
		}
	}
	return 0;
}

int
privdrop_no_caps(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	int cap, i;

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_warn("%s: capget", __func__);
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0) {
			log_warnx("%s: capabilities left (set %d: eff %#x, "
			          "prm %#x, inh %#x)",
			    __func__, i, data[i].effective, data[i].permitted,
			    data[i].inheritable);
			return -1;
		}
	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
			log_warnx("%s: capability %d still in the bounding set",
			    __func__, cap);
			return -1;
		}
	}
	return 0;
}

static int
drop_to(const char *user, const char *key)
{
	struct passwd *pw;
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;

	if ((pw = getpwnam(user)) == NULL &&
	    (privdrop_uid(user, &uid) == -1 || (pw = getpwuid(uid)) == NULL)) {
		log_warnx(
		    "%s: no such user \"%s\" (set %s)", __func__, user, key);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0 || gid == 0) {
		log_warnx(
		    "%s: %s must not be root or in group 0", __func__, key);
		return -1;
	}
	if (drop_bounding_set() == -1)
		return -1;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		log_warn("%s: cannot drop to %s", __func__, user);
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
		log_warnx("%s: regained root after dropping", __func__);
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 || ruid != uid ||
	    euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid) {
		log_warnx("%s: ids did not stick", __func__);
		return -1;
	}
	/* setresuid from 0 clears the effective and permitted sets (no
	 * SECBIT_KEEP_CAPS); prove it rather than trust it. */
	if (privdrop_no_caps() == -1)
		return -1;
	log_info("dropped privileges to %s (uid %u, gid %u)", user,
	    (unsigned)uid, (unsigned)gid);
	return 0;
}

int
privdrop(const char *user, const char *key, int flags)
{
	if (geteuid() == 0) {
		if (user[0] == '\0') {
			log_warnx("%s: started as root but %s is not set",
			    __func__, key);
			return -1;
		}
		if (drop_to(user, key) == -1)
			return -1;
	} else
		log_info("not started as root: running as uid %u",
		    (unsigned)geteuid());
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("%s: PR_SET_NO_NEW_PRIVS", __func__);
		return -1;
	}
	if ((flags & PRIVDROP_NODUMP) &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("%s: PR_SET_DUMPABLE", __func__);
		return -1;
	}
	return 0;
}
