/*
 * UTF-8 decoding, scrubbing and the Unicode properties emails need; see
 * unicode.h.  The tables are in the generated unicode_data.c.
 */
#include <stdint.h>
#include <stdlib.h>

#include "authd/unicode.h"
#include "authd/unicode_data.h"

int
uni_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, k;

	if (n == 0)
		return -1;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (n < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return (int)len;
}

size_t
uni_encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
uni_append(struct buf *b, uint32_t cp)
{
	unsigned char u[4];

	return buf_add(b, u, uni_encode(cp, u));
}

int
uni_scrub(const char *in, size_t n, size_t max, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned char u[4];
	size_t i = 0, used = 0, len;
	uint32_t cp;
	int k;

	while (i < n) {
		if ((k = uni_decode(s + i, n - i, &cp)) == -1) {
			cp = UNI_REPLACEMENT;
			k = 1;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			cp = UNI_REPLACEMENT;
		len = uni_encode(cp, u);
		if (len > max - used)
			break;
		if (buf_add(out, u, len) == -1)
			return -1;
		used += len;
		i += (size_t)k;
	}
	return 0;
}

int
uni_is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

int
uni_is_control_or_format(uint32_t cp)
{
	size_t lo = 0, hi = uni_ccf_nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < uni_ccf_ranges[mid].ur_lo)
			hi = mid;
		else if (cp > uni_ccf_ranges[mid].ur_hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
uni_fold(uint32_t cp, uint32_t out[UNI_FOLD_MAX])
{
	size_t lo = 0, hi = uni_fold_nrows, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < uni_fold_rows[mid].uf_cp)
			hi = mid;
		else if (cp > uni_fold_rows[mid].uf_cp)
			lo = mid + 1;
		else {
			for (k = 0; k < uni_fold_rows[mid].uf_n; k++)
				out[k] = uni_fold_rows[mid].uf_to[k];
			return uni_fold_rows[mid].uf_n;
		}
	}
	out[0] = cp;
	return 1;
}
