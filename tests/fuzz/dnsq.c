/*
 * Fuzz target for lib/dnsq's packet parser: whoever answers a DNS question
 * chooses every byte of the packet.  The first input byte picks the type
 * asked (mod 5: A AAAA MX PTR TXT), the rest is the packet.
 *
 * Invariants: one of the four codes; records only with OK; at most
 * DNSQ_RRS_MAX records inside DNSQ_BYTES_MAX bytes, without overlap and in
 * order; A 4 bytes, AAAA 16; a name at most 4 * 255 bytes; a TXT record at
 * most DNSQ_TXT_MAX + 1 bytes and without NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnsq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsq_answer a;
	enum dnsq_type t;
	enum dnsq_rc rc;
	size_t end = 0;
	unsigned i;

	if (!size) return 0;
	t = (enum dnsq_type)(data[0] % 5);
	rc = dnsq_parse((const char *)data + 1, size - 1, t, &a);
	if (rc != a.rc || (unsigned)rc > DNSQ_TEMP) abort();
	if (rc != DNSQ_OK && (a.n || a.used || a.overflow)) abort();
	if (rc == DNSQ_OK && !a.n && !a.overflow) abort();
	if (a.n > DNSQ_RRS_MAX || a.used > DNSQ_BYTES_MAX) abort();
	for (i = 0; i < a.n; i++) {
		const struct dnsq_rr *r = &a.rr[i];
		if (r->off != end || r->len > a.used - r->off) abort();
		end = r->off + r->len;
		switch (t) {
		case DNSQ_A: if (r->len != 4) abort(); break;
		case DNSQ_AAAA: if (r->len != 16) abort(); break;
		case DNSQ_MX: if (r->pref > 65535) abort(); /* fall through */
		case DNSQ_PTR: if (r->len > 4 * 255) abort(); break;
		case DNSQ_TXT:
			if (r->len > DNSQ_TXT_MAX + 1 || memchr(a.buf + r->off, 0, r->len)) abort();
			break;
		}
	}
	if (end != a.used) abort();
	return 0;
}
