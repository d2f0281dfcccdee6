/*
 * Fuzz target for lib/userrec: every input goes through userrec_parse,
 * whole and as its first line only (how import splits a file).  Whatever
 * parses must format to a line within USERREC_LINE_MAX that parses back to
 * the very same record and formats to the very same line, so users.cdb and
 * an export never hold a line that reads differently the next time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "userrec.h"

static stralloc line, again, key;

static void check(const struct userrec *r)
{
	static struct userrec back;
	const char *why;

	if (r->kind != USERREC_USER && r->kind != USERREC_ALIAS && r->kind != USERREC_DOMAIN) abort();
	if (r->kind == USERREC_ALIAS && (r->ntargets < 1 || r->ntargets > USERREC_TARGETS_MAX)) abort();
	if (r->kind == USERREC_USER && r->maildir[0] != '/') abort();
	if (!userrec_format(&line, r)) abort();
	if (strlen(line.s) != line.len || line.len > USERREC_LINE_MAX) abort();
	if (userrec_parse(&back, line.s, line.len, &why) < 0) abort();
	if (memcmp(&back, r, sizeof back)) abort();
	if (!userrec_format(&again, &back) || again.len != line.len || memcmp(again.s, line.s, line.len)) abort();
	if (!userrec_key(&key, r) || key.len > ADDR_PATH_MAX + 1 || strlen(key.s) != key.len) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct userrec r;
	const char *s = (const char *)data, *why = 0;
	const char *nl = memchr(s, '\n', size);

	if (userrec_parse(&r, s, size, &why) == 0) check(&r);
	else if (!why || !*why) abort();
	if (nl && userrec_parse(&r, s, (size_t)(nl - s), &why) == 0) check(&r);
	return 0;
}
