/*
 * Errors of a request's parameters, shared by the query and select
 * grammars.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "gateway/qerror.h"

void
qerr_set(
    struct q_error *err, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->qe_status = status;
	x_strlcpy(err->qe_code, code, sizeof(err->qe_code));
	va_start(ap, fmt);
	vsnprintf(err->qe_message, sizeof(err->qe_message), fmt, ap);
	va_end(ap);
	err->qe_details[0] = '\0';
	err->qe_details_json = 0;
	err->qe_hint[0] = '\0';
}

void
qerr_nomem(struct q_error *err)
{
	qerr_set(err, 500, "PN900", "out of memory");
}

const char *
qerr_quote(char *dst, const char *s)
{
	size_t n = strlen(s), len = n > QERR_QUOTE_MAX ? QERR_QUOTE_MAX : n, i;
	int valid;

	/* Back off over a character cut in the middle, if that is all that
	 * is wrong. */
	valid = utf8_check(s, len, NULL) == 0;
	for (i = 1; !valid && i <= 3 && i <= len && len < n; i++)
		if (utf8_check(s, len - i, NULL) == 0) {
			len -= i;
			valid = 1;
		}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c < 0x20 || c == 0x7f || (!valid && c >= 0x80)
		             ? '?'
		             : (char)c;
	}
	if (len < n) {
		memcpy(dst + len, "...", 3);
		len += 3;
	}
	dst[len] = '\0';
	return dst;
}
