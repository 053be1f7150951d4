#include <errno.h>
#include <stdint.h>

#include "common/b64url.h"

static const char b64url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
b64url_encode(const void *in, size_t n, struct buf *out)
{
	const unsigned char *p = in;
	size_t olen, i;
	uint32_t v;
	char *o;

	if (n > (SIZE_MAX / 4) * 3 - 3) {
		errno = EOVERFLOW;
		return -1;
	}
	olen = (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
	if (buf_reserve(out, olen) == -1)
		return -1;
	o = out->b_data + out->b_len;
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64url_alpha[(v >> 18) & 0x3f];
		*o++ = b64url_alpha[(v >> 12) & 0x3f];
		*o++ = b64url_alpha[(v >> 6) & 0x3f];
		*o++ = b64url_alpha[v & 0x3f];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = b64url_alpha[(v >> 18) & 0x3f];
		*o++ = b64url_alpha[(v >> 12) & 0x3f];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64url_alpha[(v >> 18) & 0x3f];
		*o++ = b64url_alpha[(v >> 12) & 0x3f];
		*o++ = b64url_alpha[(v >> 6) & 0x3f];
	}
	out->b_len += olen;
	out->b_data[out->b_len] = '\0';
	return 0;
}

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(
    const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen)
{
	size_t need, i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (n % 4 == 1)
		goto fail;
	need = (n / 4) * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (need > outcap)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((v = b64url_val((unsigned char)in[i])) == -1)
			goto fail;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, or two inputs would decode alike. */
	if (acc != 0)
		goto fail;
	*outlen = o;
	return 0;
fail:
	errno = EINVAL;
	return -1;
}
