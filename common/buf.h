/*
 * Growable byte buffer.
 *
 * A buffer in its init state has b_data == NULL and b_len == b_cap == 0.
 * Once anything has been reserved, b_data[b_len] is always a NUL byte, so
 * b_data can be handed to functions that want a C string (as long as the
 * content itself has no NUL).  Every function that can fail returns 0 or -1
 * and leaves the buffer's content unchanged on failure.
 *
 * The error is sticky: the first append (or reserve) that fails records its
 * errno in b_err, and every later append returns -1 at once without
 * touching the content.  A builder can therefore append in a straight line
 * and ask once, at the end, with buf_error(); buf_release() refuses a
 * buffer in error.  buf_reset(), buf_free() and buf_init() clear it.
 */
#ifndef POSTERN_COMMON_BUF_H
#define POSTERN_COMMON_BUF_H

#include <stddef.h>

struct buf {
	char *b_data;
	size_t b_len;
	size_t b_cap;
	int b_err; /* errno of the first failed append; 0 if none failed */
};

void buf_init(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_add_json_str(struct buf *b, const char *s, size_t n);
/* 0 if no append has failed since the last init or reset; else -1 with
 * errno set to the first failure's. */
int buf_error(const struct buf *b);
/* Records err (ENOMEM if 0) as the buffer's error unless it has one, and
 * returns -1: for an encoder that refuses a value (e.g. too long) so that
 * its caller's single check sees it. */
int buf_fail(struct buf *b, int err);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_release(struct buf *b, size_t *lenp);
void buf_wipe_free(struct buf *b);

#endif
