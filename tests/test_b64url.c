#include <string.h>

#include <criterion/criterion.h>

#include "common/b64url.h"

/* RFC 4648 section 10 vectors, without padding. */
static const struct {
	const char *plain;
	const char *enc;
} vectors[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
};

Test(b64url, rfc4648_encode)
{
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		buf_init(&b);
		cr_assert_eq(b64url_encode(vectors[i].plain,
		                 strlen(vectors[i].plain), &b),
		    0);
		cr_assert_not_null(b.b_data);
		cr_assert_str_eq(b.b_data, vectors[i].enc);
		buf_free(&b);
	}
}

Test(b64url, rfc4648_decode)
{
	unsigned char out[16];
	size_t i, n;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		n = 99;
		cr_assert_eq(b64url_decode(vectors[i].enc,
		                 strlen(vectors[i].enc), out, sizeof(out), &n),
		    0);
		cr_assert_eq(n, strlen(vectors[i].plain));
		cr_assert_eq(memcmp(out, vectors[i].plain, n), 0);
	}
}

Test(b64url, url_alphabet)
{
	static const unsigned char raw[] = {0xfb, 0xff, 0xbf};
	unsigned char out[3];
	struct buf b;
	size_t n;

	buf_init(&b);
	cr_assert_eq(b64url_encode(raw, sizeof(raw), &b), 0);
	cr_assert_str_eq(b.b_data, "-_-_");
	buf_free(&b);
	cr_assert_eq(b64url_decode("-_-_", 4, out, sizeof(out), &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(out, raw, 3), 0);
	/* The standard alphabet's + and / are not ours. */
	cr_assert_eq(b64url_decode("+/+/", 4, out, sizeof(out), &n), -1);
}

Test(b64url, encode_appends)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(buf_addstr(&b, "x."), 0);
	cr_assert_eq(b64url_encode("foo", 3, &b), 0);
	cr_assert_str_eq(b.b_data, "x.Zm9v");
	buf_free(&b);
}

Test(b64url, round_trip_all_lengths)
{
	unsigned char raw[300], out[300];
	struct buf b;
	size_t len, i, n;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	for (len = 0; len <= sizeof(raw); len++) {
		buf_init(&b);
		cr_assert_eq(b64url_encode(raw, len, &b), 0);
		cr_assert_eq(b64url_decode(b.b_data, b.b_len, out, len, &n), 0,
		    "len %zu", len);
		cr_assert_eq(n, len);
		cr_assert_eq(memcmp(out, raw, len), 0);
		buf_free(&b);
	}
}

Test(b64url, rejects_invalid_chars)
{
	unsigned char out[16];
	size_t n;

	cr_assert_eq(b64url_decode("Zm9v!", 5, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm 9v", 5, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm9\n", 4, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm\0v", 4, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm9\xc3", 4, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode(".m9v", 4, out, sizeof(out), &n), -1);
}

Test(b64url, rejects_padding)
{
	unsigned char out[16];
	size_t n;

	cr_assert_eq(b64url_decode("Zg==", 4, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm8=", 4, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zg=", 3, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("=", 1, out, sizeof(out), &n), -1);
}

Test(b64url, rejects_len_mod4_eq1)
{
	unsigned char out[16];
	size_t n;

	cr_assert_eq(b64url_decode("Z", 1, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zm9vY", 5, out, sizeof(out), &n), -1);
}

Test(b64url, rejects_non_canonical_last_char)
{
	unsigned char out[16];
	size_t n;

	/* "f" is Zg; Zh..Zv differ only in the 4 discarded bits. */
	cr_assert_eq(b64url_decode("Zg", 2, out, sizeof(out), &n), 0);
	cr_assert_eq(b64url_decode("Zh", 2, out, sizeof(out), &n), -1);
	cr_assert_eq(b64url_decode("Zv", 2, out, sizeof(out), &n), -1);
	/* "fo" is Zm8; Zm9 sets one of the 2 discarded bits. */
	cr_assert_eq(b64url_decode("Zm8", 3, out, sizeof(out), &n), 0);
	cr_assert_eq(b64url_decode("Zm9", 3, out, sizeof(out), &n), -1);
}

Test(b64url, outcap)
{
	unsigned char out[6];
	size_t n;

	cr_assert_eq(b64url_decode("Zm9vYmFy", 8, out, 6, &n), 0);
	cr_assert_eq(n, 6);
	cr_assert_eq(b64url_decode("Zm9vYmFy", 8, out, 5, &n), -1);
	cr_assert_eq(b64url_decode("Zm9vYmE", 7, out, 4, &n), -1);
	cr_assert_eq(b64url_decode("Zm9vYmE", 7, out, 5, &n), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(b64url_decode("", 0, NULL, 0, &n), 0);
	cr_assert_eq(n, 0);
}
