/*
 * SEARCH and UID SEARCH (RFC 3501 6.4.4): every search key, AND by
 * juxtaposition, OR, NOT, parentheses, sequence sets and UID sets.
 *
 * The keys are parsed into a tree once, then each message is tested; a
 * message's header is read only for keys that need it, and the whole
 * message (with a MIME parse) only for BODY and TEXT.  String matches are
 * substring matches after Unicode simple case folding (lib/casefold: ASCII,
 * Latin, Greek, Cyrillic), on text decoded to UTF-8: header values with
 * their RFC 2047 encoded words decoded, bodies of text parts with their
 * quoted-printable or base64 undone and their charset converted.  Bytes
 * that are not UTF-8 (raw 8-bit headers in another charset, a broken key)
 * match only the same bytes.  FROM, TO, CC and BCC also match the
 * field's parsed addresses (address_match), so a full address finds the
 * field however it was quoted or commented.
 * CHARSET UTF-8 and US-ASCII are accepted;
 * a key is read as UTF-8 with either (US-ASCII is a subset).
 * Dates compare days: INTERNALDATE's in UTC, the Date field's as written.
 * MODSEQ n (RFC 7162 3.1.5) matches messages whose modseq is n or more
 * (an entry name and type are accepted and ignored: we keep one modseq a
 * message, not one per flag); the result line then ends in
 * "(MODSEQ highest-of-the-matches)".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "casefold.h"
#include "commands.h"
#include "condstore.h"
#include "message.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "log.h"
#include "mime.h"
#include "search.h"

#define SEARCH_NODES_MAX 1000
#define SEARCH_DEPTH_MAX 64

enum skey {
	K_ALL = 1, K_AND, K_OR, K_NOT, K_SEQ, K_UID, K_FLAG, K_UNFLAG, K_KEYWORD, K_UNKEYWORD, K_NEW, K_OLD,
	K_RECENT, K_HEADER, K_BODY, K_TEXT, K_LARGER, K_SMALLER, K_BEFORE, K_ON, K_SINCE, K_SENTBEFORE, K_SENTON,
	K_SENTSINCE, K_ADDRESS, K_MODSEQ
};

struct snode {
	enum skey key;
	uint32_t flag;
	const char *field, *str;
	unsigned long num;
	struct imapseq seq;
	struct snode *a, *b;    /* AND: a list through b; OR: a, b; NOT: a */
	struct snode *next;     /* AND members */
};

static struct snode nodes[SEARCH_NODES_MAX];
static unsigned nnodes;

static struct snode *node(enum skey k)
{
	struct snode *n;
	if (nnodes >= SEARCH_NODES_MAX) return 0;
	n = &nodes[nnodes++];
	memset(n, 0, sizeof *n);
	n->key = k;
	return n;
}

/* "1-Feb-1994" as a day number: RFC 3501 date-text, date-day "-"
 * date-month "-" date-year, with 1*2DIGIT and 4DIGIT read as digits only
 * (no sign, no space, nothing after). */
static long parse_day(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	const char *m = strchr(s, '-');
	uint32_t d, y;
	int i;
	struct tm tm;

	if (!m || m - s > 2 || imap_number(s, (size_t)(m - s), &d) < 0 || d < 1 || d > 31) return -1;
	if (strlen(m) != 9 || m[4] != '-' || imap_number(m + 5, 4, &y) < 0 || y < 1000) return -1;
	for (i = 0; i < 12; i++)
		if (!strncasecmp(months + 3 * i, m + 1, 3)) break;
	if (i == 12) return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_mday = (int)d;
	tm.tm_mon = i;
	tm.tm_year = (int)y - 1900;
	return (long)(timegm(&tm) / 86400);
}

static const struct imap_arg *cur;
static int depth;
static const char *why;

static struct snode *parse_key(void);

static const char *need_string(void)
{
	const struct imap_arg *a = cur;
	if (!imap_arg_string(a)) { why = "missing argument"; return 0; }
	cur = a->next;
	return a->s;
}

/* A number argument (RFC 3501 "number": digits, at most 4294967295). */
static int need_number(unsigned long *out)
{
	const struct imap_arg *a = cur;
	uint32_t v;
	if (!imap_arg_string(a)) { why = "missing argument"; return -1; }
	cur = a->next;
	if (imap_number(a->s, a->len, &v) < 0) { why = "bad number (digits, at most 4294967295)"; return -1; }
	*out = v;
	return 0;
}

static struct snode *parse_list(const struct imap_arg *first)
{
	struct snode *and = node(K_AND), *last = 0;
	const struct imap_arg *save = cur;
	if (!and) return 0;
	cur = first;
	while (cur) {
		struct snode *k = parse_key();
		if (!k) return 0;
		if (last) last->next = k;
		else and->a = k;
		last = k;
	}
	cur = save;
	return and;
}

static struct snode *parse_key(void)
{
	static const struct { const char *name; enum skey key; uint32_t flag; } simple[] = {
		{"ALL", K_ALL, 0}, {"ANSWERED", K_FLAG, STORE_ANSWERED}, {"DELETED", K_FLAG, STORE_DELETED},
		{"DRAFT", K_FLAG, STORE_DRAFT}, {"FLAGGED", K_FLAG, STORE_FLAGGED}, {"SEEN", K_FLAG, STORE_SEEN},
		{"UNANSWERED", K_UNFLAG, STORE_ANSWERED}, {"UNDELETED", K_UNFLAG, STORE_DELETED},
		{"UNDRAFT", K_UNFLAG, STORE_DRAFT}, {"UNFLAGGED", K_UNFLAG, STORE_FLAGGED}, {"UNSEEN", K_UNFLAG, STORE_SEEN},
		{"NEW", K_NEW, 0}, {"OLD", K_OLD, 0}, {"RECENT", K_RECENT, 0},
	};
	static const struct { const char *name; const char *field; enum skey key; } strs[] = {
		{"BCC", "bcc", K_ADDRESS}, {"CC", "cc", K_ADDRESS}, {"FROM", "from", K_ADDRESS}, {"TO", "to", K_ADDRESS},
		{"SUBJECT", "subject", K_HEADER}, {"BODY", 0, K_BODY}, {"TEXT", 0, K_TEXT},
	};
	static const struct { const char *name; enum skey key; } dates[] = {
		{"BEFORE", K_BEFORE}, {"ON", K_ON}, {"SINCE", K_SINCE}, {"SENTBEFORE", K_SENTBEFORE},
		{"SENTON", K_SENTON}, {"SENTSINCE", K_SENTSINCE},
	};
	const struct imap_arg *a = cur;
	struct snode *n;
	unsigned i;

	if (!a) { why = "missing search key"; return 0; }
	if (++depth > SEARCH_DEPTH_MAX) { why = "search keys nested too deeply"; return 0; }
	cur = a->next;
	if (a->type == IMAP_LIST) {
		n = parse_list(a->list);
		depth--;
		return n;
	}
	if (a->type != IMAP_ATOM) { why = "bad search key"; return 0; }
	for (i = 0; i < sizeof simple / sizeof simple[0]; i++)
		if (imap_arg_atom_is(a, simple[i].name)) {
			if ((n = node(simple[i].key))) n->flag = simple[i].flag;
			depth--;
			return n;
		}
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (imap_arg_atom_is(a, strs[i].name)) {
			if (!(n = node(strs[i].key)) || !(n->str = need_string())) return 0;
			n->field = strs[i].field;
			depth--;
			return n;
		}
	for (i = 0; i < sizeof dates / sizeof dates[0]; i++)
		if (imap_arg_atom_is(a, dates[i].name)) {
			const char *d;
			if (!(n = node(dates[i].key)) || !(d = need_string())) return 0;
			if ((long)(n->num = (unsigned long)parse_day(d)) < 0) { why = "bad date"; return 0; }
			depth--;
			return n;
		}
	if (imap_arg_atom_is(a, "HEADER")) {
		if (!(n = node(K_HEADER)) || !(n->field = need_string()) || !(n->str = need_string())) return 0;
	} else if (imap_arg_atom_is(a, "KEYWORD") || imap_arg_atom_is(a, "UNKEYWORD")) {
		if (!(n = node(imap_arg_atom_is(a, "KEYWORD") ? K_KEYWORD : K_UNKEYWORD)) || !(n->str = need_string())) return 0;
	} else if (imap_arg_atom_is(a, "LARGER") || imap_arg_atom_is(a, "SMALLER")) {
		if (!(n = node(imap_arg_atom_is(a, "LARGER") ? K_LARGER : K_SMALLER)) || need_number(&n->num) < 0) return 0;
	} else if (imap_arg_atom_is(a, "NOT")) {
		if (!(n = node(K_NOT)) || !(n->a = parse_key())) return 0;
	} else if (imap_arg_atom_is(a, "OR")) {
		if (!(n = node(K_OR)) || !(n->a = parse_key()) || !(n->b = parse_key())) return 0;
	} else if (imap_arg_atom_is(a, "MODSEQ")) {
		uint64_t v;
		/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer */
		if (cur && cur->type != IMAP_ATOM) {
			if (!need_string() || !cur || !(imap_arg_atom_is(cur, "priv") || imap_arg_atom_is(cur, "shared") ||
							 imap_arg_atom_is(cur, "all"))) {
				why = "bad MODSEQ entry";
				return 0;
			}
			cur = cur->next;
		}
		if (!(n = node(K_MODSEQ))) return 0;
		if (modseq_parse(cur, &v, 1) < 0) { why = "bad mod-sequence"; return 0; }
		cur = cur->next;
		n->num = (unsigned long)v;
		condstore_enable();
	} else if (imap_arg_atom_is(a, "UID")) {
		const char *v;
		if (!(n = node(K_UID)) || !(v = need_string())) return 0;
		if (!strcmp(v, "$")) {
			if (searchres_set(&n->seq, 1) < 0) { why = "out of memory"; return 0; }
		} else {
			if (imapseq_parse(&n->seq, v) < 0) { why = "invalid UID set"; return 0; }
			imapseq_resolve(&n->seq, S.nv ? S.v[S.nv - 1].uid : 0);
		}
	} else if (!strcmp(a->s, "$")) {    /* RFC 5182: the saved result */
		if (!(n = node(K_UID)) || searchres_set(&n->seq, 1) < 0) { why = "out of memory"; return 0; }
	} else if (strchr("0123456789*", a->s[0])) {
		if (!(n = node(K_SEQ))) return 0;
		if (imapseq_parse(&n->seq, a->s) < 0 || n->seq.top > S.nv) { why = "invalid sequence set"; return 0; }
		imapseq_resolve(&n->seq, (uint32_t)S.nv);
	} else {
		why = "unknown search key";
		return 0;
	}
	depth--;
	return n;
}

/* ---- matching ---- */

static int contains(const char *hay, size_t hl, const char *needle)
{
	return casefold_contains(hay, hl, needle, strlen(needle));
}

struct msgctx {
	unsigned long i;
	int have_hdr, have_full;
	stralloc hdr;           /* wire header */
	stralloc full;
	struct mime m;
	int parsed, failed;
};

static int load(struct msgctx *c, int full)
{
	const char *d;
	size_t l;
	if (full ? c->have_full : (c->have_hdr || c->have_full)) return 0;
	if (c->failed || message_load(c->i, !full, &d, &l) < 0) { c->failed = 1; return -1; }
	if (full) {
		if (!stralloc_copyb(&c->full, d, l)) return -1;
		c->have_full = 1;
	} else {
		if (!stralloc_copyb(&c->hdr, d, l)) return -1;
		c->have_hdr = 1;
	}
	return 0;
}

static const char *hdr_of(struct msgctx *c, size_t *len)
{
	if (c->have_full) { *len = mime_header_end(c->full.s, c->full.len); return c->full.s; }
	*len = c->hdr.len;
	return c->hdr.s;
}

static int header_match(struct msgctx *c, const char *field, const char *str)
{
	static stralloc dec;
	size_t hl, pos = 0, flen, nl = strlen(field);
	const char *h, *f;

	if (load(c, 0) < 0) return 0;
	h = hdr_of(c, &hl);
	while (mime_next_field(h, hl, &pos, &f, &flen)) {
		const char *colon;
		if (nl && (flen <= nl || strncasecmp(f, field, nl) || (f[nl] != ':' && f[nl] != ' ' && f[nl] != '\t')))
			continue;
		/* TEXT (field ""): the whole field, name included */
		colon = nl ? memchr(f, ':', flen) : f - 1;
		if (!colon) continue;
		dec.len = 0;
		if (mime_decode_header(colon + 1, flen - (size_t)(colon + 1 - f), &dec) < 0) return 0;
		if (contains(dec.s ? dec.s : "", dec.len, str)) return 1;
	}
	return 0;
}

/* FROM, TO, CC, BCC: the key is a substring of the field's decoded text
 * (as for HEADER), or of one of its addresses as lib/mime parses them,
 * written "name <mailbox@host>" with the name's encoded words decoded:
 * so "user@domain.org" finds "<user (x)@ (y) domain.org>", whose text
 * holds no such string, and "Name <user@domain.org>" finds
 * "\"Name\" <user@domain.org>".  A group's name counts as well. */
static int address_match(struct msgctx *c, const char *field, const char *str)
{
	static stralloc line;
	static struct mime_addr a;
	struct mime_addr_iter it;
	size_t hl, pos = 0, flen, nl = strlen(field);
	const char *h, *f;

	if (header_match(c, field, str)) return 1;
	if (load(c, 0) < 0) return 0;
	h = hdr_of(c, &hl);
	while (mime_next_field(h, hl, &pos, &f, &flen)) {
		const char *colon;
		if (flen <= nl || strncasecmp(f, field, nl) || (f[nl] != ':' && f[nl] != ' ' && f[nl] != '\t')) continue;
		if (!(colon = memchr(f, ':', flen))) continue;
		/* the raw value: the address parser takes folding as white space */
		mime_addr_begin(&it, colon + 1, flen - (size_t)(colon + 1 - f));
		while (mime_addr_next(&it, &a)) {
			if (a.kind == MIME_ADDR_GROUP_END) continue;
			line.len = 0;
			if (a.name[0] && mime_decode_header(a.name, strlen(a.name), &line) < 0) return 0;
			if (a.kind == MIME_ADDR_MAILBOX) {
				if (a.name[0] && !stralloc_cats(&line, " <")) return 0;
				if (!stralloc_cats(&line, a.mailbox)) return 0;
				if (a.host[0] && (!stralloc_append(&line, "@") || !stralloc_cats(&line, a.host))) return 0;
				if (a.name[0] && !stralloc_append(&line, ">")) return 0;
			}
			if (contains(line.s ? line.s : "", line.len, str)) return 1;
		}
	}
	return 0;
}

static int body_match(struct msgctx *c, const char *str)
{
	static stralloc text;
	unsigned k;

	if (load(c, 1) < 0) return 0;
	if (!c->parsed) {
		if (mime_parse(&c->m, c->full.s, c->full.len) < 0) return 0;
		c->parsed = 1;
	}
	for (k = 0; k < c->m.nparts; k++) {
		const struct mime_part *p = &c->m.part[k];
		if (p->multipart || p->message) continue;
		if (strcasecmp(p->type, "text") && strcasecmp(p->type, "message")) continue;
		if (mime_part_text(&c->m, p, &text) < 0) continue;
		if (contains(text.s ? text.s : "", text.len, str)) return 1;
	}
	return 0;
}

static long sent_day(struct msgctx *c)
{
	static stralloc v;
	size_t hl;
	const char *h, *p;
	char buf[64];

	if (load(c, 0) < 0) return -1;
	h = hdr_of(c, &hl);
	if (!mime_field(h, hl, "date", &v)) return -1;
	/* "[Day, ] d Mon yyyy ..." (RFC 5322 3.3): the numbers are read as
	 * bounded digit runs, so no header can make them wrap */
	p = strchr(v.s, ',');
	p = p ? p + 1 : v.s;
	{
		size_t dl = 0, yl = 0;
		uint32_t d, y;
		const char *mon;
		while (*p == ' ' || *p == '\t') p++;
		while (p[dl] >= '0' && p[dl] <= '9') dl++;
		if (dl > 2 || imap_number(p, dl, &d) < 0) return -1;
		p += dl;
		while (*p == ' ' || *p == '\t') p++;
		mon = p;
		if (strnlen(mon, 3) < 3) return -1;
		p += 3;
		while (*p == ' ' || *p == '\t') p++;
		while (p[yl] >= '0' && p[yl] <= '9') yl++;
		if (yl < 2 || yl > 4 || imap_number(p, yl, &y) < 0) return -1;
		/* obs-year (RFC 5322 4.3) */
		if (yl == 2) y += y < 50 ? 2000 : 1900;
		else if (yl == 3) y += 1900;
		/* fits: two digits, three letters, four digits */
		snprintf(buf, sizeof buf, "%u-%.3s-%u", (unsigned)d, mon, (unsigned)y);
	}
	return parse_day(buf);
}

static int match(const struct snode *n, struct msgctx *c)
{
	long k = view_store(c->i);
	uint32_t flags = k >= 0 ? S.st.m[k].flags : S.v[c->i].flags;
	const struct snode *e;

	switch (n->key) {
	case K_ALL: return 1;
	case K_AND:
		for (e = n->a; e; e = e->next)
			if (!match(e, c)) return 0;
		return 1;
	case K_OR: return match(n->a, c) || match(n->b, c);
	case K_NOT: return !match(n->a, c);
	case K_SEQ: return imapseq_has(&n->seq, (uint32_t)(c->i + 1));
	case K_UID: return imapseq_has(&n->seq, S.v[c->i].uid);
	case K_FLAG: return (flags & n->flag) != 0;
	case K_UNFLAG: return !(flags & n->flag);
	case K_KEYWORD: case K_UNKEYWORD: {
		unsigned j;
		int has = 0;
		for (j = 0; j < S.st.kw.n; j++)
			if (!strcasecmp(S.st.kw.name[j], n->str) && (flags & STORE_KW(j))) has = 1;
		return n->key == K_KEYWORD ? has : !has;
	}
	case K_NEW: return S.v[c->i].recent && !(flags & STORE_SEEN);
	case K_OLD: return !S.v[c->i].recent;
	case K_RECENT: return S.v[c->i].recent;
	case K_MODSEQ: return view_modseq(c->i) >= n->num;
	case K_HEADER: return header_match(c, n->field, n->str);
	case K_ADDRESS: return address_match(c, n->field, n->str);
	case K_BODY: return body_match(c, n->str);
	case K_TEXT: return header_match(c, "", n->str) || body_match(c, n->str);
	case K_LARGER: case K_SMALLER: {
		uint64_t sz;
		if (message_size(c->i, &sz) < 0) return 0;
		return n->key == K_LARGER ? sz > n->num : sz < n->num;
	}
	case K_BEFORE: case K_ON: case K_SINCE: {
		long d = (long)(message_date(c->i) / 86400);
		return n->key == K_BEFORE ? d < (long)n->num : n->key == K_ON ? d == (long)n->num : d >= (long)n->num;
	}
	case K_SENTBEFORE: case K_SENTON: case K_SENTSINCE: {
		long d = sent_day(c);
		if (d < 0) return 0;
		return n->key == K_SENTBEFORE ? d < (long)n->num : n->key == K_SENTON ? d == (long)n->num
			: d >= (long)n->num;
	}
	}
	return 0;
}

/* ---- the program, for SEARCH, SORT and THREAD ---- */

static struct snode *root;
static struct msgctx mc;

int search_program(const struct imap_arg *a)
{
	nnodes = 0;
	depth = 0;
	why = "bad search key";
	if (!a) { reply(R_BAD_ARGS); return -1; }
	cur = 0;
	root = parse_list(a);
	if (!root || cur) {
		if (!root && nnodes >= SEARCH_NODES_MAX) why = "too many search keys";
		search_end();
		reply(R_BAD_SYNTAX, why);
		return -1;
	}
	return 0;
}

int search_match(unsigned long i)
{
	int r;
	/* expunged by someone else: never a match (its EXPUNGE follows) */
	if (S.v[i].gone || view_store(i) < 0) return 0;
	mc.i = i;
	mc.have_hdr = mc.have_full = mc.failed = 0;
	r = match(root, &mc);
	if (mc.parsed) { mime_free(&mc.m); mc.parsed = 0; }
	return r;
}

void search_end(void)
{
	unsigned j;
	for (j = 0; j < nnodes; j++) imapseq_free(&nodes[j].seq);
	nnodes = 0;
	root = 0;
}

/* ---- ESEARCH (RFC 4731) and SEARCHRES (RFC 5182) ---- */

/* The saved result: UIDs, ascending.  Kept by UID so that an expunge
 * takes a message out of $ by itself (RFC 5182 2.1). */
static uint32_t *saved;
static unsigned long nsaved;

void searchres_reset(void)
{
	free(saved);
	saved = 0;
	nsaved = 0;
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The view index of uid, or -1 (binary search: the view is in UID order). */
static long view_by_uid(uint32_t uid)
{
	unsigned long lo = 0, hi = S.nv;
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;
		if (S.v[mid].uid < uid) lo = mid + 1;
		else if (S.v[mid].uid > uid) hi = mid;
		else return (long)mid;
	}
	return -1;
}

int searchres_set(struct imapseq *seq, int uid)
{
	unsigned long k;
	memset(seq, 0, sizeof *seq);
	if (!nsaved) return 0;
	if (!(seq->r = malloc(nsaved * sizeof *seq->r))) return -1;
	seq->cap = (unsigned)nsaved;
	for (k = 0; k < nsaved; k++) {
		uint32_t v = saved[k];
		if (!uid) {
			long i = view_by_uid(v);
			if (i < 0) continue;
			v = (uint32_t)(i + 1);
		}
		seq->r[seq->n].lo = seq->r[seq->n].hi = v;
		seq->n++;
		if (v > seq->top) seq->top = v;
	}
	imapseq_resolve(seq, uid ? (S.nv ? S.v[S.nv - 1].uid : 0) : (uint32_t)S.nv);
	return 0;
}

static void save(const unsigned long *idx, unsigned long n, unsigned opts, int sorted)
{
	unsigned long k, lo = 0, hi = 0;
	searchres_reset();
	if (!n) return;
	/* RFC 5182 2.4: with MIN or MAX (and neither ALL nor COUNT) only
	 * those are saved */
	if ((opts & (RET_MIN | RET_MAX)) && !(opts & (RET_ALL | RET_COUNT))) {
		/* the messages MIN and MAX name: for SORT the first and last
		 * in sort order (RFC 5267 3) */
		if (sorted) {
			hi = n - 1;
		} else {
			for (k = 1; k < n; k++) {
				if (S.v[idx[k]].uid < S.v[idx[lo]].uid) lo = k;
				if (S.v[idx[k]].uid > S.v[idx[hi]].uid) hi = k;
			}
		}
		if (!(saved = malloc(2 * sizeof *saved))) return;
		if (opts & RET_MIN) saved[nsaved++] = S.v[idx[lo]].uid;
		if ((opts & RET_MAX) && !(nsaved && saved[0] == S.v[idx[hi]].uid)) saved[nsaved++] = S.v[idx[hi]].uid;
	} else {
		if (!(saved = malloc(n * sizeof *saved))) return;
		for (k = 0; k < n; k++) saved[nsaved++] = S.v[idx[k]].uid;
	}
	qsort(saved, nsaved, sizeof *saved, uid_cmp);
}

int search_return(const struct imap_arg **a, unsigned *opts)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{"MIN", RET_MIN}, {"MAX", RET_MAX}, {"ALL", RET_ALL}, {"COUNT", RET_COUNT}, {"SAVE", RET_SAVE},
	};
	const struct imap_arg *o;
	*opts = 0;
	if (!*a || !imap_arg_atom_is(*a, "RETURN")) return 0;
	if (!(*a)->next || (*a)->next->type != IMAP_LIST) { reply(R_BAD_SYNTAX, "RETURN needs a list of options"); return -1; }
	for (o = (*a)->next->list; o; o = o->next) {
		unsigned k;
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (imap_arg_atom_is(o, names[k].name)) break;
		if (k == sizeof names / sizeof names[0]) { reply(R_BAD_SYNTAX, "unknown RETURN option"); return -1; }
		*opts |= names[k].bit;
	}
	/* RFC 4731 3.1: "RETURN ()" is "RETURN (ALL)" */
	if (!*opts) *opts = RET_ALL;
	*a = (*a)->next->next;
	return 0;
}

static uint32_t number(unsigned long i) { return S.uid ? S.v[i].uid : (uint32_t)(i + 1); }

void search_result(const unsigned long *idx, unsigned long n, unsigned opts, int sorted, uint64_t modseq)
{
	unsigned long k, lo = 0, hi = 0;

	if (opts & RET_SAVE) save(idx, n, opts, sorted);
	/* RFC 5182 2.1: SAVE alone answers nothing but the tagged OK */
	if (!(opts & ~RET_SAVE)) return;
	out("* ESEARCH (TAG ");
	out_string(S.cmd.tag, strlen(S.cmd.tag));
	out(")");
	if (S.uid) out(" UID");
	if (sorted) hi = n ? n - 1 : 0;     /* ESORT: MIN and MAX are first and last in sort order */
	else
		for (k = 1; k < n; k++) {
			if (number(idx[k]) < number(idx[lo])) lo = k;
			if (number(idx[k]) > number(idx[hi])) hi = k;
		}
	if (n && (opts & RET_MIN)) outf(" MIN %lu", (unsigned long)number(idx[lo]));
	if (n && (opts & RET_MAX)) outf(" MAX %lu", (unsigned long)number(idx[hi]));
	if (n && (opts & RET_ALL)) {
		/* ranges only where the numbers run up by one, so a sorted
		 * list keeps its order (RFC 5267 3) */
		out(" ALL ");
		for (k = 0; k < n;) {
			unsigned long e = k;
			while (e + 1 < n && number(idx[e + 1]) == number(idx[e]) + 1) e++;
			if (k) out(",");
			if (e > k) outf("%lu:%lu", (unsigned long)number(idx[k]), (unsigned long)number(idx[e]));
			else outf("%lu", (unsigned long)number(idx[k]));
			k = e + 1;
		}
	}
	if (opts & RET_COUNT) outf(" COUNT %lu", n);
	if (modseq) outf(" MODSEQ %llu", (unsigned long long)modseq);   /* RFC 7162 3.1.5 */
	out("\r\n");
}

/* SEARCH [RETURN (...)] [CHARSET x] keys (RFC 3501 6.4.4, RFC 4731 3.1). */
void do_search(void)
{
	const struct imap_arg *a = S.args;
	unsigned opts, j;
	unsigned long i, n = 0, *idx;
	uint64_t top = 0;
	int has_modseq;

	if (search_return(&a, &opts) < 0) return;
	if (a && imap_arg_atom_is(a, "CHARSET")) {
		const struct imap_arg *cs = a->next;
		if (!imap_arg_string(cs)) { reply(R_BAD_ARGS); return; }
		/* RFC 6855 3 (erratum 4029): after ENABLE UTF8=ACCEPT a charset
		 * conflicts with the UTF-8 the client promised */
		if (S.enabled & EN_UTF8) {
			if (opts & RET_SAVE) searchres_reset();
			reply(R_BAD_SYNTAX, "no CHARSET after ENABLE UTF8=ACCEPT");
			return;
		}
		if (strcasecmp(cs->s, "UTF-8") && strcasecmp(cs->s, "US-ASCII")) {
			if (opts & RET_SAVE) searchres_reset();
			reply(R_NO_CHARSET);
			return;
		}
		a = cs->next;
	}
	if (search_program(a) < 0) {
		if (opts & RET_SAVE) searchres_reset();    /* RFC 5182 2.1 */
		return;
	}
	if (!(idx = malloc((S.nv ? S.nv : 1) * sizeof *idx))) {
		search_end();
		reply(R_NO_LIMIT, "out of memory");
		return;
	}
	for (j = 0; j < nnodes && nodes[j].key != K_MODSEQ; j++) {}
	has_modseq = j < nnodes;
	for (i = 0; i < S.nv && !S.dead; i++)
		if (search_match(i)) {
			idx[n++] = i;
			if (view_modseq(i) > top) top = view_modseq(i);
		}
	search_end();
	/* RFC 7162 3.1.5: with a MODSEQ key, the highest modseq of the
	 * matches (when any) */
	if (!has_modseq) top = 0;
	if (opts) {
		search_result(idx, n, opts, 0, top);
	} else {
		out("* SEARCH");
		for (i = 0; i < n; i++) outf(" %lu", (unsigned long)number(idx[i]));
		if (top) outf(" (MODSEQ %llu)", (unsigned long long)top);
		out("\r\n");
	}
	free(idx);
	reply(R_OK_SEARCH);
}
