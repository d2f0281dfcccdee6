/*
 * The selected folder: SELECT, EXAMINE, CLOSE, UNSELECT, CHECK, and the
 * view, which is the folder as the client knows it (message numbers,
 * flags it was told, \Recent).
 *
 * The view changes only when we tell the client: new messages are
 * appended with "* N EXISTS", expunged ones leave with "* n EXPUNGE"
 * (RFC 3501 7.4.1: never during FETCH, STORE or SEARCH, so a message that
 * went meanwhile stays in the view as "gone" until a later command), and
 * flags changed by another session or program come as "* n FETCH
 * (FLAGS ...)".  view_refresh runs before each command: it brings the
 * store in step with the disk and marks what changed (gone, dirty) so the
 * command acts on the current folder, telling the client nothing.
 * view_update runs before every tagged response and whenever IDLE wakes,
 * and tells: EXPUNGEs (descending), a new FLAGS list when keywords
 * appeared, FETCH FLAGS, EXISTS, RECENT.  Both read the disk only when a
 * directory or the UID list changed (store_sync).
 *
 * CONDSTORE and QRESYNC (RFC 7162): every SELECT and EXAMINE reports
 * [HIGHESTMODSEQ n] (the index always has mod-sequences, so never
 * [NOMODSEQ]); SELECT (CONDSTORE) enables CONDSTORE, SELECT (QRESYNC
 * (validity modseq [known-uids [seq-match]])) answers VANISHED (EARLIER)
 * and the FETCH of every message changed since; once QRESYNC is enabled,
 * expunges go out as "* VANISHED uid-set" and unsolicited FETCHes carry
 * UID and MODSEQ.  A SELECT that replaces a selected folder sends
 * [CLOSED] first (3.2.11).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exitcode.h"
#include "commands.h"
#include "condstore.h"
#include "mailbox.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "log.h"
#include "search.h"

long view_store(unsigned long i)
{
	if (i >= S.nv || S.v[i].gone) return -1;
	return store_find(&S.st, S.v[i].uid);
}

static int view_grow(unsigned long n)
{
	if (n > S.vcap) {
		unsigned long cap = S.vcap ? S.vcap : 256;
		struct vmsg *v;
		while (cap < n) cap *= 2;
		v = realloc(S.v, cap * sizeof *v);
		if (!v) return -1;
		S.v = v;
		S.vcap = cap;
	}
	return 0;
}

void view_close(void)
{
	searchres_reset();      /* RFC 5182 2.1: $ does not outlive the folder */
	store_free(&S.st);
	free(S.v);
	S.v = 0;
	S.nv = S.vcap = 0;
	S.told_exists = S.told_recent = 0;
	S.told_kw = 0;
	S.view_gen = 0;
	S.mailbox[0] = 0;
}

static unsigned long count_recent(void)
{
	unsigned long i, r = 0;
	for (i = 0; i < S.nv; i++) r += S.v[i].recent;
	return r;
}

static void flag_list(void)
{
	unsigned i;
	out("(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < S.st.kw.n; i++) outf(" %s", S.st.kw.name[i]);
}

/* Marks what another session or program changed since the view last
 * looked: gone messages and flags the client has not been told. */
static void view_diff(void)
{
	unsigned long i;
	for (i = 0; i < S.nv; i++) {
		long j;
		if (S.v[i].gone) continue;
		j = store_find(&S.st, S.v[i].uid);
		if (j < 0) S.v[i].gone = 1;
		else if (S.st.m[j].flags != S.v[i].flags) S.v[i].dirty = 1;
	}
	S.view_gen = S.st.gen;
}

void view_refresh(void)
{
	if (!S.st.synced) return;
	if (store_sync(&S.st, 0) < 0) {
		if (errno == ENOENT) {
			untagged(R_BYE_GONE);
			session_end("mailbox-gone", EXIT_DONE);
		}
		log_error("sync", S.mailbox);
		return;
	}
	if (S.st.gen != S.view_gen) view_diff();
}

/* RFC 3501 7.2.6: the FLAGS list before any response that shows a
 * keyword the client was not told of; keywords only ever get added. */
void flags_announce(void)
{
	if (S.st.kw.n == S.told_kw) return;
	out("* FLAGS ");
	flag_list();
	out(")\r\n");
	if (!S.readonly) {
		out("* OK [PERMANENTFLAGS ");
		flag_list();
		out(S.st.kw.n < STORE_KEYWORDS_MAX ? " \\*)] flags permitted\r\n" : ")] flags permitted\r\n");
	}
	S.told_kw = S.st.kw.n;
}

void view_update(int allow_expunge)
{
	unsigned long i, k;
	uint32_t last;

	if (!S.st.synced) return;
	view_refresh();
	/* new messages: UIDs above the last the view holds (ascending in
	 * the store, so they are at its end) */
	last = S.nv ? S.v[S.nv - 1].uid : 0;
	k = S.st.n;
	while (k > 0 && S.st.m[k - 1].uid > last) k--;
	for (; k < S.st.n; k++) {
		if (view_grow(S.nv + 1) < 0) break;
		memset(&S.v[S.nv], 0, sizeof S.v[S.nv]);
		S.v[S.nv].uid = S.st.m[k].uid;
		S.v[S.nv].flags = S.st.m[k].flags;
		S.v[S.nv].recent = S.st.m[k].recent;
		S.nv++;
	}
	if (allow_expunge) {
		unsigned long o;
		int any = 0;
		struct idset gone = {0};
		if (qresync_on()) {
			/* RFC 7162 3.2.10: one VANISHED of UIDs, not an EXPUNGE each */
			for (i = 0; i < S.nv; i++)
				if (S.v[i].gone && i < S.told_exists) idset_add(&gone, S.v[i].uid, S.v[i].uid);
			{
				const char *t = idset_text(&gone);
				if (*t) outf("* VANISHED %s\r\n", t);
			}
			idset_free(&gone);
		}
		/* descending, so each number is the one the client knows */
		for (i = S.nv; i-- > 0;)
			if (S.v[i].gone) {
				if (!qresync_on()) outf("* %lu EXPUNGE\r\n", i + 1);
				if (i < S.told_exists) {
					S.told_exists--;
					/* the client drops its \Recent with it */
					if (S.v[i].recent && S.told_recent) S.told_recent--;
				}
				any = 1;
			}
		if (any) {
			for (i = 0, o = 0; i < S.nv; i++)
				if (!S.v[i].gone) S.v[o++] = S.v[i];
			S.nv = o;
		}
	}
	flags_announce();
	for (i = 0; i < S.nv; i++) {
		long j;
		if (!S.v[i].dirty || S.v[i].gone) continue;
		S.v[i].dirty = 0;
		if ((j = store_find(&S.st, S.v[i].uid)) < 0) continue;
		S.v[i].flags = S.st.m[j].flags;
		/* new messages are told by EXISTS; their flags come when asked */
		if (i >= S.told_exists) continue;
		outf("* %lu FETCH (", i + 1);
		if (qresync_on()) outf("UID %lu ", (unsigned long)S.v[i].uid);
		out("FLAGS ");
		out_flags(S.v[i].flags, S.v[i].recent);
		if (condstore_on()) outf(" MODSEQ (%llu)", (unsigned long long)S.st.m[j].modseq);
		out(")\r\n");
	}
	if (S.nv > S.told_exists) {
		outf("* %lu EXISTS\r\n", S.nv);
		S.told_exists = S.nv;
	}
	if (count_recent() != S.told_recent) {
		S.told_recent = count_recent();
		outf("* %lu RECENT\r\n", S.told_recent);
	}
}

void view_expunged(unsigned long seq)
{
	/* told by view_update before the tagged reply, in one descending run
	 * with the expunges of other sessions */
	if (seq && seq <= S.nv) S.v[seq - 1].gone = 1;
}

int view_set(const char *text, struct imapseq *seq, int uid)
{
	/* RFC 5182: "$" is the result the last SEARCH RETURN (SAVE) saved */
	if (!strcmp(text, "$")) {
		if (searchres_set(seq, uid) < 0) { reply(R_NO_LIMIT, "out of memory"); return -1; }
		return 0;
	}
	if (imapseq_parse(seq, text) < 0) { reply(R_BAD_SEQ); return -1; }
	if (uid) {
		imapseq_resolve(seq, S.nv ? S.v[S.nv - 1].uid : 0);
	} else {
		/* RFC 3501 9: a message number beyond the mailbox is an error */
		if (seq->top > S.nv || (seq->star && !S.nv)) { reply(R_BAD_SEQ); return -1; }
		imapseq_resolve(seq, (uint32_t)S.nv);
	}
	return 0;
}

int view_in(const struct imapseq *seq, unsigned long i, int uid)
{
	return imapseq_has(seq, uid ? S.v[i].uid : (uint32_t)(i + 1));
}


/* The parameters of SELECT and EXAMINE (RFC 7162 3.1.8, 3.2.5):
 * (CONDSTORE) or (QRESYNC (validity modseq [known-uids [(seqs uids)]])). */
struct qresync {
	int on;
	uint32_t validity;
	uint64_t modseq;
	const char *known;       /* known-uids, or null */
};

static int select_params(const struct imap_arg *a, struct qresync *q)
{
	memset(q, 0, sizeof *q);
	if (!a) return 0;
	if (a->type != IMAP_LIST || !a->len) return -1;
	for (a = a->list; a; a = a->next) {
		if (imap_arg_atom_is(a, "CONDSTORE")) {
			condstore_enable();
		} else if (imap_arg_atom_is(a, "QRESYNC") && !q->on && a->next && a->next->type == IMAP_LIST) {
			const struct imap_arg *p = a->next->list, *m = p ? p->next : 0, *k = m ? m->next : 0;
			struct imapseq t = {0};
			a = a->next;
			if (!p || p->type != IMAP_ATOM || imap_nz_number(p->s, p->len, &q->validity) < 0) return -1;
			if (modseq_parse(m, &q->modseq, 0) < 0) return -1;
			if (k) {
				const struct imap_arg *sm = k->type == IMAP_LIST ? k : k->next;
				if (k->type == IMAP_ATOM) {
					/* known-uids: a UID set without "*" (RFC 7162 7) */
					if (strchr(k->s, '*') || imapseq_parse(&t, k->s) < 0) { imapseq_free(&t); return -1; }
					imapseq_free(&t);
					q->known = k->s;
				} else sm = k;
				if (sm) {
					/* seq-match-data: checked, not needed (our record of
					 * expunges answers without it) */
					const struct imap_arg *s1 = sm->type == IMAP_LIST && sm->len == 2 ? sm->list : 0;
					if (!s1 || s1->type != IMAP_ATOM || s1->next->type != IMAP_ATOM || sm->next) return -1;
					if (imapseq_parse(&t, s1->s) < 0 || (imapseq_free(&t), imapseq_parse(&t, s1->next->s) < 0)) {
						imapseq_free(&t);
						return -1;
					}
					imapseq_free(&t);
				}
			}
			q->on = 1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* RFC 7162 3.2.5: what changed since the client's last look, when its
 * UIDVALIDITY is still the folder's. */
static void qresync_report(const struct qresync *q)
{
	struct imapseq known = {0};
	uint32_t last = S.st.ul.next > 1 ? S.st.ul.next - 1 : 0;
	unsigned long i;

	if (q->validity != S.st.ul.validity) return;
	if (q->known && imapseq_parse(&known, q->known) == 0) imapseq_resolve(&known, last);
	vanished_earlier(q->known ? &known : 0, q->modseq);
	for (i = 0; i < S.nv; i++) {
		uint64_t ms = view_modseq(i);
		if (ms <= q->modseq) continue;
		if (q->known && !imapseq_has(&known, S.v[i].uid)) continue;
		outf("* %lu FETCH (UID %lu FLAGS ", i + 1, (unsigned long)S.v[i].uid);
		out_flags(S.v[i].flags, S.v[i].recent);
		outf(" MODSEQ (%llu))\r\n", (unsigned long long)ms);
	}
	imapseq_free(&known);
}

static void select_common(int readonly)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	unsigned long i, unseen = 0;
	struct qresync q;

	if ((S.nargs != 1 && S.nargs != 2) || !imap_arg_string(S.args)) { reply(R_BAD_ARGS); return; }
	if (select_params(S.nargs == 2 ? S.args->next : 0, &q) < 0) { reply(R_BAD_SYNTAX, "invalid SELECT parameters"); return; }
	/* RFC 7162 3.2.5: QRESYNC without ENABLE QRESYNC is an error */
	if (q.on && !qresync_on()) { reply(R_BAD_SYNTAX, "QRESYNC is not enabled"); return; }
	if (S.state == ST_SELECTED) {
		view_close();
		S.state = ST_AUTH;
		/* RFC 7162 3.2.11: what follows is the new folder's (for a
		 * QRESYNC client, to which it matters which folder a VANISHED
		 * or FETCH belongs) */
		if (qresync_on()) out("* OK [CLOSED] previous mailbox closed\r\n");
	}
	mailbox_canon(S.args->s, name, sizeof name);
	if (strlen(S.args->s) != S.args->len || mailbox_dir(name, dir, sizeof dir) < 0 || !mailbox_exists(dir)) {
		reply(R_NO_NOMAILBOX);
		return;
	}
	if (store_open(&S.st, dir) < 0 || (S.st.claim = !readonly, store_sync(&S.st, 1) < 0)) {
		log_error("select", name);
		reply(R_NO_CANNOT, readonly ? "EXAMINE" : "SELECT", strerror(errno));
		store_free(&S.st);
		return;
	}
	if (view_grow(S.st.n + 1) < 0) {
		reply(R_NO_LIMIT, "out of memory");
		store_free(&S.st);
		return;
	}
	for (i = 0; i < S.st.n; i++) {
		memset(&S.v[i], 0, sizeof S.v[i]);
		S.v[i].uid = S.st.m[i].uid;
		S.v[i].flags = S.st.m[i].flags;
		S.v[i].recent = S.st.m[i].recent;
		if (!unseen && !(S.v[i].flags & STORE_SEEN)) unseen = i + 1;
	}
	S.nv = S.st.n;
	snprintf(S.mailbox, sizeof S.mailbox, "%s", name);
	S.readonly = readonly;
	S.told_exists = S.nv;
	S.told_recent = count_recent();
	S.told_kw = S.st.kw.n;
	S.view_gen = S.st.gen;
	out("* FLAGS ");
	flag_list();
	out(")\r\n* OK [PERMANENTFLAGS ");
	if (readonly) out("()");
	else {
		flag_list();
		out(S.st.kw.n < STORE_KEYWORDS_MAX ? " \\*)" : ")");
	}
	out("] flags permitted\r\n");
	outf("* %lu EXISTS\r\n* %lu RECENT\r\n", S.nv, S.told_recent);
	if (unseen) outf("* OK [UNSEEN %lu] first unseen\r\n", unseen);
	outf("* OK [UIDVALIDITY %lu] UIDs valid\r\n* OK [UIDNEXT %lu] predicted next UID\r\n",
	     (unsigned long)S.st.ul.validity, (unsigned long)S.st.ul.next);
	outf("* OK [HIGHESTMODSEQ %llu] highest\r\n", (unsigned long long)store_highestmodseq(&S.st));
	if (q.on) qresync_report(&q);
	S.state = ST_SELECTED;
	reply(readonly ? R_OK_SELECT_RO : R_OK_SELECT_RW, readonly ? "EXAMINE" : "SELECT");
}

void do_select(void) { select_common(0); }
void do_examine(void) { select_common(1); }

void do_check(void)
{
	if (S.nargs) { reply(R_BAD_ARGS); return; }
	/* a full listing, whatever the mtimes say; reply() reports it */
	if (store_sync(&S.st, 1) < 0 && errno != ENOENT) log_error("check", S.mailbox);
	reply(R_OK_CHECK);
}

void do_unselect(void)
{
	if (S.nargs) { reply(R_BAD_ARGS); return; }
	view_close();
	S.state = ST_AUTH;
	reply(R_OK_UNSELECT);
}

/* RFC 3501 6.4.2: CLOSE expunges silently (not when read-only). */
void do_close(void)
{
	unsigned long i;

	if (S.nargs) { reply(R_BAD_ARGS); return; }
	if (!S.readonly) {
		if (store_begin(&S.st) < 0) log_error("close", S.mailbox);
		for (i = 0; i < S.nv; i++) {
			long k = view_store(i);
			if (k >= 0 && (S.st.m[k].flags & STORE_DELETED) && store_remove(&S.st, (unsigned long)k) == 0)
				S.expunged++;
		}
		if (store_commit(&S.st) < 0) log_error("close", S.mailbox);
	}
	view_close();
	S.state = ST_AUTH;
	reply(R_OK_CLOSE);
}

int parse_flags(const struct imap_arg *a, uint32_t *sys, const char **kw, unsigned *nkw, int *recent_ok)
{
	static const struct { const char *name; uint32_t bit; } sysf[] = {
		{"\\Seen", STORE_SEEN}, {"\\Answered", STORE_ANSWERED}, {"\\Flagged", STORE_FLAGGED},
		{"\\Deleted", STORE_DELETED}, {"\\Draft", STORE_DRAFT},
	};
	const struct imap_arg *e = a->type == IMAP_LIST ? a->list : a;

	*sys = 0;
	*nkw = 0;
	for (; e; e = a->type == IMAP_LIST ? e->next : 0) {
		unsigned i;
		int found = 0;
		if (e->type != IMAP_ATOM) return -1;
		for (i = 0; i < sizeof sysf / sizeof sysf[0]; i++)
			if (imap_arg_atom_is(e, sysf[i].name)) { *sys |= sysf[i].bit; found = 1; }
		if (found) continue;
		if (imap_arg_atom_is(e, "\\Recent") && recent_ok) continue;
		if (e->s[0] == '\\') return -1;
		for (i = 0; i < e->len; i++)
			if (strchr("(){]%*\"\\", e->s[i])) return -1;
		if (e->len > STORE_KEYWORD_LEN) return -1;
		if (*nkw < STORE_KEYWORDS_MAX) kw[(*nkw)++] = e->s;
	}
	return 0;
}
