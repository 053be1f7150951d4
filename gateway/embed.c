/*
 * Relationship resolution and publishing rules of resource embedding.
 * The candidates are PostgREST's: every foreign key between served tables
 * gives a many-to-one (or one-to-one) relationship from its table and the
 * inverse one-to-many (or one-to-one) from the referenced table; a table
 * whose primary key holds the columns of two keys, to origin and target,
 * is a junction giving a many-to-many between them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "gateway/embed.h"
#include "gateway/routes.h"

/* Candidates kept for an ambiguity's details and hint. */
#define REL_KEEP 8

int
rel_to_one(const struct relation *r)
{
	return r->rl_card == RC_M2O || r->rl_card == RC_O2O;
}

/* Column i of the pair list as seen from the origin. */
static const char *
rel_col(const struct relation *r, size_t i)
{
	return r->rl_here ? r->rl_fk->fk_cols[i] : r->rl_fk->fk_fcols[i];
}

static const char *
rel_fcol(const struct relation *r, size_t i)
{
	return r->rl_here ? r->rl_fk->fk_fcols[i] : r->rl_fk->fk_cols[i];
}

/* PostgREST's matchFKSingleCol / matchFKRefSingleCol / matchConstraint /
 * matchJunction. */
static int
match_col(const struct relation *r, const char *h)
{
	return r->rl_card != RC_M2M && r->rl_fk->fk_ncols == 1 &&
	       strcmp(rel_col(r, 0), h) == 0;
}

static int
match_fcol(const struct relation *r, const char *h)
{
	return r->rl_card != RC_M2M && r->rl_fk->fk_ncols == 1 &&
	       strcmp(rel_fcol(r, 0), h) == 0;
}

static int
match_cons(const struct relation *r, const char *h)
{
	return r->rl_card != RC_M2M && strcmp(r->rl_fk->fk_name, h) == 0;
}

static int
match_junction(const struct relation *r, const char *h)
{
	return r->rl_card == RC_M2M && strcmp(r->rl_junction->tb_name, h) == 0;
}

static int
rel_matches(const struct relation *r, const char *target, const char *hint)
{
	int is_table = strcmp(r->rl_target->tb_name, target) == 0;

	if (r->rl_self) {
		if (hint == NULL)
			return (is_table && r->rl_card == RC_O2M) ||
			       (r->rl_card == RC_M2O && match_col(r, target));
		return is_table && r->rl_card == RC_O2M && match_fcol(r, hint);
	}
	if (hint == NULL)
		return is_table || match_cons(r, target) ||
		       match_col(r, target);
	return is_table && (match_cons(r, hint) || match_col(r, hint) ||
	                       match_fcol(r, hint) || match_junction(r, hint));
}

/* Whether every column of fk is part of t's primary key. */
static int
fk_in_pk(const struct table *t, const struct fkey *fk)
{
	const struct column *c;
	size_t i;

	for (i = 0; i < fk->fk_ncols; i++)
		if ((c = table_column(t, fk->fk_cols[i])) == NULL || !c->co_pk)
			return 0;
	return 1;
}

struct rel_found {
	struct relation rf_keep[REL_KEEP];
	size_t rf_n;
};

static void
found(struct rel_found *f, const struct relation *r)
{
	if (f->rf_n < REL_KEEP)
		f->rf_keep[f->rf_n] = *r;
	f->rf_n++;
}

/* Every relationship of origin that matches, in catalog order. */
static void
rel_scan(const struct catalog *ca, const struct table *origin,
    const char *target, const char *hint, struct rel_found *f)
{
	const struct fkey *fk, *fk2;
	struct relation r;
	size_t i, j;

	for (i = 0; i < ca->ca_nfkeys; i++) {
		fk = &ca->ca_fkeys[i];
		memset(&r, 0, sizeof(r));
		r.rl_origin = origin;
		r.rl_fk = fk;
		r.rl_self = strcmp(fk->fk_table, fk->fk_ftable) == 0;
		if (strcmp(fk->fk_table, origin->tb_name) == 0 &&
		    (r.rl_target = catalog_table(ca, fk->fk_ftable)) != NULL) {
			r.rl_card = fk->fk_unique ? RC_O2O : RC_M2O;
			r.rl_here = 1;
			if (rel_matches(&r, target, hint))
				found(f, &r);
		}
		if (strcmp(fk->fk_ftable, origin->tb_name) == 0 &&
		    (r.rl_target = catalog_table(ca, fk->fk_table)) != NULL) {
			r.rl_card = fk->fk_unique ? RC_O2O : RC_O2M;
			r.rl_here = 0;
			if (rel_matches(&r, target, hint))
				found(f, &r);
		}
		/* fk as junction -> origin: pair it with the junction's
		 * other keys. */
		if (strcmp(fk->fk_ftable, origin->tb_name) != 0 ||
		    (r.rl_junction = catalog_table(ca, fk->fk_table)) == NULL ||
		    !fk_in_pk(r.rl_junction, fk))
			continue;
		for (j = 0; j < ca->ca_nfkeys; j++) {
			fk2 = &ca->ca_fkeys[j];
			if (j == i || strcmp(fk2->fk_table, fk->fk_table) != 0 ||
			    !fk_in_pk(r.rl_junction, fk2) ||
			    (r.rl_target = catalog_table(ca, fk2->fk_ftable)) ==
			        NULL)
				continue;
			r.rl_card = RC_M2M;
			r.rl_fk2 = fk2;
			r.rl_here = 0;
			r.rl_self =
			    strcmp(fk2->fk_ftable, origin->tb_name) == 0;
			if (rel_matches(&r, target, hint))
				found(f, &r);
		}
	}
}

/* Client text in a message: invalid UTF-8 or control bytes become '?'. */
static const char *
safe(char *dst, size_t cap, const char *s)
{
	size_t i;

	x_strlcpy(dst, s, cap);
	if (utf8_check(dst, strlen(dst), NULL) == -1) {
		for (i = 0; dst[i] != '\0'; i++)
			if ((unsigned char)dst[i] >= 0x80)
				dst[i] = '?';
	}
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
	return dst;
}

static void
set_err(struct q_error *err, int status, const char *code)
{
	memset(err, 0, sizeof(*err));
	err->qe_status = status;
	x_strlcpy(err->qe_code, code, sizeof(err->qe_code));
}

/* "(a, b)" of a key's columns (fcols: its referenced columns). */
static void
add_cols(struct buf *b, const struct fkey *fk, int fcols)
{
	size_t i;

	buf_addc(b, '(');
	for (i = 0; i < fk->fk_ncols; i++)
		buf_printf(b, "%s%s", i > 0 ? ", " : "",
		    fcols ? fk->fk_fcols[i] : fk->fk_cols[i]);
	buf_addc(b, ')');
}

/* One element of PostgREST's details array (its compressedRel). */
static void
add_candidate(struct buf *b, const struct relation *r)
{
	static const char *const card[] = {
	    [RC_M2O] = "many-to-one",
	    [RC_O2M] = "one-to-many",
	    [RC_O2O] = "one-to-one",
	    [RC_M2M] = "many-to-many",
	};
	struct buf s;

	buf_init(&s);
	buf_printf(&s, "%s with %s", r->rl_origin->tb_name,
	    r->rl_target->tb_name);
	buf_addstr(b, "{\"cardinality\":\"");
	buf_addstr(b, card[r->rl_card]);
	buf_addstr(b, "\",\"embedding\":");
	buf_add_json_str(b, s.b_data ? s.b_data : "", s.b_len);
	buf_reset(&s);
	if (r->rl_card == RC_M2M) {
		buf_printf(&s, "%s using %s", r->rl_junction->tb_name,
		    r->rl_fk->fk_name);
		add_cols(&s, r->rl_fk, 0);
		buf_printf(&s, " and %s", r->rl_fk2->fk_name);
		add_cols(&s, r->rl_fk2, 0);
	} else {
		buf_printf(&s, "%s using %s", r->rl_fk->fk_name,
		    r->rl_origin->tb_name);
		add_cols(&s, r->rl_fk, !r->rl_here);
		buf_printf(&s, " and %s", r->rl_target->tb_name);
		add_cols(&s, r->rl_fk, r->rl_here);
	}
	buf_addstr(b, ",\"relationship\":");
	buf_add_json_str(b, s.b_data ? s.b_data : "", s.b_len);
	buf_addc(b, '}');
	buf_free(&s);
}

/* 300 PGRST201, worded as PostgREST's AmbiguousRelBetween. */
static void
ambiguous(const struct table *origin, const char *target,
    const struct rel_found *f, struct q_error *err)
{
	char t[CATALOG_NAME_MAX];
	struct buf d, h;
	size_t i, n = f->rf_n < REL_KEEP ? f->rf_n : REL_KEEP;
	const struct relation *r;

	set_err(err, 300, "PGRST201");
	safe(t, sizeof(t), target);
	snprintf(err->qe_message, sizeof(err->qe_message),
	    "Could not embed because more than one relationship was found "
	    "for '%s' and '%s'",
	    origin->tb_name, t);
	buf_init(&d);
	buf_init(&h);
	buf_addc(&d, '[');
	buf_printf(&h, "Try changing '%s' to one of the following: ", t);
	for (i = 0; i < n; i++) {
		r = &f->rf_keep[i];
		if (i > 0) {
			buf_addc(&d, ',');
			buf_addstr(&h, ", ");
		}
		add_candidate(&d, r);
		buf_printf(&h, "'%s!%s'", r->rl_target->tb_name,
		    r->rl_card == RC_M2M ? r->rl_junction->tb_name
		                         : r->rl_fk->fk_name);
	}
	buf_addc(&d, ']');
	buf_addstr(&h, ". Find the desired relationship in the 'details' key.");
	/* A list too long for the fields is cut to its first candidates
	 * rather than sent as broken JSON. */
	if (buf_error(&d) == 0 && d.b_len < sizeof(err->qe_details)) {
		memcpy(err->qe_details, d.b_data, d.b_len + 1);
		err->qe_details_json = 1;
	} else
		snprintf(err->qe_details, sizeof(err->qe_details),
		    "%zu relationships match", f->rf_n);
	if (buf_error(&h) == 0)
		x_strlcpy(err->qe_hint, h.b_data, sizeof(err->qe_hint));
	buf_free(&d);
	buf_free(&h);
}

int
embed_find_rel(const struct catalog *ca, const struct table *origin,
    const char *target, const char *hint, struct relation *out,
    struct q_error *err)
{
	struct rel_found f;
	char t[CATALOG_NAME_MAX], h[CATALOG_NAME_MAX];

	memset(&f, 0, sizeof(f));
	if (ca != NULL && origin != NULL && target != NULL)
		rel_scan(ca, origin, target, hint, &f);
	if (f.rf_n == 1) {
		*out = f.rf_keep[0];
		return 0;
	}
	if (f.rf_n > 1) {
		ambiguous(origin, target, &f, err);
		return -1;
	}
	set_err(err, 400, "PGRST200");
	safe(t, sizeof(t), target != NULL ? target : "");
	snprintf(err->qe_message, sizeof(err->qe_message),
	    "Could not find a relationship between '%s' and '%s' in the "
	    "schema cache",
	    origin != NULL ? origin->tb_name : "", t);
	snprintf(err->qe_details, sizeof(err->qe_details),
	    "Searched for a foreign key relationship between '%s' and '%s%s%s'"
	    " in the schema 'public', but no matches were found.",
	    origin != NULL ? origin->tb_name : "", t,
	    hint != NULL ? "' using the hint '" : "",
	    hint != NULL ? safe(h, sizeof(h), hint) : "");
	return -1;
}

/* -1 when the caller of ctx may not use route r, with *err as r would
 * answer; 0 when it may. */
static int
route_admits(
    const struct embed_ctx *ctx, const struct route *r, struct q_error *err)
{
	if (strcmp(r->rt_auth, "none") != 0 && !ctx->ec_verified) {
		set_err(err, 401, "PN200");
		snprintf(err->qe_message, sizeof(err->qe_message),
		    "a bearer token is required to embed %s", r->rt_table);
		return -1;
	}
	if (strncmp(r->rt_auth, "bearer:", 7) == 0 &&
	    strcmp(r->rt_auth + 7, ctx->ec_group) != 0) {
		set_err(err, 403, "PN300");
		snprintf(err->qe_message, sizeof(err->qe_message),
		    "the endpoint of %s does not accept tokens of that auth "
		    "group",
		    r->rt_table);
		return -1;
	}
	if (r->rt_owner[0] != '\0' && ctx->ec_sub[0] == '\0') {
		set_err(err, 401, "PN200");
		snprintf(err->qe_message, sizeof(err->qe_message),
		    "a bearer token is required to embed %s", r->rt_table);
		return -1;
	}
	return 0;
}

int
embed_route(const struct embed_ctx *ctx, const char *name,
    const char **owner, struct q_error *err)
{
	const struct route *r, *best = NULL;
	struct q_error first;
	size_t i;
	int seen = 0;

	memset(&first, 0, sizeof(first));
	for (i = 0; ctx->ec_routes != NULL && i < ctx->ec_routes->rs_n; i++) {
		r = &ctx->ec_routes->rs_list[i];
		if (r->rt_kind != RT_DATA || r->rt_op != OP_LIST ||
		    strcmp(r->rt_table, name) != 0)
			continue;
		if (route_admits(ctx, r, seen++ == 0 ? &first : err) == -1)
			continue;
		if (best == NULL || (best->rt_owner[0] != '\0' &&
		                        r->rt_owner[0] == '\0'))
			best = r;
	}
	if (best != NULL) {
		*owner = best->rt_owner;
		return 0;
	}
	if (seen > 0) {
		*err = first;
		return -1;
	}
	set_err(err, 400, "PGRST200");
	snprintf(err->qe_message, sizeof(err->qe_message),
	    "'%s' cannot be embedded: it has no published list endpoint",
	    name);
	return -1;
}

void
embed_free(struct q_embed *em)
{
	if (em == NULL)
		return;
	query_free(&em->em_q);
	free(em->em_jsub);
	free(em);
}

/* 400 with a message; the code is PostgREST's for a malformed request. */
static int
refuse(struct q_error *err, const char *code, const char *fmt, const char *a)
{
	char q[CATALOG_NAME_MAX];

	set_err(err, 400, code);
	snprintf(err->qe_message, sizeof(err->qe_message), fmt,
	    safe(q, sizeof(q), a));
	return -1;
}

/*
 * The parameters of the embed called key: those named "key.rest", as
 * "rest" (pointers into params), in *out (caller frees the array).
 */
static int
embed_params(const char *key, const struct http_param *params, size_t n,
    struct http_param **out, size_t *nout, int *has_limit)
{
	size_t klen = strlen(key), i, k = 0;

	*out = NULL;
	*nout = 0;
	*has_limit = 0;
	for (i = 0; i < n; i++)
		if (strncmp(params[i].hp_name, key, klen) == 0 &&
		    params[i].hp_name[klen] == '.')
			k++;
	if (k == 0)
		return 0;
	if ((*out = calloc(k, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(params[i].hp_name, key, klen) != 0 ||
		    params[i].hp_name[klen] != '.')
			continue;
		(*out)[*nout].hp_name = params[i].hp_name + klen + 1;
		(*out)[*nout].hp_value = params[i].hp_value;
		if (strcmp((*out)[*nout].hp_name, "limit") == 0)
			*has_limit = 1;
		(*nout)++;
	}
	return 0;
}

/* The owner rule of the list endpoint an embed goes through. */
static int
owner_rule(const struct embed_ctx *ctx, const struct table *t,
    const char *owner, const struct column **col, struct q_error *err)
{
	struct q_error scratch;

	*col = NULL;
	if (owner[0] == '\0')
		return 0;
	if ((*col = table_column(t, owner)) == NULL) {
		set_err(err, 500, "PN900");
		snprintf(err->qe_message, sizeof(err->qe_message),
		    "the endpoint of %s is misconfigured", t->tb_name);
		return -1;
	}
	if (query_value_ok(*col, ctx->ec_sub, &scratch) == -1) {
		/* A subject that cannot be an owner value owns nothing. */
		set_err(err, 403, "PN300");
		snprintf(err->qe_message, sizeof(err->qe_message),
		    "this token cannot own rows of %s", t->tb_name);
		return -1;
	}
	return 0;
}

int
embed_resolve(const struct embed_ctx *ctx, const struct table *t,
    const struct sel_node *nd, const struct http_param *params, size_t n,
    struct q_item *out, struct q_error *err)
{
	struct q_embed *em = NULL;
	struct embed_ctx sub;
	struct http_param *sp = NULL;
	const struct column *oc;
	const char *owner, *key;
	size_t ns = 0;
	int has_limit, rv = -1;

	memset(out, 0, sizeof(*out));
	if (ctx == NULL || ctx->ec_count == NULL)
		return refuse(err, "PN105",
		    "select: embedding (%s(..)) is not available here",
		    nd->sn_name);
	if (ctx->ec_depth + 1 > EMBED_DEPTH_MAX)
		return refuse(err, "PN105",
		    "select: embeds nest more than 8 deep (at %s)", nd->sn_name);
	if (++*ctx->ec_count > EMBED_MAX)
		return refuse(err, "PN105",
		    "select: more than 64 embeds (at %s)", nd->sn_name);
	if (nd->sn_inner && ctx->ec_write)
		return refuse(err, "PGRST100",
		    "select: %s!inner is not supported on writes", nd->sn_name);
	if ((em = calloc(1, sizeof(*em))) == NULL)
		goto nomem;
	em->em_depth = ctx->ec_depth + 1;
	em->em_inner = nd->sn_inner;
	if (embed_find_rel(ctx->ec_catalog, t, nd->sn_name, nd->sn_hint,
	        &em->em_rel, err) == -1 ||
	    embed_route(ctx, em->em_rel.rl_target->tb_name, &owner, err) == -1)
		goto fail;
	if (owner_rule(ctx, em->em_rel.rl_target, owner, &oc, err) == -1)
		goto fail;
	if (em->em_rel.rl_card == RC_M2M) {
		if (embed_route(ctx, em->em_rel.rl_junction->tb_name, &owner,
		        err) == -1 ||
		    owner_rule(ctx, em->em_rel.rl_junction, owner,
		        &em->em_jowner, err) == -1)
			goto fail;
		if (em->em_jowner != NULL &&
		    (em->em_jsub = strdup(ctx->ec_sub)) == NULL)
			goto nomem;
	}
	key = nd->sn_alias != NULL ? nd->sn_alias : nd->sn_name;
	if (embed_params(key, params, n, &sp, &ns, &has_limit) == -1)
		goto nomem;
	if (ns > 0 && ctx->ec_write) {
		refuse(err, "PGRST100",
		    "parameters of embedded resources (%s.…) are not supported "
		    "on writes",
		    key);
		goto fail;
	}
	sub = *ctx;
	sub.ec_depth++;
	if (query_parse_items(&sub, em->em_rel.rl_target, nd->sn_kids,
	        nd->sn_nkids, sp, ns, &em->em_q, err) == -1)
		goto fail;
	/* PostgREST does not limit an embed unless asked to. */
	if (!has_limit)
		em->em_q.q_has_limit = 0;
	if (oc != NULL && query_add_eq(&em->em_q, oc, ctx->ec_sub) == -1)
		goto nomem;
	if ((out->qi_key = strdup(key)) == NULL)
		goto nomem;
	out->qi_kind = SEL_EMBED;
	out->qi_embed = em;
	em = NULL;
	rv = 0;
	goto fail;
nomem:
	set_err(err, 500, "PN900");
	x_strlcpy(err->qe_message, "out of memory", sizeof(err->qe_message));
fail:
	free(sp);
	embed_free(em);
	return rv;
}
