/*
 * Dropping root for good, shared by both daemons.  The order is OpenBSD's
 * proc_run and OpenSSH's permanently_set_uid: the caller has already opened
 * what needs root and read its secrets; then the capability bounding set is
 * emptied, then groups, gid, uid; then we prove root cannot come back.
 */
#ifndef POSTERN_COMMON_PRIVDROP_H
#define POSTERN_COMMON_PRIVDROP_H

#include <sys/types.h>

/* privdrop() flags. */
#define PRIVDROP_NODUMP                                                        \
	0x1 /* PR_SET_DUMPABLE 0: no core, no same-uid ptrace                  \
	     */

/*
 * When the effective uid is 0: drops every capability from the bounding
 * set, switches to user (a name, or a numeric uid that has a passwd entry)
 * with that user's primary group as the only group, checks that setuid(0)
 * fails, that all ids stuck and that no capability is left (effective,
 * permitted, inheritable, bounding).  key names the config key for the
 * messages ("authd_user").  In every case then sets PR_SET_NO_NEW_PRIVS
 * (and with PRIVDROP_NODUMP, PR_SET_DUMPABLE 0).  Returns 0 or -1 (logged).
 */
int privdrop(const char *user, const char *key, int flags);

/*
 * Resolves user (a name, or a number) to a uid; -1 if it names nobody
 * (a number needs no passwd entry).
 */
int privdrop_uid(const char *user, uid_t *uid);

/* 0 if no capability is left in any set (checked with capget and the
 * bounding set with PR_CAPBSET_READ), else -1. */
int privdrop_no_caps(void);

#endif
