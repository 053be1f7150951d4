#include <string.h>

#include "common/util.h"
#include "authd/email.h"

static int
email_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

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

int
email_normalize(
    const char *in, size_t len, char *out, size_t outcap, const char **why)
{
	const unsigned char *s = (const unsigned char *)in;
	const char *at = NULL;
	size_t i, n, local;

	*why = NULL;
	if (outcap > 0)
		out[0] = '\0';
	if (in == NULL)
		len = 0;
	while (len > 0 && email_is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && email_is_space(s[len - 1]))
		len--;

	if (len == 0) {
		*why = "email is empty";
		return -1;
	}
	if (len > EMAIL_MAX) {
		*why = "email is longer than 254 bytes";
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		*why = "email contains a NUL character";
		return -1;
	}
	if (utf8_check((const char *)s, len, NULL) == -1) {
		*why = "email is not valid UTF-8";
		return -1;
	}
	for (i = 0; i < len; i++) {
		/* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == 0xc2 && i + 1 < len && s[i + 1] < 0xa0)) {
			*why = "email contains a control character";
			return -1;
		}
		if (s[i] == ' ') {
			*why = "email contains a space";
			return -1;
		}
		if (s[i] == '@') {
			if (at != NULL) {
				*why = "email contains more than one @";
				return -1;
			}
			at = (const char *)s + i;
		}
	}
	if (at == NULL) {
		*why = "email has no @";
		return -1;
	}
	local = (size_t)(at - (const char *)s);
	if (local == 0) {
		*why = "email has an empty local part";
		return -1;
	}
	if (local > EMAIL_LOCAL_MAX) {
		*why = "email local part is longer than 64 bytes";
		return -1;
	}
	n = len - local - 1;
	if (n == 0) {
		*why = "email has an empty domain";
		return -1;
	}
	if (n > EMAIL_DOMAIN_MAX) {
		*why = "email domain is longer than 253 bytes";
		return -1;
	}
	if (!email_domain_ok(at + 1, n)) {
		*why = "email domain has an empty label";
		return -1;
	}
	if (outcap <= len) {
		*why = "email does not fit";
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a')
		                                      : (char)s[i];
	out[len] = '\0';
	return 0;
}
