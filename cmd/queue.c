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
#include "addr.h"
#include "conf.h"
#include "durable.h"
#include "exitcode.h"
#include "queue.h"
#include "uniq.h"

#define DATABYTES_DEFAULT 52428800UL
#define COPY_BUF 65536

static stralloc qdir, id, msgtmp, envtmp;
static int msgfd = -1, envfd = -1;

/* Removes our temp files and exits with one reason line on stderr. */
static void finish(int code, const char *a, const char *b)
{
	if (msgfd >= 0) close(msgfd);
	if (envfd >= 0) close(envfd);
	if (code != EXIT_DONE) {
		if (msgtmp.len) unlink(msgtmp.s);
		if (envtmp.len) unlink(envtmp.s);
	}
	buffer_puts(buffer_2, a);
	if (b) buffer_puts(buffer_2, b);
	buffer_puts(buffer_2, "\n");
	buffer_flush(buffer_2);
	_exit(code);
}

static void temp_sys(const char *what)
{
	stralloc t = {0};
	if (!stralloc_copys(&t, what) || !stralloc_cats(&t, ": ") || !stralloc_0(&t))
		finish(EXIT_TEMP, "4.3.0 out of memory", 0);
	finish(EXIT_TEMP, t.s, strerror(errno));
}

static void nomem(void) { finish(EXIT_TEMP, "4.3.0 out of memory", 0); }

/* Set-user-ID: take a config dir only from root or the queue owner, so a
 * caller cannot hand us settings of their own (posthorn-queue(8)). */
static void check_conf_owner(void)
{
	if (getuid() == geteuid() && getgid() == getegid()) return;
	if (!conf_trusted()) {
		if (errno != EPERM) temp_sys("4.3.0 unable to stat the config dir");
		finish(EXIT_TEMP, "4.3.0 refusing a config dir not owned by root or the queue owner, or writable by others: ",
		       conf_dir());
	}
}

static unsigned long databytes, maxrcpt;

static void read_config(void)
{
	if (conf_line("queuedir", &qdir, QUEUE_DEFAULT_DIR) < 0) temp_sys("4.3.0 unable to read config queuedir");
	if (conf_ulong("databytes", &databytes, DATABYTES_DEFAULT) < 0) temp_sys("4.3.0 unable to read config databytes");
	if (conf_ulong("maxrcpt", &maxrcpt, QUEUE_RCPT_MAX) < 0) temp_sys("4.3.0 unable to read config maxrcpt");
	if (maxrcpt == 0 || maxrcpt > QUEUE_RCPT_MAX) maxrcpt = QUEUE_RCPT_MAX;
}

static int open_tmp(stralloc *name, const char *suffix)
{
	int fd;

	if (!queue_path(name, qdir.s, "tmp/i.", id.s) || !stralloc_cats(name, suffix) || !stralloc_0(name)) nomem();
	fd = open(name->s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		name->len = 0;
		temp_sys("4.3.0 unable to create a file in the queue");
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
			temp_sys("4.3.0 unable to read the message");
		}
		size += (unsigned long long)r;
		if (databytes && size > databytes) {
			char num[40];   /* fits: a 20-digit number and " bytes" */
			snprintf(num, sizeof num, "%lu bytes", databytes);
			finish(EXIT_PERM, "5.3.4 message too big: more than ", num);
		}
		if (durable_writeall(msgfd, buf, (size_t)r)) temp_sys("4.3.0 unable to write the message");
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

/* Reads one NUL-terminated envelope item (after its letter) into item.
 * Returns 1, or 0 on a clean EOF before the letter. */
static int read_item(buffer *b, char *letter, stralloc *item)
{
	char c;
	int r;

	r = buffer_get(b, letter, 1);
	if (r < 0) temp_sys("4.3.0 unable to read the envelope");
	if (r == 0) return 0;
	if (*letter == 0) return 1;   /* the final NUL */
	item->len = 0;
	for (;;) {
		r = buffer_get(b, &c, 1);
		if (r < 0) temp_sys("4.3.0 unable to read the envelope");
		if (r == 0) finish(EXIT_TEMP, "4.3.0 envelope cut short: the writer died", 0);
		if (c == 0) break;
		if (item->len >= ADDR_PATH_MAX) finish(EXIT_PERM, "5.1.3 address too long in envelope", 0);
		if (!stralloc_append(item, &c)) nomem();
	}
	if (!stralloc_0(item)) nomem();
	item->len--;
	return 1;
}

/* Checks an envelope address and rewrites it in its canonical form
 * (addr_format: domain lower-cased, quotes only where needed), so the
 * runner can group recipients by domain with a plain comparison. */
static void check_addr(stralloc *s, int sender)
{
	static stralloc canon;
	struct addr a;
	int r;

	if (sender && s->len == 0) return;
	r = addr_parse(&a, s->s, s->len, ADDR_ALLOW_UTF8 | ADDR_ALLOW_RELAYCHARS);
	if (r != ADDR_OK)
		finish(EXIT_PERM, sender ? "5.1.7 bad sender address in envelope: " : "5.1.3 bad recipient address in envelope: ",
		       addr_strerror(r));
	if (!addr_format(&canon, &a) || !stralloc_copyb(s, canon.s, canon.len) || !stralloc_0(s)) nomem();
	s->len--;
}

static void read_envelope(struct queue_env *e)
{
	static char space[4096];
	buffer b = BUFFER_INIT(read, 1, space, sizeof space);
	stralloc item = {0};
	char letter;

	if (!read_item(&b, &letter, &item)) finish(EXIT_TEMP, "4.3.0 no envelope: the writer died", 0);
	if (letter != 'F') finish(EXIT_PERM, "5.3.0 envelope does not start with F", 0);
	check_addr(&item, 1);
	if (!stralloc_copyb(&e->sender, item.s, item.len) || !stralloc_0(&e->sender)) nomem();
	e->sender.len--;
	for (;;) {
		if (!read_item(&b, &letter, &item)) finish(EXIT_TEMP, "4.3.0 envelope cut short: the writer died", 0);
		if (letter == 0) break;
		if (letter != 'T') finish(EXIT_PERM, "5.3.0 envelope item is neither F nor T", 0);
		check_addr(&item, 0);
		if (e->n >= maxrcpt) finish(EXIT_PERM, "5.5.3 too many recipients in envelope", 0);
		if (!queue_env_add(e, item.s, 0)) nomem();
	}
	if (!e->n) finish(EXIT_PERM, "5.5.1 no recipients in envelope", 0);
	stralloc_free(&item);
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
		else finish(EXIT_USAGE, "usage: posthorn-queue [-C dir] < message 1< envelope", 0);
	}
	conf_init(confdir);
	check_conf_owner();
	read_config();
	if (queue_make_dirs(qdir.s)) temp_sys("4.3.0 unable to set up the queue dir");

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
		if (durable_writeall(envfd, text.s, text.len) || fsync(envfd)) temp_sys("4.3.0 unable to write the envelope");
		if (close(envfd)) { envfd = -1; temp_sys("4.3.0 unable to write the envelope"); }
		envfd = -1;
		if (started) pthread_join(syncer, 0);
	}
	errno = msg_sync_errno;
	if (errno) temp_sys("4.3.0 unable to fsync the message");
	if (close(msgfd)) { msgfd = -1; temp_sys("4.3.0 unable to write the message"); }
	msgfd = -1;

	if (!queue_path(&msgdst, qdir.s, "q/", id.s) || !stralloc_cats(&msgdst, ".msg") || !stralloc_0(&msgdst) ||
	    !queue_path(&envdst, qdir.s, "q/", id.s) || !stralloc_cats(&envdst, ".env") || !stralloc_0(&envdst) ||
	    !queue_path(&qd, qdir.s, "q", ""))
		nomem();
	if (rename(msgtmp.s, msgdst.s)) temp_sys("4.3.0 unable to commit the message");
	/* From here the temp name is gone; on failure remove the moved file. */
	stralloc_copy(&msgtmp, &msgdst);
	if (rename(envtmp.s, envdst.s)) temp_sys("4.3.0 unable to commit the envelope");
	stralloc_copy(&envtmp, &envdst);
	if (durable_sync_dir(qd.s)) temp_sys("4.3.0 unable to fsync the queue");

	queue_trigger_id(qdir.s, id.s);
	finish(EXIT_DONE, "2.0.0 queued as ", id.s);
	return 0;
}
