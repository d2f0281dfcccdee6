/*
 * posthorn-queue: puts one message into the queue (see posthorn-queue(8)).
 *
 *     posthorn-queue [-C DIR]     < message   1< envelope
 *
 * Message on fd 0 up to EOF, then the qmail-queue envelope on fd 1.  Both
 * are written into tmp/, fsync'ed, renamed into q/ (message first, envelope
 * second: the .env is the commit point), q/ is fsync'ed, and only then do we
 * exit 0.  Any failure before that removes what we wrote and exits 100 or
 * 111 with nothing queued.  fd 1 is the envelope, so the one reason line goes
 * to fd 2.
 *
 * The message's fsync runs in a second thread while the envelope is read,
 * written and fsync'ed: the two flushes overlap (the file system can put
 * them in one journal commit), so a message waits for two disk flushes in
 * a row, not three.  Both have finished before anything is renamed.
 *
 * An envelope that starts with H (header text, lib/injenv) makes the stored
 * message that text and then the message.  A message of up to 64 KiB is
 * still in memory then, and the file gets the text and the message in one
 * go.  A bigger one is in tmp/i.ID.msg by then; a second file
 * tmp/i.ID.full gets the text and a copy of the
 * message (copy_file_range, done in the kernel), and it is that file which
 * is fsync'ed and renamed into q/ -- the first one is unlinked unsynced.
 * The thread then starts once the envelope is read, and still overlaps the
 * envelope's fsync.
 *
 * Before anything is committed, the message is counted against its
 * account's send limits (limit.c; the A item names the account).
 *
 * An envelope with S has the message DKIM-signed (sign.c): from held[], or
 * read back from the first file for a bigger one; the DKIM-Signature
 * fields go on top as H text does, above it.  The status line says what
 * was signed, or why not.  A crash leaves at most temp files, which the runner
 * removes (posthorn-runq(8)); q/ID.msg only ever comes from a whole file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <buffer.h>
#include <stralloc.h>
#include "conf.h"
#include "durable.h"
#include "exitcode.h"
#include "injenv.h"
#include "limit.h"
#include "log.h"
#include "queue.h"
#include "sign.h"
#include "status.h"
#include "uniq.h"

#define DATABYTES_DEFAULT 52428800UL
#define COPY_BUF 65536

static stralloc qdir, id, msgtmp, envtmp, firsttmp;
static int msgfd = -1, envfd = -1, firstfd = -1;

/* Removes our temp files and exits with one reason line on stderr: the
 * status line of id (lib/status), then a, b; its class is the exit code. */
_Noreturn static void finish(enum status_id id, const char *a, const char *b)
{
	int code = status_exit(id);

	if (msgfd >= 0) close(msgfd);
	if (envfd >= 0) close(envfd);
	if (firstfd >= 0) close(firstfd);
	if (code != EXIT_DONE) {
		if (msgtmp.len) unlink(msgtmp.s);
		if (envtmp.len) unlink(envtmp.s);
		if (firsttmp.len) unlink(firsttmp.s);
	}
	status_line(buffer_2, id, a, b);
	_exit(code);
}

/* finish with ": strerror(errno)" after the text, and name (if any) before it. */
_Noreturn static void temp_sys(enum status_id id, const char *name)
{
	const char *e = strerror(errno);
	stralloc t = {0};

	if (!stralloc_copys(&t, name ? name : "") || !stralloc_cats(&t, ": ") || !stralloc_0(&t))
		finish(ST_NOMEM, 0, 0);
	finish(id, t.s, e);
}

_Noreturn static void nomem(void) { finish(ST_NOMEM, 0, 0); }

/* Set-user-ID: take a config dir only from root or the queue owner, so a
 * caller cannot hand us settings of their own (posthorn-queue(8)). */
static void check_conf_owner(void)
{
	if (getuid() == geteuid() && getgid() == getegid()) return;
	if (!conf_trusted()) {
		if (errno != EPERM) temp_sys(ST_CONF_STAT, 0);
		finish(ST_CONF_UNTRUSTED, conf_dir(), 0);
	}
}

static unsigned long databytes, maxrcpt;

_Noreturn static void usage(void)
{
	buffer_puts(buffer_2, "usage: posthorn-queue [-C dir] < message 1< envelope\n");
	buffer_flush(buffer_2);
	_exit(EXIT_USAGE);
}

static void read_config(void)
{
	if (conf_line("queuedir", &qdir, QUEUE_DEFAULT_DIR) < 0) temp_sys(ST_CONF_READ, "queuedir");
	if (conf_ulong("databytes", &databytes, DATABYTES_DEFAULT) < 0) temp_sys(ST_CONF_READ, "databytes");
	if (conf_ulong("maxrcpt", &maxrcpt, QUEUE_RCPT_MAX) < 0) temp_sys(ST_CONF_READ, "maxrcpt");
	if (maxrcpt == 0 || maxrcpt > QUEUE_RCPT_MAX) maxrcpt = QUEUE_RCPT_MAX;
}

static int open_tmp(stralloc *name, const char *suffix)
{
	int fd;

	if (!queue_path(name, qdir.s, "tmp/i.", id.s) || !stralloc_cats(name, suffix) || !stralloc_0(name)) nomem();
	/* read too: an H item has the message copied out of it again */
	fd = open(name->s, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		name->len = 0;
		temp_sys(ST_QUEUE_CREATE, 0);
	}
	return fd;
}

/* The stored message may not pass databytes, header text included. */
static void check_size(unsigned long long size)
{
	char num[40];   /* fits: a 20-digit number and " bytes" */

	if (!databytes || size <= databytes) return;
	snprintf(num, sizeof num, "%lu bytes", databytes);
	finish(ST_TOO_BIG, num, 0);
}

/* Copies fd 0 into the message file; returns its size. */
static char held[COPY_BUF];
static size_t nheld;       /* the whole message is in held[], not yet written */
static int holding = 1;

/* Writes what is held, after the header text head (if any): the message
 * file gets both in one go, with no second file and no copy. */
static void flush_held(const stralloc *head)
{
	if (!holding) return;
	holding = 0;
	if (head && head->len && durable_writeall(msgfd, head->s, head->len)) temp_sys(ST_WRITE_MESSAGE, 0);
	if (nheld && durable_writeall(msgfd, held, nheld)) temp_sys(ST_WRITE_MESSAGE, 0);
}

/* Copies fd 0 into the message file; returns its size.  A message that
 * fits in held[] (most do) stays there until the envelope says whether
 * header text goes before it. */
static unsigned long long copy_message(void)
{
	static char buf[COPY_BUF];
	unsigned long long size = 0;
	ssize_t r;

	while (holding) {
		r = read(0, held + nheld, sizeof held - nheld);
		if (r == 0) return size;
		if (r < 0) {
			if (errno == EINTR) continue;
			temp_sys(ST_READ_MESSAGE, 0);
		}
		size += (unsigned long long)r;
		check_size(size);
		nheld += (size_t)r;
		if (nheld == sizeof held) flush_held(0);   /* a big one: streamed */
	}
	for (;;) {
		r = read(0, buf, sizeof buf);
		if (r == 0) break;
		if (r < 0) {
			if (errno == EINTR) continue;
			temp_sys(ST_READ_MESSAGE, 0);
		}
		size += (unsigned long long)r;
		check_size(size);
		if (durable_writeall(msgfd, buf, (size_t)r)) temp_sys(ST_WRITE_MESSAGE, 0);
	}
	return size;
}

/* The message's fsync, in its own thread (msgfd: the file to commit); its
 * errno, or 0. */
static int msg_sync_errno;
static pthread_t syncer;
static int sync_state;   /* 0 not started, 1 in the thread, 2 done in line */
static void *sync_message(void *unused)
{
	(void)unused;
	msg_sync_errno = fsync(msgfd) ? errno : 0;
	return 0;
}

static void start_sync(void)
{
	if (sync_state) return;
	sync_state = 1;
	if (pthread_create(&syncer, 0, sync_message, 0)) {
		sync_state = 2;
		sync_message(0);   /* no thread: the same fsync, in line */
	}
}

static void wait_sync(void)
{
	if (sync_state == 1) pthread_join(syncer, 0);
	errno = msg_sync_errno;
	if (errno) temp_sys(ST_SYNC_MESSAGE, 0);
}

/* Reads the envelope from fd 1 through lib/injenv, which checks it and
 * puts each address in its canonical form, and the header text of an H
 * item into r->head.  Anything wrong ends the run.  As soon as the first
 * byte says there is no H and no S, the message file is the one to commit, and its
 * fsync starts while the rest is read. */
static void read_envelope(struct injenv *r, struct queue_env *e)
{
	static char buf[4096];
	enum injenv_state st = INJENV_LETTER;
	int first = 1;

	injenv_init(r, e, maxrcpt);
	do {
		ssize_t n = read(1, buf, sizeof buf);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) temp_sys(ST_ENV_READ, 0);
		st = n ? injenv_feed(r, buf, (size_t)n, 0) : injenv_eof(r);
		if (st == INJENV_FAILED) finish(r->why, r->detail, 0);
		if (n && first && buf[0] != 'H' && buf[0] != 'S') {
			flush_held(0);
			start_sync();
		}
		if (n) first = 0;
	} while (st != INJENV_DONE);
}

/* Copies size bytes of the message at the start of from to the end of fd
 * to.  In the kernel where it can (copy_file_range; a reflink on file
 * systems that share blocks), else through a buffer: EXDEV, ENOSYS,
 * EINVAL (and EOPNOTSUPP) say the kernel or file system cannot. */
static void copy_body(int from, int to, unsigned long long size)
{
	static char buf[COPY_BUF];
	off_t off = 0;

	while ((unsigned long long)off < size) {
		unsigned long long left = size - (unsigned long long)off;
		size_t want = left > (1UL << 30) ? (size_t)1 << 30 : (size_t)left;
		ssize_t n = copy_file_range(from, &off, to, 0, want, 0);
		if (n > 0) continue;   /* off has moved on */
		if (n < 0 && errno == EINTR) continue;
		if (n == 0 || (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)) {
			if (n == 0) errno = EIO;   /* our own file, shorter than we wrote it */
			temp_sys(ST_WRITE_MESSAGE, 0);
		}
		break;
	}
	while ((unsigned long long)off < size) {
		unsigned long long left = size - (unsigned long long)off;
		ssize_t n = pread(from, buf, left < sizeof buf ? (size_t)left : sizeof buf, off);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) {
			if (n == 0) errno = EIO;
			temp_sys(ST_READ_MESSAGE, 0);
		}
		if (durable_writeall(to, buf, (size_t)n)) temp_sys(ST_WRITE_MESSAGE, 0);
		off += n;
	}
}

/* H: makes tmp/i.ID.full, the header text and then the message, the file
 * to commit (msgfd, msgtmp); the first file is unlinked.  Returns the new
 * size. */
static unsigned long long prepend(const stralloc *head, unsigned long long size)
{
	firstfd = msgfd;
	firsttmp = msgtmp;
	msgfd = -1;
	msgtmp = (stralloc){0};
	msgfd = open_tmp(&msgtmp, ".full");
	if (durable_writeall(msgfd, head->s, head->len)) temp_sys(ST_WRITE_MESSAGE, 0);
	copy_body(firstfd, msgfd, size);
	close(firstfd);
	firstfd = -1;
	unlink(firsttmp.s);   /* never committed; a failure leaves it to the runner */
	firsttmp.len = 0;
	return size + head->len;
}

/* The send limits (limit.c), while the message's fsync runs: a refused
 * message leaves nothing in the queue. */
static void charge(const struct injenv *r, const struct queue_env *e)
{
	stralloc a = {0}, b = {0};
	enum status_id why = limit_charge(qdir.s, r->account.len ? r->account.s : "", e->n, &a, &b);

	if (why != ST_NONE) finish(why, a.len ? a.s : 0, b.len ? b.s : 0);
}

int main(int argc, char **argv)
{
	const char *confdir = 0;
	struct queue_env env;
	struct injenv r = {0};
	stralloc text = {0}, msgdst = {0}, envdst = {0}, qd = {0}, top = {0}, note = {0};
	int opt;

	signal(SIGPIPE, SIG_IGN);
	umask(077);
	log_init("posthorn-queue");
	while ((opt = getopt(argc, argv, "C:")) != -1) {
		if (opt == 'C') confdir = optarg;
		else usage();
	}
	conf_init(confdir);
	check_conf_owner();
	read_config();
	if (queue_make_dirs(qdir.s)) temp_sys(ST_QUEUE_SETUP, 0);

	if (!uniq_name(&id) || !stralloc_0(&id)) nomem();
	id.len--;
	memset(&env, 0, sizeof env);
	msgfd = open_tmp(&msgtmp, ".msg");
	env.size = copy_message();
	read_envelope(&r, &env);
	charge(&r, &env);
	if (r.head.len) check_size(env.size + r.head.len);
	/* S: the signatures go on top, above the H text (RFC 6376 5.6: they
	 * cover the message as its client gave it, so they are outermost);
	 * they do not count against databytes -- a signature never costs the
	 * message */
	if (r.sign && queue_sign(holding ? held : 0, nheld, msgfd, env.size, &top, &note)) nomem();
	if (!stralloc_cat(&top, &r.head)) nomem();
	if (top.len) {
		if (holding) {
			flush_held(&top);
			env.size += top.len;
		} else {
			env.size = prepend(&top, env.size);
		}
	}
	flush_held(0);
	injenv_free(&r);
	start_sync();   /* the file to commit: started already unless H */
	env.created = (long long)time(0);
	envfd = open_tmp(&envtmp, ".env");
	if (!queue_env_format(&text, &env)) nomem();
	if (durable_writeall(envfd, text.s, text.len) || fsync(envfd)) temp_sys(ST_WRITE_ENV, 0);
	if (close(envfd)) { envfd = -1; temp_sys(ST_WRITE_ENV, 0); }
	envfd = -1;
	wait_sync();
	if (close(msgfd)) { msgfd = -1; temp_sys(ST_WRITE_MESSAGE, 0); }
	msgfd = -1;

	if (!queue_path(&msgdst, qdir.s, "q/", id.s) || !stralloc_cats(&msgdst, ".msg") || !stralloc_0(&msgdst) ||
	    !queue_path(&envdst, qdir.s, "q/", id.s) || !stralloc_cats(&envdst, ".env") || !stralloc_0(&envdst) ||
	    !queue_path(&qd, qdir.s, "q", ""))
		nomem();
	if (rename(msgtmp.s, msgdst.s)) temp_sys(ST_COMMIT_MESSAGE, 0);
	/* From here the temp name is gone; on failure remove the moved file. */
	stralloc_copy(&msgtmp, &msgdst);
	if (rename(envtmp.s, envdst.s)) temp_sys(ST_COMMIT_ENV, 0);
	stralloc_copy(&envtmp, &envdst);
	if (durable_sync_dir(qd.s)) temp_sys(ST_SYNC_QUEUE, 0);

	queue_trigger_id(qdir.s, id.s);
	if (!stralloc_0(&note)) nomem();
	finish(ST_QUEUED, id.s, note.s);
	return 0;
}
