/*
 * Password hashing with Argon2id (libargon2) and the password policy.
 */
#ifndef POSTERN_AUTHD_PASSWORD_H
#define POSTERN_AUTHD_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

/* OWASP's recommended Argon2id minimum: 19 MiB, 2 passes, 1 lane. */
#define PASSWORD_DEFAULT_M_KIB 19456
#define PASSWORD_DEFAULT_T 2
#define PASSWORD_DEFAULT_P 1

/*
 * Upper bounds password_verify accepts in a stored PHC string, so that a
 * tampered row cannot make one login allocate gigabytes or spin for
 * minutes.  They are far above anything we would configure.
 */
#define PASSWORD_MAX_M_KIB (1024u * 1024) /* 1 GiB */
#define PASSWORD_MAX_T 64
#define PASSWORD_MAX_P 64

struct password_params {
	uint32_t pp_m_kib;
	uint32_t pp_t;
	uint32_t pp_p;
};

#define PASSWORD_PHC_MAX 256
#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_BYTES 1024

/*
 * Hashes pw[0..pwlen) with a fresh 16-byte salt and a 32-byte tag and writes
 * the PHC string "$argon2id$v=19$m=..,t=..,p=..$salt$hash" to out.  A NULL
 * pp means the defaults.  -1 if the parameters are out of bounds, pwlen is
 * above PASSWORD_MAX_BYTES, out is too small or argon2 fails.
 */
int password_hash(const struct password_params *pp, const char *pw,
    size_t pwlen, char *out, size_t outcap);

/*
 * 0 if pw matches the PHC string, 1 if it does not, -1 if phc is malformed,
 * not argon2id v19, has parameters above the PASSWORD_MAX_* bounds, or
 * argon2 fails.  Every byte of the password counts.  A password longer than
 * PASSWORD_MAX_BYTES can never have been hashed, so it is a mismatch.
 */
int password_verify(const char *phc, const char *pw, size_t pwlen);

/*
 * 0 if pw[0..len) is acceptable as a new password; otherwise -1 and *why
 * points at a static message fit for the client: not valid UTF-8 or
 * contains NUL, fewer than PASSWORD_MIN_CHARS code points, or more than
 * PASSWORD_MAX_BYTES bytes.
 */
int password_policy(const char *pw, size_t len, const char **why);

#endif
