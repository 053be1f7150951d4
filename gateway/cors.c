#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "gateway/cors.h"

struct cors {
	int co_any;
	size_t co_n;
	char co_origins[CORS_MAX_ORIGINS][CORS_ORIGIN_MAX];
};

/* scheme://host[:port] with nothing after, scheme http or https. */
static int
origin_ok(const char *o)
{
	const char *h, *p;

	if (strncasecmp(o, "http://", 7) == 0)
		h = o + 7;
	else if (strncasecmp(o, "https://", 8) == 0)
		h = o + 8;
	else
		return 0;
	if (*h == '\0')
		return 0;
	for (p = h; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) ||
		        strchr("-.:[]", *p) != NULL))
			return 0;
	return 1;
}

struct cors *
cors_parse(const char *list, const char **why)
{
	struct cors *c;
	const char *p = list, *e;
	char item[CORS_ORIGIN_MAX];
	size_t n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(item)) {
			*why = "empty or overlong origin";
			goto fail;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (strcmp(item, "*") == 0)
			c->co_any = 1;
		else if (!origin_ok(item)) {
			*why = "an origin is scheme://host[:port] (http or "
			       "https), or *";
			goto fail;
		} else if (c->co_n == CORS_MAX_ORIGINS) {
			*why = "too many origins";
			goto fail;
		} else
			x_strlcpy(
			    c->co_origins[c->co_n++], item, CORS_ORIGIN_MAX);
		if (*e == ',') {
			p = e + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0') {
				*why = "empty origin after a comma";
				goto fail;
			}
		} else
			p = e;
	}
	return c;
fail:
	free(c);
	return NULL;
}

void
cors_free(struct cors *c)
{
	free(c);
}

int
cors_enabled(const struct cors *c)
{
	return c != NULL && (c->co_any || c->co_n > 0);
}

const char *
cors_allow(const struct cors *c, const char *origin)
{
	size_t i;

	if (c == NULL || origin == NULL || !origin_ok(origin) ||
	    strlen(origin) >= CORS_ORIGIN_MAX)
		return NULL;
	/* "*" never comes with credentials; bearer tokens are headers, not
	 * cookies, so "*" is enough for them. */
	if (c->co_any)
		return "*";
	for (i = 0; i < c->co_n; i++)
		if (strcasecmp(c->co_origins[i], origin) == 0)
			return c->co_origins[i];
	return NULL;
}

int
cors_headers_ok(const char *list)
{
	const char *p;

	if (strlen(list) > 1024)
		return -1;
	for (p = list; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) ||
		        strchr("!#$%&'*+-.^_`|~, ", *p) != NULL))
			return -1;
	return 0;
}
