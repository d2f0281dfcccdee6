/*
 * THREAD and UID THREAD (RFC 5256 section 3): ORDEREDSUBJECT and
 * REFERENCES.
 *   THREAD algorithm charset search-keys
 * The search keys select the messages (search.c); sortkeys.c gives each
 * its sent date, base subject and identifiers.
 *
 * Containers are one array (messages first, then one per identifier seen
 * only in References or In-Reply-To, then the dummies of step 5), linked
 * by index: parent, first and last child, next sibling.  Identifiers find
 * their container through an open-addressing hash over arena offsets.
 * Every walk of the tree (pruning, sorting, output) uses an explicit
 * stack, so a References chain as long as the folder cannot overflow the
 * C stack.  The loop check of steps 1B/1C walks up the parents: linear
 * in the depth of the thread.
 *
 * Decided where the RFC leaves room, as Dovecot decides (tests/imapd-
 * thread.t compares the two): the sent date is RFC 5256 2.2's (the Date
 * field, else INTERNALDATE), and equal dates keep mailbox order; a
 * dummy's subject (step 5B) is that of its earliest child; step 5 walks
 * the roots in date order, so the earliest thread of a subject holds its
 * place in the table; empty base subjects are not grouped by REFERENCES
 * (step 5B) but are one group for ORDEREDSUBJECT.
 */
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "reply.h"
#include "search.h"
#include "session.h"
#include "sortkeys.h"

#define NONE UINT32_MAX

struct tc {
	uint32_t msg;              /* position in the match list, or NONE (a dummy) */
	uint32_t parent, first, last, next;
	uint32_t id;               /* arena offset of its identifier, or NONE */
	int64_t date;              /* step 6: its own, or a dummy's first child's */
	uint32_t seq;
};

static struct tc *c;
static uint32_t nc, capc;
static struct sortkeys *keys;
static unsigned long *idx;      /* match list: view indices */
static uint32_t nmatch;
static stralloc arena;
static uint32_t *hash, hcap;
static uint32_t *stack, *roots, *tmp;
static uint32_t nroots;

static uint32_t add(uint32_t msg, uint32_t id)
{
	struct tc *t;
	if (nc == capc) {
		uint32_t ncap = capc ? capc * 2 : 1024;
		struct tc *g = capc > UINT32_MAX / 4 ? 0 : realloc(c, (size_t)ncap * sizeof *c);
		if (!g) return NONE;
		c = g;
		capc = ncap;
	}
	t = &c[nc];
	t->msg = msg;
	t->parent = t->first = t->last = t->next = NONE;
	t->id = id;
	t->date = 0;
	t->seq = 0;
	return nc++;
}

static uint32_t hstr(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The slot of id (an arena string) in the hash: its container, or an
 * empty slot (NONE) where it goes. */
static uint32_t *slot(const char *id)
{
	uint32_t i = hstr(id) & (hcap - 1);
	while (hash[i] != NONE && strcmp(arena.s + c[hash[i]].id, id)) i = (i + 1) & (hcap - 1);
	return &hash[i];
}

static int hgrow(void)
{
	uint32_t *old = hash, oc = hcap, i;
	if (hcap && nc < hcap / 2) return 0;
	hcap = hcap ? hcap * 2 : 4096;
	if (!(hash = malloc((size_t)hcap * sizeof *hash))) { hash = old; hcap = oc; return -1; }
	memset(hash, 0xff, (size_t)hcap * sizeof *hash);
	for (i = 0; i < oc; i++)
		if (old[i] != NONE) *slot(arena.s + c[old[i]].id) = old[i];
	free(old);
	return 0;
}

/* The container of an identifier of References: found, or a new dummy. */
static uint32_t by_id(uint32_t off)
{
	uint32_t *s, k;
	if (hgrow() < 0) return NONE;
	s = slot(arena.s + off);
	if (*s != NONE) return *s;
	if ((k = add(NONE, off)) == NONE) return NONE;
	*s = k;
	return k;
}

static void unlink_child(uint32_t k)
{
	uint32_t p = c[k].parent, *pp, prev = NONE;
	if (p == NONE) return;
	for (pp = &c[p].first; *pp != k; pp = &c[*pp].next) prev = *pp;
	*pp = c[k].next;
	if (c[p].last == k) c[p].last = prev;
	c[k].parent = c[k].next = NONE;
}

static void append_child(uint32_t p, uint32_t k)
{
	c[k].parent = p;
	c[k].next = NONE;
	if (c[p].last == NONE) c[p].first = k;
	else c[c[p].last].next = k;
	c[p].last = k;
}

/* Is a an ancestor of b, or b itself? */
static int above(uint32_t a, uint32_t b)
{
	for (; b != NONE; b = c[b].parent)
		if (a == b) return 1;
	return 0;
}

/* Step 1: the containers and their links. */
static int link_all(void)
{
	uint32_t m, j;
	for (m = 0; m < nmatch; m++)
		if (add(m, NONE) == NONE) return -1;
	for (m = 0; m < nmatch; m++) {
		const struct sortkeys *k = &keys[m];
		uint32_t self = m, prev = NONE, cur, off;
		/* A: the message's own container; a dummy made for its
		 * identifier before becomes the message (its children stay) */
		if (arena.s[k->msgid]) {
			uint32_t *s;
			if (hgrow() < 0) return -1;
			s = slot(arena.s + k->msgid);
			if (*s == NONE) {
				c[m].id = k->msgid;
				*s = m;
			} else if (c[*s].msg == NONE) {
				/* move the dummy's place to m: its children and parent */
				uint32_t d = *s, ch;
				c[m].id = k->msgid;
				*s = m;
				c[m].first = c[d].first;
				c[m].last = c[d].last;
				for (ch = c[m].first; ch != NONE; ch = c[ch].next) c[ch].parent = m;
				c[d].first = c[d].last = NONE;
				if (c[d].parent != NONE) {
					uint32_t p = c[d].parent;
					unlink_child(d);
					append_child(p, m);
				}
				c[d].id = NONE;     /* an empty dummy, pruned in step 4 */
			}
			/* else a duplicate: it keeps no identifier (step 1A) */
		}
		/* B: link the References in order, never re-parenting, never
		 * making a loop */
		for (j = 0, off = k->refs; j < k->nrefs; j++, off += (uint32_t)strlen(arena.s + off) + 1) {
			if ((cur = by_id(off)) == NONE) return -1;
			if (prev != NONE && cur != prev && c[cur].parent == NONE && !above(cur, prev)) append_child(prev, cur);
			prev = cur;
		}
		/* C: the last reference is the parent, replacing any other */
		unlink_child(self);
		if (prev != NONE && prev != self && !above(self, prev)) append_child(prev, self);
	}
	return 0;
}

static int is_dummy(uint32_t k) { return c[k].msg == NONE; }
static unsigned nkids(uint32_t k)
{
	unsigned n = 0;
	uint32_t ch;
	for (ch = c[k].first; ch != NONE && n < 2; ch = c[ch].next) n++;
	return n;
}

static int date_cmp(const void *pa, const void *pb)
{
	const struct tc *a = &c[*(const uint32_t *)pa], *b = &c[*(const uint32_t *)pb];
	if (a->date != b->date) return a->date < b->date ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Step 4 on the children of every container, root (R) first; the stack
 * holds containers whose children are still to be pruned. */
static void prune(uint32_t R)
{
	uint32_t sp = 0;
	stack[sp++] = R;
	while (sp) {
		uint32_t p = stack[--sp], k, prev = NONE;
		k = c[p].first;
		while (k != NONE) {
			uint32_t next = c[k].next;
			if (is_dummy(k) && c[k].first == NONE) {            /* A: drop it */
				if (prev == NONE) c[p].first = next;
				else c[prev].next = next;
				if (c[p].last == k) c[p].last = prev;
				k = next;
				continue;
			}
			if (is_dummy(k) && (p != R || nkids(k) == 1)) {      /* B: its children take its place */
				uint32_t f = c[k].first, l = c[k].last, ch;
				for (ch = f; ch != NONE; ch = c[ch].next) c[ch].parent = p;
				c[l].next = next;
				if (prev == NONE) c[p].first = f;
				else c[prev].next = f;
				if (c[p].last == k) c[p].last = l;
				k = f;        /* looked at again: it may be a dummy too */
				continue;
			}
			stack[sp++] = k;
			prev = k;
			k = next;
		}
	}
}

/* The message that dates a thread: its own, or a dummy's earliest child
 * (by sent date, then mailbox order: the child step 6 puts first). */
static uint32_t first_dated(uint32_t k)
{
	uint32_t ch, best = NONE;
	if (!is_dummy(k)) return k;
	for (ch = c[k].first; ch != NONE; ch = c[ch].next)
		if (!is_dummy(ch) && (best == NONE || keys[c[ch].msg].date < keys[c[best].msg].date ||
				      (keys[c[ch].msg].date == keys[c[best].msg].date && c[ch].msg < c[best].msg)))
			best = ch;
	return best;
}

/* A thread's subject (step 5B): its message's, or a dummy's earliest
 * child's. */
static const char *subject_of(uint32_t k)
{
	k = first_dated(k);
	return k == NONE ? "" : arena.s + keys[c[k].msg].subject;
}

static int root_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int r = strcmp(subject_of(roots[a]), subject_of(roots[b]));
	return r ? r : a < b ? -1 : a > b;
}

/* Step 5B's preference: does r replace best as the table's thread? */
static int better(uint32_t r, uint32_t best)
{
	if (is_dummy(r)) return !is_dummy(best);
	return !is_dummy(best) && keys[c[best].msg].refwd && !keys[c[r].msg].refwd;
}

static void adopt_children(uint32_t to, uint32_t from)
{
	uint32_t ch, next;
	for (ch = c[from].first; ch != NONE; ch = next) {
		next = c[ch].next;
		append_child(to, ch);
	}
	c[from].first = c[from].last = NONE;
}

/* Step 5: roots of the same base subject together.  Instead of a hash
 * table of subjects, the root positions are sorted by subject (stably,
 * so each run is in root order); run[i] is the run of root i and
 * table[run] the thread step 5B chose for it. */
static int group(void)
{
	uint32_t i, nrun = 0, *run = malloc(((size_t)nroots + 1) * sizeof *run),
		*table = malloc(((size_t)nroots + 1) * sizeof *table);

	if (!run || !table) { free(run); free(table); return -1; }
	for (i = 0; i < nroots; i++) tmp[i] = i;
	qsort(tmp, nroots, sizeof *tmp, root_cmp);
	for (i = 0; i < nroots;) {
		uint32_t e = i, best = roots[tmp[i]];
		const char *subj = subject_of(best);
		for (; e < nroots && !strcmp(subject_of(roots[tmp[e]]), subj); e++) {
			if (e > i && better(roots[tmp[e]], best)) best = roots[tmp[e]];
			run[tmp[e]] = nrun;
		}
		table[nrun++] = best;
		i = e;
	}
	/* C: in root order */
	for (i = 0; i < nroots; i++) {
		uint32_t r = roots[i], t = table[run[i]];
		if (!*subject_of(r) || t == r) continue;
		if (is_dummy(t) && is_dummy(r)) {                  /* i: r's children join t's */
			adopt_children(t, r);
		} else if (is_dummy(t)) {                          /* ii: r under the dummy */
			append_child(t, r);
		} else if (is_dummy(r)) {
			continue;    /* cannot be: 5B prefers a dummy */
		} else if (!keys[c[t].msg].refwd && keys[c[r].msg].refwd) {   /* iii */
			append_child(t, r);
		} else {                                           /* iv: a new dummy over both */
			uint32_t d = add(NONE, NONE), j;
			if (d == NONE) { free(run); free(table); return -1; }
			for (j = 0; j < nroots; j++)
				if (roots[j] == t) { roots[j] = d; break; }
			append_child(d, t);
			append_child(d, r);
			table[run[i]] = d;
		}
		roots[i] = NONE;
	}
	free(run);
	free(table);
	return 0;
}

/* Sorts p's children by date (their dates already known). */
static void sort_kids(uint32_t p)
{
	uint32_t n = 0, ch, j;
	for (ch = c[p].first; ch != NONE; ch = c[ch].next) tmp[n++] = ch;
	if (n < 2) return;
	qsort(tmp, n, sizeof *tmp, date_cmp);
	c[p].first = tmp[0];
	for (j = 0; j + 1 < n; j++) c[tmp[j]].next = tmp[j + 1];
	c[tmp[n - 1]].next = NONE;
	c[p].last = tmp[n - 1];
}

/* Step 6: children before parents (a post-order by an explicit stack:
 * a container is pushed, then its children; popping in reverse gives
 * children first), a dummy taking its first child's date. */
static void sort_tree(uint32_t R)
{
	uint32_t sp = 0, n = 0, k, ch;
	stack[sp++] = R;
	while (sp) {
		k = stack[--sp];
		roots[nroots + 1 + n++] = k;   /* the visit order, after the roots */
		for (ch = c[k].first; ch != NONE; ch = c[ch].next) stack[sp++] = ch;
	}
	while (n--) {
		k = roots[nroots + 1 + n];
		sort_kids(k);
		if (k == R) continue;
		if (is_dummy(k)) {
			c[k].date = c[c[k].first].date;
			c[k].seq = c[c[k].first].seq;
		} else {
			c[k].date = keys[c[k].msg].date;
			c[k].seq = c[k].msg;
		}
	}
}

static void put_num(uint32_t k)
{
	unsigned long i = idx[c[k].msg];
	outf("%lu", S.uid ? (unsigned long)S.v[i].uid : i + 1);
}

/* Step 7, one thread: "(" body ")" where a message with one child goes
 * on inline and one with more opens "(...)" per child (RFC 5256 4,
 * thread-members and thread-nested).  The stack holds, per open
 * branching, the next sibling to write. */
static void put_thread(uint32_t t)
{
	uint32_t sp = 0, cur = t, k, s;
	int first = 1;
	out("(");
	for (;;) {
		if (!is_dummy(cur)) {
			if (!first) out(" ");
			put_num(cur);
			first = 0;
		}
		k = c[cur].first;
		if (k != NONE && c[k].next == NONE) { cur = k; continue; }
		if (k != NONE) {
			if (!first) out(" ");
			stack[sp++] = c[k].next;
			out("(");
			cur = k;
			first = 1;
			continue;
		}
		for (;;) {
			if (!sp) { out(")"); return; }
			out(")");
			s = stack[sp - 1];
			if (s != NONE) {
				stack[sp - 1] = c[s].next;
				out("(");
				cur = s;
				first = 1;
				break;
			}
			sp--;
		}
	}
}

static int subj_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int r = strcmp(arena.s + keys[a].subject, arena.s + keys[b].subject);
	if (r) return r;
	if (keys[a].date != keys[b].date) return keys[a].date < keys[b].date ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* ORDEREDSUBJECT (RFC 5256 3): by base subject, then sent date; each
 * subject's first message is the parent of all the others; threads in
 * the order of their first messages' dates. */
static int ordered_subject(uint32_t R)
{
	uint32_t i, head = NONE;
	for (i = 0; i < nmatch; i++) {
		if (add(i, NONE) == NONE) return -1;
		c[i].date = keys[i].date;
		c[i].seq = i;
		tmp[i] = i;
	}
	if (add(NONE, NONE) != R) return -1;
	qsort(tmp, nmatch, sizeof *tmp, subj_cmp);
	for (i = 0; i < nmatch; i++) {
		uint32_t m = tmp[i];
		if (head != NONE && !strcmp(arena.s + keys[m].subject, arena.s + keys[head].subject)) {
			append_child(head, m);
		} else {
			append_child(R, m);
			head = m;
		}
	}
	sort_kids(R);
	return 0;
}

void do_thread(void)
{
	const struct imap_arg *a = S.args;
	int refs;
	uint32_t i, R;
	unsigned long v;

	if (!a || (!imap_arg_atom_is(a, "REFERENCES") && !imap_arg_atom_is(a, "ORDEREDSUBJECT"))) {
		reply(R_BAD_SYNTAX, "unknown threading algorithm");
		return;
	}
	refs = imap_arg_atom_is(a, "REFERENCES");
	if (sort_charset(a->next) < 0 || search_program(a->next->next) < 0) return;
	nc = nmatch = nroots = 0;
	arena.len = 0;
	if (!(idx = malloc((S.nv ? S.nv : 1) * sizeof *idx))) goto nomem;
	for (v = 0; v < S.nv && !S.dead; v++)
		if (search_match(v)) idx[nmatch++] = v;
	search_end();
	if (!(keys = malloc(((size_t)nmatch + 1) * sizeof *keys))) goto nomem;
	for (i = 0; i < nmatch; i++)
		if (sortkeys_get(idx[i], SK_DATE | SK_SUBJECT | (refs ? SK_THREAD : 0), &keys[i], &arena) < 0) goto nomem;
	if (refs) {
		if (link_all() < 0) goto nomem;
	} else if (!(tmp = malloc(((size_t)nmatch + 1) * sizeof *tmp)) || ordered_subject(nmatch) < 0) {
		goto nomem;
	}
	if (refs) {
		/* step 2: the roots under one container R, in creation order */
		if ((R = add(NONE, NONE)) == NONE) goto nomem;
		for (i = 0; i < R; i++)
			if (c[i].parent == NONE) append_child(R, i);
		/* step 3 frees the table; room for the walks below: the root
		 * array, the dummies step 5 may add (one per root) and the
		 * visit order of step 6 */
		free(hash);
		hash = 0;
		hcap = 0;
		if (!(stack = malloc(((size_t)nc * 2 + 2) * sizeof *stack))) goto nomem;
		prune(R);
		for (i = c[R].first; i != NONE; i = c[i].next) nroots++;
		if (!(roots = malloc(((size_t)nc * 3 + 4) * sizeof *roots)) ||
		    !(tmp = malloc(((size_t)nc * 2 + 2) * sizeof *tmp)))
			goto nomem;
		nroots = 0;
		for (i = c[R].first; i != NONE; i = c[i].next) roots[nroots++] = i;
		for (i = 0; i < nroots; i++) {
			uint32_t k = roots[i], e = first_dated(k);
			c[k].parent = NONE;
			c[k].date = e == NONE ? 0 : keys[c[e].msg].date;
			c[k].seq = e == NONE ? 0 : c[e].msg;
		}
		/* step 5 walks the roots in date order: which thread holds a
		 * subject's place decides where replies go */
		qsort(roots, nroots, sizeof *roots, date_cmp);
		if (group() < 0) goto nomem;
		c[R].first = c[R].last = NONE;
		for (i = 0; i < nroots; i++)
			if (roots[i] != NONE) append_child(R, roots[i]);
		free(stack);
		if (!(stack = malloc(((size_t)nc + 2) * sizeof *stack))) goto nomem;
		free(roots);
		if (!(roots = malloc(((size_t)nc * 2 + 4) * sizeof *roots))) goto nomem;
		nroots = 0;
		free(tmp);
		if (!(tmp = malloc(((size_t)nc + 2) * sizeof *tmp))) goto nomem;
		sort_tree(R);
	} else {
		R = nmatch;
		if (!(stack = malloc(((size_t)nc + 2) * sizeof *stack))) goto nomem;
	}
	out("* THREAD");
	if (c[R].first != NONE) out(" ");
	for (i = c[R].first; i != NONE && !S.dead; i = c[i].next) put_thread(i);
	out("\r\n");
	reply(R_OK_DONE, S.uid ? "UID THREAD" : "THREAD");
	goto done;
nomem:
	search_end();
	reply(R_NO_LIMIT, "out of memory");
done:
	free(idx); idx = 0;
	free(keys); keys = 0;
	free(c); c = 0; nc = capc = 0;
	free(hash); hash = 0; hcap = 0;
	free(stack); stack = 0;
	free(roots); roots = 0;
	free(tmp); tmp = 0;
	if (arena.a > (1u << 20)) stralloc_free(&arena);
}
