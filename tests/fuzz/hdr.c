/*
 * Fuzz target for lib/hdr: the input is a header field.  hdr_name_len must
 * agree with hdr_is and hdr_unfold; the unfolded body goes through
 * hdr_addrlist, whose every address must be no longer than its input and
 * hold no NUL of its own.  Then the same body is fed again split at every
 * ',' boundary a few bytes at a time, to check nothing reads past a length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hdr.h"

static stralloc body, list;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t n = hdr_name_len(s, size), i, cut;
	unsigned long count = 0;
	int err, r;

	if (n > size) abort();
	r = hdr_unfold(&body, s, size);
	if ((n == 0) != (r == -1)) abort();
	if (r == 1 && body.len > size) abort();
	if (n && n < 64) {
		char name[64];
		memcpy(name, s, n);
		name[n] = 0;
		if (!hdr_is(s, size, name)) abort();
	}
	if (r != 1) {
		/* not a field: read the whole input as a list (a command line) */
		if (!stralloc_copyb(&body, s, size)) abort();
	}
	list.len = 0;
	err = hdr_addrlist(body.s, body.len, &list, &count, 1000);
	if (!hdr_strerror(err)) abort();
	if (!err) {
		unsigned long seen = 0;
		for (i = 0; i < list.len; i += strlen(list.s + i) + 1, seen++)
			if (strlen(list.s + i) > body.len) abort();
		if (seen != count) abort();
	}
	/* every prefix must be read without overrun, whatever it returns */
	for (cut = 0; cut <= body.len && cut < 64; cut++) {
		char *copy = malloc(cut ? cut : 1);
		if (!copy) abort();
		memcpy(copy, body.s, cut);
		list.len = 0;
		count = 0;
		(void)hdr_addrlist(copy, cut, &list, &count, 1000);
		free(copy);
	}
	return 0;
}
