/*
 * Small helpers with no better home: bounded copies, clocks, UTF-8
 * validation, randomness and hex.
 */
#ifndef POSTERN_COMMON_UTIL_H
#define POSTERN_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * strlcpy(3): copies at most size - 1 bytes, always NUL-terminates when
 * size > 0, returns strlen(src); truncation happened if the result >= size.
 */
size_t x_strlcpy(char *dst, const char *src, size_t size);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines and durations. */
int64_t time_mono_ms(void);

/* Seconds since the epoch (CLOCK_REALTIME), for token times. */
int64_t time_epoch_s(void);

/*
 * Returns 0 if s[0..n) is valid UTF-8 and stores the number of code points
 * in *ncodepoints (which may be NULL).  Returns -1 on overlong forms,
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF, truncated or
 * stray continuation bytes, and NUL bytes.
 */
int utf8_check(const char *s, size_t n, size_t *ncodepoints);

/* Fills p with n bytes from the OpenSSL CSPRNG; 0 or -1. */
int random_bytes(void *p, size_t n);

/*
 * Writes the lowercase hex of in[0..n) plus a NUL to out; -1 (and no
 * output) if outcap < 2 * n + 1.
 */
int hex_encode(const void *in, size_t n, char *out, size_t outcap);

#endif
