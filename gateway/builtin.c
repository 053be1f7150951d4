/*
 * The built-in routes (gateway/builtin.h).  A row serves its path exactly,
 * and with bi_prefix also everything under it ("/_admin/endpoints"), but
 * never a longer name ("/_adminx" belongs to the registry).
 */
#include <string.h>

#include "gateway/builtin.h"
#include "gateway/gateway.h"

static const struct builtin builtins[] = {
    {"/healthz", 0, HTTP_GET_HEAD, 0, 0, BC_API, "/healthz", handle_healthz},
    {"/readyz", 0, HTTP_GET_HEAD, 0, 0, BC_API, "/readyz", handle_readyz},
    {"/metrics", 0, HTTP_GET_HEAD, 0, 0, BC_API, "/metrics", metrics_handle},
    {"/openapi.json", 0, HTTP_GET_HEAD, 1, 0, BC_API, "/openapi.json",
        handle_openapi},
    /* The builder API answers its own 405s: its methods differ by
     * path below /_admin. */
    {"/_admin", 1, 0, 0, 1, BC_NEVER, "/_admin", admin_handle},
    /* The console answers 404 for a file it lacks before it looks at
     * the method, so it checks GET/HEAD itself. */
    {"/_console", 1, 0, 0, 0, BC_NEVER, "/_console", console_handle},
};

const struct builtin *
builtin_find(const char *path)
{
	const struct builtin *b;
	size_t i, n;

	if (path == NULL)
		return NULL;
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		b = &builtins[i];
		n = strlen(b->bi_path);
		if (strncmp(path, b->bi_path, n) != 0)
			continue;
		if (path[n] == '\0' || (b->bi_prefix && path[n] == '/'))
			return b;
	}
	return NULL;
}

const struct builtin *
builtin_rows(size_t *n)
{
	*n = sizeof(builtins) / sizeof(builtins[0]);
	return builtins;
}
