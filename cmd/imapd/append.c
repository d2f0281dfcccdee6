/*
 * APPEND (RFC 3501 6.3.11) with APPENDUID (RFC 4315): the literal is
 * written to the target's tmp/ with LF line ends and fsync'ed, then enters
 * cur/ with its flags and a UID under the target's UID list lock; the
 * date, when given, becomes the file's mtime (INTERNALDATE).  The size
 * bound (imapd-maxmsg) is checked before the literal is read (session.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "learn.h"
#include "mailbox.h"
#include "reply.h"
#include "session.h"
#include "view.h"
#include "log.h"

/* n digits at s (only digits: no sign, no space) as a number, or -1. */
static int digits(const char *s, size_t n)
{
	uint32_t v;
	return imap_number(s, n, &v) < 0 ? -1 : (int)v;
}

/* RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be " d");
 * every field at its fixed place, digits only. */
static int parse_date(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	int day, y, H, M, Sx, z, i;
	char sign;
	long off;

	memset(&tm, 0, sizeof tm);
	if (strlen(s) != 26 || s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
	    s[20] != ' ')
		return -1;
	day = s[0] == ' ' ? digits(s + 1, 1) : digits(s, 2);
	y = digits(s + 7, 4);
	H = digits(s + 12, 2);
	M = digits(s + 15, 2);
	Sx = digits(s + 18, 2);
	sign = s[21];
	z = digits(s + 22, 4);
	for (i = 0; i < 12; i++)
		if (!strncasecmp(months + 3 * i, s + 3, 3)) break;
	if (i == 12 || day < 1 || day > 31 || y < 1900 || H < 0 || H > 23 || M < 0 || M > 59 || Sx < 0 || Sx > 60 ||
	    (sign != '+' && sign != '-') || z < 0 || z % 100 > 59)
		return -1;
	tm.tm_mday = day;
	tm.tm_mon = i;
	tm.tm_year = y - 1900;
	tm.tm_hour = H;
	tm.tm_min = M;
	tm.tm_sec = Sx;
	off = (z / 100) * 3600L + (z % 100) * 60L;
	*out = timegm(&tm) - (sign == '+' ? off : -off);
	return 0;
}

void do_append(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	const struct imap_arg *a = S.args, *msg;
	const char *kw[STORE_KEYWORDS_MAX];
	unsigned nkw = 0;
	uint32_t sys = 0, uid, validity;
	time_t date = 0;
	stralloc tmp = {0};
	struct store_adder ad;
	int taught;

	if (S.nargs < 2 || S.nargs > 5 || !imap_arg_string(a)) { reply(R_BAD_ARGS); return; }
	msg = a->next;
	if (msg->type == IMAP_LIST) {
		if (parse_flags(msg, &sys, kw, &nkw, 0) < 0) { reply(R_BAD_SYNTAX, "invalid flag"); return; }
		msg = msg->next;
	}
	if (msg && msg->type == IMAP_QUOTED && msg->next) {
		if (parse_date(msg->s, &date) < 0) { reply(R_BAD_SYNTAX, "invalid date-time"); return; }
		msg = msg->next;
	}
	/* RFC 6855 4: UTF8 (literal), the message as it is (UTF-8 headers
	 * need no conversion in a Maildir) */
	if (msg && imap_arg_atom_is(msg, "UTF8") && msg->next && msg->next->type == IMAP_LIST && !msg->next->next &&
	    msg->next->list && !msg->next->list->next)
		msg = msg->next->list;
	if (!msg || msg->next || msg->type != IMAP_LITERAL) { reply(R_BAD_ARGS); return; }
	mailbox_canon(a->s, name, sizeof name);
	/* TRYCREATE only where a CREATE could help (RFC 3501 6.3.11) */
	if (mailbox_dir(name, dir, sizeof dir) < 0) { reply(R_NO_BADNAME); return; }
	if (!mailbox_exists(dir)) { reply(R_NO_TRYCREATE); return; }
	if (!msg->len) { reply(R_NO_LIMIT, "empty message"); return; }
	if (store_write_tmp(dir, msg->s, msg->len, &tmp) < 0) {
		log_error("append", name);
		reply(R_NO_CANNOT, "APPEND", strerror(errno));
		stralloc_free(&tmp);
		return;
	}
	if (!date) date = time(0);
	/* into the junk folder: spam (learn.h).  mbsync and other
	 * synchronizers carry a move between folders as an APPEND to the
	 * target and an expunge at the source. */
	taught = learn_job(tmp.s, learn_for_copy(0, dir));
	if (store_add_begin(&ad, dir) < 0 ||
	    store_add(&ad, tmp.s, STORE_ADD_RENAME, sys, kw, nkw, date, &uid) < 0) {
		int e = errno;
		if (taught) learn_cancel();
		log_error("append", name);
		store_add_end(&ad);
		unlink(tmp.s);
		stralloc_free(&tmp);
		reply(R_NO_CANNOT, "APPEND", strerror(e));
		return;
	}
	validity = ad.ul.validity;
	if (store_add_end(&ad) < 0) {
		log_error("append", name);
		reply(R_NO_CANNOT, "APPEND", strerror(errno));
		stralloc_free(&tmp);
		return;
	}
	stralloc_free(&tmp);
	S.appended++;
	reply(R_OK_APPEND, (unsigned long)validity, (unsigned long)uid);
}
