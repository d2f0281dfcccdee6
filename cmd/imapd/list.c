/*
 * Folders: names, LIST and LSUB (RFC 3501 6.3.8-9, with the CHILDREN and
 * SPECIAL-USE attributes of RFC 3348 and RFC 6154), SUBSCRIBE,
 * UNSUBSCRIBE, CREATE, DELETE, RENAME, STATUS.
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
 * it could name another folder. */
void mailbox_canon(const char *name, char *out, size_t cap)
{
	if ((size_t)snprintf(out, cap, "%s", is_inbox(name) ? "INBOX" : name) >= cap) out[0] = 0;
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

static const char *special_use(const char *name)
{
	static const char *const map[][2] = {
		{"Sent", "\\Sent"}, {"Drafts", "\\Drafts"}, {"Trash", "\\Trash"}, {"Junk", "\\Junk"},
		{"Archive", "\\Archive"},
	};
	unsigned i;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(name, map[i][0])) return map[i][1];
	return 0;
}

static void list_line(const char *verb, const char *name, const char *attrs)
{
	outf("* %s (%s) \".\" ", verb, attrs);
	out_string(name, strlen(name));
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
	return 0;
}

void do_list(void)
{
	char pat[PATTERN_MAX + 1], attrs[128];
	struct folders f;
	unsigned long i;

	if (pattern_of(pat, sizeof pat) < 0) return;
	if (!S.args->next->len) {
		/* RFC 3501 6.3.8: the delimiter and the root */
		out("* LIST (\\Noselect) \".\" \"\"\r\n");
		reply(R_OK_LIST);
		return;
	}
	if (folders_read(&f) < 0) { reply(R_NO_CANNOT, "LIST", strerror(errno)); return; }
	for (i = 0; i < f.n; i++) {
		const char *nm = f.f[i].name, *su = f.f[i].noselect ? 0 : special_use(nm);
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
		/* fits: four fixed words, 40 bytes at most */
		snprintf(attrs, sizeof attrs, "%s%s%s%s", f.f[i].noselect ? "\\Noselect " : "",
			 has_children(&f, nm) ? "\\HasChildren" : "\\HasNoChildren", su ? " " : "", su ? su : "");
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

void do_create(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	size_t l;

	if (S.nargs != 1 || !imap_arg_string(S.args)) { reply(R_BAD_ARGS); return; }
	/* RFC 3501 6.3.3: a trailing delimiter says children will follow.  A
	 * name that does not fit is too long, with or without it. */
	if (path_fmt(name, sizeof name, "%s", S.args->s) < 0) { reply(R_NO_BADNAME); return; }
	l = strlen(name);
	if (l > 1 && name[l - 1] == '.') name[l - 1] = 0;
	if (is_inbox(name)) { reply(R_NO_EXISTS); return; }
	/* a NUL in a literal would cut the name short */
	if (S.args->len > IMAP_MAILBOX_MAX || strlen(S.args->s) != S.args->len || mailbox_dir(name, dir, sizeof dir) < 0) {
		reply(R_NO_BADNAME);
		return;
	}
	if (mailbox_exists(dir)) { reply(R_NO_EXISTS); return; }
	if (maildir_create_folder(".", name, (uid_t)-1, (gid_t)-1) < 0) {
		log_error("create", name);
		reply(R_NO_CANNOT, "CREATE", strerror(errno));
		return;
	}
	reply(R_OK_CREATE);
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

void do_status(void)
{
	char name[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	const struct imap_arg *items, *a;
	unsigned long messages = 0, recent = 0, unseen = 0, i;
	uint32_t uidnext = 1, validity = 0;
	uint64_t highest = 0;      /* RFC 7162 3.1.10 STATUS HIGHESTMODSEQ */
	int sp = 0;

	if (S.nargs != 2 || S.args->next->type != IMAP_LIST || !S.args->next->len) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	items = S.args->next;
	for (a = items->list; a; a = a->next)
		if (!imap_arg_atom_is(a, "MESSAGES") && !imap_arg_atom_is(a, "RECENT") && !imap_arg_atom_is(a, "UIDNEXT") &&
		    !imap_arg_atom_is(a, "UIDVALIDITY") && !imap_arg_atom_is(a, "UNSEEN") &&
		    !imap_arg_atom_is(a, "HIGHESTMODSEQ")) {
			reply(R_BAD_ARGS);
			return;
		} else if (imap_arg_atom_is(a, "HIGHESTMODSEQ")) {
			S.enabled |= EN_CONDSTORE;   /* RFC 7162 3.1: a CONDSTORE enabling command */
		}
	if (!mailbox_exists(dir)) { reply(R_NO_NOMAILBOX); return; }
	if (S.state == ST_SELECTED && !strcmp(S.mailbox, name)) {
		view_update(0);
		messages = S.nv;
		for (i = 0; i < S.nv; i++) {
			long k = view_store(i);
			if (S.v[i].recent) recent++;
			if (k >= 0 && !(S.st.m[k].flags & STORE_SEEN)) unseen++;
		}
		uidnext = S.st.ul.next;
		validity = S.st.ul.validity;
		highest = store_highestmodseq(&S.st);
	} else {
		struct store st;
		if (store_open(&st, dir) < 0 || store_sync(&st, 1) < 0) {
			log_error("status", name);
			reply(R_NO_CANNOT, "STATUS", strerror(errno));
			store_free(&st);
			return;
		}
		messages = st.n;
		for (i = 0; i < st.n; i++) {
			if (st.m[i].recent) recent++;
			if (!(st.m[i].flags & STORE_SEEN)) unseen++;
		}
		uidnext = st.ul.next;
		validity = st.ul.validity;
		highest = store_highestmodseq(&st);
		store_free(&st);
	}
	out("* STATUS ");
	out_string(name, strlen(name));
	out(" (");
	for (a = items->list; a; a = a->next) {
		unsigned long long v = imap_arg_atom_is(a, "MESSAGES") ? messages : imap_arg_atom_is(a, "RECENT") ? recent
			: imap_arg_atom_is(a, "UIDNEXT") ? uidnext : imap_arg_atom_is(a, "UIDVALIDITY") ? validity
			: imap_arg_atom_is(a, "HIGHESTMODSEQ") ? highest : unseen;
		char up[16];
		size_t j;
		for (j = 0; j < a->len && j < sizeof up - 1; j++) up[j] = (char)(a->s[j] & ~0x20);
		up[j] = 0;
		outf("%s%s %llu", sp ? " " : "", up, v);
		sp = 1;
	}
	out(")\r\n");
	reply(R_OK_STATUS);
}
