/*
 * Fuzz target for lib/auth's decoders of client input: strict base64 and
 * SASL PLAIN.  Whatever is accepted must re-encode to the very input
 * (canonical base64 only), decoded parts must be NUL-terminated and hold no
 * NUL, and the decoders must agree with auth_b64_valid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "auth.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void encode(const unsigned char *in, size_t len, stralloc *out)
{
	size_t i;

	out->len = 0;
	for (i = 0; i < len; i += 3) {
		unsigned long w = (unsigned long)in[i] << 16 | (i + 1 < len ? (unsigned long)in[i + 1] << 8 : 0) |
		                  (i + 2 < len ? in[i + 2] : 0);
		char q[4] = {alphabet[w >> 18 & 63], alphabet[w >> 12 & 63],
		             i + 1 < len ? alphabet[w >> 6 & 63] : '=', i + 2 < len ? alphabet[w & 63] : '='};
		if (!stralloc_catb(out, q, 4)) abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static stralloc out, again, z, c, p;
	const char *s = (const char *)data;
	int valid = auth_b64_valid(s, size);

	if (!auth_b64_decode(s, size, &out, 4096)) {
		if (!valid || strlen(out.s) != out.len) abort();
		encode((const unsigned char *)out.s, out.len, &again);
		if (again.len != size || memcmp(again.s, s, size)) abort();
	}
	if (!auth_plain_decode(s, size, &z, &c, &p)) {
		if (!valid || strlen(z.s) != z.len || strlen(c.s) != c.len || strlen(p.s) != p.len) abort();
		if (!c.len || !p.len || c.len > AUTH_LOGIN_MAX) abort();
	}
	return 0;
}
