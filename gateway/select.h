/*
 * The select= grammar of docs/data-api.md (PostgREST's), parsed to a tree
 * of strings before any name is checked against the catalog:
 *
 *	select	:= [item {"," item}]		(empty: all columns)
 *	item	:= "*"
 *		 | [alias ":"] name {"->" key | "->>" key} ["::" type]
 *		 | [alias ":"] name ["!" word ["!" word]] "(" select ")"
 *
 * where a word after "!" is "inner", "left" or a hint (a foreign key or
 * column name).  Names may be double-quoted ("a b", with \" and \\).
 * query.c resolves the tree against the catalog into struct q_item.
 */
#ifndef POSTERN_GATEWAY_SELECT_H
#define POSTERN_GATEWAY_SELECT_H

#include <stddef.h>

#include "gateway/catalog.h"
#include "gateway/qerror.h"

enum sel_kind { SEL_STAR, SEL_FIELD, SEL_EMBED };

/* One step of a JSON path: ->key (ss_text 0) or ->>key (ss_text 1).  A
 * key of digits, or '-' and digits, is an array index (sel_step_index). */
struct sel_step {
	char *ss_key;
	int ss_text;
};

struct sel_node {
	enum sel_kind sn_kind;
	char *sn_alias; /* "x" of "x:...", or NULL */
	char *sn_name;  /* FIELD: column; EMBED: relation as written */
	struct sel_step *sn_path; /* FIELD: JSON path steps */
	size_t sn_npath;
	char *sn_cast; /* FIELD: the type after "::", or NULL */
	char *sn_hint; /* EMBED: "fk_or_col" of name!hint(..), or NULL */
	int sn_inner;  /* EMBED: name!inner(..) (also !hint!inner) */
	int sn_left;   /* EMBED: !left written (the default) */
	struct sel_node *sn_kids; /* EMBED: the items inside (..) */
	size_t sn_nkids;
};

/* Embeds nested in embeds: the top list is level 1. */
#define SEL_DEPTH_MAX 8
/* Nodes of the whole tree, every level counted. */
#define SEL_NODES_MAX 256
/* Steps of one JSON path. */
#define SEL_PATH_MAX 16
/* Bytes of one JSON key. */
#define SEL_KEY_MAX 1024
/* Bytes of the whole select= value. */
#define SEL_TEXT_MAX 65536

/*
 * Parses s (the select= value, percent-decoded).  Returns 0 with *out and
 * *n (both 0 for an empty s: all columns), or -1 with a 400 in *err:
 * PGRST100 when it does not parse (details say where), PN105 for a bound
 * passed or a PostgREST form Postern does not implement (spread
 * "...rel(..)", aggregates "count()", "a.sum()"); 500 PN900 without memory.
 */
int sel_parse(
    const char *s, struct sel_node **out, size_t *n, struct q_error *err);
/* Frees nodes[0..n) and their subtrees, then nodes; NULL is a no-op. */
void sel_free(struct sel_node *nodes, size_t n);
/* Frees a path's keys, then the path. */
void sel_path_free(struct sel_step *path, size_t n);
/*
 * Whether step key k is an array index ([-]digits, at most 9 of them):
 * 1 with *idx, or 0.
 */
int sel_step_index(const char *k, int *idx);
/*
 * A column name with an optional JSON path ("meta->lead->>name") at the
 * start of s, for filter keys and order terms: 0 with *name and *path
 * (owned by the caller, *path NULL when *npath is 0) and *end at the byte
 * after, or -1 with a 400 PGRST100 naming what ("filter", "order") in
 * *err.  The name is cut at '.', ',', '-' before '>', and the other
 * delimiters of the grammar.
 */
int sel_field_parse(const char *s, const char *what, char **name,
    struct sel_step **path, size_t *npath, const char **end,
    struct q_error *err);

#endif
