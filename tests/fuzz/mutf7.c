/*
 * Fuzz target for lib/mutf7, which checks the mailbox names clients send
 * (any bytes) and converts them to and from UTF-8.
 *
 * Invariants: the input as a name: mutf7_check and mutf7_to_utf8 agree;
 * a valid name's UTF-8 text converts back to the very same name (one
 * encoding per text).  The input as UTF-8 text: when it converts, the
 * result is a valid name of at most MUTF7_MAX bytes whose text is the
 * input.  Every prefix of the input gets an answer too (a name cut
 * anywhere), and none of it ever reads past the length it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mutf7.h"

static stralloc a, b;

static void as_name(const char *s, size_t n)
{
	int r = mutf7_check(s, n);
	if (mutf7_to_utf8(s, n, &a) != r && r != MUTF7_NOMEM) abort();
	if (r != MUTF7_OK) {
		if (a.len) abort();
		return;
	}
	if (mutf7_from_utf8(a.s, a.len, &b) != MUTF7_OK) abort();
	if (b.len != n || memcmp(b.s, s, n)) abort();
}

static void as_text(const char *s, size_t n)
{
	if (mutf7_from_utf8(s, n, &a) != MUTF7_OK) return;
	if (a.len > MUTF7_MAX || mutf7_check(a.s, a.len) != MUTF7_OK) abort();
	if (mutf7_to_utf8(a.s, a.len, &b) != MUTF7_OK) abort();
	if (b.len != n || memcmp(b.s, s, n)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the end */
	char *s = malloc(size ? size : 1);
	size_t cut;

	if (!s) return 0;
	memcpy(s, data, size);
	as_name(s, size);
	as_text(s, size);
	for (cut = 0; cut < size && cut < 64; cut++) {
		as_name(s, cut);
		as_text(s, cut);
	}
	free(s);
	return 0;
}
