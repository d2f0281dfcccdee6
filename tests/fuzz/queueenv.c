/*
 * Fuzz target for lib/queue: queue_env_parse on any bytes.  An accepted file
 * must hold 1..QUEUE_RCPT_MAX recipients with known states, non-empty
 * addresses and reasons free of control bytes, and must format back into
 * text that parses to the same envelope (the runner rewrites .env files it
 * read, so a round trip must not change them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "queue.h"

static void same(const struct queue_env *a, const struct queue_env *b)
{
	unsigned i;

	if (a->n != b->n || a->created != b->created || a->size != b->size || strcmp(a->sender.s, b->sender.s)) abort();
	for (i = 0; i < a->n; i++) {
		const struct queue_rcpt *x = &a->r[i], *y = &b->r[i];
		if (x->state != y->state || x->tries != y->tries || x->next != y->next || strcmp(x->addr, y->addr) ||
		    strcmp(x->reason.s, y->reason.s))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env e, again;
	stralloc text = {0};
	const char *why;
	unsigned i;

	if (queue_env_parse(&e, (const char *)data, size, &why)) {
		if (!why || !*why) abort();
		return 0;
	}
	if (e.n < 1 || e.n > QUEUE_RCPT_MAX) abort();
	for (i = 0; i < e.n; i++) {
		const char *p;
		if (e.r[i].state > QUEUE_BOUNCED || !e.r[i].addr[0]) abort();
		for (p = e.r[i].reason.s; *p; p++)
			if ((unsigned char)*p < 32) abort();
	}
	if (!queue_env_format(&text, &e)) abort();
	if (queue_env_parse(&again, text.s, text.len, &why)) abort();
	same(&e, &again);
	queue_env_free(&e);
	queue_env_free(&again);
	stralloc_free(&text);
	return 0;
}
