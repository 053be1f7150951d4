/*
 * The operations an endpoint can serve, in one table: the data operations
 * a data endpoint names (postern.endpoints.op) and the auth operations an
 * auth group publishes (its ops list names their groups).  The gateway's
 * route table, its data handlers and OpenAPI, and authd's dispatch look an
 * operation up here; adding one is one enum value and one row in op.c.
 * Pure data, shared by both daemons.  The handlers stay in the daemon that
 * runs them, in arrays indexed by enum op_id.
 *
 * An operation crosses the authd socket as its name, never as its number,
 * so that the two daemons need not be built from the same enum.
 */
#ifndef POSTERN_COMMON_OP_H
#define POSTERN_COMMON_OP_H

#include <stddef.h>

enum op_id {
	/* Data operations. */
	OP_LIST,
	OP_GET,
	OP_CREATE,
	OP_UPDATE,
	OP_DELETE,
	OP_REPLACE, /* PUT: one row replaced or created, by its key */
	/* Auth operations, contiguous, in the order an auth group publishes
	 * its routes (the first route of a method and path wins). */
	OP_SIGNUP,
	OP_LOGIN,
	OP_REFRESH,
	OP_LOGOUT,
	OP_ME,
	OP_SESSIONS,
	OP_SESSIONS_REVOKE_OTHERS,
	OP_SESSION_REVOKE,
	OP_PASSWORD,
	OP__COUNT
};

#define OP_AUTH_FIRST OP_SIGNUP
#define OP_AUTH_LAST OP_PASSWORD

/*
 * Sets of operations as bit masks, so that a daemon's handler array can be
 * checked at compile time to cover every operation it serves.
 */
#define OP_BIT(op) (1u << (op))
#define OP_AUTH_MASK (OP_BIT(OP_AUTH_LAST + 1) - OP_BIT(OP_AUTH_FIRST))
_Static_assert(OP__COUNT < 32, "enum op_id outgrew its masks");

enum op_kind { OPK_DATA, OPK_AUTH };

/* An auth operation's own body limit; data bodies have body_limit. */
#define OP_AUTH_BODY_MAX (64 * 1024)

#define OPF_BODY 0x01  /* reads a JSON body */
#define OPF_WRITE 0x02 /* changes rows: the data API's write rules apply */

struct op_info {
	/* As in postern.endpoints, the admin API and the authd wire. */
	const char *oi_name;
	enum op_kind oi_kind;
	/* Auth: its route's method.  Data: the method the admin API pairs
	 * with it (a registry row may give another of GET, POST, PUT, PATCH,
	 * DELETE). */
	const char *oi_method;
	unsigned oi_flags;
	size_t oi_body_max; /* 0: the gateway's body_limit */
	/* Auth only (NULL for data): the op an auth group's ops list names
	 * to publish it ("sessions" publishes three), and its path under
	 * the group's prefix. */
	const char *oi_group;
	const char *oi_suffix;
};

/* The row of op; NULL for a value outside the enum. */
const struct op_info *op_info(enum op_id op);
/* Its name, or "?" for a value outside the enum (safe to print). */
const char *op_name(enum op_id op);
/* 0 and *op for a known name, -1 for any other string. */
int op_from_name(const char *name, enum op_id *op);
/* Whether op is in the table and has all of flags (OPF_*). */
int op_has(enum op_id op, unsigned flags);

#endif
