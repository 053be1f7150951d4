/*
 * E-mail address normalisation for use as a login name.
 */
#ifndef POSTERN_AUTHD_EMAIL_H
#define POSTERN_AUTHD_EMAIL_H

#include <stddef.h>

#define EMAIL_MAX 254
#define EMAIL_LOCAL_MAX 64
#define EMAIL_DOMAIN_MAX 253

/*
 * Trims surrounding Unicode White_Space from in[0..len), refuses control
 * (Cc: C0, DEL, C1) and format (Cf: U+00AD, U+200B, U+FEFF, ...)
 * characters, inner white space and NUL, applies Unicode full case folding
 * (so "\u00dcN\u00cf@EXAMPLE.COM" and "\u00fcn\u00ef@example.com" are one
 * address) and validates the folded result: valid UTF-8, exactly one '@',
 * a local part of 1..64 bytes, a domain of 1..253 bytes without empty
 * labels, at most EMAIL_MAX bytes in all.  On success writes the
 * NUL-terminated result to out and returns 0; otherwise returns -1 with
 * *why pointing at a static message fit for the client.  out must hold at
 * least EMAIL_MAX + 1 bytes to take any valid address.
 */
int email_normalize(
    const char *in, size_t len, char *out, size_t outcap, const char **why);

#endif
