/*
 * Fuzz target for lib/rspamd's reply reader: the input is a whole HTTP
 * reply, then (again) a bare JSON body.  An accepted reply must name a
 * known action and hold a printable, bounded smtp_message; a refused one
 * must say why.  Also fed a few bytes at a time as prefixes: no prefix may
 * crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rspamd.h"

static void check(int rc, const struct rspamd_result *r)
{
	size_t i, n;

	if (rc < 0) {
		if (r->ok || !r->why) abort();
		return;
	}
	if (!r->ok || r->action >= RSPAMD_ACTION_UNKNOWN) abort();
	n = strlen(r->message);
	if (n > RSPAMD_MESSAGE_MAX) abort();
	for (i = 0; i < n; i++)
		if (r->message[i] < 0x20 || r->message[i] == 0x7f) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rspamd_result r;
	const char *t = (const char *)data;
	size_t k;

	check(rspamd_parse_reply(t, size, &r), &r);
	check(rspamd_parse_json(t, size, &r), &r);
	for (k = 0; k < size && k < 64; k += 7) check(rspamd_parse_json(t, k, &r), &r);
	return 0;
}
