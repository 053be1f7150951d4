#include <string.h>

#include "common/op.h"

/*
 * Name, kind, method, flags, own body limit, and for an auth operation the
 * group op that publishes it and its path under the group's prefix.  A
 * missing row leaves a NULL name, which tests/test_op.c refuses.
 */
static const struct op_info op_table[OP__COUNT] = {
    [OP_LIST] = {"list", OPK_DATA, "GET", 0, 0, NULL, NULL},
    [OP_GET] = {"get", OPK_DATA, "GET", 0, 0, NULL, NULL},
    [OP_CREATE] = {"create", OPK_DATA, "POST", OPF_BODY | OPF_WRITE, 0, NULL,
        NULL},
    [OP_UPDATE] = {"update", OPK_DATA, "PATCH", OPF_BODY | OPF_WRITE, 0, NULL,
        NULL},
    [OP_DELETE] = {"delete", OPK_DATA, "DELETE", OPF_WRITE, 0, NULL, NULL},
    [OP_REPLACE] = {"replace", OPK_DATA, "PUT", OPF_BODY | OPF_WRITE, 0, NULL,
        NULL},
    [OP_SIGNUP] = {"signup", OPK_AUTH, "POST", OPF_BODY, OP_AUTH_BODY_MAX,
        "signup", "/signup"},
    [OP_LOGIN] = {"login", OPK_AUTH, "POST", OPF_BODY, OP_AUTH_BODY_MAX,
        "login", "/login"},
    [OP_REFRESH] = {"refresh", OPK_AUTH, "POST", OPF_BODY, OP_AUTH_BODY_MAX,
        "refresh", "/refresh"},
    [OP_LOGOUT] = {"logout", OPK_AUTH, "POST", 0, OP_AUTH_BODY_MAX, "logout",
        "/logout"},
    [OP_ME] = {"me", OPK_AUTH, "GET", 0, OP_AUTH_BODY_MAX, "me", "/me"},
    [OP_SESSIONS] = {"sessions", OPK_AUTH, "GET", 0, OP_AUTH_BODY_MAX,
        "sessions", "/sessions"},
    [OP_SESSIONS_REVOKE_OTHERS] = {"sessions_revoke_others", OPK_AUTH, "DELETE",
        0, OP_AUTH_BODY_MAX, "sessions", "/sessions"},
    [OP_SESSION_REVOKE] = {"session_revoke", OPK_AUTH, "DELETE", 0,
        OP_AUTH_BODY_MAX, "sessions", "/sessions/{id}"},
    [OP_PASSWORD] = {"password", OPK_AUTH, "POST", OPF_BODY, OP_AUTH_BODY_MAX,
        "password", "/password"},
};

const struct op_info *
op_info(enum op_id op)
{
	if ((unsigned)op >= OP__COUNT)
		return NULL;
	return &op_table[op];
}

const char *
op_name(enum op_id op)
{
	const struct op_info *oi = op_info(op);

	return oi != NULL ? oi->oi_name : "?";
}

int
op_from_name(const char *name, enum op_id *op)
{
	size_t i;

	for (i = 0; i < OP__COUNT; i++)
		if (strcmp(name, op_table[i].oi_name) == 0) {
			*op = (enum op_id)i;
			return 0;
		}
	return -1;
}

int
op_has(enum op_id op, unsigned flags)
{
	const struct op_info *oi = op_info(op);

	return oi != NULL && (oi->oi_flags & flags) == flags;
}
