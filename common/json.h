/*
 * Strict JSON input and the error bodies (PostgREST's shape, docs/errors.md:
 * {"code","message","details","hint"}).  Request bodies are
 * parsed with json-c in strict mode with UTF-8 validation, a nesting limit,
 * and no trailing bytes; strings holding NUL are refused by the callers.
 */
#ifndef POSTERN_JSON_H
#define POSTERN_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "common/buf.h"

#define JSON_MAX_DEPTH 32

/* Returns a new object (caller owns, json_object_put) or NULL with *why. */
struct json_object *json_parse_strict(
    const char *text, size_t len, const char **why);

/*
 * Appends {"code":..,"message":..,"details":..,"hint":..} to b: all four
 * keys always, details and hint null when NULL.
 */
int json_error_body_hint(struct buf *b, const char *code, const char *message,
    const char *details, const char *hint);
/* json_error_body_hint with a null hint. */
int json_error_body(
    struct buf *b, const char *code, const char *message, const char *details);
/* The same with a hint (NULL: null), and details given as JSON text when
 * details_json is set (PostgREST sends some details as an array). */
int json_error_body_ext(struct buf *b, const char *code, const char *message,
    const char *details, int details_json, const char *hint);

/* Gets a string member without embedded NUL; NULL if absent or not a string
 * (*bad is set to 1 when present but of the wrong type). */
const char *json_get_str(
    struct json_object *o, const char *key, size_t *len, int *bad);

#endif
