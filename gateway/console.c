/*
 * The web console under /_console/: static files embedded in the binary
 * (gateway/console.h).  The console itself holds no secret: it asks for the
 * admin key and talks to /_admin and the public endpoints like any other
 * client.  The headers keep it from being framed or fed foreign scripts.
 */
#include <string.h>

#include "gateway/console.h"
#include "gateway/gateway.h"

static const struct {
	const char *ct_ext;
	const char *ct_type;
} console_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
};

static const char *
console_type(const char *name)
{
	size_t i, n = strlen(name), e;

	for (i = 0; i < sizeof(console_types) / sizeof(console_types[0]); i++) {
		e = strlen(console_types[i].ct_ext);
		if (n > e && strcmp(name + n - e, console_types[i].ct_ext) == 0)
			return console_types[i].ct_type;
	}
	return "application/octet-stream";
}

void
console_handle(struct req *rq)
{
	const char *path = rq->rq_head.hh_path, *name;
	const struct console_file *f = NULL;
	size_t i;

	/* /_console, /_console/ and /_console/index.html are the page; its
	 * links are absolute, so the missing slash does not matter. */
	if (strcmp(path, "/_console") == 0 || strcmp(path, "/_console/") == 0)
		name = "index.html";
	else
		name = path + strlen("/_console/");
	for (i = 0; i < console_nfiles; i++)
		if (strcmp(console_files[i].cf_name, name) == 0)
			f = &console_files[i];
	if (f == NULL) {
		req_error(rq, 404, "PN400", "no such route");
		return;
	}
	if (req_refuse_method(rq, HTTP_GET_HEAD))
		return;
	req_add_header(rq, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
	    "form-action 'self'");
	req_add_header(rq, "X-Content-Type-Options", "nosniff");
	req_add_header(rq, "X-Frame-Options", "DENY");
	req_add_header(rq, "Referrer-Policy", "no-referrer");
	rq->rq_ctype = console_type(f->cf_name);
	rq->rq_status = 200;
	buf_reset(&rq->rq_rbody);
	if (buf_add(&rq->rq_rbody, f->cf_data, f->cf_len) == -1) {
		rq->rq_ctype = NULL;
		req_error(rq, 503, "PN900", "out of memory");
		return;
	}
	req_respond(rq);
}
