/*
 * Emails as login names: one address, one account, however it is typed.
 * The rule (docs/auth.md): valid UTF-8; Unicode White_Space trimmed from
 * both ends; no control (Cc) or format (Cf) character and no white space
 * inside; then Unicode full case folding of the whole address, which is the
 * form that is stored and compared.
 */
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "authd/email.h"
#include "authd/unicode.h"

/* Labels are separated by dots; none of them may be empty. */
static int
email_domain_ok(const char *d, size_t n)
{
	size_t i;

	if (n == 0 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (d[i] == '.' && d[i - 1] == '.')
			return 0;
	return 1;
}

/* Appends cp to dst[*used..), at most EMAIL_MAX bytes in all; -1 if full. */
static int
email_put(char *dst, size_t *used, uint32_t cp)
{
	unsigned char u[4];
	size_t n = uni_encode(cp, u);

	if (n > EMAIL_MAX - *used)
		return -1;
	memcpy(dst + *used, u, n);
	*used += n;
	return 0;
}

int
email_normalize(
    const char *in, size_t len, char *out, size_t outcap, const char **why)
{
	const unsigned char *s = (const unsigned char *)in;
	uint32_t cp, fold[UNI_FOLD_MAX];
	char tmp[EMAIL_MAX + 1];
	size_t i, start, end, used = 0, at = 0, local, n;
	int k, j, nf, nat = 0;

	*why = NULL;
	if (outcap > 0)
		out[0] = '\0';
	if (in == NULL)
		len = 0;
	if (len > 0 && memchr(s, '\0', len) != NULL) {
		*why = "email contains a NUL character";
		return -1;
	}
	if (utf8_check((const char *)s, len, NULL) == -1) {
		*why = "email is not valid UTF-8";
		return -1;
	}
	/* [start, end): the address without surrounding white space. */
	start = len;
	end = 0;
	for (i = 0; i < len; i += (size_t)k) {
		k = uni_decode(s + i, len - i, &cp);
		if (uni_is_space(cp))
			continue;
		if (start == len)
			start = i;
		end = i + (size_t)k;
	}
	if (start >= end) {
		*why = "email is empty";
		return -1;
	}
	if (end - start > EMAIL_MAX) {
		*why = "email is longer than 254 bytes";
		return -1;
	}
	for (i = start; i < end; i += (size_t)k) {
		k = uni_decode(s + i, end - i, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			*why = "email contains a control character";
			return -1;
		}
		if (uni_is_control_or_format(cp)) {
			*why = "email contains an invisible format character "
			       "(such as U+200B, U+00AD or U+FEFF)";
			return -1;
		}
		if (uni_is_space(cp)) {
			*why = "email contains a space";
			return -1;
		}
		if (cp == '@') {
			if (nat++ > 0) {
				*why = "email contains more than one @";
				return -1;
			}
			at = used;
		}
		nf = uni_fold(cp, fold);
		for (j = 0; j < nf; j++)
			if (email_put(tmp, &used, fold[j]) == -1) {
				*why = "email is longer than 254 bytes";
				return -1;
			}
	}
	tmp[used] = '\0';
	if (nat == 0) {
		*why = "email has no @";
		return -1;
	}
	local = at;
	if (local == 0) {
		*why = "email has an empty local part";
		return -1;
	}
	if (local > EMAIL_LOCAL_MAX) {
		*why = "email local part is longer than 64 bytes";
		return -1;
	}
	n = used - local - 1;
	if (n == 0) {
		*why = "email has an empty domain";
		return -1;
	}
	if (n > EMAIL_DOMAIN_MAX) {
		*why = "email domain is longer than 253 bytes";
		return -1;
	}
	if (!email_domain_ok(tmp + at + 1, n)) {
		*why = "email domain has an empty label";
		return -1;
	}
	if (outcap <= used) {
		*why = "email does not fit";
		return -1;
	}
	memcpy(out, tmp, used + 1);
	return 0;
}
