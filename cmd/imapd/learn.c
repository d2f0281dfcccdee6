/*
 * Learning jobs (learn.h; posthorn-imapd(8), LEARNING).
 *
 * Only when spam-learn is 1 and there is a classifier to teach
 * (spam-classifier is not "none", or rspamd-controller is set).  The
 * junk folder is local-junk-folder's (default Junk; "-" or INBOX: none),
 * matched ignoring case, as posthorn-local files into it.
 *
 * A job is a hard link of the message file into learn/new/: no bytes are
 * copied, and a later rename (flags) or unlink (EXPUNGE) of the message
 * does not touch it.  Where the link is refused (another file system, a
 * file system without links) the message is copied into learn/tmp/ and
 * renamed into new/.  Nothing is fsync'ed: a job lost in a crash loses a
 * lesson, never mail.  learn/ is no Maildir++ folder (its name has no
 * leading dot), so no client ever sees it.
 *
 * posthorn-learn runs detached (two forks and setsid): the session never
 * waits for it, and it outlives the session.  It takes a lock and finds
 * every job in new/, so one run per command that wrote jobs is enough,
 * and a second start while one runs costs it one flock.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "exedir.h"
#include "learn.h"
#include "log.h"
#include "maildir.h"
#include "path.h"
#include "session.h"

#define JUNK_FOLDER_DEFAULT "Junk"     /* as posthorn-local's */
#define LEARN_DIR "learn"
#define JOB_NAME_MAX 96                /* "SEC.PID_N.spam": three numbers and a suffix */

static struct {
	int on;                    /* spam-learn 1 and something to teach */
	stralloc junk;             /* the junk folder's dir (".Junk"), "" for none */
	unsigned long n;           /* jobs written by this process: the N of their names */
	unsigned long command;     /* jobs written by the current command */
	int bounded;               /* LEARN_JOBS_MAX reached and logged in this command */
	char last[sizeof LEARN_DIR + 4 + JOB_NAME_MAX];   /* the job learn_cancel removes */
	stralloc exe, maildir;     /* posthorn-learn and our Maildir, found at the first start */
	int missing;               /* posthorn-learn not found (logged once) */
} L;

int learn_init(const char **bad)
{
	stralloc v = {0};
	unsigned long on;
	int r = -1;

	errno = 0;
	*bad = "spam-learn";
	if (conf_ulong("spam-learn", &on, 1) < 0 || on > 1) goto out;
	*bad = "spam-classifier";
	if (conf_line("spam-classifier", &v, "bogofilter") < 0) goto out;
	if (strcmp(v.s, "bogofilter") && strcmp(v.s, "none")) { errno = 0; goto out; }
	L.on = on && strcmp(v.s, "none");
	*bad = "rspamd-controller";
	if (conf_line("rspamd-controller", &v, "") < 0) goto out;
	if (on && v.len) L.on = 1;
	*bad = "local-junk-folder";
	if (conf_line("local-junk-folder", &v, JUNK_FOLDER_DEFAULT) < 0) goto out;
	/* "-" and INBOX: no junk folder.  maildir_folder_path gives "/.NAME"
	 * (hierarchy '/' written as '.'), the dir mailbox_dir names. */
	if (!strcmp(v.s, "-")) v.len = 0;
	if (v.len) {
		if (maildir_folder_path(&L.junk, "", v.s) < 0) {
			if (errno == EINVAL) errno = 0;
			goto out;
		}
		if (L.junk.len) memmove(L.junk.s, L.junk.s + 1, L.junk.len--);
	}
	if (!stralloc_0(&L.junk)) goto out;
	L.junk.len--;
	r = 0;
out:
	stralloc_free(&v);
	return r;
}

static int is_junk(const char *dir)
{
	return L.junk.len && !strcasecmp(dir, L.junk.s);
}

enum learn_kind learn_for_copy(const char *src, const char *dst)
{
	if (!L.on) return LEARN_NONE;
	if (src && is_junk(src) && is_junk(dst)) return LEARN_NONE;
	if (is_junk(dst)) return LEARN_SPAM;
	/* out of the junk folder into the bin is no judgement on the message */
	if (src && is_junk(src) && strcasecmp(dst, ".Trash")) return LEARN_HAM;
	return LEARN_NONE;
}

/* The keyword bits among names in st's keywords. */
static uint32_t keyword_bits(const struct store *st, const char *const *names)
{
	uint32_t bits = 0;
	unsigned i, j;
	for (i = 0; names[i]; i++)
		for (j = 0; j < st->kw.n; j++)
			if (!strcasecmp(st->kw.name[j], names[i])) bits |= STORE_KW(j);
	return bits;
}

enum learn_kind learn_for_flags(const struct store *st, uint32_t before, uint32_t after)
{
	/* Thunderbird's keywords (and Apple Mail's $Junk / $NotJunk) */
	static const char *const spam[] = {"$Junk", "Junk", 0}, *const ham[] = {"$NotJunk", "NonJunk", 0};
	uint32_t set = after & ~before, s, h;

	if (!L.on || !(set & ~(uint32_t)STORE_SYSTEM)) return LEARN_NONE;
	s = set & keyword_bits(st, spam);
	h = set & keyword_bits(st, ham);
	/* both at once says nothing */
	if (s && !h) return LEARN_SPAM;
	if (h && !s) return LEARN_HAM;
	return LEARN_NONE;
}

static int make_dirs(void)
{
	if (mkdir(LEARN_DIR, 0700) < 0 && errno != EEXIST) return -1;
	if (mkdir(LEARN_DIR "/new", 0700) < 0 && errno != EEXIST) return -1;
	if (mkdir(LEARN_DIR "/tmp", 0700) < 0 && errno != EEXIST) return -1;
	return 0;
}

/* The copy where a link is refused: learn/tmp/NAME, renamed to new/NAME. */
static int copy_job(const char *src, const char *name)
{
	char tmp[sizeof L.last];
	char buf[65536];
	int in, fd, e;
	ssize_t n = 0;

	if (path_fmt(tmp, sizeof tmp, LEARN_DIR "/tmp/%s", name) < 0) return -1;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) { e = errno; close(in); errno = e; return -1; }
	while ((n = read(in, buf, sizeof buf)) > 0) {
		char *p = buf;
		while (n > 0) {
			ssize_t w = write(fd, p, (size_t)n);
			if (w < 0) { if (errno == EINTR) continue; goto fail; }
			p += w;
			n -= w;
		}
	}
	if (n < 0) goto fail;
	close(in);
	if (close(fd) < 0) { e = errno; unlink(tmp); errno = e; return -1; }
	if (rename(tmp, L.last) < 0) { e = errno; unlink(tmp); errno = e; return -1; }
	return 0;
fail:
	e = errno;
	close(in);
	close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

int learn_job(const char *path, enum learn_kind kind)
{
	char name[JOB_NAME_MAX];
	int tries;

	L.last[0] = 0;
	if (!L.on || kind == LEARN_NONE) return 0;
	if (L.command >= LEARN_JOBS_MAX) {
		if (!L.bounded) {
			L.bounded = 1;
			log_event("learn", "user", S.user, "ip", S.ip, "result", "too-many",
				  "detail", "more lessons in one command than LEARN_JOBS_MAX: the rest dropped", (char *)0);
		}
		return 0;
	}
	/* a name another process of the same pid left in the same second
	 * (pid reuse) is not overwritten: the next N is tried */
	for (tries = 0;; tries++) {
		/* fits: two 20-digit numbers, a 10-digit one and ".spam" */
		snprintf(name, sizeof name, "%lld.%ld_%lu.%s", (long long)time(0), (long)getpid(), ++L.n,
			 kind == LEARN_SPAM ? "spam" : "ham");
		if (path_fmt(L.last, sizeof L.last, LEARN_DIR "/new/%s", name) < 0) break;
		if (link(path, L.last) == 0) goto written;
		/* learn/ made at the first lesson */
		if (errno == ENOENT && make_dirs() == 0 && link(path, L.last) == 0) goto written;
		if (errno == EEXIST && tries < 3) continue;
		/* EXDEV, EPERM (no links here), EMLINK: a copy */
		if (errno != ENOENT && errno != EEXIST && make_dirs() == 0 && copy_job(path, name) == 0) goto written;
		break;
	}
	log_error("learn", path);
	L.last[0] = 0;
	return 0;
written:
	L.command++;
	return 1;
}

void learn_cancel(void)
{
	if (!L.last[0]) return;
	if (unlink(L.last) == 0 && L.command) L.command--;
	L.last[0] = 0;
}

/* Starts posthorn-learn -j MAILDIR detached.  A failure is logged; the
 * jobs stay for the next start. */
static void spawn(void)
{
	pid_t pid;
	int status;

	if (!L.exe.len && !exedir_path(&L.exe, "posthorn-learn")) { log_error("learn-start", "posthorn-learn"); return; }
	if (access(L.exe.s, X_OK) < 0) {
		/* once per session: the jobs wait in learn/new/ */
		if (!L.missing++) log_error("learn-start", L.exe.s);
		return;
	}
	if (!L.maildir.len) {
		char *cwd = getcwd(0, 0);
		int ok = cwd && stralloc_copys(&L.maildir, cwd) && stralloc_0(&L.maildir);
		free(cwd);
		if (!ok) { L.maildir.len = 0; log_error("learn-start", "getcwd"); return; }
	}
	pid = fork();
	if (pid < 0) { log_error("learn-start", "fork"); return; }
	if (pid == 0) {
		/* the middle process: a new session, then gone, so that
		 * posthorn-learn is nobody's child we would have to reap */
		const char *argv[] = {"posthorn-learn", "-C", conf_dir(), "-j", L.maildir.s, 0};
		sigset_t none;
		int fd;
		setsid();
		pid = fork();
		if (pid != 0) _exit(pid < 0 ? 111 : 0);
		/* fds 0 and 1 are the client's: never the learner's; 2 is the log */
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0) _exit(111);
		closefrom(3);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, 0);
		signal(SIGPIPE, SIG_DFL);
		execv(L.exe.s, (char *const *)argv);
		log_error("learn-start", L.exe.s);
		_exit(111);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) return;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = EAGAIN;
		log_error("learn-start", "fork");
	}
}

void learn_command_done(void)
{
	unsigned long n = L.command;

	L.command = 0;
	L.bounded = 0;
	L.last[0] = 0;
	if (!n) return;
	/* the client has its answer before anything else happens */
	if (stream_flush(&S.io) < 0) S.dead = 1;
	spawn();
}
