/*
 * Placeholder until the web console lands: /_console is not served yet and
 * answers like any unknown route.
 */
#include "gateway/gateway.h"

void
console_handle(struct req *rq)
{
	req_error(rq, 404, "PN400", "no such route");
}
