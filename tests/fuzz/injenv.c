/*
 * Fuzz target for lib/injenv: any bytes a local user can write on the
 * set-user-ID posthorn-queue's fd 1.  The verdict must not depend on how
 * the bytes are split (all at once, then in pieces of a size taken from the
 * input); an accepted envelope holds 1..maxrcpt recipients whose addresses
 * are canonical (they parse and format to themselves) and free of control
 * bytes, and written back by the writer it reads the same again.  Its
 * header text (H) is the same whatever the pieces, within QUEUE_HEAD_MAX,
 * free of NUL and CR, and whole header fields line by line; whether S came
 * is the same too, and survives the writer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "hdr.h"
#include "injenv.h"

#define MAXRCPT 50

/* The header text read, kept past injenv_free; and whether S came. */
static stralloc head[3];
static int sign[3];

static enum injenv_state run(const char *buf, size_t len, size_t step, struct queue_env *e, enum status_id *why,
                             stralloc *h)
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
	if (!stralloc_copy(h, &r.head)) abort();
	sign[h - head] = r.sign;
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

/* Accepted header text: whole fields, LF-ended lines, nothing forbidden. */
static void check_head(const stralloc *h)
{
	size_t i = 0;

	if (h->len > QUEUE_HEAD_MAX) abort();
	if (h->len && h->s[h->len - 1] != '\n') abort();
	while (i < h->len) {
		const char *l = h->s + i, *end = memchr(l, '\n', h->len - i);
		size_t n = (size_t)(end - l), k;
		if (!n || memchr(l, 0, n) || memchr(l, '\r', n)) abort();
		if (l[0] == ' ' || l[0] == '\t') {
			if (!i) abort();
			for (k = 0; k < n && (l[k] == ' ' || l[k] == '\t'); k++) {}
			if (k == n) abort();
		} else if (!hdr_name_len(l, n)) {
			abort();
		}
		i += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_env e, f, g;
	enum status_id why, why2;
	enum injenv_state st;
	stralloc text = {0};
	unsigned i;

	st = run((const char *)data, size, 0, &e, &why, &head[0]);
	if (run((const char *)data, size, size ? 1 + data[0] % 5 : 1, &f, &why2, &head[1]) != st || why2 != why) abort();
	queue_env_free(&f);
	if (st == INJENV_FAILED) {
		if (why == ST_NONE || status_exit(why) == 0) abort();
		queue_env_free(&e);
		return 0;
	}
	if (st != INJENV_DONE || e.n < 1 || e.n > MAXRCPT) abort();
	if (head[0].len != head[1].len || memcmp(head[0].s, head[1].s, head[0].len) || sign[0] != sign[1]) abort();
	check_head(&head[0]);
	canonical(e.sender.s, 1);
	if (head[0].len && !injenv_head(&text, head[0].s, head[0].len)) abort();
	if (sign[0] && !injenv_sign(&text)) abort();
	if (!injenv_from(&text, e.sender.s)) abort();
	for (i = 0; i < e.n; i++) {
		canonical(e.r[i].addr, 0);
		if (!injenv_to(&text, e.r[i].addr)) abort();
	}
	if (!injenv_end(&text)) abort();
	if (run(text.s, text.len, 0, &g, &why, &head[2]) != INJENV_DONE || g.n != e.n || strcmp(g.sender.s, e.sender.s))
		abort();
	if (head[2].len != head[0].len || memcmp(head[2].s, head[0].s, head[0].len) || sign[2] != sign[0]) abort();
	for (i = 0; i < e.n; i++)
		if (strcmp(g.r[i].addr, e.r[i].addr)) abort();
	queue_env_free(&e);
	queue_env_free(&g);
	stralloc_free(&text);
	return 0;
}
