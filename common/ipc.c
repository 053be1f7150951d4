#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"

static const char *const ipc_type_names[IPC_TYPE_MAX] = {
    [IPC_REQ_PING] = "REQ_PING",
    [IPC_ANS_PING] = "ANS_PING",
    [IPC_REQ_VERIFY] = "REQ_VERIFY",
    [IPC_ANS_VERIFY] = "ANS_VERIFY",
    [IPC_REQ_AUTH] = "REQ_AUTH",
    [IPC_ANS_AUTH] = "ANS_AUTH",
    [IPC_ANS_ERROR] = "ANS_ERROR",
    [IPC_EVT_REVOKED] = "EVT_REVOKED",
};

const char *
ipc_type_name(uint16_t type)
{
	if (type >= IPC_TYPE_MAX || ipc_type_names[type] == NULL)
		return "?";
	return ipc_type_names[type];
}

static void
ipc_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
ipc_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint16_t
ipc_rd16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
ipc_rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void
ipc_hdr_write(unsigned char out[IPC_HDR_LEN], const struct ipc_hdr *h)
{
	ipc_be32(out, h->ih_len);
	ipc_be16(out + 4, h->ih_type);
	ipc_be16(out + 6, h->ih_flags);
	ipc_be32(out + 8, h->ih_id);
}

int
ipc_hdr_parse(const unsigned char *p, size_t n, struct ipc_hdr *h)
{
	struct ipc_hdr t;

	if (n < IPC_HDR_LEN) {
		errno = EAGAIN;
		return -1;
	}
	t.ih_len = ipc_rd32(p);
	t.ih_type = ipc_rd16(p + 4);
	t.ih_flags = ipc_rd16(p + 6);
	t.ih_id = ipc_rd32(p + 8);
	if (t.ih_len > IPC_MAX_PAYLOAD) {
		errno = ERANGE;
		return -1;
	}
	if (t.ih_type == 0 || t.ih_type >= IPC_TYPE_MAX || t.ih_flags != 0) {
		errno = EINVAL;
		return -1;
	}
	*h = t;
	return 0;
}

int
ipc_frame_take(const unsigned char *data, size_t avail, struct ipc_hdr *h)
{
	if (avail < IPC_HDR_LEN)
		return 0;
	/* Only the header's bytes are read: data may be a copy of them. */
	if (ipc_hdr_parse(data, IPC_HDR_LEN, h) == -1)
		return -1;
	if (avail - IPC_HDR_LEN < h->ih_len)
		return 0;
	return 1;
}

int
ipc_msg_set_id(struct buf *b, uint32_t id)
{
	if (b->b_len < IPC_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	ipc_be32((unsigned char *)b->b_data + 8, id);
	return 0;
}

int
ipc_msg_begin(struct buf *b, uint16_t type, uint32_t id)
{
	unsigned char hdr[IPC_HDR_LEN];
	struct ipc_hdr h;

	h.ih_len = 0;
	h.ih_type = type;
	h.ih_flags = 0;
	h.ih_id = id;
	ipc_hdr_write(hdr, &h);
	buf_reset(b);
	return buf_add(b, hdr, sizeof(hdr));
}

int
ipc_put_u8(struct buf *b, uint8_t v)
{
	return buf_add(b, &v, 1);
}

int
ipc_put_u16(struct buf *b, uint16_t v)
{
	unsigned char p[2];

	ipc_be16(p, v);
	return buf_add(b, p, sizeof(p));
}

int
ipc_put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4];

	ipc_be32(p, v);
	return buf_add(b, p, sizeof(p));
}

int
ipc_put_u64(struct buf *b, uint64_t v)
{
	unsigned char p[8];

	ipc_be32(p, (uint32_t)(v >> 32));
	ipc_be32(p + 4, (uint32_t)v);
	return buf_add(b, p, sizeof(p));
}

int
ipc_put_str(struct buf *b, const char *s, size_t n)
{
	/* Anything longer could never fit in a frame anyway. */
	if (n > IPC_MAX_PAYLOAD)
		return buf_fail(b, ERANGE);
	if (buf_reserve(b, 4 + n) == -1)
		return -1;
	if (ipc_put_u32(b, (uint32_t)n) == -1 || buf_add(b, s, n) == -1)
		return -1;
	return 0;
}

int
ipc_put_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		return ipc_put_str(b, "", 0);
	return ipc_put_str(b, s, strlen(s));
}

int
ipc_msg_end(struct buf *b)
{
	size_t plen;

	if (buf_error(b) == -1)
		return -1;
	if (b->b_len < IPC_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	plen = b->b_len - IPC_HDR_LEN;
	if (plen > IPC_MAX_PAYLOAD) {
		errno = ERANGE;
		return -1;
	}
	ipc_be32((unsigned char *)b->b_data, (uint32_t)plen);
	return 0;
}

void
ipc_cur_init(struct ipc_cur *c, const void *payload, size_t len)
{
	c->ic_p = payload;
	c->ic_left = len;
	c->ic_err = 0;
}

/* Takes n bytes off the cursor, or marks it failed. */
static const unsigned char *
ipc_take(struct ipc_cur *c, size_t n)
{
	const unsigned char *p;

	if (c->ic_err || c->ic_left < n) {
		c->ic_err = 1;
		return NULL;
	}
	p = c->ic_p;
	c->ic_p += n;
	c->ic_left -= n;
	return p;
}

int
ipc_get_u8(struct ipc_cur *c, uint8_t *v)
{
	const unsigned char *p;

	if ((p = ipc_take(c, 1)) == NULL)
		return -1;
	*v = p[0];
	return 0;
}

int
ipc_get_u16(struct ipc_cur *c, uint16_t *v)
{
	const unsigned char *p;

	if ((p = ipc_take(c, 2)) == NULL)
		return -1;
	*v = ipc_rd16(p);
	return 0;
}

int
ipc_get_u32(struct ipc_cur *c, uint32_t *v)
{
	const unsigned char *p;

	if ((p = ipc_take(c, 4)) == NULL)
		return -1;
	*v = ipc_rd32(p);
	return 0;
}

int
ipc_get_u64(struct ipc_cur *c, uint64_t *v)
{
	const unsigned char *p;

	if ((p = ipc_take(c, 8)) == NULL)
		return -1;
	*v = (uint64_t)ipc_rd32(p) << 32 | ipc_rd32(p + 4);
	return 0;
}

int
ipc_get_str(struct ipc_cur *c, const char **s, size_t *n)
{
	const unsigned char *p;
	uint32_t len;

	if (ipc_get_u32(c, &len) == -1)
		return -1;
	if ((p = ipc_take(c, len)) == NULL)
		return -1;
	*s = (const char *)p;
	*n = len;
	return 0;
}

int
ipc_get_cstr(struct ipc_cur *c, char **out)
{
	const char *s;
	size_t n;
	char *p;

	*out = NULL;
	if (ipc_get_str(c, &s, &n) == -1)
		return -1;
	if (memchr(s, '\0', n) != NULL) {
		c->ic_err = 1;
		errno = EINVAL;
		return -1;
	}
	if ((p = malloc(n + 1)) == NULL) {
		c->ic_err = 1;
		return -1;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	*out = p;
	return 0;
}

int
ipc_end(struct ipc_cur *c)
{
	if (c->ic_err || c->ic_left != 0) {
		c->ic_err = 1;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
ipc_put_answer(struct buf *b, const struct ipc_answer *a)
{
	const struct ipc_ans_ping *p = &a->an_u.an_ping;
	const struct ipc_ans_verify *v = &a->an_u.an_verify;
	const struct ipc_ans_auth *au = &a->an_u.an_auth;
	const struct ipc_ans_error *e = &a->an_u.an_error;

	/* Appends after a failed one are no-ops; ipc_msg_end checks once. */
	ipc_msg_begin(b, a->an_type, a->an_id);
	switch (a->an_type) {
	case IPC_ANS_PING:
		ipc_put_u8(b, p->ap_db_ok ? 1 : 0);
		ipc_put_u8(b, p->ap_listen_ok ? 1 : 0);
		ipc_put_str(b, p->ap_reason, p->ap_reasonlen);
		break;
	case IPC_ANS_VERIFY:
		ipc_put_u8(b, v->av_result);
		ipc_put_str(b, v->av_sub, v->av_sublen);
		ipc_put_str(b, v->av_sid, v->av_sidlen);
		ipc_put_str(b, v->av_tbl, v->av_tbllen);
		ipc_put_u64(b, v->av_exp);
		ipc_put_str(b, v->av_reason, v->av_reasonlen);
		break;
	case IPC_ANS_AUTH:
		ipc_put_u16(b, au->aa_status);
		ipc_put_u32(b, au->aa_retry);
		ipc_put_str(b, au->aa_body, au->aa_bodylen);
		break;
	case IPC_ANS_ERROR:
		ipc_put_u16(b, e->ae_status);
		ipc_put_str(b, e->ae_msg, e->ae_msglen);
		break;
	default:
		return buf_fail(b, EINVAL);
	}
	return ipc_msg_end(b);
}

/* A string of the payload that a peer reads as a C string: no NUL. */
static int
ipc_get_text(struct ipc_cur *c, const char **s, size_t *n)
{
	if (ipc_get_str(c, s, n) == -1)
		return -1;
	if (memchr(*s, '\0', *n) != NULL) {
		c->ic_err = 1;
		return -1;
	}
	return 0;
}

int
ipc_get_answer(
    const struct ipc_hdr *h, const void *payload, struct ipc_answer *a)
{
	struct ipc_ans_ping *p = &a->an_u.an_ping;
	struct ipc_ans_verify *v = &a->an_u.an_verify;
	struct ipc_ans_auth *au = &a->an_u.an_auth;
	struct ipc_ans_error *e = &a->an_u.an_error;
	struct ipc_cur c;
	uint8_t dbok = 0, listenok = 0;
	int bad;

	memset(a, 0, sizeof(*a));
	a->an_type = h->ih_type;
	a->an_id = h->ih_id;
	ipc_cur_init(&c, payload, h->ih_len);
	switch (h->ih_type) {
	case IPC_ANS_PING:
		bad = ipc_get_u8(&c, &dbok) == -1 ||
		      ipc_get_u8(&c, &listenok) == -1 ||
		      ipc_get_str(&c, &p->ap_reason, &p->ap_reasonlen) == -1 ||
		      dbok > 1 || listenok > 1;
		p->ap_db_ok = dbok;
		p->ap_listen_ok = listenok;
		break;
	case IPC_ANS_VERIFY:
		bad = ipc_get_u8(&c, &v->av_result) == -1 ||
		      ipc_get_text(&c, &v->av_sub, &v->av_sublen) == -1 ||
		      ipc_get_text(&c, &v->av_sid, &v->av_sidlen) == -1 ||
		      ipc_get_text(&c, &v->av_tbl, &v->av_tbllen) == -1 ||
		      ipc_get_u64(&c, &v->av_exp) == -1 ||
		      ipc_get_text(&c, &v->av_reason, &v->av_reasonlen) == -1 ||
		      v->av_result > IPC_VERIFY_REVOKED;
		break;
	case IPC_ANS_AUTH:
		bad = ipc_get_u16(&c, &au->aa_status) == -1 ||
		      ipc_get_u32(&c, &au->aa_retry) == -1 ||
		      ipc_get_str(&c, &au->aa_body, &au->aa_bodylen) == -1 ||
		      au->aa_status < 200 || au->aa_status > 599;
		break;
	case IPC_ANS_ERROR:
		bad = ipc_get_u16(&c, &e->ae_status) == -1 ||
		      ipc_get_str(&c, &e->ae_msg, &e->ae_msglen) == -1 ||
		      e->ae_status < 400 || e->ae_status > 599;
		break;
	default:
		bad = 1;
		break;
	}
	if (bad || ipc_end(&c) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
