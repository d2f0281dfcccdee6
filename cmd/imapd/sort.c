/*
 * SORT and UID SORT (RFC 5256 section 3), with the DISPLAYFROM and
 * DISPLAYTO criteria of SORT=DISPLAY (RFC 5957) and the RETURN options of
 * ESORT (RFC 5267 section 3):
 *   SORT [RETURN (options)] (criteria) charset search-keys
 * The search keys select the messages (search.c), sortkeys.c gives each
 * its keys, and one qsort of an index array orders them: criterion by
 * criterion, REVERSE turning one round, and the message number last
 * (RFC 5256 3: messages that compare equal keep their mailbox order).
 * Strings compare in lib/basesubject's folded form (Unicode simple case
 * folding, standing in for i;unicode-casemap), dates as UTC seconds.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "commands.h"
#include "reply.h"
#include "search.h"
#include "session.h"
#include "sortkeys.h"

#define SORT_CRITERIA_MAX 16

struct crit { unsigned key; int reverse; };

static struct crit crit[SORT_CRITERIA_MAX];
static unsigned ncrit;
static struct sortkeys *keys;
static stralloc arena;

/* The criteria list: 0 and the SK_* bits needed, or -1 after a BAD. */
static int parse_criteria(const struct imap_arg *a, unsigned *want)
{
	static const struct { const char *name; unsigned key; } names[] = {
		{"ARRIVAL", SK_ARRIVAL}, {"CC", SK_CC}, {"DATE", SK_DATE}, {"FROM", SK_FROM}, {"SIZE", SK_SIZE},
		{"SUBJECT", SK_SUBJECT}, {"TO", SK_TO}, {"DISPLAYFROM", SK_DISPLAYFROM}, {"DISPLAYTO", SK_DISPLAYTO},
	};
	int reverse = 0;

	ncrit = 0;
	*want = 0;
	if (!a || a->type != IMAP_LIST || !a->list) { reply(R_BAD_SYNTAX, "SORT needs a list of sort criteria"); return -1; }
	for (a = a->list; a; a = a->next) {
		unsigned k;
		if (imap_arg_atom_is(a, "REVERSE") && !reverse) { reverse = 1; continue; }
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (imap_arg_atom_is(a, names[k].name)) break;
		if (k == sizeof names / sizeof names[0]) { reply(R_BAD_SYNTAX, "unknown sort criterion"); return -1; }
		if (ncrit == SORT_CRITERIA_MAX) { reply(R_BAD_SYNTAX, "too many sort criteria"); return -1; }
		crit[ncrit].key = names[k].key;
		crit[ncrit++].reverse = reverse;
		*want |= names[k].key;
		reverse = 0;
	}
	if (reverse) { reply(R_BAD_SYNTAX, "REVERSE without a criterion"); return -1; }
	return 0;
}

static int cmp_num(int64_t x, int64_t y) { return x < y ? -1 : x > y; }

static int cmp(const void *pa, const void *pb)
{
	unsigned long ia = *(const unsigned long *)pa, ib = *(const unsigned long *)pb;
	const struct sortkeys *a = &keys[ia], *b = &keys[ib];
	unsigned c;

	for (c = 0; c < ncrit; c++) {
		int r = 0;
		switch (crit[c].key) {
		case SK_ARRIVAL: r = cmp_num(a->arrival, b->arrival); break;
		case SK_DATE: r = cmp_num(a->date, b->date); break;
		case SK_SIZE: r = a->size < b->size ? -1 : a->size > b->size; break;
		case SK_SUBJECT: r = strcmp(arena.s + a->subject, arena.s + b->subject); break;
		case SK_FROM: r = strcmp(arena.s + a->from, arena.s + b->from); break;
		case SK_TO: r = strcmp(arena.s + a->to, arena.s + b->to); break;
		case SK_CC: r = strcmp(arena.s + a->cc, arena.s + b->cc); break;
		case SK_DISPLAYFROM: r = strcmp(arena.s + a->displayfrom, arena.s + b->displayfrom); break;
		case SK_DISPLAYTO: r = strcmp(arena.s + a->displayto, arena.s + b->displayto); break;
		}
		if (r) return crit[c].reverse ? -r : r;
	}
	/* positions in the match list are in mailbox order */
	return ia < ib ? -1 : ia > ib;
}

/* The charset argument of SORT and THREAD (RFC 5256 3: required):
 * 0, or -1 after the reply. */
int sort_charset(const struct imap_arg *a)
{
	if (!imap_arg_string(a)) { reply(R_BAD_SYNTAX, "missing charset"); return -1; }
	if (strcasecmp(a->s, "UTF-8") && strcasecmp(a->s, "US-ASCII")) { reply(R_NO_CHARSET); return -1; }
	return 0;
}

void do_sort(void)
{
	const struct imap_arg *a = S.args;
	unsigned opts, want;
	unsigned long i, n = 0, *idx = 0, *order = 0, *sorted = 0;

	if (search_return(&a, &opts) < 0) return;
	if (parse_criteria(a, &want) < 0) goto fail;
	a = a->next;
	if (sort_charset(a) < 0) goto fail;
	if (search_program(a->next) < 0) goto fail;
	if (!(idx = malloc((S.nv ? S.nv : 1) * sizeof *idx))) goto nomem;
	for (i = 0; i < S.nv && !S.dead; i++)
		if (search_match(i)) idx[n++] = i;
	search_end();
	arena.len = 0;
	if (!(keys = malloc((n ? n : 1) * sizeof *keys)) || !(order = malloc((n ? n : 1) * sizeof *order)) ||
	    !(sorted = malloc((n ? n : 1) * sizeof *sorted)))
		goto nomem;
	for (i = 0; i < n; i++) {
		if (sortkeys_get(idx[i], want, &keys[i], &arena) < 0) goto nomem;
		order[i] = i;
	}
	qsort(order, n, sizeof *order, cmp);
	for (i = 0; i < n; i++) sorted[i] = idx[order[i]];
	if (opts) {
		search_result(sorted, n, opts, 1, 0);
	} else {
		out("* SORT");
		for (i = 0; i < n; i++) outf(" %lu", S.uid ? (unsigned long)S.v[sorted[i]].uid : sorted[i] + 1);
		out("\r\n");
	}
	reply(R_OK_DONE, S.uid ? "UID SORT" : "SORT");
	goto done;
nomem:
	search_end();
	reply(R_NO_LIMIT, "out of memory");
	goto done;
fail:
	if (opts & RET_SAVE) searchres_reset();
done:
	free(idx);
	free(order);
	free(sorted);
	free(keys);
	keys = 0;
	if (arena.a > (1u << 20)) stralloc_free(&arena);
}
