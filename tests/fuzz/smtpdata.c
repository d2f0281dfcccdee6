/*
 * Fuzz target for lib/smtpdata: the input is the text after DATA (and,
 * in a second run, a BDAT chunk).  Fed whole and fed in pieces of every
 * size 1..7 chosen from the input itself, the decoder must give the same
 * output, flags, end position and Received count; the output is never
 * longer than the input; in DATA mode the end is only ever found right
 * after the bytes "\r\n.\r\n" (or ".\r\n" at the very start).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpdata.h"

struct run {
	unsigned char *out;
	size_t outlen, used;
	unsigned flags;
	int done;
	unsigned long received;
};

static void feed(enum smtpdata_mode mode, const char *in, size_t len, size_t step, struct run *r)
{
	struct smtpdata d;
	size_t i = 0;

	smtpdata_init(&d, mode);
	r->outlen = r->used = 0;
	while (i < len && !d.done) {
		size_t n = step && len - i > step ? step : len - i, o = 0;
		size_t u = smtpdata_feed(&d, in + i, n, (char *)r->out + r->outlen, &o);
		if (u > n || o > n) abort();
		r->outlen += o;
		r->used += u;
		i += u;
		if (u < n && !d.done) abort();
	}
	r->flags = d.flags;
	r->done = d.done;
	r->received = d.received;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct run whole, part;
	int mode;

	whole.out = malloc(size + 1);
	part.out = malloc(size + 1);
	if (!whole.out || !part.out) abort();
	for (mode = SMTPDATA_DOT; mode <= SMTPDATA_CHUNK; mode++) {
		feed(mode, s, size, 0, &whole);
		feed(mode, s, size, size ? (size_t)(data[0] % 7) + 1 : 1, &part);
		if (whole.outlen != part.outlen || memcmp(whole.out, part.out, whole.outlen) || whole.flags != part.flags ||
		    whole.done != part.done || whole.used != part.used || whole.received != part.received)
			abort();
		if (whole.outlen > size) abort();
		if (mode == SMTPDATA_CHUNK && (whole.done || whole.used != size)) abort();
		if (whole.done) {
			size_t u = whole.used;
			if (!(u == 3 && !memcmp(s, ".\r\n", 3)) && !(u >= 5 && !memcmp(s + u - 5, "\r\n.\r\n", 5))) abort();
		}
	}
	free(whole.out);
	free(part.out);
	return 0;
}
