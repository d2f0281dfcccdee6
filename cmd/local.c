/*
 * posthorn-local: delivers one message to one local recipient (see
 * posthorn-local(8)).
 *
 *     posthorn-local [-C DIR] SENDER RECIPIENT    < message (a regular file)
 *     posthorn-local [-C DIR] [-a] -b FD SENDER RECIPIENT...   (a batch: see batch_main)
 *
 * Three phases, each finished before the next starts:
 *   1. resolve: read the config, read the message header (a Delivered-To
 *      loop ends the run; an X-Posthorn-Junk mark is noted), expand the
 *      recipient through users.cdb (aliases, plus-addressing, catch-all)
 *      into a list of local users and a list of remote addresses.
 *      This runs with the privileges we were started with, so users.cdb may
 *      be readable by root only.  No mailbox is touched, so any failure here
 *      leaves nothing half done.
 *   2. drop: become the mail owner (never deliver as root).
 *   3. deliver: per local user, the spam classifier (bogofilter, when the
 *      user has a word list and the message is not marked already: adds
 *      X-Spam-Status, marks spam as junk), then the instructions of
 *      MAILDIR/posthorn-rules or the INBOX (or the plus-address folder; for
 *      marked mail the junk folder, made if missing); then one re-injection
 *      for all remote
 *      addresses (lib/inject, into our config dir's queue).  A temporary
 *      failure in the middle means a retry of the whole message: at worst a
 *      duplicate, never a loss.
 *
 * Exit 0 delivered (every Maildir file and new/ fsync'ed), 100 permanent
 * failure, 111 temporary failure, 64 usage; one reason line on stdout,
 * starting with an RFC 3463 enhanced status code (the reasons are named
 * in lib/status, whose code class is the exit code).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <buffer.h>
#include <fmt.h>
#include <scan.h>
#include <stralloc.h>
#include "addr.h"
#include "bogo.h"
#include "conf.h"
#include "durable.h"
#include "exitcode.h"
#include "hdr.h"
#include "inject.h"
#include "log.h"
#include "maildir.h"
#include "privs.h"
#include "quota.h"
#include "rules.h"
#include "senderlist.h"
#include "status.h"
#include "userdb.h"

#define ALIAS_DEPTH_MAX 10        /* nested aliases before we call it a loop */
#define ALIAS_LOOKUPS_MAX 1024    /* users.cdb lookups per message */
#define LOCAL_TARGETS_MAX 256     /* distinct local users per message */
#define FORWARD_TARGETS_MAX 256   /* distinct remote addresses per message */
#define DELIVERED_TO_MAX 25       /* more of these headers is a loop */
#define HEADER_SCAN_MAX 262144    /* bytes of header scanned for them */
#define FIELD_MAX 1024            /* bytes of one header field kept */
#define REASON_MAX 400            /* bytes of a reason line */
#define JUNK_KIND_MAX 32          /* bytes of the mark's first word, logged */
#define JUNK_FOLDER_DEFAULT "Junk"
#define PIPE_TIMEOUT_DEFAULT 600  /* seconds */
#define FEED_BUF 16384
#define LOCAL_BATCH_MAX 1000       /* deliveries per batch (posthorn-runq: local-batch) */
#define BOGOFILTER_DEFAULT "/usr/bin/bogofilter"
#define SPAM_MAXSIZE_DEFAULT 1048576  /* bytes; bigger messages are not classified */
#define SCAN_TIMEOUT_DEFAULT 30   /* seconds for one classification */
#define WORDLIST_USER "bogofilter"  /* the per-user word list dir in the Maildir */

static const char usage_text[] =
	"usage: posthorn-local [-C DIR] SENDER RECIPIENT < message\n"
	"       posthorn-local [-C DIR] [-a] -b FD SENDER RECIPIENT [FD SENDER RECIPIENT ...]\n";

/* ---- what this run is about ---- */

struct local_target {
	char name[ADDR_PATH_MAX + 1];          /* user address, lookup form */
	char maildir[USERREC_PATH_MAX + 1];
	unsigned long long quota;
	char ext[ADDR_LOCAL_MAX + 1];          /* plus-address tag, or "" */
	int catchall;                          /* reached through a catch-all */
	int senders;                           /* the sender lists' say (senderlist.h) */
};

static struct {
	const char *sender;            /* envelope sender as given ("" = <>) */
	stralloc from;                 /* the first From field's unfolded body */
	int seen_from;
	struct addr rcpt;
	stralloc rcptkey;              /* the recipient in lookup form */
	char delim;
	int bounce_overquota;
	unsigned long pipe_timeout;
	stralloc cdbpath;
	stralloc owner;                /* mailowner spec, "" if none */
	int msgfd;
	unsigned long long msgsize;
	stralloc head;                 /* Return-Path + Delivered-To */
	stralloc userhead;             /* head + this user's X-Spam-Status */
	stralloc fwdhead;              /* Delivered-To only */
	/* The receiving side's junk mark (X-Posthorn-Junk, added by
	 * posthorn-smtpd, which removes any the sender wrote): junk is set when
	 * the header holds one; junkkind is the first word of its value
	 * ("dmarc"), or "yes" for an empty one. */
	int junk;
	char junkkind[JUNK_KIND_MAX + 1];
	stralloc junkfolder;           /* local-junk-folder; "" = no junk folder */
	unsigned lookups;
	/* The spam classifier (bogofilter), read from the config. */
	int spam_on;                   /* spam-classifier is bogofilter */
	stralloc wordlist;             /* spam-wordlist: "" = per user, else a shared dir */
	stralloc bogoprog;             /* bogofilter: the program */
	unsigned long spam_maxsize;
	unsigned long scan_timeout;
} g;

static struct local_target targets[LOCAL_TARGETS_MAX];
static unsigned ntargets;
static stralloc fwd;                   /* remote addresses, each NUL-terminated */
static unsigned nfwd;

/* ---- ending ---- */

/* Control bytes would break the one-line contract of stdout and the log. */
static void cat_clean(stralloc *sa, const char *s)
{
	for (; *s && sa->len < REASON_MAX; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
		if (!stralloc_append(sa, &c)) return;
	}
}

/* Writes the reason on stdout -- the status line of id (lib/status), then
 * the strings given, up to a null pointer -- and one log line, and exits
 * with the code of id's class. */
/* Batch mode: set while the batch process reads the config once for all
 * its children (batch_preload); a failure there jumps back, and each
 * child then reads the config itself and reports the failure as its own. */
static jmp_buf *preload_jmp;
static int preloaded;                  /* the config (and the mail owner) are read */
static int owner_known;                /* owner_uid/gid hold the mail owner */
static uid_t owner_uid;
static gid_t owner_gid;

_Noreturn static void finish(enum status_id id, ...)
{
	static stralloc reason;
	const char *s;
	char num[FMT_ULONG];
	int code = status_exit(id);
	va_list ap;

	if (preload_jmp) longjmp(*preload_jmp, 1);
	reason.len = 0;
	if (!status_cat(&reason, id)) _exit(EXIT_TEMP);
	va_start(ap, id);
	while ((s = va_arg(ap, const char *)))
		cat_clean(&reason, s);
	va_end(ap);
	if (!stralloc_0(&reason)) _exit(EXIT_TEMP);
	num[fmt_ulong(num, (unsigned long)code)] = 0;
	log_event("result", "sender", g.sender, "rcpt", g.rcptkey.len ? g.rcptkey.s : 0,
		  "status", num, "reason", reason.s, (char *)0);
	buffer_puts(buffer_1, reason.s);
	buffer_puts(buffer_1, "\n");
	/* A reason that cannot be written makes a 0 a lie only for the caller's
	 * bookkeeping, never for the mail: the exit code stays what it is. */
	buffer_flush(buffer_1);
	exit(code);
}

_Noreturn static void nomem(void) { finish(ST_NOMEM, (char *)0); }

static const char *errstr(void) { return strerror(errno); }

/* ---- phase 1: message, config, loop check, resolution ---- */

/* A private open file description of fd 0: deliverers run side by side on
 * the same file (runq, make bench), and a shared offset would let one's
 * lseek move another's read.  /proc is the Linux way to reopen; without it
 * we use fd 0 as it is. */
static void open_message(void)
{
	struct stat st;
	int fd;

	/* Checked first: reopening a pipe whose writer is gone would block. */
	if (fstat(0, &st) < 0) finish(ST_STAT_MESSAGE, ": ", errstr(), (char *)0);
	if (!S_ISREG(st.st_mode))
		finish(ST_MESSAGE_NOT_FILE, (char *)0);
	fd = open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC);
	if (fd < 0) fd = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		finish(ST_REWIND_MESSAGE, ": ", errstr(), (char *)0);
	g.msgfd = fd;
	g.msgsize = (unsigned long long)st.st_size;
}

static void check_sender(const char *s)
{
	size_t i;
	if (strlen(s) > ADDR_PATH_MAX) finish(ST_SENDER_TOO_LONG, (char *)0);
	/* It goes into a header line: a CR or LF would forge more headers. */
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			finish(ST_SENDER_CONTROL, (char *)0);
	g.sender = s;
}

static void conf_fail(const char *name)
{
	finish(ST_CONF_FILE, conf_dir(), "/", name, ": ", errstr(), (char *)0);
}

static void read_spam_config(stralloc *line)
{
	if (conf_line("spam-classifier", line, "bogofilter") < 0) conf_fail("spam-classifier");
	if (!strcmp(line->s, "bogofilter")) g.spam_on = 1;
	else if (strcmp(line->s, "none"))
		finish(ST_CONF_BAD, "spam-classifier: bogofilter or none", (char *)0);

	if (conf_line("spam-wordlist", &g.wordlist, "user") < 0) conf_fail("spam-wordlist");
	if (!strcmp(g.wordlist.s, "user")) g.wordlist.len = 0;
	else if (g.wordlist.s[0] != '/')
		finish(ST_CONF_BAD, "spam-wordlist: user or an absolute directory", (char *)0);
	if (!stralloc_0(&g.wordlist)) nomem();
	g.wordlist.len--;

	if (conf_line("bogofilter", &g.bogoprog, BOGOFILTER_DEFAULT) < 0) conf_fail("bogofilter");
	if (g.bogoprog.s[0] != '/')
		finish(ST_CONF_BAD, "bogofilter: an absolute path", (char *)0);

	if (conf_ulong("spam-maxsize", &g.spam_maxsize, SPAM_MAXSIZE_DEFAULT) < 0) conf_fail("spam-maxsize");
	if (conf_ulong("scan-timeout", &g.scan_timeout, SCAN_TIMEOUT_DEFAULT) < 0) conf_fail("scan-timeout");
	if (!g.scan_timeout || g.scan_timeout > 3600)
		finish(ST_CONF_BAD, "scan-timeout: 1 to 3600 seconds", (char *)0);
}

static void read_config(void)
{
	stralloc line = {0};
	int fd;

	/* A config dir we cannot read would make every setting look missing
	 * (defaults in force): refuse, and the mail waits for the admin. */
	fd = open(conf_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) finish(ST_CONF_DIR, conf_dir(), ": ", errstr(), (char *)0);
	close(fd);

	if (conf_line("delimiter", &line, "+") < 0) conf_fail("delimiter");
	if (line.len > 1) finish(ST_CONF_DELIMITER, (char *)0);
	g.delim = line.len ? line.s[0] : 0;

	if (conf_line("overquota", &line, "defer") < 0) conf_fail("overquota");
	if (!strcmp(line.s, "bounce")) g.bounce_overquota = 1;
	else if (strcmp(line.s, "defer"))
		finish(ST_CONF_OVERQUOTA, (char *)0);

	if (conf_ulong("pipe-timeout", &g.pipe_timeout, PIPE_TIMEOUT_DEFAULT) < 0) conf_fail("pipe-timeout");
	if (!g.pipe_timeout || g.pipe_timeout > 86400)
		finish(ST_CONF_PIPE_TIMEOUT, (char *)0);

	if (conf_line("mailowner", &g.owner, "") < 0) conf_fail("mailowner");
	if (!g.owner.len && geteuid() == 0)
		finish(ST_NO_MAILOWNER,
		       conf_dir(), "/mailowner", (char *)0);

	/* Checked now, not at the first marked message: a bad name is the
	 * admin's to fix, and every message waits for it alike. */
	if (conf_line("local-junk-folder", &g.junkfolder, JUNK_FOLDER_DEFAULT) < 0) conf_fail("local-junk-folder");
	if (!strcmp(g.junkfolder.s, "-")) g.junkfolder.len = 0;
	if (g.junkfolder.len) {
		if (maildir_folder_path(&line, "", g.junkfolder.s) < 0) {
			if (errno == ENOMEM) nomem();
			finish(ST_CONF_BAD, "local-junk-folder: invalid folder name", (char *)0);
		}
		/* "INBOX" (any case) maps to the Maildir itself: no junk folder. */
		if (!line.len) g.junkfolder.len = 0;
	}
	if (!stralloc_0(&g.junkfolder)) nomem();
	g.junkfolder.len--;

	read_spam_config(&line);

	if (!conf_path(&g.cdbpath, "users.cdb")) nomem();
	stralloc_free(&line);
}

static void parse_recipient(const char *s)
{
	int r = addr_parse(&g.rcpt, s, strlen(s), ADDR_ALLOW_UTF8);
	if (r != ADDR_OK) finish(ST_BAD_RCPT, ": ", addr_strerror(r), (char *)0);
	if (!addr_key(&g.rcptkey, &g.rcpt)) nomem();
}

/* RFC 5321 4.4: the final delivery adds Return-Path.  Delivered-To is the
 * qmail convention for loop detection; forwarded copies carry it too. */
static void build_heads(void)
{
	if (!stralloc_copys(&g.fwdhead, "Delivered-To: ") || !stralloc_cat(&g.fwdhead, &g.rcptkey) ||
	    !stralloc_cats(&g.fwdhead, "\n"))
		nomem();
	if (!stralloc_copys(&g.head, "Return-Path: <") || !stralloc_cats(&g.head, g.sender) ||
	    !stralloc_cats(&g.head, ">\n") || !stralloc_cat(&g.head, &g.fwdhead))
		nomem();
}

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int caseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;
	if (alen != blen) return 0;
	for (i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return 0;
	return 1;
}

static int is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The junk mark: only the exact name followed by ':' counts (no white space
 * before the colon, the obsolete form of RFC 5322 4.5.3), so that whatever
 * we take for a mark is also what posthorn-smtpd removes from outside mail.
 * Keeps the first word of the first mark's value for the log. */
static int junk_field(const char *f, size_t n)
{
	static const char name[] = "x-posthorn-junk:";
	size_t nl = sizeof name - 1, k = 0;

	if (n < nl || !caseeq(f, nl, name, nl)) return 0;
	if (g.junk) return 1;
	g.junk = 1;
	f += nl;
	n -= nl;
	while (n && is_wsp(*f)) { f++; n--; }
	while (k < n && k < JUNK_KIND_MAX && !is_wsp(f[k])) k++;
	memcpy(g.junkkind, k ? f : "yes", k ? k : 3);
	g.junkkind[k ? k : 3] = 0;
	return 1;
}

/* One unfolded header field: notes the junk mark, counts Delivered-To and
 * ends the run when one names this recipient.  *marks is 1 until a line
 * that is no field (RFC 5322 2.2) is met: a mark after it is not taken, as
 * a program that sees the header end there would not have removed it. */
static void check_field(const char *f, size_t n, unsigned *count, int *marks)
{
	static const char name[] = "delivered-to:";
	size_t nl = sizeof name - 1;

	if (!hdr_name_len(f, n)) { *marks = 0; return; }
	if (*marks && junk_field(f, n)) return;
	/* RFC 5322 3.6: one From; the first is what the sender lists see. */
	if (!g.seen_from && hdr_is(f, n, "From")) {
		g.seen_from = 1;
		if (!hdr_unfold(&g.from, f, n)) nomem();
		return;
	}
	if (n < nl || !caseeq(f, nl, name, nl)) return;
	f += nl;
	n -= nl;
	while (n && is_wsp(*f)) { f++; n--; }
	while (n && is_wsp(f[n - 1])) n--;
	if (n >= 2 && f[0] == '<' && f[n - 1] == '>') { f++; n -= 2; }
	if (caseeq(f, n, g.rcptkey.s, g.rcptkey.len))
		finish(ST_LOOP_DELIVERED_TO, g.rcptkey.s, (char *)0);
	if (++*count > DELIVERED_TO_MAX)
		finish(ST_LOOP_HOPS, (char *)0);
}

/* Reads the header (up to the first empty line, at most HEADER_SCAN_MAX
 * bytes): looks for Delivered-To loops and notes the junk mark.  A field
 * longer than FIELD_MAX is judged by its start, which holds its name. */
static void scan_header(void)
{
	char buf[8192], field[FIELD_MAX];
	size_t flen = 0;
	unsigned long long off = 0;
	unsigned count = 0;
	int bol = 1, infield = 0, marks = 1;

	while (off < HEADER_SCAN_MAX) {
		ssize_t r = pread(g.msgfd, buf, sizeof buf, (off_t)off), i;
		if (r < 0) {
			if (errno == EINTR) continue;
			finish(ST_READ_MESSAGE, ": ", errstr(), (char *)0);
		}
		if (r == 0) break;
		for (i = 0; i < r; i++) {
			char c = buf[i];
			if (bol) {
				if (c == '\r') continue;
				if (c == '\n') goto end;  /* the empty line ends the header */
				bol = 0;
				if (c != ' ' && c != '\t') {
					if (infield) check_field(field, flen, &count, &marks);
					flen = 0;
					infield = 1;
				}
			}
			if (c == '\n') { bol = 1; continue; }
			if (flen < sizeof field) field[flen++] = c;
		}
		off += (unsigned long long)r;
	}
end:
	if (infield) check_field(field, flen, &count, &marks);
}

/* ---- alias expansion ---- */

struct path {
	unsigned depth;
	char keys[ALIAS_DEPTH_MAX + 2][ADDR_PATH_MAX + 1];
};

static void add_local(const struct userrec *u, const char *ext, int catchall)
{
	struct local_target *t;
	unsigned i;

	for (i = 0; i < ntargets; i++)
		if (!strcmp(targets[i].name, u->name)) return;
	if (ntargets == LOCAL_TARGETS_MAX)
		finish(ST_TOO_MANY_LOCAL, (char *)0);
	t = &targets[ntargets++];
	memcpy(t->name, u->name, sizeof t->name);
	memcpy(t->maildir, u->maildir, sizeof t->maildir);
	t->quota = u->quota;
	memcpy(t->ext, ext, sizeof t->ext);
	t->catchall = catchall;
}

static void add_forward(const char *addr)
{
	size_t i = 0;
	unsigned n;

	for (n = 0; n < nfwd; n++) {
		if (!strcmp(fwd.s + i, addr)) return;
		i += strlen(fwd.s + i) + 1;
	}
	if (nfwd == FORWARD_TARGETS_MAX)
		finish(ST_TOO_MANY_FORWARDS, (char *)0);
	if (!stralloc_cats(&fwd, addr) || !stralloc_0(&fwd)) nomem();
	nfwd++;
}

static void lookup_failed(int r)
{
	if (r == USERDB_CORRUPT)
		finish(ST_USERDB_CORRUPT, userdb_corrupt_reason(), (char *)0);
	finish(ST_USERDB_READ, g.cdbpath.s, ": ", errstr(), (char *)0);
}

static void expand(const struct addr *a, struct path *p, int catchall);

/* The targets of an alias or a catch-all, one level further down. */
static void expand_target(const char *text, const char *via, struct path *p, int catchall)
{
	struct addr t;
	int r = addr_parse(&t, text, strlen(text), ADDR_ALLOW_UTF8);

	if (r != ADDR_OK)
		finish(ST_USERDB_TARGET, text, " of ", via, (char *)0);
	expand(&t, p, catchall);
}

/* Depth-first through aliases, with the path from the recipient down to a
 * so that an address met twice on one path is a loop, while two paths to
 * one user (a diamond of aliases) are not.  catchall: a catch-all was on
 * the way (sets DEFAULT for pipes). */
static void expand(const struct addr *a, struct path *p, int catchall)
{
	struct userdb_hit hit;
	stralloc key = {0};
	unsigned i;
	int r;

	if (!addr_key(&key, a) || !stralloc_0(&key)) nomem();
	for (i = 0; i < p->depth; i++)
		if (!strcmp(p->keys[i], key.s)) finish(ST_ALIAS_LOOP, key.s, " reached twice", (char *)0);
	if (p->depth > ALIAS_DEPTH_MAX)
		finish(ST_ALIAS_DEEP, key.s, (char *)0);
	if (++g.lookups > ALIAS_LOOKUPS_MAX)
		finish(ST_TOO_MANY_LOOKUPS, (char *)0);

	r = userdb_resolve(g.cdbpath.s, a, g.delim, &hit);
	if (r == USERDB_NODOMAIN) {
		if (!p->depth) finish(ST_NO_DOMAIN, key.s, (char *)0);
		add_forward(key.s);
		goto out;
	}
	if (r == USERDB_NOUSER) {
		if (!p->depth) finish(ST_NO_USER, key.s, (char *)0);
		finish(ST_NO_USER, key.s, " (an alias target of ", g.rcptkey.s, ")", (char *)0);
	}
	if (r != USERDB_FOUND) lookup_failed(r);

	memcpy(p->keys[p->depth++], key.s, key.len);
	if (hit.how == USERDB_CATCHALL)
		expand_target(hit.rec.catchall, key.s, p, 1);
	else if (hit.rec.kind == USERREC_ALIAS)
		for (i = 0; i < hit.rec.ntargets; i++)
			expand_target(hit.rec.targets[i], key.s, p, catchall);
	else if (hit.rec.kind == USERREC_USER)
		add_local(&hit.rec, hit.ext, catchall);
	else
		finish(ST_USERDB_DOMAIN, key.s, " resolves to a domain record", (char *)0);
	p->depth--;
out:
	stralloc_free(&key);
}

/* ---- phase 2 ---- */

static void drop_privileges(void)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() == 0) {
		if (owner_known) {
			uid = owner_uid;
			gid = owner_gid;
		} else if (privs_lookup(g.owner.s, &uid, &gid) < 0)
			finish(ST_MAILOWNER_UNKNOWN, g.owner.s, ": ", errstr(), (char *)0);
		if (uid == 0) finish(ST_MAILOWNER_ROOT, (char *)0);
		if (privs_drop(uid, gid) < 0)
			finish(ST_MAILOWNER_BECOME, g.owner.s, ": ", errstr(), (char *)0);
	}
	if (geteuid() == 0 || getuid() == 0)
		finish(ST_AS_ROOT, (char *)0);
}

/* batch mode: the batch process, whose children we are (0: no batch) */
static pid_t batch_parent;

/* ---- phase 3: Maildir ---- */

static const char *local_part_of(const char *key, char out[ADDR_PATH_MAX + 1])
{
	const char *at = strrchr(key, '@');
	size_t n = at ? (size_t)(at - key) : strlen(key);
	memcpy(out, key, n);
	out[n] = 0;
	return out;
}

/* Into folder (0: the INBOX).  junk: the mark's kind when the mark chose
 * this place, logged as junk=KIND; else 0. */
static void deliver_maildir(const struct local_target *t, const char *folder, const char *junk)
{
	stralloc dir = {0};
	unsigned long long size;
	char num[FMT_ULONG];
	int r;

	if (maildir_folder_path(&dir, t->maildir, folder ? folder : "") < 0) {
		if (errno == ENOMEM) nomem();
		finish(ST_BAD_FOLDER, t->name, (char *)0);
	}
	r = quota_check(t->maildir, t->quota, g.msgsize + g.userhead.len);
	if (r < 0) finish(ST_QUOTA_READ, t->name, ": ", errstr(), (char *)0);
	if (r == 0) {
		if (g.bounce_overquota) finish(ST_MAILBOX_FULL_PERM, t->name, (char *)0);
		finish(ST_MAILBOX_FULL, t->name, (char *)0);
	}
	if (lseek(g.msgfd, 0, SEEK_SET) < 0)
		finish(ST_REWIND_MESSAGE, ": ", errstr(), (char *)0);
	if (maildir_deliver(dir.s, g.userhead.s, g.userhead.len, g.msgfd, &size) < 0) {
		if (errno == EDQUOT) finish(ST_DISK_QUOTA, t->name, (char *)0);
		if (errno == ENOSPC) finish(ST_DISK_FULL, t->name, (char *)0);
		finish(ST_MAILDIR_WRITE, dir.s, ": ", errstr(), (char *)0);
	}
	num[fmt_ulonglong(num, size)] = 0;
	/* The message is safely stored: a failed quota update is only logged
	 * (the next recalculation repairs it), or a retry would duplicate. */
	if (quota_add(t->maildir, t->quota, size) < 0)
		log_event("quota", "user", t->name, "result", "error", "reason", errstr(), (char *)0);
	/* Without a mark the key "junk" is the null pointer that ends the list. */
	log_event("delivery", "user", t->name, "folder", folder ? folder : "INBOX", "size", num,
		  "result", "ok", junk ? "junk" : (char *)0, junk, (char *)0);
	stralloc_free(&dir);
}

/* Into folder if it exists (any case), else the INBOX; the fallback is
 * logged so the owner can see why mail did not land where they asked. */
static void deliver_folder(const struct local_target *t, const char *folder, const char *why,
			   const char *junk)
{
	char real[MAILDIR_FOLDER_MAX + 1];

	if (maildir_folder_exists(t->maildir, folder, 0, real)) {
		deliver_maildir(t, real, junk);
		return;
	}
	log_event("folder", "user", t->name, "folder", folder, "result", "missing", "action", "inbox",
		  "why", why, (char *)0);
	deliver_maildir(t, 0, junk);
}

/* Marked mail into the junk folder (matched ignoring case, as any folder).
 * Unlike a folder the owner names, this one is ours to promise: a missing
 * one is made (Maildir++, durable) rather than filling the INBOX. */
static void deliver_junk(const struct local_target *t, const char *kind)
{
	char real[MAILDIR_FOLDER_MAX + 1];
	const char *folder = g.junkfolder.s;

	if (!maildir_folder_exists(t->maildir, folder, 0, real)) {
		/* We already run as the mail owner: uid -1 keeps the owner. */
		if (maildir_create_folder(t->maildir, folder, (uid_t)-1, (gid_t)-1) < 0) {
			if (errno == ENOMEM) nomem();
			if (errno == EDQUOT) finish(ST_DISK_QUOTA, t->name, (char *)0);
			if (errno == ENOSPC) finish(ST_DISK_FULL, t->name, (char *)0);
			finish(ST_MAILDIR_WRITE, t->maildir, "/.", folder, ": ", errstr(), (char *)0);
		}
		log_event("folder", "user", t->name, "folder", folder, "result", "created", "why", "junk",
			  (char *)0);
		/* The name is valid (read_config) and shorter than the cap. */
		memcpy(real, folder, g.junkfolder.len + 1);
	}
	deliver_maildir(t, real, kind);
}

/* ---- phase 3: programs (pipes and the injector) ---- */

struct job {
	pid_t pid;
	int in;                  /* our end of the child's fd 0, or -1 */
	const char *head;
	size_t hlen, hpos;
	off_t off;               /* next message byte to send */
	char buf[FEED_BUF];
	size_t blen, bpos;
	int out;                 /* our end of the child's output, or -1 */
	char last[REASON_MAX];   /* the last line of output, for a reason */
	size_t lastlen;
	int linedone;
	int timedout;
};

static void close_fd(int *fd)
{
	if (*fd >= 0) close(*fd);
	*fd = -1;
}

/* One step of sending head + message; the child may stop reading (EPIPE),
 * which is its right: its exit code decides. */
static void feed_message(struct job *j)
{
	ssize_t w;

	if (j->hpos < j->hlen) {
		w = write(j->in, j->head + j->hpos, j->hlen - j->hpos);
		if (w > 0) j->hpos += (size_t)w;
	} else {
		if (j->bpos == j->blen) {
			ssize_t r = pread(g.msgfd, j->buf, sizeof j->buf, j->off);
			if (r < 0) {
				if (errno == EINTR) return;
				kill(-j->pid, SIGKILL);
				finish(ST_READ_MESSAGE, ": ", errstr(), (char *)0);
			}
			if (r == 0) { close_fd(&j->in); return; }
			j->off += r;
			j->bpos = 0;
			j->blen = (size_t)r;
		}
		w = write(j->in, j->buf + j->bpos, j->blen - j->bpos);
		if (w > 0) j->bpos += (size_t)w;
	}
	if (w < 0 && errno != EAGAIN && errno != EINTR) close_fd(&j->in);
}

/* Relays the child's output to our stderr and keeps its last line. */
static void relay_output(struct job *j)
{
	char buf[4096];
	ssize_t r = read(j->out, buf, sizeof buf), i;

	if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
	if (r <= 0) { close_fd(&j->out); return; }
	if (durable_writeall(2, buf, (size_t)r) < 0) {}
	for (i = 0; i < r; i++) {
		if (buf[i] == '\n') { j->linedone = 1; continue; }
		if (j->linedone) { j->lastlen = 0; j->linedone = 0; }
		if (j->lastlen < sizeof j->last - 1) j->last[j->lastlen++] = buf[i];
	}
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		finish(ST_PIPE_SETUP, ": ", errstr(), (char *)0);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feeds the child and relays its output until all pipes are done or the
 * deadline passes; then reaps it.  Returns the wait status; on timeout the
 * child's whole process group is killed and j->timedout is set. */
static int job_run(struct job *j)
{
	long long deadline = now_ms() + (long long)g.pipe_timeout * 1000;
	int status;

	if (j->in >= 0) set_nonblock(j->in);
	if (j->out >= 0) set_nonblock(j->out);
	while (j->in >= 0 || j->out >= 0) {
		struct pollfd pf[2];
		long long left = deadline - now_ms();
		int n = 0, r, iin = -1, iout = -1;

		if (left <= 0) { j->timedout = 1; break; }
		if (j->in >= 0) { iin = n; pf[n].fd = j->in; pf[n++].events = POLLOUT; }
		if (j->out >= 0) { iout = n; pf[n].fd = j->out; pf[n++].events = POLLIN; }
		r = poll(pf, (nfds_t)n, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0) {
			if (errno == EINTR) continue;
			j->timedout = 1;
			break;
		}
		if (iin >= 0 && pf[iin].revents) feed_message(j);
		if (iout >= 0 && pf[iout].revents) relay_output(j);
	}
	close_fd(&j->in);
	close_fd(&j->out);
	/* The child may have closed its pipes and still be running. */
	while (!j->timedout) {
		pid_t w = waitpid(j->pid, &status, WNOHANG);
		if (w == j->pid) return status;
		if (w < 0 && errno != EINTR) finish(ST_PROGRAM_WAIT, ": ", errstr(), (char *)0);
		if (now_ms() >= deadline) j->timedout = 1;
		else poll(0, 0, 20);
	}
	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
	while (waitpid(j->pid, &status, 0) < 0)
		if (errno != EINTR) finish(ST_PROGRAM_WAIT, ": ", errstr(), (char *)0);
	return status;
}

/* What the child sees: fds 0 and 1 as given (fd 2 stays ours), its own
 * process group (so a timeout kills what it started too), default SIGPIPE. */
static void child_setup(int fd0, int fd1)
{
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(fd0, 0) < 0 || dup2(fd1, 1) < 0) _exit(EXIT_TEMP);
	if (fd0 > 1) close(fd0);
	if (fd1 > 1) close(fd1);
}

static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0) finish(ST_PIPE_CREATE, ": ", errstr(), (char *)0);
}

_Noreturn static void child_exec_fail(const char *prog)
{
	const char *e = strerror(errno);
	/* stderr is ours: the line lands in our log. */
	if (write(2, "posthorn-local: unable to run ", 30) < 0 || write(2, prog, strlen(prog)) < 0 ||
	    write(2, ": ", 2) < 0 || write(2, e, strlen(e)) < 0 || write(2, "\n", 1) < 0) {}
	_exit(EXIT_TEMP);
}

static void setenv_or_die(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0) _exit(EXIT_TEMP);
}

/* Runs COMMAND for user t with the message (with Return-Path and
 * Delivered-To) on its stdin.  Returns 1 to go on with the next rule, 0 to
 * stop (exit 99); ends the run on failure. */
static int run_pipe(const struct local_target *t, const char *command, unsigned line)
{
	static struct job j;
	char lp[ADDR_PATH_MAX + 1], num[FMT_ULONG];
	int in[2], out[2], status;

	memset(&j, 0, sizeof j);
	make_pipe(in);
	make_pipe(out);
	j.pid = fork();
	if (j.pid < 0) finish(ST_FORK, ": ", errstr(), (char *)0);
	if (!j.pid) {
		close(in[1]);
		close(out[0]);
		child_setup(in[0], out[1]);
		if (dup2(1, 2) < 0) _exit(EXIT_TEMP);
		setenv_or_die("SENDER", g.sender);
		setenv_or_die("RECIPIENT", g.rcptkey.s);
		setenv_or_die("USER", local_part_of(t->name, lp));
		setenv_or_die("HOST", g.rcpt.domain);
		setenv_or_die("LOCAL", g.rcpt.local);
		setenv_or_die("EXT", t->ext);
		setenv_or_die("MAILDIR", t->maildir);
		if (t->catchall) setenv_or_die("DEFAULT", g.rcpt.local);
		else unsetenv("DEFAULT");
		if (chdir(t->maildir) < 0) {}
		execl("/bin/sh", "sh", "-c", command, (char *)0);
		child_exec_fail("/bin/sh");
	}
	setpgid(j.pid, j.pid);
	close(in[0]);
	close(out[1]);
	j.in = in[1];
	j.out = out[0];
	j.head = g.userhead.s;
	j.hlen = g.userhead.len;
	status = job_run(&j);
	j.last[j.lastlen] = 0;
	num[fmt_ulong(num, line)] = 0;

	if (j.timedout) {
		char secs[FMT_ULONG];
		secs[fmt_ulong(secs, g.pipe_timeout)] = 0;
		finish(ST_PROGRAM_TEMP, num, " of posthorn-rules of ", t->name,
		       " timed out after ", secs, " seconds", (char *)0);
	}
	if (WIFSIGNALED(status)) {
		char sig[FMT_ULONG];
		sig[fmt_ulong(sig, (unsigned long)WTERMSIG(status))] = 0;
		finish(ST_PROGRAM_TEMP, num, " of posthorn-rules of ", t->name,
		       " killed by signal ", sig, (char *)0);
	}
	switch (WEXITSTATUS(status)) {
	case EXIT_DONE:
	case EXIT_STOP:
		log_event("pipe", "user", t->name, "line", num, "result", "ok",
			  "stop", WEXITSTATUS(status) == EXIT_STOP ? "yes" : "no", (char *)0);
		return WEXITSTATUS(status) == EXIT_DONE;
	case EXIT_PERM:
		finish(ST_PROGRAM_PERM, num, " of posthorn-rules of ", t->name,
		       " refused the message", j.lastlen ? ": " : "", j.last, (char *)0);
	default: {
		char code[FMT_ULONG];
		code[fmt_ulong(code, (unsigned long)WEXITSTATUS(status))] = 0;
		finish(ST_PROGRAM_TEMP, num, " of posthorn-rules of ", t->name,
		       " failed with exit code ", code, j.lastlen ? ": " : "", j.last, (char *)0);
	}
	}
	return 0;
}

/* Fails now, before any local copy is made, when there is no injector to
 * forward through: a retry must not duplicate the local copies. */
static void check_injector(void)
{
	stralloc path = {0};

	if (!inject_path(&path)) finish(ST_FORWARD_UNAVAILABLE, "unable to find our own directory", (char *)0);
	if (access(path.s, X_OK) < 0) finish(ST_FORWARD_UNAVAILABLE, path.s, " not installed", (char *)0);
	stralloc_free(&path);
}

/* One re-injection for every remote address, through lib/inject: message
 * with our Delivered-To (so a loop back here is caught), envelope from
 * the original sender.  The injector gets our config dir, so the forward
 * goes into the queue of the config dir we were given (-C). */
static void forward_all(void)
{
	static struct inject q;
	static char buf[FEED_BUF];
	struct inject_result r;
	const char *prog;
	off_t off = 0;
	size_t i;
	unsigned n;

	if (inject_open(&q, -1, (unsigned)g.pipe_timeout))
		finish(ST_FORWARD_FAILED, "unable to start the injector: ", errstr(), (char *)0);
	prog = q.path.s;
	inject_put(&q, g.fwdhead.s, g.fwdhead.len);
	for (;;) {
		ssize_t got = pread(g.msgfd, buf, sizeof buf, off);
		if (got < 0 && errno == EINTR) continue;
		if (got < 0) {
			int e = errno;
			inject_abort(&q);
			errno = e;
			finish(ST_READ_MESSAGE, ": ", errstr(), (char *)0);
		}
		if (got == 0 || inject_put(&q, buf, (size_t)got)) break;
		off += got;
	}
	inject_from(&q, g.sender);
	for (n = 0, i = 0; n < nfwd; n++, i += strlen(fwd.s + i) + 1)
		inject_to(&q, fwd.s + i);
	inject_close(&q, &r);
	if (r.exit != EXIT_DONE)
		log_event("forward", "result", "failed", "injector", prog, "reason", r.line, (char *)0);
	if (r.timedout) finish(ST_FORWARD_TIMEOUT, prog, (char *)0);
	if (r.signal) finish(ST_FORWARD_FAILED, prog, " killed by a signal", (char *)0);
	if (r.exit == EXIT_PERM) finish(ST_FORWARD_REFUSED, prog, (char *)0);
	if (r.exit != EXIT_DONE)
		finish(ST_FORWARD_FAILED, prog, r.exitcode ? " exited with an error" : " did not get the whole message",
		       (char *)0);
	{
		char num[FMT_ULONG];
		num[fmt_ulong(num, nfwd)] = 0;
		log_event("forward", "recipients", num, "result", "ok", "reason", r.line, (char *)0);
	}
}

/* ---- phase 3: per user ---- */

static void run_rules(const struct local_target *t, const struct rules *rs)
{
	unsigned i, k;
	const char *a;

	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		switch (r->kind) {
		case RULE_INBOX:
			deliver_maildir(t, 0, 0);
			break;
		case RULE_FOLDER:
			deliver_folder(t, r->arg, "posthorn-rules", 0);
			break;
		case RULE_FORWARD:
			for (k = 0, a = r->arg; k < r->naddrs; k++, a += strlen(a) + 1) {
				struct addr fa;
				stralloc text = {0};
				/* Checked by rules_parse.  The canonical form keeps the
				 * local part's case: only the remote host may fold it
				 * (RFC 5321 2.4). */
				if (addr_parse(&fa, a, strlen(a), ADDR_ALLOW_UTF8) != ADDR_OK) continue;
				if (!addr_format(&text, &fa) || !stralloc_0(&text)) nomem();
				add_forward(text.s);
				stralloc_free(&text);
			}
			break;
		case RULE_PIPE:
			if (!run_pipe(t, r->arg, r->line)) return;
			break;
		}
	}
}

/* ---- phase 3: the spam classifier ---- */

/* The word list dir of t (shared or MAILDIR/bogofilter) into dir; 1 when
 * its word list exists (an untrained user costs one stat), else 0. */
static int wordlist_of(const struct local_target *t, stralloc *dir)
{
	struct stat st;
	size_t n;

	if (g.wordlist.len) {
		if (!stralloc_copy(dir, &g.wordlist)) nomem();
	} else if (!stralloc_copys(dir, t->maildir) || !stralloc_cats(dir, "/" WORDLIST_USER))
		nomem();
	n = dir->len;
	if (!stralloc_cats(dir, "/wordlist.db") || !stralloc_0(dir)) nomem();
	dir->len = n;
	if (stat(dir->s, &st) < 0 || !S_ISREG(st.st_mode)) return 0;
	dir->s[n] = 0;
	return 1;
}

/* Classifies the message for t; adds X-Spam-Status to g.userhead and
 * returns the junk kind ("bogofilter") for spam, else 0.  Never fails the
 * delivery: a classifier that is missing, slow or broken is logged and the
 * message goes on unmarked.  With a shared word list the verdict of the
 * first user is everyone's: one run of bogofilter per message. */
static const char *spam_check(const struct local_target *t)
{
	static stralloc dir;
	static int missing, shared_done, shared_ok;
	static struct bogo_result shared;
	struct bogo_result res;
	const char *why = 0;
	char score[7];
	if (!g.spam_on) return 0;
	if (missing || !wordlist_of(t, &dir)) return 0;
	if (g.msgsize > g.spam_maxsize) {
		char num[FMT_ULONG];
		num[fmt_ulonglong(num, g.msgsize)] = 0;
		log_event("spam", "user", t->name, "result", "skipped", "size", num, (char *)0);
		return 0;
	}
	if (g.wordlist.len && shared_done) {
		if (!shared_ok) return 0;
		res = shared;
	} else {
		int r = bogo_classify(g.bogoprog.s, dir.s, g.msgfd, (unsigned)g.scan_timeout, &res, &why);
		if (r < 0 && !strcmp(why, "program not found")) missing = 1;
		shared_done = 1;
		shared_ok = r == 0;
		shared = res;
		if (r < 0) {
			log_event("spam", "user", t->name, "classifier", g.bogoprog.s, "result", "error", "reason",
				  why, "action", "unmarked", (char *)0);
			return 0;
		}
	}
	bogo_score_fmt(score, res.score);
	if (!stralloc_cats(&g.userhead, "X-Spam-Status: ") || !stralloc_cats(&g.userhead, bogo_word(res.verdict)) ||
	    !stralloc_cats(&g.userhead, ", score=") || !stralloc_cats(&g.userhead, score) ||
	    !stralloc_cats(&g.userhead, " (bogofilter)\n"))
		nomem();
	log_event("spam", "user", t->name, "result",
		  res.verdict == BOGO_SPAM ? "spam" : res.verdict == BOGO_HAM ? "ham" : "unsure", "score", score,
		  (char *)0);
	return res.verdict == BOGO_SPAM ? "bogofilter" : 0;
}

static struct rules user_rules[LOCAL_TARGETS_MAX];

/* Loads t's posthorn-rules into rs; a broken file ends the run (before any
 * delivery, as every user's file is loaded first). */
static void load_rules(const struct local_target *t, struct rules *rs)
{
	const char *why;
	unsigned line;
	char num[FMT_ULONG];

	if (rules_load(rs, t->maildir, &why, &line) >= 0) return;
	num[fmt_ulong(num, line)] = 0;
	if (!line)
		finish(ST_RULES_BROKEN, t->name, ": ", why,
		       strncmp(why, "unable", 6) ? "" : ": ", strncmp(why, "unable", 6) ? "" : errstr(), (char *)0);
	finish(ST_RULES_BROKEN, t->name, " line ", num, ": ", why, (char *)0);
}

static int has_forward(const struct rules *rs)
{
	unsigned i;
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].kind == RULE_FORWARD) return 1;
	return 0;
}

/* The owner's rules win over the junk mark (the receiving side's or the
 * classifier's): it only moves the delivery that happens without rules.
 * With no junk folder configured, marked mail goes where unmarked mail
 * would, and only the log line tells. */
static void deliver_user(const struct local_target *t, const struct rules *rs)
{
	const char *junk = g.junk ? g.junkkind : 0;

	if (!stralloc_copy(&g.userhead, &g.head)) nomem();
	/* The sender lists (posthorn-senders(5)) win over the classifiers, the
	 * receiving side's marks included, except DMARC's: an allowed From
	 * is easily forged, and p=quarantine says this one was. */
	if (t->senders == SENDERLIST_BLOCK) junk = "senderlist";
	else if (t->senders == SENDERLIST_ALLOW) {
		if (junk && strcmp(junk, "dmarc")) junk = 0;
	}
	/* A mark is already a verdict: no classifier for mail that is junk. */
	else if (!junk) junk = spam_check(t);
	if (rs->n) run_rules(t, rs);
	else if (junk && g.junkfolder.len) deliver_junk(t, junk);
	else if (t->ext[0]) deliver_folder(t, t->ext, "plus-address", junk);
	else deliver_maildir(t, 0, junk);
}

/* One delivery, the three phases (see the top); ends the process through
 * finish().  In batch mode it runs in a child of the batch process, which
 * has made fd 0 the message. */
_Noreturn static void deliver_one(const char *confdir, const char *sender, const char *rcpt, int batch)
{
	struct path path;
	unsigned i;
	int needfwd;

	open_message();
	check_sender(sender);
	if (!preloaded) {
		conf_init(confdir);
		read_config();
	}
	parse_recipient(rcpt);
	build_heads();
	scan_header();
	path.depth = 0;
	expand(&g.rcpt, &path, 0);
	/* The sender lists may be readable by root only: read before dropping. */
	for (i = 0; i < ntargets; i++) {
		const char *at = strrchr(targets[i].name, '@');
		targets[i].senders = senderlist_verdict(targets[i].name, at ? at + 1 : "", g.sender,
		                                        g.seen_from ? g.from.s : 0, g.from.len);
	}

	drop_privileges();
	/* A batch child outlives a killed batch process otherwise (the parent
	 * death signal is cleared by the change of user): the runner would
	 * retry its delivery while it is still being made. */
	if (batch && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != batch_parent))
		finish(ST_BATCH_PARENT, (char *)0);
	/* Everything that can fail before a first delivery fails now, so a
	 * retry does not duplicate a delivery already made. */
	for (i = 0, needfwd = nfwd > 0; i < ntargets; i++) {
		load_rules(&targets[i], &user_rules[i]);
		if (has_forward(&user_rules[i])) needfwd = 1;
	}
	if (needfwd) check_injector();
	for (i = 0; i < ntargets; i++) deliver_user(&targets[i], &user_rules[i]);
	if (nfwd) forward_all();
	{
		char nl[FMT_ULONG], nf[FMT_ULONG];
		nl[fmt_ulong(nl, ntargets)] = 0;
		nf[fmt_ulong(nf, nfwd)] = 0;
		finish(ST_DELIVERED, g.rcptkey.s, " (", nl, " mailbox",
		       ntargets == 1 ? "" : "es", ", ", nf, " forward", nfwd == 1 ? "" : "s", ")", (char *)0);
	}
}

/* ---- batch mode ---- */

/* Writes all of s to fd 1; a runner that is gone ends the batch (what it
 * did not read it retries). */
static void batch_write(const char *s, size_t n)
{
	if (durable_writeall(1, s, n) < 0) _exit(EXIT_TEMP);
}

/* Runs delivery k (message on fd, sender, rcpt) in a child and reports
 * "K CODE REASON" on fd 1 once the child has ended, i.e. once its files
 * are synced (it exits 0 only then).  The child is today's single
 * delivery, so one delivery's failure, crash or memory never touches
 * another's. */
static void batch_one(unsigned k, const char *confdir, int fd, const char *sender, const char *rcpt)
{
	static stralloc line;
	char buf[REASON_MAX + 256], num[FMT_ULONG];
	int p[2], status, code;
	ssize_t r = 0;
	size_t n = 0;
	pid_t pid;

	line.len = 0;
	if (pipe2(p, O_CLOEXEC) < 0) {
		code = EXIT_TEMP;
		if (!status_cat(&line, ST_PIPE_CREATE)) _exit(EXIT_TEMP);
		goto report;
	}
	pid = fork();
	if (pid == 0) {
		if (dup2(fd, 0) < 0 || dup2(p[1], 1) < 0) _exit(EXIT_TEMP);
		deliver_one(confdir, sender, rcpt, 1);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		code = EXIT_TEMP;
		if (!status_cat(&line, ST_FORK)) _exit(EXIT_TEMP);
		goto report;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) _exit(EXIT_TEMP);
	/* Read after the exit: the child writes its one line and ends; a
	 * program it left behind cannot hold us (non-blocking). */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (n < sizeof buf - 1 && ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0) n += (size_t)r;
	close(p[0]);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (WIFSIGNALED(status)) {
		code = EXIT_TEMP;
		if (!status_cat(&line, ST_DELIVERER_SIGNAL)) _exit(EXIT_TEMP);
	} else {
		code = WEXITSTATUS(status);
		if (code != EXIT_DONE && code != EXIT_PERM) code = EXIT_TEMP;
		cat_clean(&line, buf);   /* empty: the runner says "said nothing" */
	}
report:
	{
		static stralloc out;
		out.len = 0;
		num[fmt_ulong(num, k)] = 0;
		if (!stralloc_copys(&out, num) || !stralloc_cats(&out, " ")) _exit(EXIT_TEMP);
		num[fmt_ulong(num, (unsigned long)code)] = 0;
		if (!stralloc_cats(&out, num) || !stralloc_cats(&out, " ") || !stralloc_cat(&out, &line) ||
		    !stralloc_cats(&out, "\n"))
			_exit(EXIT_TEMP);
		batch_write(out.s, out.len);
	}
}

/* Reads the config, and looks up the mail owner, once for the whole batch
 * (they would be the same in each child; reading them in each cost about
 * 14 file opens and, through NSS, 2 sockets per delivery).  On any failure
 * nothing is kept: each child reads them itself, and fails as a single run
 * would. */
static void batch_preload(const char *confdir)
{
	jmp_buf jb;

	if (setjmp(jb)) {
		preload_jmp = 0;
		return;
	}
	preload_jmp = &jb;
	conf_init(confdir);
	read_config();
	if (geteuid() == 0 && g.owner.len && privs_lookup(g.owner.s, &owner_uid, &owner_gid) == 0)
		owner_known = 1;
	preload_jmp = 0;
	preloaded = 1;
}

/* posthorn-local [-a] -b FD SENDER RECIPIENT...: each triple one delivery, the
 * message an open file on FD (given by the runner).  The batch is fixed
 * by the arguments; each delivery runs its three phases in a child of its
 * own (so phase 1 runs with our privileges, root's under the runner, and
 * one failure stays one delivery's), one after the other.  This process
 * only forks, waits and reports: one program start for the batch. */
static int batch_main(const char *confdir, int acked, int argc, char **argv)
{
	unsigned long n = (unsigned long)argc / 3, k, fd;
	int i;

	if (argc % 3 || !n || n > LOCAL_BATCH_MAX) return -1;
	batch_parent = getpid();
	for (i = 0; i < argc; i += 3) {
		size_t len = scan_ulong(argv[i], &fd);
		if (!len || argv[i][len] || fd < 3 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0) return -1;
		/* Not for the programs a delivery runs (rules pipes, injector). */
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	batch_preload(confdir);
	for (k = 0; k < n; k++) {
		/* -a: the caller has recorded the last result when it says go
		 * (a byte on fd 0); a caller that is gone ends the batch, and
		 * it retries what got no result. */
		if (acked && k) {
			char c;
			ssize_t r;
			while ((r = read(0, &c, 1)) < 0 && errno == EINTR) {}
			if (r != 1) _exit(EXIT_TEMP);
		}
		scan_ulong(argv[k * 3], &fd);
		batch_one((unsigned)k, confdir, (int)fd, argv[k * 3 + 1], argv[k * 3 + 2]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *confdir = 0;
	int opt, batch = 0, acked = 0;

	log_init("posthorn-local");
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "C:ab")) != -1) {
		if (opt == 'C') confdir = optarg;
		else if (opt == 'b') batch = 1;
		else if (opt == 'a') acked = 1;
		else goto usage;
	}
	if (batch) {
		if (batch_main(confdir, acked, argc - optind, argv + optind) < 0) goto usage;
		return EXIT_DONE;
	}
	if (argc - optind != 2) goto usage;
	deliver_one(confdir, argv[optind], argv[optind + 1], 0);
usage:
	buffer_puts(buffer_2, usage_text);
	buffer_flush(buffer_2);
	return EXIT_USAGE;
}
