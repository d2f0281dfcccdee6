/*
 * Folders: names, LIST and LSUB (RFC 3501 6.3.8-9, with the CHILDREN and
 * SPECIAL-USE attributes of RFC 3348 and RFC 6154; LIST's extended form of
 * RFC 5258 with RFC 5819's STATUS return option, at the end), SUBSCRIBE,
 * UNSUBSCRIBE, CREATE (with RFC 6154's USE), DELETE, RENAME, STATUS (with
 * SIZE, DELETED, DELETED-STORAGE and APPENDLIMIT).
 *
 * The hierarchy delimiter is '.', so an IMAP name is its Maildir++ name:
 * "Sent" is MAILDIR/.Sent, "Work.2024" is MAILDIR/.Work.2024, INBOX (any
 * case, RFC 3501 5.1) is MAILDIR itself.  Names on the wire are modified
 * UTF-7 (RFC 3501 5.1.3), and so are the folder names on disk, as Courier
 * and Dovecot keep them ("&ZeVnLIqe-" is MAILDIR/.&ZeVnLIqe-): every
 * command that takes a name refuses one that is not valid modified UTF-7
 * in its one canonical form (mutf7.h: no 8-bit or control bytes, no
 * BASE64 for what can stand for itself), and also '/', the wildcards,
 * empty levels ("a..b", ".a", "a.") and names over IMAP_MAILBOX_MAX bytes.
 * So nothing but a valid name ever reaches the disk, and a directory
 * another program made with a name we would refuse is not listed.  LIST
 * and LSUB patterns may hold anything; they only select among valid names.
 *
 * Subscriptions are the file "posthorn-subscriptions" in the Maildir, one
 * name a line, replaced atomically under a lock (posthorn-subscriptions.lock)
 * so that two sessions that subscribe at once both count.  LSUB answers
 * RFC 3501 6.3.9: a subscribed name the pattern matches, and, where a '%'
 * stopped at a delimiter ("a.%" and a subscribed "a.b.c"), the unsubscribed
 * parent that matched ("a.b"), flagged \Noselect.
 *
 * A name is in one of three forms: a folder (".a" with cur/: selectable);
 * a \Noselect name kept by DELETE (".a" without cur/, see below); or a
 * \Noselect name implied by a child (no ".a" at all, but ".a.b" exists,
 * as CREATE a.b leaves it and as other Maildir++ programs make them).
 *
 * DELETE (RFC 3501 6.3.4) refuses INBOX.  A folder without inferior names
 * goes altogether.  A folder with inferiors loses its messages and stays
 * as a \Noselect name: its directory is replaced by an empty ".a" that
 * keeps only posthorn-uidlist.lock, whose last UIDVALIDITY makes a later
 * CREATE of the name start above it (RFC 3501 2.3.1.1).  Other Maildir
 * programs see a directory without cur/ as no folder.  A \Noselect name
 * that still has inferiors cannot be deleted; one without can.  Each
 * removal first renames the directory into the Maildir's tmp/, so that a
 * crash midway leaves no half folder in the LIST (a crash between the
 * rename and the new ".a" leaves the implied form of the same name).
 *
 * CREATE of a \Noselect name makes it a folder again, with a new
 * UIDVALIDITY.  RENAME moves the inferiors along, also of a \Noselect
 * name; it refuses a new name that exists in any of the three forms (use
 * CREATE to make a \Noselect name selectable) or lies under the old one.
 * RENAME INBOX moves its messages into the new folder and leaves INBOX
 * empty (RFC 3501 6.3.5).
 *
 * UIDVALIDITY (RFC 3501 2.3.1.1): a folder deleted and created again, or
 * renamed, must not show its old UIDVALIDITY with other messages.  Every
 * new one comes from uidlist_fresh_validity, which keeps the last one
 * given out in the whole Maildir, so it is larger than any before it, even
 * within the same second.  RENAME rewrites the UID list of the moved
 * folder and of each inferior with a fresh UIDVALIDITY (under the
 * folder's lock; the UIDs stay, a client that knew the old name drops
 * them); a folder that has no list yet gets a fresh one at its first use.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "durable.h"
#include "commands.h"
#include "mailbox.h"
#include "reply.h"
#include "session.h"
#include "storage.h"
#include "view.h"
#include "log.h"
#include "maildir.h"
#include "maillock.h"
#include "mdflags.h"
#include "mutf7.h"
#include "path.h"
#include "uidlist.h"
#include "uniq.h"

#define SUBS_FILE "posthorn-subscriptions"
#define SUBS_LOCK "posthorn-subscriptions.lock"
#define SUBS_LOCK_WAIT 30          /* seconds */
#define FOLDERS_MAX 10000
#define PATTERN_MAX (IMAP_MAILBOX_MAX * 2 + 8)   /* bytes of reference + pattern */

static int is_inbox(const char *name)
{
	return !strcasecmp(name, "INBOX");
}

/* A name too long for out becomes "", which no check accepts: cut short,
 * it could name another folder.  After ENABLE UTF8=ACCEPT the client's
 * names are UTF-8 (RFC 6855 3): they become the modified UTF-7 name the
 * disk has, and text that is not UTF-8 becomes "" too. */
void mailbox_canon(const char *name, char *out, size_t cap)
{
	static stralloc m;

	if (S.enabled & EN_UTF8) {
		if (mutf7_from_utf8(name, strlen(name), &m) != MUTF7_OK) {
			if (cap) out[0] = 0;
			return;
		}
		name = m.s;
	}
	if ((size_t)snprintf(out, cap, "%s", is_inbox(name) ? "INBOX" : name) >= cap) out[0] = 0;
}

/* A folder name as the client reads it: modified UTF-7, or its UTF-8
 * text after ENABLE UTF8=ACCEPT (RFC 6855 3), quoted, as a quoted string
 * may then hold UTF-8 (a valid name holds no control character). */
static void out_mailbox(const char *name)
{
	static stralloc u;
	size_t i;

	if (!(S.enabled & EN_UTF8) || mutf7_to_utf8(name, strlen(name), &u) != MUTF7_OK) {
		out_string(name, strlen(name));
		return;
	}
	out("\"");
	for (i = 0; i < u.len; i++) {
		if (u.s[i] == '"' || u.s[i] == '\\') out("\\");
		outb(&u.s[i], 1);
	}
	out("\"");
}

static int name_ok(const char *name, size_t len)
{
	size_t i;
	if (!len || len > IMAP_MAILBOX_MAX || strlen(name) != len) return 0;
	if (name[0] == '.' || name[len - 1] == '.') return 0;
	/* RFC 3501 5.1.3; no 8-bit or control byte gets past this */
	if (mutf7_check(name, len) != MUTF7_OK) return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];
		if (c == '/' || c == '*' || c == '%') return 0;
		if (c == '.' && name[i + 1] == '.') return 0;
	}
	return 1;
}

int mailbox_dir(const char *name, char *out, size_t cap)
{
	if (is_inbox(name)) return path_fmt(out, cap, ".");
	if (!name_ok(name, strlen(name))) return -1;
	return path_fmt(out, cap, ".%s", name);
}

/* A dir too long to hold "cur" is no folder we could open. */
int mailbox_exists(const char *dir)
{
	char p[2048];
	struct stat st;
	return path_join(p, sizeof p, dir, "cur") == 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the folder list ---- */

/* A \Noselect name kept by DELETE: the directory without cur/. */
static int is_placeholder(const char *dir)
{
	struct stat st;
	return !mailbox_exists(dir) && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

struct folder {
	char *name;
	int noselect;              /* a placeholder: ".NAME" without cur/ */
};

struct folders {
	struct folder *f;
	unsigned long n;
};

static int cmp_name(const void *a, const void *b)
{
	const char *x = ((const struct folder *)a)->name, *y = ((const struct folder *)b)->name;
	if (!strcmp(x, "INBOX")) return -1;
	if (!strcmp(y, "INBOX")) return 1;
	return strcmp(x, y);
}

static void folders_free(struct folders *f)
{
	unsigned long i;
	for (i = 0; i < f->n; i++) free(f->f[i].name);
	free(f->f);
	f->f = 0;
	f->n = 0;
}

/* Every folder and every placeholder, INBOX first. */
static int folders_read(struct folders *f)
{
	DIR *d = opendir(".");
	struct dirent *de;
	unsigned long cap = 64;

	f->n = 0;
	f->f = malloc(cap * sizeof *f->f);
	if (!d || !f->f || !(f->f[0].name = strdup("INBOX"))) {
		if (d) closedir(d);
		free(f->f);
		f->f = 0;
		errno = ENOMEM;
		return -1;
	}
	f->f[f->n++].noselect = 0;
	while ((de = readdir(d))) {
		char *nm = de->d_name;
		int sel;
		if (nm[0] != '.' || !name_ok(nm + 1, strlen(nm + 1))) continue;
		if (!(sel = mailbox_exists(nm)) && !is_placeholder(nm)) continue;
		if (f->n >= FOLDERS_MAX) break;
		if (f->n == cap) {
			struct folder *nn = realloc(f->f, (cap *= 2) * sizeof *nn);
			if (!nn) break;
			f->f = nn;
		}
		if (!(f->f[f->n].name = strdup(nm + 1))) break;
		f->f[f->n++].noselect = !sel;
	}
	closedir(d);
	qsort(f->f, f->n, sizeof *f->f, cmp_name);
	return 0;
}

/* Is child an inferior name of parent ("a.b", "a.b.c" of "a")? */
static int is_inferior(const char *child, const char *parent)
{
	size_t len = strlen(parent);
	if (is_inbox(parent)) return !strncasecmp(child, parent, len) && child[len] == '.';
	return !strncmp(child, parent, len) && child[len] == '.';
}

static int has_children(const struct folders *f, const char *name)
{
	unsigned long i;
	for (i = 0; i < f->n; i++)
		if (is_inferior(f->f[i].name, name)) return 1;
	return 0;
}

static int listed(const struct folders *f, const char *name)
{
	unsigned long i;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, name)) return 1;
	return 0;
}

/* Adds to set the pattern positions reached by letting each wildcard in
 * it match nothing. */
static void closure(const char *pat, size_t plen, unsigned char *set)
{
	size_t j;
	for (j = 0; j < plen; j++)
		if (set[j] && (pat[j] == '*' || pat[j] == '%')) set[j + 1] = 1;
}

/* RFC 3501 6.3.8: '*' matches anything, '%' anything but the delimiter.
 * The set of pattern positions the name so far can reach is carried along
 * the name, so a match costs at most pattern x name steps whatever the
 * pattern: backtracking over "*a*a*a*a..." would take exponential time.
 * A pattern over PATTERN_MAX bytes matches nothing (pattern_of refuses
 * those anyway). */
static int match(const char *pat, const char *name)
{
	unsigned char cur[PATTERN_MAX + 1], nxt[PATTERN_MAX + 1];
	size_t plen = strlen(pat), j;

	if (plen > PATTERN_MAX) return 0;
	memset(cur, 0, plen + 1);
	cur[0] = 1;
	closure(pat, plen, cur);
	for (; *name; name++) {
		int any = 0;
		memset(nxt, 0, plen + 1);
		for (j = 0; j < plen; j++) {
			if (!cur[j]) continue;
			if (pat[j] == '*' || (pat[j] == '%' && *name != '.')) nxt[j] = any = 1;
			else if (pat[j] == *name) nxt[j + 1] = any = 1;
		}
		if (!any) return 0;
		closure(pat, plen, nxt);
		memcpy(cur, nxt, plen + 1);
	}
	return cur[plen];
}

static int name_match(const char *pat, const char *name)
{
	/* INBOX and the "INBOX" start of a pattern in any case */
	if (!strncmp(name, "INBOX", 5) && (!name[5] || name[5] == '.') && !strncasecmp(pat, "INBOX", 5)) {
		char p2[PATTERN_MAX + 1];
		if ((size_t)snprintf(p2, sizeof p2, "INBOX%s", pat + 5) >= sizeof p2) return 0;
		return match(p2, name);
	}
	return match(pat, name);
}

/* RFC 6154 special uses.  A folder's uses are the lines of its
 * SPECIALUSE_FILE (CREATE ... (USE (...)) writes it, RFC 6154 3), or,
 * without one, what its name says ("Sent" is \Sent). */
#define SPECIALUSE_FILE "posthorn-specialuse"
#define SPECIALUSE_MAX 128              /* bytes of the file we read */
static const char *const use_names[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash",
};

/* The canonical spelling of a use attribute (any case), or null. */
static const char *use_known(const char *s, size_t len)
{
	unsigned i;
	for (i = 0; i < sizeof use_names / sizeof use_names[0]; i++)
		if (strlen(use_names[i]) == len && !strncasecmp(s, use_names[i], len)) return use_names[i];
	return 0;
}

/* The uses of the folder name, space-separated, into out ("" for none;
 * every use fits in 64 bytes). */
static void special_uses(const char *name, char *out, size_t cap)
{
	static const char *const map[][2] = {
		{"Sent", "\\Sent"}, {"Drafts", "\\Drafts"}, {"Trash", "\\Trash"}, {"Junk", "\\Junk"},
		{"Archive", "\\Archive"},
	};
	char path[IMAP_MAILBOX_MAX + 32], buf[SPECIALUSE_MAX + 1];
	FILE *fp;
	unsigned i;

	out[0] = 0;
	if (!is_inbox(name) && path_fmt(path, sizeof path, ".%s/" SPECIALUSE_FILE, name) == 0 && (fp = fopen(path, "re"))) {
		size_t n = fread(buf, 1, SPECIALUSE_MAX, fp), at = 0, l = 0;
		fclose(fp);
		buf[n] = 0;
		while (at < n) {
			const char *u;
			char *nl = strchr(buf + at, '\n');
			size_t len = nl ? (size_t)(nl - (buf + at)) : n - at;
			/* unknown lines (a later version's) are skipped */
			if ((u = use_known(buf + at, len)) && !strstr(out, u) && l + strlen(u) + 2 < cap)
				l += (size_t)snprintf(out + l, cap - l, "%s%s", l ? " " : "", u);
			at += len + 1;
		}
		return;
	}
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(name, map[i][0])) { snprintf(out, cap, "%s", map[i][1]); return; }
}

static void list_line(const char *verb, const char *name, const char *attrs)
{
	outf("* %s (%s) \".\" ", verb, attrs);
	out_mailbox(name);
	out("\r\n");
}

static int pattern_of(char *pat, size_t cap)
{
	const struct imap_arg *ref = S.args, *mb = ref ? ref->next : 0;

	if (S.nargs != 2 || !imap_arg_string(ref) || !imap_arg_string(mb)) {
		reply(R_BAD_ARGS);
		return -1;
	}
	if ((size_t)snprintf(pat, cap, "%s%s", ref->s, mb->s) >= cap) {
		reply(R_BAD_ARGS);
		return -1;
	}
	/* a UTF-8 pattern (RFC 6855 3) selects among the modified UTF-7
	 * names as its modified UTF-7 form; the wildcards stand for
	 * themselves in it */
	if (S.enabled & EN_UTF8) {
		static stralloc m;
		if (mutf7_from_utf8(pat, strlen(pat), &m) != MUTF7_OK || (size_t)snprintf(pat, cap, "%s", m.s) >= cap) {
			reply(R_BAD_ARGS);
			return -1;
		}
	}
	return 0;
}

static void list_ext(void);

void do_list(void)
{
	char pat[PATTERN_MAX + 1], attrs[128];
	struct folders f;
	unsigned long i;

	/* anything but two strings is RFC 5258's extended LIST */
	if (S.nargs != 2 || !imap_arg_string(S.args) || !imap_arg_string(S.args->next)) { list_ext(); return; }
	if (pattern_of(pat, sizeof pat) < 0) return;
	if (!S.args->next->len) {
		/* RFC 3501 6.3.8: the delimiter and the root */
		out("* LIST (\\Noselect) \".\" \"\"\r\n");
		reply(R_OK_LIST);
		return;
	}
	if (folders_read(&f) < 0) { reply(R_NO_CANNOT, "LIST", strerror(errno)); return; }
	for (i = 0; i < f.n; i++) {
		const char *nm = f.f[i].name;
		char su[64] = "";
		/* an implied parent that is no folder ("a" of "a.b"): \Noselect */
		const char *dot = strchr(nm, '.');
		while (dot) {
			char parent[IMAP_MAILBOX_MAX + 1];
			/* fits: a part of a listed name (IMAP_MAILBOX_MAX at most) */
			snprintf(parent, sizeof parent, "%.*s", (int)(dot - nm), nm);
			if (!listed(&f, parent) && !is_inbox(parent) && name_match(pat, parent)) {
				int seen = 0;
				unsigned long j;
				/* once, at the first child */
				for (j = 0; j < i; j++)
					if (is_inferior(f.f[j].name, parent)) seen = 1;
				if (!seen) list_line("LIST", parent, "\\Noselect \\HasChildren");
			}
			dot = strchr(dot + 1, '.');
		}
		if (!name_match(pat, nm)) continue;
		if (!f.f[i].noselect) special_uses(nm, su, sizeof su);
		/* fits: two words and the uses, 90 bytes at most */
		snprintf(attrs, sizeof attrs, "%s%s%s%s", f.f[i].noselect ? "\\Noselect " : "",
			 has_children(&f, nm) ? "\\HasChildren" : "\\HasNoChildren", su[0] ? " " : "", su);
		list_line("LIST", nm, attrs);
	}
	folders_free(&f);
	reply(R_OK_LIST);
}

/* ---- subscriptions ---- */

static int subs_read(stralloc *sa)
{
	char buf[65536];
	FILE *fp = fopen(SUBS_FILE, "re");
	size_t n;

	sa->len = 0;
	if (!fp) return errno == ENOENT ? 0 : -1;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		if (!stralloc_catb(sa, buf, n)) { fclose(fp); return -1; }
	fclose(fp);
	return 0;
}

/* Adds (on) or removes (!on) name, under the lock; 0 or -1. */
static int subs_change(const char *name, int on)
{
	stralloc sa = {0}, outp = {0};
	size_t i = 0;
	/* its holders only read and replace one small file */
	int r = -1, e, fd = maillock_wait(SUBS_LOCK, SUBS_LOCK_WAIT);

	if (fd < 0) return -1;
	if (subs_read(&sa) < 0) goto out;
	while (i < sa.len) {
		char *nl = memchr(sa.s + i, '\n', sa.len - i);
		size_t l = nl ? (size_t)(nl - (sa.s + i)) : sa.len - i;
		if (l && !(l == strlen(name) && !memcmp(sa.s + i, name, l)) &&
		    (!stralloc_catb(&outp, sa.s + i, l) || !stralloc_cats(&outp, "\n")))
			goto nomem;
		i += l + 1;
	}
	if (on && (!stralloc_cats(&outp, name) || !stralloc_cats(&outp, "\n"))) goto nomem;
	r = durable_write(SUBS_FILE, outp.s ? outp.s : "", outp.len, 0600);
	goto out;
nomem:
	errno = ENOMEM;
out:
	e = errno;
	stralloc_free(&sa);
	stralloc_free(&outp);
	close(fd);
	errno = e;
	return r;
}

/* The subscribed names: the lines of sa, each NUL-terminated in place,
 * into names (FOLDERS_MAX at most; the rest are ignored).  Lines that are
 * no valid name (a file edited by hand, or by an older version) are
 * skipped. */
static unsigned long subs_split(stralloc *sa, char **names)
{
	unsigned long n = 0;
	size_t i = 0;

	if (!stralloc_0(sa)) return 0;   /* room for the NUL of a last line without LF */
	sa->len--;
	while (i < sa->len && n < FOLDERS_MAX) {
		char *nm = sa->s + i, *nl = memchr(nm, '\n', sa->len - i);
		size_t l = nl ? (size_t)(nl - nm) : sa->len - i;
		nm[l] = 0;
		if (is_inbox(nm) || name_ok(nm, l)) names[n++] = nm;
		i += l + 1;
	}
	return n;
}

static int subscribed(char *const *names, unsigned long n, const char *name)
{
	unsigned long i;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name)) return 1;
	return 0;
}

/* 1 if name (len bytes) is in told (NUL-separated names); else adds it
 * and says 0. */
static int told_before(stralloc *told, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < told->len; i += strlen(told->s + i) + 1)
		if (!strncmp(told->s + i, name, len) && !told->s[i + len]) return 1;
	return !stralloc_catb(told, name, len) || !stralloc_0(told);
}

/* RFC 3501 6.3.9 (see the top): each subscribed name that the pattern
 * matches, with \Noselect when it is no folder.  For one that it does not
 * match but would if '%' could pass a delimiter (the pattern with '*' for
 * '%'), each parent that is not subscribed itself and that the pattern
 * matches, with \Noselect, once. */
void do_lsub(void)
{
	char pat[PATTERN_MAX + 1], star[PATTERN_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	stralloc sa = {0}, told = {0};
	char **names = 0;
	unsigned long n, i;
	size_t j;

	if (pattern_of(pat, sizeof pat) < 0) return;
	for (j = 0; pat[j]; j++) star[j] = pat[j] == '%' ? '*' : pat[j];
	star[j] = 0;
	if (subs_read(&sa) < 0 || !(names = malloc(FOLDERS_MAX * sizeof *names))) {
		reply(R_NO_CANNOT, "LSUB", strerror(errno));
		goto out;
	}
	n = subs_split(&sa, names);
	for (i = 0; i < n; i++) {
		const char *nm = names[i], *dot;
		if (name_match(pat, nm)) {
			list_line("LSUB", nm, mailbox_dir(nm, dir, sizeof dir) == 0 && mailbox_exists(dir) ? "" : "\\Noselect");
			continue;
		}
		if (!name_match(star, nm)) continue;
		for (dot = strchr(nm, '.'); dot; dot = strchr(dot + 1, '.')) {
			char parent[IMAP_MAILBOX_MAX + 1];
			size_t pl = (size_t)(dot - nm);
			memcpy(parent, nm, pl);
			parent[pl] = 0;
			if (subscribed(names, n, parent) || !name_match(pat, parent) || told_before(&told, parent, pl))
				continue;
			list_line("LSUB", parent, "\\Noselect");
		}
	}
	reply(R_OK_LSUB);
out:
	free(names);
	stralloc_free(&sa);
	stralloc_free(&told);
}

/* One mailbox-name argument; canonical name and dir.  0 or -1 (replied). */
static int one_name(const struct imap_arg *a, char *name, char *dir)
{
	if (!imap_arg_string(a)) { reply(R_BAD_ARGS); return -1; }
	mailbox_canon(a->s, name, IMAP_MAILBOX_MAX + 1);
	if (strlen(a->s) != a->len || mailbox_dir(name, dir, IMAP_MAILBOX_MAX + 8) < 0) {
		reply(R_NO_BADNAME);
		return -1;
	}
	return 0;
}

void do_subscribe(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	if (S.nargs != 1) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	if (subs_change(name, 1) < 0) { reply(R_NO_CANNOT, "SUBSCRIBE", strerror(errno)); return; }
	reply(R_OK_SUB);
}

void do_unsubscribe(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	if (S.nargs != 1) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	if (subs_change(name, 0) < 0) { reply(R_NO_CANNOT, "UNSUBSCRIBE", strerror(errno)); return; }
	reply(R_OK_UNSUB);
}

/* ---- CREATE, DELETE, RENAME ---- */

/* RFC 6154 3 (CREATE-SPECIAL-USE): the create parameter "(USE (...))"
 * as the lines of SPECIALUSE_FILE into uses.  0; -1 when it is no such
 * parameter (BAD), -2 for a use we do not know (NO [USEATTR]). */
static int create_uses(const struct imap_arg *p, stralloc *uses)
{
	const struct imap_arg *a;
	if (p->type != IMAP_LIST || p->len != 2 || !imap_arg_atom_is(p->list, "USE") || p->list->next->type != IMAP_LIST ||
	    !p->list->next->len)
		return -1;
	for (a = p->list->next->list; a; a = a->next) {
		const char *u;
		if (a->type != IMAP_ATOM || a->s[0] != '\\') return -1;
		if (!(u = use_known(a->s, a->len))) return -2;
		/* once each; uses stays NUL-terminated for strstr (no use is
		 * a part of another) */
		if (uses->len && strstr(uses->s, u)) continue;
		if (!stralloc_cats(uses, u) || !stralloc_cats(uses, "\n") || !stralloc_0(uses)) return -3;
		uses->len--;
	}
	return 0;
}

/* RFC 3501 6.3.3; RFC 6154 3: CREATE name [(USE (attrs))] */
void do_create(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8], upath[IMAP_MAILBOX_MAX + 32];
	stralloc uses = {0};
	size_t l;
	int r;

	if (S.nargs < 1 || S.nargs > 2 || !imap_arg_string(S.args)) { reply(R_BAD_ARGS); return; }
	if (S.nargs == 2 && (r = create_uses(S.args->next, &uses)) < 0) {
		if (r == -1) reply(R_BAD_ARGS);
		else if (r == -2) reply(R_NO_USEATTR);
		else reply(R_NO_LIMIT, "out of memory");
		goto out;
	}
	/* RFC 3501 6.3.3: a trailing delimiter says children will follow.  A
	 * name that does not fit is too long, with or without it. */
	mailbox_canon(S.args->s, name, sizeof name);
	if (!name[0]) { reply(R_NO_BADNAME); goto out; }
	l = strlen(name);
	if (l > 1 && name[l - 1] == '.') name[l - 1] = 0;
	if (is_inbox(name)) { reply(R_NO_EXISTS); goto out; }
	/* a NUL in a literal would cut the name short */
	if (S.args->len > IMAP_MAILBOX_MAX || strlen(S.args->s) != S.args->len || mailbox_dir(name, dir, sizeof dir) < 0) {
		reply(R_NO_BADNAME);
		goto out;
	}
	if (mailbox_exists(dir)) { reply(R_NO_EXISTS); goto out; }
	if (maildir_create_folder(".", name, (uid_t)-1, (gid_t)-1) < 0) {
		log_error("create", name);
		reply(R_NO_CANNOT, "CREATE", strerror(errno));
		goto out;
	}
	/* the uses: the folder exists without them if this fails, as if
	 * created by a plain CREATE, and the client is told */
	if (uses.len && (path_fmt(upath, sizeof upath, "%s/" SPECIALUSE_FILE, dir) < 0 ||
			 durable_write(upath, uses.s, uses.len, 0600) < 0)) {
		log_error("create-specialuse", name);
		reply(R_NO_CANNOT, "CREATE (USE)", strerror(errno));
		goto out;
	}
	reply(R_OK_CREATE);
out:
	stralloc_free(&uses);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Moves dir into tmp/ under a unique name (one atomic step out of the
 * LIST) and makes *gone that name.  0, or -1 with errno. */
static int move_away(const char *dir, stralloc *gone)
{
	if (!stralloc_copys(gone, "tmp/deleted-") || !uniq_name(gone) || !stralloc_0(gone)) {
		errno = ENOMEM;
		return -1;
	}
	return rename(dir, gone->s);
}

/* The folder dir becomes a \Noselect placeholder: an empty directory that
 * keeps the folder's lock file, and with it the last UIDVALIDITY given
 * (uidlist_fresh_validity reads it at the next CREATE).  gone is where
 * move_away put the folder. */
static int make_placeholder(const char *dir, const char *gone)
{
	char from[600], to[600];

	if (path_join(from, sizeof from, gone, UIDLIST_LOCK) < 0 || path_join(to, sizeof to, dir, UIDLIST_LOCK) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0) return -1;
	if (rename(from, to) < 0 && errno != ENOENT) return -1;
	return durable_sync_dir(dir);
}

/* RFC 3501 6.3.4, in the three forms of a name (see the top). */
void do_delete(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	stralloc gone = {0};
	struct folders f;
	int kids, sel;

	if (S.nargs != 1) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	if (is_inbox(name)) { reply(R_NO_INBOX); return; }
	if (folders_read(&f) < 0) { reply(R_NO_CANNOT, "DELETE", strerror(errno)); return; }
	kids = has_children(&f, name);
	folders_free(&f);
	sel = mailbox_exists(dir);
	if (!sel && kids) { reply(R_NO_CHILDREN); return; }
	if (!sel && !is_placeholder(dir)) { reply(R_NO_NOMAILBOX); return; }
	if (S.state == ST_SELECTED && !strcmp(S.mailbox, name)) {
		view_close();
		S.state = ST_AUTH;
	}
	if (move_away(dir, &gone) < 0) {
		log_error("delete", name);
		reply(R_NO_CANNOT, "DELETE", strerror(errno));
		stralloc_free(&gone);
		return;
	}
	/* a crash here leaves the implied \Noselect form of the name */
	if (kids && make_placeholder(dir, gone.s) < 0) log_error("delete-placeholder", name);
	durable_sync_dir(".");
	nftw(gone.s, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	stralloc_free(&gone);
	reply(R_OK_DELETE);
}

/* RENAME INBOX: its messages move into the new folder, with new UIDs. */
static int rename_inbox(const char *to)
{
	static const char *const subs[] = {"new", "cur"};
	struct store_adder a;
	char dir[IMAP_MAILBOX_MAX + 8];
	unsigned k;
	int r = 0;

	if (mailbox_dir(to, dir, sizeof dir) < 0) { errno = EINVAL; return -1; }
	if (maildir_create_folder(".", to, (uid_t)-1, (gid_t)-1) < 0) return -1;
	if (store_add_begin(&a, dir) < 0) return -1;
	for (k = 0; k < 2 && r == 0; k++) {
		DIR *d = opendir(subs[k]);
		struct dirent *de;
		if (!d) continue;
		while ((de = readdir(d))) {
			char src[600];
			uint32_t uid;
			if (de->d_name[0] == '.') continue;
			/* the system flags go along; INBOX's keyword letters mean
			 * nothing in the new folder */
			if (path_join(src, sizeof src, subs[k], de->d_name) < 0 ||
			    store_add(&a, src, STORE_ADD_RENAME, mdflags_of(de->d_name), 0, 0, 0, &uid) < 0) {
				r = -1;
				break;
			}
		}
		closedir(d);
	}
	if (store_add_end(&a) < 0) r = -1;
	return r;
}

/* A renamed folder's new UIDVALIDITY (see the top): its list rewritten
 * with a fresh one, under its lock.  A folder without a list is left to
 * get one at its first use.  0 or -1. */
static int renew_validity(const char *dir)
{
	struct uidlist l = {0};
	int fd = uidlist_lock(dir), r = 0, e;

	if (fd < 0) return -1;
	if (uidlist_read(&l, dir) < 0) r = -1;
	else if (l.validity) {
		if (!(l.validity = uidlist_fresh_validity(dir, fd))) r = -1;
		else r = uidlist_write(&l, dir, 0, 0);
	}
	e = errno;
	uidlist_free(&l);
	close(fd);
	errno = e;
	return r;
}

/* Does the name exist in any of its three forms? */
static int name_exists(const struct folders *f, const char *name, const char *dir)
{
	return mailbox_exists(dir) || is_placeholder(dir) || has_children(f, name);
}

void do_rename(void)
{
	char from[IMAP_MAILBOX_MAX + 1], fdir[IMAP_MAILBOX_MAX + 8];
	char to[IMAP_MAILBOX_MAX + 1], tdir[IMAP_MAILBOX_MAX + 8];
	struct folders f;
	unsigned long i;
	size_t fl;

	if (S.nargs != 2) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, from, fdir) < 0 || one_name(S.args->next, to, tdir) < 0) return;
	if (folders_read(&f) < 0) { reply(R_NO_CANNOT, "RENAME", strerror(errno)); return; }
	if (is_inbox(from) ? !mailbox_exists(fdir) : !name_exists(&f, from, fdir)) {
		reply(R_NO_NOMAILBOX);
		goto out;
	}
	if (is_inbox(to) || name_exists(&f, to, tdir)) { reply(R_NO_EXISTS); goto out; }
	if (!is_inbox(from) && is_inferior(to, from)) { reply(R_NO_BADNAME); goto out; }
	if (is_inbox(from)) {
		if (rename_inbox(to) < 0) {
			log_error("rename", "INBOX");
			reply(R_NO_CANNOT, "RENAME", strerror(errno));
			goto out;
		}
		reply(R_OK_RENAME);
		goto out;
	}
	/* the inferiors go along ("from.x" becomes "to.x"): all of them, or
	 * nothing moves, so each new name must fit before anything moves */
	fl = strlen(from);
	for (i = 0; i < f.n; i++)
		if (is_inferior(f.f[i].name, from) && strlen(to) + strlen(f.f[i].name + fl) > IMAP_MAILBOX_MAX) {
			reply(R_NO_LIMIT, "an inferior name would be longer than 255 bytes");
			goto out;
		}
	/* the selected folder moves away, or one of the inferiors that go along */
	if (S.state == ST_SELECTED && (!strcmp(S.mailbox, from) || is_inferior(S.mailbox, from))) {
		view_close();
		S.state = ST_AUTH;
	}
	/* a folder or a placeholder has a directory; an implied name has none */
	if (mailbox_exists(fdir) || is_placeholder(fdir)) {
		if (rename(fdir, tdir) < 0) {
			log_error("rename", from);
			reply(R_NO_CANNOT, "RENAME", strerror(errno));
			goto out;
		}
		if (renew_validity(tdir) < 0) log_error("rename-uidvalidity", to);
	}
	/* the inferiors go along (their new names fit: checked above) */
	for (i = 0; i < f.n; i++) {
		char a[IMAP_MAILBOX_MAX + 8], b[IMAP_MAILBOX_MAX + 8];
		if (!is_inferior(f.f[i].name, from)) continue;
		if (path_fmt(a, sizeof a, ".%s", f.f[i].name) < 0 || path_fmt(b, sizeof b, ".%s%s", to, f.f[i].name + fl) < 0 ||
		    rename(a, b) < 0)
			log_error("rename", f.f[i].name);
		else if (renew_validity(b) < 0) log_error("rename-uidvalidity", b + 1);
	}
	durable_sync_dir(".");
	reply(R_OK_RENAME);
out:
	folders_free(&f);
}

/* ---- STATUS ---- */

/* RFC 3501 6.3.10, RFC 8438 (SIZE), RFC 9208 4.2 (DELETED,
 * DELETED-STORAGE), RFC 7889 (APPENDLIMIT), RFC 7162 3.1.10 (HIGHESTMODSEQ). */
static const char *const status_names[] = {
	"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE", "DELETED", "DELETED-STORAGE",
	"APPENDLIMIT", "HIGHESTMODSEQ",
};
enum { SI_MESSAGES, SI_RECENT, SI_UIDNEXT, SI_UIDVALIDITY, SI_UNSEEN, SI_SIZE, SI_DELETED, SI_DELSTORAGE,
       SI_APPENDLIMIT, SI_HIGHESTMODSEQ, SI_N };

static int status_item(const struct imap_arg *a)
{
	unsigned i;
	for (i = 0; i < SI_N; i++)
		if (imap_arg_atom_is(a, status_names[i])) return (int)i;
	return -1;
}

/* A non-empty list of known items. */
static int status_items_ok(const struct imap_arg *items)
{
	const struct imap_arg *a;
	if (!items || items->type != IMAP_LIST || !items->len) return 0;
	for (a = items->list; a; a = a->next)
		if (status_item(a) < 0) return 0;
	return 1;
}

/* Adds message k of st to v (the counts of the items). */
static void status_count(unsigned long long *v, struct store *st, unsigned long k, int recent, int sizes)
{
	unsigned long long b = sizes ? msg_bytes(st, k) : 0;
	v[SI_MESSAGES]++;
	if (recent) v[SI_RECENT]++;
	if (!(st->m[k].flags & STORE_SEEN)) v[SI_UNSEEN]++;
	v[SI_SIZE] += b;
	if (st->m[k].flags & STORE_DELETED) {
		v[SI_DELETED]++;
		v[SI_DELSTORAGE] += b;
	}
}

/* "* STATUS name (...)" of the folder (a valid name, dir its folder dir).
 * 0, or -1 with errno. */
static int status_emit(const char *name, const char *dir, const struct imap_arg *items)
{
	unsigned long long v[SI_N] = {0};
	const struct imap_arg *a;
	unsigned long i;
	int sp = 0, sizes = 0;

	for (a = items->list; a; a = a->next) {
		int k = status_item(a);
		if (k == SI_SIZE || k == SI_DELSTORAGE) sizes = 1;
		if (k == SI_HIGHESTMODSEQ) S.enabled |= EN_CONDSTORE;   /* RFC 7162 3.1: a CONDSTORE enabling command */
	}
	if (S.state == ST_SELECTED && !strcmp(S.mailbox, name)) {
		view_update(0);
		for (i = 0; i < S.nv; i++) {
			long k = view_store(i);
			if (k >= 0) status_count(v, &S.st, (unsigned long)k, S.v[i].recent, sizes);
			else v[SI_MESSAGES]++;
		}
		v[SI_UIDNEXT] = S.st.ul.next;
		v[SI_UIDVALIDITY] = S.st.ul.validity;
		v[SI_HIGHESTMODSEQ] = store_highestmodseq(&S.st);
	} else {
		struct store st;
		if (store_open(&st, dir) < 0 || store_sync(&st, 1) < 0) {
			int e = errno;
			store_free(&st);
			errno = e;
			return -1;
		}
		for (i = 0; i < st.n; i++) status_count(v, &st, i, st.m[i].recent, sizes);
		v[SI_UIDNEXT] = st.ul.next;
		v[SI_UIDVALIDITY] = st.ul.validity;
		v[SI_HIGHESTMODSEQ] = store_highestmodseq(&st);
		store_free(&st);
	}
	v[SI_APPENDLIMIT] = S.append_max;
	out("* STATUS ");
	out_mailbox(name);
	out(" (");
	for (a = items->list; a; a = a->next) {
		int k = status_item(a);
		outf("%s%s %llu", sp ? " " : "", status_names[k], v[k]);
		sp = 1;
	}
	out(")\r\n");
	return 0;
}

void do_status(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];

	if (S.nargs != 2 || !status_items_ok(S.args->next)) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	if (!mailbox_exists(dir)) { reply(R_NO_NOMAILBOX); return; }
	if (status_emit(name, dir, S.args->next) < 0) {
		log_error("status", name);
		reply(R_NO_CANNOT, "STATUS", strerror(errno));
		return;
	}
	reply(R_OK_STATUS);
}

/* ---- extended LIST: RFC 5258, RFC 5819 (STATUS), RFC 6154 (SPECIAL-USE) ---- */

/* Selection options (RFC 5258 3.1, RFC 6154 5.1) and return options
 * (RFC 5258 3.2, RFC 5819, RFC 6154 5.2). */
enum { SEL_SUBSCRIBED = 1, SEL_REMOTE = 2, SEL_RECURSIVE = 4, SEL_SPECIALUSE = 8 };
enum { RET_SUBSCRIBED = 1, RET_CHILDREN = 2, RET_SPECIALUSE = 4, RET_STATUS = 8 };
#define LIST_PATTERNS_MAX 64

/* The forms of a name in an extended LIST (see the top for the first
 * three): K_NONE is a subscribed name that exists in no form, or a parent
 * of one, \NonExistent (RFC 5258 3.4). */
enum { K_FOLDER, K_PLACEHOLDER, K_IMPLIED, K_NONE };

struct lent {
	char *name;
	unsigned char kind, subd, sel;
};

struct lents {
	struct lent *e;
	unsigned long n, cap;
};

static int lents_add(struct lents *l, const char *name, size_t len, int kind, int subd)
{
	if (l->n >= 4 * FOLDERS_MAX) return 0;   /* the rest are not listed */
	if (l->n == l->cap) {
		unsigned long cap = l->cap ? l->cap * 2 : 64;
		struct lent *nn = realloc(l->e, cap * sizeof *nn);
		if (!nn) return -1;
		l->e = nn;
		l->cap = cap;
	}
	if (!(l->e[l->n].name = strndup(name, len))) return -1;
	l->e[l->n].kind = (unsigned char)kind;
	l->e[l->n].subd = (unsigned char)subd;
	l->e[l->n++].sel = 0;
	return 0;
}

/* Adds each parent of name ("a" and "a.b" of "a.b.c") as kind: the
 * implied parents of a folder, the \NonExistent ones of a subscription. */
static int lents_parents(struct lents *l, const char *name, int kind)
{
	const char *dot;
	for (dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.'))
		if (lents_add(l, name, (size_t)(dot - name), kind, 0) < 0) return -1;
	return 0;
}

static int cmp_lent(const void *a, const void *b)
{
	const struct lent *x = a, *y = b;
	int c;
	if (!strcmp(x->name, "INBOX")) return strcmp(y->name, "INBOX") ? -1 : x->kind - y->kind;
	if (!strcmp(y->name, "INBOX")) return 1;
	return (c = strcmp(x->name, y->name)) ? c : x->kind - y->kind;
}

static void lents_free(struct lents *l)
{
	unsigned long i;
	for (i = 0; i < l->n; i++) free(l->e[i].name);
	free(l->e);
	l->e = 0;
	l->n = l->cap = 0;
}

/* Every name in every form, INBOX first, once each (in its strongest
 * form: a folder over a placeholder over an implied name), with its
 * subscription.  0 or -1 with errno. */
static int lents_read(struct lents *l, int with_subs)
{
	struct folders f;
	stralloc sa = {0};
	char **names = 0;
	unsigned long i, n = 0, j;
	int r = -1;

	if (folders_read(&f) < 0) return -1;
	if (with_subs) {
		if (subs_read(&sa) < 0 || !(names = malloc(FOLDERS_MAX * sizeof *names))) goto out;
		n = subs_split(&sa, names);
	}
	for (i = 0; i < f.n; i++)
		if (lents_add(l, f.f[i].name, strlen(f.f[i].name), f.f[i].noselect ? K_PLACEHOLDER : K_FOLDER, 0) < 0 ||
		    lents_parents(l, f.f[i].name, K_IMPLIED) < 0)
			goto out;
	for (i = 0; i < n; i++)
		if (lents_add(l, names[i], strlen(names[i]), K_NONE, 1) < 0 || lents_parents(l, names[i], K_NONE) < 0) goto out;
	qsort(l->e, l->n, sizeof *l->e, cmp_lent);
	/* merge the runs of one name: the first has the strongest form */
	for (i = j = 0; i < l->n; i++) {
		if (j && !strcmp(l->e[j - 1].name, l->e[i].name)) {
			l->e[j - 1].subd |= l->e[i].subd;
			free(l->e[i].name);
			continue;
		}
		l->e[j++] = l->e[i];
	}
	l->n = j;
	r = 0;
out:
	{ int e = errno; folders_free(&f); free(names); stralloc_free(&sa); errno = e; }
	return r;
}

static int status_items_ok(const struct imap_arg *items);
static int status_emit(const char *name, const char *dir, const struct imap_arg *items);

static int opt_bits(const struct imap_arg *list, const char *const *names, unsigned *bits, const struct imap_arg **status)
{
	const struct imap_arg *a;
	unsigned i;
	for (a = list ? list->list : 0; a; a = a->next) {
		for (i = 0; names[i] && !imap_arg_atom_is(a, names[i]); i++)
			;
		if (!names[i]) return -1;
		*bits |= 1u << i;
		/* RFC 5819: STATUS takes the list of items */
		if (status && imap_arg_atom_is(a, "STATUS")) {
			if (!status_items_ok(a->next)) return -1;
			*status = a = a->next;
		}
	}
	return 0;
}

static void list_ext(void)
{
	static const char *const sel_names[] = {"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE", 0};
	static const char *const ret_names[] = {"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS", 0};
	const struct imap_arg *a = S.args, *ref, *pats, *items = 0;
	char pat[LIST_PATTERNS_MAX][PATTERN_MAX + 1];
	unsigned sel = 0, ret = 0, np = 0, i;
	struct lents l = {0};
	unsigned long k, m;

	/* LIST [(selection)] reference (pattern | (pattern ...)) [RETURN (options)] */
	if (a && a->type == IMAP_LIST) {
		if (opt_bits(a, sel_names, &sel, 0) < 0) { reply(R_BAD_SYNTAX, "unknown LIST selection option"); return; }
		a = a->next;
	}
	ref = a;
	pats = ref ? ref->next : 0;
	if (!imap_arg_string(ref) || !pats || (pats->type == IMAP_LIST ? !pats->len : !imap_arg_string(pats))) {
		reply(R_BAD_ARGS);
		return;
	}
	if ((a = pats->next)) {
		if (!imap_arg_atom_is(a, "RETURN") || !a->next || a->next->type != IMAP_LIST || a->next->next) {
			reply(R_BAD_ARGS);
			return;
		}
		if (opt_bits(a->next, ret_names, &ret, &items) < 0) { reply(R_BAD_SYNTAX, "unknown LIST return option"); return; }
	}
	/* RFC 5258 3.1: RECURSIVEMATCH only refines another selection */
	if ((sel & SEL_RECURSIVE) && !(sel & SEL_SUBSCRIBED)) {
		reply(R_BAD_SYNTAX, "RECURSIVEMATCH needs SUBSCRIBED");
		return;
	}
	for (a = pats->type == IMAP_LIST ? pats->list : pats; a; a = pats->type == IMAP_LIST ? a->next : 0) {
		if (!imap_arg_string(a) || np == LIST_PATTERNS_MAX ||
		    (size_t)snprintf(pat[np], sizeof pat[np], "%s%s", ref->s, a->s) >= sizeof pat[np]) {
			reply(R_BAD_ARGS);
			return;
		}
		if (a->len) np++;
	}
	if (!np) {
		/* only empty patterns: the delimiter and the root (RFC 3501 6.3.8) */
		out("* LIST (\\Noselect) \".\" \"\"\r\n");
		reply(R_OK_LIST);
		return;
	}
	if (lents_read(&l, (sel & SEL_SUBSCRIBED) || (ret & RET_SUBSCRIBED)) < 0) {
		reply(R_NO_CANNOT, "LIST", strerror(errno));
		return;
	}
	/* which names meet the selection (RFC 5258 3.1) */
	for (k = 0; k < l.n; k++) {
		struct lent *e = &l.e[k];
		char su[64] = "";
		e->sel = (sel & SEL_SUBSCRIBED) ? e->subd : e->kind != K_NONE;
		if ((sel & SEL_SPECIALUSE) && e->sel) {
			if (e->kind == K_FOLDER) special_uses(e->name, su, sizeof su);
			e->sel = su[0] != 0;
		}
	}
	for (k = 0; k < l.n && !S.dead; k++) {
		const struct lent *e = &l.e[k];
		char attrs[160], su[64] = "", dir[IMAP_MAILBOX_MAX + 8];
		int matched = 0, childinfo = 0, kids = 0;
		size_t n = 0;

		for (i = 0; i < np && !matched; i++) matched = name_match(pat[i], e->name);
		if (!matched) continue;
		for (m = 0; m < l.n; m++) {
			if (!is_inferior(l.e[m].name, e->name)) continue;
			if (l.e[m].kind != K_NONE) kids = 1;
			if (l.e[m].sel) childinfo = 1;
		}
		/* RFC 5258 3.5: CHILDINFO only where RECURSIVEMATCH asked */
		childinfo = childinfo && (sel & SEL_RECURSIVE);
		if (!e->sel && !childinfo) continue;
		attrs[0] = 0;
		/* fits: five words and the uses, 150 bytes at most */
		if (e->kind == K_PLACEHOLDER || e->kind == K_IMPLIED) n += (size_t)snprintf(attrs + n, sizeof attrs - n, " \\Noselect");
		if (e->kind == K_NONE) n += (size_t)snprintf(attrs + n, sizeof attrs - n, " \\NonExistent");
		if ((sel & SEL_SUBSCRIBED || ret & RET_SUBSCRIBED) && e->subd)
			n += (size_t)snprintf(attrs + n, sizeof attrs - n, " \\Subscribed");
		if ((ret & RET_CHILDREN) && e->kind != K_NONE)
			n += (size_t)snprintf(attrs + n, sizeof attrs - n, kids ? " \\HasChildren" : " \\HasNoChildren");
		if ((ret & RET_SPECIALUSE || sel & SEL_SPECIALUSE) && e->kind == K_FOLDER) {
			special_uses(e->name, su, sizeof su);
			if (su[0]) snprintf(attrs + n, sizeof attrs - n, " %s", su);
		}
		outf("* LIST (%s) \".\" ", attrs[0] ? attrs + 1 : "");
		out_string(e->name, strlen(e->name));
		out(childinfo ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n" : "\r\n");
		/* RFC 5819: the STATUS of each selectable one, right after it; one
		 * that cannot be read is left out */
		if ((ret & RET_STATUS) && e->kind == K_FOLDER && mailbox_dir(e->name, dir, sizeof dir) == 0 &&
		    status_emit(e->name, dir, items) < 0)
			log_error("list-status", e->name);
	}
	lents_free(&l);
	reply(R_OK_LIST);
}
