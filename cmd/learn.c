/*
 * posthorn-learn: teaches the spam classifier (bogofilter) what a user
 * says is spam or ham (see posthorn-learn(8)).
 *
 *     posthorn-learn [-C DIR] -j MAILDIR
 *         runs the learning jobs that posthorn-imapd leaves in
 *         MAILDIR/learn/new/ (hard links named *.spam / *.ham), one runner
 *         at a time per Maildir (flock on MAILDIR/learn/lock; a second
 *         runner exits 0 at once), removing each job when done;
 *     posthorn-learn [-C DIR] -u ADDRESS -s|-n FOLDER...
 *         learns every message of the folders (bulk: POP3 users, admins).
 *
 * Started as root it becomes the mail owner (after the users.cdb lookup of
 * -u); it never registers as root, so the word list stays the mail owner's.
 *
 * Undo: the word list dir holds posthorn-learned, the classes of the last
 * LEARNED_MAX messages registered (by a SHA-256 of the file), so that a
 * message moved into Junk and back out is registered as spam and then
 * re-registered as ham (-s, then -Sn: bogofilter's counts are as if it had
 * been ham from the start), and a message learned twice in one class counts
 * once.  Losing that record loses only the undo, never mail: it is written
 * without fsync.
 *
 * Exit 0 done (a job whose registration failed is logged and dropped: a lost
 * lesson, never a lost message), 111 the setup failed or (-u) a message
 * could not be learned, 64 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <buffer.h>
#include <fmt.h>
#include <stralloc.h>
#include "addr.h"
#include "bogo.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"
#include "maildir.h"
#include "maillock.h"
#include "privs.h"
#include "rspamd.h"
#include "userdb.h"

#define LEARNED_MAX 4096          /* messages remembered for undo */
#define LEARNED_LINE 67           /* "S " + 64 hex + '\n' */
#define JOB_ROUNDS_MAX 16         /* looks into new/ after the lock is released */
#define LOCK_WAIT 60              /* seconds to wait for the record's lock */
#define BOGOFILTER_DEFAULT "/usr/bin/bogofilter"
#define SPAM_MAXSIZE_DEFAULT 1048576
#define SCAN_TIMEOUT_DEFAULT 30
#define WORDLIST_USER "bogofilter"
#define DIGEST_LEN 32

static const char usage_text[] =
	"usage: posthorn-learn [-C DIR] -j MAILDIR\n"
	"       posthorn-learn [-C DIR] -u ADDRESS -s|-n FOLDER...\n";

static struct {
	int spam_on;                 /* spam-classifier is bogofilter */
	stralloc wordlist;           /* "" = per user, else the shared dir */
	stralloc bogoprog;
	unsigned long maxsize, timeout;
	stralloc owner;
	stralloc dir;                /* this run's word list dir */
	stralloc rspamd, rspamd_pw;  /* controller HOST:PORT or /socket ("" = none), password */
} g;

/* Is there anyone to teach? */
#define LEARNING_ON (g.spam_on || g.rspamd.len)

/* The record: entries in order of registration, oldest first. */
struct learned {
	char cls;                    /* 'S' or 'H' */
	unsigned char d[DIGEST_LEN];
};
static struct learned *rec;
static unsigned nrec;
static int reclock = -1, recdirty;

_Noreturn static void die(const char *what, const char *arg)
{
	log_event("fatal", "what", what, "arg", arg, "reason", errno ? strerror(errno) : "-", (char *)0);
	exit(EXIT_TEMP);
}

_Noreturn static void usage(void)
{
	buffer_puts(buffer_2, usage_text);
	buffer_flush(buffer_2);
	exit(EXIT_USAGE);
}

static void read_config(void)
{
	stralloc line = {0};

	errno = 0;
	if (conf_line("spam-classifier", &line, "bogofilter") < 0) die("read config", "spam-classifier");
	g.spam_on = !strcmp(line.s, "bogofilter");
	if (!g.spam_on && strcmp(line.s, "none")) { errno = EINVAL; die("read config", "spam-classifier"); }
	if (conf_line("spam-wordlist", &g.wordlist, "user") < 0) die("read config", "spam-wordlist");
	if (!strcmp(g.wordlist.s, "user")) g.wordlist.s[g.wordlist.len = 0] = 0;
	else if (g.wordlist.s[0] != '/') { errno = EINVAL; die("read config", "spam-wordlist"); }
	if (conf_line("bogofilter", &g.bogoprog, BOGOFILTER_DEFAULT) < 0) die("read config", "bogofilter");
	if (conf_ulong("spam-maxsize", &g.maxsize, SPAM_MAXSIZE_DEFAULT) < 0) die("read config", "spam-maxsize");
	if (conf_ulong("scan-timeout", &g.timeout, SCAN_TIMEOUT_DEFAULT) < 0) die("read config", "scan-timeout");
	if (!g.timeout || g.timeout > 3600) { errno = EINVAL; die("read config", "scan-timeout"); }
	if (conf_line("mailowner", &g.owner, "") < 0) die("read config", "mailowner");
	if (conf_line("rspamd-controller", &g.rspamd, "") < 0) die("read config", "rspamd-controller");
	if (conf_line("rspamd-password", &g.rspamd_pw, "") < 0) die("read config", "rspamd-password");
	stralloc_free(&line);
}

/* Root becomes the mail owner; nobody registers as root. */
static void drop_privileges(void)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() == 0) {
		errno = 0;
		if (!g.owner.len) die("find the mail owner", "mailowner");
		if (privs_lookup(g.owner.s, &uid, &gid) < 0) die("find the mail owner", g.owner.s);
		if (uid == 0) { errno = EPERM; die("become the mail owner", g.owner.s); }
		if (privs_drop(uid, gid) < 0) die("become the mail owner", g.owner.s);
	}
	if (geteuid() == 0 || getuid() == 0) { errno = EPERM; die("run", "as root"); }
}

/* ---- the record of what was learned ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* Takes the record's lock (the word list may be shared by many users'
 * runners) and loads it; lines that are not "S|H HEX64" are dropped. */
static void record_load(void)
{
	stralloc path = {0};
	char line[LEARNED_LINE];
	size_t have = 0;
	int fd;

	rec = calloc(LEARNED_MAX + 1, sizeof *rec);
	if (!rec) die("allocate", "record");
	if (!stralloc_copy(&path, &g.dir) || !stralloc_cats(&path, "/posthorn-learned.lock") || !stralloc_0(&path))
		die("allocate", "record");
	reclock = maillock_wait(path.s, LOCK_WAIT);
	if (reclock < 0) die("lock", path.s);
	path.len -= 6;   /* drops ".lock" and the NUL */
	if (!stralloc_0(&path)) die("allocate", "record");
	fd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT) die("open", path.s);
		stralloc_free(&path);
		return;
	}
	for (;;) {
		char buf[4096];
		ssize_t r = read(fd, buf, sizeof buf), i;
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) die("read", path.s);
		if (r == 0) break;
		for (i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (have < sizeof line) line[have] = buf[i];
				have++;
				continue;
			}
			if (have == LEARNED_LINE - 1 && (line[0] == 'S' || line[0] == 'H') && line[1] == ' ') {
				struct learned *e = &rec[nrec];
				unsigned k;
				for (k = 0; k < DIGEST_LEN; k++) {
					int hi = hexval(line[2 + 2 * k]), lo = hexval(line[3 + 2 * k]);
					if (hi < 0 || lo < 0) break;
					e->d[k] = (unsigned char)(hi << 4 | lo);
				}
				if (k == DIGEST_LEN) {
					e->cls = line[0];
					/* Keeps the newest LEARNED_MAX of a longer file. */
					if (++nrec > LEARNED_MAX) {
						memmove(rec, rec + 1, LEARNED_MAX * sizeof *rec);
						nrec = LEARNED_MAX;
					}
				}
			}
			have = 0;
		}
	}
	close(fd);
	stralloc_free(&path);
}

/* The class the record holds for d ('S', 'H'), or 0. */
static char record_find(const unsigned char *d)
{
	unsigned i;
	for (i = nrec; i-- > 0;)
		if (!memcmp(rec[i].d, d, DIGEST_LEN)) return rec[i].cls;
	return 0;
}

/* d is now cls: moved to the end (the newest), the oldest dropped past
 * LEARNED_MAX. */
static void record_set(const unsigned char *d, char cls)
{
	unsigned i;
	for (i = 0; i < nrec; i++)
		if (!memcmp(rec[i].d, d, DIGEST_LEN)) {
			memmove(rec + i, rec + i + 1, (nrec - i - 1) * sizeof *rec);
			nrec--;
			break;
		}
	if (nrec == LEARNED_MAX) {
		memmove(rec, rec + 1, (LEARNED_MAX - 1) * sizeof *rec);
		nrec--;
	}
	rec[nrec].cls = cls;
	memcpy(rec[nrec].d, d, DIGEST_LEN);
	nrec++;
	recdirty = 1;
}

/* Writes the record (temp file, rename) and releases its lock. */
static void record_save(void)
{
	static const char hex[] = "0123456789abcdef";
	stralloc path = {0}, tmp = {0}, out = {0};
	unsigned i, k;
	int fd;

	if (recdirty) {
		if (!stralloc_copy(&path, &g.dir) || !stralloc_cats(&path, "/posthorn-learned") ||
		    !stralloc_copy(&tmp, &path) || !stralloc_cats(&tmp, ".tmp") || !stralloc_0(&path) ||
		    !stralloc_0(&tmp))
			die("allocate", "record");
		for (i = 0; i < nrec; i++) {
			char line[LEARNED_LINE];
			line[0] = rec[i].cls;
			line[1] = ' ';
			for (k = 0; k < DIGEST_LEN; k++) {
				line[2 + 2 * k] = hex[rec[i].d[k] >> 4];
				line[3 + 2 * k] = hex[rec[i].d[k] & 15];
			}
			line[LEARNED_LINE - 1] = '\n';
			if (!stralloc_catb(&out, line, sizeof line)) die("allocate", "record");
		}
		fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) die("create", tmp.s);
		if (write(fd, out.s, out.len) != (ssize_t)out.len || close(fd) < 0) die("write", tmp.s);
		if (rename(tmp.s, path.s) < 0) die("rename", tmp.s);
		stralloc_free(&path);
		stralloc_free(&tmp);
		stralloc_free(&out);
	}
	close(reclock);
	reclock = -1;
}

/* ---- one message ---- */

static int digest_fd(int fd, unsigned char d[DIGEST_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char buf[16384];
	unsigned len = 0;
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), 0);

	while (ok) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) { ok = r == 0; break; }
		ok = EVP_DigestUpdate(c, buf, (size_t)r);
	}
	if (ok) ok = EVP_DigestFinal_ex(c, d, &len) && len == DIGEST_LEN;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

/* Registers the message file at path as spam (1) or ham (0), undoing the
 * opposite registration the record holds.  0 done (or nothing to do), -1
 * failed (logged). */
static int learn_file(const char *path, int spam, const char *how)
{
	unsigned char d[DIGEST_LEN];
	const char *why = 0, *action;
	char was, num[FMT_ULONG];
	struct stat st;
	enum bogo_learn l;
	int failed = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_event("learn", "file", path, "result", "error", "reason", fd < 0 ? strerror(errno) : "not a file",
			  (char *)0);
		if (fd >= 0) close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > g.maxsize) {
		num[fmt_ulonglong(num, (unsigned long long)st.st_size)] = 0;
		log_event("learn", "file", path, "result", "skipped", "size", num, (char *)0);
		close(fd);
		return 0;
	}
	if (g.rspamd.len) {
		/* rspamd keeps its own record: the opposite class is relearned,
		 * the same one answered "already learnt". */
		if (lseek(fd, 0, SEEK_SET) < 0 ||
		    rspamd_learn(g.rspamd.s, spam, fd, (unsigned long long)st.st_size, g.rspamd_pw.len ? g.rspamd_pw.s : 0,
		                 (unsigned)g.timeout, &why) < 0) {
			log_event("learn", "file", path, "as", spam ? "spam" : "ham", "learner", "rspamd", "result", "error",
				  "reason", why ? why : strerror(errno), (char *)0);
			failed = -1;
		} else
			log_event("learn", "file", path, "as", spam ? "spam" : "ham", "learner", "rspamd", "result", "ok",
				  "how", how, (char *)0);
	}
	if (!g.spam_on) {
		close(fd);
		return failed;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || digest_fd(fd, d) < 0) {
		log_event("learn", "file", path, "result", "error", "reason", "unable to read it", (char *)0);
		close(fd);
		return -1;
	}
	was = record_find(d);
	if (was == (spam ? 'S' : 'H')) {
		log_event("learn", "file", path, "as", spam ? "spam" : "ham", "result", "known", "how", how, (char *)0);
		close(fd);
		return failed;
	}
	if (spam) { l = was ? BOGO_LEARN_HAM_TO_SPAM : BOGO_LEARN_SPAM; action = was ? "ham-to-spam" : "spam"; }
	else { l = was ? BOGO_LEARN_SPAM_TO_HAM : BOGO_LEARN_HAM; action = was ? "spam-to-ham" : "ham"; }
	if (lseek(fd, 0, SEEK_SET) < 0 || bogo_register(g.bogoprog.s, g.dir.s, fd, l, (unsigned)g.timeout, &why) < 0) {
		log_event("learn", "file", path, "as", action, "result", "error", "reason", why ? why : strerror(errno),
			  (char *)0);
		close(fd);
		return -1;
	}
	close(fd);
	record_set(d, spam ? 'S' : 'H');
	log_event("learn", "file", path, "as", action, "result", "ok", "how", how, (char *)0);
	return failed;
}

/* The word list dir for a Maildir (made when missing, mode 0700, when bogofilter is on). */
static void set_wordlist(const char *maildir)
{
	if (g.wordlist.len) {
		if (!stralloc_copy(&g.dir, &g.wordlist)) die("allocate", "dir");
	} else if (!stralloc_copys(&g.dir, maildir) || !stralloc_cats(&g.dir, "/" WORDLIST_USER))
		die("allocate", "dir");
	if (!stralloc_0(&g.dir)) die("allocate", "dir");
	g.dir.len--;
	/* only bogofilter keeps a word list (and our record) there */
	if (g.spam_on && mkdir(g.dir.s, 0700) < 0 && errno != EEXIST) die("make", g.dir.s);
}

/* ---- -j: the job runner ---- */

/* One pass over learn/new/: every job learned (or dropped) and removed.
 * Returns the number of entries seen. */
static unsigned run_jobs(const char *newdir)
{
	stralloc path = {0};
	unsigned seen = 0;
	struct dirent *e;
	DIR *dp = opendir(newdir);

	if (!dp) die("open", newdir);
	while ((e = readdir(dp))) {
		size_t n = strlen(e->d_name);
		int spam;

		if (e->d_name[0] == '.') continue;
		seen++;
		if (n > 5 && !strcmp(e->d_name + n - 5, ".spam")) spam = 1;
		else if (n > 4 && !strcmp(e->d_name + n - 4, ".ham")) spam = 0;
		else spam = -1;
		if (!stralloc_copys(&path, newdir) || !stralloc_cats(&path, "/") || !stralloc_cats(&path, e->d_name) ||
		    !stralloc_0(&path))
			die("allocate", "path");
		if (spam < 0) log_event("learn", "file", path.s, "result", "dropped", "reason", "not a job", (char *)0);
		else if (!LEARNING_ON)
			log_event("learn", "file", path.s, "result", "dropped", "reason", "no classifier", (char *)0);
		else (void)learn_file(path.s, spam, "job");
		if (unlink(path.s) < 0 && errno != ENOENT) die("remove", path.s);
	}
	closedir(dp);
	stralloc_free(&path);
	return seen;
}

static int dir_has_jobs(const char *dir)
{
	struct dirent *e;
	DIR *dp = opendir(dir);
	int has = 0;

	if (!dp) return 0;
	while (!has && (e = readdir(dp)))
		if (e->d_name[0] != '.') has = 1;
	closedir(dp);
	return has;
}

static int jobs(const char *maildir)
{
	static stralloc learn, newdir;   /* static: reachable until exit */
	unsigned round;

	if (maildir[0] != '/') { errno = EINVAL; die("use", maildir); }
	set_wordlist(maildir);
	if (!stralloc_copys(&learn, maildir) || !stralloc_cats(&learn, "/learn") || !stralloc_0(&learn) ||
	    !stralloc_copys(&newdir, learn.s) || !stralloc_cats(&newdir, "/new") || !stralloc_0(&newdir))
		die("allocate", "path");
	if (mkdir(learn.s, 0700) < 0 && errno != EEXIST) die("make", learn.s);
	if (mkdir(newdir.s, 0700) < 0 && errno != EEXIST) die("make", newdir.s);
	/* A job written while we ran the last pass, or after our last look but
	 * before we let go of the lock, would wait for the next move: so we
	 * look again after releasing it, and run again if we get the lock. */
	for (round = 0; round < JOB_ROUNDS_MAX; round++) {
		int lock = maillock_take(learn.s, "lock");
		if (lock < 0) {
			if (errno == EWOULDBLOCK) return 0;   /* the holder runs them */
			die("lock", learn.s);
		}
		if (g.spam_on) record_load();
		run_jobs(newdir.s);
		if (g.spam_on) record_save();
		free(rec);
		rec = 0;
		nrec = 0;
		recdirty = 0;
		close(lock);
		if (!dir_has_jobs(newdir.s)) break;
	}
	return 0;
}

/* ---- -u: bulk ---- */

static int bulk(const char *address, int spam, char **folders, int nfolders)
{
	static struct userrec u;
	stralloc cdb = {0}, key = {0}, dir = {0}, path = {0};
	struct addr a;
	int i, failed = 0, r;
	unsigned long count = 0;

	if (addr_parse(&a, address, strlen(address), ADDR_ALLOW_UTF8) != ADDR_OK) {
		errno = EINVAL;
		die("parse the address", address);
	}
	if (!addr_key(&key, &a) || !conf_path(&cdb, "users.cdb")) die("allocate", "key");
	r = userdb_get(cdb.s, key.s, key.len, &u);
	if (r == USERDB_NOUSER || (r == USERDB_FOUND && u.kind != USERREC_USER)) {
		errno = ENOENT;
		die("find the user", address);
	}
	if (r != USERDB_FOUND) die("read", cdb.s);
	drop_privileges();
	set_wordlist(u.maildir);
	if (g.spam_on) record_load();
	for (i = 0; i < nfolders; i++) {
		static const char *const subs[] = {"/cur", "/new"};
		unsigned s;
		if (maildir_folder_path(&dir, u.maildir, folders[i]) < 0) {
			log_event("learn", "folder", folders[i], "result", "error", "reason", "bad folder name", (char *)0);
			failed = 1;
			continue;
		}
		for (s = 0; s < 2; s++) {
			struct dirent *e;
			DIR *dp;
			if (!stralloc_copys(&path, dir.s) || !stralloc_cats(&path, subs[s]) || !stralloc_0(&path))
				die("allocate", "path");
			dp = opendir(path.s);
			if (!dp) {
				log_event("learn", "folder", path.s, "result", "error", "reason", strerror(errno), (char *)0);
				failed = 1;
				break;
			}
			while ((e = readdir(dp))) {
				stralloc f = {0};
				if (e->d_name[0] == '.') continue;
				/* path.len counts its NUL: build from the string */
				if (!stralloc_copys(&f, path.s) || !stralloc_cats(&f, "/") || !stralloc_cats(&f, e->d_name) ||
				    !stralloc_0(&f))
					die("allocate", "path");
				if (!LEARNING_ON) { count++; stralloc_free(&f); continue; }
				if (learn_file(f.s, spam, "bulk") < 0) failed = 1;
				else count++;
				stralloc_free(&f);
			}
			closedir(dp);
		}
	}
	if (g.spam_on) record_save();
	{
		char num[FMT_ULONG];
		num[fmt_ulong(num, count)] = 0;
		log_event("result", "user", address, "as", spam ? "spam" : "ham", "messages", num, "result",
			  failed ? "incomplete" : "ok", (char *)0);
	}
	stralloc_free(&cdb);
	stralloc_free(&key);
	stralloc_free(&dir);
	stralloc_free(&path);
	return failed ? EXIT_TEMP : EXIT_DONE;
}

int main(int argc, char **argv)
{
	const char *confdir = 0, *maildir = 0, *user = 0;
	int opt, spam = -1;

	log_init("posthorn-learn");
	while ((opt = getopt(argc, argv, "C:j:u:sn")) != -1) {
		switch (opt) {
		case 'C': confdir = optarg; break;
		case 'j': maildir = optarg; break;
		case 'u': user = optarg; break;
		case 's': spam = 1; break;
		case 'n': spam = 0; break;
		default: usage();
		}
	}
	conf_init(confdir);
	if (maildir && !user && spam < 0 && optind == argc) {
		read_config();
		drop_privileges();
		return jobs(maildir);
	}
	if (user && !maildir && spam >= 0 && optind < argc) {
		read_config();
		return bulk(user, spam, argv + optind, argc - optind);
	}
	usage();
}
