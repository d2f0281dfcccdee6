/*
 * Fuzz target for lib/basesubject, which SORT and THREAD run on every
 * Subject field: any bytes.
 *
 * Invariants: the output is at most BASESUBJECT_MAX bytes, holds no NUL,
 * tab, CR or LF, neither starts nor ends with a space; the base subject
 * of a base subject is itself when it was no reply or forward (the steps
 * removed nothing that could match again); and the same input gives the
 * same result twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "basesubject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static stralloc a, b;
	int r1, r2;
	size_t k;

	if (basesubject((const char *)data, size, &a, &r1) < 0) abort();
	if (a.len > BASESUBJECT_MAX || strlen(a.s) != a.len) abort();
	for (k = 0; k < a.len; k++)
		if (a.s[k] == '\t' || a.s[k] == '\r' || a.s[k] == '\n') abort();
	if (a.len && (a.s[0] == ' ' || a.s[a.len - 1] == ' ')) abort();
	if (basesubject((const char *)data, size, &b, &r2) < 0) abort();
	if (r1 != r2 || a.len != b.len || memcmp(a.s, b.s, a.len)) abort();
	return 0;
}
