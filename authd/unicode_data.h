/*
 * The generated tables behind authd/unicode.c (authd/unicode_data.c, made
 * by authd/unicode_gen.py).  Internal to unicode.c.
 */
#ifndef POSTERN_AUTHD_UNICODE_DATA_H
#define POSTERN_AUTHD_UNICODE_DATA_H

#include <stddef.h>
#include <stdint.h>

/* cp folds to uf_to[0..uf_n). */
struct uni_fold_row {
	uint32_t uf_cp;
	uint8_t uf_n;
	uint32_t uf_to[3];
};

/* The code points ur_lo..ur_hi, both included. */
struct uni_range {
	uint32_t ur_lo;
	uint32_t ur_hi;
};

extern const char uni_data_version[];
extern const struct uni_fold_row uni_fold_rows[]; /* sorted by uf_cp */
extern const size_t uni_fold_nrows;
extern const struct uni_range uni_ccf_ranges[]; /* Cc and Cf, sorted */
extern const size_t uni_ccf_nranges;

#endif
