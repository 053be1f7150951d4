#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"

#define BUF_MIN_CAP 64

void
buf_init(struct buf *b)
{
	b->b_data = NULL;
	b->b_len = 0;
	b->b_cap = 0;
	b->b_err = 0;
}

int
buf_fail(struct buf *b, int err)
{
	if (b->b_err == 0)
		b->b_err = err != 0 ? err : ENOMEM;
	errno = b->b_err;
	return -1;
}

int
buf_error(const struct buf *b)
{
	if (b->b_err == 0)
		return 0;
	errno = b->b_err;
	return -1;
}

/*
 * Makes room for extra more bytes plus the terminating NUL.  Capacity grows
 * by doubling so that a long run of small appends stays linear.
 */
int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (b->b_err != 0)
		return buf_error(b);
	if (extra > SIZE_MAX - 1 - b->b_len)
		return buf_fail(b, EOVERFLOW);
	need = b->b_len + extra + 1;
	if (need <= b->b_cap)
		return 0;

	ncap = b->b_cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->b_cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if ((p = realloc(b->b_data, ncap)) == NULL)
		return buf_fail(b, errno);
	b->b_data = p;
	b->b_cap = ncap;
	b->b_data[b->b_len] = '\0';
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	b->b_data[b->b_len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	size_t avail;
	int n, rv = -1;

	va_start(ap, fmt);
	/* First try to format into whatever room is already there. */
	if (buf_reserve(b, 0) == -1)
		goto fail;
	avail = b->b_cap - b->b_len;
	va_copy(ap2, ap);
	n = vsnprintf(b->b_data + b->b_len, avail, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		(void)buf_fail(b, errno != 0 ? errno : EINVAL);
		goto fail;
	}
	if ((size_t)n >= avail) {
		if (buf_reserve(b, (size_t)n) == -1)
			goto fail;
		avail = b->b_cap - b->b_len;
		if (vsnprintf(b->b_data + b->b_len, avail, fmt, ap) != n) {
			(void)buf_fail(b, EINVAL);
			goto fail;
		}
	}
	b->b_len += (size_t)n;
	rv = 0;
fail:
	if (rv == -1 && b->b_data != NULL)
		b->b_data[b->b_len] = '\0';
	va_end(ap);
	return rv;
}

/*
 * Escapes exactly what RFC 8259 requires: the quote, the backslash and the
 * control characters below 0x20.  Bytes >= 0x80 go through unchanged, so
 * the output is valid JSON whenever the input is valid UTF-8; callers that
 * take untrusted bytes validate them first.
 */
int
buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, need;
	unsigned char c;

	if (b->b_err != 0)
		return buf_error(b);
	/* Reserve the worst case up front so that a failure changes nothing. */
	if (n > (SIZE_MAX - 2) / 6)
		return buf_fail(b, EOVERFLOW);
	need = 2;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20)
			need += 6;
		else if (c == '"' || c == '\\')
			need += 2;
		else
			need++;
	}
	if (buf_reserve(b, need) == -1)
		return -1;

	b->b_data[b->b_len++] = '"';
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20) {
			b->b_data[b->b_len++] = '\\';
			b->b_data[b->b_len++] = 'u';
			b->b_data[b->b_len++] = '0';
			b->b_data[b->b_len++] = '0';
			b->b_data[b->b_len++] = hex[c >> 4];
			b->b_data[b->b_len++] = hex[c & 0xf];
		} else if (c == '"' || c == '\\') {
			b->b_data[b->b_len++] = '\\';
			b->b_data[b->b_len++] = (char)c;
		} else
			b->b_data[b->b_len++] = (char)c;
	}
	b->b_data[b->b_len++] = '"';
	b->b_data[b->b_len] = '\0';
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->b_len = 0;
	b->b_err = 0;
	if (b->b_data != NULL)
		b->b_data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->b_data);
	buf_init(b);
}

/*
 * Hands the data to the caller, who then owns it and frees it with free().
 * An empty buffer still yields an allocated "", so the caller never has to
 * tell NULL-for-empty from NULL-for-failure.  A buffer in error yields
 * NULL and stays the caller's to free.
 */
char *
buf_release(struct buf *b, size_t *lenp)
{
	char *p;

	if (buf_reserve(b, 0) == -1)
		return NULL;
	p = b->b_data;
	if (lenp != NULL)
		*lenp = b->b_len;
	buf_init(b);
	return p;
}

void
buf_wipe_free(struct buf *b)
{
	if (b->b_data != NULL)
		OPENSSL_cleanse(b->b_data, b->b_cap);
	buf_free(b);
}
