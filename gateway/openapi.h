/*
 * GET /openapi.json: an OpenAPI 3.0.3 description of the live route table,
 * built from the routes and the catalog they carry.  Pure code: no I/O, so
 * the unit tests can build a route table by hand and parse the result.
 */
#ifndef POSTERN_GATEWAY_OPENAPI_H
#define POSTERN_GATEWAY_OPENAPI_H

#include "common/buf.h"

struct routes;

#define OPENAPI_VERSION "3.0.3"

/*
 * Appends the document for rs to out as one line of JSON.  server_url, when
 * not NULL, becomes the only entry of "servers"; without it that entry is
 * "/", so clients resolve the paths against the URL they fetched the
 * document from (OpenAPI's default, said explicitly).  The output is
 * deterministic: paths, tags and schemas come in route order.  Returns 0,
 * or -1 (out of memory) with out unchanged.
 */
int openapi_build(
    const struct routes *rs, const char *server_url, struct buf *out);

#endif
