/* imapseq: IMAP sequence sets; the contract is in imapseq.h. */
#include <stdlib.h>
#include <string.h>
#include "imapseq.h"

/* One nz-number or '*' at *p; 0 stands for '*'.  -1 if malformed. */
static int number(const char **p, uint32_t *out, int *star)
{
	const char *q = *p;
	uint64_t v = 0;

	if (*q == '*') { *out = 0; *star = 1; *p = q + 1; return 0; }
	if (*q < '1' || *q > '9') return -1;
	/* v is at most 2^32-1 before each step, so v * 10 + 9 fits 64 bits:
	 * "4294967296" is refused, never wrapped to 0 */
	while (*q >= '0' && *q <= '9') {
		v = v * 10 + (uint64_t)(*q++ - '0');
		if (v > 0xffffffffULL) return -1;
	}
	*out = (uint32_t)v;
	*p = q;
	return 0;
}

int imapseq_parse(struct imapseq *s, const char *text)
{
	const char *p = text;

	s->n = 0;
	s->top = 0;
	s->star = 0;
	if (!*p) return -1;
	for (;;) {
		struct imapseq_range rg;
		if (number(&p, &rg.lo, &s->star) < 0) return -1;
		rg.hi = rg.lo;
		if (*p == ':') {
			p++;
			if (number(&p, &rg.hi, &s->star) < 0) return -1;
		}
		if (rg.lo > s->top) s->top = rg.lo;
		if (rg.hi > s->top) s->top = rg.hi;
		if (s->n == s->cap) {
			unsigned cap = s->cap ? s->cap * 2 : 16;
			struct imapseq_range *r;
			if (s->n >= IMAPSEQ_RANGES_MAX) return -1;
			r = realloc(s->r, cap * sizeof *r);
			if (!r) return -1;
			s->r = r;
			s->cap = cap;
		}
		s->r[s->n++] = rg;
		if (!*p) return 0;
		if (*p != ',') return -1;
		p++;
	}
}

static int cmp(const void *a, const void *b)
{
	const struct imapseq_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void imapseq_resolve(struct imapseq *s, uint32_t max)
{
	unsigned i, o = 0;

	for (i = 0; i < s->n; i++) {
		struct imapseq_range *r = &s->r[i];
		if (!r->lo) r->lo = max;
		if (!r->hi) r->hi = max;
		if (r->lo > r->hi) { uint32_t t = r->lo; r->lo = r->hi; r->hi = t; }
		/* '*' in an empty mailbox: a range 0:0 matches nothing; n:0 becomes 0:n,
		 * whose 0 matches nothing either */
		if (!r->hi) continue;
		if (!r->lo) r->lo = 1;
		s->r[o++] = *r;
	}
	s->n = o;
	if (s->n > 1) qsort(s->r, s->n, sizeof *s->r, cmp);
	for (i = 0, o = 0; i < s->n; i++) {
		if (o && s->r[i].lo <= s->r[o - 1].hi + 1ULL) {
			if (s->r[i].hi > s->r[o - 1].hi) s->r[o - 1].hi = s->r[i].hi;
		} else {
			s->r[o++] = s->r[i];
		}
	}
	s->n = o;
}

int imapseq_has(const struct imapseq *s, uint32_t v)
{
	unsigned lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (v < s->r[mid].lo) hi = mid;
		else if (v > s->r[mid].hi) lo = mid + 1;
		else return 1;
	}
	return 0;
}

void imapseq_free(struct imapseq *s)
{
	free(s->r);
	memset(s, 0, sizeof *s);
}
