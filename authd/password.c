#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "common/util.h"
#include "authd/password.h"

#define PASSWORD_SALT_LEN 16
#define PASSWORD_TAG_LEN 32

static const char password_prefix[] = "$argon2id$v=19$";

int
password_hash(const struct password_params *pp, const char *pw, size_t pwlen,
    char *out, size_t outcap)
{
	static const struct password_params defaults = {
	    PASSWORD_DEFAULT_M_KIB, PASSWORD_DEFAULT_T, PASSWORD_DEFAULT_P};
	unsigned char salt[PASSWORD_SALT_LEN];
	size_t need;
	int rv = -1;

	if (pp == NULL)
		pp = &defaults;
	if (outcap > 0)
		out[0] = '\0';
	if (pp->pp_t < 1 || pp->pp_t > PASSWORD_MAX_T || pp->pp_p < 1 ||
	    pp->pp_p > PASSWORD_MAX_P || pp->pp_m_kib < 8 * pp->pp_p ||
	    pp->pp_m_kib > PASSWORD_MAX_M_KIB || pwlen > PASSWORD_MAX_BYTES ||
	    (pw == NULL && pwlen > 0)) {
		errno = EINVAL;
		goto fail;
	}
	need = argon2_encodedlen(pp->pp_t, pp->pp_m_kib, pp->pp_p,
	    PASSWORD_SALT_LEN, PASSWORD_TAG_LEN, Argon2_id);
	if (need > outcap || need > PASSWORD_PHC_MAX) {
		errno = ENOSPC;
		goto fail;
	}
	if (random_bytes(salt, sizeof(salt)) == -1)
		goto fail;
	if (argon2id_hash_encoded(pp->pp_t, pp->pp_m_kib, pp->pp_p,
	        pw != NULL ? pw : "", pwlen, salt, sizeof(salt),
	        PASSWORD_TAG_LEN, out, outcap) != ARGON2_OK) {
		errno = EIO;
		goto fail;
	}
	rv = 0;
fail:
	if (rv == -1 && outcap > 0)
		out[0] = '\0';
	OPENSSL_cleanse(salt, sizeof(salt));
	return rv;
}

/*
 * Reads the cost parameters out of a PHC string before libargon2 does, to
 * refuse costs that would let a bad row exhaust memory or CPU.
 */
static int
password_phc_params(const char *phc, struct password_params *pp)
{
	const char *p;
	char tail;
	int n = 0;

	if (strncmp(phc, password_prefix, sizeof(password_prefix) - 1) != 0)
		return -1;
	p = phc + sizeof(password_prefix) - 1;
	if (sscanf(p, "m=%u,t=%u,p=%u%c%n", &pp->pp_m_kib, &pp->pp_t, &pp->pp_p,
	        &tail, &n) != 4 ||
	    tail != '$' || n == 0)
		return -1;
	if (pp->pp_m_kib > PASSWORD_MAX_M_KIB || pp->pp_t < 1 ||
	    pp->pp_t > PASSWORD_MAX_T || pp->pp_p < 1 ||
	    pp->pp_p > PASSWORD_MAX_P)
		return -1;
	return 0;
}

int
password_verify(const char *phc, const char *pw, size_t pwlen)
{
	struct password_params pp;
	size_t n;
	int r;

	if (phc == NULL || (pw == NULL && pwlen > 0))
		return -1;
	n = strnlen(phc, PASSWORD_PHC_MAX + 1);
	if (n == 0 || n > PASSWORD_PHC_MAX || password_phc_params(phc, &pp))
		return -1;
	if (pwlen > PASSWORD_MAX_BYTES)
		return 1;
	r = argon2id_verify(phc, pw != NULL ? pw : "", pwlen);
	if (r == ARGON2_OK)
		return 0;
	if (r == ARGON2_VERIFY_MISMATCH)
		return 1;
	return -1;
}

int
password_policy(const char *pw, size_t len, const char **why)
{
	size_t ncp;

	*why = NULL;
	if (len > PASSWORD_MAX_BYTES) {
		*why = "password is longer than 1024 bytes";
		return -1;
	}
	if (pw == NULL && len > 0) {
		*why = "password is missing";
		return -1;
	}
	if (pw == NULL)
		pw = "";
	if (memchr(pw, '\0', len) != NULL) {
		*why = "password contains a NUL character";
		return -1;
	}
	if (utf8_check(pw, len, &ncp) == -1) {
		*why = "password is not valid UTF-8";
		return -1;
	}
	if (ncp < PASSWORD_MIN_CHARS) {
		*why = "password is shorter than 8 characters";
		return -1;
	}
	return 0;
}
