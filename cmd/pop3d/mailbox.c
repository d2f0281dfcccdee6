/*
 * The TRANSACTION and UPDATE states over one Maildir (RFC 1939 sections 5
 * and 6): the mailbox is opened once after login, by the session process
 * that posthorn-mailauth started as the mail owner, under the per-mailbox
 * lock; commands only mark messages; QUIT applies the marks.
 *
 * What QUIT does to the Maildir (the UPDATE state):
 *  - messages marked by DELE are removed;
 *  - every other message listed from new/ moves to cur/ as NAME:2, (or
 *    NAME:2,S when this session retrieved it with RETR), which is what
 *    mutt, Dovecot and Courier do with a message a client has seen; the
 *    unique part of the name, and so its UIDL, does not change;
 *  - new/ and cur/ are fsync'ed.
 * Messages delivered during the session are not in the list and are not
 * touched: the next session sees them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exitcode.h"
#include "log.h"
#include "maillock.h"
#include "mdflags.h"
#include "pop3d.h"
#include "handoff.h"
#include "wire.h"

#define SEND_CHUNK 8192

static void log_error(const char *what, const char *detail)
{
	log_event("error", "user", S.user, "ip", S.ip, "op", what, "error", strerror(errno), "detail", detail,
		  (char *)0);
}

int mailbox_open(const char *maildir)
{
	if (chdir(maildir) < 0) {
		log_error("chdir", maildir);
		return HANDOFF_TEMP;
	}
	S.lockfd = maillock_take(".", POP3_LOCK_NAME);
	if (S.lockfd < 0) {
		if (errno == EWOULDBLOCK) {
			log_event("login-fail", "user", S.user, "ip", S.ip, "method", S.method, "reason", "in-use",
				  (char *)0);
			return HANDOFF_INUSE;
		}
		log_error("lock", maildir);
		return HANDOFF_TEMP;
	}
	if (msglist_scan(&S.ml, ".", POP3_MESSAGES_MAX) < 0) {
		log_error("scan", maildir);
		return HANDOFF_TEMP;
	}
	if (S.ml.left_out) {
		char n[24];   /* a 20-digit number */
		snprintf(n, sizeof n, "%lu", S.ml.left_out);
		log_event("truncated", "user", S.user, "ip", S.ip, "left-out", n, (char *)0);
	}
	S.mark = calloc(S.ml.n ? S.ml.n : 1, 1);
	if (!S.mark) {
		log_error("calloc", maildir);
		return HANDOFF_TEMP;
	}
	return 0;
}

/* ---- argument checks ---- */

/* One message number, naming a message that exists and is not deleted
 * (RFC 1939: a deleted message may not be referred to). */
static int msg_arg(const char *a)
{
	unsigned long n;

	if (pop3cmd_number(a, &n) < 0 || n == 0 || n > S.ml.n) {
		reply(R_NOMSG);
		return -1;
	}
	if (S.mark[n - 1] & MARK_DELETED) {
		reply(R_DELETED, n);
		return -1;
	}
	S.msgno = n - 1;
	return 0;
}

int check_msg(void)
{
	if (S.cmd.nargs != 1) { reply(R_ARGS); return -1; }
	return msg_arg(S.cmd.arg[0]);
}

int check_optmsg(void)
{
	if (S.cmd.nargs > 1) { reply(R_ARGS); return -1; }
	return S.cmd.nargs ? msg_arg(S.cmd.arg[0]) : 0;
}

int check_top(void)
{
	if (S.cmd.nargs != 2) { reply(R_ARGS); return -1; }
	if (pop3cmd_number(S.cmd.arg[1], &S.lines) < 0) { reply(R_ARGS); return -1; }
	return msg_arg(S.cmd.arg[0]);
}

/* ---- commands ---- */

/* The wire size of message i; a message that cannot be read counts as 0
 * octets here (RETR of it then says why). */
static unsigned long long size_of(unsigned long i)
{
	unsigned long long size;

	if (msglist_size(&S.ml, i, &size) == 0) return size;
	log_error("size", msglist_name(&S.ml, i));
	return 0;
}

void do_stat(void)
{
	unsigned long i, n = 0;
	unsigned long long total = 0;

	for (i = 0; i < S.ml.n; i++) {
		if (S.mark[i] & MARK_DELETED) continue;
		n++;
		total += size_of(i);
	}
	reply(R_STAT, n, total);
}

void do_list(void)
{
	unsigned long i, n = 0;

	if (S.cmd.nargs) { reply(R_LIST_ONE, S.msgno + 1, size_of(S.msgno)); return; }
	for (i = 0; i < S.ml.n; i++)
		if (!(S.mark[i] & MARK_DELETED)) n++;
	reply(R_LIST, n);
	for (i = 0; i < S.ml.n; i++)
		if (!(S.mark[i] & MARK_DELETED)) reply(R_LIST_LINE, i + 1, size_of(i));
	reply(R_END);
}

void do_uidl(void)
{
	char uid[MSGLIST_UID_MAX + 1];
	unsigned long i;

	if (S.cmd.nargs) {
		msglist_uid(&S.ml, S.msgno, uid);
		reply(R_UIDL_ONE, S.msgno + 1, uid);
		return;
	}
	reply(R_UIDL);
	for (i = 0; i < S.ml.n; i++) {
		if (S.mark[i] & MARK_DELETED) continue;
		msglist_uid(&S.ml, i, uid);
		reply(R_UIDL_LINE, i + 1, uid);
	}
	reply(R_END);
}

/* Sends message S.msgno: the whole of it, or the header and `lines` body
 * lines (lines < 0: whole).  Once the +OK is out, a read error can only
 * end the session: the client must not take a cut message for a whole
 * one. */
static int send_message(long lines)
{
	char in[SEND_CHUNK], out[2 * SEND_CHUNK + 2];
	struct wire w;
	unsigned long long size = 0;
	int fd;

	fd = msglist_open(&S.ml, S.msgno);
	if (fd < 0 || (lines < 0 && msglist_size(&S.ml, S.msgno, &size) < 0)) {
		int gone = errno == ENOENT;
		log_error(lines < 0 ? "retr" : "top", msglist_name(&S.ml, S.msgno));
		if (fd >= 0) close(fd);
		reply(gone ? R_MSG_GONE : R_MSG_TEMP, S.msgno + 1);
		return -1;
	}
	if (lines < 0) reply(R_RETR, size);
	else reply(R_TOP);
	wire_init(&w, lines);
	while (!w.done && !S.dead) {
		ssize_t r = read(fd, in, sizeof in);
		size_t n;
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) {
			log_error("read", msglist_name(&S.ml, S.msgno));
			close(fd);
			session_end("read-error", EXIT_TEMP);
		}
		if (r == 0) break;
		n = wire_encode(&w, in, (size_t)r, out);
		S.bytes += n;
		reply_raw(out, n);
	}
	close(fd);
	{
		size_t n = wire_finish(&w, out);
		S.bytes += n;
		reply_raw(out, n);
	}
	reply(R_END);
	return 0;
}

void do_retr(void)
{
	if (send_message(-1) < 0) return;
	S.mark[S.msgno] |= MARK_RETRIEVED;
	S.retrieved++;
}

void do_top(void)
{
	send_message(S.lines > 0x7fffffffUL ? 0x7fffffffL : (long)S.lines);
}

void do_dele(void)
{
	S.mark[S.msgno] |= MARK_DELETED;
	reply(R_DELE, S.msgno + 1);
}

void do_noop(void)
{
	reply(R_NOOP);
}

void do_rset(void)
{
	unsigned long i;

	for (i = 0; i < S.ml.n; i++)
		S.mark[i] &= (unsigned char)~MARK_DELETED;
	reply(R_RSET, S.ml.n);
}

/* The UPDATE state.  Returns after the reply; S.deleted counts removals. */
void mailbox_update(void)
{
	unsigned long i, failed = 0;

	for (i = 0; i < S.ml.n; i++) {
		if (S.mark[i] & MARK_DELETED) {
			if (msglist_remove(&S.ml, i) == 0) S.deleted++;
			else { failed++; log_error("remove", msglist_name(&S.ml, i)); }
		} else if (msglist_tocur(&S.ml, i, S.mark[i] & MARK_RETRIEVED ? MDFLAG_SEEN : 0) < 0) {
			log_error("move-to-cur", msglist_name(&S.ml, i));
		}
	}
	if (msglist_sync(&S.ml) < 0) log_error("fsync", ".");
	if (failed) reply(R_QUIT_PARTIAL);
	else reply(R_QUIT, S.deleted);
}

void do_quit(void)
{
	if (S.state == ST_TRANS) mailbox_update();
	else reply(R_BYE);
	S.over = 1;
}
