/*
 * Resource embedding (PostgREST's select=name,tasks(title)): which foreign
 * key relates two served tables, whether the embedded table may be read by
 * this caller, and the SQL of an embedded resource.  No I/O.  An embed's
 * rows come from a correlated subquery in the parent's select list, so a
 * request stays one statement; its filters, order, limit and the owner rule
 * of its own list endpoint apply inside that subquery.
 */
#ifndef POSTERN_GATEWAY_EMBED_H
#define POSTERN_GATEWAY_EMBED_H

#include <stddef.h>

#include "gateway/catalog.h"
#include "gateway/query.h"

struct routes;

/* Nesting of embeds below the top-level table (a(b(c))) is 3. */
#define EMBED_DEPTH_MAX 8
/* Embeds of one request, all levels together. */
#define EMBED_MAX 64

/* PostgREST's cardinalities, seen from the origin (the parent). */
enum rel_card {
	RC_M2O, /* the key is on the origin: one row or null */
	RC_O2M, /* the key is on the target: an array */
	RC_O2O, /* either way, the key's columns unique: one row or null */
	RC_M2M  /* through a junction table: an array */
};

/*
 * One relationship from an origin table to a target.  For M2O, O2M and O2O
 * rl_fk is the key and rl_here says whether it is on the origin; for M2M
 * rl_fk is junction -> origin and rl_fk2 junction -> target.
 */
struct relation {
	enum rel_card rl_card;
	const struct fkey *rl_fk;
	const struct fkey *rl_fk2;
	int rl_here;
	int rl_self;
	const struct table *rl_origin;
	const struct table *rl_target;
	const struct table *rl_junction; /* M2M */
};

/* Whether an embed of this relationship is one object (or null). */
int rel_to_one(const struct relation *r);

/*
 * Finds the relationship select=target(...) or target!hint(...) (hint may
 * be NULL) names from origin, by PostgREST's rules (its findRel): target
 * is a table related either way, or a foreign key's name, or the origin's
 * column of a single-column key; a hint is a key's name, a column of
 * either side of a single-column key, or a junction table.  In a
 * self-relationship target names the one-to-many side and a column of the
 * key (as target) the many-to-one side.  0 with *out, or -1 with *err: 400
 * PGRST200 for none, 300 PGRST201 for several (details and hint list them
 * as PostgREST does).
 */
int embed_find_rel(const struct catalog *ca, const struct table *origin,
    const char *target, const char *hint, struct relation *out,
    struct q_error *err);

/* What a request may embed: the routes decide which tables are published
 * (a GET list endpoint) and the caller's verified claims which of them it
 * may read. */
struct embed_ctx {
	const struct catalog *ec_catalog;
	const struct routes *ec_routes;
	int ec_verified;    /* ec_sub and ec_group hold verified claims */
	const char *ec_sub; /* the token's subject, or "" */
	const char *ec_group; /* the token's auth group, or "" */
	/* Set by query_parse_embed(): the embeds of the request so far,
	 * the depth of the table being parsed (0: the top level), and
	 * whether the request is a write (no embed parameters, no !inner). */
	size_t *ec_count;
	int ec_depth;
	int ec_write;
};

/*
 * The list endpoint through which table name may be embedded by the caller
 * of ctx: among the GET list routes of the table, one whose auth rule the
 * caller meets, preferring one without an owner rule.  Returns 0 with
 * *owner set to the owner column's name ("" for none), or -1 with *err:
 * 400 PGRST200 when the table has no list endpoint, 401 PN200 when a token
 * is needed and the caller has no verified one, 403 PN300 for a token of
 * another auth group.
 */
int embed_route(const struct embed_ctx *ctx, const char *name,
    const char **owner, struct q_error *err);

/* Top-level filtering on an embed: rel=is.null / rel=not.is.null. */
enum embed_null { EMN_NONE, EMN_NULL, EMN_NOT_NULL };

/*
 * A resolved embed, owned by its struct q_item (qi_embed) and freed with
 * embed_free().  em_q is the embedded resource's own query: its items
 * (nested embeds among them), its filters with the owner rule of its list
 * endpoint, its order, limit and offset (no limit unless one is given).
 */
struct q_embed {
	struct relation em_rel;
	struct query em_q;
	int em_inner;             /* !inner: parents without rows are left out */
	enum embed_null em_null;  /* rel=is.null / rel=not.is.null */
	int em_depth;             /* 1 for an embed of the top-level table */
	/* M2M: the junction's owner rule, compared with em_jsub (owned). */
	const struct column *em_jowner;
	char *em_jsub;
};

struct q_item;
struct sqlq;
struct sel_node;
struct http_param;

/*
 * Resolves the select node nd (a SEL_EMBED) of table t into *out: its
 * relationship, its list endpoint's rules, its items and the parameters
 * of params[0..n) named "key.…" (key: the alias, else the name), which
 * are parsed as the embedded table's own.  0, or -1 with *err (400, 300,
 * 401, 403; 500 PN900 without memory) and *out zeroed.
 */
int embed_resolve(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nd, const struct http_param *params, size_t n,
    struct q_item *out, struct q_error *err);
/* Whether an embed item narrows its parent's rows (!inner, rel=is.null,
 * rel=not.is.null): embed_where() then has a condition to add. */
int embed_narrows(const struct q_item *it);

/*
 * Appends the embed of it as a select-list item, "<subquery> AS "key"",
 * correlated to its parent's rows named outer (_t0, _r, or the parent
 * embed's _tN).  0 or -1 (no memory, a refused name, too many values).
 */
int embed_sql(struct sqlq *out, const struct q_item *it, const char *outer);
/* For an embed that narrows (embed_narrows()), "[NOT ]EXISTS (..)" for
 * its parent's WHERE.  0 or -1. */
int embed_where(struct sqlq *out, const struct q_item *it, const char *outer);
/* Frees em and what it owns; NULL is a no-op. */
void embed_free(struct q_embed *em);

#endif
