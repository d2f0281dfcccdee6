/*
 * Fuzz target for lib/cte, which decodes the bodies of stored messages
 * (mail from anyone) for IMAP BINARY fetches.
 *
 * Invariants, for each kind: the output is never longer than the input;
 * feeding the input in pieces (here: cut at every point of a split
 * given by the first byte, and one byte at a time) gives exactly the
 * output of decoding it whole; base64 of the input decodes back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cte.h"

static stralloc a, b, enc;

static void check(enum cte_kind k, const char *s, size_t n, size_t cut)
{
	struct cte c;
	size_t i;

	a.len = b.len = 0;
	if (cte_decode(k, s, n, &a) < 0) return;
	if (a.len > n) abort();
	cte_begin(&c, k);
	if (cte_feed(&c, s, cut, &b) < 0 || cte_feed(&c, s + cut, n - cut, &b) < 0 || cte_end(&c, &b) < 0) return;
	if (b.len != a.len || (a.len && memcmp(a.s, b.s, a.len))) abort();
	b.len = 0;
	cte_begin(&c, k);
	for (i = 0; i < n; i++)
		if (cte_feed(&c, s + i, 1, &b) < 0) return;
	if (cte_end(&c, &b) < 0) return;
	if (b.len != a.len || (a.len && memcmp(a.s, b.s, a.len))) abort();
}

static void roundtrip(const unsigned char *s, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	enc.len = 0;
	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16 | (i + 1 < n ? (unsigned long)s[i + 1] << 8 : 0) |
		                  (i + 2 < n ? s[i + 2] : 0);
		char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63], i + 1 < n ? al[v >> 6 & 63] : '=', i + 2 < n ? al[v & 63] : '='};
		if (!stralloc_catb(&enc, q, 4)) return;
		if (i % 57 == 54 && !stralloc_cats(&enc, "\r\n")) return;
	}
	a.len = 0;
	if (cte_decode(CTE_BASE64, enc.s ? enc.s : "", enc.len, &a) < 0) return;
	if (a.len != n || (n && memcmp(a.s, s, n))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *s = malloc(size ? size : 1);
	size_t cut = size ? data[0] % (size + 1) : 0;

	if (!s) return 0;
	memcpy(s, data, size);
	check(CTE_QP, s, size, cut);
	check(CTE_BASE64, s, size, cut);
	check(CTE_IDENTITY, s, size, cut);
	roundtrip((const unsigned char *)s, size);
	free(s);
	return 0;
}
