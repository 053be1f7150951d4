#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "authd/blocklist.h"

#define BL_COMMENT "#!comment:"

/* One slot of the open-addressing table; bs_len == 0 marks it free. */
struct bl_slot {
	uint64_t bs_hash;
	size_t bs_off; /* into bl_text */
	size_t bs_len;
};

struct blocklist {
	char *bl_text; /* folded entries, back to back */
	struct bl_slot *bl_slots;
	size_t bl_nslots; /* a power of two, more than twice bl_count */
	size_t bl_count;
	size_t bl_used; /* bytes of bl_text in use */
};

static unsigned char
bl_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * FNV-1a over the folded bytes.  Not keyed: the set is fixed at load
 * from a file we trust and lookups never insert, so a client cannot
 * lengthen a probe sequence by choosing what it looks up.
 */
static uint64_t
bl_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= bl_fold(p[i]);
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Equal ignoring ASCII case; a is already folded. */
static int
bl_equal(const char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] != bl_fold(b[i]))
			return 0;
	return 1;
}

/*
 * Returns the slot holding p[0..n), or the free slot where it would go.
 * The table is never full, so the probe ends.
 */
static struct bl_slot *
bl_find(
    const struct blocklist *bl, const unsigned char *p, size_t n, uint64_t h)
{
	size_t mask = bl->bl_nslots - 1, i = h & mask;
	struct bl_slot *s;

	for (;; i = (i + 1) & mask) {
		s = &bl->bl_slots[i];
		if (s->bs_len == 0)
			return s;
		if (s->bs_hash == h && s->bs_len == n &&
		    bl_equal(bl->bl_text + s->bs_off, p, n))
			return s;
	}
}

/* Calls fn for every entry line of text[0..len); 0 or fn's -1. */
static int
bl_each_line(const char *text, size_t len,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	const char *p = text, *end = text + len, *nl;
	size_t n;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && n <= BLOCKLIST_LINE_MAX &&
		    !(n >= sizeof(BL_COMMENT) - 1 &&
		        memcmp(p, BL_COMMENT, sizeof(BL_COMMENT) - 1) == 0) &&
		    fn(arg, p, n) == -1)
			return -1;
		p = nl + 1;
	}
	return 0;
}

static int
bl_count_line(void *arg, const char *p, size_t n)
{
	size_t *np = arg;

	(void)p;
	(void)n;
	(*np)++;
	return 0;
}

static int
bl_add_line(void *arg, const char *p, size_t n)
{
	struct blocklist *bl = arg;
	const unsigned char *u = (const unsigned char *)p;
	uint64_t h = bl_hash(u, n);
	struct bl_slot *s;
	size_t i;

	if ((s = bl_find(bl, u, n, h))->bs_len != 0)
		return 0; /* a duplicate after folding */
	/* bl_text was sized for every line, so this cannot overrun it. */
	for (i = 0; i < n; i++)
		bl->bl_text[bl->bl_used + i] = (char)bl_fold(u[i]);
	s->bs_off = bl->bl_used;
	s->bs_hash = h;
	s->bs_len = n;
	bl->bl_used += n;
	bl->bl_count++;
	return 0;
}

struct blocklist *
blocklist_from_buffer(const char *text, size_t len)
{
	struct blocklist *bl = NULL;
	size_t lines = 0, nslots;

	if (text == NULL && len > 0) {
		errno = EINVAL;
		goto fail;
	}
	(void)bl_each_line(text, len, bl_count_line, &lines);
	if (lines > SIZE_MAX / 4 / sizeof(struct bl_slot)) {
		errno = ENOMEM;
		goto fail;
	}
	/* Load factor at most one half keeps linear probes short. */
	for (nslots = 16; nslots <= 2 * lines; nslots <<= 1)
		;
	if ((bl = calloc(1, sizeof(*bl))) == NULL)
		goto fail;
	if ((bl->bl_slots = calloc(nslots, sizeof(*bl->bl_slots))) == NULL ||
	    (bl->bl_text = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	bl->bl_nslots = nslots;
	(void)bl_each_line(text, len, bl_add_line, bl);
	return bl;
fail:
	blocklist_free(bl);
	return NULL;
}

struct blocklist *
blocklist_load(const char *path)
{
	struct blocklist *bl = NULL;
	struct stat st;
	struct buf b;
	size_t want;
	ssize_t r;
	int fd = -1, saved;

	buf_init(&b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	/* The size is a hint; the read loop enforces the bound. */
	if (st.st_size > 0 && (uint64_t)st.st_size <= BLOCKLIST_FILE_MAX &&
	    buf_reserve(&b, (size_t)st.st_size + 1) == -1)
		goto fail;
	/* Reading one byte past the bound tells a too-large file apart. */
	for (;;) {
		if (buf_reserve(&b, 65536) == -1)
			goto fail;
		want = b.b_cap - b.b_len - 1;
		if (want > BLOCKLIST_FILE_MAX + 1 - b.b_len)
			want = BLOCKLIST_FILE_MAX + 1 - b.b_len;
		if ((r = read(fd, b.b_data + b.b_len, want)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		b.b_len += (size_t)r;
		b.b_data[b.b_len] = '\0';
		if (b.b_len > BLOCKLIST_FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
	}
	bl = blocklist_from_buffer(b.b_data, b.b_len);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	buf_free(&b);
	errno = saved;
	return bl;
}

int
blocklist_contains(const struct blocklist *bl, const char *pw, size_t len)
{
	const unsigned char *u = (const unsigned char *)pw;

	if (len == 0 || len > BLOCKLIST_LINE_MAX)
		return 0;
	return bl_find(bl, u, len, bl_hash(u, len))->bs_len != 0;
}

size_t
blocklist_count(const struct blocklist *bl)
{
	return bl->bl_count;
}

void
blocklist_free(struct blocklist *bl)
{
	if (bl == NULL)
		return;
	free(bl->bl_slots);
	free(bl->bl_text);
	free(bl);
}
