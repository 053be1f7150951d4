/*
 * The error of a data API request's parameters (query.c, select.c): an
 * HTTP status, a PostgREST or Postern code, a message and details, ready
 * for the JSON error body.  Client text quoted in a message goes through
 * qerr_quote(), so the body stays valid UTF-8 and bounded whatever was sent.
 */
#ifndef POSTERN_GATEWAY_QERROR_H
#define POSTERN_GATEWAY_QERROR_H

struct q_error {
	int qe_status;
	char qe_code[16];
	char qe_message[256];
	char qe_details[512];
	int qe_details_json; /* qe_details is JSON text, sent as it is */
	char qe_hint[256];   /* "" for a null hint */
};

/* How many bytes of client text an error message quotes. */
#define QERR_QUOTE_MAX 64

/* Fills err (details emptied). */
void qerr_set(struct q_error *err, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 500 PN900 "out of memory". */
void qerr_nomem(struct q_error *err);
/*
 * Copies client text s for quoting in a message into dst, which holds
 * QERR_QUOTE_MAX + 4 bytes: at most QERR_QUOTE_MAX bytes, cut on a
 * character boundary, control characters and the bytes of invalid UTF-8
 * replaced by '?', "..." appended when cut.  Returns dst.
 */
const char *qerr_quote(char *dst, const char *s);

#endif
