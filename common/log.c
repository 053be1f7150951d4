#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"

static const char *log_proc = "postern";
static int log_level = LOG_LVL_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug"};
static char log_path[1024]; /* the log_file, or "" for stderr */

void
log_init(const char *proc, int level)
{
	log_proc = proc;
	log_level = level;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(s, log_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_open(const char *path)
{
	char old[sizeof(log_path)];
	size_t n;
	int saved;

	if (path == NULL || path[0] == '\0') {
		log_path[0] = '\0';
		return 0;
	}
	if ((n = strlen(path)) >= sizeof(log_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(old, log_path, sizeof(old));
	memcpy(log_path, path, n + 1);
	if (log_reopen() == -1) {
		saved = errno;
		memcpy(log_path, old, sizeof(log_path));
		errno = saved;
		return -1;
	}
	return 0;
}

int
log_reopen(void)
{
	int fd, saved;

	if (log_path[0] == '\0')
		return 0;
	if ((fd = open(log_path,
	         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)) ==
	    -1)
		return -1;
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		close(fd);
	}
	return 0;
}

void
log_json_line(const char *json, size_t len)
{
	struct buf b;

	buf_init(&b);
	if (buf_add(&b, json, len) == 0 && buf_addc(&b, '\n') == 0)
		(void)!write(STDERR_FILENO, b.b_data, b.b_len);
	buf_free(&b);
}

void
log_timestamp(char *ts, size_t cap)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000);
}

static void
log_emit(int level, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048], ts[40];
	struct buf b;
	int saved = errno;
	size_t n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	log_timestamp(ts, sizeof(ts));

	buf_init(&b);
	if (buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"proc\":", ts,
	        log_names[level]) == 0 &&
	    buf_add_json_str(&b, log_proc, strlen(log_proc)) == 0 &&
	    buf_addstr(&b, ",\"msg\":") == 0 &&
	    buf_add_json_str(&b, msg, strlen(msg)) == 0 &&
	    buf_addstr(&b, "}\n") == 0)
		(void)!write(STDERR_FILENO, b.b_data, b.b_len);
	else
		(void)!write(STDERR_FILENO, "log: out of memory\n", 19);
	buf_free(&b);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
