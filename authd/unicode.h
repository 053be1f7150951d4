/*
 * The bits of Unicode authd needs, with no I/O and no library: UTF-8
 * decoding, scrubbing text that is stored but not checked (a User-Agent),
 * and, for emails, White_Space, the control and format categories and
 * full case folding.  The tables are generated (authd/unicode_gen.py,
 * authd/unicode_data.c).
 */
#ifndef POSTERN_AUTHD_UNICODE_H
#define POSTERN_AUTHD_UNICODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define UNI_REPLACEMENT 0xfffdu
/* The most code points one code point folds to (CaseFolding.txt, F). */
#define UNI_FOLD_MAX 3

/*
 * Decodes the UTF-8 sequence at s[0..n), n > 0: its length (1..4) and the
 * code point in *cp, or -1 if it is not a well-formed sequence (overlong,
 * a surrogate, above U+10FFFF, truncated); then *cp is undefined and the
 * caller skips one byte.
 */
int uni_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes cp (a scalar value) as UTF-8 to out; returns its length. */
size_t uni_encode(uint32_t cp, unsigned char out[4]);

/* Appends cp (a scalar value) as UTF-8; 0 or -1 (no memory). */
int uni_append(struct buf *b, uint32_t cp);

/*
 * Appends in[0..n) to out as valid UTF-8 of at most max bytes: every byte
 * that does not start a well-formed sequence, NUL and the other C0 and C1
 * controls and DEL become U+FFFD; the text is cut at a character boundary
 * once max would be passed.  0 or -1 (no memory).
 */
int uni_scrub(const char *in, size_t n, size_t max, struct buf *out);

/* Unicode's White_Space property (PropList.txt): 25 code points. */
int uni_is_space(uint32_t cp);

/* General category Cc (control) or Cf (format), e.g. U+200B, U+FEFF. */
int uni_is_control_or_format(uint32_t cp);

/*
 * Full case folding (CaseFolding.txt, statuses C and F): writes the 1..3
 * code points cp folds to into out and returns their number.
 */
int uni_fold(uint32_t cp, uint32_t out[UNI_FOLD_MAX]);

#endif
