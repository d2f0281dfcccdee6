/*
 * Fuzz target for lib/msgdate and lib/msgid, which SORT and THREAD run on
 * every Date, Message-ID, In-Reply-To and References field: any bytes.
 * Invariants: a parsed date reads the same twice; identifiers come out
 * NUL-terminated, 1 to MSGID_MAX bytes with an "@" and no white space or
 * "<", positions only move forward, and the walk ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "msgdate.h"
#include "msgid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t a, b;
	char id[MSGID_MAX + 1];
	size_t pos = 0, last = 0, n, rounds = 0;

	if (msgdate_parse(s, size, &a) == 0 && (msgdate_parse(s, size, &b) < 0 || a != b)) abort();
	while ((n = msgid_next(s, size, &pos, id))) {
		if (n > MSGID_MAX || strlen(id) != n || !strchr(id, '@') || strpbrk(id, " \t\r\n<")) abort();
		if (pos <= last || pos > size) abort();
		last = pos;
		if (++rounds > size) abort();
	}
	return 0;
}
