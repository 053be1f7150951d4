/*
 * The gateway's built-in routes: the operational paths and the builder,
 * answered by the gateway itself, apart from the endpoint registry.  One
 * row per path says which methods it serves (405 and Allow come from it),
 * its handler, the label it is counted and logged under, and whether it
 * takes part in CORS.  handlers.c dispatches through it, metrics.c labels
 * by it.
 */
#ifndef POSTERN_GATEWAY_BUILTIN_H
#define POSTERN_GATEWAY_BUILTIN_H

#include <stddef.h>

struct req;

enum builtin_cors {
	BC_API,  /* CORS headers and preflights as for the data API */
	BC_NEVER /* no CORS at all, OPTIONS is 404: the builder's key must
	          * not be usable from another origin's page */
};

struct builtin {
	const char *bi_path;
	int bi_prefix; /* also every path under bi_path "/" */
	/* The methods it serves (HTTP_METHOD_BIT), checked before the
	 * handler runs; 0: the handler checks them itself. */
	unsigned bi_methods;
	int bi_needs_routes; /* 503 until the endpoint registry is loaded */
	int bi_admin_key;    /* the admin key is checked before the body */
	enum builtin_cors bi_cors;
	const char *bi_label; /* for /metrics and the request log */
	void (*bi_handle)(struct req *rq);
};

/* The row serving path, or NULL (then the endpoint registry decides). */
const struct builtin *builtin_find(const char *path);
/* All rows, for tests. */
const struct builtin *builtin_rows(size_t *n);

#endif
