/*
 * The JSON request validators: json_parse_strict (json-c strict mode,
 * UTF-8 validation, depth 32, no trailing bytes) and rows_check, which
 * checks a create or update body against a fixed catalog.  Whatever the
 * strict parser accepts must serialise again and stay within the depth.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "gateway/query.h"
#include "gateway/rows.h"
#include "fuzz.h"
#include "fuzz_catalog.h"

static int
depth(struct json_object *o)
{
	struct json_object_iterator it, end;
	int d = 0, c;
	size_t i, n;

	if (json_object_is_type(o, json_type_object)) {
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it)) {
			c = depth(json_object_iter_peek_value(&it));
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			c = depth(json_object_array_get_idx(o, i));
			if (c > d)
				d = c;
		}
		return d + 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct table *t = fz_table();
	const struct column **cols = NULL;
	struct json_object *o;
	struct q_error err;
	const char *why = NULL;
	size_t ncols = 0;

	if ((o = json_parse_strict((const char *)data, size, &why)) == NULL) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(depth(o) <= JSON_MAX_DEPTH);
	FUZZ_CHECK(json_object_to_json_string(o) != NULL);
	memset(&err, 0, sizeof(err));
	if (rows_check(t, o, 1, &cols, &ncols, &err) == 0) {
		FUZZ_CHECK(ncols <= t->tb_ncols);
		free(cols);
	} else
		FUZZ_CHECK(err.qe_status >= 400 && err.qe_status < 600);
	cols = NULL;
	memset(&err, 0, sizeof(err));
	if (rows_check(t, o, 0, &cols, &ncols, &err) == 0)
		free(cols);
	json_object_put(o);
	return 0;
}
