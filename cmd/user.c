/*
 * posthorn-user: the only writer of users.cdb (see posthorn-user(8) and the
 * record format in posthorn-users(5)).
 *
 * Every change is lock, load, apply, write, unlock: the lock (flock on
 * users.cdb.lock) serialises concurrent runs so none loses another's
 * update, and the write goes to a temp file that is fsync'ed and renamed
 * over users.cdb, so readers (smtpd, local, imapd) see the old list or the
 * new one.  All checks happen before the write: bad input changes nothing.
 * Human input (the password prompt) is taken before the lock, so a person
 * typing slowly never blocks the mail system's other writers.
 *
 * Exit codes: 0 done, 1 bad input / no such entry / already there, 64 usage,
 * 111 system trouble (I/O, a corrupt users.cdb, missing configuration).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <buffer.h>
#include <errmsg.h>
#include <fmt.h>
#include <stralloc.h>
#include "addr.h"
#include "conf.h"
#include "durable.h"
#include "exitcode.h"
#include "loginban.h"
#include "maildir.h"
#include "passwd.h"
#include "privs.h"
#include "queue.h"
#include "senderlist.h"
#include "sendlimit.h"
#include "userdb.h"
#include "userrec.h"

#define EXIT_BAD 1
#define MAILROOT_DEFAULT "/var/mail/posthorn"
#define IMPORT_BYTES_MAX (64UL << 20)    /* an import file */
#define IMPORT_RECORDS_MAX 100000UL      /* records per import */
#define IMPORT_ERRORS_SHOWN 20

#define fail(code, ...) do { buffer_flush(buffer_1); die(code, "fatal: ", __VA_ARGS__); } while (0)
#define failsys(code, ...) do { buffer_flush(buffer_1); diesys(code, "fatal: ", __VA_ARGS__); } while (0)

static const char usage_text[] =
	"usage: posthorn-user [-C DIR] COMMAND ...\n"
	"  add ADDRESS [--password-stdin | --no-password] [--quota BYTES] [--maildir PATH]\n"
	"  del ADDRESS\n"
	"  passwd ADDRESS [--password-stdin]\n"
	"  quota ADDRESS BYTES\n"
	"  sendlimit ADDRESS|DOMAIN HOUR|- DAY|-\n"
	"  unlock ADDRESS|unix:LOGIN\n"
	"  list [DOMAIN]\n"
	"  show ADDRESS|DOMAIN|unix:LOGIN\n"
	"  alias add ADDRESS TARGET...\n"
	"  alias del ADDRESS\n"
	"  catchall DOMAIN TARGET | catchall DOMAIN --none\n"
	"  domain add DOMAIN | domain del DOMAIN | domain list\n"
	"  export\n"
	"  import [FILE|-]\n"
	"  bans\n"
	"  unban ADDRESS\n"
	"  allow ADDRESS|@DOMAIN PATTERN...\n"
	"  block ADDRESS|@DOMAIN PATTERN...\n"
	"  unlist ADDRESS|@DOMAIN PATTERN...\n"
	"  senders ADDRESS|@DOMAIN\n";

static void usage(void)
{
	buffer_flush(buffer_1);
	buffer_puts(buffer_2, usage_text);
	buffer_flush(buffer_2);
	exit(EXIT_USAGE);
}

static void nomem(void) { fail(EXIT_TEMP, "out of memory"); }

/* An argument safe to quote in a one-line message: control bytes become
 * '?' and the text is cut at 300 bytes. */
static const char *shown(const char *s)
{
	static char buf[4][304];
	static unsigned which;
	char *b = buf[which++ % 4];
	size_t i;

	for (i = 0; s[i] && i < 300; i++)
		b[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i]) { b[i++] = '.'; b[i++] = '.'; b[i++] = '.'; }
	b[i] = 0;
	return b;
}

static void out(const char *s)
{
	if (buffer_puts(buffer_1, s) < 0) failsys(EXIT_TEMP, "unable to write to standard output");
}

static void out_done(void)
{
	if (buffer_flush(buffer_1) < 0) failsys(EXIT_TEMP, "unable to write to standard output");
}

static const char *kind_name(enum userrec_kind k)
{
	return k == USERREC_USER ? "user" : k == USERREC_ALIAS ? "alias" : "domain";
}

/* ---- the user list in memory ---- */

static stralloc cdbpath;
static struct userrec *recs;
static unsigned long nrecs, caprecs;
static int lockfd = -1;

static void db_load(void)
{
	int r = userdb_load(cdbpath.s, &recs, &nrecs);

	if (r == USERDB_CORRUPT)
		fail(EXIT_TEMP, "users.cdb is corrupt: ", userdb_corrupt_reason(),
		     " (posthorn-user import replaces it from a saved export)");
	if (r != 0) failsys(EXIT_TEMP, "unable to read ", cdbpath.s);
	caprecs = nrecs;
}

/* Lock, then load: what we change is the newest list. */
static void db_begin(void)
{
	lockfd = userdb_lock(cdbpath.s);
	if (lockfd < 0) failsys(EXIT_TEMP, "unable to lock ", cdbpath.s, ".lock");
	db_load();
}

/* Writes the list, keeping the lock for changes that must go with it. */
static void db_write(void)
{
	if (userdb_write(cdbpath.s, recs, nrecs) < 0) failsys(EXIT_TEMP, "unable to write ", cdbpath.s);
}

static void db_commit_done(void)
{
	close(lockfd);
	lockfd = -1;
}

static void db_commit(void)
{
	db_write();
	db_commit_done();
}

/* Index of the record of a user or alias (key "local@domain") or domain
 * (key "@domain"), or -1. */
static long db_find(const char *key)
{
	int domain = key[0] == '@';
	unsigned long i;

	for (i = 0; i < nrecs; i++)
		if ((recs[i].kind == USERREC_DOMAIN) == domain && !strcmp(recs[i].name, key + domain))
			return (long)i;
	return -1;
}

static long db_find_domain(const char *domain)
{
	char key[ADDR_DOMAIN_MAX + 2];
	if (strlen(domain) > ADDR_DOMAIN_MAX) return -1;   /* no domain record has a longer name */
	key[0] = '@';
	strcpy(key + 1, domain);
	return db_find(key);
}

/* userdb_load's array is plain malloc'ed memory (userdb_free is free), so
 * it grows here with realloc. */
static void db_append(const struct userrec *r)
{
	if (nrecs == caprecs) {
		unsigned long ncap = caprecs ? caprecs * 2 : 16;
		struct userrec *grown = realloc(recs, ncap * sizeof *recs);
		if (!grown) nomem();
		recs = grown;
		caprecs = ncap;
	}
	recs[nrecs++] = *r;
}

static void db_remove(unsigned long i)
{
	memmove(&recs[i], &recs[i + 1], (nrecs - i - 1) * sizeof *recs);
	nrecs--;
}

/* The domain part of an address key (after its last '@'). */
static const char *key_domain(const char *key)
{
	const char *at = strrchr(key, '@');
	return at ? at + 1 : "";
}

static unsigned long count_in_domain(const char *domain)
{
	unsigned long i, n = 0;
	for (i = 0; i < nrecs; i++)
		if (recs[i].kind != USERREC_DOMAIN && !strcmp(key_domain(recs[i].name), domain)) n++;
	return n;
}

/* ---- arguments ---- */

static void parse_address(const char *s, struct addr *a, char key[ADDR_PATH_MAX + 1])
{
	stralloc k = {0};
	int err = addr_parse(a, s, strlen(s), ADDR_ALLOW_UTF8);

	if (err != ADDR_OK) fail(EXIT_BAD, "bad address ", shown(s), ": ", addr_strerror(err));
	if (!addr_key(&k, a)) nomem();
	if (k.len > ADDR_PATH_MAX) fail(EXIT_BAD, "bad address ", shown(s), ": address too long");
	if (k.s[strcspn(k.s, " \t,")])
		fail(EXIT_BAD, "bad address ", shown(s), ": white space or a comma cannot be stored in the user list");
	memcpy(key, k.s, k.len + 1);
	stralloc_free(&k);
}

static void parse_domain(const char *s, char out[ADDR_DOMAIN_MAX + 1])
{
	size_t len = strlen(s), i;

	if (addr_check_domain(s, len, ADDR_ALLOW_UTF8) != ADDR_OK || len > ADDR_DOMAIN_MAX)
		fail(EXIT_BAD, "bad domain ", shown(s));
	for (i = 0; i <= len; i++) out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
}

static unsigned long long parse_quota(const char *s)
{
	unsigned long long v = 0;
	size_t i;

	if (!*s) fail(EXIT_BAD, "bad quota: empty");
	for (i = 0; s[i]; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9) fail(EXIT_BAD, "bad quota ", shown(s), ": not a number of bytes");
		if (v > (0ULL - 1 - d) / 10) fail(EXIT_BAD, "bad quota ", shown(s), ": too large");
		v = v * 10 + d;
	}
	return v;
}

/* The record must read back as itself: the one parser (userrec_parse)
 * decides what a valid record is, here as for every line in users.cdb. */
static void check_record(const struct userrec *r)
{
	stralloc line = {0};
	struct userrec *back = malloc(sizeof *back);
	const char *why;

	if (!back || !userrec_format(&line, r)) nomem();
	if (line.len > USERREC_LINE_MAX) fail(EXIT_BAD, "record for ", r->name, " is too long");
	if (userrec_parse(back, line.s, line.len, &why) < 0)
		fail(EXIT_BAD, "invalid ", kind_name(r->kind), " ", shown(r->name), ": ", why);
	free(back);
	stralloc_free(&line);
}

/* Splits argv into options ("--name", "--name VALUE") and positional
 * arguments; "--" ends the options.  Options taking a value are listed in
 * with_value. */
struct opts {
	const char *name[4];
	const char *value[4];
	unsigned n;
	char **pos;
	int npos;
};

static void get_opts(struct opts *o, int argc, char **argv, const char *const *known, const char *const *with_value)
{
	int i, dashdash = 0;

	o->n = 0;
	o->npos = 0;
	o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
	if (!o->pos) nomem();
	for (i = 0; i < argc; i++) {
		const char *const *k;
		if (dashdash || strncmp(argv[i], "--", 2)) { o->pos[o->npos++] = argv[i]; continue; }
		if (!argv[i][2]) { dashdash = 1; continue; }
		for (k = known; *k && strcmp(*k, argv[i]); k++)
			;
		if (!*k || o->n == 4) usage();
		o->name[o->n] = *k;
		o->value[o->n] = 0;
		for (k = with_value; *k; k++)
			if (!strcmp(*k, argv[i])) {
				if (i + 1 == argc) usage();
				o->value[o->n] = argv[++i];
			}
		o->n++;
	}
}

/* The option's value ("" for a flag), or null if not given.  Repeating an
 * option is a usage error. */
static const char *opt(const struct opts *o, const char *name)
{
	const char *v = 0;
	unsigned i, seen = 0;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->name[i], name)) { v = o->value[i] ? o->value[i] : ""; seen++; }
	if (seen > 1) usage();
	return v;
}

/* ---- passwords ---- */

/* Reads one line of at most PASSWD_MAX bytes from fd into pw (PASSWD_MAX+1
 * bytes), without its newline.  Byte by byte, so nothing after the line is
 * consumed.  -1 if longer, or if it holds a NUL. */
static int read_line(int fd, char *pw)
{
	size_t len = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0) {
			if (errno == EINTR) continue;
			failsys(EXIT_TEMP, "unable to read the password");
		}
		if (r == 0 || c == '\n') break;
		if (c == 0 || len == PASSWD_MAX) { explicit_bzero(pw, len); return -1; }
		pw[len++] = c;
	}
	pw[len] = 0;
	return 0;
}

static void check_password(char *pw, int r)
{
	char num[FMT_ULONG];

	num[fmt_ulong(num, PASSWD_MAX)] = 0;
	if (r < 0) fail(EXIT_BAD, "password refused: longer than ", num, " bytes or holds a NUL byte");
	if (!pw[0]) fail(EXIT_BAD, "password refused: empty");
}

static int tty_fd = -1;
static struct termios tty_saved;

/* A signal while echo is off must not leave the terminal mute. */
static void tty_restore_and_die(int sig)
{
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tty_say(const char *s)
{
	if (write(tty_fd, s, strlen(s)) < 0) { /* the prompt is a courtesy */ }
}

static void ask_password(const char *who, char *pw)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
	char again[PASSWD_MAX + 1];
	struct termios quiet;
	int r1, r2;
	unsigned i;

	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0)
		fail(EXIT_BAD, "no terminal to ask for the password on: use --password-stdin or --no-password");
	if (tcgetattr(tty_fd, &tty_saved) < 0) failsys(EXIT_BAD, "unable to read the terminal settings");
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], tty_restore_and_die);
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(tty_fd, TCSAFLUSH, &quiet) < 0) failsys(EXIT_TEMP, "unable to turn off echo");
	tty_say("New password for ");
	tty_say(who);
	tty_say(": ");
	r1 = read_line(tty_fd, pw);
	tty_say("Retype the password: ");
	r2 = read_line(tty_fd, again);
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
	close(tty_fd);
	check_password(pw, r1 < 0 ? r1 : r2);
	r1 = strcmp(pw, again);
	explicit_bzero(again, sizeof again);
	if (r1) fail(EXIT_BAD, "the passwords do not match");
}

/* Fills hash from a password read from stdin or the terminal. */
static void new_hash(char hash[USERREC_HASH_MAX + 1], const char *who, int from_stdin)
{
	char pw[PASSWD_MAX + 1];

	if (from_stdin) check_password(pw, read_line(0, pw));
	else ask_password(who, pw);
	if (passwd_hash(hash, USERREC_HASH_MAX + 1, pw) < 0) failsys(EXIT_TEMP, "unable to hash the password");
	explicit_bzero(pw, sizeof pw);
}

/* ---- Maildirs ---- */

struct owner { uid_t uid; gid_t gid; };

/* Root makes Maildirs for the mail owner (mailowner), never for itself;
 * anyone else makes them as themselves. */
static struct owner mail_owner(void)
{
	struct owner o = {(uid_t)-1, (gid_t)-1};
	stralloc spec = {0};
	int r;

	if (geteuid() != 0) return o;
	r = conf_line("mailowner", &spec, 0);
	if (r < 0) failsys(EXIT_TEMP, "unable to read ", conf_dir(), "/mailowner");
	if (r == 0 || !spec.len)
		fail(EXIT_TEMP, "no mail owner: running as root, posthorn-user must give new Maildirs to the mail "
		     "account; write its name into ", conf_dir(), "/mailowner");
	if (privs_lookup(spec.s, &o.uid, &o.gid) < 0)
		failsys(EXIT_TEMP, "unknown mailowner ", shown(spec.s));
	if (o.uid == 0) fail(EXIT_TEMP, "mailowner must not be root");
	stralloc_free(&spec);
	return o;
}

/* 1 if path is a directory, 0 if missing; anything else is fatal. */
static int is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) fail(EXIT_BAD, path, " exists and is not a directory");
		return 1;
	}
	if (errno != ENOENT) failsys(EXIT_TEMP, "unable to stat ", path);
	return 0;
}

/* Creates the missing directories above path (mode 0755, given to the
 * mail owner), so that MAILROOT/DOMAIN appears with the first user. */
static void make_parents(const char *path, struct owner o)
{
	stralloc dir = {0};
	const char *p;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		if (!stralloc_copyb(&dir, path, (size_t)(p - path)) || !stralloc_0(&dir)) nomem();
		if (mkdir(dir.s, 0755) == 0) {
			if (o.uid != (uid_t)-1 && chown(dir.s, o.uid, o.gid) < 0)
				failsys(EXIT_TEMP, "unable to chown ", dir.s);
		} else if (errno != EEXIST)
			failsys(EXIT_TEMP, "unable to create ", dir.s);
	}
	stralloc_free(&dir);
}

/* Makes the Maildir and its standard folders; 1 if it existed already. */
static int make_maildir(const char *path, struct owner o)
{
	int existed = is_dir(path);
	unsigned i;

	if (!existed) make_parents(path, o);
	if (maildir_create(path, o.uid, o.gid) < 0) failsys(EXIT_TEMP, "unable to create Maildir ", path);
	for (i = 0; maildir_special_folders[i]; i++)
		if (maildir_create_folder(path, maildir_special_folders[i], o.uid, o.gid) < 0)
			failsys(EXIT_TEMP, "unable to create folder ", maildir_special_folders[i], " in ", path);
	return existed;
}

/* MAILROOT/DOMAIN/LOCAL.  The local part names a directory, so one that
 * would mean something else in a path is refused: give --maildir. */
static void default_maildir(char out[USERREC_PATH_MAX + 1], const struct addr *a)
{
	stralloc root = {0}, path = {0};
	size_t i;

	if (conf_line("mailroot", &root, MAILROOT_DEFAULT) < 0)
		failsys(EXIT_TEMP, "unable to read ", conf_dir(), "/mailroot");
	if (root.s[0] != '/') fail(EXIT_TEMP, conf_dir(), "/mailroot is not an absolute path");
	if (a->local[0] == '.' || strchr(a->local, '/'))
		fail(EXIT_BAD, "the local part of ", a->local, " cannot name a directory: give --maildir PATH");
	if (!stralloc_cat(&path, &root) || !stralloc_append(&path, "/") || !stralloc_cats(&path, a->domain) ||
	    !stralloc_append(&path, "/"))
		nomem();
	for (i = 0; a->local[i]; i++) {
		char c = a->local[i] >= 'A' && a->local[i] <= 'Z' ? a->local[i] + 32 : a->local[i];
		if (!stralloc_append(&path, &c)) nomem();
	}
	if (path.len > USERREC_PATH_MAX) fail(EXIT_BAD, "Maildir path too long: give --maildir PATH");
	memcpy(out, path.s, path.len);
	out[path.len] = 0;
	stralloc_free(&root);
	stralloc_free(&path);
}

/* ---- sender lists (posthorn-senders(5)) ---- */

/* Each list is a file DIR/senders/NAME, NAME a user's address key or
 * "@domain".  Edits take the users.cdb lock, so they are serialised with
 * each other and with the del of the list's user or domain, and replace
 * the file atomically (durable_write: temp file, fsync, rename, fsync of
 * the directory). */

/* The owner of a list named on the command line: a user's address, or
 * @DOMAIN. */
static void parse_list_owner(const char *s, char key[ADDR_PATH_MAX + 2])
{
	struct addr a;

	if (s[0] == '@') {
		key[0] = '@';
		parse_domain(s + 1, key + 1);
	} else if (strchr(s, '@'))
		parse_address(s, &a, key);
	else
		fail(EXIT_BAD, "not a user's address or @DOMAIN: ", shown(s), " (a domain's list is named @",
		     shown(s), ")");
}

/* Lists belong to users and domains of users.cdb (aliases deliver to
 * users, whose lists apply); db is loaded. */
static void check_list_owner(const char *key)
{
	long i = db_find(key);

	if (key[0] == '@') {
		if (i < 0) fail(EXIT_BAD, "no such domain: ", key + 1);
		return;
	}
	if (i < 0) fail(EXIT_BAD, "no such user: ", key);
	if (recs[i].kind != USERREC_USER)
		fail(EXIT_BAD, key, " is an alias: the lists of the users it forwards to apply");
}

static void senders_path(stralloc *path, const char *key)
{
	if (!senderlist_path(path, key)) nomem();
}

static void senders_load(struct senderlist *l, const char *key)
{
	stralloc path = {0};
	const char *why = "";
	unsigned line;
	char num[FMT_ULONG];

	if (senderlist_load(l, key, &why, &line) >= 0) return;
	senders_path(&path, key);
	if (!line) failsys(EXIT_TEMP, why, " ", path.s);
	num[fmt_ulong(num, line)] = 0;
	fail(EXIT_TEMP, path.s, " line ", num, ": ", why, " (fix the file by hand; until then it is ignored)");
}

/* Writes the list, or removes its file when it is empty. */
static void senders_store(const struct senderlist *l, const char *key)
{
	stralloc path = {0}, dir = {0}, text = {0};

	senders_path(&path, key);
	if (!l->n) {
		if (unlink(path.s) < 0 && errno != ENOENT) failsys(EXIT_TEMP, "unable to remove ", path.s);
		if (durable_sync_parent(path.s) < 0 && errno != ENOENT) failsys(EXIT_TEMP, "unable to sync ", path.s);
		return;
	}
	/* The directory may hold what users do not want others to read. */
	if (!conf_path(&dir, SENDERLIST_DIR)) nomem();
	if (mkdir(dir.s, 0700) == 0) {
		if (durable_sync_parent(dir.s) < 0) failsys(EXIT_TEMP, "unable to sync ", conf_dir());
	} else if (errno != EEXIST)
		failsys(EXIT_TEMP, "unable to create ", dir.s);
	if (!senderlist_format(&text, l)) nomem();
	if (durable_write(path.s, text.s, text.len, 0600) < 0) failsys(EXIT_TEMP, "unable to write ", path.s);
	stralloc_free(&path);
	stralloc_free(&dir);
	stralloc_free(&text);
}

/* del of a user or domain takes its list along, under the same lock, so
 * that a later user of the same name does not inherit it. */
static void senders_drop(const char *key)
{
	stralloc path = {0};

	senders_path(&path, key);
	if (unlink(path.s) == 0) {
		if (durable_sync_parent(path.s) < 0) failsys(EXIT_TEMP, "unable to sync ", path.s);
		out("removed the sender list of ");
		out(key);
		out("\n");
	} else if (errno != ENOENT)
		failsys(EXIT_TEMP, "unable to remove ", path.s);
	stralloc_free(&path);
}

/* Patterns from the command line, each checked before anything changes. */
static struct senderlist_entry *parse_patterns(int n, char **argv, enum senderlist_verdict action)
{
	struct senderlist_entry *p = calloc((size_t)n + 1, sizeof *p);
	const char *why;
	int i;

	if (!p) nomem();
	for (i = 0; i < n; i++) {
		if (senderlist_pattern(&p[i], argv[i], strlen(argv[i]), &why) < 0)
			fail(EXIT_BAD, "bad pattern ", shown(argv[i]), ": ", why);
		p[i].action = action;
	}
	return p;
}

static int same_pattern(const struct senderlist_entry *a, const struct senderlist_entry *b)
{
	return a->kind == b->kind && !strcmp(a->pattern, b->pattern);
}

/* Removes every entry of l with p's pattern; how many were there. */
static unsigned senders_remove(struct senderlist *l, const struct senderlist_entry *p)
{
	unsigned i, k = 0, gone;

	for (i = 0; i < l->n; i++)
		if (!same_pattern(&l->e[i], p)) l->e[k++] = l->e[i];
	gone = l->n - k;
	l->n = k;
	return gone;
}

static void out_pattern(const struct senderlist_entry *e)
{
	if (e->kind == SENDERLIST_SUBDOMAINS) out(".");
	out(e->pattern);
}

/* The start of every edit of a sender list: argv[0] names the list's owner,
 * the rest are patterns, all checked before anything changes; then the
 * users.cdb lock is taken (edits of users and lists exclude each other),
 * the owner must exist, and its list is loaded into *l.  The patterns. */
static struct senderlist_entry *senders_edit(int argc, char **argv, enum senderlist_verdict action,
                                             char key[ADDR_PATH_MAX + 2], struct senderlist *l)
{
	struct senderlist_entry *p;

	if (argc < 2) usage();
	parse_list_owner(argv[0], key);
	p = parse_patterns(argc - 1, argv + 1, action);
	db_begin();
	check_list_owner(key);
	senders_load(l, key);
	return p;
}

/* allow / block: one entry per pattern, replacing any other entry of the
 * same pattern (so "allow" after "block" turns it round). */
static void senders_set(int argc, char **argv, enum senderlist_verdict action)
{
	const char *word = action == SENDERLIST_ALLOW ? "allow" : "block";
	char key[ADDR_PATH_MAX + 2];
	struct senderlist_entry *p;
	struct senderlist l;
	int i;

	p = senders_edit(argc, argv, action, key, &l);
	for (i = 0; i < argc - 1; i++) {
		unsigned had = 0, k;
		for (k = 0; k < l.n; k++)
			if (same_pattern(&l.e[k], &p[i])) had |= l.e[k].action;
		senders_remove(&l, &p[i]);
		if (l.n == SENDERLIST_ENTRIES_MAX) fail(EXIT_BAD, "the list of ", key, " is full (1000 entries)");
		{
			struct senderlist_entry *grown = realloc(l.e, (l.n + 1) * sizeof *grown);
			if (!grown) nomem();
			l.e = grown;
		}
		l.e[l.n++] = p[i];
		/* "KEY: block PATTERN", and what the list said before */
		out(key);
		out(": ");
		out(word);
		out(" ");
		out_pattern(&p[i]);
		out(had == (unsigned)action ? " (already)\n" : had ? " (was the opposite)\n" : "\n");
	}
	senders_store(&l, key);
	db_commit_done();
	senderlist_free(&l);
	free(p);
	out_done();
}

static void cmd_allow(int argc, char **argv) { senders_set(argc, argv, SENDERLIST_ALLOW); }
static void cmd_block(int argc, char **argv) { senders_set(argc, argv, SENDERLIST_BLOCK); }

static void cmd_unlist(int argc, char **argv)
{
	char key[ADDR_PATH_MAX + 2];
	struct senderlist_entry *p;
	struct senderlist l;
	int i;

	p = senders_edit(argc, argv, SENDERLIST_NONE, key, &l);
	/* All or nothing: a pattern not in the list changes nothing. */
	for (i = 0; i < argc - 1; i++)
		if (!senders_remove(&l, &p[i])) fail(EXIT_BAD, shown(argv[i + 1]), " is not in the list of ", key);
	senders_store(&l, key);
	db_commit_done();
	for (i = 0; i < argc - 1; i++) {
		out(key);
		out(": unlisted ");
		out_pattern(&p[i]);
		out("\n");
	}
	senderlist_free(&l);
	free(p);
	out_done();
}

/* The list in the file's own format (nothing for an empty one). */
static void cmd_senders(int argc, char **argv)
{
	char key[ADDR_PATH_MAX + 2];
	struct senderlist l;
	stralloc text = {0};

	if (argc != 1) usage();
	parse_list_owner(argv[0], key);
	db_load();
	check_list_owner(key);
	senders_load(&l, key);
	if (!senderlist_format(&text, &l) || !stralloc_0(&text)) nomem();
	out(text.s);
	out_done();
	senderlist_free(&l);
	stralloc_free(&text);
}

/* ---- commands ---- */

/* An add of a user or alias brings its domain along. */
static int ensure_domain(const char *domain)
{
	struct userrec d;

	if (db_find_domain(domain) >= 0) return 0;
	memset(&d, 0, sizeof d);
	d.kind = USERREC_DOMAIN;
	strcpy(d.name, domain);   /* fits: parse_domain's or an addr's (ADDR_DOMAIN_MAX) */
	check_record(&d);
	db_append(&d);
	return 1;
}

static void refuse_taken(const char *key, const char *what)
{
	long i = db_find(key);
	if (i < 0) return;
	if (recs[i].kind == USERREC_USER)
		fail(EXIT_BAD, key, " is already a user", what);
	fail(EXIT_BAD, key, " is already an alias", what);
}

static const char *const add_opts[] = {"--password-stdin", "--no-password", "--quota", "--maildir", 0};
static const char *const add_valued[] = {"--quota", "--maildir", 0};

static void cmd_add(int argc, char **argv)
{
	struct opts o;
	struct addr a;
	struct userrec *u = calloc(1, sizeof *u);
	struct owner owner;
	const char *q, *m;
	int added_domain, existed;
	unsigned long i;

	if (!u) nomem();
	get_opts(&o, argc, argv, add_opts, add_valued);
	if (o.npos != 1 || (opt(&o, "--password-stdin") && opt(&o, "--no-password"))) usage();
	u->kind = USERREC_USER;
	parse_address(o.pos[0], &a, u->name);
	if ((q = opt(&o, "--quota"))) u->quota = parse_quota(q);
	if ((m = opt(&o, "--maildir"))) {
		if (strlen(m) > USERREC_PATH_MAX) fail(EXIT_BAD, "Maildir path too long");
		strcpy(u->maildir, m);   /* fits: checked above */
	} else
		default_maildir(u->maildir, &a);
	check_record(u);
	owner = mail_owner();
	/* Ask for a password only when the add can succeed; the check is
	 * repeated under the lock. */
	db_load();
	refuse_taken(u->name, "");
	userdb_free(recs);
	recs = 0;
	if (!opt(&o, "--no-password")) new_hash(u->hash, u->name, !!opt(&o, "--password-stdin"));

	db_begin();
	refuse_taken(u->name, "");
	for (i = 0; i < nrecs; i++)
		if (recs[i].kind == USERREC_USER && !strcmp(recs[i].maildir, u->maildir))
			fail(EXIT_BAD, "Maildir ", u->maildir, " already belongs to ", recs[i].name);
	added_domain = ensure_domain(a.domain);
	existed = make_maildir(u->maildir, owner);
	db_append(u);
	db_commit();

	if (added_domain) { out("added domain "); out(a.domain); out("\n"); }
	out("added user ");
	out(u->name);
	out(existed ? " with its existing Maildir " : " with Maildir ");
	out(u->maildir);
	out("\n");
	out_done();
}

/* Index of the user or alias named by an address argument, or fatal. */
static unsigned long find_entry(const char *key, enum userrec_kind want, const char *hint)
{
	long i = db_find(key);

	if (i < 0) fail(EXIT_BAD, "no such ", kind_name(want), ": ", key);
	if (recs[i].kind != want) fail(EXIT_BAD, key, " is ", want == USERREC_USER ? "an alias" : "a user", hint);
	return (unsigned long)i;
}

/* Removing the catch-all target of its own domain would leave a catch-all
 * that catches its own forwards (see check_catchall). */
static void refuse_catchall_target(const char *key)
{
	long d = db_find_domain(key_domain(key));

	if (d >= 0 && !strcmp(recs[d].catchall, key))
		fail(EXIT_BAD, key, " is the catch-all of ", recs[d].name,
		     ": change it first (posthorn-user catchall ", recs[d].name, " ...)");
}

static void cmd_del(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 1], maildir[USERREC_PATH_MAX + 1];
	unsigned long i;

	if (argc != 1) usage();
	parse_address(argv[0], &a, key);
	db_begin();
	i = find_entry(key, USERREC_USER, ", not a user: use posthorn-user alias del");
	refuse_catchall_target(key);
	strcpy(maildir, recs[i].maildir);   /* fits: the same size */
	db_remove(i);
	db_write();
	senders_drop(key);
	db_commit_done();
	out("removed user ");
	out(key);
	out("; its Maildir ");
	out(maildir);
	out(" is kept on disk (remove it by hand when it is no longer wanted)\n");
	out_done();
}

static const char *const passwd_opts[] = {"--password-stdin", 0};
static const char *const no_valued[] = {0};

static void cmd_passwd(int argc, char **argv)
{
	struct opts o;
	struct addr a;
	char key[ADDR_PATH_MAX + 1], hash[USERREC_HASH_MAX + 1];
	unsigned long i;

	get_opts(&o, argc, argv, passwd_opts, no_valued);
	if (o.npos != 1) usage();
	parse_address(o.pos[0], &a, key);
	/* Ask only for a user that exists; the check is repeated under the lock. */
	db_load();
	find_entry(key, USERREC_USER, ", not a user: aliases have no password");
	userdb_free(recs);
	recs = 0;
	new_hash(hash, key, !!opt(&o, "--password-stdin"));

	db_begin();
	i = find_entry(key, USERREC_USER, ", not a user: aliases have no password");
	strcpy(recs[i].hash, hash);   /* fits: the same size */
	check_record(&recs[i]);
	db_commit();
	out("changed the password of ");
	out(key);
	out("\n");
	out_done();
}

static void cmd_quota(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 1], num[FMT_ULONG * 2];
	unsigned long long q;
	unsigned long i;

	if (argc != 2) usage();
	parse_address(argv[0], &a, key);
	q = parse_quota(argv[1]);
	db_begin();
	i = find_entry(key, USERREC_USER, ", not a user: aliases have no quota");
	recs[i].quota = q;
	db_commit();
	num[fmt_ulonglong(num, q)] = 0;
	out("quota of ");
	out(key);
	out(q ? " is now " : " removed (unlimited)\n");
	if (q) { out(num); out(" bytes\n"); }
	out_done();
}

/* ---- send limits (posthorn-queue(8), SEND LIMITS) ---- */

/* A send limit given on the command line: a number, or "-" for none of
 * its own (0: the domain's, else the setting). */
static unsigned long parse_sendlimit(const char *s)
{
	unsigned long v = 0;

	if (!strcmp(s, "-")) return 0;
	if (!*s) fail(EXIT_BAD, "send limit must be a number or -");
	for (; *s; s++) {
		if (*s < '0' || *s > '9') fail(EXIT_BAD, "send limit must be a number or -");
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > USERREC_SENDLIMIT_MAX) fail(EXIT_BAD, "send limit too large");
	}
	if (!v) fail(EXIT_BAD, "send limit 0: give - for the default");
	return v;
}

static void cmd_sendlimit(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 2];
	unsigned long hour, day;
	long i;

	if (argc != 3) usage();
	if (strchr(argv[0], '@')) parse_address(argv[0], &a, key);
	else {
		key[0] = '@';
		parse_domain(argv[0], key + 1);
	}
	hour = parse_sendlimit(argv[1]);
	day = parse_sendlimit(argv[2]);
	db_begin();
	i = db_find(key);
	if (i < 0 || recs[i].kind == USERREC_ALIAS)
		fail(EXIT_BAD, key[0] == '@' ? "no such domain: " : "no such user: ", key + (key[0] == '@'));
	recs[i].sendhour = hour;
	recs[i].sendday = day;
	db_commit();
	out("send limits of ");
	out(key + (key[0] == '@'));
	out(" changed\n");
	out_done();
}

/* The limits file of an account: QUEUEDIR/limits/NAME. */
static void limits_path(stralloc *path, const char *account)
{
	stralloc qdir = {0}, name = {0};

	if (conf_line("queuedir", &qdir, QUEUE_DEFAULT_DIR) < 0) failsys(EXIT_TEMP, "unable to read ", conf_dir(), "/queuedir");
	if (!sendlimit_filename(&name, account) || !queue_path(path, qdir.s, "limits/", name.s)) nomem();
	stralloc_free(&qdir);
	stralloc_free(&name);
}

/* show: what the limits file says of account. */
static void show_sending(const char *account)
{
	stralloc path = {0};
	struct sendlimit s;
	char num[FMT_ULONG];
	long long now = (long long)time(0);
	int fd, r;

	limits_path(&path, account);
	r = sendlimit_load(path.s, 0, &fd, &s);
	if (r < 0 && errno != ENOENT) {
		/* the rest of show still holds: say what is unknown, and why */
		out("sending: unknown (unable to read "); out(path.s); out(": "); out(strerror(errno)); out(")\n");
		stralloc_free(&path);
		return;
	}
	if (r < 0) sendlimit_reset(&s);
	else close(fd);
	out("sending: ");
	if (s.locked) {
		num[fmt_ulong(num, s.lock_tries)] = 0;
		out("locked after a burst of "); out(num); out(" messages (posthorn-user unlock ");
		out(account); out(")\n");
	} else
		out("allowed\n");
	num[fmt_ulong(num, sendlimit_msgs_hour(&s, now))] = 0;
	out("sent: "); out(num); out(" messages in the last hour, ");
	num[fmt_ulong(num, sendlimit_rcpts_day(&s, now))] = 0;
	out(num); out(" recipients in the last day\n");
	stralloc_free(&path);
}

/* show: a record's own send limits. */
static void show_sendlimits(const struct userrec *r)
{
	char num[FMT_ULONG];

	out("send limits: ");
	if (r->sendhour) { num[fmt_ulong(num, r->sendhour)] = 0; out(num); out(" messages/hour, "); }
	else out("default messages/hour, ");
	if (r->sendday) { num[fmt_ulong(num, r->sendday)] = 0; out(num); out(" recipients/day\n"); }
	else out("default recipients/day\n");
}

/* Lifts a burst's lock and clears the counts, in place under the file's
 * own lock (posthorn-queue may be counting at the same time).  A unix
 * account (posthorn-sendmail's) is named unix:LOGIN. */
static void cmd_unlock(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 1];
	const char *account = key;
	stralloc path = {0};
	struct sendlimit s;
	int fd, was;

	if (argc != 1) usage();
	if (!strncmp(argv[0], "unix:", 5)) {
		if (!argv[0][5] || strlen(argv[0]) > SENDLIMIT_ACCOUNT_MAX || strchr(argv[0], '/'))
			fail(EXIT_BAD, "bad account: ", shown(argv[0]));
		account = argv[0];
	} else
		parse_address(argv[0], &a, key);
	limits_path(&path, account);
	if (sendlimit_load(path.s, 0, &fd, &s) < 0) {
		if (errno != ENOENT) failsys(EXIT_TEMP, "unable to open ", path.s);
		out(account); out(" has sent nothing: not locked\n");
		out_done();
		return;
	}
	was = s.locked;
	sendlimit_unlock(&s);
	if (sendlimit_store(fd, &s) < 0 || fsync(fd) < 0) failsys(EXIT_TEMP, "unable to write ", path.s);
	close(fd);
	out(account);
	out(was ? " unlocked, its counts cleared\n" : " was not locked; its counts cleared\n");
	out_done();
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints strings sorted, each followed by a newline. */
static void out_sorted(char **lines, unsigned long n)
{
	unsigned long i;

	qsort(lines, n, sizeof *lines, cmp_str);
	for (i = 0; i < n; i++) { out(lines[i]); out("\n"); }
	out_done();
}

static void cmd_list(int argc, char **argv)
{
	char domain[ADDR_DOMAIN_MAX + 1], **lines;
	unsigned long i, n = 0;

	if (argc > 1) usage();
	if (argc == 1) parse_domain(argv[0], domain);
	db_load();
	if (argc == 1 && db_find_domain(domain) < 0) fail(EXIT_BAD, "no such domain: ", domain);
	lines = calloc(nrecs + 1, sizeof *lines);
	if (!lines) nomem();
	for (i = 0; i < nrecs; i++) {
		stralloc l = {0};
		if (recs[i].kind == USERREC_DOMAIN) continue;
		if (argc == 1 && strcmp(key_domain(recs[i].name), domain)) continue;
		if (!stralloc_copys(&l, recs[i].name) || !stralloc_append(&l, " ") ||
		    !stralloc_cats(&l, kind_name(recs[i].kind)) || !stralloc_0(&l))
			nomem();
		lines[n++] = l.s;
	}
	out_sorted(lines, n);
}

static void show_user(const struct userrec *r)
{
	char num[FMT_ULONG * 2];

	out("address: "); out(r->name); out("\nkind: user\npassword: ");
	out(!r->hash[0] ? "none" : r->hash[0] == '!' || r->hash[0] == '*' ? "locked" : "set");
	out("\nmaildir: "); out(r->maildir);
	out("\nquota: ");
	if (r->quota) {
		num[fmt_ulonglong(num, r->quota)] = 0;
		out(num);
		out(" bytes\n");
	} else
		out("unlimited\n");
	show_sendlimits(r);
	show_sending(r->name);
}

static void show_alias(const struct userrec *r)
{
	unsigned i;

	out("address: "); out(r->name); out("\nkind: alias\nto: ");
	for (i = 0; i < r->ntargets; i++) {
		if (i) out(", ");
		out(r->targets[i]);
	}
	out("\n");
}

static void show_domain(const struct userrec *r)
{
	char num[FMT_ULONG];
	unsigned long i, users = 0, aliases = 0;

	for (i = 0; i < nrecs; i++)
		if (recs[i].kind != USERREC_DOMAIN && !strcmp(key_domain(recs[i].name), r->name)) {
			if (recs[i].kind == USERREC_USER) users++;
			else aliases++;
		}
	out("domain: "); out(r->name); out("\nkind: domain\ncatchall: ");
	out(r->catchall[0] ? r->catchall : "none");
	num[fmt_ulong(num, users)] = 0;
	out("\nusers: "); out(num);
	num[fmt_ulong(num, aliases)] = 0;
	out("\naliases: "); out(num); out("\n");
	show_sendlimits(r);
}

static void cmd_show(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 2];
	long i;

	if (argc != 1) usage();
	if (!strncmp(argv[0], "unix:", 5)) {
		/* a local user's sending through posthorn-sendmail */
		if (!argv[0][5] || strlen(argv[0]) > SENDLIMIT_ACCOUNT_MAX || strchr(argv[0], '/'))
			fail(EXIT_BAD, "bad account: ", shown(argv[0]));
		out("account: "); out(argv[0]); out("\n");
		show_sending(argv[0]);
		out_done();
		return;
	}
	if (strchr(argv[0], '@')) parse_address(argv[0], &a, key);
	else {
		key[0] = '@';
		parse_domain(argv[0], key + 1);
	}
	db_load();
	i = db_find(key);
	if (i < 0) fail(EXIT_BAD, key[0] == '@' ? "no such domain: " : "no such user or alias: ", key + (key[0] == '@'));
	if (recs[i].kind == USERREC_USER) show_user(&recs[i]);
	else if (recs[i].kind == USERREC_ALIAS) show_alias(&recs[i]);
	else show_domain(&recs[i]);
	out_done();
}

static void cmd_alias_add(int argc, char **argv)
{
	struct userrec *r = calloc(1, sizeof *r);
	struct addr a, t;
	int added_domain, k;
	unsigned i;

	if (!r) nomem();
	if (argc < 2) usage();
	if (argc - 1 > USERREC_TARGETS_MAX) fail(EXIT_BAD, "too many targets (at most 64)");
	r->kind = USERREC_ALIAS;
	parse_address(argv[0], &a, r->name);
	for (k = 1; k < argc; k++) {
		parse_address(argv[k], &t, r->targets[r->ntargets]);
		if (!strcmp(r->targets[r->ntargets], r->name)) fail(EXIT_BAD, "alias ", r->name, " would forward to itself");
		for (i = 0; i < r->ntargets; i++)
			if (!strcmp(r->targets[i], r->targets[r->ntargets])) fail(EXIT_BAD, "target ", r->targets[i], " given twice");
		r->ntargets++;
	}
	check_record(r);

	db_begin();
	refuse_taken(r->name, ": an alias may not shadow it");
	added_domain = ensure_domain(a.domain);
	db_append(r);
	db_commit();
	if (added_domain) { out("added domain "); out(a.domain); out("\n"); }
	out("added alias ");
	out(r->name);
	out(" -> ");
	for (i = 0; i < r->ntargets; i++) {
		if (i) out(", ");
		out(r->targets[i]);
	}
	out("\n");
	out_done();
}

static void cmd_alias_del(int argc, char **argv)
{
	struct addr a;
	char key[ADDR_PATH_MAX + 1];
	unsigned long i;

	if (argc != 1) usage();
	parse_address(argv[0], &a, key);
	db_begin();
	i = find_entry(key, USERREC_ALIAS, ", not an alias: use posthorn-user del");
	refuse_catchall_target(key);
	db_remove(i);
	db_commit();
	out("removed alias ");
	out(key);
	out("\n");
	out_done();
}

/* A catch-all that points into its own domain at nobody would catch its
 * own forwards for ever. */
static void check_catchall(const char *domain, const char *target)
{
	if (strcmp(key_domain(target), domain) || db_find(target) >= 0) return;
	fail(EXIT_BAD, "catch-all target ", target, " is in ", domain, " but is no user or alias there");
}

static void cmd_catchall(int argc, char **argv)
{
	char domain[ADDR_DOMAIN_MAX + 1], target[ADDR_PATH_MAX + 1] = "";
	struct addr t;
	long d;

	if (argc != 2) usage();
	parse_domain(argv[0], domain);
	if (strcmp(argv[1], "--none")) parse_address(argv[1], &t, target);
	db_begin();
	d = db_find_domain(domain);
	if (d < 0) fail(EXIT_BAD, "no such domain: ", domain, " (posthorn-user domain add ", domain, ")");
	if (target[0]) check_catchall(domain, target);
	strcpy(recs[d].catchall, target);   /* fits: the same size */
	check_record(&recs[d]);
	db_commit();
	if (target[0]) { out("mail to unknown addresses at "); out(domain); out(" now goes to "); out(target); }
	else { out(domain); out(" has no catch-all now: mail to unknown addresses is refused"); }
	out("\n");
	out_done();
}

static void cmd_domain_add(int argc, char **argv)
{
	char domain[ADDR_DOMAIN_MAX + 1];

	if (argc != 1) usage();
	parse_domain(argv[0], domain);
	db_begin();
	if (!ensure_domain(domain)) fail(EXIT_BAD, "domain ", domain, " already exists");
	db_commit();
	out("added domain ");
	out(domain);
	out("\n");
	out_done();
}

static void cmd_domain_del(int argc, char **argv)
{
	char domain[ADDR_DOMAIN_MAX + 1], key[ADDR_DOMAIN_MAX + 2], num[FMT_ULONG];
	unsigned long n;
	long d;

	if (argc != 1) usage();
	parse_domain(argv[0], domain);
	db_begin();
	d = db_find_domain(domain);
	if (d < 0) fail(EXIT_BAD, "no such domain: ", domain);
	if ((n = count_in_domain(domain))) {
		num[fmt_ulong(num, n)] = 0;
		fail(EXIT_BAD, "domain ", domain, " still has ", num, " users or aliases: delete them first");
	}
	db_remove((unsigned long)d);
	db_write();
	key[0] = '@';
	strcpy(key + 1, domain);   /* fits: ADDR_DOMAIN_MAX + 2 */
	senders_drop(key);
	db_commit_done();
	out("removed domain ");
	out(domain);
	out("\n");
	out_done();
}

static void cmd_domain_list(int argc, char **argv)
{
	char **lines;
	unsigned long i, n = 0;

	if (argc) usage();
	db_load();
	if (!(lines = calloc(nrecs + 1, sizeof *lines))) nomem();
	for (i = 0; i < nrecs; i++)
		if (recs[i].kind == USERREC_DOMAIN) lines[n++] = recs[i].name;
	out_sorted(lines, n);
}

static void cmd_export(int argc, char **argv)
{
	char **lines;
	unsigned long i;

	if (argc) usage();
	db_load();
	if (!(lines = calloc(nrecs + 1, sizeof *lines))) nomem();
	for (i = 0; i < nrecs; i++) {
		stralloc l = {0};
		if (!userrec_format(&l, &recs[i])) nomem();
		lines[i] = l.s;
	}
	out_sorted(lines, nrecs);
}

/* ---- import ---- */

static unsigned long import_errors;

static void import_error(unsigned long line, const char *a, const char *b, const char *c)
{
	char num[FMT_ULONG];

	if (++import_errors > IMPORT_ERRORS_SHOWN) return;
	num[fmt_ulong(num, line)] = 0;
	buffer_flush(buffer_1);
	carp("fatal: line ", num, ": ", a, b, c);
}

static void slurp(int fd, const char *name, stralloc *text)
{
	char buf[65536];

	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR) continue;
			failsys(EXIT_TEMP, "unable to read ", name);
		}
		if (r == 0) break;
		if (text->len + (size_t)r > IMPORT_BYTES_MAX) fail(EXIT_BAD, name, " is larger than 64 MiB");
		if (!stralloc_catb(text, buf, (size_t)r)) nomem();
	}
}

static int is_blank_or_comment(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
	return i == len || s[i] == '#';
}

/* Parses every line into recs, noting each record's line number. */
static unsigned long *import_parse(const stralloc *text)
{
	unsigned long *lineno = 0, line = 0, cap = 0;
	size_t pos = 0;

	while (pos < text->len) {
		const char *s = text->s + pos, *nl = memchr(s, '\n', text->len - pos);
		size_t len = nl ? (size_t)(nl - s) : text->len - pos;
		const char *why;
		struct userrec r;

		pos += len + !!nl;
		line++;
		if (len && s[len - 1] == '\r') len--;
		if (is_blank_or_comment(s, len)) continue;
		if (userrec_parse(&r, s, len, &why) < 0) { import_error(line, why, "", ""); continue; }
		if (nrecs == IMPORT_RECORDS_MAX) fail(EXIT_BAD, "more than 100000 records");
		db_append(&r);
		if (nrecs > cap) {
			cap = caprecs;
			if (!(lineno = realloc(lineno, cap * sizeof *lineno))) nomem();
		}
		lineno[nrecs - 1] = line;
	}
	return lineno;
}

static int cmp_rec_key(const struct userrec *x, const struct userrec *y)
{
	int c = (x->kind != USERREC_DOMAIN) - (y->kind != USERREC_DOMAIN);
	return c ? c : strcmp(x->name, y->name);
}

static int cmp_index_key(const void *a, const void *b)
{
	return cmp_rec_key(&recs[*(const unsigned long *)a], &recs[*(const unsigned long *)b]);
}

static const struct userrec *probe;

static int cmp_probe(const void *key, const void *elem)
{
	(void)key;
	return cmp_rec_key(probe, &recs[*(const unsigned long *)elem]);
}

/* Is there a record of this kind (domain or not) and name?  idx is recs'
 * indices sorted by key. */
static int import_has(const unsigned long *idx, enum userrec_kind kind, const char *name)
{
	static struct userrec want;

	want.kind = kind;
	if (strlen(name) > ADDR_PATH_MAX) return 0;
	strcpy(want.name, name);   /* fits: checked above */
	probe = &want;
	return bsearch(&want, idx, nrecs, sizeof *idx, cmp_probe) != 0;
}

/* The checks that need the whole list: one record per key, a domain record
 * for every address, catch-alls that do not loop. */
static void import_check(const unsigned long *lineno)
{
	unsigned long *idx = calloc(nrecs + 1, sizeof *idx), i;
	char num[FMT_ULONG];

	if (!idx) nomem();
	for (i = 0; i < nrecs; i++) idx[i] = i;
	qsort(idx, nrecs, sizeof *idx, cmp_index_key);
	for (i = 1; i < nrecs; i++)
		if (!cmp_index_key(&idx[i - 1], &idx[i])) {
			unsigned long first = idx[i - 1] < idx[i] ? idx[i - 1] : idx[i];
			unsigned long again = idx[i - 1] < idx[i] ? idx[i] : idx[i - 1];
			num[fmt_ulong(num, lineno[first])] = 0;
			import_error(lineno[again], recs[again].name, " is already given on line ", num);
		}
	for (i = 0; i < nrecs; i++) {
		const struct userrec *r = &recs[i];
		if (r->kind == USERREC_DOMAIN) {
			if (r->catchall[0] && !strcmp(key_domain(r->catchall), r->name) &&
			    !import_has(idx, USERREC_USER, r->catchall))
				import_error(lineno[i], "catch-all target ", r->catchall, " is no user or alias of its domain");
		} else if (!import_has(idx, USERREC_DOMAIN, key_domain(r->name)))
			import_error(lineno[i], "no domain record for ", key_domain(r->name), "");
	}
	free(idx);
}

static void cmd_import(int argc, char **argv)
{
	stralloc text = {0};
	const char *name = argc ? argv[0] : "-";
	unsigned long *lineno, i, users = 0, aliases = 0, made = 0;
	struct owner owner = {(uid_t)-1, (gid_t)-1};
	int fd = 0, need_owner = 0;
	char num[FMT_ULONG];

	if (argc > 1) usage();
	if (strcmp(name, "-") && (fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		failsys(EXIT_BAD, "unable to open ", name);
	slurp(fd, name, &text);
	if (fd) close(fd);
	lineno = import_parse(&text);
	if (!import_errors) import_check(lineno);
	if (import_errors) {
		num[fmt_ulong(num, import_errors)] = 0;
		fail(EXIT_BAD, num, import_errors == 1 ? " error" : " errors", " in ", name, "; nothing changed");
	}
	for (i = 0; i < nrecs; i++)
		if (recs[i].kind == USERREC_USER && !is_dir(recs[i].maildir)) need_owner = 1;
	if (need_owner) owner = mail_owner();

	/* No load: an import replaces the list, which also makes it the way
	 * out of a damaged users.cdb. */
	lockfd = userdb_lock(cdbpath.s);
	if (lockfd < 0) failsys(EXIT_TEMP, "unable to lock ", cdbpath.s, ".lock");
	for (i = 0; i < nrecs; i++) {
		if (recs[i].kind == USERREC_USER) {
			users++;
			if (!make_maildir(recs[i].maildir, owner)) {
				out("created Maildir ");
				out(recs[i].maildir);
				out("\n");
				made++;
			}
		} else if (recs[i].kind == USERREC_ALIAS)
			aliases++;
	}
	db_commit();
	out("imported ");
	num[fmt_ulong(num, users)] = 0;
	out(num); out(" users, ");
	num[fmt_ulong(num, aliases)] = 0;
	out(num); out(" aliases, ");
	num[fmt_ulong(num, nrecs - users - aliases)] = 0;
	out(num); out(" domains\n");
	out_done();
}

/* ---- login bans (loginban.h): list and lift ---- */

static void bans_conf(struct loginban_conf *c)
{
	const char *bad;

	if (loginban_conf_read(c, &bad) < 0) failsys(EXIT_TEMP, "unable to read ", conf_dir(), "/", bad);
}

/* One line of the listing: "ADDRESS banned until TIME refused N", or
 * "ADDRESS failures N" for an address counting towards a ban. */
static char *ban_line(const char *show, const struct loginban_conf *c, const struct loginban_rec *r, time_t now)
{
	char num[FMT_ULONG], when[32];
	stralloc l = {0};
	time_t until = (time_t)r->until;
	struct tm tm;

	if (!stralloc_copys(&l, show)) nomem();
	if (r->until > (unsigned long long)now && r->until - (unsigned long long)now <= c->bantime &&
	    gmtime_r(&until, &tm) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		num[fmt_ulonglong(num, r->refused)] = 0;
		if (!stralloc_cats(&l, " banned until ") || !stralloc_cats(&l, when) ||
		    !stralloc_cats(&l, " refused ") || !stralloc_cats(&l, num))
			nomem();
	} else {
		num[fmt_ulong(num, loginban_recent(c, r, now))] = 0;
		if (!stralloc_cats(&l, " failures ") || !stralloc_cats(&l, num)) nomem();
	}
	if (!stralloc_0(&l)) nomem();
	return l.s;
}

/* Lists the bans and the counts in the window, sorted; files that hold
 * neither are removed on the way, so the directory does not keep a file
 * for every address that ever failed (run it daily from cron). */
static void cmd_bans(int argc, char **argv)
{
	struct loginban_conf c = {0};
	static struct loginban_rec r;
	char show[LOGINBAN_SHOW_MAX], **lines = 0;
	unsigned long n = 0, cap = 0;
	time_t now = time(0);
	struct dirent *d;
	DIR *dir;

	(void)argv;
	if (argc) usage();
	bans_conf(&c);
	if (!(dir = opendir(c.dir.s))) failsys(EXIT_TEMP, "unable to open ", c.dir.s);
	while ((errno = 0, d = readdir(dir))) {
		if (loginban_show(d->d_name, show)) continue;   /* not one of ours */
		if (loginban_expire(&c, d->d_name, now) != 0) continue;   /* gone, or unreadable */
		if (loginban_read(&c, d->d_name, &r)) continue;
		if (n == cap) {
			char **more = realloc(lines, (cap = cap * 2 + 16) * sizeof *lines);
			if (!more) nomem();
			lines = more;
		}
		lines[n++] = ban_line(show, &c, &r, now);
	}
	if (errno) failsys(EXIT_TEMP, "unable to read ", c.dir.s);
	closedir(dir);
	if (n) out_sorted(lines, n);   /* qsort of a null array is undefined, even of none */
	else out_done();
}

static void cmd_unban(int argc, char **argv)
{
	struct loginban_conf c = {0};
	char name[LOGINBAN_NAME_MAX], show[LOGINBAN_SHOW_MAX];

	if (argc != 1) usage();
	if (loginban_name_typed(argv[0], name) || loginban_show(name, show))
		fail(EXIT_BAD, "not an IP address (IPv4, IPv6, or IPv6/64): ", shown(argv[0]));
	bans_conf(&c);
	if (loginban_remove(&c, name)) {
		if (errno == ENOENT) fail(EXIT_BAD, "no ban or failures for ", show);
		failsys(EXIT_TEMP, "unable to remove the ban of ", show);
	}
	out(show);
	out(" unbanned\n");
	out_done();
}

/* ---- dispatch ---- */

static const struct command {
	const char *name, *sub;
	void (*run)(int argc, char **argv);
} commands[] = {
	{"add", 0, cmd_add},
	{"del", 0, cmd_del},
	{"passwd", 0, cmd_passwd},
	{"quota", 0, cmd_quota},
	{"sendlimit", 0, cmd_sendlimit},
	{"unlock", 0, cmd_unlock},
	{"list", 0, cmd_list},
	{"show", 0, cmd_show},
	{"alias", "add", cmd_alias_add},
	{"alias", "del", cmd_alias_del},
	{"catchall", 0, cmd_catchall},
	{"domain", "add", cmd_domain_add},
	{"domain", "del", cmd_domain_del},
	{"domain", "list", cmd_domain_list},
	{"export", 0, cmd_export},
	{"import", 0, cmd_import},
	{"bans", 0, cmd_bans},
	{"unban", 0, cmd_unban},
	{"allow", 0, cmd_allow},
	{"block", 0, cmd_block},
	{"unlist", 0, cmd_unlist},
	{"senders", 0, cmd_senders},
};

int main(int argc, char **argv)
{
	const char *dir = 0;
	unsigned i;
	int a = 1;

	errmsg_iam("posthorn-user");
	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "-C") && a + 1 < argc) { dir = argv[a + 1]; a += 2; }
		else if (!strncmp(argv[a], "-C", 2) && argv[a][2]) { dir = argv[a] + 2; a++; }
		else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			buffer_puts(buffer_1, usage_text);
			out_done();
			return 0;
		} else
			usage();
	}
	if (a == argc) usage();
	conf_init(dir);
	if (!conf_path(&cdbpath, "users.cdb")) nomem();

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->name, argv[a])) continue;
		if (!c->sub) { c->run(argc - a - 1, argv + a + 1); return 0; }
		if (a + 1 < argc && !strcmp(c->sub, argv[a + 1])) { c->run(argc - a - 2, argv + a + 2); return 0; }
	}
	usage();
	return EXIT_USAGE;
}
