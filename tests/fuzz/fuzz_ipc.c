/*
 * The IPC frame decoder (common/ipc.c): stream framing with
 * ipc_frame_take over arbitrary bytes (from the buffer and from a copy of
 * its header, as the daemons read), then every message's payload read as
 * the peers read it: requests with the typed getters and ipc_end, answers
 * with ipc_get_answer.  A payload that decodes must re-encode to the very
 * same bytes (answers through ipc_put_answer).
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "fuzz.h"

/* Reads one payload as its type's layout (common/ipc.h); 0 or -1. */
static int
decode(const struct ipc_hdr *h, const unsigned char *p, struct buf *re)
{
	struct ipc_answer a;
	struct ipc_cur c;
	const char *s[7];
	size_t n[7];
	char *cs = NULL;
	int i, rv = -1;

	switch (h->ih_type) {
	case IPC_ANS_PING:
	case IPC_ANS_VERIFY:
	case IPC_ANS_AUTH:
	case IPC_ANS_ERROR:
		if (ipc_get_answer(h, p, &a) == -1)
			return -1;
		FUZZ_CHECK(a.an_type == h->ih_type && a.an_id == h->ih_id);
		FUZZ_CHECK(ipc_put_answer(re, &a) == 0);
		return 0;
	}
	ipc_cur_init(&c, p, h->ih_len);
	if (ipc_msg_begin(re, h->ih_type, h->ih_id) == -1)
		return -1;
	switch (h->ih_type) {
	case IPC_REQ_PING:
		break;
	case IPC_REQ_VERIFY:
		if (ipc_get_cstr(&c, &cs) == 0)
			ipc_put_cstr(re, cs);
		break;
	case IPC_REQ_AUTH:
		for (i = 0; i < 7; i++)
			ipc_get_str(&c, &s[i], &n[i]);
		if (c.ic_err)
			break;
		for (i = 0; i < 7; i++)
			ipc_put_str(re, s[i], n[i]);
		break;
	case IPC_EVT_REVOKED:
		if (ipc_get_str(&c, &s[0], &n[0]) == 0)
			ipc_put_str(re, s[0], n[0]);
		break;
	default:
		/* ipc_frame_take let through a type it must refuse. */
		FUZZ_CHECK(0);
	}
	if (ipc_end(&c) == -1)
		goto fail;
	FUZZ_CHECK(ipc_msg_end(re) == 0);
	rv = 0;
fail:
	free(cs);
	return rv;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_hdr h;
	struct buf re;
	size_t off = 0;
	int r;

	buf_init(&re);
	while (off < size) {
		r = ipc_frame_take(data + off, size - off, &h);
		/* A copy of the header says the same as the buffer. */
		if (size - off >= IPC_HDR_LEN) {
			unsigned char hdr[IPC_HDR_LEN];
			struct ipc_hdr hc;

			memcpy(hdr, data + off, IPC_HDR_LEN);
			FUZZ_CHECK(ipc_frame_take(hdr, size - off, &hc) == r);
			FUZZ_CHECK(r == -1 || (hc.ih_len == h.ih_len &&
			                          hc.ih_type == h.ih_type &&
			                          hc.ih_id == h.ih_id));
		}
		if (r <= 0)
			break;
		FUZZ_CHECK(h.ih_len <= IPC_MAX_PAYLOAD);
		FUZZ_CHECK(h.ih_type != 0 && h.ih_type < IPC_TYPE_MAX);
		FUZZ_CHECK(IPC_HDR_LEN + (size_t)h.ih_len <= size - off);
		if (decode(&h, data + off + IPC_HDR_LEN, &re) == 0) {
			/* The getters took exactly the wire's bytes. */
			FUZZ_CHECK(re.b_len == IPC_HDR_LEN + h.ih_len);
			FUZZ_CHECK(
			    memcmp(re.b_data, data + off, re.b_len) == 0);
		}
		off += IPC_HDR_LEN + h.ih_len;
	}
	buf_free(&re);
	return 0;
}
