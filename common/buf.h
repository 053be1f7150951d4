/*
 * Growable byte buffer.
 *
 * A buffer in its init state has b_data == NULL and b_len == b_cap == 0.
 * Once anything has been reserved, b_data[b_len] is always a NUL byte, so
 * b_data can be handed to functions that want a C string (as long as the
 * content itself has no NUL).  Every function that can fail returns 0 or -1
 * and leaves the buffer's content unchanged on failure.
 */
#ifndef POSTERN_COMMON_BUF_H
#define POSTERN_COMMON_BUF_H

#include <stddef.h>

struct buf {
	char *b_data;
	size_t b_len;
	size_t b_cap;
};

void buf_init(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_add_json_str(struct buf *b, const char *s, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_release(struct buf *b, size_t *lenp);
void buf_wipe_free(struct buf *b);

#endif
