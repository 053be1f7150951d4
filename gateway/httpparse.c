/*
 * Strict HTTP/1.1 request parsing: request head, chunked body, query string.
 *
 * Pure functions over caller-supplied bytes.  The rules follow RFC 9112,
 * narrowed wherever a lenient reading would let a front proxy and this
 * gateway disagree about where a request ends (request smuggling): only
 * CRLF ends a line, header names are bare tokens, framing headers appear at
 * most once and hold exactly one well-formed value.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "gateway/httpparse.h"

/* Per-head bookkeeping for the headers that decide framing and routing. */
struct head_state {
	int hs_ncl;
	int hs_nte;
	int hs_nhost;
	int hs_close;
	int hs_keepalive;
};

enum hc_states {
	/*
	 * The chunk-size line, RFC 9112 section 7.1.1:
	 *   chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG,
	 *   chunk-ext = *( BWS ";" BWS chunk-ext-name
	 *                  [ BWS "=" BWS chunk-ext-val ] ),
	 *   chunk-ext-name = token, chunk-ext-val = token / quoted-string.
	 * BWS (SP / HTAB) is accepted exactly where that grammar puts it,
	 * as RFC 9110 section 5.6.3 asks of a recipient, and nowhere else:
	 * not at the end of the line, so "a \r\n" is refused.  Extensions
	 * are checked, then ignored.  These states stay before HC_SIZE_LF:
	 * the line bound counts bytes up to it.
	 */
	HC_SIZE,         /* hex digits of chunk-size */
	HC_SIZE_BWS,     /* BWS after chunk-size: only ";" may follow */
	HC_EXT_NAME0,    /* after ";": BWS, then the name's first tchar */
	HC_EXT_NAME,     /* in a chunk-ext-name */
	HC_EXT_NAME_BWS, /* BWS after a name: ";" or "=" must follow */
	HC_EXT_VAL0,     /* after "=": BWS, then a token or a quote */
	HC_EXT_TOKEN,    /* in a token value */
	HC_EXT_QUOTED,   /* in a quoted-string value */
	HC_EXT_QPAIR,    /* after a backslash in a quoted-string */
	HC_EXT_VAL_END,  /* after the closing quote */
	HC_EXT_VAL_BWS,  /* BWS after a value: only ";" may follow */
	HC_SIZE_LF,      /* CR seen at the end of the size line */
	HC_DATA,         /* hc_left payload bytes to copy */
	HC_DATA_CR,      /* CRLF after the data */
	HC_DATA_LF,
	HC_TRAILER, /* start of a trailer line, or the final CRLF */
	HC_TRAILER_NAME,
	HC_TRAILER_VALUE,
	HC_TRAILER_LF,
	HC_FINAL_LF,
	HC_DONE,
	HC_BAD,
	HC_TOOBIG
};

static const struct {
	const char *m_name;
	enum http_method m_method;
} http_methods[] = {
    {"GET", HM_GET},
    {"HEAD", HM_HEAD},
    {"POST", HM_POST},
    {"PUT", HM_PUT},
    {"PATCH", HM_PATCH},
    {"DELETE", HM_DELETE},
    {"OPTIONS", HM_OPTIONS},
};

const char *
http_method_name(enum http_method m)
{
	size_t i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (http_methods[i].m_method == m)
			return http_methods[i].m_name;
	return "OTHER";
}

/* tchar from RFC 9110 section 5.6.2. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* SP / HTAB: the OWS and BWS of RFC 9110 section 5.6.3. */
static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Control characters other than HTAB, which field values may contain. */
static int
is_bad_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
name_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

static int
refuse(int *status, const char **why, int st, const char *msg)
{
	*status = st;
	*why = msg;
	return -1;
}

int
http_percent_decode(const char *in, size_t n, char *out, size_t outcap,
    size_t *outlen, int plus_is_space)
{
	size_t i, o = 0;
	unsigned char c;
	int hi, lo;

	if (out != NULL && outcap == 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (c == '%') {
			if (n - i < 3 ||
			    (hi = hexval((unsigned char)in[i + 1])) == -1 ||
			    (lo = hexval((unsigned char)in[i + 2])) == -1)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		/* A NUL would cut the C string short of what was checked. */
		if (c == '\0')
			return -1;
		if (out != NULL) {
			if (o >= outcap - 1)
				return -1;
			out[o] = (char)c;
		}
		o++;
	}
	if (out != NULL)
		out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/*
 * Finds the end of the head without interpreting it.  Sets *startp past
 * the tolerated leading CRLFs and *endp past the blank line.  Returns 1
 * when found, 0 when more bytes are needed, -1 on a stray CR or LF or a
 * head that cannot fit in max_head.  Bytes after the head (a body, a
 * pipelined request) are never looked at.
 */
static int
head_scan(const char *buf, size_t len, size_t max_head, size_t *startp,
    size_t *endp, int *status, const char **why)
{
	size_t i = 0, start, linestart, nempty = 0;

	while (i < len) {
		if (buf[i] == '\n')
			return refuse(status, why, 400, "bare LF in request");
		if (buf[i] != '\r')
			break;
		if (i + 1 >= len)
			goto more;
		if (buf[i + 1] != '\n')
			return refuse(status, why, 400, "bare CR in request");
		if (++nempty > HTTP_MAX_LEADING_CRLF)
			return refuse(status, why, 400,
			    "too many empty lines before request");
		i += 2;
	}
	start = linestart = i;
	for (; i < len && i < max_head; i++) {
		if (buf[i] == '\n')
			return refuse(status, why, 400, "bare LF in request");
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= len)
			goto more;
		if (buf[i + 1] != '\n')
			return refuse(status, why, 400, "bare CR in request");
		if (i == linestart && i != start) {
			if (i + 2 > max_head)
				break;
			*startp = start;
			*endp = i + 2;
			return 1;
		}
		i++;
		linestart = i + 1;
	}
more:
	/*
	 * No complete head within max_head bytes: once that many are here,
	 * it can only get bigger.
	 */
	if (len > 0 && len >= max_head)
		return refuse(status, why, 431, "request head too large");
	return 0;
}

static int
parse_target(const char *t, size_t tlen, struct http_head *h, int *status,
    const char **why)
{
	const char *q;
	size_t i, plen, dlen;
	unsigned char c;

	if (tlen == 0 || t[0] != '/')
		return refuse(status, why, 400,
		    "request-target must be an absolute path");
	for (i = 0; i < tlen; i++) {
		c = (unsigned char)t[i];
		if (c <= 0x20 || c >= 0x7f)
			return refuse(status, why, 400,
			    "invalid character in request-target");
		if (c == '#')
			return refuse(
			    status, why, 400, "fragment in request-target");
	}
	q = memchr(t, '?', tlen);
	plen = q != NULL ? (size_t)(q - t) : tlen;

	if ((h->hh_target = strndup(t, tlen)) == NULL ||
	    (h->hh_path = malloc(plen + 1)) == NULL)
		return refuse(status, why, 500, "out of memory");
	if (http_percent_decode(t, plen, h->hh_path, plen + 1, &dlen, 0) == -1)
		return refuse(
		    status, why, 400, "invalid percent-encoding in path");
	/*
	 * Nothing here serves files, but a backend or log reader that
	 * normalises paths must not see a different resource than we routed.
	 */
	if (memmem(h->hh_path, dlen, "/../", 4) != NULL ||
	    (dlen >= 3 && memcmp(h->hh_path + dlen - 3, "/..", 3) == 0))
		return refuse(status, why, 400, "dot-dot segment in path");
	if (q != NULL) {
		if (http_percent_decode(
		        q + 1, tlen - plen - 1, NULL, 0, NULL, 1) == -1)
			return refuse(status, why, 400,
			    "invalid percent-encoding in query");
		if ((h->hh_query = strndup(q + 1, tlen - plen - 1)) == NULL)
			return refuse(status, why, 500, "out of memory");
	}
	return 0;
}

/* METHOD SP request-target SP HTTP-version, without the CRLF. */
static int
parse_request_line(
    const char *l, size_t n, struct http_head *h, int *status, const char **why)
{
	size_t i, mlen, ts, tlen, vs;
	const char *v;

	for (i = 0; i < n && is_tchar((unsigned char)l[i]); i++)
		;
	if (i == 0 || i == n || l[i] != ' ')
		return refuse(status, why, 400, "malformed request line");
	mlen = i;
	ts = i + 1;
	for (i = ts; i < n && l[i] != ' '; i++)
		;
	if (i == n)
		return refuse(status, why, 400, "malformed request line");
	tlen = i - ts;
	vs = i + 1;

	v = l + vs;
	if (n - vs == 8 && memcmp(v, "HTTP/1.", 7) == 0 &&
	    (v[7] == '0' || v[7] == '1'))
		h->hh_minor = v[7] - '0';
	else if (n - vs == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' &&
	         v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9')
		return refuse(status, why, 505, "HTTP version not supported");
	else
		return refuse(status, why, 400, "malformed HTTP version");

	/* A longer token is no method we implement. */
	if (mlen >= sizeof(h->hh_method_str))
		return refuse(status, why, 501, "method not supported");
	memcpy(h->hh_method_str, l, mlen);
	h->hh_method_str[mlen] = '\0';
	h->hh_method = HM_OTHER;
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(http_methods[i].m_name, h->hh_method_str) == 0)
			h->hh_method = http_methods[i].m_method;

	return parse_target(l + ts, tlen, h, status, why);
}

/* Connection = #connection-option; elements may be empty. */
static void
parse_connection(const char *v, size_t n, struct head_state *st)
{
	size_t i = 0, s, e;

	while (i < n) {
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i++;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (name_is(v + s, e - s, "close"))
			st->hs_close = 1;
		else if (name_is(v + s, e - s, "keep-alive"))
			st->hs_keepalive = 1;
	}
}

/*
 * The headers that decide framing take exactly one value.  Trailing
 * whitespace, though legal OWS, is refused on the two that delimit the
 * body: no sane client sends it and some parsers do not strip it.
 */
static int
framing_header(const char *name, size_t nlen, const char *v, size_t vlen,
    int ws_tail, struct http_head *h, struct head_state *st, int *status,
    const char **why)
{
	size_t i;

	if (name_is(name, nlen, "content-length")) {
		/* Even an equal duplicate is refused: a proxy may disagree. */
		if (st->hs_ncl++ > 0)
			return refuse(
			    status, why, 400, "duplicate Content-Length");
		/* 18 digits cannot overflow int64_t. */
		if (vlen == 0 || vlen > 18 || ws_tail)
			return refuse(
			    status, why, 400, "invalid Content-Length");
		h->hh_content_length = 0;
		for (i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return refuse(
				    status, why, 400, "invalid Content-Length");
			h->hh_content_length =
			    h->hh_content_length * 10 + (v[i] - '0');
		}
	} else if (name_is(name, nlen, "transfer-encoding")) {
		if (st->hs_nte++ > 0)
			return refuse(
			    status, why, 400, "duplicate Transfer-Encoding");
		if (ws_tail)
			return refuse(
			    status, why, 400, "invalid Transfer-Encoding");
		if (name_is(v, vlen, "chunked")) {
			h->hh_chunked = 1;
			return 0;
		}
		for (i = 0; i < vlen && is_tchar((unsigned char)v[i]); i++)
			;
		if (vlen > 0 && i == vlen)
			return refuse(
			    status, why, 501, "transfer coding not supported");
		return refuse(status, why, 400, "invalid Transfer-Encoding");
	} else if (name_is(name, nlen, "host")) {
		if (st->hs_nhost++ > 0)
			return refuse(status, why, 400, "duplicate Host");
	} else if (name_is(name, nlen, "connection"))
		parse_connection(v, vlen, st);
	return 0;
}

/* One field line, without its CRLF. */
static int
parse_header_line(const char *l, size_t n, struct http_head *h,
    struct head_state *st, int *status, const char **why)
{
	struct http_header *hd;
	size_t i, nlen, vs, ve;

	if (l[0] == ' ' || l[0] == '\t')
		return refuse(status, why, 400, "obsolete line folding");
	for (i = 0; i < n && is_tchar((unsigned char)l[i]); i++)
		;
	if (i < n && (l[i] == ' ' || l[i] == '\t'))
		return refuse(status, why, 400,
		    "whitespace between header name and colon");
	if (i == 0 || i == n || l[i] != ':')
		return refuse(status, why, 400, "malformed header line");
	nlen = i;
	vs = i + 1;
	ve = n;
	while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	for (i = vs; i < ve; i++)
		if (is_bad_ctl((unsigned char)l[i]))
			return refuse(status, why, 400,
			    "control character in header value");

	/* Counted first so that http_head_free() sees a half-built entry. */
	hd = &h->hh_hdrs[h->hh_nhdrs++];
	if ((hd->hd_name = strndup(l, nlen)) == NULL ||
	    (hd->hd_value = strndup(l + vs, ve - vs)) == NULL)
		return refuse(status, why, 500, "out of memory");
	return framing_header(
	    l, nlen, l + vs, ve - vs, ve < n, h, st, status, why);
}

/* p[0..n) is the request line through the blank line, all CRLF-checked. */
static int
head_fill(
    const char *p, size_t n, struct http_head *h, int *status, const char **why)
{
	struct head_state st;
	const char *end = p + n - 2, *reqend, *line, *eol;
	size_t nlines = 0;

	memset(&st, 0, sizeof(st));
	h->hh_content_length = -1;

	reqend = memchr(p, '\r', n);
	if (parse_request_line(p, (size_t)(reqend - p), h, status, why) == -1)
		return -1;

	for (line = reqend + 2; line < end; line = eol + 2) {
		eol = memchr(line, '\r', (size_t)(end - line));
		nlines++;
	}
	if (nlines > HTTP_MAX_HEADERS)
		return refuse(status, why, 431, "too many header fields");
	if (nlines > 0 &&
	    (h->hh_hdrs = calloc(nlines, sizeof(*h->hh_hdrs))) == NULL)
		return refuse(status, why, 500, "out of memory");

	for (line = reqend + 2; line < end; line = eol + 2) {
		eol = memchr(line, '\r', (size_t)(end - line));
		if (parse_header_line(
		        line, (size_t)(eol - line), h, &st, status, why) == -1)
			return -1;
	}

	if (st.hs_nte > 0 && st.hs_ncl > 0)
		return refuse(status, why, 400,
		    "both Content-Length and Transfer-Encoding");
	if (st.hs_nte > 0 && h->hh_minor == 0)
		return refuse(status, why, 400,
		    "Transfer-Encoding in an HTTP/1.0 request");
	if (st.hs_nhost == 0 && h->hh_minor == 1)
		return refuse(status, why, 400, "missing Host header");
	if (h->hh_minor == 1)
		h->hh_keepalive = !st.hs_close;
	else
		h->hh_keepalive = st.hs_keepalive && !st.hs_close;
	return 0;
}

int
http_head_parse(const char *buf, size_t len, size_t max_head,
    struct http_head *out, int *status, const char **why)
{
	size_t start, end;
	int r;

	memset(out, 0, sizeof(*out));
	*status = 0;
	*why = NULL;
	if ((r = head_scan(buf, len, max_head, &start, &end, status, why)) <= 0)
		return r;
	if (end > INT_MAX)
		return refuse(status, why, 431, "request head too large");
	if (head_fill(buf + start, end - start, out, status, why) == -1) {
		http_head_free(out);
		return -1;
	}
	return (int)end;
}

void
http_head_free(struct http_head *h)
{
	size_t i;

	for (i = 0; i < h->hh_nhdrs; i++) {
		free(h->hh_hdrs[i].hd_name);
		free(h->hh_hdrs[i].hd_value);
	}
	free(h->hh_hdrs);
	free(h->hh_target);
	free(h->hh_path);
	free(h->hh_query);
	memset(h, 0, sizeof(*h));
}

const char *
http_head_get(const struct http_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->hh_nhdrs; i++)
		if (strcasecmp(h->hh_hdrs[i].hd_name, name) == 0)
			return h->hh_hdrs[i].hd_value;
	return NULL;
}

void
http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->hc_state = HC_SIZE;
}

int
http_chunked_feed(struct http_chunked *c, const char *in, size_t inlen,
    size_t *consumed, struct buf *out, size_t limit)
{
	size_t i = 0, take;
	unsigned char ch;
	int hv;

	*consumed = 0;
	if (c->hc_state == HC_DONE)
		return 1;
	if (c->hc_state == HC_BAD)
		return -1;
	if (c->hc_state == HC_TOOBIG)
		return -2;

	while (i < inlen) {
		if (c->hc_state == HC_DATA) {
			take = inlen - i;
			if ((uint64_t)take > c->hc_left)
				take = (size_t)c->hc_left;
			if (buf_add(out, in + i, take) == -1)
				goto bad;
			i += take;
			c->hc_left -= take;
			c->hc_total += take;
			if (c->hc_left == 0)
				c->hc_state = HC_DATA_CR;
			continue;
		}
		ch = (unsigned char)in[i++];
		if (c->hc_state <= HC_SIZE_LF &&
		    ++c->hc_linelen > HTTP_CHUNK_LINE_MAX)
			goto bad;
		if (c->hc_state >= HC_TRAILER &&
		    ++c->hc_trailerlen > HTTP_CHUNK_TRAILER_MAX)
			goto bad;

		switch (c->hc_state) {
		case HC_SIZE:
			if ((hv = hexval(ch)) != -1) {
				/* 16 hex digits fill a uint64_t exactly. */
				if (++c->hc_ndigits > 16)
					goto bad;
				c->hc_left = c->hc_left << 4 | (uint64_t)hv;
				break;
			}
			if (c->hc_ndigits == 0)
				goto bad;
			if (ch == '\r')
				c->hc_state = HC_SIZE_LF;
			else if (ch == ';')
				c->hc_state = HC_EXT_NAME0;
			else if (is_ws(ch))
				c->hc_state = HC_SIZE_BWS;
			else
				goto bad;
			break;
		case HC_SIZE_BWS:
		case HC_EXT_VAL_BWS:
			if (ch == ';')
				c->hc_state = HC_EXT_NAME0;
			else if (!is_ws(ch))
				goto bad;
			break;
		case HC_EXT_NAME0:
			if (is_tchar(ch))
				c->hc_state = HC_EXT_NAME;
			else if (!is_ws(ch))
				goto bad;
			break;
		case HC_EXT_NAME:
		case HC_EXT_TOKEN:
			if (is_tchar(ch))
				break;
			if (ch == '\r')
				c->hc_state = HC_SIZE_LF;
			else if (ch == ';')
				c->hc_state = HC_EXT_NAME0;
			else if (ch == '=' && c->hc_state == HC_EXT_NAME)
				c->hc_state = HC_EXT_VAL0;
			else if (is_ws(ch))
				c->hc_state = c->hc_state == HC_EXT_NAME
				                  ? HC_EXT_NAME_BWS
				                  : HC_EXT_VAL_BWS;
			else
				goto bad;
			break;
		case HC_EXT_NAME_BWS:
			if (ch == ';')
				c->hc_state = HC_EXT_NAME0;
			else if (ch == '=')
				c->hc_state = HC_EXT_VAL0;
			else if (!is_ws(ch))
				goto bad;
			break;
		case HC_EXT_VAL0:
			if (is_tchar(ch))
				c->hc_state = HC_EXT_TOKEN;
			else if (ch == '"')
				c->hc_state = HC_EXT_QUOTED;
			else if (!is_ws(ch))
				goto bad;
			break;
		case HC_EXT_QUOTED:
			/* qdtext: HTAB, SP, VCHAR but '"' and '\\', obs-text.
			 */
			if (ch == '"')
				c->hc_state = HC_EXT_VAL_END;
			else if (ch == '\\')
				c->hc_state = HC_EXT_QPAIR;
			else if (ch != '\t' && (ch < 0x20 || ch == 0x7f))
				goto bad;
			break;
		case HC_EXT_QPAIR:
			/* quoted-pair: HTAB, SP, VCHAR, obs-text. */
			if (ch != '\t' && (ch < 0x20 || ch == 0x7f))
				goto bad;
			c->hc_state = HC_EXT_QUOTED;
			break;
		case HC_EXT_VAL_END:
			if (ch == '\r')
				c->hc_state = HC_SIZE_LF;
			else if (ch == ';')
				c->hc_state = HC_EXT_NAME0;
			else if (is_ws(ch))
				c->hc_state = HC_EXT_VAL_BWS;
			else
				goto bad;
			break;
		case HC_SIZE_LF:
			if (ch != '\n')
				goto bad;
			if (c->hc_left > (uint64_t)limit - c->hc_total)
				goto toobig;
			c->hc_linelen = 0;
			c->hc_ndigits = 0;
			c->hc_state = c->hc_left == 0 ? HC_TRAILER : HC_DATA;
			break;
		case HC_DATA_CR:
			if (ch != '\r')
				goto bad;
			c->hc_state = HC_DATA_LF;
			break;
		case HC_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->hc_state = HC_SIZE;
			break;
		case HC_TRAILER:
			/* Also refuses obs-fold: a line may not start blank. */
			if (ch == '\r')
				c->hc_state = HC_FINAL_LF;
			else if (is_tchar(ch))
				c->hc_state = HC_TRAILER_NAME;
			else
				goto bad;
			break;
		case HC_TRAILER_NAME:
			if (ch == ':')
				c->hc_state = HC_TRAILER_VALUE;
			else if (!is_tchar(ch))
				goto bad;
			break;
		case HC_TRAILER_VALUE:
			if (ch == '\r')
				c->hc_state = HC_TRAILER_LF;
			else if (is_bad_ctl(ch))
				goto bad;
			break;
		case HC_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->hc_state = HC_TRAILER;
			break;
		case HC_FINAL_LF:
			if (ch != '\n')
				goto bad;
			c->hc_state = HC_DONE;
			*consumed = i;
			return 1;
		default:
			goto bad;
		}
	}
	*consumed = i;
	return 0;
bad:
	c->hc_state = HC_BAD;
	*consumed = i;
	return -1;
toobig:
	c->hc_state = HC_TOOBIG;
	*consumed = i;
	return -2;
}

void
http_params_free(struct http_param *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].hp_name);
		free(p[i].hp_value);
	}
	free(p);
}

static int
decode_dup(const char *s, size_t n, char **outp, const char **why)
{
	if ((*outp = malloc(n + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (http_percent_decode(s, n, *outp, n + 1, NULL, 1) == -1) {
		*why = "invalid percent-encoding in query";
		return -1;
	}
	return 0;
}

int
http_query_parse(const char *q, size_t max_params, struct http_param **out,
    size_t *n, const char **why)
{
	struct http_param *p = NULL, *hp;
	const char *piece, *eq;
	size_t qlen, count = 0, k = 0, i, s, plen, nlen;
	int rv = -1;

	*out = NULL;
	*n = 0;
	*why = NULL;
	if (q == NULL)
		return 0;
	if ((qlen = strnlen(q, HTTP_QUERY_MAX + 1)) > HTTP_QUERY_MAX) {
		*why = "query string too long";
		return -1;
	}
	for (i = 0; i < qlen; i++) {
		s = i;
		while (i < qlen && q[i] != '&')
			i++;
		if (i > s)
			count++;
	}
	if (count > max_params) {
		*why = "too many query parameters";
		return -1;
	}
	if (count == 0)
		return 0;
	if ((p = calloc(count, sizeof(*p))) == NULL) {
		*why = "out of memory";
		return -1;
	}

	for (i = 0; i < qlen; i++) {
		s = i;
		while (i < qlen && q[i] != '&')
			i++;
		if ((plen = i - s) == 0)
			continue;
		piece = q + s;
		eq = memchr(piece, '=', plen);
		nlen = eq != NULL ? (size_t)(eq - piece) : plen;
		/* Counted first so that the cleanup frees a half-built one. */
		hp = &p[k++];
		if (decode_dup(piece, nlen, &hp->hp_name, why) == -1 ||
		    decode_dup(piece + nlen + (eq != NULL),
		        plen - nlen - (eq != NULL), &hp->hp_value, why) == -1)
			goto fail;
	}
	*out = p;
	*n = count;
	rv = 0;
fail:
	if (rv == -1)
		http_params_free(p, k);
	return rv;
}
