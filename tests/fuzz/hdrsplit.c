/*
 * Fuzz target for lib/hdrsplit: the input is a message.  Fed whole and fed
 * in pieces of a size taken from its first byte, the events must be the
 * same, their bytes must give the input back, no FIELD may be longer than
 * HDRSPLIT_FIELD_MAX, and exactly one END must come, before any BODY.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hdrsplit.h"

struct trace {
	stralloc bytes, events;
	int ends, body;
};

static void ev(void *arg, enum hdrsplit_event e, const char *s, size_t n)
{
	struct trace *t = arg;
	char c = (char)('0' + (int)e);

	if (!stralloc_catb(&t->bytes, s, n)) abort();
	if (e == HDRSPLIT_FIELD && n > HDRSPLIT_FIELD_MAX) abort();
	if (e == HDRSPLIT_END) t->ends++;
	if (e == HDRSPLIT_BODY) {
		if (!t->ends) abort();
		t->body = 1;
		return;   /* body pieces depend on the input's pieces */
	}
	if (e == HDRSPLIT_FIELD_PART) {
		if (t->events.len && t->events.s[t->events.len - 1] == c) return;
	}
	if (t->body) abort();
	if (!stralloc_append(&t->events, &c)) abort();
	if (e == HDRSPLIT_FIELD) {
		char num[24];
		int k = snprintf(num, sizeof num, "%zu,", n);
		if (!stralloc_catb(&t->events, num, (size_t)k)) abort();
	}
}

static struct hdrsplit h;
static struct trace a, b;

static void run(struct trace *t, const char *s, size_t len, size_t step)
{
	size_t i;

	t->bytes.len = t->events.len = 0;
	t->ends = t->body = 0;
	hdrsplit_init(&h, ev, t);
	for (i = 0; i < len; i += step) hdrsplit_feed(&h, s + i, len - i < step ? len - i : step);
	hdrsplit_end(&h);
	if (t->ends != 1) abort();
	if (t->bytes.len != len || (len && memcmp(t->bytes.s, s, len))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t step = size ? (size_t)(data[0] % 11) + 1 : 1;

	run(&a, s, size, size ? size : 1);
	run(&b, s, size, step);
	if (a.events.len != b.events.len || memcmp(a.events.s, b.events.s, a.events.len)) abort();
	return 0;
}
