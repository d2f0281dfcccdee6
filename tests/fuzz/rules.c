/*
 * Fuzz target for lib/rules: rules_parse on any bytes.  An accepted file
 * must give instructions whose invariants delivery relies on: a known kind,
 * a line number inside the file and in order, a folder name that
 * maildir_folder_path accepts, a non-empty command, and 1..RULES_FORWARD_MAX
 * forward addresses that addr_parse accepts.  A refused file must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

static stralloc path;

static void check(const struct rules *rs, size_t size)
{
	unsigned i, k, prev = 0;

	if (rs->n > RULES_MAX) abort();
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const char *a = r->arg;
		struct addr ad;
		if (r->line <= prev || r->line > size + 1) abort();
		prev = r->line;
		switch (r->kind) {
		case RULE_INBOX:
			break;
		case RULE_FOLDER:
			if (!a || maildir_folder_path(&path, "/m", a) < 0) abort();
			break;
		case RULE_PIPE:
			if (!a || !*a) abort();
			break;
		case RULE_FORWARD:
			if (!a || r->naddrs < 1 || r->naddrs > RULES_FORWARD_MAX) abort();
			for (k = 0; k < r->naddrs; k++, a += strlen(a) + 1)
				if (addr_parse(&ad, a, strlen(a), ADDR_ALLOW_UTF8) != ADDR_OK) abort();
			break;
		default:
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules rs;
	const char *why;
	unsigned line;

	if (rules_parse(&rs, (const char *)data, size, &why, &line) == 0) check(&rs, size);
	else if (!why || !*why) abort();
	rules_free(&rs);
	return 0;
}
