#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/util.h"

size_t
x_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_epoch_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int
utf8_check(const char *s, size_t n, size_t *ncodepoints)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0, len, k;
	uint32_t cp, min;

	while (i < n) {
		unsigned char c = p[i];

		if (c == 0)
			goto fail;
		if (c < 0x80) {
			i++;
			count++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else
			/* Continuation byte, 0xc0/0xc1 overlong lead, >0xf4. */
			goto fail;
		if (n - i < len)
			goto fail;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += len;
		count++;
	}
	if (ncodepoints != NULL)
		*ncodepoints = count;
	return 0;
fail:
	errno = EILSEQ;
	return -1;
}

int
random_bytes(void *p, size_t n)
{
	unsigned char *q = p;
	size_t chunk;

	/* RAND_bytes takes an int; feed it in pieces that fit. */
	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : n;
		if (RAND_bytes(q, (int)chunk) != 1) {
			errno = EIO;
			return -1;
		}
		q += chunk;
		n -= chunk;
	}
	return 0;
}

int
hex_encode(const void *in, size_t n, char *out, size_t outcap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i;

	if (n > (SIZE_MAX - 1) / 2 || outcap < 2 * n + 1) {
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
	return 0;
}
