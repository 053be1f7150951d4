/*
 * Checks of the JSON body of a create or an update against the live
 * catalog, with no I/O: every key a column, every value of a JSON type the
 * column can take.  What passes is sent to PostgreSQL as one bound json
 * parameter (sqlbuild.c); PostgreSQL still checks formats such as dates.
 */
#ifndef POSTERN_GATEWAY_ROWS_H
#define POSTERN_GATEWAY_ROWS_H

#include <stddef.h>

#include <json-c/json.h>

#include "gateway/catalog.h"
#include "gateway/query.h"

#define ROWS_MAX 1000

/*
 * body: for a create (allow_array = 1) an object or a non-empty array of at
 * most ROWS_MAX objects; for an update (allow_array = 0) one non-empty
 * object.  Returns 0 with the union of the keys, in first-seen order, in
 * *cols (an owned array of pointers into t, to free(); NULL when *ncols is
 * 0), or -1 with *err: 400 PN100 wrong shape, PN107 unknown column, PN101
 * a value that does not fit its column, null for a NOT NULL column, an
 * empty update, or an array of several rows that set no column at all
 * (those cannot be inserted in one statement); 500 PN900 on no memory.
 * Missing NOT NULL columns are left to PostgreSQL (the caller may still add
 * an owner column).
 */
/*
 * As rows_check; reserialized says the caller binds json-c's re-serialised
 * body rather than the client's text.  Only then are integers beyond 64 bits
 * (which json-c clamps silently) refused; the client's own text reaches
 * PostgreSQL unchanged otherwise.
 */
int rows_check_ex(const struct table *t, struct json_object *body,
    int allow_array, const struct column ***cols, size_t *ncols,
    struct q_error *err, int reserialized);
int rows_check(const struct table *t, struct json_object *body, int allow_array,
    const struct column ***cols, size_t *ncols, struct q_error *err);

#endif
