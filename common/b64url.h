/*
 * base64url (RFC 4648 section 5) without padding, as JWTs use it.
 */
#ifndef POSTERN_COMMON_B64URL_H
#define POSTERN_COMMON_B64URL_H

#include <stddef.h>

#include "common/buf.h"

/* Appends the encoding of in[0..n) to out. */
int b64url_encode(const void *in, size_t n, struct buf *out);

/*
 * Decodes in[0..n) into out (at most outcap bytes) and stores the decoded
 * length in *outlen.  Strict: returns -1 on any byte outside the alphabet
 * (including '=' padding and NUL), on n % 4 == 1, on non-zero leftover bits
 * in the last character (so each byte string has exactly one accepted
 * encoding) and when the result would not fit in outcap.
 */
int b64url_decode(const char *in, size_t n, unsigned char *out, size_t outcap,
    size_t *outlen);

#endif
