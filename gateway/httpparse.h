/*
 * Strict HTTP/1.1 request parsing (RFC 9112), with no I/O.
 *
 * The gateway does its own socket work on bufferevents and hands the bytes
 * it has to these functions.  Everything here is deliberately stricter than
 * the RFC's "be liberal in what you accept": every ambiguity that two HTTP
 * implementations could resolve differently (bare LF, obs-fold, duplicate
 * or list-valued Content-Length, Transfer-Encoding next to Content-Length,
 * whitespace before the colon, ...) is a request-smuggling vector, so it
 * is refused instead of guessed at.
 */
#ifndef POSTERN_GATEWAY_HTTPPARSE_H
#define POSTERN_GATEWAY_HTTPPARSE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum http_method {
	HM_GET,
	HM_HEAD,
	HM_POST,
	HM_PUT,
	HM_PATCH,
	HM_DELETE,
	HM_OPTIONS,
	HM_OTHER
};

/* "GET", ..., "OTHER"; never NULL. */
const char *http_method_name(enum http_method m);

struct http_header {
	char *hd_name;  /* as sent */
	char *hd_value; /* trimmed of surrounding SP/HTAB */
};

struct http_head {
	enum http_method hh_method;
	char hh_method_str[24]; /* as sent (token), for HM_OTHER too */
	char *hh_target;        /* raw request-target, NUL-terminated */
	char *hh_path;          /* percent-decoded path (no query) */
	char *hh_query;         /* raw query after '?' (no '#'), or NULL */
	int hh_minor;           /* 0 or 1 (HTTP/1.0, HTTP/1.1) */
	struct http_header *hh_hdrs;
	size_t hh_nhdrs;
	int64_t hh_content_length; /* -1 when absent */
	int hh_chunked;            /* Transfer-Encoding: chunked */
	int hh_keepalive;          /* see http_head_parse() */
};

#define HTTP_MAX_HEADERS 100
/* Empty lines tolerated before the request line (RFC 9112 section 2.2). */
#define HTTP_MAX_LEADING_CRLF 4

/*
 * Parses one request head from buf[0..len).  Returns:
 *   >0  the number of bytes the head took, through its blank line (plus
 *       any skipped leading CRLFs); *out is filled and owned by the caller,
 *       who frees it with http_head_free();
 *    0  incomplete: read more and call again with the whole buffer;
 *   -1  the request must be refused: *status is the HTTP status to answer
 *       (400, 431, 501, 505, or 500 when memory ran out) and *why a static
 *       message fit for a client.
 * A head that does not end within max_head bytes is a 431 as soon as len
 * reaches max_head, so a caller that stops reading at max_head never
 * waits forever.  On 0 and -1, *out is left zeroed.
 *
 * hh_keepalive: HTTP/1.1 keeps the connection unless "Connection: close";
 * HTTP/1.0 keeps it only with "Connection: keep-alive" (and no "close").
 * HTTP/1.1 requires exactly one Host header; HTTP/1.0 allows none.
 */
int http_head_parse(const char *buf, size_t len, size_t max_head,
    struct http_head *out, int *status, const char **why);
/* Safe on a zeroed struct, and twice. */
void http_head_free(struct http_head *h);
/* Case-insensitive; the first match, or NULL. */
const char *http_head_get(const struct http_head *h, const char *name);

/* Longest chunk-size line, extensions included, and all trailers together. */
#define HTTP_CHUNK_LINE_MAX 1024
#define HTTP_CHUNK_TRAILER_MAX 8192

struct http_chunked {
	int hc_state;
	uint64_t hc_left;     /* chunk-size, then data bytes still to copy */
	size_t hc_linelen;    /* bytes of the current chunk-size line */
	size_t hc_ndigits;    /* hex digits of the current chunk-size */
	size_t hc_trailerlen; /* bytes of trailer section so far */
	uint64_t hc_total;    /* payload bytes decoded so far */
};

void http_chunked_init(struct http_chunked *c);
/*
 * Decodes chunked body bytes from in[0..inlen), appending the payload to
 * out and setting *consumed to the bytes used.  Returns 1 when the body is
 * complete (last chunk and trailers consumed; bytes after it, such as a
 * pipelined request, are not consumed), 0 when it needs more input, -1 when
 * the body is malformed (answer 400; also when out cannot grow), -2 when
 * the decoded payload would exceed limit (answer 413).  Once 1, -1 or -2
 * has been returned, further calls return the same and consume nothing.
 */
int http_chunked_feed(struct http_chunked *c, const char *in, size_t inlen,
    size_t *consumed, struct buf *out, size_t limit);

struct http_param {
	char *hp_name;  /* percent-decoded, '+' decoded as space */
	char *hp_value; /* likewise; "" for a bare "name" */
};

#define HTTP_QUERY_MAX 65536

/*
 * Splits a raw query string on '&', skipping empty pieces; each piece is
 * "name=value" (split at the first '=') or "name".  q may be NULL.  Returns
 * 0 with an owned array in *out (NULL when *n is 0), to be freed with
 * http_params_free(), or -1 with a static message in *why on a malformed
 * %XX, a decoded NUL, more than max_params pieces, a query longer than
 * HTTP_QUERY_MAX bytes, or no memory.  Repeated names are kept, in order.
 */
int http_query_parse(const char *q, size_t max_params, struct http_param **out,
    size_t *n, const char **why);
void http_params_free(struct http_param *p, size_t n);

/*
 * Decodes %XX escapes (and '+' as space if plus_is_space) of in[0..n) into
 * out, NUL-terminated; *outlen excludes the NUL.  Returns -1 on a bad
 * escape, a decoded or raw NUL, or when outcap cannot hold the result and
 * its NUL (outcap >= n + 1 is always enough).  out may be NULL to only
 * validate (outcap is then ignored).
 */
int http_percent_decode(const char *in, size_t n, char *out, size_t outcap,
    size_t *outlen, int plus_is_space);

#endif
