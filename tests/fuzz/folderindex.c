/*
 * Fuzz target for lib/folderindex's parser: the index file sits in the
 * Maildir, where any program or a user with a shell can write it.
 *
 * Invariants: a file that parses has ascending non-zero UIDs, modseqs
 * from 1 to HIGHESTMODSEQ (below 2^63), expunged ranges ascending and
 * apart; formatting it again gives the same bytes, and changes to it
 * (a flag change, an expunge) keep those invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "folderindex.h"

static void check(const struct folderindex *x)
{
	unsigned long i;
	if (x->highest > FOLDERINDEX_MODSEQ_MAX || x->gone_floor > x->highest) abort();
	for (i = 0; i < x->n; i++)
		if (!x->r[i].uid || (i && x->r[i].uid <= x->r[i - 1].uid) || !x->r[i].modseq ||
		    x->r[i].modseq > x->highest)
			abort();
	for (i = 0; i < x->ng; i++)
		if (x->g[i].hi < x->g[i].lo || (i && (uint64_t)x->g[i - 1].hi + 1 >= x->g[i].lo)) abort();
}

/* The checksum (FNV-1a 64, posthorn-index(5)) written into the last 8
 * bytes, so that the fuzzer reaches past it. */
static void fix_checksum(uint8_t *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;
	for (i = 0; i + 8 < len; i++) h = (h ^ p[i]) * 1099511628211ULL;
	for (i = 0; i < 8; i++) p[len - 8 + i] = (uint8_t)(h >> (8 * i));
}

static void one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	one(data, size);
	if (size < 8 || !(copy = malloc(size))) return 0;
	memcpy(copy, data, size);
	fix_checksum(copy, size);
	one(copy, size);
	free(copy);
	return 0;
}

static void one(const uint8_t *data, size_t size)
{
	static struct folderindex x;
	char *out;
	size_t len;

	if (folderindex_parse(&x, (const char *)data, size) < 0) return;
	check(&x);
	if (folderindex_format(&x, &out, &len) < 0) abort();
	if (len != size || memcmp(out, data, size)) abort();
	free(out);
	if (x.highest < FOLDERINDEX_MODSEQ_MAX - 4) {
		uint32_t uid = x.n ? x.r[0].uid : 1;
		if (folderindex_set(&x, uid, 1) < 0) abort();
		if (folderindex_expunge(&x, uid) < 0) abort();
		if (folderindex_gone(&x, uid + 1, x.highest) < 0) abort();
		if (folderindex_find(&x, uid) >= 0) abort();
		folderindex_compact(&x);
		check(&x);
	}
}
