#include <string.h>

#include "common/json.h"

struct json_object *
json_parse_strict(const char *text, size_t len, const char **why)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	enum json_tokener_error jerr;

	*why = NULL;
	if (len == 0) {
		*why = "empty body";
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		*why = "NUL byte in body";
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	/* A bare number ("5") is only known to end at the next byte: give
	 * the tokener one blank to finish a value it is still reading. */
	if (o == NULL && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		if (o != NULL && jerr == json_tokener_success) {
			json_tokener_free(tok);
			return o;
		}
	}
	if (jerr != json_tokener_success) {
		*why = jerr == json_tokener_continue
		           ? "truncated JSON"
		           : json_tokener_error_desc(jerr);
		json_object_put(o);
		o = NULL;
	} else if (json_tokener_get_parse_end(tok) != len) {
		/* Strict mode stops after the first value; anything but
		 * trailing white space is an error. */
		size_t i;
		for (i = json_tokener_get_parse_end(tok); i < len; i++)
			if (strchr(" \t\r\n", text[i]) == NULL)
				break;
		if (i != len) {
			*why = "trailing bytes after JSON value";
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	if (o == NULL && *why == NULL)
		*why = "invalid JSON";
	return o;
}

static void
add_str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_addstr(b, "null");
	else
		buf_add_json_str(b, s, strlen(s));
}

int
json_error_body_ext(struct buf *b, const char *code, const char *message,
    const char *details, int details_json, const char *hint)
{
	buf_addstr(b, "{\"code\":");
	buf_add_json_str(b, code, strlen(code));
	buf_addstr(b, ",\"message\":");
	buf_add_json_str(b, message, strlen(message));
	buf_addstr(b, ",\"details\":");
	if (details != NULL && details_json)
		buf_addstr(b, details);
	else
		add_str_or_null(b, details);
	buf_addstr(b, ",\"hint\":");
	add_str_or_null(b, hint);
	buf_addc(b, '}');
	return buf_error(b);
}

int
json_error_body_hint(struct buf *b, const char *code, const char *message,
    const char *details, const char *hint)
{
	return json_error_body_ext(b, code, message, details, 0, hint);
}

int
json_error_body(
    struct buf *b, const char *code, const char *message, const char *details)
{
	return json_error_body_ext(b, code, message, details, 0, NULL);
}

const char *
json_get_str(struct json_object *o, const char *key, size_t *len, int *bad)
{
	struct json_object *v;
	const char *s;
	size_t n;

	*bad = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return NULL;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL) {
		*bad = 1;
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return s;
}
