/*
 * The wire between postern-gateway and postern-authd.  This header is the
 * single source of truth for it: change a layout here and in both peers'
 * handlers at once.
 *
 * Transport: a SOCK_STREAM Unix socket carrying a sequence of frames.
 *
 * Frame:
 *
 *	offset size  field
 *	0      4     length   payload bytes that follow the header
 *	4      2     type     enum ipc_type
 *	6      2     flags    must be 0 (reserved)
 *	8      4     id       request id, chosen by the gateway; authd copies
 *	                      it into the answer so that one connection can
 *	                      carry many requests at once
 *	12     len   payload
 *
 * All integers are unsigned and in network byte order.  The header is
 * checked as soon as its 12 bytes are there, before any of the body is
 * buffered: a length above IPC_MAX_PAYLOAD, a type of 0 or >= IPC_TYPE_MAX,
 * or non-zero flags are protocol errors, and the receiver drops the
 * connection (never the process).
 *
 * Payload field types:
 *
 *	u8, u16, u32, u64   fixed width, network byte order
 *	str                 u32 length, then that many bytes; no NUL
 *	                    terminator on the wire.  A field read with
 *	                    ipc_get_cstr must not contain a NUL byte.
 *
 * A payload must be consumed exactly: trailing bytes after the last field
 * are an error (ipc_end).
 *
 * Messages (gateway sends REQ_*, authd answers with the matching ANS_* or
 * with ANS_ERROR, echoing the request id):
 *
 *	REQ_PING     (empty)
 *	ANS_PING     u8  db_ok          1 if authd's database answers, else 0
 *	             u8  listen_ok      1 if its revocation LISTEN is
 *established str reason         why not; empty when both are 1
 *
 *	REQ_VERIFY   str token          the bearer token, without "Bearer "
 *	ANS_VERIFY   u8  result         0 ok, 1 invalid, 2 expired, 3 revoked
 *	             str sub            user id; empty unless result is 0
 *	             str sid            session id; empty unless result is 0
 *	             str tbl            auth table; empty unless result is 0
 *	             u64 exp            the token's exp (epoch s); 0 unless 0
 *	             str reason         why it failed; empty when result is 0
 *
 *	REQ_AUTH     str op             "signup" | "login" | ... (auth route)
 *	             str table          the auth table of the endpoint group
 *	             str client_addr    client IP address, for rate limits
 *	             str user_agent     may be empty
 *	             str bearer_token   may be empty
 *	             str arg            the route's {id} segment (a session
 *	                                id for DELETE {prefix}/sessions/{id}),
 *	                                else empty
 *	             str body           raw JSON request body
 *	ANS_AUTH     u16 http_status    status the gateway relays
 *	             u32 retry_after    seconds for Retry-After; 0 = none
 *	             str json_body      response body, relayed verbatim
 *
 *	ANS_ERROR    u16 http_status    e.g. 400 for a malformed request
 *	             str message        short, safe to show to the client
 *
 *	EVT_REVOKED  str sid            authd -> gateway, unasked, request id 0:
 *	                                this session is revoked; an empty sid
 *	                                means "forget every verification" (authd
 *	                                reloaded its revocations and may have
 *	                                missed some).  authd sends it before any
 *	                                answer that follows the revocation, so a
 *	                                gateway caching verifications never
 *	                                serves a revoked session after seeing
 *	                                the answer to its logout.
 */
#ifndef POSTERN_COMMON_IPC_H
#define POSTERN_COMMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/op.h"

#define IPC_HDR_LEN 12
#define IPC_MAX_PAYLOAD (2u * 1024 * 1024)

/*
 * What one request may carry, far below the frame cap: authd's permit table
 * refuses more (and drops the connection), and the gateway never sends
 * more.  A bearer token is at most IPC_TOKEN_MAX bytes, an auth request's
 * body at most IPC_AUTH_BODY_MAX (an auth operation's own limit, which the
 * gateway enforces with 413), its User-Agent at most IPC_AUTH_UA_MAX
 * (authd keeps 512 bytes of its scrubbed form, which never needs more than
 * the first 516 bytes), and its other fields together (operation, table,
 * client address, token, {id} segment, their length prefixes) at most
 * IPC_AUTH_FIELDS_MAX.
 */
#define IPC_TOKEN_MAX 4096u
#define IPC_AUTH_BODY_MAX ((uint32_t)OP_AUTH_BODY_MAX)
#define IPC_AUTH_UA_MAX 1024u
#define IPC_AUTH_FIELDS_MAX (8u * 1024)
#define IPC_REQ_VERIFY_MAX (4 + IPC_TOKEN_MAX)
#define IPC_REQ_AUTH_MAX                                                       \
	(IPC_AUTH_BODY_MAX + IPC_AUTH_UA_MAX + IPC_AUTH_FIELDS_MAX)

enum ipc_type {
	IPC_REQ_PING = 1,
	IPC_ANS_PING,
	IPC_REQ_VERIFY,
	IPC_ANS_VERIFY,
	IPC_REQ_AUTH,
	IPC_ANS_AUTH,
	IPC_ANS_ERROR,
	IPC_EVT_REVOKED,
	IPC_TYPE_MAX
};

/* Values of ANS_VERIFY's result field. */
enum ipc_verify_result {
	IPC_VERIFY_OK = 0,
	IPC_VERIFY_INVALID = 1,
	IPC_VERIFY_EXPIRED = 2,
	IPC_VERIFY_REVOKED = 3
};

struct ipc_hdr {
	uint32_t ih_len;
	uint16_t ih_type;
	uint16_t ih_flags;
	uint32_t ih_id;
};

/* "REQ_PING", ..., or "?" for a value outside the enum. */
const char *ipc_type_name(uint16_t type);

void ipc_hdr_write(unsigned char out[IPC_HDR_LEN], const struct ipc_hdr *h);

/*
 * Parses and checks a header.  -1 with errno EAGAIN if n < IPC_HDR_LEN,
 * ERANGE if the length is above IPC_MAX_PAYLOAD, EINVAL for a bad type or
 * non-zero flags.
 */
int ipc_hdr_parse(const unsigned char *p, size_t n, struct ipc_hdr *h);

/*
 * Stream framing, the one loop body both peers read with: a receive buffer
 * holds avail bytes, and data points at its first min(avail, IPC_HDR_LEN)
 * bytes (only the header is read, so a copy of it will do when the buffer
 * is not contiguous).  Returns 1 if a whole frame (IPC_HDR_LEN + h->ih_len
 * bytes) is there, 0 if more bytes are needed, -1 if the header is bad (as
 * soon as its 12 bytes are there).  Once the header is complete, *h holds
 * it whether 0 or 1 is returned, so that a receiver can refuse a frame by
 * its type and length, or wait for exactly IPC_HDR_LEN + h->ih_len bytes,
 * before any of its body is buffered.
 */
int ipc_frame_take(const unsigned char *data, size_t avail, struct ipc_hdr *h);

/* Sets the request id of the frame built in b (after ipc_msg_begin). */
int ipc_msg_set_id(struct buf *b, uint32_t id);

/*
 * Building a message: ipc_msg_begin resets b and writes a header with the
 * given type and id, the ipc_put_* functions append payload fields, and
 * ipc_msg_end fills in the length (-1, ERANGE, if the payload is too big).
 * b then holds the whole frame, ready to write.  A failed put (no memory,
 * a string longer than a frame) is the buffer's sticky error
 * (common/buf.h): later puts are no-ops and ipc_msg_end returns -1, so a
 * builder puts in a straight line and checks ipc_msg_end once.
 */
int ipc_msg_begin(struct buf *b, uint16_t type, uint32_t id);
int ipc_put_u8(struct buf *b, uint8_t v);
int ipc_put_u16(struct buf *b, uint16_t v);
int ipc_put_u32(struct buf *b, uint32_t v);
int ipc_put_u64(struct buf *b, uint64_t v);
int ipc_put_str(struct buf *b, const char *s, size_t n);
int ipc_put_cstr(struct buf *b, const char *s); /* NULL = empty string */
int ipc_msg_end(struct buf *b);

/*
 * Reading a payload.  Each getter returns 0 or -1; any failure sets ic_err
 * so every later getter and ipc_end fail too, which lets a handler do all
 * its gets and check once.  The cursor does not own the payload.
 */
struct ipc_cur {
	const unsigned char *ic_p;
	size_t ic_left;
	int ic_err;
};

void ipc_cur_init(struct ipc_cur *c, const void *payload, size_t len);
int ipc_get_u8(struct ipc_cur *c, uint8_t *v);
int ipc_get_u16(struct ipc_cur *c, uint16_t *v);
int ipc_get_u32(struct ipc_cur *c, uint32_t *v);
int ipc_get_u64(struct ipc_cur *c, uint64_t *v);

/* *s points into the payload and is not NUL-terminated. */
int ipc_get_str(struct ipc_cur *c, const char **s, size_t *n);

/*
 * *out is a malloc'd NUL-terminated copy the caller frees; fails (and sets
 * *out to NULL) if the string contains a NUL byte.
 */
int ipc_get_cstr(struct ipc_cur *c, char **out);

/* 0 only if no getter failed and the whole payload was consumed. */
int ipc_end(struct ipc_cur *c);

/*
 * Answers, typed: authd builds each one with ipc_put_answer and the
 * gateway's client reads it with ipc_get_answer, so that the two mirror
 * each other by construction.  Strings are views (pointer and length, no
 * NUL terminator): into the caller's data when building, into the payload
 * when reading.  A NULL pointer with length 0 is the empty string.
 */
struct ipc_ans_ping {
	int ap_db_ok;
	int ap_listen_ok;
	const char *ap_reason;
	size_t ap_reasonlen;
};

struct ipc_ans_verify {
	uint8_t av_result; /* enum ipc_verify_result */
	const char *av_sub;
	size_t av_sublen;
	const char *av_sid;
	size_t av_sidlen;
	const char *av_tbl;
	size_t av_tbllen;
	uint64_t av_exp;
	const char *av_reason;
	size_t av_reasonlen;
};

struct ipc_ans_auth {
	uint16_t aa_status; /* 200 to 599 */
	uint32_t aa_retry;  /* seconds for Retry-After; 0 = none */
	const char *aa_body;
	size_t aa_bodylen;
};

struct ipc_ans_error {
	uint16_t ae_status; /* 400 to 599 */
	const char *ae_msg;
	size_t ae_msglen;
};

struct ipc_answer {
	uint16_t an_type; /* IPC_ANS_PING, _VERIFY, _AUTH or _ERROR */
	uint32_t an_id;
	union {
		struct ipc_ans_ping an_ping;
		struct ipc_ans_verify an_verify;
		struct ipc_ans_auth an_auth;
		struct ipc_ans_error an_error;
	} an_u;
};

/* b holds the whole frame afterwards.  -1 (EINVAL) for another type. */
int ipc_put_answer(struct buf *b, const struct ipc_answer *a);

/*
 * Reads the answer frame whose header is h and whose payload (h->ih_len
 * bytes) is at payload, ipc_end included.  -1 (EINVAL) if it is not an
 * answer type, does not match its layout, or holds a value outside its
 * range: a flag above 1, a verify result outside enum ipc_verify_result,
 * a NUL byte in a claim or reason, a status outside the ranges above.
 */
int ipc_get_answer(
    const struct ipc_hdr *h, const void *payload, struct ipc_answer *a);

#endif
