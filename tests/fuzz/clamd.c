/*
 * Fuzz target for lib/clamd's reply parser: any bytes give a status; a
 * find names a bounded, printable signature; an error says why.  Every
 * prefix is parsed too (replies arrive in pieces).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "clamd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clamd_result r;
	size_t k, i, n;

	for (k = 0; k <= size; k += (k < 64 ? 1 : 97)) {
		clamd_parse_reply((const char *)data, k, &r);
		if (r.status > CLAMD_ERROR) abort();
		if ((r.status == CLAMD_ERROR || r.status == CLAMD_TOOBIG) && !r.why) abort();
		n = strlen(r.name);
		if (n > CLAMD_NAME_MAX) abort();
		if (r.status == CLAMD_INFECTED && !n) abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)r.name[i] < 0x20 || r.name[i] == 0x7f) abort();
	}
	return 0;
}
