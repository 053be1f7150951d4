#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

/*
 * The length of the well-formed UTF-8 sequence at p[0..n) (RFC 3629: no
 * overlong form, no surrogate, nothing above U+10FFFF), or 0 if there is
 * none there.  *cp receives its code point.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, k;
	uint32_t v, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int
log_add_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t old = b->b_len, i = 0, run, len;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};
	uint32_t cp;

	if (buf_addc(b, '"') == -1)
		goto fail;
	while (i < n) {
		/* Copy the longest run that needs nothing done in one go. */
		for (run = 0;
		     i + run < n && p[i + run] >= 0x20 && p[i + run] < 0x7f &&
		     p[i + run] != '"' && p[i + run] != '\\';
		     run++)
			;
		if (run > 0 && buf_add(b, s + i, run) == -1)
			goto fail;
		if ((i += run) == n)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			esc[1] = (char)p[i];
			if (buf_add(b, esc, 2) == -1)
				goto fail;
			esc[1] = 'u';
			i++;
			continue;
		}
		if ((len = utf8_seq(p + i, n - i, &cp)) == 0) {
			/* One replacement character per byte that starts no
			 * well-formed sequence. */
			if (buf_addstr(b, "\\ufffd") == -1)
				goto fail;
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			/* C0, DEL and C1: escaped, so that no control ever
			 * reaches a terminal or a line-based reader raw. */
			esc[4] = hex[cp >> 4];
			esc[5] = hex[cp & 0xf];
			if (buf_add(b, esc, sizeof(esc)) == -1)
				goto fail;
		} else if (buf_add(b, s + i, len) == -1)
			goto fail;
		i += len;
	}
	if (buf_addc(b, '"') == -1)
		goto fail;
	return 0;
fail:
	b->b_len = old;
	if (b->b_data != NULL)
		b->b_data[old] = '\0';
	return -1;
}

void
log_json_line(const char *json, size_t len)
{
	struct buf b;

	buf_init(&b);
	buf_add(&b, json, len);
	buf_addc(&b, '\n');
	if (buf_error(&b) == 0)
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
	buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"proc\":", ts,
	    log_names[level]);
	log_add_json_str(&b, log_proc, strlen(log_proc));
	buf_addstr(&b, ",\"msg\":");
	log_add_json_str(&b, msg, strlen(msg));
	buf_addstr(&b, "}\n");
	if (buf_error(&b) == 0)
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
