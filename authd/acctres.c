/*
 * The error answers of the account operations: an error body of the
 * PostgREST shape in a struct acct_res, and the 503 that says "retry".
 * account.c, session.c and dbutil.c all write them; living here, below
 * those files, they make no include or call cycle between them.
 */
#include "common/buf.h"
#include "common/json.h"
#include "authd/authd.h"

int
account_error(
    struct acct_res *rs, uint16_t status, const char *code, const char *msg)
{
	rs->as_status = status;
	buf_reset(&rs->as_body);
	return json_error_body(&rs->as_body, code, msg, NULL);
}

void
account_unavailable(struct acct_res *rs, const char *msg)
{
	account_error(rs, 503, "PN801", msg);
	rs->as_retry = AUTHD_RETRY_AFTER_S;
}
