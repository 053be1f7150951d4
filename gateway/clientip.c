#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "gateway/clientip.h"

/*
 * Every address is held as IPv6; IPv4 as IPv4-mapped (::ffff:a.b.c.d)
 * with its prefix length plus 96, so a mapped peer matches IPv4 entries.
 */
struct tp_net {
	unsigned char tn_addr[16];
	unsigned tn_plen;
};

struct trusted_proxies {
	size_t tp_n;
	struct tp_net tp_nets[CLIENTIP_PROXIES_MAX];
};

static const unsigned char ci_mapped[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int
ci_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses s[0..n) as a bare IPv4 or IPv6 address into a[16]; 4 or 6 for
 * the family written, -1 if it is not one.
 */
static int
ci_parse_addr(const char *s, size_t n, unsigned char a[16])
{
	char tmp[INET6_ADDRSTRLEN];
	struct in_addr v4;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, &v4) == 1) {
		memcpy(a, ci_mapped, sizeof(ci_mapped));
		memcpy(a + 12, &v4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, tmp, a) == 1)
		return 6;
	return -1;
}

static int
ci_match(const struct tp_net *tn, const unsigned char a[16])
{
	unsigned whole = tn->tn_plen / 8, bits = tn->tn_plen % 8;
	unsigned char mask;

	if (memcmp(tn->tn_addr, a, whole) != 0)
		return 0;
	if (bits == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - bits));
	return (tn->tn_addr[whole] & mask) == (a[whole] & mask);
}

static int
ci_trusted(const struct trusted_proxies *tp, const unsigned char a[16])
{
	size_t i;

	for (i = 0; i < tp->tp_n; i++)
		if (ci_match(&tp->tp_nets[i], a))
			return 1;
	return 0;
}

/* Parses one trimmed entry s[0..n), "addr" or "addr/len", into tn. */
static int
ci_parse_net(const char *s, size_t n, struct tp_net *tn, const char **why)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n, i;
	unsigned plen, max, b;
	int fam;

	if ((fam = ci_parse_addr(s, alen, tn->tn_addr)) == -1) {
		*why = "bad address";
		return -1;
	}
	max = fam == 4 ? 32 : 128;
	plen = max;
	if (slash != NULL) {
		/* Decimal digits only: no sign, no blanks, at most 3. */
		if (n - alen - 1 == 0 || n - alen - 1 > 3) {
			*why = "bad prefix length";
			return -1;
		}
		plen = 0;
		for (i = alen + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9') {
				*why = "bad prefix length";
				return -1;
			}
			plen = plen * 10 + (unsigned)(s[i] - '0');
		}
		if (plen > max) {
			*why = "bad prefix length";
			return -1;
		}
	}
	if (fam == 4)
		plen += 96;
	for (b = plen; b < 128; b++)
		if (tn->tn_addr[b / 8] & (0x80 >> (b % 8))) {
			*why = "address has bits set past the prefix";
			return -1;
		}
	tn->tn_plen = plen;
	return 0;
}

struct trusted_proxies *
trusted_proxies_parse(const char *list, const char **why)
{
	struct trusted_proxies *tp = NULL;
	const char *p, *end, *comma, *a, *z;
	const char *dummy;
	int blank = 1;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if ((tp = calloc(1, sizeof(*tp))) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	if (list == NULL)
		return tp;
	for (p = list; *p != '\0'; p++)
		if (!ci_blank(*p))
			blank = 0;
	if (blank)
		return tp;

	end = list + strlen(list);
	for (p = list; p <= end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		for (a = p; a < comma && ci_blank(*a); a++)
			;
		for (z = comma; z > a && ci_blank(z[-1]); z--)
			;
		if (z == a) {
			*why = "empty entry";
			goto fail;
		}
		if (tp->tp_n == CLIENTIP_PROXIES_MAX) {
			*why = "too many entries";
			goto fail;
		}
		if (ci_parse_net(
		        a, (size_t)(z - a), &tp->tp_nets[tp->tp_n], why) == -1)
			goto fail;
		tp->tp_n++;
	}
	return tp;
fail:
	if (tp != NULL)
		errno = EINVAL;
	free(tp);
	return NULL;
}

void
trusted_proxies_free(struct trusted_proxies *tp)
{
	free(tp);
}

/* Writes a in canonical text to out, or "" if it does not fit. */
static void
ci_format(const unsigned char a[16], char *out, size_t outcap)
{
	char tmp[INET6_ADDRSTRLEN];
	const char *r;

	if (memcmp(a, ci_mapped, sizeof(ci_mapped)) == 0)
		r = inet_ntop(AF_INET, a + 12, tmp, sizeof(tmp));
	else
		r = inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
	if (r == NULL || x_strlcpy(out, tmp, outcap) >= outcap)
		if (outcap > 0)
			out[0] = '\0';
}

void
client_addr(const struct trusted_proxies *tp, const char *peer, const char *xff,
    char *out, size_t outcap)
{
	unsigned char hop[16], a[16];
	const char *end, *p, *s, *e;
	size_t seen;

	if (peer == NULL || ci_parse_addr(peer, strlen(peer), hop) == -1) {
		/* Not from inet_ntop: pass it on as is, never trust it. */
		if (peer == NULL || x_strlcpy(out, peer, outcap) >= outcap)
			if (outcap > 0)
				out[0] = '\0';
		return;
	}
	if (xff == NULL || !ci_trusted(tp, hop))
		goto done;

	/* hop is the nearest address known to be a trusted proxy's word. */
	end = xff + strlen(xff);
	for (seen = 0; seen < CLIENTIP_XFF_MAX; seen++) {
		for (p = end; p > xff && p[-1] != ','; p--)
			;
		for (s = p; s < end && ci_blank(*s); s++)
			;
		for (e = end; e > s && ci_blank(e[-1]); e--)
			;
		if (ci_parse_addr(s, (size_t)(e - s), a) == -1)
			break;
		memcpy(hop, a, sizeof(hop));
		if (!ci_trusted(tp, hop) || p == xff)
			break;
		end = p - 1; /* the comma before this element */
	}
done:
	ci_format(hop, out, outcap);
}
