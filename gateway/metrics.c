/*
 * Placeholder until the metrics work lands: /metrics is not served yet and
 * answers like any unknown route.
 */
#include "gateway/gateway.h"

void
metrics_handle(struct req *rq)
{
	req_error(rq, 404, "PN400", "no such route");
}

void
metrics_request_done(struct req *rq)
{
	(void)rq;
}
