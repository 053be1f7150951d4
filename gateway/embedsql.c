/*
 * The SQL of embedded resources, as correlated subqueries in the parent's
 * select list (one statement per request, every value bound):
 *
 *	to-one	(SELECT row_to_json(_sN) FROM (SELECT <items> FROM
 *		public."t" _tN WHERE <join> AND <filters> ..) _sN) AS "key"
 *	to-many	coalesce((SELECT json_agg(_sN) FROM (SELECT <items> FROM
 *		public."t" _tN WHERE <join> AND <filters> ORDER BY ..
 *		LIMIT .. OFFSET ..) _sN), '[]') AS "key"
 *
 * N is the embed's depth, so a nested embed's join names its parent
 * _t(N-1) (the top level is _t0 in a list, _r in a write's returning),
 * and siblings, which never see each other, reuse the same names; a
 * self-reference needs nothing more.  <join> is the key's columns pair by
 * pair; a many-to-many is EXISTS (SELECT 1 FROM public."junction" _jN
 * WHERE ..) on both keys, so a pair linked twice is one row.  !inner adds
 * EXISTS (SELECT 1 FROM .. WHERE <join> AND <filters>) to the parent's
 * WHERE (embed_where()), so that the count agrees with the rows.
 * row_to_json keeps each column's JSON type (numbers stay numbers).
 */
#include <stdio.h>
#include <string.h>

#include "gateway/embed.h"
#include "gateway/sqlbuild.h"

/* alias."col" */
static int
qcol(struct buf *b, const char *alias, const char *col)
{
	buf_addstr(b, alias);
	buf_addc(b, '.');
	return sql_ident(b, col);
}

struct join {
	const struct q_embed *jn_em;
	const char *jn_outer;
};

/* The join of an embed to its parent: PostgreSQL sees only identifiers
 * here, and the owner of a junction as a bound value. */
static int
add_join(struct sqlq *out, const void *arg)
{
	const struct join *jn = arg;
	const struct q_embed *em = jn->jn_em;
	const struct relation *r = &em->em_rel;
	const struct fkey *fk = r->rl_fk, *fk2 = r->rl_fk2;
	struct buf *b = &out->sq_sql;
	char me[16], jt[16];
	size_t i;

	snprintf(me, sizeof(me), "_t%d", em->em_depth);
	snprintf(jt, sizeof(jt), "_j%d", em->em_depth);
	if (r->rl_card != RC_M2M) {
		for (i = 0; i < fk->fk_ncols; i++) {
			if (i > 0)
				buf_addstr(b, " AND ");
			/* rl_here: the key is on the parent. */
			if (qcol(b, me,
			        r->rl_here ? fk->fk_fcols[i] : fk->fk_cols[i]) ==
			    -1)
				return -1;
			buf_addstr(b, " = ");
			if (qcol(b, jn->jn_outer,
			        r->rl_here ? fk->fk_cols[i] : fk->fk_fcols[i]) ==
			    -1)
				return -1;
		}
		return buf_error(b);
	}
	buf_addstr(b, "EXISTS (SELECT 1 FROM public.");
	if (sql_ident(b, r->rl_junction->tb_name) == -1)
		return -1;
	buf_printf(b, " %s WHERE ", jt);
	for (i = 0; i < fk2->fk_ncols; i++) {
		if (qcol(b, jt, fk2->fk_cols[i]) == -1)
			return -1;
		buf_addstr(b, " = ");
		if (qcol(b, me, fk2->fk_fcols[i]) == -1)
			return -1;
		buf_addstr(b, " AND ");
	}
	for (i = 0; i < fk->fk_ncols; i++) {
		if (i > 0)
			buf_addstr(b, " AND ");
		if (qcol(b, jt, fk->fk_cols[i]) == -1)
			return -1;
		buf_addstr(b, " = ");
		if (qcol(b, jn->jn_outer, fk->fk_fcols[i]) == -1)
			return -1;
	}
	if (em->em_jowner != NULL) {
		buf_addstr(b, " AND ");
		if (qcol(b, jt, em->em_jowner->co_name) == -1)
			return -1;
		buf_addstr(b, " = ");
		if (sqlq_param(out, em->em_jsub) == -1)
			return -1;
	}
	return buf_addc(b, ')');
}

int
embed_sql(struct sqlq *out, const struct q_item *it, const char *outer)
{
	const struct q_embed *em = it->qi_embed;
	struct buf *b = &out->sq_sql;
	struct join jn;
	char me[16], row[16];
	int one;

	if (em == NULL || outer == NULL || em->em_depth < 1)
		return -1;
	jn.jn_em = em;
	jn.jn_outer = outer;
	snprintf(me, sizeof(me), "_t%d", em->em_depth);
	snprintf(row, sizeof(row), "_s%d", em->em_depth);
	one = rel_to_one(&em->em_rel);
	buf_addstr(b, one ? "(SELECT row_to_json(" : "coalesce((SELECT json_agg(");
	buf_printf(b, "%s) FROM (", row);
	if (sql_embed_rows(out, em->em_rel.rl_target, &em->em_q, me, add_join,
	        &jn, 0) == -1)
		return -1;
	buf_printf(b, ") %s)%s AS ", row, one ? "" : ", '[]')");
	return sql_ident(b, it->qi_key);
}

int
embed_narrows(const struct q_item *it)
{
	return it->qi_kind == SEL_EMBED && it->qi_embed != NULL &&
	       (it->qi_embed->em_inner || it->qi_embed->em_null != EMN_NONE);
}

int
embed_where(struct sqlq *out, const struct q_item *it, const char *outer)
{
	const struct q_embed *em = it->qi_embed;
	struct buf *b = &out->sq_sql;
	struct join jn;
	char me[16];

	if (em == NULL || outer == NULL || em->em_depth < 1)
		return -1;
	jn.jn_em = em;
	jn.jn_outer = outer;
	snprintf(me, sizeof(me), "_t%d", em->em_depth);
	buf_addstr(b, em->em_null == EMN_NULL ? "NOT EXISTS (" : "EXISTS (");
	if (sql_embed_rows(out, em->em_rel.rl_target, &em->em_q, me, add_join,
	        &jn, 1) == -1)
		return -1;
	return buf_addc(b, ')');
}
