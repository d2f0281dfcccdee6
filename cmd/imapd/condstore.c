/*
 * CONDSTORE and QRESYNC (RFC 7162): the mod-sequence syntax, the
 * per-session switches, FETCH's modifiers and VANISHED (EARLIER), shared
 * by fetch.c, store.c, search.c, select.c and list.c.  The modseqs
 * themselves live in the folder's index (lib/folderindex, through
 * lib/imapstore).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "condstore.h"
#include "reply.h"
#include "session.h"
#include "view.h"

int condstore_on(void) { return (S.enabled & EN_CONDSTORE) != 0; }
void condstore_enable(void) { S.enabled |= EN_CONDSTORE; }
int qresync_on(void) { return (S.enabled & EN_QRESYNC) != 0; }

int modseq_parse(const struct imap_arg *a, uint64_t *v, int zero_ok)
{
	uint64_t n = 0;
	size_t i;

	/* RFC 7162 7: mod-sequence-value = 1*DIGIT, < 2^63; no sign, no
	 * leading zero but for 0 itself; the bound is checked digit by digit */
	if (!a || a->type != IMAP_ATOM || !a->len || a->len > 19) return -1;
	if (a->s[0] == '0' && a->len > 1) return -1;
	for (i = 0; i < a->len; i++) {
		if (a->s[i] < '0' || a->s[i] > '9') return -1;
		if (n > (0x7fffffffffffffffULL - (uint64_t)(a->s[i] - '0')) / 10) return -1;
		n = n * 10 + (uint64_t)(a->s[i] - '0');
	}
	if (!n && !zero_ok) return -1;
	*v = n;
	return 0;
}

uint64_t view_modseq(unsigned long i)
{
	long k = view_store(i);
	return k < 0 ? 0 : S.st.m[k].modseq;
}

/* Writes the pending run lo..hi into the text. */
static int idset_flush(struct idset *u)
{
	char num[32];   /* fits: a comma and two 10-digit numbers */

	if (!u->hi) return 0;
	if (u->lo != u->hi)
		snprintf(num, sizeof num, "%s%lu:%lu", u->sa.len ? "," : "", (unsigned long)u->lo, (unsigned long)u->hi);
	else snprintf(num, sizeof num, "%s%lu", u->sa.len ? "," : "", (unsigned long)u->lo);
	u->lo = u->hi = 0;
	return stralloc_cats(&u->sa, num) ? 0 : -1;
}

int idset_add(struct idset *u, uint32_t lo, uint32_t hi)
{
	if (u->hi && lo <= (uint64_t)u->hi + 1) {
		if (hi > u->hi) u->hi = hi;
		return 0;
	}
	if (idset_flush(u) < 0) return -1;
	u->lo = lo;
	u->hi = hi;
	return 0;
}

const char *idset_text(struct idset *u)
{
	if (idset_flush(u) < 0 || !stralloc_0(&u->sa)) return "";
	u->sa.len--;
	return u->sa.s;
}

void idset_free(struct idset *u)
{
	stralloc_free(&u->sa);
	memset(u, 0, sizeof *u);
}

/* The part of lo..hi that is in known, added to u. */
static int add_known(struct idset *u, const struct imapseq *known, uint32_t lo, uint32_t hi)
{
	unsigned j;
	if (!known) return idset_add(u, lo, hi);
	for (j = 0; j < known->n; j++) {
		uint32_t a = known->r[j].lo > lo ? known->r[j].lo : lo, b = known->r[j].hi < hi ? known->r[j].hi : hi;
		if (a <= b && idset_add(u, a, b) < 0) return -1;
	}
	return 0;
}

void vanished_earlier(const struct imapseq *known, uint64_t since)
{
	const struct folderindex *x = &S.st.ix;
	struct idset u = {0};
	unsigned long i;
	const char *t;

	if (folderindex_gone_complete(x, since)) {
		for (i = 0; i < x->ng; i++)
			if (x->g[i].modseq > since && add_known(&u, known, x->g[i].lo, x->g[i].hi) < 0) break;
	} else {
		/* the record does not reach back that far: every UID below the
		 * next that the folder lacks (RFC 7162 3.2.5.2 allows UIDs
		 * that never existed) */
		uint32_t from = 1;
		for (i = 0; i <= S.st.n; i++) {
			uint32_t to = i < S.st.n ? S.st.m[i].uid : S.st.ul.next;
			if (to > from && add_known(&u, known, from, to - 1) < 0) break;
			from = to + 1;
		}
	}
	t = idset_text(&u);
	if (*t) outf("* VANISHED (EARLIER) %s\r\n", t);
	idset_free(&u);
}

int fetch_modifiers(const struct imap_arg *a, uint64_t *since, int *vanished)
{
	int have = 0;

	*vanished = 0;
	if (a->type != IMAP_LIST || !a->len) { reply(R_BAD_SYNTAX, "invalid FETCH modifier"); return -1; }
	for (a = a->list; a; a = a->next) {
		if (imap_arg_atom_is(a, "CHANGEDSINCE")) {
			if (have || modseq_parse(a->next, since, 0) < 0) {
				reply(R_BAD_SYNTAX, "invalid CHANGEDSINCE");
				return -1;
			}
			have = 1;
			a = a->next;
		} else if (imap_arg_atom_is(a, "VANISHED") && !*vanished) {
			*vanished = 1;
		} else {
			reply(R_BAD_SYNTAX, "unknown FETCH modifier");
			return -1;
		}
	}
	/* RFC 7162 3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, once
	 * QRESYNC is enabled */
	if (*vanished && (!have || !S.uid || !qresync_on())) {
		reply(R_BAD_SYNTAX, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC");
		return -1;
	}
	if (!have) { reply(R_BAD_SYNTAX, "missing CHANGEDSINCE"); return -1; }
	condstore_enable();
	return 0;
}
