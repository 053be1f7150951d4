/*
 * Which client address the gateway reports to authd (for rate limits and
 * the audit log).  X-Forwarded-For is believed only as far as it was
 * written by proxies we were told to trust.  Pure logic, no I/O.
 */
#ifndef POSTERN_GATEWAY_CLIENTIP_H
#define POSTERN_GATEWAY_CLIENTIP_H

#include <stddef.h>

#include <netinet/in.h>

/* Room client_addr needs in out, NUL included. */
#define CLIENTIP_ADDR_MAX INET6_ADDRSTRLEN
#define CLIENTIP_PROXIES_MAX 256
/* X-Forwarded-For elements examined, from the right. */
#define CLIENTIP_XFF_MAX 32

struct trusted_proxies;

/*
 * Parses a comma-separated list of IPv4 or IPv6 addresses and CIDR blocks,
 * e.g. "127.0.0.1, 10.0.0.0/8, ::1"; spaces and tabs around entries are
 * ignored.  NULL, an empty or an all-blank list is valid and trusts
 * nobody.  A block with bits set past its prefix ("10.0.0.1/8") is
 * refused as a likely typo.  On a bad entry returns NULL and a static
 * reason in *why (which may be NULL).
 */
struct trusted_proxies *trusted_proxies_parse(
    const char *list, const char **why);
void trusted_proxies_free(struct trusted_proxies *tp);

/*
 * Writes the client address to out: peer (the socket's address, as
 * inet_ntop wrote it) unless peer is a trusted proxy and xff (the
 * X-Forwarded-For value, or NULL) names someone further out.  Then xff is
 * walked from the right, skipping trusted proxies, and the first address
 * that is not one is the client.  An element that is not a bare address
 * (garbage, empty, with a port) ends the walk at the last trusted hop, as
 * does reaching CLIENTIP_XFF_MAX elements; if every element is trusted,
 * the leftmost is the client.  The gateway should join repeated
 * X-Forwarded-For headers with "," before calling (RFC 9110 5.3).
 *
 * The address is written in canonical form (inet_ntop; an IPv4-mapped
 * IPv6 address as plain IPv4) so one client never gets two spellings, and
 * two rate-limit keys.  If it does not fit in outcap (use
 * CLIENTIP_ADDR_MAX), out is set to "".
 */
void client_addr(const struct trusted_proxies *tp, const char *peer,
    const char *xff, char *out, size_t outcap);

#endif
