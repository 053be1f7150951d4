/*
 * The list of breached and common passwords that signup and password
 * change refuse (ASVS 5.0 6.2.4).  Immutable once loaded, so lookups need
 * no lock.  Pure logic apart from reading the file in blocklist_load.
 *
 * The file is one password per line, as in Openwall's password.lst
 * (Debian's john-data installs it as /usr/share/john/password.lst):
 * lines starting with "#!comment:" are skipped, one trailing CR is
 * stripped, empty lines and lines longer than BLOCKLIST_LINE_MAX bytes are
 * skipped.  Nothing else is trimmed: a space is a valid password byte.
 *
 * Entries are compared case-insensitively with an ASCII fold only (A-Z to
 * a-z); other bytes, UTF-8 included, must match exactly.  The list is
 * mostly ASCII, and an ASCII fold cannot make two different UTF-8 strings
 * equal.
 */
#ifndef POSTERN_AUTHD_BLOCKLIST_H
#define POSTERN_AUTHD_BLOCKLIST_H

#include <stddef.h>

#define BLOCKLIST_LINE_MAX 1024
/* The file is read whole; anything larger is not a password list. */
#define BLOCKLIST_FILE_MAX ((size_t)64 << 20)

struct blocklist;

/*
 * Loads the list at path.  NULL with errno on failure: that of open or
 * read, EFBIG if the file is larger than BLOCKLIST_FILE_MAX, ENOMEM.
 * Logs nothing.
 */
struct blocklist *blocklist_load(const char *path);

/* Same from text[0..len); text may be NULL if len is 0. */
struct blocklist *blocklist_from_buffer(const char *text, size_t len);

/* 1 if pw[0..len) is listed (ignoring ASCII case), else 0. */
int blocklist_contains(const struct blocklist *bl, const char *pw, size_t len);

/* Distinct entries after case folding. */
size_t blocklist_count(const struct blocklist *bl);

void blocklist_free(struct blocklist *bl);

#endif
