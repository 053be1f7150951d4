/*
 * The set of revoked session ids that authd checks on every token
 * verification.  Pure logic, no I/O: authd fills it from the database at
 * start and from LISTEN/NOTIFY, and passes the time in.  Thread-safe: a
 * read-write lock lets checks run side by side while adds and sweeps
 * take it alone.
 *
 * An entry is kept until expires_at + REVOKED_GRACE_S: tokens are
 * accepted a little past their exp (leeway, clock skew between two authd
 * processes), and dropping the revocation the second the session expires
 * would let such a token through for those few seconds.
 */
#ifndef POSTERN_AUTHD_REVOKED_H
#define POSTERN_AUTHD_REVOKED_H

#include <stddef.h>
#include <stdint.h>

/* A uuid is 36 bytes; any non-empty id up to this length is accepted. */
#define REVOKED_SID_MAX 64
#define REVOKED_GRACE_S 300

struct revoked;

/* NULL with errno ENOMEM. */
struct revoked *revoked_new(void);
void revoked_free(struct revoked *rv);

/*
 * Adds sid, remembered until expires_at + REVOKED_GRACE_S (epoch seconds).
 * Adding a sid again keeps the later expiry.  0, or -1 with errno EINVAL
 * (empty sid or longer than REVOKED_SID_MAX) or ENOMEM.
 */
int revoked_add(struct revoked *rv, const char *sid, int64_t expires_at);

/* 1 if sid is revoked at now, else 0 (also for an invalid sid). */
int revoked_contains(struct revoked *rv, const char *sid, int64_t now);

/* Drops entries whose time has passed; returns how many remain. */
size_t revoked_sweep(struct revoked *rv, int64_t now);

#endif
