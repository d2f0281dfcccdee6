/*
 * Changing messages: STORE (RFC 3501 6.4.6), EXPUNGE and UID EXPUNGE
 * (RFC 4315), COPY with COPYUID (RFC 4315), MOVE (RFC 6851).
 *
 * STORE renames each file to its new ":2," flags; keywords new to the
 * folder are added to its keywords file first (at most 26: beyond that,
 * NO [LIMIT]).  COPY hard-links each file into the target's cur/ under a
 * new unique name (a copy when links are refused), MOVE renames it there;
 * both give the new messages their UIDs in one pass under the target's
 * UID list lock, so COPYUID can name them.
 * CONDSTORE (RFC 7162 3.1.3): STORE set (UNCHANGEDSINCE n) changes only
 * the messages whose MODSEQ is at most n and names the others in
 * [MODIFIED set]; the test and the changes are made under the UID list
 * lock, which every writer of modseqs holds (imapstore.h), so no change
 * by another session slips in between.  Every change gets a modseq and
 * the FETCH responses show it once CONDSTORE is on.
 * Each of them may be a lesson for the spam classifier (learn.h): the job
 * is written as the message changes, and posthorn-learn started after the
 * tagged reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "commands.h"
#include "condstore.h"
#include "learn.h"
#include "mailbox.h"
#include "reply.h"
#include "session.h"
#include "storage.h"
#include "view.h"
#include "log.h"

/* Bytes of a COPYUID code that COPY's tagged OK carries: reply() formats
 * one line into 4096 bytes (reply.c), "OK ... COPY completed" included. */
#define COPYUID_REPLY_MAX 4000

/* RFC 3501 6.4.6.  A message another session expunged is skipped and the
 * STORE still answers OK (its EXPUNGE comes later); the change is applied
 * to the flags the file has now, so a concurrent change by another session
 * to other flags is kept, and the client is told the result. */
void do_store(void)
{
	struct imapseq seq = {0};
	const struct imap_arg *set = S.args, *item = set ? set->next : 0, *fl = item ? item->next : 0, *mod = 0;
	const char *kw[STORE_KEYWORDS_MAX];
	unsigned nkw, j;
	uint32_t sys, kwbits = 0, add, del;
	int mode, silent, cond = 0;
	unsigned long i;
	const char *it;
	char path[2048];
	enum learn_kind lesson;
	uint64_t unchanged = 0;
	struct idset modified = {0};

	if (S.nargs == 4 && item && item->type == IMAP_LIST) {
		/* RFC 7162 3.1.3: STORE set (UNCHANGEDSINCE n) item flags */
		mod = item;
		item = fl;
		fl = item->next;
		if (mod->len != 2 || !imap_arg_atom_is(mod->list, "UNCHANGEDSINCE") ||
		    modseq_parse(mod->list->next, &unchanged, 1) < 0) {
			reply(R_BAD_SYNTAX, "invalid STORE modifier");
			return;
		}
		cond = 1;
	} else if (S.nargs != 3) {
		reply(R_BAD_ARGS);
		return;
	}
	if (set->type != IMAP_ATOM || item->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	it = item->s;
	mode = *it == '+' ? 1 : *it == '-' ? -1 : 0;
	if (mode) it++;
	if (!strncasecmp(it, "FLAGS", 5) && (!it[5] || !strcasecmp(it + 5, ".SILENT"))) silent = it[5] != 0;
	else { reply(R_BAD_ARGS); return; }
	if (parse_flags(fl, &sys, kw, &nkw, &(int){1}) < 0) { reply(R_BAD_SYNTAX, "invalid flag"); return; }
	if (view_set(set->s, &seq, S.uid) < 0) { imapseq_free(&seq); return; }
	if (S.readonly) { reply(R_NO_READONLY); imapseq_free(&seq); return; }
	for (j = 0; j < nkw; j++) {
		int k = store_keyword(&S.st, kw[j], mode >= 0);
		if (k < 0 && mode >= 0) {
			if (errno == ENOSPC) { reply(R_NO_KEYWORDS); imapseq_free(&seq); return; }
			reply(R_BAD_SYNTAX, "invalid keyword");
			imapseq_free(&seq);
			return;
		}
		if (k >= 0) kwbits |= STORE_KW(k);
	}
	add = mode >= 0 ? sys | kwbits : 0;
	del = mode > 0 ? 0 : mode < 0 ? sys | kwbits : ~0u;
	if (cond) condstore_enable();
	flags_announce();
	/* one index write for the whole STORE; UNCHANGEDSINCE reads the
	 * modseqs as of the lock */
	if (store_begin(&S.st) < 0) {
		log_error("store", S.mailbox);
		if (cond) { reply(R_NO_CANNOT, "STORE", strerror(errno)); imapseq_free(&seq); return; }
	}
	for (i = 0; i < S.nv; i++) {
		long k;
		uint32_t before, want;
		int changed = 0;
		if (!view_in(&seq, i, S.uid)) continue;
		if ((k = view_store(i)) < 0) continue;
		if (cond && S.st.m[k].modseq > unchanged) {
			idset_add(&modified, S.uid ? S.v[i].uid : (uint32_t)(i + 1), S.uid ? S.v[i].uid : (uint32_t)(i + 1));
			continue;
		}
		before = S.st.m[k].flags;
		/* what the client expects, from what it was told */
		want = (S.v[i].flags & ~del) | add;
		if (((before & ~del) | add) != before) {
			int r = store_setflags(&S.st, (unsigned long)k, add, del);
			if (r < 0) { log_error("store", S.mailbox); continue; }
			if (r > 0) continue;
			S.stored++;
			changed = 1;
			/* a junk keyword newly set, by +FLAGS or FLAGS */
			lesson = learn_for_flags(&S.st, before, S.st.m[k].flags);
			if (lesson != LEARN_NONE && store_path(&S.st, (unsigned long)k, path, sizeof path) == 0)
				learn_job(path, lesson);
		}
		S.v[i].flags = S.st.m[k].flags;
		S.v[i].dirty = 0;
		/* .SILENT: only when the result is not what the client expects
		 * (another session changed other flags; RFC 3501 6.4.6) */
		if (!silent || S.v[i].flags != want) {
			outf("* %lu FETCH (FLAGS ", i + 1);
			out_flags(S.v[i].flags, S.v[i].recent);
			if (S.uid || qresync_on()) outf(" UID %lu", (unsigned long)S.v[i].uid);
			if (condstore_on()) outf(" MODSEQ (%llu)", (unsigned long long)S.st.m[k].modseq);
			out(")\r\n");
		} else if (changed && condstore_on()) {
			/* RFC 7162 3.1.3: .SILENT still tells the new modseq */
			outf("* %lu FETCH (", i + 1);
			if (S.uid || qresync_on()) outf("UID %lu ", (unsigned long)S.v[i].uid);
			outf("MODSEQ (%llu))\r\n", (unsigned long long)S.st.m[k].modseq);
		}
	}
	if (store_commit(&S.st) < 0) log_error("store", S.mailbox);
	imapseq_free(&seq);
	{
		const char *t = idset_text(&modified);
		if (*t) reply(R_OK_STORE_MODIFIED, t);
		else reply(R_OK_STORE);
	}
	idset_free(&modified);
}

static void expunge(const struct imapseq *seq)
{
	unsigned long i;

	if (S.readonly) { reply(R_NO_READONLY); return; }
	/* the expunges go to the index in one write (RFC 7162 3.2: each with a modseq) */
	if (store_begin(&S.st) < 0) log_error("expunge", S.mailbox);
	for (i = S.nv; i-- > 0;) {
		long k = view_store(i);
		if (k < 0 || !(S.st.m[k].flags & STORE_DELETED)) continue;
		if (seq && !view_in(seq, i, 1)) continue;
		if (store_remove(&S.st, (unsigned long)k) < 0) { log_error("expunge", S.mailbox); continue; }
		S.expunged++;
		view_expunged(i + 1);
	}
	if (store_commit(&S.st) < 0) log_error("expunge", S.mailbox);
	reply(R_OK_EXPUNGE);
}

void do_expunge(void)
{
	struct imapseq seq = {0};

	if (!S.uid) {
		if (S.nargs) { reply(R_BAD_ARGS); return; }
		expunge(0);
		return;
	}
	if (S.nargs != 1 || S.args->type != IMAP_ATOM) { reply(R_BAD_ARGS); return; }
	if (view_set(S.args->s, &seq, 1) < 0) { imapseq_free(&seq); return; }
	expunge(&seq);
	imapseq_free(&seq);
}

/* Appends uid to a compact UID set text ("1:3,7"). */
static int set_add(stralloc *sa, uint32_t *last, uint32_t *runstart, uint32_t uid, int flush)
{
	char num[32];   /* fits: a comma and two 10-digit numbers */
	if (!flush && *last && uid == *last + 1) { *last = uid; return 0; }
	if (*last) {
		if (*runstart != *last) snprintf(num, sizeof num, "%s%lu:%lu", sa->len ? "," : "", (unsigned long)*runstart,
						 (unsigned long)*last);
		else snprintf(num, sizeof num, "%s%lu", sa->len ? "," : "", (unsigned long)*last);
		if (!stralloc_cats(sa, num)) return -1;
	}
	*runstart = *last = uid;
	return 0;
}

/* Adds message k of the selected folder to a (by rename for MOVE, by
 * link for COPY), with lesson's job written first: after a MOVE the
 * message's old name is gone.  The job is removed again when the add
 * fails.  0, or -1 with errno. */
static int add_one(struct store_adder *a, unsigned long k, int move, const char *const *kw, unsigned nkw,
		   enum learn_kind lesson, uint32_t *uid)
{
	char path[2048];
	int taught, e;

	if (store_path(&S.st, k, path, sizeof path) < 0) return -1;
	taught = learn_job(path, lesson);
	if (store_add(a, path, move ? STORE_ADD_RENAME : STORE_ADD_LINK, S.st.m[k].flags & STORE_SYSTEM, kw, nkw, 0,
		      uid) == 0)
		return 0;
	e = errno;
	if (taught) learn_cancel();
	errno = e;
	return -1;
}

static void copy_or_move(int move)
{
	struct imapseq seq = {0};
	struct store_adder a;
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8], src_dir[IMAP_MAILBOX_MAX + 8];
	stralloc src = {0}, dst = {0};
	uint32_t sl = 0, ss = 0, dl = 0, ds = 0;
	unsigned long i, done = 0, *moved = 0, nmoved = 0;
	uint32_t validity;
	int failed = 0;
	enum learn_kind lesson;

	if (S.nargs != 2 || S.args->type != IMAP_ATOM || !imap_arg_string(S.args->next)) { reply(R_BAD_ARGS); return; }
	if (view_set(S.args->s, &seq, S.uid) < 0) { imapseq_free(&seq); return; }
	if (move && S.readonly) { reply(R_NO_READONLY); imapseq_free(&seq); return; }
	mailbox_canon(S.args->next->s, name, sizeof name);
	/* TRYCREATE only where a CREATE could help (RFC 3501 6.4.7) */
	if (mailbox_dir(name, dir, sizeof dir) < 0 || !mailbox_exists(dir)) {
		reply(mailbox_dir(name, dir, sizeof dir) < 0 ? R_NO_BADNAME : R_NO_TRYCREATE);
		imapseq_free(&seq);
		return;
	}
	/* RFC 9208 4.3.4: a COPY that would go over the quota stores nothing;
	 * a MOVE adds nothing to a Maildir++ quota */
	if (!move && quota_limit()) {
		unsigned long long bytes = 0;
		long k;
		for (i = 0; i < S.nv; i++)
			if (view_in(&seq, i, S.uid) && (k = view_store(i)) >= 0) bytes += msg_bytes(&S.st, (unsigned long)k);
		if (quota_refuses(bytes)) { imapseq_free(&seq); return; }
	}
	/* into the junk folder: spam; out of it: ham (learn.h) */
	lesson = mailbox_dir(S.mailbox, src_dir, sizeof src_dir) < 0 ? LEARN_NONE : learn_for_copy(src_dir, dir);
	if (move && !(moved = calloc(S.nv + 1, sizeof *moved))) { reply(R_NO_LIMIT, "out of memory"); imapseq_free(&seq); return; }
	if (store_add_begin(&a, dir) < 0) {
		log_error("copy", name);
		reply(R_NO_CANNOT, move ? "MOVE" : "COPY", strerror(errno));
		imapseq_free(&seq);
		free(moved);
		return;
	}
	for (i = 0; i < S.nv; i++) {
		long k;
		uint32_t uid;
		const char *kw[STORE_KEYWORDS_MAX];
		unsigned nkw = 0, j;
		if (!view_in(&seq, i, S.uid)) continue;
		if ((k = view_store(i)) < 0) continue;
		for (j = 0; j < S.st.kw.n; j++)
			if (S.st.m[k].flags & STORE_KW(j)) kw[nkw++] = S.st.kw.name[j];
		if (add_one(&a, (unsigned long)k, move, kw, nkw, lesson, &uid) < 0) {
			/* renamed by someone else meanwhile: look again, once */
			int fd = store_open_msg(&S.st, (unsigned long)k);
			if (fd >= 0) close(fd);
			if (fd < 0 || add_one(&a, (unsigned long)k, move, kw, nkw, lesson, &uid) < 0) {
				if (fd < 0 && errno == ENOENT) continue;
				log_error(move ? "move" : "copy", name);
				failed = 1;
				break;
			}
		}
		done++;
		if (!move && quota_limit()) quota_note(msg_bytes(&S.st, (unsigned long)k));
		if (set_add(&src, &sl, &ss, S.v[i].uid, 0) < 0 || set_add(&dst, &dl, &ds, uid, 0) < 0) failed = 1;
		if (move) moved[nmoved++] = i + 1;
	}
	set_add(&src, &sl, &ss, 0, 1);
	set_add(&dst, &dl, &ds, 0, 1);
	validity = a.ul.validity;
	if (store_add_end(&a) < 0) { log_error("copy", name); failed = 1; }
	if (failed && !move) {
		reply(R_NO_CANNOT, "COPY", strerror(errno));
	} else if (!done) {
		/* nothing left to copy: the messages were expunged meanwhile,
		 * which is not the client's error (RFC 2180 4.4.1 allows NO;
		 * clients treat NO as a failure and resync) */
		if (move) reply(R_OK_MOVE);
		else reply(R_OK_COPY, "", "COPY");
	} else {
		/* "[COPYUID validity src dst]" (RFC 4315 3): its sets can be
		 * kilobytes long, so it is built whole and never cut short */
		stralloc code = {0};
		char v[16];
		int have;
		snprintf(v, sizeof v, "%lu ", (unsigned long)validity);   /* fits: a 10-digit number */
		have = stralloc_copys(&code, "[COPYUID ") && stralloc_cats(&code, v) && stralloc_cat(&code, &src) &&
		       stralloc_cats(&code, " ") && stralloc_cat(&code, &dst) && stralloc_cats(&code, "]") &&
		       stralloc_0(&code);
		if (move) {
			/* RFC 6851 4.3: COPYUID in an untagged OK, then the expunges */
			if (have) {
				out("* OK ");
				out(code.s);
				out(" moved\r\n");
			}
			for (i = nmoved; i-- > 0;) view_expunged(moved[i]);
			S.expunged += nmoved;
			if (failed) reply(R_NO_CANNOT, "MOVE", strerror(errno));
			else reply(R_OK_MOVE);
		} else if (have && code.len - 1 <= COPYUID_REPLY_MAX) {
			reply(R_OK_COPY, code.s, " COPY");
		} else {
			/* too long for a tagged reply line (or no memory for it):
			 * the copy is done; COPYUID is a recommendation (RFC 4315
			 * 1), and the client finds the new UIDs with a search */
			reply(R_OK_COPY, "", "COPY");
		}
		stralloc_free(&code);
	}
	imapseq_free(&seq);
	stralloc_free(&src);
	stralloc_free(&dst);
	free(moved);
}

void do_copy(void) { copy_or_move(0); }
void do_move(void) { copy_or_move(1); }
