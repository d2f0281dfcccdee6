/*
 * Fuzz target for lib/injenv: any bytes a local user can write on the
 * set-user-ID posthorn-queue's fd 1.  The verdict must not depend on how
 * the bytes are split (all at once, then in pieces of a size taken from the
 * input); an accepted envelope holds 1..maxrcpt recipients whose addresses
 * are canonical (they parse and format to themselves) and free of control
 * bytes, and written back by the writer it reads the same again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "injenv.h"

#define MAXRCPT 50

static enum injenv_state run(const char *buf, size_t len, size_t step, struct queue_env *e, enum status_id *why)
{
	struct injenv r = {0};
	enum injenv_state st = INJENV_LETTER;
	size_t off = 0;

	memset(e, 0, sizeof *e);
	injenv_init(&r, e, MAXRCPT);
	while (off < len) {
		size_t n = step && step < len - off ? step : len - off, used;
		st = injenv_feed(&r, buf + off, n, &used);
		if (used > n) abort();
		off += used;
		if (st == INJENV_DONE || st == INJENV_FAILED) break;
		if (used != n) abort();   /* wanting more, it took everything */
	}
	if (st != INJENV_DONE && st != INJENV_FAILED) st = injenv_eof(&r);
	*why = r.why;
	injenv_free(&r);
	return st;
}

static void canonical(const char *s, int sender)
{
	static stralloc again;
	struct addr a;
	const char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127) abort();
	if (sender && !*s) return;
	if (addr_parse(&a, s, strlen(s), ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS) != ADDR_OK) abort();
	if (!addr_format(&again, &a) || strcmp(again.s, s)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env e, f, g;
	enum status_id why, why2;
	enum injenv_state st;
	stralloc text = {0};
	unsigned i;

	st = run((const char *)data, size, 0, &e, &why);
	if (run((const char *)data, size, size ? 1 + data[0] % 5 : 1, &f, &why2) != st || why2 != why) abort();
	queue_env_free(&f);
	if (st == INJENV_FAILED) {
		if (why == ST_NONE || status_exit(why) == 0) abort();
		queue_env_free(&e);
		return 0;
	}
	if (st != INJENV_DONE || e.n < 1 || e.n > MAXRCPT) abort();
	canonical(e.sender.s, 1);
	if (!injenv_from(&text, e.sender.s)) abort();
	for (i = 0; i < e.n; i++) {
		canonical(e.r[i].addr, 0);
		if (!injenv_to(&text, e.r[i].addr)) abort();
	}
	if (!injenv_end(&text)) abort();
	if (run(text.s, text.len, 0, &g, &why) != INJENV_DONE || g.n != e.n || strcmp(g.sender.s, e.sender.s)) abort();
	for (i = 0; i < e.n; i++)
		if (strcmp(g.r[i].addr, e.r[i].addr)) abort();
	queue_env_free(&e);
	queue_env_free(&g);
	stralloc_free(&text);
	return 0;
}
