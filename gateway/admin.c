/*
 * Placeholder until the builder API lands: /_admin is not served yet and
 * answers like any unknown route.
 */
#include "gateway/gateway.h"

void
admin_handle(struct req *rq)
{
	req_error(rq, 404, "PN400", "no such route");
}
