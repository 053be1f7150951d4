#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "gateway/clientip.h"

static struct trusted_proxies *
parse(const char *list)
{
	struct trusted_proxies *tp;
	const char *why = "unset";

	tp = trusted_proxies_parse(list, &why);
	cr_assert_not_null(tp, "%s: %s", list, why);
	cr_assert_null(why);
	return tp;
}

static void
bad(const char *list, const char *want)
{
	const char *why = NULL;

	errno = 0;
	cr_assert_null(trusted_proxies_parse(list, &why), "%s parsed", list);
	cr_assert_eq(errno, EINVAL);
	cr_assert_not_null(why);
	cr_assert_str_eq(why, want, "%s: %s", list, why);
}

static void
expect(const struct trusted_proxies *tp, const char *peer, const char *xff,
    const char *want)
{
	char out[CLIENTIP_ADDR_MAX];

	memset(out, 'X', sizeof(out));
	client_addr(tp, peer, xff, out, sizeof(out));
	cr_assert_str_eq(out, want, "peer %s xff %s: got %s", peer,
	    xff != NULL ? xff : "(null)", out);
}

Test(clientip, parse_empty)
{
	struct trusted_proxies *tp;

	tp = parse(NULL);
	expect(tp, "127.0.0.1", "1.2.3.4", "127.0.0.1");
	trusted_proxies_free(tp);
	tp = parse("");
	expect(tp, "127.0.0.1", "1.2.3.4", "127.0.0.1");
	trusted_proxies_free(tp);
	tp = parse(" \t ");
	trusted_proxies_free(tp);
	trusted_proxies_free(NULL);
	/* why may be NULL. */
	cr_assert_null(trusted_proxies_parse("nonsense", NULL));
}

Test(clientip, parse_errors)
{
	bad(",", "empty entry");
	bad("127.0.0.1,", "empty entry");
	bad("127.0.0.1,,::1", "empty entry");
	bad("localhost", "bad address");
	bad("1.2.3", "bad address");
	bad("1.2.3.4.5", "bad address");
	bad("256.0.0.1", "bad address");
	bad("fe80::1%eth0", "bad address");
	bad("[::1]", "bad address");
	bad("1.2.3.4:80", "bad address");
	bad("/8", "bad address");
	bad("10.0.0.0/", "bad prefix length");
	bad("10.0.0.0/33", "bad prefix length");
	bad("10.0.0.0/-1", "bad prefix length");
	bad("10.0.0.0/+8", "bad prefix length");
	bad("10.0.0.0/ 8", "bad prefix length");
	bad("10.0.0.0/8/8", "bad prefix length");
	bad("10.0.0.0/0008", "bad prefix length");
	bad("::/129", "bad prefix length");
	bad("::1/1000", "bad prefix length");
	bad("10.0.0.1/8", "address has bits set past the prefix");
	bad("1.0.0.0/0", "address has bits set past the prefix");
	bad("2001:db8::1/64", "address has bits set past the prefix");
	bad("10.0.0.0 /8", "bad address");
}

Test(clientip, parse_too_many)
{
	char list[CLIENTIP_PROXIES_MAX * 16 + 32];
	struct trusted_proxies *tp;
	size_t len = 0;
	int i;

	for (i = 0; i < CLIENTIP_PROXIES_MAX; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
		    "%s10.0.%d.%d", i > 0 ? "," : "", i / 256, i % 256);
	tp = parse(list);
	expect(tp, "10.0.0.255", "9.9.9.9", "9.9.9.9");
	trusted_proxies_free(tp);
	snprintf(list + len, sizeof(list) - len, ",10.1.0.0");
	bad(list, "too many entries");
}

Test(clientip, untrusted_peer_ignores_xff)
{
	struct trusted_proxies *tp = parse("127.0.0.1, 10.0.0.0/8, ::1");

	expect(tp, "203.0.113.7", "1.2.3.4", "203.0.113.7");
	expect(tp, "203.0.113.7", NULL, "203.0.113.7");
	expect(tp, "11.0.0.1", "1.2.3.4", "11.0.0.1");
	expect(tp, "2001:db8::7", "1.2.3.4", "2001:db8::7");
	trusted_proxies_free(tp);
}

Test(clientip, trusted_peer)
{
	struct trusted_proxies *tp = parse("127.0.0.1, 10.0.0.0/8, ::1");

	/* No header: the proxy itself is the client. */
	expect(tp, "127.0.0.1", NULL, "127.0.0.1");
	expect(tp, "127.0.0.1", "198.51.100.4", "198.51.100.4");
	expect(tp, "::1", "198.51.100.4", "198.51.100.4");
	/* Chains: trusted hops on the right are skipped. */
	expect(tp, "127.0.0.1", "198.51.100.4, 10.1.2.3", "198.51.100.4");
	expect(
	    tp, "127.0.0.1", "198.51.100.4,10.1.2.3,10.9.9.9", "198.51.100.4");
	/* Spoofed leftmost values are never reached. */
	expect(
	    tp, "127.0.0.1", "6.6.6.6, 198.51.100.4, 10.1.2.3", "198.51.100.4");
	expect(tp, "127.0.0.1", "10.0.0.1, 198.51.100.4", "198.51.100.4");
	/* Every element trusted: the leftmost is the client. */
	expect(tp, "127.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5");
	/* Blanks and tabs around elements. */
	expect(tp, "127.0.0.1", " \t198.51.100.4 \t,\t 10.1.2.3  ",
	    "198.51.100.4");
	trusted_proxies_free(tp);
}

Test(clientip, malformed_xff)
{
	struct trusted_proxies *tp = parse("127.0.0.1, 10.0.0.0/8");

	expect(tp, "127.0.0.1", "", "127.0.0.1");
	expect(tp, "127.0.0.1", "   ", "127.0.0.1");
	expect(tp, "127.0.0.1", "garbage", "127.0.0.1");
	expect(tp, "127.0.0.1", "unknown", "127.0.0.1");
	expect(tp, "127.0.0.1", "198.51.100.4:5555", "127.0.0.1");
	expect(tp, "127.0.0.1", "[2001:db8::1]", "127.0.0.1");
	expect(tp, "127.0.0.1", ",", "127.0.0.1");
	/* Garbage after a trusted hop: stop at that hop. */
	expect(tp, "127.0.0.1", "198.51.100.4, garbage, 10.1.2.3", "10.1.2.3");
	expect(tp, "127.0.0.1", "198.51.100.4,,10.1.2.3", "10.1.2.3");
	expect(tp, "127.0.0.1", "198.51.100.4, 10.1.2.3,", "127.0.0.1");
	/* Garbage left of the client is never looked at. */
	expect(tp, "127.0.0.1", "garbage, 198.51.100.4", "198.51.100.4");
	expect(tp, "127.0.0.1",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "127.0.0.1");
	trusted_proxies_free(tp);
}

Test(clientip, ipv6)
{
	struct trusted_proxies *tp = parse("2001:db8:1::/48, ::1");

	expect(tp, "2001:db8:1:ffff::9", "2001:db8:2::1", "2001:db8:2::1");
	expect(tp, "2001:db8:2::9", "2001:db8:3::1", "2001:db8:2::9");
	/* Output is canonical, whatever the header's spelling. */
	expect(tp, "::1", "2001:0DB8:0000:0000:0000:0000:0000:0042",
	    "2001:db8::42");
	expect(tp, "::1", "2001:db8:1::5, 198.51.100.4", "198.51.100.4");
	trusted_proxies_free(tp);
}

Test(clientip, ipv4_mapped)
{
	struct trusted_proxies *tp = parse("10.0.0.0/8");

	/* A dual-stack socket reports IPv4 peers mapped. */
	expect(tp, "::ffff:10.1.2.3", "198.51.100.4", "198.51.100.4");
	expect(tp, "::ffff:203.0.113.9", "198.51.100.4", "203.0.113.9");
	expect(tp, "10.1.2.3", "::ffff:198.51.100.4", "198.51.100.4");
	expect(tp, "10.1.2.3", "::ffff:10.0.0.1", "10.0.0.1");
	trusted_proxies_free(tp);

	tp = parse("::ffff:10.0.0.0/104");
	expect(tp, "10.1.2.3", "198.51.100.4", "198.51.100.4");
	expect(tp, "11.1.2.3", "198.51.100.4", "11.1.2.3");
	trusted_proxies_free(tp);
}

Test(clientip, cidr_edges)
{
	struct trusted_proxies *tp;

	/* /0 trusts every IPv4 address, and only those. */
	tp = parse("0.0.0.0/0");
	expect(tp, "203.0.113.1", "198.51.100.4", "198.51.100.4");
	expect(tp, "2001:db8::1", "198.51.100.4", "2001:db8::1");
	/* With all of IPv4 trusted, the leftmost address is the client. */
	expect(tp, "203.0.113.1", "8.8.8.8, 198.51.100.4", "8.8.8.8");
	trusted_proxies_free(tp);

	tp = parse("::/0");
	expect(tp, "2001:db8::1", "198.51.100.4", "198.51.100.4");
	expect(tp, "198.51.100.1", "2001:db8::2", "2001:db8::2");
	trusted_proxies_free(tp);

	tp = parse("192.0.2.1/32, 2001:db8::1/128");
	expect(tp, "192.0.2.1", "198.51.100.4", "198.51.100.4");
	expect(tp, "192.0.2.2", "198.51.100.4", "192.0.2.2");
	expect(tp, "2001:db8::1", "198.51.100.4", "198.51.100.4");
	expect(tp, "2001:db8::2", "198.51.100.4", "2001:db8::2");
	trusted_proxies_free(tp);

	/* A prefix that ends inside a byte. */
	tp = parse("192.0.2.128/25");
	expect(tp, "192.0.2.128", "198.51.100.4", "198.51.100.4");
	expect(tp, "192.0.2.255", "198.51.100.4", "198.51.100.4");
	expect(tp, "192.0.2.127", "198.51.100.4", "192.0.2.127");
	expect(tp, "192.0.3.128", "198.51.100.4", "192.0.3.128");
	trusted_proxies_free(tp);
}

Test(clientip, xff_element_bound)
{
	struct trusted_proxies *tp = parse("10.0.0.0/8");
	char xff[64 * 16];
	size_t len = 0;
	int i;

	/* 1 client followed by 40 trusted hops: only 32 are examined. */
	len += (size_t)snprintf(xff + len, sizeof(xff) - len, "198.51.100.4");
	for (i = 1; i <= 40; i++)
		len += (size_t)snprintf(
		    xff + len, sizeof(xff) - len, ", 10.0.0.%d", i);
	/* The walk stops at the 32nd element from the right, 10.0.0.9. */
	expect(tp, "10.0.0.100", xff, "10.0.0.9");

	/* Exactly 32 elements, the client leftmost: still found. */
	len = (size_t)snprintf(xff, sizeof(xff), "198.51.100.4");
	for (i = 1; i < CLIENTIP_XFF_MAX; i++)
		len += (size_t)snprintf(
		    xff + len, sizeof(xff) - len, ",10.0.0.%d", i);
	expect(tp, "10.0.0.100", xff, "198.51.100.4");
	trusted_proxies_free(tp);
}

Test(clientip, odd_peer_and_small_out)
{
	struct trusted_proxies *tp = parse("10.0.0.0/8");
	char out[8];

	/* A peer that is not an address is passed on, never trusted. */
	expect(tp, "unix:/run/x", "198.51.100.4", "unix:/run/x");
	expect(tp, "::ffff:10.0.0.1", NULL, "10.0.0.1");
	client_addr(tp, NULL, "198.51.100.4", out, sizeof(out));
	cr_assert_str_eq(out, "");
	/* Too small for the answer: empty, not a truncated address. */
	client_addr(tp, "10.0.0.1", "198.51.100.4", out, sizeof(out));
	cr_assert_str_eq(out, "");
	client_addr(tp, "1.2.3.4", NULL, out, sizeof(out));
	cr_assert_str_eq(out, "1.2.3.4");
	client_addr(tp, "1.2.3.4", NULL, out, 0);
	trusted_proxies_free(tp);
}
