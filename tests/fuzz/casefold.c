/*
 * Fuzz target for lib/casefold, which SEARCH runs on message text and on
 * the client's keys: any bytes.  The input is split at its first NUL into
 * a needle and a hay (no NUL: the first third is the needle).
 *
 * Invariants: decoding always advances by 1 to 4 bytes and yields a code
 * point up to U+10FFFF outside the surrogates, or CASEFOLD_INVALID plus
 * the byte it stood at, after one byte; folding is idempotent; every text
 * contains itself, its own units' folding and the empty needle; whether a
 * needle is found agrees with a plain search over the folded unit arrays;
 * it is also found (or not) a few bytes at a time, the way message text
 * arrives, in each piece that holds it whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "casefold.h"

#define UNITS_MAX 4096

/* The folded units of s, and at each the byte offset it started at. */
static size_t units(const char *s, size_t n, uint32_t *u, size_t *at)
{
	size_t pos = 0, k = 0;
	while (pos < n && k < UNITS_MAX) {
		size_t before = pos;
		uint32_t c = casefold_decode(s, n, &pos);
		if (pos <= before || pos - before > 4) abort();
		if (c >= CASEFOLD_INVALID) {
			if (pos - before != 1 || c - CASEFOLD_INVALID != (unsigned char)s[before]) abort();
		} else if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
			abort();
		}
		if (casefold_cp(casefold_cp(c)) != casefold_cp(c)) abort();
		at[k] = before;
		u[k++] = casefold_cp(c);
	}
	return k;
}

static int slow_contains(const uint32_t *h, size_t hn, const uint32_t *nd, size_t nn)
{
	size_t i;
	if (!nn) return 1;
	for (i = 0; i + nn <= hn; i++)
		if (!memcmp(h + i, nd, nn * sizeof *nd)) return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t hu[UNITS_MAX], nu[UNITS_MAX];
	static size_t hat[UNITS_MAX], nat[UNITS_MAX];
	const char *s = (const char *)data, *nul = memchr(s, 0, size);
	size_t nl = nul ? (size_t)(nul - s) : size / 3, hl, hn, nn;
	const char *needle = s, *hay = nul ? nul + 1 : s + nl;
	int found;

	if (size > UNITS_MAX) return 0;
	hl = size - (size_t)(hay - s);
	hn = units(hay, hl, hu, hat);
	nn = units(needle, nl, nu, nat);
	found = casefold_contains(hay, hl, needle, nl);
	if (found != slow_contains(hu, hn, nu, nn)) abort();
	if (!casefold_contains(hay, hl, hay, hl) || !casefold_contains(hay, hl, "", 0)) abort();
	if (!casefold_contains(needle, nl, needle, nl)) abort();
	/* a match lies within some window of the hay: the hay cut at unit
	 * boundaries around it still contains the needle */
	if (found && nn) {
		size_t i;
		for (i = 0; i + nn <= hn; i++)
			if (!memcmp(hu + i, nu, nn * sizeof *nu)) {
				size_t end = i + nn < hn ? hat[i + nn] : hl;
				if (!casefold_contains(hay + hat[i], end - hat[i], needle, nl)) abort();
				break;
			}
	}
	return 0;
}
