/*
 * Logging: one JSON object per line on stderr, so that journald, docker and
 * the dev runner's log files all keep structured lines.  Secrets never reach
 * these functions.
 */
#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *proc, int level);
void log_set_level(int level);
int log_get_level(void);
int log_level_parse(const char *s);

/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

/*
 * Sends log lines to path (opened O_APPEND, mode 0640, created if missing)
 * instead of the stderr the daemon was started with; NULL or "" keeps
 * stderr.  The file replaces file descriptor 2 itself, so messages written
 * to stderr by libraries and sanitizers land in it too, and a reopen is a
 * single dup2(), atomic for threads logging at that moment.  0 or -1
 * (errno set; logging is unchanged).
 */
int log_open(const char *path);
/*
 * Reopens the file given to log_open, for logrotate's "create" mode (after
 * a SIGHUP).  A no-op without a file.  0 or -1 (the old file stays in use).
 */
int log_reopen(void);

/* ISO 8601 UTC with milliseconds, as in every log line. */
void log_timestamp(char *ts, size_t cap);

struct buf;

/*
 * Appends s[0..n) to b as a JSON string that is valid whatever the bytes:
 * '"' and '\\' are escaped, C0 controls, DEL and C1 controls (U+0080 to
 * U+009F) become \u00XX, and each byte that does not begin a well-formed
 * UTF-8 sequence (stray continuation, overlong form, surrogate, above
 * U+10FFFF, truncated) becomes \ufffd.  Other UTF-8 is copied unchanged.
 * Every string value of a log line goes through this (client input such
 * as a path or a user agent included).  0, or -1 with b unchanged.
 */
int log_add_json_str(struct buf *b, const char *s, size_t n);

/* Writes an already formed JSON object (no newline) as one log line. */
void log_json_line(const char *json, size_t len);

#endif
