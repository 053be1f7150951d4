/*
 * Cross-origin requests (CORS): which browser origins may call the data
 * and auth endpoints.  Pure: the list is parsed once from cors_origins;
 * handlers.c answers preflights and adds the headers.  None by default.
 */
#ifndef POSTERN_GATEWAY_CORS_H
#define POSTERN_GATEWAY_CORS_H

#define CORS_MAX_ORIGINS 64
#define CORS_ORIGIN_MAX 256

struct cors;

/* "*" (any origin), or a comma-separated list of origins
 * (scheme://host[:port], no path).  An empty list is valid (no CORS).
 * NULL with *why on a bad entry. */
struct cors *cors_parse(const char *list, const char **why);
void cors_free(struct cors *c);
/* The Access-Control-Allow-Origin value for origin, or NULL if it may not
 * call us.  The comparison is exact (case-insensitive scheme and host). */
const char *cors_allow(const struct cors *c, const char *origin);
/* 1 if any origin is configured. */
int cors_enabled(const struct cors *c);
/* Checks Access-Control-Request-Headers: a comma list of header-name
 * tokens; 0 if acceptable (and short), -1 otherwise. */
int cors_headers_ok(const char *list);

#endif
