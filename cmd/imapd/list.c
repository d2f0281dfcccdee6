/*
 * Folders: names, LIST and LSUB (RFC 3501 6.3.8-9, with the CHILDREN and
 * SPECIAL-USE attributes of RFC 3348 and RFC 6154), SUBSCRIBE,
 * UNSUBSCRIBE, CREATE, DELETE, RENAME, STATUS.
 *
 * The hierarchy delimiter is '.', so an IMAP name is its Maildir++ name:
 * "Sent" is MAILDIR/.Sent, "Work.2024" is MAILDIR/.Work.2024, INBOX (any
 * case, RFC 3501 5.1) is MAILDIR itself.  Names are taken as the client
 * sends them (modified UTF-7 by RFC 3501 5.1.3); we refuse control bytes,
 * '/', the wildcards, empty levels ("a..b", ".a", "a.") and names over
 * IMAP_MAILBOX_MAX bytes.
 *
 * Subscriptions are the file "posthorn-subscriptions" in the Maildir, one
 * name a line, replaced atomically.
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
#include "imapd.h"
#include "log.h"
#include "maildir.h"
#include "uidlist.h"
#include "uniq.h"

#define SUBS_FILE "posthorn-subscriptions"
#define FOLDERS_MAX 10000

static int is_inbox(const char *name)
{
	return !strcasecmp(name, "INBOX");
}

void mailbox_canon(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s", is_inbox(name) ? "INBOX" : name);
}

static int name_ok(const char *name, size_t len)
{
	size_t i;
	if (!len || len > IMAP_MAILBOX_MAX || strlen(name) != len) return 0;
	if (name[0] == '.' || name[len - 1] == '.') return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '*' || c == '%') return 0;
		if (c == '.' && name[i + 1] == '.') return 0;
	}
	return 1;
}

int mailbox_dir(const char *name, char *out, size_t cap)
{
	if (is_inbox(name)) { snprintf(out, cap, "."); return 0; }
	if (!name_ok(name, strlen(name))) return -1;
	if ((size_t)snprintf(out, cap, ".%s", name) >= cap) return -1;
	return 0;
}

int mailbox_exists(const char *dir)
{
	char p[2048];
	struct stat st;
	snprintf(p, sizeof p, "%s/cur", dir);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
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

/* RFC 3501 6.3.8: '*' matches anything, '%' anything but the delimiter. */
static int match(const char *pat, const char *name, int fold)
{
	for (; *pat; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			const char *n;
			for (n = name;; n++) {
				if (match(pat + 1, n, fold)) return 1;
				if (!*n || (*pat == '%' && *n == '.')) return 0;
			}
		}
		if (!*name) return 0;
		if (fold ? (*pat | 0x20) != (*name | 0x20) : *pat != *name) return 0;
	}
	return !*name;
}

static int name_match(const char *pat, const char *name)
{
	/* INBOX and the "INBOX" start of a pattern in any case */
	if (!strncmp(name, "INBOX", 5) && (!name[5] || name[5] == '.') && !strncasecmp(pat, "INBOX", 5)) {
		char p2[IMAP_MAILBOX_MAX * 2 + 8];
		snprintf(p2, sizeof p2, "INBOX%s", pat + 5);
		return match(p2, name, 0);
	}
	return match(pat, name, 0);
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
	char pat[IMAP_MAILBOX_MAX * 2 + 8], attrs[128];
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

/* Adds (on) or removes (!on) name; 0 or -1. */
static int subs_change(const char *name, int on)
{
	stralloc sa = {0}, outp = {0};
	size_t i = 0;
	int found = 0, r;

	if (subs_read(&sa) < 0) return -1;
	while (i < sa.len) {
		char *nl = memchr(sa.s + i, '\n', sa.len - i);
		size_t l = nl ? (size_t)(nl - (sa.s + i)) : sa.len - i;
		if (l == strlen(name) && !memcmp(sa.s + i, name, l)) found = 1;
		else if (l && (!stralloc_catb(&outp, sa.s + i, l) || !stralloc_cats(&outp, "\n"))) goto nomem;
		i += l + 1;
	}
	if (on && !found) found = 0;
	if (on && (!stralloc_cats(&outp, name) || !stralloc_cats(&outp, "\n"))) goto nomem;
	r = durable_write(SUBS_FILE, outp.s ? outp.s : "", outp.len, 0600);
	stralloc_free(&sa);
	stralloc_free(&outp);
	return r;
nomem:
	stralloc_free(&sa);
	stralloc_free(&outp);
	errno = ENOMEM;
	return -1;
}

void do_lsub(void)
{
	char pat[IMAP_MAILBOX_MAX * 2 + 8], nm[IMAP_MAILBOX_MAX + 1], dir[IMAP_MAILBOX_MAX + 8];
	stralloc sa = {0};
	size_t i = 0;

	if (pattern_of(pat, sizeof pat) < 0) return;
	if (subs_read(&sa) < 0) { reply(R_NO_CANNOT, "LSUB", strerror(errno)); return; }
	while (i < sa.len) {
		char *nl = memchr(sa.s + i, '\n', sa.len - i);
		size_t l = nl ? (size_t)(nl - (sa.s + i)) : sa.len - i;
		if (l && l <= IMAP_MAILBOX_MAX) {
			memcpy(nm, sa.s + i, l);
			nm[l] = 0;
			if (name_match(pat, nm))
				list_line("LSUB", nm, mailbox_dir(nm, dir, sizeof dir) == 0 && mailbox_exists(dir) ? "" : "\\Noselect");
		}
		i += l + 1;
	}
	stralloc_free(&sa);
	reply(R_OK_LSUB);
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
	/* RFC 3501 6.3.3: a trailing delimiter says children will follow */
	snprintf(name, sizeof name, "%s", S.args->s);
	l = strlen(name);
	if (l > 1 && name[l - 1] == '.') name[l - 1] = 0;
	if (is_inbox(name)) { reply(R_NO_EXISTS); return; }
	if (S.args->len > IMAP_MAILBOX_MAX || mailbox_dir(name, dir, sizeof dir) < 0) { reply(R_NO_BADNAME); return; }
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

	if (mkdir(dir, 0700) < 0) return -1;
	snprintf(from, sizeof from, "%s/%s", gone, UIDLIST_LOCK);
	snprintf(to, sizeof to, "%s/%s", dir, UIDLIST_LOCK);
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
	unsigned k;
	int r = 0;

	if (maildir_create_folder(".", to, (uid_t)-1, (gid_t)-1) < 0) return -1;
	{
		char dir[IMAP_MAILBOX_MAX + 8];
		snprintf(dir, sizeof dir, ".%s", to);
		if (store_add_begin(&a, dir) < 0) return -1;
	}
	for (k = 0; k < 2 && r == 0; k++) {
		DIR *d = opendir(subs[k]);
		struct dirent *de;
		if (!d) continue;
		while ((de = readdir(d))) {
			char src[600];
			uint32_t uid;
			const char *c = strchr(de->d_name, ':');
			uint32_t fl = 0;
			if (de->d_name[0] == '.') continue;
			if (c && !strncmp(c, ":2,", 3)) {
				if (strchr(c, 'S')) fl |= STORE_SEEN;
				if (strchr(c, 'R')) fl |= STORE_ANSWERED;
				if (strchr(c, 'F')) fl |= STORE_FLAGGED;
				if (strchr(c, 'T')) fl |= STORE_DELETED;
				if (strchr(c, 'D')) fl |= STORE_DRAFT;
			}
			snprintf(src, sizeof src, "%s/%s", subs[k], de->d_name);
			if (store_add(&a, src, STORE_ADD_RENAME, fl, 0, 0, 0, &uid) < 0) { r = -1; break; }
		}
		closedir(d);
	}
	if (store_add_end(&a) < 0) r = -1;
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
	/* the selected folder moves away, or one of the inferiors that go along */
	if (S.state == ST_SELECTED && (!strcmp(S.mailbox, from) || is_inferior(S.mailbox, from))) {
		view_close();
		S.state = ST_AUTH;
	}
	/* a folder or a placeholder has a directory; an implied name has none */
	if ((mailbox_exists(fdir) || is_placeholder(fdir)) && rename(fdir, tdir) < 0) {
		log_error("rename", from);
		reply(R_NO_CANNOT, "RENAME", strerror(errno));
		goto out;
	}
	/* the inferiors go along: "from.x" becomes "to.x" */
	fl = strlen(from);
	for (i = 0; i < f.n; i++) {
		char a[IMAP_MAILBOX_MAX + 8], b[2 * IMAP_MAILBOX_MAX + 8];
		if (!is_inferior(f.f[i].name, from)) continue;
		snprintf(a, sizeof a, ".%s", f.f[i].name);
		if ((size_t)snprintf(b, sizeof b, ".%s%s", to, f.f[i].name + fl) >= IMAP_MAILBOX_MAX + 2) continue;
		if (rename(a, b) < 0) log_error("rename", f.f[i].name);
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
	int sp = 0;

	if (S.nargs != 2 || S.args->next->type != IMAP_LIST || !S.args->next->len) { reply(R_BAD_ARGS); return; }
	if (one_name(S.args, name, dir) < 0) return;
	items = S.args->next;
	for (a = items->list; a; a = a->next)
		if (!imap_arg_atom_is(a, "MESSAGES") && !imap_arg_atom_is(a, "RECENT") && !imap_arg_atom_is(a, "UIDNEXT") &&
		    !imap_arg_atom_is(a, "UIDVALIDITY") && !imap_arg_atom_is(a, "UNSEEN")) {
			reply(R_BAD_ARGS);
			return;
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
		store_free(&st);
	}
	out("* STATUS ");
	out_string(name, strlen(name));
	out(" (");
	for (a = items->list; a; a = a->next) {
		unsigned long v = imap_arg_atom_is(a, "MESSAGES") ? messages : imap_arg_atom_is(a, "RECENT") ? recent
			: imap_arg_atom_is(a, "UIDNEXT") ? uidnext : imap_arg_atom_is(a, "UIDVALIDITY") ? validity : unseen;
		char up[16];
		size_t j;
		for (j = 0; j < a->len && j < sizeof up - 1; j++) up[j] = (char)(a->s[j] & ~0x20);
		up[j] = 0;
		outf("%s%s %lu", sp ? " " : "", up, v);
		sp = 1;
	}
	out(")\r\n");
	reply(R_OK_STATUS);
}
