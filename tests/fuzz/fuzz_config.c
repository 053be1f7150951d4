/*
 * The config parser (common/config.c): config_parse_buffer on arbitrary
 * text.  Whatever it accepts must leave every integer key within its
 * documented bounds and every string NUL-terminated.
 */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config_key *keys;
	struct config cf;
	char err[512], *text;
	size_t i, n;
	long v;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&cf);
	err[0] = '\0';
	if (config_parse_buffer(&cf, "fuzz", text, err, sizeof(err)) == 0) {
		keys = config_keys(&n);
		for (i = 0; i < n; i++) {
			if (keys[i].ck_type == CONFIG_T_INT) {
				memcpy(&v, (char *)&cf + keys[i].ck_off,
				    sizeof(v));
				FUZZ_CHECK(
				    v >= keys[i].ck_min && v <= keys[i].ck_max);
			} else
				FUZZ_CHECK(memchr((char *)&cf + keys[i].ck_off,
				               '\0', CONFIG_STR_MAX) != NULL);
		}
	} else
		FUZZ_CHECK(
		    memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	free(text);
	return 0;
}
