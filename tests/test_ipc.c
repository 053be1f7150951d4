#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/ipc.h"

/* Checks the frame in b and points a cursor at its payload. */
static void
frame_open(struct buf *b, uint16_t type, uint32_t id, struct ipc_cur *c)
{
	struct ipc_hdr h;

	cr_assert_eq(
	    ipc_frame_take((unsigned char *)b->b_data, b->b_len, &h), 1);
	cr_assert_eq(h.ih_type, type);
	cr_assert_eq(h.ih_id, id);
	cr_assert_eq(h.ih_flags, 0);
	cr_assert_eq(h.ih_len + IPC_HDR_LEN, b->b_len);
	ipc_cur_init(c, b->b_data + IPC_HDR_LEN, h.ih_len);
}

static void
expect_str(struct ipc_cur *c, const char *want)
{
	const char *s;
	size_t n;

	cr_assert_eq(ipc_get_str(c, &s, &n), 0);
	cr_assert_eq(n, strlen(want));
	cr_assert_eq(memcmp(s, want, n), 0);
}

Test(ipc, type_names)
{
	cr_assert_str_eq(ipc_type_name(IPC_REQ_PING), "REQ_PING");
	cr_assert_str_eq(ipc_type_name(IPC_ANS_PING), "ANS_PING");
	cr_assert_str_eq(ipc_type_name(IPC_REQ_VERIFY), "REQ_VERIFY");
	cr_assert_str_eq(ipc_type_name(IPC_ANS_VERIFY), "ANS_VERIFY");
	cr_assert_str_eq(ipc_type_name(IPC_REQ_AUTH), "REQ_AUTH");
	cr_assert_str_eq(ipc_type_name(IPC_ANS_AUTH), "ANS_AUTH");
	cr_assert_str_eq(ipc_type_name(IPC_ANS_ERROR), "ANS_ERROR");
	cr_assert_str_eq(ipc_type_name(0), "?");
	cr_assert_str_eq(ipc_type_name(IPC_TYPE_MAX), "?");
	cr_assert_str_eq(ipc_type_name(0xffff), "?");
}

Test(ipc, header_wire_format)
{
	static const unsigned char want[IPC_HDR_LEN] = {0x00, 0x01, 0x02, 0x03,
	    0x00, 0x05, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef};
	unsigned char out[IPC_HDR_LEN];
	struct ipc_hdr h = {0x010203, IPC_REQ_AUTH, 0, 0xdeadbeef}, g;

	ipc_hdr_write(out, &h);
	cr_assert_eq(memcmp(out, want, IPC_HDR_LEN), 0);
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), 0);
	cr_assert_eq(g.ih_len, h.ih_len);
	cr_assert_eq(g.ih_type, h.ih_type);
	cr_assert_eq(g.ih_flags, 0);
	cr_assert_eq(g.ih_id, h.ih_id);
}

Test(ipc, header_short)
{
	unsigned char out[IPC_HDR_LEN];
	struct ipc_hdr h = {0, IPC_REQ_PING, 0, 1}, g;
	size_t n;

	ipc_hdr_write(out, &h);
	for (n = 0; n < IPC_HDR_LEN; n++) {
		errno = 0;
		cr_assert_eq(ipc_hdr_parse(out, n, &g), -1);
		cr_assert_eq(errno, EAGAIN);
		cr_assert_eq(ipc_frame_take(out, n, &g), 0);
	}
}

Test(ipc, header_length_bounds)
{
	unsigned char out[IPC_HDR_LEN];
	struct ipc_hdr h = {IPC_MAX_PAYLOAD, IPC_ANS_AUTH, 0, 7}, g;

	ipc_hdr_write(out, &h);
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), 0);
	cr_assert_eq(g.ih_len, IPC_MAX_PAYLOAD);
	/* A maximal frame is legal but needs its body first. */
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), 0);

	h.ih_len = IPC_MAX_PAYLOAD + 1;
	ipc_hdr_write(out, &h);
	errno = 0;
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), -1);
	cr_assert_eq(errno, ERANGE);
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), -1);

	h.ih_len = 0xffffffff;
	ipc_hdr_write(out, &h);
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), -1);
}

Test(ipc, header_bad_type_and_flags)
{
	unsigned char out[IPC_HDR_LEN];
	struct ipc_hdr h = {0, 0, 0, 1}, g;

	ipc_hdr_write(out, &h);
	errno = 0;
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), -1);

	h.ih_type = IPC_TYPE_MAX;
	ipc_hdr_write(out, &h);
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), -1);
	cr_assert_eq(errno, EINVAL);

	h.ih_type = 0xffff;
	ipc_hdr_write(out, &h);
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), -1);

	h.ih_type = IPC_REQ_PING;
	h.ih_flags = 1;
	ipc_hdr_write(out, &h);
	errno = 0;
	cr_assert_eq(ipc_hdr_parse(out, sizeof(out), &g), -1);
	cr_assert_eq(errno, EINVAL);
	h.ih_flags = 0x8000;
	ipc_hdr_write(out, &h);
	cr_assert_eq(ipc_frame_take(out, sizeof(out), &g), -1);
}

Test(ipc, bad_header_rejected_before_body)
{
	unsigned char frame[IPC_HDR_LEN + 4];
	struct ipc_hdr h = {1000, 0x99, 0, 1}, g;

	/* Only 12 of 1012 bytes are there, but the type is already wrong. */
	ipc_hdr_write(frame, &h);
	cr_assert_eq(ipc_frame_take(frame, IPC_HDR_LEN, &g), -1);
	cr_assert_eq(ipc_frame_take(frame, sizeof(frame), &g), -1);
}

/* Builds a with ipc_put_answer, checks the frame, reads it back into g. */
static void
answer_round_trip(
    struct buf *b, const struct ipc_answer *a, struct ipc_answer *g)
{
	struct ipc_hdr h;

	cr_assert_eq(ipc_put_answer(b, a), 0);
	cr_assert_eq(
	    ipc_frame_take((unsigned char *)b->b_data, b->b_len, &h), 1);
	cr_assert_eq(h.ih_type, a->an_type);
	cr_assert_eq(h.ih_id, a->an_id);
	cr_assert_eq(h.ih_len + IPC_HDR_LEN, b->b_len);
	cr_assert_eq(ipc_get_answer(&h, b->b_data + IPC_HDR_LEN, g), 0);
	cr_assert_eq(g->an_type, a->an_type);
	cr_assert_eq(g->an_id, a->an_id);
}

/* The answer in b, read again after a byte of it was changed. */
static int
answer_reread(struct buf *b, struct ipc_answer *g)
{
	struct ipc_hdr h;

	cr_assert_eq(
	    ipc_frame_take((unsigned char *)b->b_data, b->b_len, &h), 1);
	return ipc_get_answer(&h, b->b_data + IPC_HDR_LEN, g);
}

static int
view_eq(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && (n == 0 || memcmp(p, want, n) == 0);
}

Test(ipc, ping_round_trip)
{
	struct ipc_answer a = {.an_type = IPC_ANS_PING, .an_id = 1}, g;
	struct ipc_cur c;
	struct buf b;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_REQ_PING, 1), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	cr_assert_eq(b.b_len, IPC_HDR_LEN);
	frame_open(&b, IPC_REQ_PING, 1, &c);
	cr_assert_eq(ipc_end(&c), 0);

	a.an_u.an_ping.ap_db_ok = 1;
	a.an_u.an_ping.ap_listen_ok = 0;
	a.an_u.an_ping.ap_reason = "no LISTEN";
	a.an_u.an_ping.ap_reasonlen = 9;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(g.an_u.an_ping.ap_db_ok, 1);
	cr_assert_eq(g.an_u.an_ping.ap_listen_ok, 0);
	cr_assert(view_eq(g.an_u.an_ping.ap_reason, g.an_u.an_ping.ap_reasonlen,
	    "no LISTEN"));
	/* On the wire: two flag bytes, then the reason. */
	cr_assert_eq(b.b_len, IPC_HDR_LEN + 2 + 4 + 9);

	/* The old one-byte answer is malformed now. */
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_PING, 1), 0);
	cr_assert_eq(ipc_put_u8(&b, 1), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);
	/* Flags other than 0 and 1 too. */
	a.an_u.an_ping.ap_reason = NULL;
	a.an_u.an_ping.ap_reasonlen = 0;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(g.an_u.an_ping.ap_reasonlen, 0);
	b.b_data[IPC_HDR_LEN] = 2;
	cr_assert_eq(answer_reread(&b, &g), -1);
	buf_free(&b);
}

Test(ipc, answer_verify_typed)
{
	struct ipc_answer a = {.an_type = IPC_ANS_VERIFY, .an_id = 9}, g;
	struct ipc_ans_verify *v = &a.an_u.an_verify, *w = &g.an_u.an_verify;
	struct buf b;

	buf_init(&b);
	v->av_result = IPC_VERIFY_OK;
	v->av_sub = "42";
	v->av_sublen = 2;
	v->av_sid = "sess-1";
	v->av_sidlen = 6;
	v->av_tbl = "users";
	v->av_tbllen = 5;
	v->av_exp = 1795812509;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(w->av_result, IPC_VERIFY_OK);
	cr_assert(view_eq(w->av_sub, w->av_sublen, "42"));
	cr_assert(view_eq(w->av_sid, w->av_sidlen, "sess-1"));
	cr_assert(view_eq(w->av_tbl, w->av_tbllen, "users"));
	cr_assert_eq(w->av_exp, 1795812509);
	cr_assert_eq(w->av_reasonlen, 0);

	/* Every result value round-trips; the next one is refused. */
	memset(v, 0, sizeof(*v));
	v->av_result = IPC_VERIFY_REVOKED;
	v->av_reason = "revoked";
	v->av_reasonlen = 7;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(w->av_result, IPC_VERIFY_REVOKED);
	cr_assert(view_eq(w->av_reason, w->av_reasonlen, "revoked"));
	b.b_data[IPC_HDR_LEN] = IPC_VERIFY_REVOKED + 1;
	cr_assert_eq(answer_reread(&b, &g), -1);

	/* A claim read as a C string must not hold a NUL byte. */
	memset(v, 0, sizeof(*v));
	v->av_sub = "4\0002";
	v->av_sublen = 3;
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);
	/* Nor may bytes trail the last field. */
	v->av_sub = "42";
	v->av_sublen = 2;
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(buf_add(&b, "x", 1), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);
	buf_free(&b);
}

Test(ipc, answer_auth_and_error_typed)
{
	struct ipc_answer a = {.an_type = IPC_ANS_AUTH, .an_id = 3}, g;
	struct buf b;

	buf_init(&b);
	a.an_u.an_auth.aa_status = 429;
	a.an_u.an_auth.aa_retry = 60;
	a.an_u.an_auth.aa_body = "{\"code\":\"x\"}";
	a.an_u.an_auth.aa_bodylen = 12;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(g.an_u.an_auth.aa_status, 429);
	cr_assert_eq(g.an_u.an_auth.aa_retry, 60);
	cr_assert(view_eq(g.an_u.an_auth.aa_body, g.an_u.an_auth.aa_bodylen,
	    "{\"code\":\"x\"}"));
	/* A body is relayed verbatim, NUL bytes and all. */
	a.an_u.an_auth.aa_body = "a\0b";
	a.an_u.an_auth.aa_bodylen = 3;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(g.an_u.an_auth.aa_bodylen, 3);
	/* The status range edges: 200 and 599 pass, 199 and 600 do not. */
	a.an_u.an_auth.aa_status = 200;
	answer_round_trip(&b, &a, &g);
	a.an_u.an_auth.aa_status = 599;
	answer_round_trip(&b, &a, &g);
	a.an_u.an_auth.aa_status = 199;
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);
	a.an_u.an_auth.aa_status = 600;
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);

	memset(&a, 0, sizeof(a));
	a.an_type = IPC_ANS_ERROR;
	a.an_id = 77;
	a.an_u.an_error.ae_status = 400;
	a.an_u.an_error.ae_msg = "bad request";
	a.an_u.an_error.ae_msglen = 11;
	answer_round_trip(&b, &a, &g);
	cr_assert_eq(g.an_u.an_error.ae_status, 400);
	cr_assert(view_eq(
	    g.an_u.an_error.ae_msg, g.an_u.an_error.ae_msglen, "bad request"));
	a.an_u.an_error.ae_status = 399;
	cr_assert_eq(ipc_put_answer(&b, &a), 0);
	cr_assert_eq(answer_reread(&b, &g), -1);
	buf_free(&b);
}

Test(ipc, answer_other_types_refused)
{
	struct ipc_answer a = {.an_type = IPC_REQ_PING, .an_id = 1}, g;
	struct ipc_hdr h = {0, IPC_REQ_PING, 0, 1};
	struct buf b;

	buf_init(&b);
	errno = 0;
	cr_assert_eq(ipc_put_answer(&b, &a), -1);
	cr_assert_eq(errno, EINVAL);
	a.an_type = IPC_EVT_REVOKED;
	cr_assert_eq(ipc_put_answer(&b, &a), -1);
	/* A request or a notice is not an answer, even if well formed. */
	cr_assert_eq(ipc_get_answer(&h, "", &g), -1);
	h.ih_type = IPC_EVT_REVOKED;
	h.ih_len = 4;
	cr_assert_eq(ipc_get_answer(&h, "\0\0\0\0", &g), -1);
	buf_free(&b);
}

Test(ipc, msg_set_id)
{
	struct buf b;
	struct ipc_cur c;

	buf_init(&b);
	cr_assert_eq(ipc_msg_set_id(&b, 5), -1);
	cr_assert_eq(ipc_msg_begin(&b, IPC_REQ_VERIFY, 0), 0);
	cr_assert_eq(ipc_put_cstr(&b, "tok"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	cr_assert_eq(ipc_msg_set_id(&b, 0xdeadbeef), 0);
	/* The id is bytes 8 to 11, big-endian; the rest is untouched. */
	cr_assert_eq((unsigned char)b.b_data[8], 0xde);
	cr_assert_eq((unsigned char)b.b_data[11], 0xef);
	frame_open(&b, IPC_REQ_VERIFY, 0xdeadbeef, &c);
	expect_str(&c, "tok");
	cr_assert_eq(ipc_end(&c), 0);
	buf_free(&b);
}

/*
 * How both daemons read: a copy of the header's bytes stands for a buffer
 * that is not contiguous, and the header is there before the body is.
 */
Test(ipc, frame_take_from_header_copy)
{
	unsigned char hdr[IPC_HDR_LEN];
	struct ipc_hdr h = {100, IPC_REQ_AUTH, 0, 4}, g;

	ipc_hdr_write(hdr, &h);
	memset(&g, 0, sizeof(g));
	/* The header is complete, the body not: 0, but g is filled. */
	cr_assert_eq(ipc_frame_take(hdr, IPC_HDR_LEN + 99, &g), 0);
	cr_assert_eq(g.ih_type, IPC_REQ_AUTH);
	cr_assert_eq(g.ih_len, 100);
	cr_assert_eq(g.ih_id, 4);
	/* Exactly the frame, or more: 1. */
	cr_assert_eq(ipc_frame_take(hdr, IPC_HDR_LEN + 100, &g), 1);
	cr_assert_eq(ipc_frame_take(hdr, IPC_HDR_LEN + 100 + 7, &g), 1);
	/* Eleven bytes: 0, whatever they say. */
	cr_assert_eq(ipc_frame_take(hdr, IPC_HDR_LEN - 1, &g), 0);
}

Test(ipc, verify_round_trip)
{
	struct ipc_cur c;
	struct buf b;
	uint8_t v;
	uint64_t exp;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_REQ_VERIFY, 0xfffffffe), 0);
	cr_assert_eq(ipc_put_cstr(&b, "aaa.bbb.ccc"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_REQ_VERIFY, 0xfffffffe, &c);
	expect_str(&c, "aaa.bbb.ccc");
	cr_assert_eq(ipc_end(&c), 0);

	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_VERIFY, 9), 0);
	cr_assert_eq(ipc_put_u8(&b, IPC_VERIFY_OK), 0);
	cr_assert_eq(ipc_put_cstr(&b, "42"), 0);
	cr_assert_eq(ipc_put_cstr(&b, "sess-1"), 0);
	cr_assert_eq(ipc_put_cstr(&b, "users"), 0);
	cr_assert_eq(ipc_put_u64(&b, 1795812509), 0);
	cr_assert_eq(ipc_put_cstr(&b, NULL), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_ANS_VERIFY, 9, &c);
	cr_assert_eq(ipc_get_u8(&c, &v), 0);
	cr_assert_eq(v, IPC_VERIFY_OK);
	expect_str(&c, "42");
	expect_str(&c, "sess-1");
	expect_str(&c, "users");
	cr_assert_eq(ipc_get_u64(&c, &exp), 0);
	cr_assert_eq(exp, 1795812509);
	expect_str(&c, "");
	cr_assert_eq(ipc_end(&c), 0);

	cr_assert_eq(ipc_msg_begin(&b, IPC_EVT_REVOKED, 0), 0);
	cr_assert_eq(ipc_put_cstr(&b, "sess-1"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_EVT_REVOKED, 0, &c);
	expect_str(&c, "sess-1");
	cr_assert_eq(ipc_end(&c), 0);
	buf_free(&b);
}

Test(ipc, auth_round_trip)
{
	struct ipc_cur c;
	struct buf b;
	char *op, *tbl, *addr, *ua, *bearer, *arg, *body;
	uint16_t st;
	uint32_t ra;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_REQ_AUTH, 3), 0);
	cr_assert_eq(ipc_put_cstr(&b, "login"), 0);
	cr_assert_eq(ipc_put_cstr(&b, "users"), 0);
	cr_assert_eq(ipc_put_cstr(&b, "192.0.2.1"), 0);
	cr_assert_eq(ipc_put_cstr(&b, "curl/8"), 0);
	cr_assert_eq(ipc_put_cstr(&b, ""), 0);
	cr_assert_eq(ipc_put_cstr(&b, "0b9e"), 0);
	cr_assert_eq(ipc_put_str(&b, "{\"a\":1}", 7), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_REQ_AUTH, 3, &c);
	cr_assert_eq(ipc_get_cstr(&c, &op), 0);
	cr_assert_eq(ipc_get_cstr(&c, &tbl), 0);
	cr_assert_eq(ipc_get_cstr(&c, &addr), 0);
	cr_assert_eq(ipc_get_cstr(&c, &ua), 0);
	cr_assert_eq(ipc_get_cstr(&c, &bearer), 0);
	cr_assert_eq(ipc_get_cstr(&c, &arg), 0);
	cr_assert_eq(ipc_get_cstr(&c, &body), 0);
	cr_assert_eq(ipc_end(&c), 0);
	cr_assert_str_eq(op, "login");
	cr_assert_str_eq(tbl, "users");
	cr_assert_str_eq(addr, "192.0.2.1");
	cr_assert_str_eq(ua, "curl/8");
	cr_assert_str_eq(bearer, "");
	cr_assert_str_eq(arg, "0b9e");
	cr_assert_str_eq(body, "{\"a\":1}");
	free(op);
	free(tbl);
	free(addr);
	free(ua);
	free(bearer);
	free(arg);
	free(body);

	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 3), 0);
	cr_assert_eq(ipc_put_u16(&b, 429), 0);
	cr_assert_eq(ipc_put_u32(&b, 60), 0);
	cr_assert_eq(ipc_put_cstr(&b, "{\"error\":\"slow down\"}"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_ANS_AUTH, 3, &c);
	cr_assert_eq(ipc_get_u16(&c, &st), 0);
	cr_assert_eq(ipc_get_u32(&c, &ra), 0);
	cr_assert_eq(st, 429);
	cr_assert_eq(ra, 60);
	expect_str(&c, "{\"error\":\"slow down\"}");
	cr_assert_eq(ipc_end(&c), 0);
	buf_free(&b);
}

Test(ipc, error_round_trip)
{
	struct ipc_cur c;
	struct buf b;
	uint16_t st;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_ERROR, 77), 0);
	cr_assert_eq(ipc_put_u16(&b, 400), 0);
	cr_assert_eq(ipc_put_cstr(&b, "bad request"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	frame_open(&b, IPC_ANS_ERROR, 77, &c);
	cr_assert_eq(ipc_get_u16(&c, &st), 0);
	cr_assert_eq(st, 400);
	expect_str(&c, "bad request");
	cr_assert_eq(ipc_end(&c), 0);
	buf_free(&b);
}

Test(ipc, integers_big_endian)
{
	static const unsigned char want[] = {0xab, 0x12, 0x34, 0xde, 0xad, 0xbe,
	    0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	struct ipc_cur c;
	struct buf b;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 0), 0);
	cr_assert_eq(ipc_put_u8(&b, 0xab), 0);
	cr_assert_eq(ipc_put_u16(&b, 0x1234), 0);
	cr_assert_eq(ipc_put_u32(&b, 0xdeadbeef), 0);
	cr_assert_eq(ipc_put_u64(&b, 0x0102030405060708ull), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	cr_assert_eq(b.b_len, IPC_HDR_LEN + sizeof(want));
	cr_assert_eq(memcmp(b.b_data + IPC_HDR_LEN, want, sizeof(want)), 0);
	ipc_cur_init(&c, want, sizeof(want));
	cr_assert_eq(ipc_get_u8(&c, &v8), 0);
	cr_assert_eq(ipc_get_u16(&c, &v16), 0);
	cr_assert_eq(ipc_get_u32(&c, &v32), 0);
	cr_assert_eq(ipc_get_u64(&c, &v64), 0);
	cr_assert_eq(ipc_end(&c), 0);
	cr_assert_eq(v8, 0xab);
	cr_assert_eq(v16, 0x1234);
	cr_assert_eq(v32, 0xdeadbeef);
	cr_assert_eq(v64, 0x0102030405060708ull);
	buf_free(&b);
}

Test(ipc, truncated_payload)
{
	struct ipc_cur c;
	struct buf b;
	const char *s;
	size_t n, cut;
	uint8_t v;
	uint16_t st;
	uint32_t u;
	uint64_t w;

	buf_init(&b);
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_VERIFY, 1), 0);
	cr_assert_eq(ipc_put_u8(&b, 0), 0);
	cr_assert_eq(ipc_put_cstr(&b, "sub"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	/* Every proper prefix of the payload fails somewhere. */
	for (cut = 0; cut < b.b_len - IPC_HDR_LEN; cut++) {
		ipc_cur_init(&c, b.b_data + IPC_HDR_LEN, cut);
		(void)ipc_get_u8(&c, &v);
		(void)ipc_get_str(&c, &s, &n);
		cr_assert_eq(ipc_end(&c), -1, "cut %zu", cut);
		cr_assert(c.ic_err);
	}
	buf_free(&b);

	ipc_cur_init(&c, "\x01", 1);
	cr_assert_eq(ipc_get_u16(&c, &st), -1);
	ipc_cur_init(&c, "\x01\x02\x03", 3);
	cr_assert_eq(ipc_get_u32(&c, &u), -1);
	ipc_cur_init(&c, "\x01\x02\x03\x04\x05\x06\x07", 7);
	cr_assert_eq(ipc_get_u64(&c, &w), -1);
	ipc_cur_init(&c, NULL, 0);
	cr_assert_eq(ipc_get_u8(&c, &v), -1);
	/* A string length that claims more bytes than remain. */
	ipc_cur_init(&c,
	    "\x00\x00\x00\x05"
	    "abcd",
	    8);
	cr_assert_eq(ipc_get_str(&c, &s, &n), -1);
	ipc_cur_init(&c,
	    "\xff\xff\xff\xff"
	    "abcd",
	    8);
	cr_assert_eq(ipc_get_str(&c, &s, &n), -1);
}

Test(ipc, error_is_sticky)
{
	struct ipc_cur c;
	uint32_t u;
	uint8_t v;

	ipc_cur_init(&c, "\x01\x02\x03", 3);
	cr_assert_eq(ipc_get_u32(&c, &u), -1);
	/* Enough bytes for a u8 remain, but the cursor is already failed. */
	cr_assert_eq(ipc_get_u8(&c, &v), -1);
	cr_assert_eq(ipc_end(&c), -1);
}

Test(ipc, trailing_bytes)
{
	struct ipc_cur c;
	uint8_t v;

	ipc_cur_init(&c, "\x01\x02", 2);
	cr_assert_eq(ipc_get_u8(&c, &v), 0);
	cr_assert_eq(ipc_end(&c), -1);

	ipc_cur_init(&c, "\x01", 1);
	cr_assert_eq(ipc_end(&c), -1);
	ipc_cur_init(&c, "", 0);
	cr_assert_eq(ipc_end(&c), 0);
}

Test(ipc, cstr_embedded_nul)
{
	struct ipc_cur c;
	char *s = (char *)1;
	const char *p;
	size_t n;

	ipc_cur_init(&c,
	    "\x00\x00\x00\x03"
	    "a\0b",
	    7);
	cr_assert_eq(ipc_get_cstr(&c, &s), -1);
	cr_assert_null(s);
	cr_assert_eq(ipc_end(&c), -1);

	/* The same bytes are fine as a counted string. */
	ipc_cur_init(&c,
	    "\x00\x00\x00\x03"
	    "a\0b",
	    7);
	cr_assert_eq(ipc_get_str(&c, &p, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(ipc_end(&c), 0);
}

Test(ipc, payload_too_big)
{
	struct buf b;
	char *big;

	cr_assert_not_null(big = calloc(1, IPC_MAX_PAYLOAD));
	buf_init(&b);
	/* Exactly the maximum payload: 4 + (max - 4). */
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 1), 0);
	cr_assert_eq(ipc_put_str(&b, big, IPC_MAX_PAYLOAD - 4), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	/* One more byte is too many. */
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 1), 0);
	cr_assert_eq(ipc_put_str(&b, big, IPC_MAX_PAYLOAD - 3), 0);
	errno = 0;
	cr_assert_eq(ipc_msg_end(&b), -1);
	cr_assert_eq(errno, ERANGE);
	/* A single string longer than any frame is refused outright. */
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 1), 0);
	cr_assert_eq(ipc_put_str(&b, big, (size_t)IPC_MAX_PAYLOAD + 1), -1);
	cr_assert_eq(b.b_len, IPC_HDR_LEN);
	/* ... and sticks: later puts are no-ops, the end fails with it. */
	cr_assert_eq(ipc_put_cstr(&b, "x"), -1);
	cr_assert_eq(b.b_len, IPC_HDR_LEN);
	errno = 0;
	cr_assert_eq(ipc_msg_end(&b), -1);
	cr_assert_eq(errno, ERANGE);
	/* A new message starts clean. */
	cr_assert_eq(ipc_msg_begin(&b, IPC_ANS_AUTH, 1), 0);
	cr_assert_eq(ipc_put_cstr(&b, "x"), 0);
	cr_assert_eq(ipc_msg_end(&b), 0);
	buf_free(&b);
	free(big);
}

/* A builder puts in a straight line and checks ipc_msg_end once. */
Test(ipc, straight_line_builder_fails_once)
{
	struct buf b;
	char *big;

	cr_assert_not_null(big = calloc(1, (size_t)IPC_MAX_PAYLOAD + 1));
	buf_init(&b);
	ipc_msg_begin(&b, IPC_REQ_AUTH, 0);
	ipc_put_cstr(&b, "login");
	ipc_put_str(&b, big, (size_t)IPC_MAX_PAYLOAD + 1);
	ipc_put_cstr(&b, "after");
	cr_assert_eq(ipc_msg_end(&b), -1);
	cr_assert_eq(b.b_len, IPC_HDR_LEN + 4 + 5, "puts after the failed one");
	buf_free(&b);
	free(big);
}

Test(ipc, msg_end_without_begin)
{
	struct buf b;

	buf_init(&b);
	cr_assert_eq(ipc_msg_end(&b), -1);
	buf_free(&b);
}

Test(ipc, split_reads_one_byte_at_a_time)
{
	struct buf stream, rx, f;
	struct ipc_hdr h;
	struct ipc_cur c;
	size_t i, nframes = 0;
	uint8_t v;
	int r;

	buf_init(&stream);
	buf_init(&rx);
	buf_init(&f);
	cr_assert_eq(ipc_msg_begin(&f, IPC_REQ_VERIFY, 100), 0);
	cr_assert_eq(ipc_put_cstr(&f, "tok"), 0);
	cr_assert_eq(ipc_msg_end(&f), 0);
	cr_assert_eq(buf_add(&stream, f.b_data, f.b_len), 0);
	cr_assert_eq(ipc_msg_begin(&f, IPC_ANS_PING, 101), 0);
	cr_assert_eq(ipc_put_u8(&f, 1), 0);
	cr_assert_eq(ipc_msg_end(&f), 0);
	cr_assert_eq(buf_add(&stream, f.b_data, f.b_len), 0);

	for (i = 0; i < stream.b_len; i++) {
		cr_assert_eq(buf_add(&rx, stream.b_data + i, 1), 0);
		r = ipc_frame_take((unsigned char *)rx.b_data, rx.b_len, &h);
		cr_assert_neq(r, -1);
		if (r == 0)
			continue;
		ipc_cur_init(&c, rx.b_data + IPC_HDR_LEN, h.ih_len);
		if (nframes == 0) {
			cr_assert_eq(h.ih_type, IPC_REQ_VERIFY);
			cr_assert_eq(h.ih_id, 100);
			expect_str(&c, "tok");
		} else {
			cr_assert_eq(h.ih_type, IPC_ANS_PING);
			cr_assert_eq(h.ih_id, 101);
			cr_assert_eq(ipc_get_u8(&c, &v), 0);
			cr_assert_eq(v, 1);
		}
		cr_assert_eq(ipc_end(&c), 0);
		nframes++;
		/* Consume the frame, keep whatever follows it. */
		memmove(rx.b_data, rx.b_data + IPC_HDR_LEN + h.ih_len,
		    rx.b_len - IPC_HDR_LEN - h.ih_len);
		rx.b_len -= IPC_HDR_LEN + h.ih_len;
	}
	cr_assert_eq(nframes, 2);
	cr_assert_eq(rx.b_len, 0);

	/* Both frames in one read: the first is taken, then the second. */
	r = ipc_frame_take((unsigned char *)stream.b_data, stream.b_len, &h);
	cr_assert_eq(r, 1);
	cr_assert_eq(h.ih_id, 100);
	i = IPC_HDR_LEN + h.ih_len;
	r = ipc_frame_take(
	    (unsigned char *)stream.b_data + i, stream.b_len - i, &h);
	cr_assert_eq(r, 1);
	cr_assert_eq(h.ih_id, 101);
	cr_assert_eq(i + IPC_HDR_LEN + h.ih_len, stream.b_len);
	buf_free(&stream);
	buf_free(&rx);
	buf_free(&f);
}
