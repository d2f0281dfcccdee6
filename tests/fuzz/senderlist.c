/*
 * Fuzz target for lib/senderlist: senderlist_parse on any bytes (a list
 * file is edited by hand as well as by posthorn-user).  An accepted file
 * must give at most SENDERLIST_ENTRIES_MAX entries, each with a known
 * action and kind, a line inside the file and in order, and a pattern that
 * senderlist_pattern reads back as itself (so posthorn-user's rewrite of
 * the file keeps it); the canonical text must parse to the same entries.
 * Every entry is then matched against an address made from the input, which
 * must not crash.  A refused file must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "senderlist.h"

static void check(const struct senderlist *l, size_t size)
{
	unsigned i, prev = 0;
	const struct senderlist_entry *best = 0;
	size_t rank = 0;

	if (l->n > SENDERLIST_ENTRIES_MAX) abort();
	for (i = 0; i < l->n; i++) {
		const struct senderlist_entry *e = &l->e[i];
		struct senderlist_entry back;
		char text[ADDR_PATH_MAX + 2];
		const char *why;
		size_t len = 0;

		if (e->line <= prev || e->line > size + 1) abort();
		prev = e->line;
		if (e->action != SENDERLIST_ALLOW && e->action != SENDERLIST_BLOCK) abort();
		if (e->kind == SENDERLIST_SUBDOMAINS) text[len++] = '.';
		else if (e->kind != SENDERLIST_ADDRESS && e->kind != SENDERLIST_DOMAIN) abort();
		memcpy(text + len, e->pattern, strlen(e->pattern) + 1);
		len += strlen(e->pattern);
		if (senderlist_pattern(&back, text, len, &why) < 0) abort();
		if (back.kind != e->kind || strcmp(back.pattern, e->pattern)) abort();
		senderlist_match(l, e->kind == SENDERLIST_ADDRESS ? e->pattern : "x@y", &best, &rank);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct senderlist l, again;
	stralloc text = {0};
	const char *why;
	unsigned line, i;

	if (senderlist_parse(&l, (const char *)data, size, &why, &line) == 0) {
		check(&l, size);
		if (!senderlist_format(&text, &l)) abort();
		if (senderlist_parse(&again, text.s, text.len, &why, &line) < 0 || again.n != l.n) abort();
		for (i = 0; i < l.n; i++)
			if (again.e[i].action != l.e[i].action || again.e[i].kind != l.e[i].kind ||
			    strcmp(again.e[i].pattern, l.e[i].pattern))
				abort();
		senderlist_free(&again);
	} else if (!why || !*why)
		abort();
	senderlist_free(&l);
	stralloc_free(&text);
	return 0;
}
