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

/* ISO 8601 UTC with milliseconds, as in every log line. */
void log_timestamp(char *ts, size_t cap);

/* Writes an already formed JSON object (no newline) as one log line. */
void log_json_line(const char *json, size_t len);

#endif
