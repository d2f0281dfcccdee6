/*
 * Fuzz target for lib/bogo's parser of bogofilter's terse output: any
 * input is parsed whole and then by every prefix; an accepted one must
 * have a score in 0..10000 that formats to "D.DDDD", and a verdict that an
 * exit code maps back to.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bogo.h"

static void check(const char *s, size_t n)
{
	struct bogo_result r;
	char out[7];

	if (bogo_parse(s, n, &r) < 0) return;
	if (r.score > 10000) abort();
	if (bogo_exit_verdict((int)r.verdict) != (int)r.verdict) abort();
	bogo_score_fmt(out, r.score);
	if (strlen(out) != 6 || out[1] != '.') abort();
	if (!bogo_word(r.verdict)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut;

	/* A copy of exactly size bytes, so that a read past n is caught. */
	for (cut = 0; cut <= size && cut < 64; cut++) {
		char *copy = malloc(cut ? cut : 1);
		if (!copy) abort();
		memcpy(copy, data, cut);
		check(copy, cut);
		free(copy);
	}
	if (size >= 64) {
		char *copy = malloc(size);
		if (!copy) abort();
		memcpy(copy, data, size);
		check(copy, size);
		free(copy);
	}
	return 0;
}
