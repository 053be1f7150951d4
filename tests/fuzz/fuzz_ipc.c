/*
 * The IPC frame decoder (common/ipc.c): stream framing with
 * ipc_frame_take over arbitrary bytes, then every message's payload read
 * with the typed getters as the peers read it, and ipc_end.  A payload
 * that decodes must re-encode to the very same bytes.
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
	struct ipc_cur c;
	const char *s[7];
	size_t n[7];
	char *cs = NULL;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int i, rv = -1;

	ipc_cur_init(&c, p, h->ih_len);
	if (ipc_msg_begin(re, h->ih_type, h->ih_id) == -1)
		return -1;
	switch (h->ih_type) {
	case IPC_REQ_PING:
		break;
	case IPC_ANS_PING:
		ipc_get_u8(&c, &u8);
		ipc_put_u8(re, u8);
		break;
	case IPC_REQ_VERIFY:
		if (ipc_get_cstr(&c, &cs) == 0)
			ipc_put_cstr(re, cs);
		break;
	case IPC_ANS_VERIFY:
		ipc_get_u8(&c, &u8);
		ipc_get_str(&c, &s[0], &n[0]);
		ipc_get_str(&c, &s[1], &n[1]);
		ipc_get_str(&c, &s[2], &n[2]);
		ipc_get_u64(&c, &u64);
		ipc_get_str(&c, &s[3], &n[3]);
		if (c.ic_err)
			break;
		ipc_put_u8(re, u8);
		for (i = 0; i < 3; i++)
			ipc_put_str(re, s[i], n[i]);
		ipc_put_u64(re, u64);
		ipc_put_str(re, s[3], n[3]);
		break;
	case IPC_REQ_AUTH:
		for (i = 0; i < 7; i++)
			ipc_get_str(&c, &s[i], &n[i]);
		if (c.ic_err)
			break;
		for (i = 0; i < 7; i++)
			ipc_put_str(re, s[i], n[i]);
		break;
	case IPC_ANS_AUTH:
		ipc_get_u16(&c, &u16);
		ipc_get_u32(&c, &u32);
		ipc_get_str(&c, &s[0], &n[0]);
		if (c.ic_err)
			break;
		ipc_put_u16(re, u16);
		ipc_put_u32(re, u32);
		ipc_put_str(re, s[0], n[0]);
		break;
	case IPC_ANS_ERROR:
		ipc_get_u16(&c, &u16);
		ipc_get_str(&c, &s[0], &n[0]);
		if (c.ic_err)
			break;
		ipc_put_u16(re, u16);
		ipc_put_str(re, s[0], n[0]);
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
