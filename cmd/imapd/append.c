/*
 * APPEND (RFC 3501 6.3.11) with APPENDUID (RFC 4315), MULTIAPPEND (RFC
 * 3502), literal8 messages (RFC 3516 4.4) and CATENATE (RFC 4469).
 *
 * One command may carry several messages, each with its own flags and
 * date: "APPEND box (\\Seen) {n}..msg.. ~{n}..msg.. CATENATE (...)".  It is
 * all or nothing (RFC 3502 6.3.11): every message is checked first (its
 * flags, date, size; a CATENATE's parts put together), then each is
 * written to the target's tmp/ with LF line ends and fsync'ed, and only
 * then do they all enter cur/ with their flags and consecutive UIDs under
 * the target's UID list lock; if one of them fails there, those already
 * in cur/ are removed and the UID list is left as it was.  The date, when
 * given, becomes the file's mtime (INTERNALDATE).
 *
 * Bounds: the literals of one APPEND together are at most
 * imapd-maxmsg bytes (checked before each is read, session.c), and so is
 * each message a CATENATE puts together; at most APPEND_MSGS_MAX
 * messages.  Buffers over BUF_KEEP are let go after each command.  A NUL byte is allowed only in a literal8 (RFC 3516 4.4).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
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
#include "storage.h"
#include "view.h"
#include "log.h"
#include "imapurl.h"
#include "mutf7.h"
#include "message.h"

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

#define APPEND_MSGS_MAX 1000

/* One message of an APPEND. */
struct amsg {
	uint32_t sys;
	const char *kw[STORE_KEYWORDS_MAX];   /* into the command's arguments */
	unsigned nkw;
	time_t date;
	const struct imap_arg *cat;   /* the CATENATE part list, or null */
	const char *data;             /* the message: the literal's bytes or built */
	size_t len;
	stralloc built;               /* CATENATE: the message put together */
	stralloc tmp;                 /* its file in tmp/, once written */
	ino_t ino;                    /* and that file's identity */
	dev_t dev;
	int renamed;                  /* store_add took it (it is no longer in tmp/) */
	uint32_t uid;
};

static struct amsg *msgs;
static stralloc urlraw, urlmsg, urlpart;   /* CATENATE: a URL's message, its part */

#define BUF_KEEP (1UL << 20)

static void let_go(stralloc *sa)
{
	if (sa->a > BUF_KEEP) stralloc_free(sa);
}

/* Unlinks the tmp/ files of msgs[from..n-1] that were written. */
static void drop_tmp(unsigned from, unsigned n)
{
	unsigned i;
	for (i = from; i < n; i++)
		if (msgs[i].tmp.len) { unlink(msgs[i].tmp.s); msgs[i].tmp.len = 0; }
}

/* Removes from dir/cur the files of msgs[0..n-1] that store_add renamed
 * there (a rename keeps the inode; store_add may also fail after its
 * rename, leaving a file with no UID).  The names are found by looking,
 * since the info letters were made by store_add. */
static void remove_added(const char *dir, unsigned n)
{
	char cur[1100], p[2400];
	DIR *d;
	struct dirent *e;
	struct stat st;
	unsigned j;

	if (snprintf(cur, sizeof cur, "%s/cur", dir) >= (int)sizeof cur || !(d = opendir(cur))) return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || snprintf(p, sizeof p, "%s/%s", cur, e->d_name) >= (int)sizeof p ||
		    lstat(p, &st) < 0)
			continue;
		for (j = 0; j < n; j++)
			if (msgs[j].renamed && st.st_ino == msgs[j].ino && st.st_dev == msgs[j].dev) { unlink(p); break; }
	}
	closedir(d);
}

/* Reads the arguments after the mailbox name into msgs: 0 with *n set,
 * or -1 (answered). */
static int parse_msgs(const struct imap_arg *a, unsigned *n)
{
	*n = 0;
	if (!a) { reply(R_BAD_ARGS); return -1; }
	if (!msgs && !(msgs = calloc(APPEND_MSGS_MAX, sizeof *msgs))) { reply(R_NO_LIMIT, "out of memory"); return -1; }
	while (a) {
		struct amsg *m;
		if (*n >= APPEND_MSGS_MAX) { reply(R_NO_LIMIT, "too many messages in one APPEND"); return -1; }
		m = &msgs[*n];
		m->sys = 0;
		m->nkw = 0;
		m->date = 0;
		m->cat = 0;
		m->tmp.len = m->built.len = 0;
		m->renamed = 0;
		if (a->type == IMAP_LIST) {
			if (parse_flags(a, &m->sys, m->kw, &m->nkw, 0) < 0) { reply(R_BAD_SYNTAX, "invalid flag"); return -1; }
			a = a->next;
		}
		if (a && a->type == IMAP_QUOTED) {
			if (parse_date(a->s, &m->date) < 0) { reply(R_BAD_SYNTAX, "invalid date-time"); return -1; }
			a = a->next;
		}
		if (a && a->type == IMAP_LITERAL) {
			/* RFC 3516 4.4: NUL only in a literal8 */
			if (!a->literal8 && memchr(a->s, 0, a->len)) {
				reply(R_BAD_SYNTAX, "NUL in a literal: send the message as a literal8 (RFC 3516)");
				return -1;
			}
			m->data = a->s;
			m->len = a->len;
		} else if (imap_arg_atom_is(a, "UTF8") && a->next && a->next->type == IMAP_LIST && a->next->list &&
			   !a->next->list->next && a->next->list->type == IMAP_LITERAL) {
			/* RFC 6855 4: UTF8 (literal8), the message as it is (UTF-8
			 * headers need no conversion in a Maildir) */
			a = a->next;
			m->data = a->list->s;
			m->len = a->list->len;
		} else if (imap_arg_atom_is(a, "CATENATE") && a->next && a->next->type == IMAP_LIST && a->next->len) {
			a = a->next;
			m->cat = a;
		} else {
			reply(R_BAD_ARGS);
			return -1;
		}
		a = a->next;
		++*n;
	}
	return 0;
}

/* ---- CATENATE (RFC 4469) ---- */

#define BADURL_SHOWN 512   /* bytes of a URL echoed in [BADURL] */

/* Answers NO [BADURL url] why; the URL as RFC 4469 url-resp-text allows
 * it (no CR, LF, NUL or "]": such a URL was bad anyway). */
static int badurl(const struct imap_arg *url, const char *why)
{
	char shown[BADURL_SHOWN + 1];
	size_t i, n = url->len < BADURL_SHOWN ? url->len : BADURL_SHOWN;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url->s[i];
		shown[i] = c < 0x20 || c >= 0x7f || c == ']' ? '?' : (char)c;
	}
	shown[n] = 0;
	reply(R_NO_BADURL, n ? shown : "?", why);
	return -1;
}

/* The message file of uid in folder dir, in wire form (CRLF), into out:
 * 0, 1 when there is no such message, -1 on an error (errno); -2 when it
 * is over max bytes. */
static int url_message(const char *dir, uint32_t validity, uint32_t uid, size_t max, stralloc *out)
{
	stralloc *raw = &urlraw;
	struct store st;
	long k;
	int fd, r = -1;
	size_t i;

	memset(&st, 0, sizeof st);
	if (store_open(&st, dir) < 0 || store_sync(&st, 1) < 0) goto done;
	r = 1;
	if (validity && st.ul.validity != validity) goto done;
	if ((k = store_find(&st, uid)) < 0) goto done;
	if ((fd = store_open_msg(&st, (unsigned long)k)) < 0) goto done;
	raw->len = 0;
	for (;;) {
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) { r = -1; break; }
		if (!n) { r = 0; break; }
		if (raw->len + (size_t)n > max) { r = -2; break; }
		if (!stralloc_catb(raw, buf, (size_t)n)) { errno = ENOMEM; r = -1; break; }
	}
	close(fd);
	if (r) goto done;
	out->len = 0;
	if (!stralloc_ready(out, raw->len + raw->len / 16 + 16)) { errno = ENOMEM; r = -1; goto done; }
	for (i = 0; i < raw->len; i++) {
		if (raw->s[i] == '\n' && (i == 0 || raw->s[i - 1] != '\r') && !stralloc_append(out, "\r")) { r = -1; break; }
		if (!stralloc_append(out, &raw->s[i])) { r = -1; break; }
	}
	if (out->len > max) r = -2;
done:
	store_free(&st);
	return r;
}

/* One URL part: the bytes it names appended to m->built.  0, or -1
 * (answered: BADURL, TOOBIG, or a failure of ours). */
static int url_part(struct amsg *m, const struct imap_arg *url)
{
	static stralloc box;
	stralloc *msg = &urlmsg, *part = &urlpart;
	struct imapurl u;
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	const char *s;
	size_t len;
	int r;

	if (imapurl_parse(url->s, url->len, &u) < 0) return badurl(url, "not an IMAP URL of a message");
	/* this server, this user (RFC 4469 5) */
	if (u.server && (strcasecmp(u.host, S.conf.me.s ? S.conf.me.s : "") || (u.user[0] && strcmp(u.user, S.user))))
		return badurl(url, "a URL of another server or user");
	if (u.mailbox_given) {
		/* RFC 5092 5: the name is UTF-8; ours are modified UTF-7 */
		if (mutf7_from_utf8(u.mailbox, strlen(u.mailbox), &box) != MUTF7_OK) return badurl(url, "bad mailbox name");
		mailbox_canon(box.s, name, sizeof name);
	} else {
		if (S.state != ST_SELECTED) return badurl(url, "relative URL with no mailbox selected");
		memcpy(name, S.mailbox, sizeof name);
	}
	if (!name[0] || mailbox_dir(name, dir, sizeof dir) < 0 || !mailbox_exists(dir))
		return badurl(url, "no such mailbox");
	r = url_message(dir, u.uidvalidity, u.uid, S.append_max, msg);
	if (r == 1) return badurl(url, "no such message (or UIDVALIDITY changed)");
	if (r == -2) { reply(R_NO_TOOBIG_MSG); return -1; }
	if (r < 0) {
		log_error("catenate", name);
		reply(R_NO_CANNOT, "CATENATE", strerror(errno));
		return -1;
	}
	s = msg->s ? msg->s : "";
	len = msg->len;
	if (u.section[0]) {
		part->len = 0;
		if (message_section(s, len, u.section, part) < 0) {
			if (errno == EINVAL) return badurl(url, "no such section");
			reply(R_NO_LIMIT, "out of memory");
			return -1;
		}
		s = part->s ? part->s : "";
		len = part->len;
	}
	if (u.partial) {
		/* RFC 5092 ipartial: octets of the section as fetched */
		if (u.offset >= len) len = 0;
		else {
			s += u.offset;
			len -= u.offset;
			if (u.length && len > u.length) len = u.length;
		}
	}
	if (len > S.append_max - m->built.len) { reply(R_NO_TOOBIG_MSG); return -1; }
	if (!stralloc_catb(&m->built, s, len)) { reply(R_NO_LIMIT, "out of memory"); return -1; }
	return 0;
}

/* Puts a CATENATE message together (RFC 4469 section 5) from its parts:
 * TEXT literal, URL "imap-url".  0, or -1 (answered). */
static int catenate(struct amsg *m)
{
	const struct imap_arg *a;

	m->built.len = 0;
	for (a = m->cat->list; a; a = a->next) {
		const struct imap_arg *v = a->next;
		if (imap_arg_atom_is(a, "TEXT") && v && v->type == IMAP_LITERAL) {
			if (!v->literal8 && memchr(v->s, 0, v->len)) {
				reply(R_BAD_SYNTAX, "NUL in a literal: send the text as a literal8 (RFC 3516)");
				return -1;
			}
			if (v->len > S.append_max - m->built.len) { reply(R_NO_TOOBIG_MSG); return -1; }
			if (!stralloc_catb(&m->built, v->s, v->len)) { reply(R_NO_LIMIT, "out of memory"); return -1; }
		} else if (imap_arg_atom_is(a, "URL") && v && imap_arg_string(v)) {
			if (url_part(m, v) < 0) return -1;
		} else {
			reply(R_BAD_SYNTAX, "CATENATE parts are TEXT literal or URL url");
			return -1;
		}
		a = v;
	}
	m->data = m->built.s ? m->built.s : "";
	m->len = m->built.len;
	return 0;
}

static void append(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8], set[32];
	unsigned n, i;
	unsigned long long total = 0;
	uint32_t validity;
	struct store_adder ad;
	int e;

	if (S.nargs < 2 || !imap_arg_string(S.args) || S.args->type == IMAP_LIST) { reply(R_BAD_ARGS); return; }
	if (parse_msgs(S.args->next, &n) < 0) return;
	mailbox_canon(S.args->s, name, sizeof name);
	/* TRYCREATE only where a CREATE could help (RFC 3501 6.3.11) */
	if (mailbox_dir(name, dir, sizeof dir) < 0) { reply(R_NO_BADNAME); return; }
	if (!mailbox_exists(dir)) { reply(R_NO_TRYCREATE); return; }
	for (i = 0; i < n; i++) {
		struct amsg *m = &msgs[i];
		if (m->cat && catenate(m) < 0) return;
		if (!m->len) { reply(R_NO_LIMIT, "empty message"); return; }
		total += m->len;
	}
	if (quota_refuses(total)) return;   /* RFC 9208 4.3.4, before anything is stored */
	for (i = 0; i < n; i++) {
		struct stat st;
		int w = store_write_tmp(dir, msgs[i].data, msgs[i].len, &msgs[i].tmp);
		if (w < 0) msgs[i].tmp.len = 0;   /* nothing of it is left */
		if (w < 0 || stat(msgs[i].tmp.s, &st) < 0) {
			e = errno;
			log_error("append", name);
			drop_tmp(0, n);
			reply(R_NO_CANNOT, "APPEND", strerror(e));
			return;
		}
		msgs[i].ino = st.st_ino;
		msgs[i].dev = st.st_dev;
	}
	if (store_add_begin(&ad, dir) < 0) {
		e = errno;
		log_error("append", name);
		store_add_end(&ad);
		drop_tmp(0, n);
		reply(R_NO_CANNOT, "APPEND", strerror(e));
		return;
	}
	for (i = 0; i < n; i++) {
		struct amsg *m = &msgs[i];
		int r;
		/* into the junk folder: spam (learn.h).  mbsync and other
		 * synchronizers carry a move between folders as an APPEND to the
		 * target and an expunge at the source.  A lesson of a message
		 * that a later failure takes out again stays: it was filed as
		 * spam all the same. */
		learn_job(m->tmp.s, learn_for_copy(0, dir));
		r = store_add(&ad, m->tmp.s, STORE_ADD_RENAME, m->sys, m->kw, m->nkw, m->date ? m->date : time(0), &m->uid);
		e = errno;
		/* taken, or taken and then failed (no UID): in cur/ either way */
		if (r == 0 || access(m->tmp.s, F_OK) < 0) {
			m->renamed = 1;
			m->tmp.len = 0;
		}
		if (r < 0) break;
	}
	if (i < n) {
		/* all or none (RFC 3502): out with those already in */
		learn_cancel();
		errno = e;
		log_error("append", name);
		remove_added(dir, i + 1);
		ad.added = 0;     /* so the UID list is not written: their UIDs were never told */
		store_add_end(&ad);
		drop_tmp(0, n);
		reply(R_NO_CANNOT, "APPEND", strerror(e));
		return;
	}
	validity = ad.ul.validity;
	if (store_add_end(&ad) < 0) {
		log_error("append", name);
		reply(R_NO_CANNOT, "APPEND", strerror(errno));
		return;
	}
	S.appended += n;
	quota_note(total);
	/* one adder gives consecutive UIDs (RFC 4315 uid-set) */
	if (n == 1) snprintf(set, sizeof set, "%lu", (unsigned long)msgs[0].uid);
	else snprintf(set, sizeof set, "%lu:%lu", (unsigned long)msgs[0].uid, (unsigned long)msgs[n - 1].uid);
	reply(R_OK_APPEND, (unsigned long)validity, set);
}

void do_append(void)
{
	unsigned i;

	append();
	/* a big message is not kept in memory for the rest of the session */
	for (i = 0; msgs && i < APPEND_MSGS_MAX; i++) let_go(&msgs[i].built);
	let_go(&urlraw);
	let_go(&urlmsg);
	let_go(&urlpart);
}
