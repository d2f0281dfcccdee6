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
#include "queue.h"
#include "status.h"
#include "uniq.h"

#define DATABYTES_DEFAULT 52428800UL
#define COPY_BUF 65536

static stralloc qdir, id, msgtmp, envtmp;
static int msgfd = -1, envfd = -1;

/* Removes our temp files and exits with one reason line on stderr: the
 * status line of id (lib/status), then a, b; its class is the exit code. */
_Noreturn static void finish(enum status_id id, const char *a, const char *b)
{
	int code = status_exit(id);

	if (msgfd >= 0) close(msgfd);
	if (envfd >= 0) close(envfd);
	if (code != EXIT_DONE) {
		if (msgtmp.len) unlink(msgtmp.s);
		if (envtmp.len) unlink(envtmp.s);
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
	fd = open(name->s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		name->len = 0;
		temp_sys(ST_QUEUE_CREATE, 0);
	}
	return fd;
}

/* Copies fd 0 into the message file; returns its size. */
static unsigned long long copy_message(void)
{
	static char buf[COPY_BUF];
	unsigned long long size = 0;
	ssize_t r;

	for (;;) {
		r = read(0, buf, sizeof buf);
		if (r == 0) break;
		if (r < 0) {
			if (errno == EINTR) continue;
			temp_sys(ST_READ_MESSAGE, 0);
		}
		size += (unsigned long long)r;
		if (databytes && size > databytes) {
			char num[40];   /* fits: a 20-digit number and " bytes" */
			snprintf(num, sizeof num, "%lu bytes", databytes);
			finish(ST_TOO_BIG, num, 0);
		}
		if (durable_writeall(msgfd, buf, (size_t)r)) temp_sys(ST_WRITE_MESSAGE, 0);
	}
	return size;
}

/* The message's fsync, in its own thread; its errno, or 0. */
static int msg_sync_errno;
static void *sync_message(void *unused)
{
	(void)unused;
	msg_sync_errno = fsync(msgfd) ? errno : 0;
	return 0;
}

/* Reads the envelope from fd 1 through lib/injenv, which checks it and
 * puts each address in its canonical form.  Anything wrong ends the run. */
static void read_envelope(struct queue_env *e)
{
	static char buf[4096];
	struct injenv r = {0};
	enum injenv_state st = INJENV_LETTER;

	injenv_init(&r, e, maxrcpt);
	do {
		ssize_t n = read(1, buf, sizeof buf);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) temp_sys(ST_ENV_READ, 0);
		st = n ? injenv_feed(&r, buf, (size_t)n, 0) : injenv_eof(&r);
		if (st == INJENV_FAILED) finish(r.why, r.detail, 0);
	} while (st != INJENV_DONE);
	injenv_free(&r);
}

int main(int argc, char **argv)
{
	const char *confdir = 0;
	struct queue_env env;
	stralloc text = {0}, msgdst = {0}, envdst = {0}, qd = {0};
	int opt;

	signal(SIGPIPE, SIG_IGN);
	umask(077);
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
	{
		pthread_t syncer;
		int started = pthread_create(&syncer, 0, sync_message, 0) == 0;
		if (!started) sync_message(0);   /* no thread: the same fsync, in line */
		read_envelope(&env);
		env.created = (long long)time(0);
		envfd = open_tmp(&envtmp, ".env");
		if (!queue_env_format(&text, &env)) nomem();
		if (durable_writeall(envfd, text.s, text.len) || fsync(envfd)) temp_sys(ST_WRITE_ENV, 0);
		if (close(envfd)) { envfd = -1; temp_sys(ST_WRITE_ENV, 0); }
		envfd = -1;
		if (started) pthread_join(syncer, 0);
	}
	errno = msg_sync_errno;
	if (errno) temp_sys(ST_SYNC_MESSAGE, 0);
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
	finish(ST_QUEUED, id.s, 0);
	return 0;
}
